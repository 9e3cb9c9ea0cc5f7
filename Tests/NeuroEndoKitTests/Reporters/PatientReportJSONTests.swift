import Foundation
import Testing

@testable import NeuroEndoKit

@Suite("patient report JSON without Foundation's encoder")
struct PatientReportJSONTests {
  @Test("every report of the sample pipeline: the same bytes as JSONEncoder writes")
  func samplePipeline() throws {
    let output = FileManager.default.temporaryDirectory.appendingPathComponent(
      "neuroendo-json-\(UUID())"
    ).path
    defer { try? FileManager.default.removeItem(atPath: output) }
    let pipeline = try PipelineLoader.load(file: Repository.path("Pipelines/sample.yml"))
    _ = PipelineRunner(pipeline: pipeline).run(outputDirectory: output)
    let folder = output + "/reports/patients"
    let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter {
      $0.hasSuffix(".json") && !$0.hasSuffix(".fhir.json")
    }
    #expect(names.count == 32)
    var withFindings = 0
    for name in names {
      let data = try #require(FileManager.default.contents(atPath: "\(folder)/\(name)"))
      let report = try JSONDecoder().decode(PatientReport.self, from: data)
      if !report.findings.isEmpty { withFindings += 1 }
      #expect(report.prettyJSON == JSONDocument.text(report), "\(name)")
      #expect(String(decoding: data, as: UTF8.self) == report.prettyJSON)
    }
    #expect(withFindings > 10)
  }

  @Test("every optional field, awkward text and numbers: the same bytes as JSONEncoder writes")
  func everyField() {
    let point = PatientReport.Point(
      minutes: 1e-7, clock: "07:05", value: -0.0, censoring: "<", label: "S1 \"a/b\"",
      flags: ["x\ty", "\u{1}\u{8}\u{C}\r\n\u{1F}\\"], excluded: "é€😀 <&>")
    let report = PatientReport(
      generator: "NeuroEndo test", run: "r/1", subjectID: "S-1", context: ["sex: female"],
      days: [
        PatientReport.Day(
          day: 1, wakeSource: "diary", wake: "2026-03-14T06:30:00+01:00",
          samples: [
            point,
            PatientReport.Point(
              minutes: 12, clock: nil, value: 1e21, censoring: "", label: nil, flags: [],
              excluded: nil),
          ],
          features: [PatientReport.Feature(name: "car_auc_g", value: 1234567.25, unit: "nmol/L")],
          reasons: [], notes: ["n"]),
        PatientReport.Day(
          day: 2, wakeSource: "export", wake: nil, samples: [], features: [], reasons: ["r"],
          notes: []),
      ],
      flattened: PatientReport.Verdict(
        outcome: "yes", rule: "absolute", validDays: 2, slopeLogMean: 1.2345678901234568e+17),
      findings: [
        PatientReport.FindingEntry(
          axis: "HPT", analyzer: "hpt_feedback", pattern: "p", severity: "marked", message: "m",
          rule: "r", time: "t", history: "new", historyNote: "was", firstReported: "run-1",
          values: [
            PatientReport.Value(
              analyte: "tsh", value: "9.1", unit: "mIU/L", status: "high", range: "0.4-4.2",
              source: "lab")
          ], context: [])
      ],
      notJudged: [
        PatientReport.NotJudged(
          axis: "HPG", analyzer: "hpg_feedback", reason: "no range", message: "m")
      ],
      flags: ["wake-estimated": 2, "below-detection": 1, "B": 3],
      cohortBand: [
        PatientReport.CohortBand(from: 0, to: 15, q1: 10.25, q3: 14, subjects: 6)
      ])
    #expect(report.prettyJSON == JSONDocument.text(report))
    var bare = report
    bare.flattened = nil
    bare.days = []
    bare.findings = []
    bare.flags = [:]
    #expect(bare.prettyJSON == JSONDocument.text(bare))
  }
}
