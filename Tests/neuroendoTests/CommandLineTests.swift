import Foundation
import NeuroEndoKit
import Testing

/// Runs the built `neuroendo` executable as a user would.
struct Invocation {
  var status: Int32
  var output: String
  var error: String
}

let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent()

func executable() throws -> URL {
  // Tests run from the build products directory, where `neuroendo` is built beside them.
  let candidates = [
    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
    Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent(),
  ]
  for directory in candidates {
    let url = directory.appendingPathComponent("neuroendo")
    if FileManager.default.isExecutableFile(atPath: url.path) { return url }
  }
  throw CocoaError(.fileNoSuchFile)
}

func neuroendo(_ arguments: String...) throws -> Invocation { try neuroendo(arguments) }

func neuroendo(_ arguments: [String], environment: [String: String] = [:]) throws -> Invocation {
  let process = Process()
  process.executableURL = try executable()
  process.arguments = arguments
  if !environment.isEmpty {
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
  }
  process.currentDirectoryURL = root
  let output = Pipe()
  let error = Pipe()
  process.standardOutput = output
  process.standardError = error
  try process.run()
  let outData = output.fileHandleForReading.readDataToEndOfFile()
  let errData = error.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return Invocation(
    status: process.terminationStatus, output: String(decoding: outData, as: UTF8.self),
    error: String(decoding: errData, as: UTF8.self))
}

/// Runs `neuroendo` and kills it with SIGKILL after `delay` seconds; whether the kill
/// landed while it was still running.
func neuroendoKilled(after delay: TimeInterval, _ arguments: String...) throws -> Bool {
  let process = Process()
  process.executableURL = try executable()
  process.arguments = arguments
  process.currentDirectoryURL = root
  process.standardOutput = FileHandle.nullDevice
  process.standardError = FileHandle.nullDevice
  try process.run()
  Thread.sleep(forTimeInterval: delay)
  kill(process.processIdentifier, SIGKILL)
  process.waitUntilExit()
  return process.terminationReason == .uncaughtSignal
}

func temporaryDirectory() throws -> URL {
  let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
    "neuroendo-cli-\(UUID())")
  try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  return directory
}

/// A folder `name` in `directory` holding copies of repository files, each under the name
/// given (`(path in the repository, name in the folder)`).
func folder(_ name: String, in directory: URL, copying files: [(String, String)] = [])
  throws -> URL
{
  let folder = directory.appendingPathComponent(name)
  try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  for (source, target) in files {
    try FileManager.default.copyItem(
      atPath: root.appendingPathComponent(source).path,
      toPath: folder.appendingPathComponent(target).path)
  }
  return folder
}

