import Foundation
import Testing

/// The feature tables' reasons are short codes, each explained once in the run summary
/// (issue 26, point 1).
@Suite("Reason codes and their legend")
struct ReasonLegendTests {
  @Test("every code of the feature tables is in the summary's legend, with its count")
  func legendCoversTheTables() throws {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent(
      "neuroendo-reasons-\(UUID())")
    defer { try? FileManager.default.removeItem(at: out) }
    let run = try neuroendo(["run", "--verbose", "Pipelines/sample.yml", "--out", out.path])
    #expect(run.status == 0, "\(run.error)")
    var codes = Set<String>()
    for table in ["features-subject-day.csv", "features-response.csv"] {
      let text = try String(contentsOf: out.appendingPathComponent(table), encoding: .utf8)
      for line in text.split(separator: "\n").dropFirst() {
        // The reason is the last column; codes hold no comma, so it is never quoted.
        let reason = line.split(separator: ",", omittingEmptySubsequences: false).last ?? ""
        for code in reason.split(separator: ";") {
          let code = code.trimmingCharacters(in: .whitespaces)
          #expect(code.wholeMatch(of: /[a-z0-9_]+:[a-z0-9-]+/) != nil, "'\(code)' in \(table)")
          codes.insert(code)
        }
      }
    }
    #expect(codes.count >= 5, "\(codes)")
    let summary =
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: out.appendingPathComponent("run-summary.json"))) as? [String: Any]
    let legend = try #require(summary?["reasonCodes"] as? [String: String])
    #expect(Set(legend.keys) == codes)
    #expect(legend.values.allSatisfy { $0.count > 20 && !$0.contains("no explanation known") })
    let counts = try #require(
      (summary?["analysis"] as? [String: Any])?["reasons"] as? [String: Int])
    #expect(Set(counts.keys) == codes)
    // The text summary explains each once.
    for code in codes {
      #expect(run.output.components(separatedBy: "reason \(code) (").count == 2, "\(code)")
    }
  }
}
