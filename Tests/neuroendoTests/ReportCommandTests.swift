import Foundation
import Testing

/// A patient's pages on demand (issue 26, point 1): what a whole run with patient reports
/// writes for them, byte for byte, without writing anything else.
@Suite("neuroendo report: some patients' pages on demand")
struct ReportCommandTests {
  @Test(
    "the pages of two subjects equal a whole run's; an unknown subject is said, the rest written")
  func pagesOnDemand() throws {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent(
      "neuroendo-report-\(UUID())"
    ).path
    defer { try? FileManager.default.removeItem(atPath: base) }
    let environment = ["SOURCE_DATE_EPOCH": "1773900000"]
    let whole = try neuroendo(
      ["run", "Pipelines/sample.yml", "--out", base + "/whole"], environment: environment)
    #expect(whole.status == 0)
    let pages = try neuroendo(
      ["report", "Pipelines/sample.yml", "C-501", "W101", "NOPE", "--out", base + "/pages"],
      environment: environment)
    #expect(pages.status == 1)
    #expect(pages.error.contains("subject 'NOPE': no sample in the inputs; no pages written"))
    #expect(pages.output == "wrote the pages of 2 subjects: \(base)/pages/reports/patients\n")
    let written = try FileManager.default.contentsOfDirectory(
      atPath: base + "/pages/reports/patients"
    ).sorted()
    #expect(
      written == [
        "C-501.fhir.json", "C-501.html", "C-501.json", "C-501.md", "W101.html", "W101.json",
        "W101.md",
      ])
    for name in written {
      let one = try Data(contentsOf: URL(fileURLWithPath: base + "/whole/reports/patients/" + name))
      let other = try Data(
        contentsOf: URL(fileURLWithPath: base + "/pages/reports/patients/" + name))
      #expect(one == other, "\(name) differs from the whole run's")
    }
    // Nothing else: no table, no cohort page, no audit.
    let top = try FileManager.default.contentsOfDirectory(atPath: base + "/pages").filter {
      !$0.hasPrefix(".")
    }
    #expect(Set(top) == ["reports", "run-summary.json"])
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: base + "/pages/reports") == ["patients"])
    // Wrong usage: no subject.
    #expect(
      try neuroendo(["report", "Pipelines/sample.yml", "--out", base + "/none"]).status == 64)
    // A run's own folder is refused: its tables and cohort report are never replaced.
    let into = try neuroendo(["report", "Pipelines/sample.yml", "C-501", "--out", base + "/whole"])
    #expect(into.status == 64)
    #expect(into.error.contains("holds the outputs of a run"))
    #expect(FileManager.default.fileExists(atPath: base + "/whole/reports/cohort.html"))
    // No subject found: nothing published.
    let none = try neuroendo(["report", "Pipelines/sample.yml", "NOPE", "--out", base + "/empty"])
    #expect(none.status == 1)
    #expect(!FileManager.default.fileExists(atPath: base + "/empty/run-summary.json"))
  }
}
