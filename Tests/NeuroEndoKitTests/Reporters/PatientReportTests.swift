import Foundation
import Testing

@testable import NeuroEndoKit

/// Two subjects' salivary days with clock times, and a TSH-FT4 pair for the second.
private func run() -> (samples: [NormalizedSample], reports: [PatientReport]) {
  func saliva(_ subject: String, _ hour: Int, _ minute: Int, _ value: Double, record: Int) -> Sample
  {
    Sample(
      subjectID: subject, analyte: .cortisol, specimen: .saliva,
      quantity: Quantity(value: value, unit: .nanomolePerLiter),
      collected: CollectionTime(
        local: LocalDateTime(year: 2026, month: 3, day: 15, hour: hour, minute: minute),
        utcOffsetSeconds: 3600),
      wake: CollectionTime(
        local: LocalDateTime(year: 2026, month: 3, day: 15, hour: 6, minute: 30),
        utcOffsetSeconds: 3600),
      provenance: InputLocation(file: "day.csv", record: record))
  }
  var samples = [
    saliva("a/1", 6, 32, 14.2, record: 2), saliva("a/1", 6, 47, 21.5, record: 3),
    saliva("a/1", 7, 2, 24.8, record: 4), saliva("a/1", 7, 17, 19.1, record: 5),
    saliva("a/1", 12, 0, 0.2, record: 6), saliva("a/1", 18, 0, 3.1, record: 7),
    saliva("a/1", 22, 30, 1.4, record: 8), saliva("b", 6, 40, 11, record: 9),
  ]
  for (analyte, value, unit) in [
    (Analyte.tsh, 9.1, LabUnit.milliIUPerLiter), (.freeT4, 8.0, .picomolePerLiter),
  ] {
    samples.append(
      Sample(
        subjectID: "b", analyte: analyte, specimen: .serum,
        quantity: Quantity(value: value, unit: unit),
        collected: CollectionTime(
          local: LocalDateTime(year: 2026, month: 3, day: 15, hour: 8, minute: 10),
          utcOffsetSeconds: 3600), provenance: InputLocation(file: "lab.csv", record: 10)))
  }
  let normalized = Normalizer(settings: NormalizerSettings())!.normalize(samples).samples
  let features = CortisolRhythmAnalyzer().analyze(normalized)
  let feedback = FeedbackAnalyzer().evaluate(normalized)
  let reports = PatientReport.build(
    samples: normalized, features: features, feedback: feedback, settings: AnalyzerSettings(),
    run: "test-run")
  return (normalized, reports)
}

