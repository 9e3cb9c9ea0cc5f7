import Foundation
import Testing

@testable import NeuroEndoKit

/// A scratch folder with an inbox, for runs of a pipeline over files put in it.
final class Scratch {
  let root: URL

  init(_ name: String = "hostile") throws {
    root = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID())")
    try FileManager.default.createDirectory(
      at: root.appendingPathComponent("inbox"), withIntermediateDirectories: true)
  }

  deinit { try? FileManager.default.removeItem(at: root) }

  func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

  func put(_ name: String, _ text: String) throws {
    try text.write(
      to: root.appendingPathComponent("inbox").appendingPathComponent(name), atomically: true,
      encoding: .utf8)
  }

  /// A pipeline over the inbox, written into `out` with the patients' pages and every
  /// table but the samples as read; `extra` is added at the top level.
  func pipeline(state: Bool = false, extra: String = "") throws -> Pipeline {
    var pipeline = try PipelineLoader.parse(
      """
      version: 1
      \(state ? "state: state" : "")
      inputs:
        - path: inbox
      \(extra.contains("settings:") ? "" : "settings: {reports: {patients: true}}")
      outputs:
        directory: out
        normalized: true
        findings_ndjson: true
      \(extra)
      """, file: root.appendingPathComponent("pipeline.yml").path)
    pipeline.name = "hostile"
    return pipeline
  }

  /// Every file under `relative`, by path, with its bytes.
  func files(under relative: String = "out") -> [String: Data] {
    let base = root.appendingPathComponent(relative)
    var files: [String: Data] = [:]
    let walker = FileManager.default.enumerator(atPath: base.path)
    while let name = walker?.nextObject() as? String {
      var isDirectory: ObjCBool = false
      let full = base.appendingPathComponent(name).path
      if FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory),
        !isDirectory.boolValue
      {
        files[name] = FileManager.default.contents(atPath: full)
      }
    }
    return files
  }
}

/// A LIS export line of morning cortisol for `subject`.
func cortisolLine(_ subject: String, _ value: String, unit: String = "nmol/L", hour: Int = 8)
  -> String
{
  "\(subject),2143-6,\(value),\(unit),2026-03-14T\(hour < 10 ? "0" : "")\(hour):00:00+01:00"
}

let lisHeader = "patient_id,test_code,value,unit,collected_at"

@Suite("Hostile runs: poison records and colliding ids (issue 21)")
struct HostileRunTests {
  @Test("1e308 ug/dL is rejected as value-overflow; the other records are published")
  func overflowOnConversion() throws {
    let scratch = try Scratch()
    try scratch.put(
      "lab.csv",
      [
        lisHeader, cortisolLine("A1", "1e308", unit: "ug/dL"),
        cortisolLine("A2", "12", unit: "ug/dL"),
      ]
      .joined(separator: "\n"))
    let summary = PipelineRunner(pipeline: try scratch.pipeline()).run()
    #expect(summary.outputFailures.isEmpty)
    #expect(summary.normalization.valueOverflows == 1)
    #expect(summary.normalization.normalized == 1)
    let rejections = String(
      decoding: scratch.files()["rejections.csv"] ?? Data(), as: UTF8.self)
    #expect(rejections.contains("value-overflow"))
    #expect(rejections.contains("1e+308 ug/dL") || rejections.contains("1e308 ug/dL"))
    #expect(scratch.files()["reports/patients/A2.json"] != nil)
  }

  @Test(
    "report file names are bounded and never shared: long, escaped, case-folded and suffix-like ids"
  )
  func fileNames() throws {
    let ids = [
      "x", "x.fhir", "X", "s01", "S01", "a/b", "a_b", "..", ".hidden",
      String(repeating: "p", count: 300),
      String(repeating: "p", count: 301), "ü", "u", "C-501", "x~0123456789abcdef01234567",
    ]
    let names = ids.map(PatientReport.fileName)
    // Unique even when case is folded, and with every suffix a report takes.
    let folded = names.flatMap { name in
      ["json", "md", "html", "fhir.json"].map { "\(name).\($0)".lowercased() }
    }
    #expect(Set(folded).count == folded.count)
    for name in names {
      #expect(!name.isEmpty && !name.hasPrefix(".") && !name.contains("/"))
      #expect(name.utf8.count <= 89)
    }
    // Clinic numbers stay as they are; anything else keeps a readable prefix.
    #expect(PatientReport.fileName("C-501") == "C-501")
    #expect(PatientReport.fileName("s01").hasPrefix("s01~"))
    #expect(PatientReport.fileName("a/b").hasPrefix("a_b~"))
  }

