import Foundation
import Testing

@testable import NeuroEndoKit

@Suite("Audits of messy spreadsheet exports (issue 24, point 10)")
struct MessyExportTests {
  private let file = Repository.fixture("messy/spreadsheet-export.csv")

  private func audit(_ extra: (inout Pipeline) -> Void = { _ in }) throws -> (
    summary: RunSummary, audit: AuditReport, markdown: String, rejections: [String]
  ) {
    let profile = try ProfileLoader.load(file: Repository.fixture("messy/spreadsheet-export.yml"))
    let out = FileManager.default.temporaryDirectory.appendingPathComponent(
      "neuroendo-messy-\(UUID())")
    defer { try? FileManager.default.removeItem(at: out) }
    var pipeline = Pipeline.adHoc(
      files: [file], format: .csv, profile: profile, outputDirectory: out.path)
    extra(&pipeline)
    let summary = PipelineRunner(pipeline: pipeline).run(auditOnly: true)
    let audit = try JSONDecoder().decode(
      AuditReport.self, from: Data(contentsOf: out.appendingPathComponent("audit.json")))
    return (
      summary, audit,
      try String(contentsOf: out.appendingPathComponent("audit.md"), encoding: .utf8),
      try String(contentsOf: out.appendingPathComponent("rejections.csv"), encoding: .utf8)
        .split(separator: "\n").dropFirst().map(String.init)
    )
  }

  @Test("a BOM, a title line, semicolons, decimal commas and dd.mm.yyyy hh:mm times")
  func spreadsheet() throws {
    let (summary, audit, markdown, rejections) = try audit()
    let read = try #require(audit.files.first)
    // The dialect detected or used, and the header's line.
    #expect(
      read.dialect
        == FileReadSummary.Dialect(
          encoding: "utf-8", byteOrderMark: true, delimiter: ";", delimiterDetected: true,
          decimal: "comma", headerLine: 2))
    #expect(read.ignoredColumns == ["Arzt"])
    #expect(
      markdown.contains(
        "- read as: utf-8 with a byte-order mark, delimiter `;` (detected), decimal comma, header on line 2"
      ))
    // Six records: two read (2,4 mIU/L and 15,9 pmol/L at 18.03.2026 08:10), two values
    // not measured (n.a., -) passed over as empty cells, two rejected.
    #expect(
      read.counts
        == AuditReport.Counts(records: 6, accepted: 2, partial: 0, rejected: 2, skipped: 2))
    #expect(read.emptyCells == 2 && read.emptyCellsByColumn == ["Ergebnis": 2])
    #expect(summary.totals.samples == 2)
    #expect(rejections.count == 2)
    #expect(rejections.contains { $0.contains(",7,Ergebnis,unparsable-value,") })
    #expect(rejections.contains { $0.contains(",8,Datum,unparsable-time,") })
  }

  @Test("header_row and skip_lines: one is enough, both must agree")
  func headerRow() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "neuroendo-header-row-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    func load(_ csv: String) throws -> CSVProfile {
      let path = directory.appendingPathComponent("p.yml").path
      try "version: 1\nshape: lis-long\ncsv: {\(csv)}\n".write(
        toFile: path, atomically: true, encoding: .utf8)
      return try ProfileLoader.load(file: path)
    }
    #expect(try load("header_row: 3").skipLines == 2)
    #expect(try load("skip_lines: 1").skipLines == 1)
    #expect(throws: ConfigIssues.self) { try load("header_row: 3, skip_lines: 1") }
    #expect(throws: ConfigIssues.self) { try load("header_row: 0") }
  }

  @Test("the default missing-value tokens")
  func missingTokens() {
    for token in ["", "NA", "n.a.", "N/A", "-", "--", "NaN", "null"] {
      #expect(CSVProfile.defaultMissingTokens.contains(token), "\(token)")
    }
  }

  @Test("audit.md lists the first locations of a reason and says how many more")
  func locationCap() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "neuroendo-cap-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let input = directory.appendingPathComponent("lab.csv").path
    let rows = (1...30).map { "P-\($0),3016-3,abc,mIU/L,2026-03-14T08:00:00+01:00" }
    try (["patient_id,test_code,value,unit,collected_at"] + rows).joined(separator: "\n")
      .write(toFile: input, atomically: true, encoding: .utf8)
    let out = directory.appendingPathComponent("out").path
    _ = PipelineRunner(
      pipeline: Pipeline.adHoc(files: [input], format: .csv, profile: nil, outputDirectory: out)
    ).run(auditOnly: true)
    let markdown = try String(contentsOfFile: out + "/audit.md", encoding: .utf8)
    #expect(markdown.contains("and 10 more (the first 20 are listed)"))
    let rejected = try String(contentsOfFile: out + "/rejections.csv", encoding: .utf8)
    #expect(rejected.split(separator: "\n").count == 31)  // every record, beyond the cap
  }
}