@Suite("neuroendo command line")
struct CommandLineTests {
  @Test("run: the sample pipeline prints the balanced summary and exits 0")
  func runSample() throws {
    let output = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: output) }
    let result = try neuroendo("run", "--verbose", "Pipelines/sample.yml", "--out", output.path)
    #expect(result.status == 0)
    #expect(
      result.output.contains(
        "total: 10 files (0 failed), 144 records = 118 accepted + 0 partial + 18 rejected + 8 skipped; 150 samples, 18 rejections, 10 empty cells"
      ))
    #expect(
      result.output.contains("SampleData/lis/stmary-lis-2026-03-16.csv [lis-long]: 15 records"))
    #expect(
      FileManager.default.fileExists(atPath: output.appendingPathComponent("run-summary.json").path)
    )
  }

  @Test("analyze: feature tables from exports named on the command line, without a pipeline")
  func analyzeWithoutPipeline() throws {
    let output = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: output) }
    let result = try neuroendo(
      "analyze", "SampleData/research/car-diary-long.csv", "--profile",
      "Pipelines/profiles/research-saliva.yml", "--out", output.path)
    #expect(result.status == 0)
    #expect(result.output.contains("analyzed: 5 subject-days (CAR 3, slope 4, cosinor 5)"))
    let table = try String(
      contentsOf: output.appendingPathComponent("features-subject-day.csv"), encoding: .utf8)
    #expect(
      table.hasPrefix(
        "subject_id,day,car_auc_g,car_auc_i,car_increase,car_increase_percent,car_r30,slope_wake_bed,slope_peak_bed,slope_log,slope_log_se,cosinor_mesor,cosinor_amplitude,cosinor_acrophase_h,"
      ))
    // s01 day 1: 11.8, 16.9, 19.6, 15.2 at 0, 15, 30, 45 min: AUCg = 15 x (14.35 + 18.25 + 17.4)
    // = 750; AUCi = 750 - 11.8 x 45 = 219 (to rounding); increase 19.6 - 11.8.
    #expect(table.contains("\ns01,1,750,218.99999999999997,7.800000000000001,"))
    // By default what a person reads (issue 26, point 1): the tables of features and
    // findings, the rejections, the audit, the cohort report and the summary.
    for name in [
      "features-subject.csv", "features-response.csv", "findings.csv", "rejections.csv",
      "audit.json", "audit.md", "reports/cohort.html", "run-summary.json",
    ] {
      #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent(name).path))
    }
    // The patients' pages and the intermediate tables only when asked for; the last line says
    // how.
    let intermediate = [
      "samples.csv", "normalized-samples.csv", "normalized-samples.ndjson", "findings.ndjson",
      "reports/patients",
    ]
    for name in intermediate {
      #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent(name).path))
    }
    let last = result.output.split(separator: "\n").last.map(String.init) ?? ""
    #expect(
      last
        == "not written: patient pages (--patient-reports); samples.csv, normalized-samples.csv, normalized-samples.ndjson, findings.ndjson (--all-tables)"
    )
    #expect(
      try neuroendo(
        "analyze", "SampleData/research/car-diary-long.csv", "--all-tables", "--patient-reports",
        "--out", output.path
      ).status == 0)
    // A later run without them: the tables it no longer writes go with the last set.
    #expect(
      try neuroendo("analyze", "SampleData/research/car-diary-long.csv", "--out", output.path)
        .status == 0)
    for name in ["samples.csv", "normalized-samples.csv", "findings.ndjson"] {
      #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent(name).path))
    }
    #expect(
      try neuroendo(
        "analyze", "SampleData/research/car-diary-long.csv", "--all-tables", "--patient-reports",
        "--out", output.path
      ).status == 0)
    for name in intermediate {
      #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent(name).path))
    }
    let bad = try neuroendo("analyze", "SampleData/research", "--slope", "S1", "--out", output.path)
    #expect(bad.status == 64)
    #expect(bad.error.contains("--slope 'S1': expected two sample labels"))
  }

  @Test(
    "analyze: a plain research export is analysed as saliva, a row per subject-day, no findings")
  func plainResearchExport() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    // 20 subjects x 3 days, nine samples a day from waking to +15 h, no specimen column.
    var text = "subject_id,day,sample,minutes_since_waking,cortisol_nmol_l\n"
    let minutes = [0.0, 15, 30, 45, 180, 360, 540, 720, 900]
    for subject in 1...20 {
      for day in 1...3 {
        for (index, minute) in minutes.enumerated() {
          let car = minute <= 45 ? [0, 5, 8, 4][index] : 0
          let value = 14 * exp(-0.12 * minute / 60) + Double(car) + Double(subject % 5) / 10
          text += "c\(subject),\(day),S\(index),\(Int(minute)),\(String(format: "%.3f", value))\n"
        }
      }
    }
    let input = directory.appendingPathComponent("cohort.csv")
    try text.write(to: input, atomically: true, encoding: .utf8)
    let output = directory.appendingPathComponent("out")
    let result = try neuroendo("analyze", input.path, "--out", output.path)
    #expect(result.status == 0)
    #expect(
      result.output.contains(
        "  note: 540 cortisol samples without a specimen, timed in minutes since waking, read as saliva"
      ))
    #expect(result.output.contains("analyzed: 60 subject-days (CAR 60, slope 60, cosinor 60)"))
    let table = try String(
      contentsOf: output.appendingPathComponent("features-subject-day.csv"), encoding: .utf8)
    let rows = table.split(separator: "\n").dropFirst().map {
      $0.split(separator: ",", omittingEmptySubsequences: false)
    }
    #expect(rows.count == 60)
    // car_auc_g, slope_log and cosinor_mesor are filled on every row.
    #expect(rows.allSatisfy { !$0[2].isEmpty && !$0[9].isEmpty && !$0[11].isEmpty })
    // No finding per sample: the salivary cohort has nothing for the feedback loops.
    let findings = try String(
      contentsOf: output.appendingPathComponent("findings.csv"), encoding: .utf8)
    #expect(findings.split(separator: "\n").count == 1)
    #expect(!result.output.contains("not judged"))
  }

  @Test("a setting that leaves out every sample of a specimen says so on its own line")
  func leftOutSpecimen() throws {
    let output = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: output) }
    let result = try neuroendo(
      "analyze", "SampleData/lis/stmary-lis-2026-03-16.csv", "--out", output.path)
    #expect(result.status == 0)
    #expect(
      result.output.contains(
        "\nleft out: all 3 serum cortisol samples, by settings.analyze.specimens (add serum to analyse their rhythm)\n"
      ))
    // The built-in layout keeps the test_name column: "Cortisol, post dex" is the
    // suppression test it names, not an unpaired cortisol.
    #expect(!result.output.contains("\nnot judged (HPA): "))
    let findings = try String(
      contentsOf: output.appendingPathComponent("findings.csv"), encoding: .utf8)
    #expect(findings.contains("MRN004702,HPA,dexamethasone_suppression,normal-suppression"))
    let anchor = try neuroendo(
      "analyze", "SampleData/research/tsst-saliva-2026.csv", "--profile",
      "Pipelines/profiles/tsst-saliva.yml", "--anchor", "tsst", "--out", output.path)
    #expect(
      anchor.output.contains(
        "\nleft out: 14 cortisol samples timed from 'stressor', not the response anchor 'tsst' (settings.analyze.response.anchor, or --anchor)\n"
      ))
  }

  @Test("analyze --settings takes the analyzer settings of a pipeline file; findings are written")
  func analyzeWithSettings() throws {
    let output = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: output) }
    let result = try neuroendo(
      "analyze", "SampleData/research/tsst-saliva-2026.csv",
      "SampleData/lis/citylab-endocrine-2026-03-18.csv",
      "--profile", "Pipelines/profiles/tsst-saliva.yml", "--settings", "Pipelines/sample.yml",
      "--out", output.path)
    // One profile for every input: the City Lab file does not fit the wide profile, so its
    // records are rejected (named in the summary), while the stress test is analysed with the
    // sample pipeline's slope pair.
    #expect(result.status == 0)
    #expect(
      result.output.contains(
        "citylab-endocrine-2026-03-18.csv [tsst-saliva]: 24 records = 0 accepted + 0 partial + 24 rejected"
      ))
    let responses = try String(
      contentsOf: output.appendingPathComponent("features-response.csv"), encoding: .utf8)
    #expect(responses.split(separator: "\n").first?.contains("response_slope_S1_S4") == true)
    #expect(responses.contains("\nT01,,stressor,group=stress,5,502.2,"))
    let bad = try neuroendo(
      "analyze", "SampleData/research", "--settings", "nowhere.yml", "--out", output.path)
    #expect(bad.status == 2)
  }

  @Test("--version prints the version; a missing file and a missing inbox both exit 1")
  func versionAndMissingInputs() throws {
    let version = try neuroendo("--version")
    #expect(version.status == 0)
    #expect(version.output == NeuroEndoVersion.current + "\n")
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let output = directory.appendingPathComponent("out").path
    let file = try neuroendo(
      "analyze", directory.appendingPathComponent("gone.csv").path, "--out", output)
    #expect(file.status == 1)
    #expect(file.error.contains("gone.csv does not exist"))  // problems on standard error
    let pipeline = directory.appendingPathComponent("nightly.yml")
    try """
    version: 1
    inputs:
      - path: inbox
    outputs:
      directory: out
    """.write(to: pipeline, atomically: true, encoding: .utf8)
    let inbox = try neuroendo("run", pipeline.path)
    #expect(inbox.status == 1)
    #expect(
      inbox.error.contains(
        "warning: input: inbox: \(directory.path)/inbox does not exist"))
    let validate = try neuroendo("validate", pipeline.path)
    #expect(validate.status == 0)
    #expect(
      validate.output.contains(
        "warning: input 'inbox': \(directory.path)/inbox does not exist now"))
  }

  @Test("inspect: a JSON file that is neither FHIR nor mapped says to pass a profile")
  func inspectUnmappedJSON() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("portal.json")
    try #"[{"pid": "a1", "cortisol": 12.5}, {"pid": "a2", "cortisol": 9.1}]"#.write(
      to: file, atomically: true, encoding: .utf8)
    let result = try neuroendo("inspect", file.path)
    #expect(
      result.output.contains(
        "warning: no record is a FHIR resource (none has a resourceType): if this is a generic JSON export, pass a profile"
      ))
  }

  @Test("inputs are sacred: an output over an input, or an inbox inside the outputs, is refused")
  func inputsAreSacred() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let io = try folder(
      "io", in: directory, copying: [("SampleData/research/car-diary-long.csv", "samples.csv")])
    let input = io.appendingPathComponent("samples.csv")
    let before = try Data(contentsOf: input)
    // analyze io/samples.csv --out io: samples.csv would be overwritten.
    let overwrite = try neuroendo("analyze", input.path, "--out", io.path)
    #expect(overwrite.status == 64)
    #expect(overwrite.error.contains("refused: output file \(input.path) is the input"))
    #expect(try Data(contentsOf: input) == before)
    #expect(try FileManager.default.contentsOfDirectory(atPath: io.path) == ["samples.csv"])
    // A pipeline whose inbox is its output directory would read its outputs the next night.
    let pipeline = directory.appendingPathComponent("nightly.yml")
    try """
    version: 1
    inputs:
      - path: io
        profile: \(root.path)/Pipelines/profiles/research-saliva.yml
    outputs:
      directory: io
    """.write(to: pipeline, atomically: true, encoding: .utf8)
    let inbox = try neuroendo("run", pipeline.path)
    #expect(inbox.status == 64)
    #expect(inbox.error.contains("lies inside the output directory"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: io.path) == ["samples.csv"])
    // Output into a directory that holds the input as a sub-folder: also refused.
    let parent = try neuroendo("run", pipeline.path, "--out", directory.path)
    #expect(parent.status == 64)
    #expect(
      !FileManager.default.fileExists(atPath: directory.appendingPathComponent("samples.csv").path))
    // Beside the inbox is fine.
    let beside = try neuroendo(
      "run", pipeline.path, "--out", directory.appendingPathComponent("out").path)
    #expect(beside.status == 0)
    #expect(try Data(contentsOf: input) == before)
  }

  @Test("audit: reads without analysing; exit 3 when records were rejected, 0 when none were")
  func audit() throws {
    let output = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: output) }
    let rejected = try neuroendo(
      "audit", "SampleData/research/car-diary-long.csv", "--profile",
      "Pipelines/profiles/research-saliva.yml", "--out", output.path)
    #expect(rejected.status == 3)
    #expect(!rejected.output.contains("analyzed:"))
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: output.path).filter { !$0.hasPrefix(".") }
        .sorted() == ["audit.json", "audit.md", "rejections.csv", "run-summary.json"])
    let clean = try neuroendo(
      "audit", "SampleData/lis/citylab-endocrine-2026-03-18.csv", "--profile",
      "Pipelines/profiles/citylab-lis.yml", "--out", output.path)
    #expect(clean.status == 0)
  }

  @Test(
    "a second run on a held output directory exits 75 naming the holder; a dead holder is taken over"
  )
  func busyOutput() throws {
    let output = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: output) }
    let lockPath = output.appendingPathComponent(".neuroendo.lock").path
    try "2000000000\n".write(toFile: lockPath, atomically: false, encoding: .utf8)
    let held = open(lockPath, O_RDWR)
    #expect(flock(held, LOCK_EX | LOCK_NB) == 0)
    let busy = try neuroendo(
      "analyze", "SampleData/research/car-diary-long.csv", "--profile",
      "Pipelines/profiles/research-saliva.yml", "--out", output.path)
    #expect(busy.status == 75)
    #expect(
      busy.error
        == "another run (pid 2000000000) is writing to the output directory; nothing was done\n")
    #expect(busy.output.isEmpty)
    #expect(
      !FileManager.default.fileExists(atPath: output.appendingPathComponent("samples.csv").path))
    flock(held, LOCK_UN)
    close(held)
    // The lock file still names pid 2000000000, which does not run: the next run takes over.
    let next = try neuroendo(
      "analyze", "SampleData/research/car-diary-long.csv", "--profile",
      "Pipelines/profiles/research-saliva.yml", "--out", output.path)
    #expect(next.status == 0)
    #expect(
      next.output.contains(
        "note: took over the output lock left by pid 2000000000, which no longer runs")
    )
  }

  @Test("a night with nothing new: one line, exit 0, outputs untouched")
  func nothingNew() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    _ = try folder(
      "inbox", in: directory,
      copying: [("SampleData/lis/stmary-lis-2026-03-16.csv", "stmary.csv")])
    let pipeline = directory.appendingPathComponent("nightly.yml")
    try """
    version: 1
    state: state
    inputs:
      - path: inbox
        time_zone: America/New_York
    outputs:
      directory: out
    """.write(to: pipeline, atomically: true, encoding: .utf8)
    let first = try neuroendo("run", pipeline.path)
    #expect(first.status == 0)  // rejected records are normal
    #expect(first.output.contains("; 1 new, 0 changed, 0 unchanged"))
    let summary = directory.appendingPathComponent("out/run-summary.json")
    let before = try Data(contentsOf: summary)
    // While another run holds the state directory, a run exits 75 and changes nothing.
    let lockPath = directory.appendingPathComponent("state/.neuroendo.lock").path
    let held = open(lockPath, O_RDWR)
    #expect(flock(held, LOCK_EX | LOCK_NB) == 0)
    // A holder writes its pid (a run that ended cleanly left the file empty).
    let pid = Array("\(getpid())\n".utf8)
    #expect(pwrite(held, pid, pid.count, 0) == pid.count)
    let busy = try neuroendo("run", pipeline.path)
    flock(held, LOCK_UN)
    close(held)
    #expect(busy.status == 75)
    #expect(busy.error.contains("error: another run (pid "))
    #expect(busy.output.isEmpty)
    let second = try neuroendo("run", pipeline.path)
    #expect(second.status == 0)
    #expect(
      second.output.dropFirst(21).contains(": nothing new: 0 new, 0 changed, 1 unchanged since "))
    #expect(second.output.hasSuffix("; outputs left as they are\n"))
    #expect(second.output.split(separator: "\n").count == 1)
    #expect(try Data(contentsOf: summary) == before)
  }

  @Test("killed at any point, the next run ends with the outputs of an uninterrupted run")
  func killedRuns() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let inbox = directory.appendingPathComponent("inbox")
    try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
    // 16 LIS exports of 1,200 results each: long enough to be killed in the middle.
    for file in 0..<16 {
      var text = "patient_id,test_code,value,unit,collected_at\n"
      for row in 0..<1200 {
        let subject = "S\(file)-\(row % 50)"
        text +=
          "\(subject),3016-3,\(1 + Double(row % 37) / 10),mIU/L,2026-03-\(10 + row % 9)T08:\(10 + row % 40):00+01:00\n"
      }
      try text.write(
        to: inbox.appendingPathComponent("export-\(file).csv"), atomically: true, encoding: .utf8)
    }
    func pipeline(_ name: String) throws -> String {
      let file = directory.appendingPathComponent("\(name).yml")
      try """
      version: 1
      state: state-\(name)
      inputs:
        - path: inbox
      outputs:
        directory: out-\(name)
        samples: true
        normalized: true
      """.write(to: file, atomically: true, encoding: .utf8)
      return file.path
    }
    let reference = try neuroendo("run", try pipeline("reference"))
    #expect(reference.status == 0)
    let killed = try pipeline("killed")
    var interrupted = 0
    for delay in [0.05, 0.2, 0.5, 1.0, 1.5] {
      if try neuroendoKilled(after: delay, "run", killed) { interrupted += 1 }
    }
    #expect(interrupted >= 3)  // most kills land while the run is still going
    let finished = try neuroendo("run", killed)
    #expect(finished.status == 0)
    for table in [
      "samples.csv", "rejections.csv", "normalized-samples.csv", "findings.csv",
      "features-subject-day.csv",
    ] {
      let expected = try Data(
        contentsOf: directory.appendingPathComponent("out-reference/\(table)"))
      let actual = try Data(contentsOf: directory.appendingPathComponent("out-killed/\(table)"))
      #expect(actual == expected, "\(table)")
    }
    // No staging or temporary file of the killed runs is left.
    let leftovers = try FileManager.default.contentsOfDirectory(
      atPath: directory.appendingPathComponent("out-killed").path
    ).filter { $0.hasPrefix(".") }
    #expect(leftovers.sorted() == [".neuroendo-outputs", ".neuroendo.lock"])
  }

  @Test("run --rebuild forgets the ledger and reads the inputs still present")
  func rebuild() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let inbox = try folder(
      "inbox", in: directory,
      copying: ["stmary-lis-2026-03-16.csv", "labnord-results-2026-03-15.csv"].map {
        ("SampleData/lis/\($0)", $0)
      })
    let pipeline = directory.appendingPathComponent("nightly.yml")
    try """
    version: 1
    state: state
    inputs:
      - path: inbox
        glob: "stmary-*.csv"
    outputs:
      directory: out
      samples: true
    """.write(to: pipeline, atomically: true, encoding: .utf8)
    #expect(try neuroendo("run", pipeline.path).status == 0)
    try FileManager.default.removeItem(
      at: inbox.appendingPathComponent("stmary-lis-2026-03-16.csv"))
    // A vanished file's data are kept; the outputs are published again, naming it.
    let kept = try neuroendo("run", pipeline.path)
    #expect(kept.status == 0)
    #expect(kept.output.contains("0 new, 0 changed, 0 unchanged, 1 vanished"), "\(kept.output)")
    #expect(
      try String(
        contentsOf: directory.appendingPathComponent("out/samples.csv"), encoding: .utf8
      ).split(separator: "\n").count == 14)
    let rebuilt = try neuroendo("run", pipeline.path, "--rebuild")
    #expect(rebuilt.error.contains("notice: rebuilt: the ledger was cleared"))
    let samples = try String(
      contentsOf: directory.appendingPathComponent("out/samples.csv"), encoding: .utf8)
    #expect(samples.split(separator: "\n").count == 1)  // the vanished file's data are gone
  }

  @Test("run suits cron: one line on success, nothing with --quiet, problems as log lines")
  func cronOutput() throws {
    let output = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: output) }
    let plain = try neuroendo("run", "Pipelines/sample.yml", "--out", output.path)
    #expect(plain.status == 0)
    #expect(plain.output.split(separator: "\n").count == 1)
    // The line starts with the time the run ended (ISO 8601, UTC).
    #expect(
      plain.output.firstMatch(of: #/^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z /#)
        != nil)
    #expect(
      plain.output.dropFirst(21).hasPrefix(
        "sample: 10 files, 144 records = 118 accepted + 0 partial + 18 rejected + 8 skipped; 150 samples; 15 subject-days; 25 findings (7 marked); wrote "
      ))
    // No progress line: standard error is not a terminal here.
    #expect(!plain.error.contains("\u{1B}[K"))
    let quiet = try neuroendo("run", "--quiet", "Pipelines/sample.yml", "--out", output.path)
    #expect(quiet.status == 0 && quiet.output.isEmpty)
    // A problem goes to standard error, timestamped, or as JSON for a log collector.
    let pipeline = output.appendingPathComponent("missing.yml")
    try """
    version: 1
    inputs:
      - path: nowhere
    outputs:
      directory: out
    """.write(to: pipeline, atomically: true, encoding: .utf8)
    let text = try neuroendo("run", "--quiet", pipeline.path)
    #expect(text.status == 1)
    #expect(text.error.contains(" warning: input: nowhere: "))
    #expect(text.error.hasPrefix("20"))  // an ISO 8601 timestamp
    let json = try neuroendo("run", "--log-format", "json", pipeline.path)
    let line = try #require(json.error.split(separator: "\n").first)
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
    #expect(object["level"] == "warning")
    #expect(object["message"]?.hasPrefix("input: nowhere: ") == true)
    #expect(object["timestamp"]?.hasPrefix("20") == true)
  }

  @Test("validate: the sample pipeline is valid")
  func validateSample() throws {
    let result = try neuroendo("validate", "Pipelines/sample.yml")
    #expect(result.status == 0)
    #expect(result.output == "Pipelines/sample.yml: valid (8 inputs)\n")
  }

  @Test("validate: a misspelt key exits 2 and names file, line and key")
  func validateMistake() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("nightly.yml")
    try """
    version: 1
    inputs:
      - path: \(root.path)/SampleData/lis
        fromat: csv
    outputs:
      directory: out
    """.write(to: file, atomically: true, encoding: .utf8)
    let result = try neuroendo("validate", file.path)
    #expect(result.status == 2)
    #expect(
      result.error
        == "\(file.path):4: inputs[0].fromat: unknown key (expected one of: name, path, glob, exclude, format, profile, time_zone)\n"
    )
    let run = try neuroendo("run", file.path)
    #expect(run.status == 2)
  }

  @Test("inspect: counts per analyte and specimen for a LIS file with the built-in layout")
  func inspect() throws {
    let result = try neuroendo("inspect", "SampleData/lis/stmary-lis-2026-03-16.csv")
    #expect(result.status == 0)
    #expect(result.output.contains("profile: built-in lis-long"))
    #expect(result.output.contains("records: 15 = 13 accepted + 0 partial + 2 rejected"))
    let counts = result.output.split(separator: "\n").map {
      $0.split(separator: " ").joined(separator: " ")
    }
    #expect(counts.contains("cortisol/serum 3"))
    #expect(counts.contains("cortisol/saliva 1"))
    #expect(counts.contains("acth/plasma 2"))
    #expect(result.output.contains("rejected 1 × unknown-test-code"))
    #expect(result.output.contains("at record 12 column 'test_code'"))
  }

  @Test("inspect: a file that fails exits 1; a bad profile exits 2")
  func inspectFailures() throws {
    let garbage = try neuroendo("inspect", "Tests/NeuroEndoKitTests/Fixtures/binary-garbage.csv")
    #expect(garbage.status == 1)
    #expect(garbage.output.contains("FAILED: "))
    let badProfile = try neuroendo(
      "inspect", "SampleData/wide/car-wide-2026.csv", "--profile", "Pipelines/sample.yml")
    #expect(badProfile.status == 2)
    #expect(badProfile.error.contains("Pipelines/sample.yml:6: description: unknown key"))
  }
}