  @Test("subjects x and x.fhir, and a 300-character id, each get their own reports")
  func collidingSubjects() throws {
    let scratch = try Scratch()
    let long = String(repeating: "L", count: 300)
    try scratch.put(
      "lab.csv",
      ([lisHeader] + ["x", "x.fhir", long].map { cortisolLine($0, "300") }).joined(separator: "\n"))
    let summary = PipelineRunner(pipeline: try scratch.pipeline()).run()
    #expect(summary.isComplete, "\(summary.outputFailures) \(summary.quarantinedSubjects)")
    let files = scratch.files()
    for subject in ["x", "x.fhir", long] {
      let data = try #require(
        files["reports/patients/\(PatientReport.fileName(subject)).json"], "\(subject)")
      let report = try JSONDecoder().decode(PatientReport.self, from: data)
      #expect(report.subjectID == subject)
    }
  }
}

@Suite("Markdown reports of hostile ids (issue 21)")
struct HostileMarkdownTests {
  @Test("a subject id and a label with HTML reach the Markdown report escaped")
  func escapedReport() throws {
    let scratch = try Scratch()
    let subject = "<img src=x onerror=alert(1)>"
    try scratch.put(
      "lab.csv",
      [lisHeader, "\"\(subject)\",2143-6,300,nmol/L,2026-03-14T08:00:00+01:00"].joined(
        separator: "\n"))
    let summary = PipelineRunner(pipeline: try scratch.pipeline()).run()
    #expect(summary.isComplete)
    let markdown = String(
      decoding: try #require(
        scratch.files()["reports/patients/\(PatientReport.fileName(subject)).md"]),
      as: UTF8.self)
    #expect(!markdown.contains("<img"))
    #expect(
      markdown.contains("# Endocrine laboratory report: patient &lt;img src=x onerror=alert(1)&gt;")
    )
  }
}

@Suite("A subject whose reports fail is quarantined (issue 21)")
struct QuarantinedSubjectTests {
  @Test(
    "the others are published, the summary names it, and the run is incomplete (exit 1); in partitions too, the counts agreeing",
    arguments: [(3, nil), (8, 4)] as [(Int, Int?)])
  func quarantine(subjects count: Int, partitions: Int?) throws {
    let scratch = try Scratch()
    let subjects = (1...count).map { "Q\($0)" }
    try scratch.put(
      "lab.csv", ([lisHeader] + subjects.map { cortisolLine($0, "300") }).joined(separator: "\n"))
    var runner = PipelineRunner(pipeline: try scratch.pipeline(), partitions: partitions)
    runner.failReports = ["Q2"]
    let summary = runner.run()
    #expect(summary.outputFailures.isEmpty)
    #expect(!summary.isComplete)
    #expect(summary.quarantinedSubjects.count == 1)
    #expect(
      summary.quarantinedSubjects.first?.hasPrefix("Q2: its reports could not be rendered") == true)
    #expect(summary.outputRows["reports"] == count - 1)
    let files = scratch.files()
    for subject in subjects where subject != "Q2" {
      #expect(files["reports/patients/\(subject).html"] != nil, "\(subject)")
    }
    #expect(!files.keys.contains { $0.hasPrefix("reports/patients/Q2.") })
    #expect(RunSummaryReporter.text(summary).contains("quarantined subject: Q2: its reports"))
    // The published summary names it once, in a run in partitions as in a whole run.
    let published = String(decoding: files["run-summary.json"] ?? Data(), as: UTF8.self)
    #expect(published.contains("\"Q2: its reports could not be rendered"))
    // The cohort page lists it without a link to the pages that were not written; the
    // others keep theirs.
    let page = String(decoding: files["reports/cohort.html"] ?? Data(), as: UTF8.self)
    #expect(!page.contains("href=\"patients/Q2.html\""))
    #expect(page.contains("<td>Q2</td>"))
    #expect(page.contains("href=\"patients/Q1.html\""))
    let cohort = try JSONDecoder().decode(
      CohortReport.self, from: try #require(files["reports/cohort.json"]))
    #expect(cohort.patients.count == count)
    #expect(cohort.patients.filter { $0.file == nil }.map(\.subjectID) == ["Q2"])
  }
}
