import Foundation
import Testing

@testable import NeuroEndoKit

@Suite("Corrections are visible (issue 23, point 3)")
struct CorrectionTests {
  /// Two deliveries of one draw: TSH 7.8 on 2026-03-18, corrected to 6.1 on 2026-03-19.
  private func run(sameTime: Bool = false) throws -> (files: [String: Data], summary: RunSummary) {
    let scratch = try Scratch("corrections")
    let header = "patient_id,test_code,value,unit,collected_at"
    try scratch.put(
      "lab-2026-03-18.csv",
      [
        header, "K-7,3016-3,7.8,mIU/L,2026-03-18T08:10:00+01:00",
        "K-7,3024-7,9.0,pmol/L,2026-03-18T08:10:00+01:00",
      ].joined(separator: "\n"))
    try scratch.put(
      "lab-2026-03-19.csv",
      [
        header, "K-7,3016-3,6.1,mIU/L,2026-03-18T08:10:00+01:00",
        "K-7,3024-7,9.0,pmol/L,2026-03-18T08:10:00+01:00",
      ].joined(separator: "\n"))
    let first = Date(timeIntervalSince1970: 1_773_820_800)  // 2026-03-18T08:00:00Z
    for (name, date) in [
      ("lab-2026-03-18.csv", first),
      ("lab-2026-03-19.csv", sameTime ? first : first.addingTimeInterval(86_400)),
    ] {
      try FileManager.default.setAttributes(
        [.modificationDate: date], ofItemAtPath: scratch.path("inbox/\(name)"))
    }
    let summary = PipelineRunner(pipeline: try scratch.pipeline(extra: "  normalized_ndjson: true"))
      .run()
    return (scratch.files(), summary)
  }

  @Test("a later file's value corrects the draw: the old one is struck through, dated, not judged")
  func corrected() throws {
    let (files, summary) = try run()
    #expect(summary.normalization.corrections == 1)
    let samples = String(decoding: files["normalized-samples.ndjson"]!, as: UTF8.self)
      .split(separator: "\n").map {
        try! JSONDecoder().decode(NormalizedSample.self, from: Data($0.utf8))
      }.filter { $0.sample.analyte == .tsh }
    #expect(
      samples.map { $0.flags.map(\.code).filter { $0 != "wake-estimated" } } == [
        ["superseded"], ["corrected"],
      ])
    #expect(
      samples[1].flags.first { $0.code == "corrected" }?.message
        == "corrected on 2026-03-19 (lab-2026-03-19.csv): was 7.8 mIU/L (lab-2026-03-18.csv, 2026-03-18)"
    )
    // Judged on the corrected value alone: TSH 6.1 high, FT4 9 low.
    let findings = String(decoding: files["findings.ndjson"]!, as: UTF8.self)
    #expect(findings.contains("TSH 6.1 mIU/L > 4.2") && !findings.contains("TSH 7.8"))
    // The report: one row, the old value struck through, the date of the correction.
    let report = try JSONDecoder().decode(
      PatientReport.self, from: files["reports/patients/K-7.json"]!)
    let tsh = try #require(report.collections.first?.results.first { $0.analyte.hasPrefix("TSH") })
    #expect(tsh.reported == "6.1 mIU/L" && tsh.previous == "7.8 mIU/L")
    #expect(tsh.correctedOn == "2026-03-19")
    #expect(report.collections.first?.results.count == 2)
    let html = String(decoding: files["reports/patients/K-7.html"]!, as: UTF8.self)
    #expect(html.contains("<del>7.8 mIU/L</del> 6.1 mIU/L"))
    #expect(html.contains("corrected on 2026-03-19"))
    let markdown = String(decoding: files["reports/patients/K-7.md"]!, as: UTF8.self)
    #expect(markdown.contains("~~7.8 mIU/L~~ 6.1 mIU/L"))
    // FHIR: the Observation of the corrected value has the status `corrected`.
    let bundle = try #require(
      try JSONSerialization.jsonObject(with: files["reports/patients/K-7.fhir.json"]!)
        as? [String: Any])
    let observations = (bundle["entry"] as! [[String: Any]]).map {
      $0["resource"] as! [String: Any]
    }
    .filter { $0["resourceType"] as? String == "Observation" }
    let statuses = observations.map {
      (
        (($0["code"] as! [String: Any])["coding"] as! [[String: String]])[0]["code"]!,
        $0["status"] as! String
      )
    }
    #expect(statuses.contains { $0 == ("3016-3", "corrected") })
    #expect(statuses.contains { $0 == ("14920-3", "final") })
  }

  @Test("files delivered at one time, or one file with two values: a conflict, not a correction")
  func conflict() throws {
    let (files, _) = try run(sameTime: true)
    let samples = String(decoding: files["normalized-samples.ndjson"]!, as: UTF8.self)
      .split(separator: "\n").map {
        try! JSONDecoder().decode(NormalizedSample.self, from: Data($0.utf8))
      }.filter { $0.sample.analyte == .tsh }
    #expect(samples.allSatisfy { $0.flags.contains { $0.code == "conflict" } })
    #expect(!samples.contains { $0.flags.contains { $0.code == "corrected" } })
  }
}