@Suite("Per-patient reports")
struct PatientReportTests {
  @Test("one report per subject with its days, features, left-out samples and findings")
  func content() throws {
    let reports = run().reports
    #expect(reports.map(\.subjectID) == ["a/1", "b"])
    let a = reports[0]
    #expect(a.schemaVersion == PatientReport.schemaVersion)
    let day = try #require(a.days.first)
    #expect(day.samples.map(\.minutes) == [2, 17, 32, 47, 330, 690, 960])
    #expect(day.wake == "2026-03-15T06:30:00+01:00")
    // 0.2 nmol/L is below detection (0.75): censored there, and left out as censored.
    #expect(day.samples[4].censoring == "<")
    #expect(day.samples[4].excluded != nil)
    // Pruessner AUCg over 2, 17, 32, 47 min: 15 x (35.7 + 46.3 + 43.9) / 2 = 944.25.
    #expect(day.features.first { $0.name == "car_auc_g" }?.value == 944.25)
    #expect(a.findings.isEmpty)
    let b = reports[1]
    #expect(b.findings.map(\.pattern) == ["primary-hypothyroidism"])
    #expect(b.flags["wake-estimated"] == nil)
    #expect(
      b.findings.first?.values.map(\.range) == [
        "TSH 0.3-4.2 mIU/L [default (all): adult TSH 0.3-4.2 mIU/L]",
        "FT4 11.6-21.9 pmol/L [default (all): adult free T4 11.6-21.9 pmol/L]",
      ])
  }

  @Test("a report carries no data of another patient")
  func noOtherPatients() {
    let reports = run().reports
    let a = PatientReportRenderer.json(reports[0])
    let b = PatientReportRenderer.html(reports[1]) + PatientReportRenderer.markdown(reports[1])
    #expect(!a.contains("\"b\"") && !a.contains("hypothyroidism"))
    #expect(!b.contains("a/1") && !b.contains("944.25"))
  }

  @Test("JSON names its schema and reads back to the same report")
  func json() throws {
    let report = run().reports[0]
    let text = PatientReportRenderer.json(report)
    #expect(text.contains("\"schema\" : \"neuroendo-patient-report\""))
    #expect(text.contains("\"schemaVersion\" : \"2.0\""))
    #expect(try JSONDecoder().decode(PatientReport.self, from: Data(text.utf8)) == report)
  }

  @Test("HTML is self-contained, with the day's chart: waking, CAR window, one mark per sample")
  func html() {
    let report = run().reports[0]
    let html = PatientReportRenderer.html(report)
    #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("href="))
    #expect(html.components(separatedBy: "http").count == 2)  // the SVG namespace only
    #expect(html.contains("<line class=\"waking\""))
    #expect(html.contains("<rect class=\"car-window\""))
    #expect(html.components(separatedBy: "<circle class=\"sample\"").count - 1 == 6)
    // 0.2 nmol/L is below detection: censored, an open triangle.
    #expect(html.components(separatedBy: "<polygon class=\"censored\"").count - 1 == 1)
    // The subject id is in the header; the chart's x axis gives clock times.
    #expect(html.contains("<td class=\"name\">Patient</td><td>a/1</td>"))
    #expect(html.contains("+2 h 08:30"))
  }

  @Test("chart coordinates: waking at the left edge of the CAR window, values on a round scale")
  func chart() throws {
    let day = try #require(run().reports[0].days.first)
    let chart = CortisolChart(day: day)
    #expect(chart.minuteRange == 0...960)
    #expect(chart.valueTop == 30)  // 24.8 rounded up on a step of 10
    #expect(chart.x(0) == CortisolChart.left)
    #expect(chart.y(0) == CortisolChart.height - CortisolChart.bottom)
    #expect(chart.y(30) == CortisolChart.top)
  }

  @Test("file names keep plain ids and make any other id safe and distinct")
  func fileNames() {
    #expect(PatientReport.fileName("P-10234") == "P-10234")
    #expect(PatientReport.fileName("MRN004417") == "MRN004417")
    let slash = PatientReport.fileName("a/1")
    let underscore = PatientReport.fileName("a_1")
    #expect(!slash.contains("/") && slash != underscore)
    #expect(!PatientReport.fileName("../../etc").contains("/"))
    #expect(!PatientReport.fileName("..").hasPrefix("."))
    #expect(!PatientReport.fileName("").isEmpty)
  }
}

