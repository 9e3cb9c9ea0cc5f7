import Foundation
import Testing

@testable import NeuroEndoKit

@Suite("The cohort report covers what studies measure (issue 23, point 10)")
struct CohortResponseTests {
  /// BioPsyKit's example data through a whole run, and the cohort report it writes.
  private func run() throws -> (report: CohortReport, html: String) {
    let output = FileManager.default.temporaryDirectory.appendingPathComponent(
      "neuroendo-cohort-\(UUID())")
    defer { try? FileManager.default.removeItem(at: output) }
    let yaml = """
      version: 1
      inputs:
        - path: \(Repository.bioPsyKitSample)
          profile: \(Repository.path("Pipelines/profiles/biopsykit-cortisol.yml"))
      settings:
        analyze:
          response: {anchor: stressor}
      outputs:
        directory: \(output.path)
      """
    let pipeline = try PipelineLoader.parse(yaml, file: output.path + ".yml")
    _ = PipelineRunner(pipeline: pipeline).run()
    let json = try Data(contentsOf: output.appendingPathComponent("reports/cohort.json"))
    let html = try String(
      contentsOf: output.appendingPathComponent("reports/cohort.html"), encoding: .utf8)
    return (try JSONDecoder().decode(CohortReport.self, from: json), html)
  }

  @Test("BioPsyKit's example: 26 subjects, a curve per condition with mean and SE at each time")
  func bioPsyKit() throws {
    let (report, html) = try run()
    #expect(report.subjects == 26)
    #expect(report.patients.allSatisfy { $0.responses == 1 })
    // The means and standard errors, worked out here from the CSV itself.
    let rows = try String(contentsOfFile: Repository.bioPsyKitSample, encoding: .utf8)
      .split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
    let conditions = Set(rows.map { $0[1] }).sorted()
    #expect(report.responses.map(\.condition) == conditions)
    let minutes: [Double] = [-30, -1, 30, 40, 50, 60, 70]
    for curve in report.responses {
      #expect(curve.points.map(\.minutes) == minutes)
      let group = rows.filter { $0[1] == curve.condition }
      for (column, point) in curve.points.enumerated() {
        let values = group.compactMap { Double($0[column + 2]) }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance =
          values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)
        #expect(point.n == values.count)
        #expect(abs(point.mean - mean) < 1e-9)
        #expect(abs(point.se! - (variance / Double(values.count)).squareRoot()) < 1e-9)
      }
    }
    // The chart: a line per condition with its error bars, and a legend.
    #expect(
      html.components(separatedBy: "<polyline class=\"response\"").count - 1 == conditions.count)
    #expect(html.components(separatedBy: "<line class=\"error-bar\"").count - 1 == 14)
    #expect(html.contains("Responses to the protocol event"))
    #expect(!html.contains("0 subjects"))
  }

  @Test("the slope histogram has a count axis")
  func histogramAxis() {
    let report = CohortReport(
      generator: "g", run: "r", subjects: 3, subjectDays: 6, patterns: [], verdicts: ["no": 3],
      flattenedThreshold: -0.1, slopes: nil,
      slopeHistogram: [
        CohortReport.Bin(low: -0.15, high: -0.125, count: 2),
        CohortReport.Bin(low: -0.125, high: -0.1, count: 1),
      ], features: [], patients: [])
    let svg = report.histogramSVG()
    #expect(svg.contains("<line class=\"y-axis\""))
    #expect(svg.contains(">subjects</text>"))
    #expect(svg.contains("text-anchor=\"end\">2</text>"))
    #expect(!svg.contains(">0.5</text>"))  // whole counts only
  }
}
