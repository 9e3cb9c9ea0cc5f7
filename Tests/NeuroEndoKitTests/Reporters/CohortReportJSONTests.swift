import Foundation
import Testing

@testable import NeuroEndoKit

@Suite("cohort report JSON without Foundation's encoder")
struct CohortReportJSONTests {
  @Test("the sample pipeline's cohort report: the same bytes as JSONEncoder writes")
  func samplePipeline() throws {
    let output = FileManager.default.temporaryDirectory.appendingPathComponent(
      "neuroendo-cohort-json-\(UUID())"
    ).path
    defer { try? FileManager.default.removeItem(atPath: output) }
    let pipeline = try PipelineLoader.load(file: Repository.path("Pipelines/sample.yml"))
    _ = PipelineRunner(pipeline: pipeline).run(outputDirectory: output)
    let data = try #require(FileManager.default.contents(atPath: output + "/reports/cohort.json"))
    let report = try JSONDecoder().decode(CohortReport.self, from: data)
    // 32 subjects with a patient report and the stress-test study's 3, counted without one.
    #expect(report.patients.count == 35 && !report.patterns.isEmpty && report.slopes != nil)
    #expect(report.patients.filter { $0.file == nil }.map(\.subjectID) == ["T01", "T02", "T03"])
    #expect(!report.responses.isEmpty)
    #expect(report.prettyJSON == JSONDocument.text(report))
    #expect(String(decoding: data, as: UTF8.self) == report.prettyJSON)
  }

  @Test("empty lists, no slopes, awkward ids and numbers: the same bytes as JSONEncoder writes")
  func edges() {
    var report = CohortReport(
      generator: "NeuroEndo test", run: "r/1", subjects: 0, subjectDays: 0, patterns: [],
      verdicts: [:], flattenedThreshold: -0.1, slopes: nil, slopeHistogram: [], features: [],
      patients: [])
    #expect(report.prettyJSON == JSONDocument.text(report))
    report.patients = [
      CohortReport.Patient(
        subjectID: "Zoë \"7\"/\\\n", file: nil, days: 0, findings: 2, marked: 1, flattened: nil),
      CohortReport.Patient(
        subjectID: "S-1", file: "S-1", days: 5, findings: 0, marked: 0, flattened: "yes"),
    ]
    report.verdicts = ["yes": 1, "insufficient-data": 0, "No": 3]
    report.slopes = CohortReport.Summary(
      name: "slope_log", unit: "ln(nmol/L) per h", n: 2, median: 1e-7, q1: -0.0, q3: 12)
    report.features = [report.slopes!, report.slopes!]
    report.slopeHistogram = [CohortReport.Bin(low: -1e300, high: 0.1, count: 3)]
    report.patterns = [
      CohortReport.PatternCount(axis: "HPT", pattern: "a, b", severity: "marked", count: 9)
    ]
    #expect(report.prettyJSON == JSONDocument.text(report))
  }
}

@Suite("cohort inputs of a shard without Foundation's encoder")
struct CohortInputsJSONTests {
  @Test("a shard's cohort inputs read back equal, awkward values too, as JSONEncoder's would")
  func roundTrip() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent(
      "neuroendo-inputs-\(UUID())"
    ).path
    defer { try? FileManager.default.removeItem(atPath: root) }
    let pipeline = try PipelineLoader.load(file: Repository.path("Pipelines/sample.yml"))
    let summary = PipelineRunner(pipeline: pipeline, shard: Shard(index: 1, count: 2)).run(
      outputDirectory: root)
    #expect(summary.outputFailures.isEmpty)
    let text = try String(
      contentsOfFile: "\(root)/\(OutputWriter.shardFolder)/\(OutputWriter.cohortInputs)",
      encoding: .utf8)
    var inputs = try JSONDecoder().decode(CohortReport.Inputs.self, from: Data(text.utf8))
    #expect(!inputs.patients.isEmpty && !inputs.band.isEmpty && inputs.subjectDays > 0)
    #expect(inputs.compactJSON == text)
    #expect(text == JSONLines.line(inputs))  // the bytes JSONEncoder writes
    inputs.patients.append(
      CohortReport.Patient(
        subjectID: "Zoë \"7\"/\\\n\u{1}", file: nil, days: 0, findings: 1, marked: 0,
        flattened: nil))
    inputs.features["car_auc_g", default: []] += [1e-300, -0.0, 0.1 + 0.2, 12, 1e22]
    inputs.band[99] = PatientReport.CohortBand.Values(
      values: [Double.leastNonzeroMagnitude, 3], subjects: 2)
    inputs.verdicts["insufficient-data"] = 4
    let back = try JSONDecoder().decode(
      CohortReport.Inputs.self, from: Data(inputs.compactJSON.utf8))
    #expect(back == inputs)
    #expect(inputs.compactJSON == JSONLines.line(inputs))
  }
}