@Suite("FHIR DiagnosticReport bundles")
struct FHIRReportTests {
  private func bundle(_ findings: [Finding]) throws -> [String: Any] {
    let text = try #require(
      try FHIRBundleRenderer.bundle(
        subject: findings.first?.subjectID ?? "x", findings: findings,
        issued: Date(timeIntervalSince1970: 1_774_000_000)))
    return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
  }

  private func resources(_ bundle: [String: Any]) -> [[String: Any]] {
    (bundle["entry"] as? [[String: Any]] ?? []).compactMap { $0["resource"] as? [String: Any] }
  }

  @Test("a DiagnosticReport with the findings as conclusion and one Observation per value")
  func primaryHypothyroidism() throws {
    let samples = [
      Sample(
        subjectID: "P-1", analyte: .tsh, specimen: .serum,
        quantity: Quantity(value: 9.1, unit: .milliIUPerLiter),
        collected: CollectionTime(
          local: LocalDateTime(year: 2026, month: 3, day: 14, hour: 8, minute: 12),
          utcOffsetSeconds: 3600),
        provenance: InputLocation(file: "/home/lab/inbox/lab.csv", record: 2)),
      Sample(
        subjectID: "P-1", analyte: .freeT4, specimen: .serum,
        quantity: Quantity(value: 8, unit: .picomolePerLiter, censoring: .below),
        collected: CollectionTime(
          local: LocalDateTime(year: 2026, month: 3, day: 14, hour: 8, minute: 12),
          utcOffsetSeconds: 3600), provenance: InputLocation(file: "lab.csv", record: 3)),
    ]
    let normalized = Normalizer(settings: NormalizerSettings())!.normalize(samples).samples
    let findings = FeedbackAnalyzer().analyze(normalized)
    #expect(findings.map(\.pattern) == ["primary-hypothyroidism"])
    let bundle = try bundle(findings)
    #expect(bundle["resourceType"] as? String == "Bundle")
    #expect(bundle["type"] as? String == "collection")
    let all = resources(bundle)
    #expect(
      all.map { $0["resourceType"] as? String } == [
        "DiagnosticReport", "Observation", "Observation", "Specimen",
      ])
    // Both values of one draw name the one serum specimen, typed with HL7 table 0487 and
    // dated; every code has its display; no folder of the machine appears.
    let specimen = all[3]
    let type = try #require(specimen["type"] as? [String: Any])
    #expect((type["coding"] as? [[String: String]])?.first?["code"] == "SER")
    #expect(
      (specimen["collection"] as? [String: String])?["collectedDateTime"]
        == "2026-03-14T08:12:00+01:00")
    for observation in all[1...2] {
      #expect(
        (observation["specimen"] as? [String: String])?["reference"]
          == "urn:uuid:\(specimen["id"] as! String)")
      let coding = ((observation["code"] as? [String: Any])?["coding"] as? [[String: String]])?
        .first
      #expect(coding?["display"]?.contains("in Serum or Plasma") == true)
      #expect(observation["effectiveDateTime"] as? String == "2026-03-14T08:12:00+01:00")
    }
    let text = try #require(
      try FHIRBundleRenderer.bundle(subject: "P-1", findings: findings, issued: Date()))
    #expect(!text.contains("/home/lab") && text.contains("Read from lab.csv, record 2"))
    let report = all[0]
    #expect(
      (report["conclusion"] as? String)?.hasPrefix(
        "HPT: pattern consistent with primary hypothyroidism") == true)
    #expect((report["subject"] as? [String: String])?["reference"] == "Patient/P-1")
    #expect((report["result"] as? [[String: String]])?.count == 2)
    let tsh = all[1]
    let quantity = try #require(tsh["valueQuantity"] as? [String: Any])
    #expect(quantity["value"] as? Double == 9.1)
    #expect(quantity["code"] as? String == "m[IU]/L")
    #expect(quantity["system"] as? String == "http://unitsofmeasure.org")
    func interpretation(_ resource: [String: Any]) -> String? {
      ((resource["interpretation"] as? [[String: Any]])?.first?["coding"] as? [[String: String]])?
        .first?["code"]
    }
    #expect(interpretation(tsh) == "H")
    // FT4 "<8" is below the low limit 11.6: decided, low, with its comparator kept.
    let ft4 = all[2]
    #expect((ft4["valueQuantity"] as? [String: Any])?["comparator"] as? String == "<")
    #expect(interpretation(ft4) == "L")
    #expect(
      ((ft4["code"] as? [String: Any])?["coding"] as? [[String: String]])?.first?["code"]
        == "14920-3")  // pmol/L: Thyroxine (T4) free [Moles/volume]
    let range = try #require((ft4["referenceRange"] as? [[String: Any]])?.first)
    #expect((range["low"] as? [String: Any])?["value"] as? Double == 11.6)
    // Ids are UUIDs, the same on every run.
    let again = try self.bundle(findings)
    #expect(resources(again)[1]["id"] as? String == tsh["id"] as? String)
    #expect((tsh["id"] as? String)?.count == 36)
  }

  @Test("ids are RFC 4122 version 5 UUIDs: the Python and RFC test vector")
  func uuid5() {
    // uuid.uuid5(uuid.NAMESPACE_DNS, "python.org") in Python's standard library.
    let dns: [UInt8] = [
      0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30,
      0xc8,
    ]
    #expect(
      FHIRBundleRenderer.format(FHIRBundleRenderer.uuid5(namespace: dns, name: "python.org"))
        == "886313e1-3b8a-5372-9b90-0c9aee199e5d")
    let id = FHIRBundleRenderer.uuid("report|P-1")
    #expect(id.count == 36 && Array(id)[14] == "5" && "89ab".contains(Array(id)[19]))
    #expect(id != FHIRBundleRenderer.uuid("report|P-2"))
  }

  @Test("interpretation codes: L, N, H, IND for a censored value the range cannot place")
  func interpretations() {
    #expect(FHIRBundleRenderer.interpretation(.low)?.code == "L")
    #expect(FHIRBundleRenderer.interpretation(.normal)?.code == "N")
    #expect(FHIRBundleRenderer.interpretation(.high)?.code == "H")
    #expect(FHIRBundleRenderer.interpretation(.indeterminate)?.code == "IND")
    #expect(FHIRBundleRenderer.interpretation(.unknown) == nil)
    #expect(
      FHIRBundleRenderer.code(.cortisol, .saliva, lateNight: true, unit: "ug/dL") == "58643-8")
    #expect(
      FHIRBundleRenderer.code(.freeCortisol, .serum, lateNight: false, unit: "nmol/L") == "2145-1")
    // The code's property matches the unit: molar units take [Moles/volume] codes.
    for (analyte, specimen, molar, mass) in [
      (Analyte.cortisol, Specimen.serum, "14675-3", "2143-6"),
      (.cortisol, .saliva, "51844-9", "2142-8"), (.acth, .plasma, "14674-6", "2141-0"),
      (.freeT4, .serum, "14920-3", "3024-7"), (.freeT3, .serum, "14928-6", "3051-0"),
      (.testosterone, .serum, "14913-8", "2986-8"), (.estradiol, .serum, "14715-7", "2243-4"),
      (.dheas, .serum, "14688-6", "2191-5"),
    ] {
      #expect(FHIRBundleRenderer.code(analyte, specimen, lateNight: false, unit: "pmol/L") == molar)
      #expect(FHIRBundleRenderer.code(analyte, specimen, lateNight: false, unit: "ng/dL") == mass)
      // Readers accept both.
      #expect(LOINC.codes[molar]?.analyte == analyte && LOINC.codes[mass]?.analyte == analyte)
    }
    #expect(FHIRBundleRenderer.decimal("0.97", 0.96888).description == "0.97")
    #expect(FHIRBundleRenderer.decimal("x", 0.9688800000000001).description == "0.9689")
    #expect(
      (FHIRBundleRenderer.reference("a/1")["identifier"] as? [String: String])?["value"] == "a/1")
  }
}

