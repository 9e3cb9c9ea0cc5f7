import Foundation
import NeuroEndoKit
import Testing

/// The text of every output file of `directory`, comparable between two runs over the same
/// data: run ids, times and the folder masked, the lock file left out, and the summary
/// without what says what this run did (notes, counts of new files, timings).
private func comparable(_ directory: URL) throws -> [String: String] {
  var result: [String: String] = [:]
  let walker = FileManager.default.enumerator(atPath: directory.path)
  while let name = walker?.nextObject() as? String {
    var isDirectory: ObjCBool = false
    let path = directory.appendingPathComponent(name).path
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
      !isDirectory.boolValue, name != ".neuroendo.lock"
    else { continue }
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    var text = String(decoding: data, as: UTF8.self)
    if name == "run-summary.json" {
      var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
      // (notWritten names the pipeline file, which differs between the two pipelines.)
      for key in [
        "notes", "incremental", "nothingNew", "unchangedSince", "started", "finished", "notWritten",
      ] {
        object[key] = nil
      }
      text = String(
        decoding: try JSONSerialization.data(
          withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]),
        as: UTF8.self)
    }
    text = text.replacingOccurrences(of: directory.path, with: "OUT")
    if name == ".neuroendo-outputs" {
      // File sizes change with the run ids written in the files.
      text = text.replacingOccurrences(
        of: #"(?m)^[0-9]+ "#, with: "SIZE ", options: .regularExpression)
    }
    text = text.replacingOccurrences(
      of: #"[0-9]{8}T[0-9]{6}Z-[0-9.]+"#, with: "RUN", options: .regularExpression)
    text = text.replacingOccurrences(
      of: #"20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z"#, with: "TIME", options: .regularExpression)
    result[name] = text
  }
  return result
}

/// A LIS export `index` of `rows` results: morning and evening cortisol, TSH and free T4 for
/// 20 subjects over several days; `variant` changes its values.
private func export(_ index: Int, rows: Int = 400, variant: Int = 0) -> String {
  var text = "patient_id,test_code,value,unit,collected_at\n"
  let tests = [
    ("2143-6", "nmol/L", 380.0, 8), ("2143-6", "nmol/L", 90.0, 22),
    ("3016-3", "mIU/L", 2.0, 8), ("3024-7", "pmol/L", 14.0, 8),
  ]
  for row in 0..<rows {
    let (code, unit, base, hour) = tests[row % 4]
    let subject = "N\(index)-\(row / 4 % 20)"
    let value = base * (1 + Double((row * 7 + variant * 13) % 29) / 20)
    text += "\(subject),\(code),\(value),\(unit),2026-03-\(10 + row / 80 % 9)T\(hour):00:00+01:00\n"
  }
  return text
}

private func copy(_ from: URL, to: URL) throws {
  try? FileManager.default.removeItem(at: to)
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/bin/cp")
  process.arguments = ["-a", from.path, to.path]
  try process.run()
  process.waitUntilExit()
}

@Suite("neuroendo against kills, planted files and damaged states (issue 21)")
struct HostileCommandLineTests {
  @Test(
    "an incremental run killed at many moments after earlier nights: the next run equals an unkilled one, file for file"
  )
  func killsAfterEarlierNights() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let inbox = directory.appendingPathComponent("inbox")
    try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
    func put(_ index: Int, variant: Int = 0) throws {
      try export(index, variant: variant).write(
        to: inbox.appendingPathComponent("export-\(index).csv"), atomically: true,
        encoding: .utf8)
    }
    func pipeline(_ name: String) throws -> String {
      let file = directory.appendingPathComponent("\(name).yml")
      try """
      version: 1
      name: nightly
      state: state-\(name)
      inputs:
        - path: inbox
      outputs:
        directory: out-\(name)
        samples: true
      """.write(to: file, atomically: true, encoding: .utf8)
      return file.path
    }
    let reference = try pipeline("reference")
    let killed = try pipeline("killed")
    // Night 1, published by both.
    for index in 0..<6 { try put(index) }
    #expect(try neuroendo("run", reference).status == 0)
    #expect(try neuroendo("run", killed).status == 0)
    for name in ["state-killed", "out-killed"] {
      try copy(
        directory.appendingPathComponent(name),
        to: directory.appendingPathComponent("night1-" + name))
    }
    // Night 2: a changed file, two new ones, one vanished.
    try put(1, variant: 1)
    try put(6)
    try put(7)
    try FileManager.default.removeItem(at: inbox.appendingPathComponent("export-2.csv"))
    let started = Date()
    #expect(try neuroendo("run", reference).status == 0)
    let took = Date().timeIntervalSince(started)
    let expected = try comparable(directory.appendingPathComponent("out-reference"))
    let kills = Int(ProcessInfo.processInfo.environment["NEUROENDO_KILLS"] ?? "") ?? 8
    var interrupted = 0
    for round in 1...kills {
      // Night 1's state and outputs again, then night 2 killed at a moment of the run.
      for name in ["state-killed", "out-killed"] {
        try copy(
          directory.appendingPathComponent("night1-" + name),
          to: directory.appendingPathComponent(name))
      }
      if try neuroendoKilled(after: took * Double(round) / Double(kills + 1), "run", killed) {
        interrupted += 1
      }
      let next = try neuroendo("run", killed)
      #expect(next.status == 0, "round \(round): \(next.error)")
      let actual = try comparable(directory.appendingPathComponent("out-killed"))
      #expect(Set(actual.keys) == Set(expected.keys), "round \(round)")
      let differing = expected.keys.filter { actual[$0] != expected[$0] }.sorted()
      #expect(differing.isEmpty, "round \(round): \(differing.prefix(5))")
      // And the night after is quiet.
      #expect(try neuroendo("run", killed).output.contains(": nothing new: "), "round \(round)")
    }
    #expect(interrupted >= kills / 2)
  }

  @Test("state rebuild keeps the damaged state, names the data lost, and rebuilds")
  func stateRebuild() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let inbox = directory.appendingPathComponent("inbox")
    try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
    try export(0, rows: 40).write(
      to: inbox.appendingPathComponent("a.csv"), atomically: true, encoding: .utf8)
    try export(1, rows: 40).write(
      to: inbox.appendingPathComponent("b.csv"), atomically: true, encoding: .utf8)
    let pipeline = directory.appendingPathComponent("nightly.yml")
    try """
    version: 1
    state: state
    inputs:
      - path: inbox
    outputs:
      directory: out
    """.write(to: pipeline, atomically: true, encoding: .utf8)
    #expect(try neuroendo("run", pipeline.path).status == 0)
    try FileManager.default.removeItem(at: inbox.appendingPathComponent("b.csv"))
    // The state is cut in half by a full disk.
    let database = directory.appendingPathComponent("state/neuroendo-state.sqlite")
    let data = try Data(contentsOf: database)
    try data.prefix(data.count / 3).write(to: database)
    let damaged = try neuroendo("run", pipeline.path)
    #expect(damaged.status == 70)
    #expect(damaged.error.contains("is damaged"))
    #expect(damaged.error.contains("neuroendo state rebuild"))
    #expect(try neuroendo("run", pipeline.path, "--rebuild").status == 70)
    let rebuilt = try neuroendo("state", "rebuild", pipeline.path)
    #expect(rebuilt.status == 0, "\(rebuilt.error)")
    #expect(rebuilt.output.contains("kept the previous state as"))
    let kept = try FileManager.default.contentsOfDirectory(
      atPath: directory.appendingPathComponent("state").path
    ).filter { $0.contains(".damaged-") }
    #expect(kept.count == 1)
    // The ledger could not be read whole, or it named b.csv: either way the loss is said.
    #expect(
      rebuilt.output.contains("b.csv") || rebuilt.output.contains("could not be read"),
      "\(rebuilt.output)")
    #expect(try neuroendo("run", pipeline.path).output.contains(": nothing new: "))
  }

  @Test("--out . in a project folder is refused (exit 64) and the folder is untouched")
  func outIntoProject() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let project = directory.appendingPathComponent("project")
    try FileManager.default.createDirectory(
      at: project.appendingPathComponent("reports"), withIntermediateDirectories: true)
    try "mine".write(
      to: project.appendingPathComponent("reports/paper.md"), atomically: true, encoding: .utf8)
    try "swap".write(
      to: project.appendingPathComponent(".paper.md.12.tmp"), atomically: true, encoding: .utf8)
    let result = try neuroendo(
      "analyze", root.appendingPathComponent("SampleData/lis/labnord-results-2026-03-15.csv").path,
      "--out", project.path)
    #expect(result.status == 64)
    #expect(result.error.contains("holds files NeuroEndo did not write"))
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: project.path).sorted() == [
        ".paper.md.12.tmp", "reports",
      ])
    #expect(
      try FileManager.default.contentsOfDirectory(
        atPath: project.appendingPathComponent("reports").path) == ["paper.md"])
  }

  @Test("an invalid --time-zone is a usage error (exit 64), nothing written")
  func invalidTimeZone() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let result = try neuroendo(
      "analyze", root.appendingPathComponent("SampleData/lis/labnord-results-2026-03-15.csv").path,
      "--time-zone", "Mars/Olympus", "--out", directory.appendingPathComponent("out").path)
    #expect(result.status == 64)
    #expect(result.error.contains("Mars/Olympus"))
    #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("out").path))
  }

  @Test("outputs are owner-only under umask 022; settings.run.group_read gives the group read")
  func groupRead() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let inbox = directory.appendingPathComponent("inbox")
    try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
    try export(0, rows: 40).write(
      to: inbox.appendingPathComponent("a.csv"), atomically: true, encoding: .utf8)
    func mode(_ path: String) -> mode_t {
      var status = stat()
      _ = lstat(path, &status)
      return status.st_mode & 0o777
    }
    let previous = umask(0o022)
    defer { umask(previous) }
    for (name, group) in [("private", false), ("shared", true)] {
      let pipeline = directory.appendingPathComponent("\(name).yml")
      try """
      version: 1
      state: state-\(name)
      inputs:
        - path: inbox
      settings:
        reports:
          patients: true
        run:
          group_read: \(group)
      outputs:
        directory: out-\(name)
      """.write(to: pipeline, atomically: true, encoding: .utf8)
      #expect(try neuroendo("run", pipeline.path).status == 0)
      let out = directory.appendingPathComponent("out-\(name)").path
      let (file, folder): (mode_t, mode_t) = group ? (0o640, 0o750) : (0o600, 0o700)
      #expect(mode(out) == folder)
      #expect(mode(out + "/reports/patients") == folder)
      #expect(mode(out + "/findings.csv") == file)
      #expect(mode(out + "/reports/patients/N0-0.html") == file)
      #expect(mode(directory.appendingPathComponent("state-\(name)").path) == folder)
      #expect(
        mode(directory.appendingPathComponent("state-\(name)/neuroendo-state.sqlite").path) == file)
    }
  }
}