@Suite("neuroendo command line: JSON")
struct JSONCommandLineTests {
  @Test("inspect: a FHIR bundle is recognised by its name and shows skipped resources")
  func inspectFHIR() throws {
    let result = try neuroendo("inspect", "SampleData/fhir/hospital-export-2026-03-15.json")
    #expect(result.status == 0)
    #expect(
      result.output.contains("records: 27 = 15 accepted + 0 partial + 5 rejected + 7 skipped"))
    #expect(
      result.output.contains(
        "skipped: 7 (not lab results of ours: Patient 3, Specimen 2, DiagnosticReport 1, Observation 2951-2 1)"
      ))
    #expect(result.output.contains("path 'entry[21].resource.status'"))
  }

  @Test("inspect: --format json with a profile reads result objects")
  func inspectJSON() throws {
    let result = try neuroendo(
      "inspect", "SampleData/json/research-portal-results.json", "--format", "json", "--profile",
      "Pipelines/profiles/research-portal-json.yml")
    #expect(result.status == 0)
    #expect(result.output.contains("records: 7 = 4 accepted + 0 partial + 3 rejected"))
  }
}

@Suite("neuroendo command line: normalization")
struct NormalizationCommandLineTests {
  @Test("inspect shows the normalization: units converted, times placed, flags")
  func inspectNormalization() throws {
    let result = try neuroendo(
      "inspect", "SampleData/lis/labnord-results-2026-03-15.csv", "--profile",
      "Pipelines/profiles/labnord-lis.yml", "--time-zone", "Europe/Berlin")
    #expect(result.status == 0)
    #expect(
      result.output.contains(
        "normalized: 18 of 18 samples in canonical units (0 unit mismatches rejected, 0 duplicates dropped, 0 conflicts flagged); converted: pg/mL -> pmol/L 1; flags: wake-estimated 1, waking-delay-none 1; local times placed: exact 18"
      ))
    let badZone = try neuroendo(
      "inspect", "SampleData/lis/stmary-lis-2026-03-16.csv", "--time-zone", "Nowhere/Else")
    #expect(badZone.status == 64)  // a usage error, as for analyze
  }
}