@Suite("Cohort report")
struct CohortReportTests {
  @Test("quartiles interpolate between order statistics, as numpy's default")
  func quartiles() throws {
    // 1, 2, 4, 8, 16: median 4; q1 at position 1 = 2; q3 at position 3 = 8.
    let summary = try #require(CohortReport.summary("x", "u", [16, 1, 8, 2, 4]))
    #expect(summary.n == 5 && summary.median == 4 && summary.q1 == 2 && summary.q3 == 8)
    // 1, 2, 3, 4: median 2.5; q1 at 0.75 = 1.75; q3 at 2.25 = 3.25.
    let even = try #require(CohortReport.summary("x", "u", [4, 3, 2, 1]))
    #expect(even.median == 2.5 && even.q1 == 1.75 && even.q3 == 3.25)
    #expect(CohortReport.summary("x", "u", []) == nil)
  }

  @Test("quartiles by selection are the sorted values' quartiles, bit for bit")
  func quartilesBySelection() throws {
    /// The summary's numbers from a sort of the values, as they were computed.
    func sortedQuartiles(_ values: [Double]) -> [UInt64] {
      let sorted = values.sorted()
      func quantile(_ p: Double) -> Double {
        let position = p * Double(sorted.count - 1)
        let below = Int(position.rounded(.down))
        let above = min(below + 1, sorted.count - 1)
        return sorted[below] + (position - Double(below)) * (sorted[above] - sorted[below])
      }
      return [quantile(0.5), quantile(0.25), quantile(0.75)].map(\.bitPattern)
    }
    var generator = SplitMix64(seed: 4)
    var cases: [[Double]] = [
      [0], [2, 1], [0.0, -0.0, 0.0, -0.0, 1], [-0.0, 0.0], [.nan, 1, 2, 3], [.infinity, 1, -3],
      [5, 5, 5, 5, 5, 5], Array(repeating: 1, count: 1_000) + [0],
    ]
    for _ in 0..<300 {
      let count = 1 + Int(generator.next() % 400)
      // Few distinct values (many ties), or many, sometimes already in order or reversed.
      let distinct = [3, 50, 1 << 20][Int(generator.next() % 3)]
      var values = (0..<count).map { _ in Double(Int(generator.next() % UInt64(distinct)) - 7) / 4 }
      switch generator.next() % 4 {
      case 0: values.sort()
      case 1: values.sort(by: >)
      default: break
      }
      cases.append(values)
    }
    for values in cases {
      let summary = try #require(CohortReport.summary("x", "u", values))
      #expect(
        [summary.median, summary.q1, summary.q3].map(\.bitPattern) == sortedQuartiles(values),
        "\(values.prefix(8))")
      #expect(summary.n == values.count)
      var order = values
      for rank in Set([0, values.count / 3, values.count - 1])
      where !values.contains(where: \.isNaN) {
        #expect(CohortReport.select(rank, in: &order) == values.sorted()[rank])
        // Sorting what is left after a few steps (as after 64 steps that an order made
        // useless) ranks the values all the same.
        for limit in 0...3 {
          var shuffled = values
          #expect(CohortReport.select(rank, in: &shuffled, steps: limit) == values.sorted()[rank])
        }
      }
    }
  }

  @Test("the slope histogram puts the threshold on a bin edge and counts every subject")
  func histogram() {
    let bins = CohortReport.histogram([-0.12, -0.06, -0.05, -0.01], around: -0.05)
    #expect(bins.reduce(0) { $0 + $1.count } == 4)
    #expect(bins.contains { abs($0.low - -0.05) < 1e-12 })
    // -0.05 itself lies in [-0.05, -0.025): at the threshold is flattened's side.
    #expect(bins.first { abs($0.low - -0.05) < 1e-12 }?.count == 1)
  }

  @Test("the sample run's cohort: patterns counted, verdicts, links to every patient report")
  func sampleCohort() throws {
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("cohort-\(UUID())")
    defer { try? FileManager.default.removeItem(at: output) }
    let pipeline = try PipelineLoader.load(file: Repository.path("Pipelines/sample.yml"))
    let summary = PipelineRunner(pipeline: pipeline).run(outputDirectory: output.path)
    #expect(summary.isComplete)
    let data = try Data(contentsOf: output.appendingPathComponent("reports/cohort.json"))
    let cohort = try JSONDecoder().decode(CohortReport.self, from: data)
    #expect(cohort.verdicts == ["yes": 1, "no": 1, "insufficient-data": 9])
    #expect(
      cohort.patterns.reduce(0) { $0 + $1.count } == summary.analysis.findings.values.reduce(0, +))
    #expect(cohort.patterns.first { $0.pattern == "primary-hypothyroidism" }?.count == 3)
    let html = try String(
      contentsOf: output.appendingPathComponent("reports/cohort.html"), encoding: .utf8)
    for patient in cohort.patients where patient.responses == 0 {
      let file = try #require(patient.file)
      #expect(html.contains("href=\"patients/\(file).html\""))
      #expect(
        FileManager.default.fileExists(
          atPath: output.appendingPathComponent("reports/patients/\(file).html").path))
    }
    #expect(html.contains("<line class=\"threshold\""))
    #expect(!html.contains("<script"))
    // C-503's serum cortisol lies on an estimated day (flagged in the normalized samples),
    // which says nothing of a patient without cortisol days: not in the report.
    let c503 = try JSONDecoder().decode(
      PatientReport.self,
      from: Data(contentsOf: output.appendingPathComponent("reports/patients/C-503.json")))
    #expect(c503.days.isEmpty)
    #expect(c503.flags.isEmpty)
    let normalized = try String(
      contentsOf: output.appendingPathComponent("normalized-samples.csv"), encoding: .utf8)
    #expect(
      normalized.split(separator: "\n").contains {
        $0.hasPrefix("C-503,cortisol,") && $0.contains("wake-estimated")
      })
  }
}

