import Foundation
import Testing

@testable import NeuroEndoKit

@Suite("Feature tables")
struct FeatureTablesTests {
  /// The feature columns of `features-subject-day.csv` and the reason prefixes that may
  /// explain an empty cell in each (the feature itself, or its analyzer as a whole).
  static func explanations(_ column: String) -> [String]? {
    let skip = [
      "subject_id", "day", "car_n", "slope_log_n", "cosinor_n", "cosinor_warning", "wake_source",
      "samples", "excluded", "notes", "reason",
    ]
    if skip.contains(column) { return nil }
    if column.hasPrefix("car_") { return ["\(column):", "car:"] }
    if column == "slope_log_se" { return ["slope_log_se:", "slope_log:"] }
    if column.hasPrefix("slope_") { return ["\(column):"] }
    if column.hasSuffix("_low") || column.hasSuffix("_high") || column.hasSuffix("_low_h")
      || column.hasSuffix("_high_h") || column == "cosinor_p"
    {
      return ["cosinor_ci:", "cosinor:"]
    }
    return ["\(column):", "cosinor:"]
  }

  @Test("the sample data: every empty feature cell has a reason naming the feature or its analyzer")
  func everyGapExplained() throws {
    let pipeline = try PipelineLoader.load(file: Repository.path("Pipelines/sample.yml"))
    var samples: [Sample] = []
    for input in pipeline.inputs {
      for file in try InputCatalogue.files(of: input).get() {
        let format = input.format ?? InputFormat.guess(file: file, hasProfile: input.profile != nil)
        _ = ExportReader(format: format, profile: input.profile).read(
          file: file, onSample: { samples.append($0) })
      }
    }
    let normalized = Normalizer(settings: pipeline.normalizer)!.normalize(samples).samples
    let features = CortisolRhythmAnalyzer().analyze(normalized)
    #expect(features.days.count == 15)
    let header = FeatureTables.subjectDayHeader
    var gaps = 0
    for day in features.days {
      let row = FeatureTables.row(day)
      #expect(row.count == header.count)
      let reason = row[header.firstIndex(of: "reason")!]
      for (column, cell) in zip(header, row) {
        #expect(!cell.lowercased().contains("nan") && !cell.contains("inf"), "\(column): \(cell)")
        guard cell.isEmpty, let prefixes = Self.explanations(column) else { continue }
        gaps += 1
        #expect(
          prefixes.contains { reason.contains($0) },
          "\(day.subjectID) day \(day.day): \(column) empty without a reason in '\(reason)'")
      }
    }
    #expect(gaps > 50)
  }

  @Test(
    "2,000 random subject-days (zeros, ties, one sample, far-apart times): no NaN or infinity in any cell"
  )
  func randomDaysStayFinite() {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    func next(_ bound: Int) -> Int {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Int((state >> 33) % UInt64(bound))
    }
    var samples: [NormalizedSample] = []
    for day in 1...2000 {
      let subject = "r\(day % 300)"
      let count = 1 + next(10)
      for _ in 0..<count {
        // Times on a coarse grid so that ties happen; values include 0 and repeats.
        let minutes = Double(next(8) == 0 ? 0 : next(96) * 15)
        let value = next(6) == 0 ? 0 : Double(next(400)) / 10
        let censoring: Censoring = next(12) == 0 ? .below : .none
        samples.append(
          cortisol(subject, day: day, minutes: minutes, value: value, censoring: censoring))
      }
    }
    var settings = AnalyzerSettings()
    settings.censored = .halfLimit
    settings.flattened.cohort = .zScore
    let features = CortisolRhythmAnalyzer(settings: settings).analyze(samples)
    #expect(features.days.count == 2000)
    // The values themselves are finite (the table would hide a NaN as an empty cell) ...
    for day in features.days {
      let car = day.awakening
      let slope = day.slope
      let fit = day.cosinor.fit
      let values: [Double?] = [
        car.aucG, car.aucI, car.increase, car.increasePercent, car.r30, car.timeToPeak,
        slope.wakeToBed, slope.peakToBed, slope.logSlope, slope.logSlopeStandardError,
        fit?.mesor, fit?.amplitude, fit?.peakHours, fit?.pValue, fit?.mesorInterval?.lowerBound,
        fit?.amplitudeInterval?.upperBound, fit?.peakInterval?.lowerBound,
        day.cosinor.acrophaseClockHours,
      ]
      #expect(values.allSatisfy { $0?.isFinite ?? true }, "\(day.subjectID) day \(day.day)")
      // ... and every empty cell has its reason.
      let row = FeatureTables.row(day)
      let reason = row.last!
      for (column, cell) in zip(FeatureTables.subjectDayHeader, row) where cell.isEmpty {
        guard let prefixes = Self.explanations(column) else { continue }
        #expect(prefixes.contains { reason.contains($0) }, "\(column) empty without a reason")
      }
    }
    for verdict in features.subjects {
      #expect(
        [verdict.slopeLogMean, verdict.slopeLogSD, verdict.cohortZ].allSatisfy {
          $0?.isFinite ?? true
        })
    }
  }

  @Test("fields with commas, quotes and line breaks (CR LF too) are quoted as RFC 4180 says")
  func quoting() {
    #expect(CSVTableWriter.quote("S2 (+15 min)") == "S2 (+15 min)")
    #expect(CSVTableWriter.quote("S2, S3: left out") == "\"S2, S3: left out\"")
    #expect(CSVTableWriter.quote("a \"b\" c") == "\"a \"\"b\"\" c\"")
    #expect(CSVTableWriter.quote("line\r\nbreak") == "\"line\r\nbreak\"")
    #expect(CSVTableWriter.quote("\"") == "\"\"\"\"")
  }

  @Test("a cell of pieces is the cell of their text, whatever the rows before it held there")
  func pieceCells() {
    var row = CSVRow()
    var rows: [[String]] = []
    let pieces = ["", ",", "\"", "\r\n", "=", "-", "S\u{E9}", "Se\u{301}", "plain", "; ", ": "]
    var generator = SplitMix64(seed: 8)
    // The same lists in turn (which the rows' buffers then give back), and lists that
    // differ from the last in one piece only, its bytes, or its length.
    for round in 0..<600 {
      let count = Int(generator.next() % 4)
      var list = (0..<count).map { _ in pieces[Int(generator.next() % UInt64(pieces.count))] }
      if round % 3 == 0, let last = rows.last { list = last }
      rows.append(list)
    }
    // Two spellings of one accent in turn: equal as texts, not as bytes.
    rows += [["S\u{E9}", "; ", "x"], ["Se\u{301}", "; ", "x"], ["S\u{E9}", "; ", "x"]]
    for (index, list) in rows.enumerated() {
      row.reset()
      // The list in the second place and the fourth, the rest plain texts around them.
      row.text("s\(index)")
      row.text(pieces: list)
      row.number(Double(index) / 3)
      row.text(pieces: list.reversed())
      row.end()
      let expected = CSVTableWriter.line([
        "s\(index)", list.joined(), FeatureTables.cell(Double(index) / 3), list.reversed().joined(),
      ])
      #expect(row.bytes == Array(expected.utf8), "row \(index): \(list)")
    }
    var texts = TextCells()
    texts.text(pieces: ["S2", ", ", "S3"])
    #expect(texts.cells == ["S2, S3"])
    // The pieces of the tables' list cells join as the lists' texts did.
    let exclusions = [
      Exclusion(sample: "S2 (+15 min)", reason: "flagged conflict"),
      Exclusion(sample: "S3", reason: "left out"),
    ]
    #expect(
      FeatureTables.pieces(of: exclusions).joined()
        == exclusions.map(\.description).joined(separator: "; "))
    #expect(FeatureTables.pieces(of: []).isEmpty && FeatureTables.pieces([]).isEmpty)
    #expect(FeatureTables.pieces(["a", "b", "c"]).joined() == "a; b; c")
  }

  @Test("a row is its fields quoted and joined by commas, whatever the fields hold")
  func rows() {
    #expect(CSVTableWriter.line([]) == "\n")
    #expect(CSVTableWriter.line([""]) == "\n")
    #expect(CSVTableWriter.line(["", ""]) == ",\n")
    #expect(CSVTableWriter.line(["a\"b", "x,y", "Zoë 🧪"]) == "\"a\"\"b\",\"x,y\",Zoë 🧪\n")
    var row = CSVRow()
    // Every mix of the awkward bytes, in fields short (stored inline) and long.
    let pieces = [
      "", ",", "\"", "\n", "\r\n", "é", "plain", String(repeating: "long text ", count: 4),
    ]
    for first in pieces {
      for second in pieces {
        let fields = [first + second, second, first + "\"" + second + first]
        let expected = fields.map(CSVTableWriter.quote).joined(separator: ",") + "\n"
        #expect(CSVTableWriter.line(fields) == expected)
        // The reused row buffer writes the same bytes, whatever the row before held.
        row.reset()
        for field in fields { row.text(field) }
        row.end()
        #expect(String(decoding: row.bytes, as: UTF8.self) == expected)
      }
    }
    row.reset()
    row.number(nil)
    row.number(.nan)
    row.number(-0.5)
    row.number(1e300)
    row.integer(-3)
    row.text("=cmd")
    row.end()
    #expect(String(decoding: row.bytes, as: UTF8.self) == ",,-0.5,1e+300,-3,'=cmd\n")
    // A number's cell written in place: the text FeatureTables.cell gives, for the awkward
    // values and 20,000 random ones of every magnitude.
    var generator = SystemRandomNumberGenerator()
    var values: [Double?] = [
      nil, .nan, .infinity, -.infinity, 0, -0.0, 1, -1, 0.1 + 0.2, 1e15, -1e15, 1e15 - 1,
      -(1e15 - 1), 999_999_999_999_999.5, .ulpOfOne, .leastNonzeroMagnitude,
      .greatestFiniteMagnitude, 825.5250000000001, -0.02783045994119052, 1e-7, 123456789.125,
    ]
    for _ in 0..<20_000 {
      let bits = UInt64.random(in: 0...UInt64.max, using: &generator)
      let random = Double(bitPattern: bits)
      values.append(random)
      values.append((random.isFinite ? random : 1).rounded())
      values.append(Double(Int64.random(in: -2_000_000_000_000_000...2_000_000_000_000_000)))
    }
    for value in values {
      row.reset()
      row.number(value)
      row.number(value)
      let cell = FeatureTables.cell(value)
      if String(decoding: row.bytes, as: UTF8.self) != cell + "," + cell {
        Issue.record("\(String(describing: value)): \(String(decoding: row.bytes, as: UTF8.self))")
      }
    }
    // Bridged Foundation strings (no contiguous UTF-8) too.
    let bridged = NSString(string: "a,\"b\"") as String
    #expect(CSVTableWriter.line([bridged, "c"]) == "\"a,\"\"b\"\"\",c\n")
  }

  @Test("the sample pipeline writes the three tables and counts the analyses in the summary")
  func samplePipelineFeatures() throws {
    let output = FileManager.default.temporaryDirectory.appendingPathComponent(
      "neuroendo-\(UUID())")
    defer { try? FileManager.default.removeItem(at: output) }
    let pipeline = try PipelineLoader.load(file: Repository.path("Pipelines/sample.yml"))
    let summary = PipelineRunner(pipeline: pipeline).run(outputDirectory: output.path)
    #expect(summary.isComplete)
    // CAR: P-10234, pt-1003, W101 x2, W102 x2, W103, W104, s01 x2, s02 day 1 (s02 day 2 has
    // two CAR samples, s03's waking sample is censored). Regression: P-10234, s01 x2, s02 x2.
    // Cosinor: all but the two days with one sample.
    let analysis = summary.analysis
    #expect(analysis.subjectDays == 15)
    #expect(analysis.carComputed == 11)
    #expect(analysis.slopeComputed == 5)
    #expect(analysis.cosinorComputed == 13)
    #expect(analysis.verdicts == ["yes": 1, "no": 1, "insufficient-data": 9])
    let table = try String(
      contentsOf: output.appendingPathComponent("features-subject-day.csv"), encoding: .utf8)
    #expect(table.hasPrefix(FeatureTables.subjectDayHeader.joined(separator: ",") + "\n"))
    #expect(table.contains("\nP-10234,1,944.25,305.25000000000006,"))
    let subjects = try String(
      contentsOf: output.appendingPathComponent("features-subject.csv"), encoding: .utf8)
    #expect(subjects.contains("\ns02,2,"))
    #expect(subjects.contains(",yes,absolute: mean ln slope -0.015/h over 2 days > -0.05/h"))
    // T01 of the stress test: 6.1, 9.8, 14.2, 12.5, 9.0 at -1, 10, 20, 30, 45 min.
    // AUCg = 11 x 15.9/2 + 10 x 24/2 + 10 x 26.7/2 + 15 x 21.5/2 = 502.2; AUCi = 502.2 - 6.1 x 46
    // = 221.6; AUCi post = (120 + 133.5 + 161.25) - 9.8 x 35 = 71.75; increase 14.2 - 6.1;
    // slope S1-S4 = (12.5 - 6.1) / 31. T02 lacks S3 (an empty cell): four samples used.
    let responses = try String(
      contentsOf: output.appendingPathComponent("features-response.csv"), encoding: .utf8
    ).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
    #expect(responses.count == 4)
    #expect(responses[0].last == "reason" && responses[0][10] == "response_slope_S1_S4")
    let t01 = responses[1].map(String.init)
    #expect(t01[0] == "T01" && t01[3] == "group=stress" && t01[4] == "5")
    let expected = [502.2, 221.6, 71.75, 8.1, 100 * 8.1 / 6.1, 6.4 / 31]
    for (cell, value) in zip(t01[5...10], expected) {
      #expect(abs(Double(cell)! - value) < 1e-12, "\(cell) vs \(value)")
    }
    #expect(responses[2][0] == "T02" && responses[2][4] == "4")
    #expect(analysis.responses == 3)
    #expect(summary.outputs["features_subject_day"] != nil)
    #expect(
      RunSummaryReporter.text(summary).contains(
        "analyzed: 15 subject-days (CAR 11, slope 5, cosinor 13)"))
    try sampleFindings(output, summary)
  }

  /// The findings of the sample run, as a reader of findings.csv and findings.ndjson sees them.
  func sampleFindings(_ output: URL, _ summary: RunSummary) throws {
    let lines = try String(
      contentsOf: output.appendingPathComponent("findings.ndjson"), encoding: .utf8
    )
    .split(separator: "\n")
    let decoder = JSONDecoder()
    let findings = try lines.map { try decoder.decode(Finding.self, from: Data($0.utf8)) }
    func finding(_ subject: String, _ analyzer: String) -> [Finding] {
      findings.filter { $0.subjectID == subject && $0.analyzer == analyzer }
    }
    // Labor Nord: the lab's ranges, in the README's words.
    #expect(
      finding("P-10231", "hpt_feedback").first?.message
        == "pattern consistent with primary hypothyroidism: TSH 9.1 mIU/L > 4.2, FT4 8 pmol/L < 11.6, FT3 3.9 pmol/L within 3.7-6.5"
    )
    #expect(finding("P-10231", "hpt_feedback").first?.context == ["sex: female", "age: 47"])
    // City Lab: a resolved and a persisting pattern. C-503 takes prednisolone: her grid
    // and her dexamethasone test (marked by a column) are not interpretable, not patterns.
    #expect(finding("C-501", "hpt_feedback").map(\.history) == [.first, .resolved])
    #expect(finding("C-502", "hpt_feedback").map(\.history) == [.first, .persisting])
    #expect(finding("C-503", "dexamethasone_suppression").isEmpty)
    #expect(finding("C-503", "hpa_feedback").isEmpty)
    #expect(
      summary.analysis.notJudged["C-503"] == [
        "HPA": ["HPA not interpretable: glucocorticoid medication": 2]
      ])
    // St Mary "Cortisol, post dex" (test name) and the FHIR note "after 1 mg dexamethasone".
    #expect(
      finding("MRN004702", "dexamethasone_suppression").map(\.pattern) == ["normal-suppression"])
    #expect(
      finding("pt-2003", "dexamethasone_suppression").map(\.pattern) == ["normal-suppression"])
    // City Lab: an afternoon cortisol is not judged by the morning range; 13.8 ug/dL at
    // 23:00 (380.7 nmol/L) on dexamethasone 0.5 mg (a treatment, not a test) cannot be
    // read; free and total cortisol of one draw are both kept.
    #expect(finding("C-506", "hpa_feedback").isEmpty)
    #expect(
      summary.analysis.notJudged["C-506"] == [
        "HPA": ["ACTH: range applies 07:00-10:00, cortisol: range applies 07:00-10:00": 1]
      ])
    #expect(finding("C-507", "late_night_cortisol").isEmpty)
    #expect(finding("C-507", "dexamethasone_suppression").isEmpty)
    #expect(
      summary.analysis.notJudged["C-507"] == [
        "HPA": ["HPA not interpretable: glucocorticoid medication": 1]
      ])
    #expect(finding("C-508", "hpa_feedback").map(\.pattern) == ["balanced"])
    #expect(summary.analysis.notJudged["C-508"] == ["HPA": ["free cortisol: no range": 1]])
    // FHIR Patient resources give sex and age.
    #expect(finding("pt-1002", "hpg_feedback").first?.context == ["sex: male", "age: 56"])
    let table = try String(
      contentsOf: output.appendingPathComponent("findings.csv"), encoding: .utf8)
    #expect(table.hasPrefix(FindingTables.header.joined(separator: ",") + "\n"))
    #expect(table.split(separator: "\n").count == 1 + findings.count)
  }
}
