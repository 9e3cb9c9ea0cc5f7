import Foundation
import Testing

@testable import NeuroEndoKit

/// A small LIS export of one subject: TSH and FT4 at 08:00 on `day` of March 2026.
private func export(_ subject: String, tsh: Double, day: Int = 14, extra: String = "") -> String {
  """
  patient_id,test_code,value,unit,collected_at
  \(subject),3016-3,\(tsh),mIU/L,2026-03-\(day)T08:00:00+01:00
  \(subject),3024-7,15.2,pmol/L,2026-03-\(day)T08:00:00+01:00
  \(subject),9999-9,1,mIU/L,2026-03-\(day)T08:00:00+01:00
  \(extra)
  """
}

private let tables = [
  "samples.csv", "rejections.csv", "normalized-samples.csv", "normalized-samples.ndjson",
  "features-subject-day.csv", "features-subject.csv", "features-response.csv", "findings.csv",
  "findings.ndjson",
]

@Suite("Incremental runs with a state directory")
struct IncrementalRunTests {
  private func pipeline(_ root: URL, state: Bool, output: String) throws -> Pipeline {
    var pipeline = try PipelineLoader.parse(
      """
      version: 1
      \(state ? "state: state" : "")
      inputs:
        - path: inbox
      settings:
        reports:
          patients: true
      outputs:
        directory: \(output)
        samples: true
        normalized: true
        normalized_ndjson: true
        findings_ndjson: true
      """, file: root.appendingPathComponent("nightly.yml").path)
    pipeline.name = "nightly"
    return pipeline
  }

  @Test(
    "after new, changed and vanished files, the tables equal a full run over the latest content")
  func equalsFullRun() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("night-\(UUID())")
    defer { try? FileManager.default.removeItem(at: root) }
    let inbox = root.appendingPathComponent("inbox")
    try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
    func put(_ name: String, _ text: String) throws {
      try text.write(to: inbox.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }
    let nightly = try pipeline(root, state: true, output: "out")
    // Night 1: A and B.
    try put("a.csv", export("A", tsh: 9.1))
    try put("b.csv", export("B", tsh: 2.0))
    let first = PipelineRunner(pipeline: nightly).run()
    #expect(first.incremental?.new == 2)
    // Night 2: nothing new: no output changes.
    let before = try Data(contentsOf: root.appendingPathComponent("out/run-summary.json"))
    let quiet = PipelineRunner(pipeline: nightly).run()
    #expect(quiet.nothingNew)
    #expect(quiet.incremental?.unchanged == 2)
    #expect(try Data(contentsOf: root.appendingPathComponent("out/run-summary.json")) == before)
    // Night 3: B changed (a second day), C new.
    try put("b.csv", export("B", tsh: 2.0, extra: "B,3016-3,6.5,mIU/L,2026-03-15T08:00:00+01:00"))
    try put("c.csv", export("C", tsh: 0.1))
    let third = PipelineRunner(pipeline: nightly).run()
    #expect(third.incremental == .init(new: 1, changed: 1, unchanged: 1, vanished: 0))
    // Every patient's report is written from this run's data (none is read back from the
    // published outputs).
    func reportRun(_ subject: String) throws -> String {
      let data = try Data(
        contentsOf: root.appendingPathComponent("out/reports/patients/\(subject).json"))
      return try JSONDecoder().decode(PatientReport.self, from: data).run
    }
    #expect(try reportRun("A") == third.run)
    #expect(try reportRun("B") == third.run)
    #expect(try reportRun("C") == third.run)
    // The state keeps the results; B's day-14 finding was first reported on the first night.
    let store = try StateStore(directory: root.appendingPathComponent("state").path)
    #expect(try store.count("normalizedSample") == 7)
    #expect(try store.count("feature") == 0)  // serum results: no cortisol days
    #expect(try store.count("finding") == 3)  // A, B and C each have a TSH-FT4 pair
    let bReport = try JSONDecoder().decode(
      PatientReport.self,
      from: Data(contentsOf: root.appendingPathComponent("out/reports/patients/B.json")))
    #expect(bReport.findings.map(\.firstReported) == [first.run])
    #expect(PatientReportRenderer.markdown(bReport).contains("first reported in run \(first.run)"))
    // Night 4: A vanished from the inbox; its data stay.
    let aContent = try String(contentsOf: inbox.appendingPathComponent("a.csv"), encoding: .utf8)
    try FileManager.default.removeItem(at: inbox.appendingPathComponent("a.csv"))
    try put("d.csv", export("D", tsh: 3.3))
    let fourth = PipelineRunner(pipeline: nightly).run()
    #expect(fourth.incremental == .init(new: 1, changed: 0, unchanged: 2, vanished: 1))
    #expect(fourth.isComplete)
    // The full run over the latest content of every file seen, A included.
    try put("a.csv", aContent)
    let full = PipelineRunner(pipeline: try pipeline(root, state: false, output: "full")).run()
    #expect(full.isComplete)
    for table in tables {
      let incremental = try String(
        contentsOf: root.appendingPathComponent("out/\(table)"), encoding: .utf8)
      let expected = try String(
        contentsOf: root.appendingPathComponent("full/\(table)"), encoding: .utf8)
      #expect(incremental == expected, "\(table)")
    }
    // No sample twice: B's first content was replaced, not added to.
    let samples = try String(
      contentsOf: root.appendingPathComponent("out/samples.csv"), encoding: .utf8)
    #expect(samples.split(separator: "\n").count == 1 + 9)
  }

  @Test("an unreadable file is quarantined in the ledger and read again only when it changes")
  func quarantine() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("night-\(UUID())")
    defer { try? FileManager.default.removeItem(at: root) }
    let inbox = root.appendingPathComponent("inbox")
    try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
    try "patient_id,test_code,value,unit,collected_at\n\"broken".write(
      to: inbox.appendingPathComponent("bad.csv"), atomically: true, encoding: .utf8)
    let nightly = try pipeline(root, state: true, output: "out")
    let first = PipelineRunner(pipeline: nightly).run()
    let store = try StateStore(directory: root.appendingPathComponent("state").path)
    #expect(try store.entries().values.map(\.outcome) == ["quarantined"])
    #expect(first.files.first?.failure != nil)
    let second = PipelineRunner(pipeline: nightly).run()
    #expect(second.incremental?.unchanged == 1)
    #expect(second.nothingNew)
  }

  @Test("the schema migrates a database of the first version")
  func migration() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("state-\(UUID())")
    defer { try? FileManager.default.removeItem(at: directory) }
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    // A database as version 1 left it: the ledger without the run table.
    let old = try StateStore(directory: directory.path, upTo: "v1: ledger and file data")
    #expect(try old.hasTable("inputFile"))
    #expect(try !old.hasTable("run"))
    let store = try StateStore(directory: directory.path)
    #expect(try store.hasTable("run"))
    try store.recordRun(id: "r1", started: "2026-11-26T02:15:00Z", new: 1, changed: 0, vanished: 0)
    #expect(try store.lastRun() == "2026-11-26T02:15:00Z")
  }
}