@Suite("Cohort band on patient charts")
struct CohortBandTests {
  /// Subjects 1...count, each with a CAR at 0, 15, 30, 45 min of `base + subject`.
  private func reports(subjects count: Int) -> [PatientReport] {
    var samples: [NormalizedSample] = []
    for subject in 1...count {
      for (index, minutes) in [0.0, 15, 30, 45].enumerated() {
        samples.append(
          cortisol("s\(subject)", day: 1, minutes: minutes, value: Double(10 + index + subject)))
      }
    }
    let features = CortisolRhythmAnalyzer().analyze(samples)
    return PatientReport.build(
      samples: samples, features: features, feedback: FeedbackResult(),
      settings: AnalyzerSettings(), run: "band")
  }

  @Test("bins of more than five subjects (five others at least), one band for the cohort")
  func band() throws {
    let six = reports(subjects: 6)
    let first = try #require(six.first)
    #expect(first.cohortBand.map(\.from) == [0, 15, 30, 45])
    #expect(first.cohortBand.allSatisfy { $0.subjects == 6 })
    // Bin 0 of subjects 1...6: values 11...16; quartiles 12.25 and 14.75 (numpy's linear rule).
    #expect(first.cohortBand[0].q1 == 12.25 && first.cohortBand[0].q3 == 14.75)
    #expect(six.allSatisfy { $0.cohortBand == first.cohortBand })
    // With five subjects, each has only four others: no band at all.
    #expect(reports(subjects: 5).allSatisfy { $0.cohortBand.isEmpty })
    let html = PatientReportRenderer.html(first)
    #expect(html.components(separatedBy: "<rect class=\"cohort-band\"").count - 1 == 4)
  }
}
