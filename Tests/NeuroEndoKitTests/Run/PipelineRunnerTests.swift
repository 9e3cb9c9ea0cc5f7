import Foundation
import Testing

@testable import NeuroEndoKit

private func temporaryDirectory() throws -> URL {
  let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
    "neuroendo-\(UUID())")
  try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  return directory
}

private func lines(_ path: String) throws -> [Substring] {
  try String(contentsOfFile: path, encoding: .utf8).split(
    separator: "\n", omittingEmptySubsequences: true)
}

@Suite("Pipeline runs")
struct PipelineRunnerTests {
  @Test("the sample pipeline: every record accounted for, outputs written whole")
  func samplePipeline() throws {
    let output = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: output) }
    let pipeline = try PipelineLoader.load(file: Repository.path("Pipelines/sample.yml"))
    var handedOut = 0
    let summary = PipelineRunner(pipeline: pipeline).run(outputDirectory: output.path) { _ in
      handedOut += 1
    }
    let totals = summary.totals
    // Nine inputs and the sleep diary, which is counted like any input.
    #expect(summary.files.count == 10)
    #expect(summary.isComplete)
    // Hand count: Labor Nord 22 records (4 rejected), St Mary 15 (2), research 30 (2), wide 7
    // (1), stress test 3 (14 samples, one empty cell), City Lab 24, FHIR bundle 27 (5
    // rejected, 7 skipped, 16 samples), bulk NDJSON 6 (1 rejected), research portal JSON 7
    // (3 rejected), sleep diary 3 (1 rejected, no samples).
    #expect(totals.records == 144)
    #expect(totals.acceptedRecords == 118)
    #expect(totals.rejectedRecords == 18)  // a value not measured is passed over (skipped)
    #expect(totals.skippedRecords == 8)
    #expect(totals.samples == 150)
    #expect(handedOut == 150)
    #expect(
      totals.records
        == totals.acceptedRecords + totals.partialRecords + totals.rejectedRecords
        + totals.skippedRecords)
    #expect(try lines(output.appendingPathComponent("samples.csv").path).count == 1 + 150)
    // 18 records rejected while reading, and one sleep-diary row whose time does not parse:
    // the totals printed equal the rows written.
    #expect(totals.rejections == 18)
    #expect(try lines(output.appendingPathComponent("rejections.csv").path).count == 1 + 18)
    for (role, path) in summary.outputs where path.hasSuffix(".csv") {
      #expect(try lines(path).count == 1 + summary.outputRows[role]!, "\(role)")
    }
    for (role, path) in summary.outputs where path.hasSuffix(".ndjson") {
      #expect(try lines(path).count == summary.outputRows[role]!, "\(role)")
    }
    #expect(summary.outputRows["rejections"] == totals.rejections)
    #expect(summary.outputRows["samples"] == totals.samples)
    // The summary file carries what the README says it does: version, run id, row counts,
    // skipped entries and notes beside the totals.
    let summaryPath = try #require(summary.outputs["summary"])
    let written = try #require(
      JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summaryPath)))
        as? [String: Any])
    #expect(written["version"] as? String == NeuroEndoVersion.current)
    #expect(!summary.run.isEmpty && written["run"] as? String == summary.run)
    let rows = try #require(written["outputRows"] as? [String: Int])
    #expect(rows["samples"] == 150 && rows["rejections"] == 18)
    #expect((written["skippedEntries"] as? [Any])?.isEmpty == true)
    #expect(written["notes"] is [String])
    #expect((written["totals"] as? [String: Any])?["records"] as? Int == 144)
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    let read = try decoder.decode(
      RunSummary.self, from: Data(contentsOf: URL(fileURLWithPath: summaryPath)))
    #expect(read.run == summary.run && read.outputRows["samples"] == 150)
    // Empty cells and skipped records are located, like rejections.
    let wide = try #require(summary.files.first { $0.file.hasSuffix("car-wide-2026.csv") })
    #expect(wide.emptyCells == 7)
    #expect(
      wide.emptyCellLocations.first == InputLocation(file: wide.file, record: 5, column: "wake_15"))
    #expect(wide.emptyCellLocations.count == 7)  // all, under the cap of 20
    let bundle = try #require(
      summary.files.first { $0.file.hasSuffix("hospital-export-2026-03-15.json") })
    #expect(
      bundle.skippedLocations["Patient"]?.map(\.path) == ["entry[0]", "entry[1]", "entry[2]"])
    #expect(
      RunSummaryReporter.text(summary).contains(
        "  empty 7 × value cell, at record 5 column 'wake_15'; "))
    #expect(summary.normalization.diaryWakes == 2)
    #expect(summary.normalization.diaryRejections == 1)
    // Normalization: every sample in canonical units; local times placed in Europe/Berlin,
    // or in America/New_York for the St Mary input, which sets its own zone.
    #expect(summary.normalization.normalized == 150)
    #expect(summary.normalization.timeResolutions == ["exact": 19])
    let normalized = try String(
      contentsOf: output.appendingPathComponent("normalized-samples.csv"), encoding: .utf8)
    #expect(normalized.split(separator: "\n").count == 1 + 150)
    #expect(
      normalized.contains(
        "MRN004631,ft3,serum,4.4544,pmol/L,,2.9,pg/mL,2026-03-16T08:30:00-04:00,exact,08:30:00,0,1,"
      ))
    #expect(
      try lines(output.appendingPathComponent("normalized-samples.ndjson").path).count == 150)
    // For JSON files the column of rejections.csv holds the JSON path.
    let rejectionsText = try String(
      contentsOf: output.appendingPathComponent("rejections.csv"), encoding: .utf8)
    #expect(
      rejectionsText.contains(
        #",24,entry[23].resource.valueQuantity.value,wrong-type,"entry[23].resource.valueQuantity.value should be a number, found a string""#
      ))
    let json = try Data(contentsOf: output.appendingPathComponent("run-summary.json"))
    let decoded = try JSONSerialization.jsonObject(with: json) as? [String: Any]
    let jsonTotals = decoded?["totals"] as? [String: Int]
    #expect(jsonTotals?["records"] == 144)
    #expect(jsonTotals?["samples"] == 150)
    // No staging or temporary file is left; only the lock file stays.
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: output.path).filter {
      $0.hasPrefix(".")
    }
    #expect(leftovers.sorted() == [".neuroendo-outputs", ".neuroendo.lock"])
    #expect(summary.run.contains("Z-\(getpid())"))
  }

  @Test("the runner itself writes nothing when an output directory holds an input")
  func runnerRefusesOverlap() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let input = directory.appendingPathComponent("rejections.csv")
    try "patient_id,test_code,value,unit,collected_at\n".write(
      to: input, atomically: true, encoding: .utf8)
    let pipeline = Pipeline.adHoc(
      files: [input.path], format: nil, profile: nil, outputDirectory: directory.path)
    #expect(pipeline.inputOutputOverlaps().count == 1)
    let summary = PipelineRunner(pipeline: pipeline).run()
    #expect(!summary.isComplete)
    #expect(summary.outputFailures.first?.contains("is the input") == true)
    #expect(summary.files.isEmpty)
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["rejections.csv"])
    #expect(
      try String(contentsOf: input, encoding: .utf8)
        == "patient_id,test_code,value,unit,collected_at\n")
  }

  @Test("only regular files are read: a FIFO, a link out of the inbox and a large file are skipped")
  func onlyRegularFiles() throws {
    let root = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: root) }
    let manager = FileManager.default
    let inbox = root.appendingPathComponent("inbox")
    let outside = root.appendingPathComponent("outside")
    try manager.createDirectory(at: inbox, withIntermediateDirectories: true)
    try manager.createDirectory(at: outside, withIntermediateDirectories: true)
    let good = Repository.fixture("unknown-unit.csv")
    try manager.copyItem(atPath: good, toPath: inbox.appendingPathComponent("a-good.csv").path)
    try manager.copyItem(atPath: good, toPath: outside.appendingPathComponent("secret.csv").path)
    #expect(mkfifo(inbox.appendingPathComponent("b-pipe.csv").path, 0o600) == 0)
    try manager.createSymbolicLink(
      atPath: inbox.appendingPathComponent("c-out.csv").path,
      withDestinationPath: outside.appendingPathComponent("secret.csv").path)
    try manager.createSymbolicLink(
      atPath: inbox.appendingPathComponent("d-in.csv").path,
      withDestinationPath: inbox.appendingPathComponent("a-good.csv").path)
    try String(repeating: "x", count: 5000).write(
      to: inbox.appendingPathComponent("e-big.csv"), atomically: true, encoding: .utf8)
    let input = Pipeline.Input(name: "inbox", path: inbox.path, profile: nil)
    var reading = ReadSettings()
    reading.maxFileBytes = 4096
    let entries = try InputCatalogue.entries(of: input, reading: reading).get()
    #expect(entries.files.map { ($0 as NSString).lastPathComponent } == ["a-good.csv", "d-in.csv"])
    #expect(
      entries.skipped.map { "\(($0.path as NSString).lastPathComponent) \($0.reason)" } == [
        "b-pipe.csv not-a-regular-file", "c-out.csv link-outside-input", "e-big.csv file-too-large",
      ])
    reading.followLinks = .anywhere
    #expect(try InputCatalogue.entries(of: input, reading: reading).get().files.count == 3)
    // A run goes on past them (the FIFO never blocks it) and names each as an input problem.
    var pipeline = Pipeline.adHoc(
      files: [inbox.path], format: nil, profile: nil,
      outputDirectory: root.appendingPathComponent("out").path)
    pipeline.reading.maxFileBytes = 4096
    let summary = PipelineRunner(pipeline: pipeline).run()
    // d-in.csv is a-good.csv by its real path: one file, read once.
    #expect(summary.files.count == 1)
    #expect(
      summary.skippedEntries.map(\.reason) == [
        "not-a-regular-file", "link-outside-input", "file-too-large",
      ])
    #expect(summary.inputProblems.count == 4)
    #expect(summary.inputProblems.contains { $0.contains("d-in.csv not read again") })
    #expect(!summary.isComplete)
    // Named directly, a FIFO is not opened for reading either.
    let direct = CSVReader().read(
      file: inbox.appendingPathComponent("b-pipe.csv").path, onSample: { _ in })
    #expect(direct.failure?.hasPrefix("not a regular file") == true)
  }

  @Test("outputs are published together: killed runs leave no mix, and the next run cleans up")
  func consistentOutputSet() throws {
    let root = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: root) }
    let output = root.appendingPathComponent("out").path
    var pipeline = Pipeline.adHoc(
      files: [Repository.path("SampleData/research/car-diary-long.csv")], format: nil,
      profile: try ProfileLoader.load(
        file: Repository.path("Pipelines/profiles/research-saliva.yml")),
      outputDirectory: output)
    pipeline.outputs.writeAllTables()
    pipeline.patientReports = true
    let first = PipelineRunner(pipeline: pipeline).run()
    #expect(first.isComplete)
    let manager = FileManager.default
    let samplesBefore = try String(contentsOfFile: output + "/samples.csv", encoding: .utf8)
    // A run killed while staging left its staging directory and a temporary file.
    try manager.createDirectory(
      atPath: output + "/.neuroendo-staging-killed", withIntermediateDirectories: true)
    try "half".write(
      toFile: output + "/.neuroendo-staging-killed/samples.csv", atomically: false, encoding: .utf8)
    try "half".write(toFile: output + "/.findings.csv.999.tmp", atomically: false, encoding: .utf8)
    // A run killed while publishing: the journal names staged files, one already moved.
    let interrupted = output + "/.neuroendo-staging-interrupted"
    try manager.createDirectory(atPath: interrupted, withIntermediateDirectories: true)
    try "new findings\n".write(
      toFile: interrupted + "/findings.csv", atomically: false, encoding: .utf8)
    try "new summary\n".write(
      toFile: interrupted + "/run-summary.json", atomically: false, encoding: .utf8)
    // Its manifest lists what it publishes; the journal names its staging and those files.
    try OutputPublisher.manifest(
      run: "interrupted",
      files: [("findings.csv", 13), ("run-summary.json", 12), ("samples.csv", 0)]
    ).write(toFile: interrupted + "/.neuroendo-outputs", atomically: false, encoding: .utf8)
    try
      ".neuroendo-staging-interrupted\nsamples.csv\nfindings.csv\n.neuroendo-outputs\nrun-summary.json\n"
      .write(toFile: output + "/.neuroendo-publish", atomically: false, encoding: .utf8)
    OutputPublisher.recover(output, outputNames: pipeline.outputs.names)
    #expect(
      try String(contentsOfFile: output + "/findings.csv", encoding: .utf8) == "new findings\n")
    #expect(
      try String(contentsOfFile: output + "/run-summary.json", encoding: .utf8) == "new summary\n")
    #expect(try String(contentsOfFile: output + "/samples.csv", encoding: .utf8) == samplesBefore)
    #expect(
      try manager.contentsOfDirectory(atPath: output).filter { $0.hasPrefix(".") }.sorted() == [
        ".neuroendo-outputs", ".neuroendo.lock",
      ])
    // The reports folder is published whole: a patient of an older run does not linger.
    #expect(
      try manager.contentsOfDirectory(atPath: output + "/reports/patients").sorted().prefix(3).map {
        $0
      }
        == ["html", "json", "md"].map { "\(PatientReport.fileName("s01")).\($0)" })
    try "old".write(
      toFile: output + "/reports/patients/gone.html", atomically: false, encoding: .utf8)
    // The next run publishes a whole new set.
    let second = PipelineRunner(pipeline: pipeline).run()
    #expect(second.isComplete)
    #expect(second.outputRows["reports"] == 3)
    // A file put into the reports folder by someone else is carried over, not deleted.
    #expect(
      try String(contentsOfFile: output + "/reports/patients/gone.html", encoding: .utf8) == "old")
    #expect(
      !(try String(contentsOfFile: output + "/.neuroendo-outputs", encoding: .utf8))
        .contains("gone.html"))
    #expect(
      manager.fileExists(
        atPath: output + "/reports/patients/\(PatientReport.fileName("s02")).html"))
    #expect(
      try String(contentsOfFile: output + "/findings.csv", encoding: .utf8).hasPrefix("subject_id,")
    )
    // A second run while one holds the directory writes nothing.
    let held = open(output + "/.neuroendo.lock", O_RDWR)
    #expect(flock(held, LOCK_EX | LOCK_NB) == 0)
    // A holder writes its pid (a clean run empties the file when it ends).
    let pid = Array("\(getpid())\n".utf8)
    #expect(pwrite(held, pid, pid.count, 0) == pid.count)
    let concurrent = PipelineRunner(pipeline: pipeline).run()
    flock(held, LOCK_UN)
    close(held)
    // The lock file names the holder: this process.
    #expect(concurrent.outputFailures.first?.contains("is writing to this directory") == true)
    #expect(concurrent.lockedBy == getpid())
    #expect(concurrent.files.isEmpty)
    // An output that cannot be written publishes nothing: the previous set stays whole.
    try manager.removeItem(atPath: output + "/findings.csv")
    try manager.createDirectory(atPath: output + "/findings.csv", withIntermediateDirectories: true)
    let summaryBefore = try String(contentsOfFile: output + "/run-summary.json", encoding: .utf8)
    let blocked = PipelineRunner(pipeline: pipeline).run()
    #expect(!blocked.isComplete)
    #expect(blocked.outputs.isEmpty)
    #expect(
      try String(contentsOfFile: output + "/run-summary.json", encoding: .utf8) == summaryBefore)
    #expect(
      try manager.contentsOfDirectory(atPath: output).filter { $0.hasPrefix(".") }.sorted() == [
        ".neuroendo-outputs", ".neuroendo.lock",
      ])
  }

  @Test("unreadable, broken and garbage files never stop the good one")
  func badFilesDoNotStopOthers() throws {
    let inbox = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: inbox) }
    let manager = FileManager.default
    try manager.copyItem(
      atPath: Repository.fixture("unknown-unit.csv"),
      toPath: inbox.appendingPathComponent("b-good.csv").path)
    try manager.copyItem(
      atPath: Repository.fixture("binary-garbage.csv"),
      toPath: inbox.appendingPathComponent("a-garbage.csv").path)
    try manager.copyItem(
      atPath: Repository.fixture("truncated-in-quote.csv"),
      toPath: inbox.appendingPathComponent("c-truncated.csv").path)
    try manager.createSymbolicLink(
      atPath: inbox.appendingPathComponent("d-gone.csv").path,
      withDestinationPath: "/nonexistent.csv")
    try manager.createDirectory(
      at: inbox.appendingPathComponent("e-folder.csv"), withIntermediateDirectories: true)
    let pipeline = Pipeline(
      name: "inbox",
      inputs: [Pipeline.Input(name: "inbox", path: inbox.path, glob: "*.csv", profile: nil)],
      outputs: Pipeline.Outputs(directory: inbox.appendingPathComponent("out").path))
    let summary = PipelineRunner(pipeline: pipeline).run()
    #expect(
      summary.files.map { URL(fileURLWithPath: $0.file).lastPathComponent } == [
        "a-garbage.csv", "b-good.csv", "c-truncated.csv", "d-gone.csv",
      ])
    #expect(summary.files.map { $0.failure != nil } == [true, false, true, true])
    #expect(summary.files[1].samples == 1)
    #expect(summary.files[2].samples == 1)
    #expect(!summary.isComplete)
    #expect(summary.totals.failedFiles == 3)
  }

  @Test("an input that matches nothing is reported, and the others still run")
  func emptyInput() throws {
    let inbox = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: inbox) }
    let pipeline = Pipeline(
      name: "empty",
      inputs: [
        Pipeline.Input(name: "nightly", path: inbox.path, glob: "*.csv", profile: nil),
        Pipeline.Input(name: "one", path: Repository.fixture("unknown-unit.csv"), profile: nil),
      ],
      outputs: Pipeline.Outputs(directory: inbox.appendingPathComponent("out").path))
    let summary = PipelineRunner(pipeline: pipeline).run()
    #expect(summary.inputProblems == ["nightly: no file in \(inbox.path) matches '*.csv'"])
    #expect(summary.files.count == 1)
  }

  @Test("an output directory that cannot be made is reported, reading still happens")
  func unwritableOutput() throws {
    let pipeline = Pipeline(
      name: "nowhere",
      inputs: [
        Pipeline.Input(name: "one", path: Repository.fixture("unknown-unit.csv"), profile: nil)
      ],
      outputs: Pipeline.Outputs(directory: "/proc/neuroendo-cannot-write-here"))
    let summary = PipelineRunner(pipeline: pipeline).run()
    #expect(summary.outputFailures.count >= 1)
    #expect(summary.files.first?.samples == 1)
    #expect(!summary.isComplete)
  }

  @Test("the text summary shows each file's balance and the rejection reasons")
  func textSummary() throws {
    var file = FileReadSummary(file: "lab.csv", profile: "p")
    file.records = 3
    file.acceptedRecords = 2
    file.rejectedRecords = 1
    file.samples = 2
    file.count(
      Rejection(
        location: InputLocation(file: "lab.csv", record: 3, column: "unit"),
        reason: .unknownUnit("mg/furlong")))
    let date = Date(timeIntervalSince1970: 0)
    let text = RunSummaryReporter.text(
      RunSummary(pipeline: "p", started: date, finished: date, files: [file]))
    #expect(
      text == """
        lab.csv [p]: 3 records = 2 accepted + 0 partial + 1 rejected; 2 samples, 1 rejections, 0 empty cells
          rejected 1 × unknown-unit: unknown unit 'mg/furlong'
            at record 3 column 'unit'
        total: 1 files (0 failed), 3 records = 2 accepted + 0 partial + 1 rejected; 2 samples, 1 rejections, 0 empty cells
        normalized: 0 of 0 samples in canonical units (0 unit mismatches rejected, 0 duplicates dropped, 0 conflicts flagged)
        analyzed: 0 subject-days (CAR 0, slope 0, cosinor 0); flattened slope: yes 0, no 0, insufficient-data 0; responses: 0; samples excluded from features: 0; feedback findings: info 0, notable 0, marked 0

        """)
  }
}
