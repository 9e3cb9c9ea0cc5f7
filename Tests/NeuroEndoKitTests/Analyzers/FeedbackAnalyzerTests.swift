import Foundation
import Testing

@testable import NeuroEndoKit

/// A lab result as a reader gives it, normalized (units converted), at `hour` on 2026-03-18
/// (+01:00), or on `day` of March.
private func result(
  _ subject: String, _ analyte: Analyte, _ value: Double, _ unit: LabUnit,
  specimen: Specimen = .serum, range: ReferenceRange? = nil, day: Int = 18, hour: Int = 8,
  minute: Int = 0, censoring: Censoring = .none, attributes: [String: String] = [:],
  qualifier: String? = nil, label: String? = nil
) -> Sample {
  labResult(
    subject, analyte, value, unit, specimen: specimen, hour: hour, minute: minute, day: day,
    censoring: censoring, range: range, label: label, qualifier: qualifier,
    attributes: attributes, file: "synthetic.csv")
}

private func findings(_ samples: [Sample], settings: FeedbackSettings = FeedbackSettings())
  -> [Finding]
{
  feedback(samples, settings).findings
}

/// Results that could not be paired or judged (no finding; counted in the run summary).
private func notJudged(_ samples: [Sample], settings: FeedbackSettings = FeedbackSettings())
  -> [Finding]
{
  feedback(samples, settings).notJudged
}

/// Values below, inside and above the documented adult ranges (canonical units).
private let levels: [JudgedResult.Status: [Analyte: Double]] = [
  .low: [.acth: 1.0, .cortisol: 120, .tsh: 0.1, .freeT4: 9, .lh: 0.8, .fsh: 0.9, .testosterone: 5],
  .normal: [.acth: 6, .cortisol: 400, .tsh: 2, .freeT4: 15, .lh: 5, .fsh: 6, .testosterone: 18],
  .high: [.acth: 20, .cortisol: 800, .tsh: 9, .freeT4: 30, .lh: 15, .fsh: 20, .testosterone: 40],
]

private let canonicalUnit: [Analyte: LabUnit] = [
  .acth: .picomolePerLiter, .cortisol: .nanomolePerLiter, .tsh: .milliIUPerLiter,
  .freeT4: .picomolePerLiter, .lh: .iuPerLiter, .fsh: .iuPerLiter,
  .testosterone: .nanomolePerLiter, .estradiol: .picomolePerLiter,
]

struct GridCell: Sendable, CustomTestStringConvertible {
  var regulator: JudgedResult.Status
  var regulated: JudgedResult.Status
  var pattern: String
  var testDescription: String { "\(regulator) x \(regulated) -> \(pattern)" }
}

private let statuses: [JudgedResult.Status] = [.low, .normal, .high]

@Suite("Feedback analyzers")
struct FeedbackAnalyzerTests {
  /// The HPA patterns by the guidelines (Methods: Feedback patterns): a morning ACTH (pmol/L)
  /// and cortisol (nmol/L), and the screen the subject has, if any.
  struct HPACase: Sendable, CustomTestStringConvertible {
    var acth: Double
    var cortisol: Double
    var screen: String?
    var pattern: String
    var testDescription: String {
      "ACTH \(acth), cortisol \(cortisol), screen \(screen ?? "none") -> \(pattern)"
    }
  }

  static let hpaCases = [
    // A high cortisol alone names nothing (Nieman 2008: screen first).
    HPACase(acth: 1.0, cortisol: 800, pattern: "high-cortisol-unscreened"),
    HPACase(acth: 6, cortisol: 800, pattern: "high-cortisol-unscreened"),
    HPACase(acth: 20, cortisol: 800, pattern: "high-cortisol-unscreened"),
    // After a positive screen, ACTH names the source: < 2.2 independent, > 4.4 dependent.
    HPACase(
      acth: 1.0, cortisol: 800, screen: "nights", pattern: "acth-independent-hypercortisolism"),
    HPACase(
      acth: 1.9, cortisol: 800, screen: "dexamethasone",
      pattern: "acth-independent-hypercortisolism"),
    HPACase(
      acth: 3.0, cortisol: 800, screen: "nights", pattern: "hypercortisolism-source-indeterminate"),
    HPACase(
      acth: 6, cortisol: 800, screen: "dexamethasone", pattern: "acth-dependent-hypercortisolism"),
    HPACase(acth: 20, cortisol: 800, screen: "nights", pattern: "acth-dependent-hypercortisolism"),
    // One raised night is not a screen.
    HPACase(acth: 6, cortisol: 800, screen: "one night", pattern: "high-cortisol-unscreened"),
    // Below 100 nmol/L ACTH says primary or secondary; 100-450 is the grey zone.
    HPACase(acth: 20, cortisol: 60, pattern: "primary-adrenal-insufficiency"),
    HPACase(acth: 1.0, cortisol: 60, pattern: "secondary-adrenal-insufficiency"),
    HPACase(acth: 6, cortisol: 60, pattern: "secondary-adrenal-insufficiency"),
    HPACase(acth: 20, cortisol: 120, pattern: "adrenal-insufficiency-indeterminate"),
    HPACase(acth: 6, cortisol: 180, pattern: "adrenal-insufficiency-indeterminate"),
    // Within range, the grid as before.
    HPACase(acth: 6, cortisol: 400, pattern: "balanced"),
    HPACase(acth: 20, cortisol: 400, pattern: "isolated-high-acth"),
    HPACase(acth: 1.0, cortisol: 400, pattern: "isolated-low-acth"),
  ]

  @Test("HPA: screen before source, adrenal insufficiency by zones", arguments: hpaCases)
  func hpaByGuidelines(_ hpa: HPACase) throws {
    var samples = [
      result("a", .acth, hpa.acth, .picomolePerLiter, specimen: .plasma),
      result("a", .cortisol, hpa.cortisol, .nanomolePerLiter, minute: 20),
    ]
    switch hpa.screen {
    case "nights"?, "one night"?:
      // Late-night salivary cortisol above 2.8 nmol/L, at 23:30 (and on a second night).
      for day in hpa.screen == "nights" ? [15, 16] : [15] {
        samples.append(
          result(
            "a", .cortisol, 9.5, .nanomolePerLiter, specimen: .saliva, day: day, hour: 23,
            minute: 30, qualifier: "late-night"))
      }
    case "dexamethasone"?:
      samples.append(
        result(
          "a", .cortisol, 140, .nanomolePerLiter, day: 16, hour: 8,
          attributes: ["comment": "post dexamethasone 1 mg"]))
    default: break
    }
    let found = findings(samples).filter { $0.analyzer == "hpa_feedback" }
    #expect(found.map(\.pattern) == [hpa.pattern])
    if hpa.pattern.hasSuffix("hypercortisolism") {
      #expect(found.first?.rule.contains("screen: ") == true)
      #expect(found.first?.severity == .marked)
    }
    if hpa.pattern.hasSuffix("unscreened") || hpa.pattern.hasSuffix("indeterminate") {
      #expect(found.first?.severity == .notable)
    }
  }

  @Test("ACTH after dexamethasone belongs to the suppression test, never adrenal insufficiency")
  func acthAfterDexamethasone() throws {
    let marker = ["comment": "post dexamethasone 1 mg"]
    let found = findings([
      result("d", .acth, 0.5, .picomolePerLiter, specimen: .plasma, attributes: marker),
      result("d", .cortisol, 30, .nanomolePerLiter, minute: 10, attributes: marker),
    ])
    #expect(found.map(\.pattern).sorted() == ["acth-after-dexamethasone", "normal-suppression"])
    #expect(!found.contains { $0.pattern.contains("insufficiency") })
    let acth = try #require(found.first { $0.pattern == "acth-after-dexamethasone" })
    #expect(acth.severity == .info)
    #expect(acth.message.contains("expected result of the test"))
  }

  /// The HPT grid (Methods: Feedback patterns): rows TSH, columns FT4; all nine cells.
  static let hptGrid = [
    GridCell(regulator: .high, regulated: .low, pattern: "primary-hypothyroidism"),
    GridCell(regulator: .high, regulated: .normal, pattern: "subclinical-hypothyroidism"),
    GridCell(regulator: .low, regulated: .high, pattern: "primary-hyperthyroidism"),
    GridCell(regulator: .low, regulated: .normal, pattern: "subclinical-hyperthyroidism"),
    GridCell(regulator: .low, regulated: .low, pattern: "central-hypothyroidism"),
    GridCell(regulator: .normal, regulated: .low, pattern: "central-hypothyroidism"),
    GridCell(regulator: .normal, regulated: .high, pattern: "inappropriate-tsh"),
    GridCell(regulator: .high, regulated: .high, pattern: "inappropriate-tsh"),
    GridCell(regulator: .normal, regulated: .normal, pattern: "balanced"),
  ]

  @Test("HPT: every cell of the TSH x FT4 grid", arguments: hptGrid)
  func hptCells(_ cell: GridCell) throws {
    let found = findings([
      result("t", .tsh, levels[cell.regulator]![.tsh]!, .milliIUPerLiter),
      result("t", .freeT4, levels[cell.regulated]![.freeT4]!, .picomolePerLiter),
    ])
    #expect(found.map(\.pattern) == [cell.pattern])
  }

  /// HPG: rows LH/FSH together, columns testosterone (a man).
  static let hpgGrid = [
    GridCell(regulator: .high, regulated: .low, pattern: "primary-hypogonadism"),
    GridCell(regulator: .low, regulated: .low, pattern: "secondary-hypogonadism"),
    GridCell(regulator: .normal, regulated: .low, pattern: "secondary-hypogonadism"),
    GridCell(regulator: .normal, regulated: .normal, pattern: "balanced"),
    GridCell(regulator: .high, regulated: .normal, pattern: "compensated-primary-hypogonadism"),
    GridCell(regulator: .low, regulated: .normal, pattern: "isolated-low-gonadotropins"),
    GridCell(
      regulator: .low, regulated: .high, pattern: "suppressed-gonadotropins-high-testosterone"),
    GridCell(
      regulator: .normal, regulated: .high, pattern: "high-testosterone-unsuppressed-gonadotropins"),
    GridCell(
      regulator: .high, regulated: .high, pattern: "high-testosterone-unsuppressed-gonadotropins"),
  ]

  @Test(
    "HPG: every cell of the LH/FSH x testosterone grid (men's default ranges)", arguments: hpgGrid)
  func hpgCells(_ cell: GridCell) throws {
    let man = ["sex": "M"]
    let found = findings([
      result("g", .lh, levels[cell.regulator]![.lh]!, .iuPerLiter, attributes: man),
      result("g", .fsh, levels[cell.regulator]![.fsh]!, .iuPerLiter, attributes: man),
      result(
        "g", .testosterone, levels[cell.regulated]![.testosterone]!, .nanomolePerLiter,
        attributes: man),
    ])
    #expect(found.map(\.pattern) == [cell.pattern])
    #expect(found.first?.context == ["sex: male"])
  }

  @Test(
    "HPG in women: estradiol with LH/FSH against the lab's ranges; either gonadotropin high counts")
  func estradiolInWomen() {
    let woman = ["sex": "female"]
    let lhRange = ReferenceRange(low: 2, high: 12)
    let fshRange = ReferenceRange(low: 2, high: 10)
    let e2Range = ReferenceRange(low: 100, high: 1500)
    func run(lh: Double, fsh: Double, e2: Double) -> [String] {
      findings([
        result("w", .lh, lh, .iuPerLiter, range: lhRange, attributes: woman),
        result("w", .fsh, fsh, .iuPerLiter, range: fshRange, attributes: woman),
        result("w", .estradiol, e2, .picomolePerLiter, range: e2Range, attributes: woman),
      ]).map(\.pattern)
    }
    // High LH/FSH with low estradiol is what menopause looks like: a postmenopausal pattern
    // (info), not ovarian failure; before 40 years, premature ovarian insufficiency.
    #expect(run(lh: 35, fsh: 60, e2: 70) == ["postmenopausal-pattern"])
    #expect(run(lh: 5, fsh: 30, e2: 70) == ["postmenopausal-pattern"])
    let young = findings([
      result("y", .fsh, 60, .iuPerLiter, range: fshRange, attributes: ["sex": "F", "age": "32"]),
      result(
        "y", .estradiol, 70, .picomolePerLiter, range: e2Range,
        attributes: ["sex": "F", "age": "32"]),
    ])
    #expect(young.map(\.pattern) == ["premature-ovarian-insufficiency-pattern"])
    #expect(young.first?.severity == .notable)
    // At or past the menopause age, high FSH with estradiol in range is postmenopausal too.
    let older = findings([
      result("o", .fsh, 60, .iuPerLiter, range: fshRange, attributes: ["sex": "F", "age": "58"]),
      result(
        "o", .estradiol, 150, .picomolePerLiter, range: e2Range,
        attributes: ["sex": "F", "age": "58"]),
    ])
    #expect(older.map(\.pattern) == ["postmenopausal-pattern"])
    #expect(older.first?.severity == .info)
    #expect(run(lh: 1, fsh: 1, e2: 70) == ["secondary-hypogonadism"])
    #expect(run(lh: 5, fsh: 6, e2: 400) == ["balanced"])
    // A man's estradiol is not judged against gonadotropins; his LH/FSH stay unpaired.
    let manSamples = [
      result("m", .lh, 5, .iuPerLiter, attributes: ["sex": "M"]),
      result("m", .estradiol, 70, .picomolePerLiter, attributes: ["sex": "M"]),
    ]
    #expect(findings(manSamples).isEmpty)
    #expect(notJudged(manSamples).map(\.pattern) == ["unpaired"])
    let unknownSex = notJudged([
      result("x", .lh, 5, .iuPerLiter), result("x", .estradiol, 70, .picomolePerLiter),
    ])
    #expect(unknownSex.map(\.pattern) == ["undetermined", "unpaired"])
    #expect(
      unknownSex[0].message.hasSuffix("not judged against LH/FSH: the subject's sex is unknown"))
  }

  @Test(
    "values exactly on a limit are inside the range; censored values only when the limit settles it"
  )
  func limits() {
    let range = ReferenceRange(low: 0.3, high: 4.2)
    #expect(ResultJudge.status(4.2, .none, range) == .normal)
    #expect(ResultJudge.status(0.3, .none, range) == .normal)
    #expect(ResultJudge.status(4.2000001, .none, range) == .high)
    #expect(ResultJudge.status(0.2999999, .none, range) == .low)
    #expect(ResultJudge.status(0.3, .below, range) == .low)  // < 0.3
    #expect(ResultJudge.status(0.3, .atOrBelow, range) == .indeterminate)  // <= 0.3
    #expect(ResultJudge.status(2, .below, range) == .indeterminate)
    #expect(ResultJudge.status(18, .below, ReferenceRange(low: nil, high: 150)) == .normal)
    #expect(ResultJudge.status(4.2, .above, range) == .high)
    #expect(ResultJudge.status(4.2, .atOrAbove, range) == .indeterminate)
    let found = findings([
      result("l", .tsh, 4.2, .milliIUPerLiter), result("l", .freeT4, 11.6, .picomolePerLiter),
    ])
    #expect(found.map(\.pattern) == ["balanced"])
    #expect(
      found.first?.message
        == "HPT feedback balanced: TSH 4.2 mIU/L within 0.3-4.2, FT4 11.6 pmol/L within 11.6-21.9")
  }

  @Test("unit-converted inputs: TSH in u[IU]/mL and FT4 in ng/dL, with SPINA indices by hand")
  func convertedUnits() throws {
    let found = findings([
      result("u", .tsh, 7.8, .microIUPerMilliliter),
      result("u", .freeT4, 0.72, .nanogramPerDeciliter),
    ])
    let finding = try #require(found.first)
    #expect(finding.pattern == "primary-hypothyroidism")
    // FT4 0.72 ng/dL x 12.87 = 9.2664 pmol/L < 11.6; TSH 7.8 m[IU]/L > 4.2.
    #expect(abs(finding.values[1].value - 9.2664) < 1e-12)
    #expect(
      finding.message
        == "pattern consistent with primary hypothyroidism: TSH 7.8 mIU/L > 4.2, FT4 9.27 pmol/L < 11.6"
    )
    // The values column shows FT4 at its reporting precision: 0.72 has two significant
    // digits, the converted value one more.
    #expect(finding.values[1].valueText == "9.27")
    #expect(FindingTables.row(finding)[6].contains("ft4=9.27 pmol/L (low)"))
    // TSHI = ln 7.8 + 0.1345 x 9.2664; sTSHI = (TSHI - 2.7) / 0.676; TTSI = 100 x 7.8 x 9.2664 / 21.9.
    let tshi = log(7.8) + 0.1345 * 9.2664
    #expect(abs(finding.indices["tshi"]! - tshi) < 1e-12)
    #expect(abs(finding.indices["tshi"]! - 3.30045) < 1e-5)
    #expect(abs(finding.indices["stshi"]! - (tshi - 2.7) / 0.676) < 1e-12)
    #expect(abs(finding.indices["ttsi"]! - 100 * 7.8 * 9.2664 / 21.9) < 1e-9)
  }

  @Test("a lab-supplied range overrides the default and is named as the source")
  func labRange() throws {
    // TSH 0.28 is low by the default 0.3-4.2 but inside the lab's 0.27-4.2.
    let withLab = findings([
      result("r", .tsh, 0.28, .milliIUPerLiter, range: ReferenceRange(low: 0.27, high: 4.2)),
      result("r", .freeT4, 15, .picomolePerLiter),
    ])
    #expect(withLab.first?.pattern == "balanced")
    #expect(withLab.first?.values[0].rangeSource == "lab")
    #expect(withLab.first?.values[1].rangeSource == "default (all): adult free T4 11.6-21.9 pmol/L")
    let withoutLab = findings([
      result("r", .tsh, 0.28, .milliIUPerLiter), result("r", .freeT4, 15, .picomolePerLiter),
    ])
    #expect(withoutLab.first?.pattern == "subclinical-hyperthyroidism")
    // A lab range in another unit is converted with the result: 0.9-1.7 ng/dL = 11.583-21.879.
    let converted = findings([
      result("r", .tsh, 2, .milliIUPerLiter),
      result("r", .freeT4, 0.8, .nanogramPerDeciliter, range: ReferenceRange(low: 0.9, high: 1.7)),
    ])
    #expect(converted.first?.pattern == "central-hypothyroidism")
    #expect(abs(converted.first!.values[1].range!.low! - 0.9 * 12.87) < 1e-12)
  }

  @Test("a missing partner, a partner out of the window, and a result without time are unpaired")
  func unpaired() {
    #expect(findings([result("p", .freeT4, 15, .picomolePerLiter)]).isEmpty)
    let alone = notJudged([result("p", .freeT4, 15, .picomolePerLiter)])
    #expect(alone.map(\.pattern) == ["unpaired"])
    #expect(alone.first?.reason == "FT4: no TSH within 24 h (feedback.pairing_window_hours)")
    #expect(
      alone.first?.message
        == "FT4 15 pmol/L within 11.6-21.9 has no TSH within 24 h (feedback.pairing_window_hours): the HPT loop could not be checked"
    )
    #expect(alone.first?.history == nil)
    // ACTH and cortisol 90 min apart: outside the 1 h window, both reported.
    let apart = notJudged([
      result("p", .acth, 6, .picomolePerLiter, specimen: .plasma),
      result("p", .cortisol, 400, .nanomolePerLiter).with(hour: 9, minute: 30),
    ])
    #expect(apart.map(\.pattern) == ["unpaired", "unpaired"])
    var settings = FeedbackSettings()
    settings.acthCortisolWindowHours = 2
    #expect(
      findings(
        [
          result("p", .acth, 6, .picomolePerLiter, specimen: .plasma),
          result("p", .cortisol, 400, .nanomolePerLiter).with(hour: 9, minute: 30),
        ], settings: settings
      ).map(\.pattern) == ["balanced"])
    // The nearest TSH wins: 2 h before beats 20 h after.
    let three = [
      result("n", .tsh, 9, .milliIUPerLiter, hour: 6),
      result("n", .tsh, 2, .milliIUPerLiter, day: 19, hour: 4),
      result("n", .freeT4, 15, .picomolePerLiter, hour: 8),
    ]
    #expect(findings(three).map(\.pattern) == ["subclinical-hypothyroidism"])
    #expect(notJudged(three).map(\.pattern) == ["unpaired"])
    var untimed = result("x", .freeT4, 15, .picomolePerLiter)
    untimed.collected = nil
    let noTime = notJudged([untimed, result("x", .tsh, 2, .milliIUPerLiter)])
    #expect(noTime.map(\.pattern) == ["unpaired", "unpaired"])
    #expect(noTime.contains { $0.message.contains("has no collection time to pair by") })
  }

  @Test(
    "dexamethasone suppression: marked by column, test name or note; cut-off 50 by default, 100 or 200 selectable"
  )
  func dexamethasone() {
    let byColumn = result(
      "d", .cortisol, 60, .nanomolePerLiter, attributes: ["dexamethasone": "yes"])
    let byName = result(
      "d", .cortisol, 1.1, .microgramPerDeciliter, day: 19,
      attributes: ["test_name": "Cortisol, post dex"])
    let byNote = result(
      "d", .cortisol, 50, .nanomolePerLiter, day: 20,
      attributes: ["note": "after 1 mg dexamethasone"])
    let notDex = result(
      "d", .cortisol, 400, .nanomolePerLiter, day: 21, attributes: ["test_name": "Cortisol, index"])
    let found = findings([byColumn, byName, byNote, notDex]).filter {
      $0.analyzer == "dexamethasone_suppression"
    }
    // 60 >= 50 fails; 1.1 ug/dL = 30.349 nmol/L suppresses; exactly 50 is not below 50.
    #expect(
      found.map(\.pattern) == ["failed-suppression", "normal-suppression", "failed-suppression"])
    #expect(
      found[0].message
        == "pattern consistent with failed dexamethasone suppression: cortisol 60 nmol/L >= 50")
    #expect(found[0].history == .first && found[1].history == .resolved && found[2].history == .new)
    var loose = FeedbackSettings()
    loose.dexamethasoneCutoff = 100
    #expect(
      findings([byColumn], settings: loose).map(\.pattern) == ["normal-suppression"])
    #expect(FeedbackAnalyzer.mentions("Cortisol, 08:00 after 1 mg Dex", ["dex"]))
    #expect(!FeedbackAnalyzer.mentions("Cortisol index", ["dex"]))
    // Words match whatever separates them; a label holding no phrase is ruled out early.
    #expect(FeedbackAnalyzer.mentions("Cortisol, POST-DEX", ["post dex"]))
    #expect(FeedbackAnalyzer.mentions("cortisol post dex", ["post-dex"]))
    #expect(!FeedbackAnalyzer.mentions("S1", ["dexamethasone", "post dex", "post-dex", "dex"]))
  }

  @Test(
    "late-night salivary cortisol: the lab's upper limit first, else the configured assay limit")
  func lateNight() {
    let lab = result(
      "n", .cortisol, 3.1, .nanomolePerLiter, specimen: .saliva,
      range: ReferenceRange(low: nil, high: 2.8),
      hour: 23, qualifier: "late-night")
    let noLimit = result(
      "n", .cortisol, 3.1, .nanomolePerLiter, specimen: .saliva, day: 19, hour: 23,
      qualifier: "late-night")
    let found = findings([lab, noLimit])
    #expect(found.map(\.pattern) == ["above-limit", "above-limit"])
    #expect(found[0].rule == "late-night salivary cortisol above 2.8 nmol/L, the lab's upper limit")
    #expect(found[1].rule.hasSuffix("the configured assay limit (feedback.late_night_limit)"))
    var immunoassay = FeedbackSettings()
    immunoassay.lateNightLimit = 3.8
    #expect(findings([noLimit], settings: immunoassay).map(\.pattern) == ["within-limit"])
    #expect(findings([lab], settings: immunoassay).map(\.pattern) == ["above-limit"])
  }

  @Test(
    "a day's salivary curve alone gives no finding; with a late-night or a post-dexamethasone sample, their findings"
  )
  func salivaryCurveAlone() {
    // A CAR day: cortisol in saliva, labelled by slot, with a medication noted.
    let curve = [7, 7, 8, 12, 22].enumerated().map { index, hour in
      result(
        "c", .cortisol, [12, 18, 15, 6, 2][index], .nanomolePerLiter, specimen: .saliva,
        hour: hour, minute: index < 2 ? index * 30 : 0,
        attributes: ["medication": "levothyroxine 50 µg", "sex": "F"], label: "S\(index + 1)")
    }
    #expect(findings(curve).isEmpty && notJudged(curve).isEmpty)
    let late = result(
      "c", .cortisol, 9.5, .nanomolePerLiter, specimen: .saliva, hour: 23, label: "late night")
    #expect(findings(curve + [late]).map(\.pattern) == ["above-limit"])
    let dexamethasone = result(
      "c", .cortisol, 4, .nanomolePerLiter, specimen: .saliva, day: 19, hour: 8,
      attributes: ["note": "after 1 mg dexamethasone"])
    // Salivary cortisol after dexamethasone has no cut-off by default: said, not judged.
    #expect(notJudged(curve + [dexamethasone]).count == 1)
    // Told from the curve by a qualifier, a note or a test code alone, under a label and
    // notes the curve's samples carry: each kind of sample is read for itself, not as the
    // last one seen with its label (several days of the curve, so that the label recurs).
    let days = (18...20).flatMap { day in
      curve.map { sample in
        var sample = sample
        sample.collected = sample.collected.map {
          var time = $0
          time.local = LocalDateTime(
            year: 2026, month: 3, day: day, hour: time.local.hour, minute: time.local.minute)
          return time
        }
        return sample
      }
    }
    #expect(findings(days).isEmpty && notJudged(days).isEmpty)
    /// A sample like `days[index]` on the 21st at `hour`, of 9.5 nmol/L.
    func another(_ index: Int, hour: Int) -> Sample {
      var sample = days[index]
      sample.collected = CollectionTime(
        local: LocalDateTime(year: 2026, month: 3, day: 21, hour: hour, minute: 0),
        utcOffsetSeconds: sample.collected?.utcOffsetSeconds)
      sample.quantity = Quantity(value: 9.5, unit: .nanomolePerLiter)
      return sample
    }
    var qualified = another(4, hour: 23)
    qualified.qualifier = "late-night"
    #expect(findings(days + [qualified]).map(\.pattern) == ["above-limit"])
    var noted = another(0, hour: 8)
    noted.attributes["note"] = "after 1 mg dexamethasone"
    #expect(notJudged(days + [noted]).count == 1)
    var coded = another(0, hour: 8)
    coded.testCode = "post-dex"
    #expect(notJudged(days + [coded]).count == 1)
    // Kinds are told apart by their texts' exact bytes: notes equal as texts (two
    // spellings of one accent) are two kinds.
    typealias Answers = FeedbackAnalyzer.CurveAnswers
    #expect(Answers.same([:], [:]) && Answers.same(["note": "S\u{E9}"], ["note": "S\u{E9}"]))
    #expect(!Answers.same(["note": "S\u{E9}"], ["note": "Se\u{301}"]))
    #expect(!Answers.same(["n\u{E9}": "x"], ["ne\u{301}": "x"]))
    #expect(!Answers.same(["note": "x"], ["note": "x", "sex": "F"]))
    #expect(!Answers.same(["note": "x"], ["other": "x"]))
  }

  @Test("phrases: the quick test of a text's bytes never says no where the full match says yes")
  func phrasesQuickTest() {
    let phrases = FeedbackAnalyzer.Phrases([
      "late-night", "late night", "midnight", "spätabends", "after dexamethasone", "Dex",
      "+30 min",
    ])
    let pieces = [
      "S1", "late", "NIGHT", "Late-Night", "mid", "MIDNIGHT", "SPÄTABENDS", "spät", "dex",
      "DEXAMETHASONE", "after", " ", "-", "+30", "min", "é", "x", "0",
    ]
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<20_000 {
      let text = (0..<Int.random(in: 1...4, using: &generator)).map { _ in
        pieces[Int.random(in: 0..<pieces.count, using: &generator)]
      }.joined(separator: Bool.random(using: &generator) ? " " : "")
      #expect(phrases.mentioned(in: text) == phrases.match(text), "\(text)")
    }
    #expect(phrases.mentioned(in: "LATE NIGHT saliva") && !phrases.mentioned(in: "S1"))
  }

  @Test("context: sex, age and medication on the findings they can explain")
  func context() throws {
    let attributes = [
      "sex": "F", "birth_date": "1971-04-12", "medication": "Euthyrox 75 µg; biotin",
    ]
    let found = findings([
      result("c", .tsh, 2, .milliIUPerLiter, attributes: attributes),
      result("c", .freeT4, 15, .picomolePerLiter, attributes: attributes),
      result("c", .acth, 6, .picomolePerLiter, specimen: .plasma, attributes: attributes),
      result("c", .cortisol, 400, .nanomolePerLiter, attributes: attributes),
    ])
    let hpa = try #require(found.first { $0.axis == .hpa })
    let hpt = try #require(found.first { $0.axis == .hpt })
    #expect(
      hpt.context == [
        "sex: female", "age: 54",
        "medication: Euthyrox 75 µg; biotin (levothyroxine, biotin can change HPT readings)",
      ])
    // Levothyroxine does not explain an HPA finding; biotin (assay interference) does.
    #expect(
      hpa.context.last == "medication: Euthyrox 75 µg; biotin (biotin can change HPA readings)")
    #expect(FeedbackSettings.Sex(text: "weiblich") == .female)
  }

  @Test("history: new, persisting, resolved and stable against the subject's earlier findings")
  func history() {
    let found = findings([
      result("h", .tsh, 9, .milliIUPerLiter, day: 1),
      result("h", .freeT4, 9, .picomolePerLiter, day: 1),
      result("h", .tsh, 9.5, .milliIUPerLiter, day: 5),
      result("h", .freeT4, 8, .picomolePerLiter, day: 5),
      result("h", .tsh, 2, .milliIUPerLiter, day: 10),
      result("h", .freeT4, 15, .picomolePerLiter, day: 10),
      result("h", .tsh, 2.2, .milliIUPerLiter, day: 15),
      result("h", .freeT4, 14, .picomolePerLiter, day: 15),
      result("h", .tsh, 6, .milliIUPerLiter, day: 20),
      result("h", .freeT4, 14, .picomolePerLiter, day: 20),
    ])
    #expect(found.map(\.history) == [.first, .persisting, .resolved, .stable, .new])
    #expect(found[2].historyNote == "was primary-hypothyroidism on 2026-03-05")
    #expect(found.map(\.pattern).last == "subclinical-hypothyroidism")
  }
}

extension Sample {
  fileprivate func with(hour: Int, minute: Int = 0) -> Sample {
    var copy = self
    copy.collected?.local = LocalDateTime(
      year: collected!.local.year, month: collected!.local.month, day: collected!.local.day,
      hour: hour, minute: minute)
    return copy
  }
}

@Suite("Medication changes HPA verdicts (issue 22, point 5)")
struct MedicationVerdictTests {
  private func evaluate(_ samples: [Sample]) -> FeedbackResult {
    let normalized = Normalizer(settings: NormalizerSettings(timeZone: "Europe/Berlin"))!
      .normalize(samples).samples
    return FeedbackAnalyzer(settings: FeedbackSettings()).evaluate(normalized)
  }

  @Test("on prednisolone every HPA result is not interpretable, not a pattern")
  func glucocorticoid() {
    let meds = ["medication": "Prednisolone 5 mg"]
    let evaluated = evaluate([
      result("p", .acth, 0.9, .picomolePerLiter, specimen: .plasma, attributes: meds),
      result("p", .cortisol, 60, .nanomolePerLiter, minute: 10, attributes: meds),
      result(
        "p", .cortisol, 138, .nanomolePerLiter, day: 19,
        attributes: meds.merging(["comment": "after 1 mg dex"]) { $1 }),
    ])
    #expect(!evaluated.findings.contains { $0.axis == .hpa })
    let hpa = evaluated.notJudged.filter { $0.axis == .hpa }
    #expect(hpa.map(\.pattern) == ["not-interpretable", "not-interpretable"])
    #expect(hpa.allSatisfy { $0.reason == "HPA not interpretable: glucocorticoid medication" })
    #expect(
      hpa.first?.message.hasPrefix("not interpretable (glucocorticoid): Prednisolone 5 mg") == true)
    // The thyroid is still judged.
    let thyroid = evaluate([
      result("p", .tsh, 9, .milliIUPerLiter, attributes: meds),
      result("p", .freeT4, 9, .picomolePerLiter, attributes: meds),
    ])
    #expect(thyroid.findings.map(\.pattern) == ["primary-hypothyroidism"])
  }

  @Test("dexamethasone named beside a dexamethasone test is the test's dose, not a treatment")
  func dexamethasoneDose() {
    let evaluated = evaluate([
      result(
        "d", .cortisol, 30, .nanomolePerLiter,
        attributes: ["medication": "Dexamethasone 1 mg 23:00", "comment": "post dex"])
    ])
    #expect(evaluated.findings.map(\.pattern) == ["normal-suppression"])
  }

  @Test("on the pill a high total cortisol and a failed test are not hypercortisolism")
  func estrogen() {
    let pill = ["medication": "combined oral contraceptive"]
    let high = evaluate([
      result("e", .acth, 6, .picomolePerLiter, specimen: .plasma, attributes: pill),
      result("e", .cortisol, 800, .nanomolePerLiter, minute: 10, attributes: pill),
      result(
        "e", .cortisol, 140, .nanomolePerLiter, day: 16,
        attributes: pill.merging(["comment": "post dexamethasone"]) { $1 }),
    ])
    #expect(
      high.findings.map(\.pattern).sorted() == [
        "failed-suppression-on-estrogen", "high-total-cortisol-on-estrogen",
      ])
    #expect(!high.findings.contains { $0.severity == .marked })
    // Late-night salivary cortisol measures the free hormone: it still screens.
    var screened = [
      result("e", .acth, 6, .picomolePerLiter, specimen: .plasma, attributes: pill),
      result("e", .cortisol, 800, .nanomolePerLiter, minute: 10, attributes: pill),
    ]
    for day in [15, 16] {
      screened.append(
        result(
          "e", .cortisol, 9.5, .nanomolePerLiter, specimen: .saliva, day: day, hour: 23,
          minute: 30, attributes: pill, qualifier: "late-night"))
    }
    #expect(
      evaluate(screened).findings.contains { $0.pattern == "acth-dependent-hypercortisolism" })
  }
}

@Suite("SPINA Thyr indices (issue 22, point 10)")
struct SpinaTests {
  @Test("SPINA-GT and SPINA-GD by hand: a euthyroid set lands inside the reference intervals")
  func handWorked() {
    // GT = 1.1e-6 (2.75 + 1.5)(1 + 2e10 * 3e-7 + 2e8 * 4.5e-6) 16.5e-12 / (0.1 * 1.5)
    //    = 4.675e-6 * 6901 * 16.5e-12 / 0.15 = 3.5488e-12 mol/s.
    #expect(abs(Spina.gt(tsh: 1.5, ft4: 16.5) - 3.54883925) < 1e-9)
    // GD = 8e-6 (5e-7 + 16.5e-12)(1 + 2e9 * 3e-7) 4.5e-12 / (0.026 * 16.5e-12) = 25.22e-9 mol/s.
    #expect(abs(Spina.gd(ft4: 16.5, ft3: 4.5) - 25.21761537) < 1e-7)
    #expect(Spina.gtReference.contains(Spina.gt(tsh: 1.5, ft4: 16.5)))
    #expect(Spina.gdReference.contains(Spina.gd(ft4: 16.5, ft3: 4.5)))
    // Primary hypothyroidism (TSH 9, FT4 9): a low secretory capacity.
    #expect(abs(Spina.gt(tsh: 9, ft4: 9) - 0.89195425) < 1e-9)
    #expect(Spina.gt(tsh: 9, ft4: 9) < Spina.gtReference.lowerBound)
  }

  @Test("a TSH-FT4-FT3 finding carries the indices, and the report shows them with references")
  func onFindingsAndReport() throws {
    let samples = [
      result("s", .tsh, 1.5, .milliIUPerLiter), result("s", .freeT4, 16.5, .picomolePerLiter),
      result("s", .freeT3, 4.5, .picomolePerLiter),
    ]
    let finding = try #require(findings(samples).first)
    #expect(abs((finding.indices["spina_gt"] ?? 0) - 3.54883925) < 1e-9)
    #expect(abs((finding.indices["spina_gd"] ?? 0) - 25.21761537) < 1e-7)
    let entries = PatientReport.indices(finding.indices)
    #expect(entries.map(\.name).first == "SPINA-GT (thyroid secretory capacity)")
    #expect(entries.first?.value == "3.55" && entries.first?.reference == "1.41-8.67")
    #expect(entries.contains { $0.name.contains("TTSI") && $0.source == "Pilo et al. 1990" })
    // On levothyroxine the T4 is not the gland's: no SPINA-GT.
    let treated = samples.map { sample -> Sample in
      var sample = sample
      sample.attributes["medication"] = "Levothyroxine 75 ug"
      return sample
    }
    let onTreatment = try #require(findings(treated).first)
    #expect(onTreatment.indices["spina_gt"] == nil)
    #expect(onTreatment.indices["spina_gd"] != nil)
  }
}

@Suite("Testosterone in the morning, confirmed, against the harmonised limit (issue 22, point 5)")
struct TestosteroneTests {
  @Test(
    "an afternoon testosterone is not judged; one low morning value is notable, two make it marked")
  func morningAndConfirmation() {
    let man = ["sex": "M"]
    let afternoon = feedback(
      [
        result("t", .lh, 2, .iuPerLiter, attributes: man),
        result("t", .testosterone, 6, .nanomolePerLiter, hour: 15, attributes: man),
      ], FeedbackSettings())
    #expect(afternoon.findings.isEmpty)
    #expect(
      afternoon.notJudged.first?.values.last?.reason
        == "testosterone is judged only 07:00-11:00; collected at 15:00")
    let once = findings([
      result("t", .lh, 2, .iuPerLiter, attributes: man),
      result("t", .testosterone, 6, .nanomolePerLiter, attributes: man),
    ])
    #expect(once.map(\.pattern) == ["secondary-hypogonadism"])
    #expect(once.first?.severity == .notable)
    #expect(once.first?.message.contains("a diagnosis needs 2 morning values") == true)
    let twice = findings([
      result("t", .lh, 2, .iuPerLiter, attributes: man),
      result("t", .testosterone, 6, .nanomolePerLiter, attributes: man),
      result("t", .testosterone, 7, .nanomolePerLiter, day: 25, attributes: man),
    ])
    #expect(twice.first?.pattern == "secondary-hypogonadism")
    #expect(twice.first?.severity == .marked)
    // 9.0 nmol/L is low against the harmonised 9.2 (Travison 2017), 8.3 no longer decides.
    let harmonised = findings([
      result("h", .lh, 2, .iuPerLiter, attributes: man),
      result("h", .testosterone, 9.0, .nanomolePerLiter, attributes: man),
    ])
    #expect(harmonised.first?.values.last?.status == .low)
  }

  @Test("on levothyroxine a thyroid pattern is labelled as treated; biotin puts a caution on it")
  func thyroidMedication() {
    let treated = findings([
      result("l", .tsh, 9, .milliIUPerLiter, attributes: ["medication": "Euthyrox 100"]),
      result("l", .freeT4, 9, .picomolePerLiter, attributes: ["medication": "Euthyrox 100"]),
    ])
    #expect(treated.first?.message.contains("on levothyroxine treatment") == true)
    let biotin = findings([
      result("b", .tsh, 0.1, .milliIUPerLiter, attributes: ["medication": "Biotin 10 mg"]),
      result("b", .freeT4, 30, .picomolePerLiter, attributes: ["medication": "Biotin 10 mg"]),
    ])
    #expect(biotin.first?.message.contains("caution: biotin") == true)
    #expect(biotin.first?.rule.contains("biotin: immunoassay caution") == true)
  }
}

@Suite("One draw tells one story (issue 22, point 7)")
struct OneStoryTests {
  @Test(
    "secondary insufficiency beside a failed suppression within 48 h: neither is marked, each says why"
  )
  func contradiction() {
    let found = findings([
      result("c", .cortisol, 60, .nanomolePerLiter, day: 18, hour: 8),
      result("c", .acth, 1.0, .picomolePerLiter, specimen: .plasma, day: 18, hour: 8, minute: 5),
      result(
        "c", .cortisol, 150, .nanomolePerLiter, day: 19, hour: 8,
        attributes: ["comment": "post dex"]),
    ])
    let secondary = found.first { $0.pattern == "secondary-adrenal-insufficiency" }
    let failed = found.first { $0.pattern == "failed-suppression" }
    #expect(secondary?.severity == .notable && failed?.severity == .notable)
    #expect(secondary?.message.contains("contradicts failed-suppression") == true)
    #expect(failed?.message.contains("contradicts secondary-adrenal-insufficiency") == true)
    // A week apart they are two episodes, each marked.
    let apart = findings([
      result("c", .cortisol, 60, .nanomolePerLiter, day: 10, hour: 8),
      result("c", .acth, 1.0, .picomolePerLiter, specimen: .plasma, day: 10, hour: 8, minute: 5),
      result(
        "c", .cortisol, 150, .nanomolePerLiter, day: 19, hour: 8,
        attributes: ["comment": "post dex"]),
    ])
    #expect(apart.filter { $0.severity == .marked }.count == 2)
  }
}

@Suite("Full precision and true reasons (issue 22, point 8)")
struct PrecisionAndReasonTests {
  @Test("a value on the lab's limit is inside it after conversion; a hair above is above")
  func onTheLimit() {
    let range = ReferenceRange(low: 6.2, high: 19.4, unit: .microgramPerDeciliter)
    func status(_ value: Double) -> JudgedResult.Status? {
      findings([
        result("p", .cortisol, value, .microgramPerDeciliter, range: range),
        result("p", .acth, 6, .picomolePerLiter, specimen: .plasma),
      ]).first?.values.last?.status
    }
    #expect(status(19.4) == .normal)
    #expect(status(19.41) == .high)
    #expect(status(6.2) == .normal)
  }

  @Test("an ACTH whose cortisol was read by another rule says so, not 'no cortisol within 1 h'")
  func trueReason() throws {
    let result = feedback([
      result("r", .acth, 6, .picomolePerLiter, specimen: .plasma, hour: 23),
      result("r", .cortisol, 300, .nanomolePerLiter, hour: 23),
    ])
    let unpaired = try #require(result.notJudged.first { $0.pattern == "unpaired" })
    #expect(unpaired.reason == "ACTH: its cortisol in the window was read as a late-night cortisol")
    #expect(result.findings.contains { $0.analyzer == "late_night_cortisol" })
  }
}

@Suite("Clinical review fixes (issue 22)")
struct ClinicalReviewTests {
  @Test("German dexamethasone markers: a comment and a yes column mark the test")
  func germanMarkers() {
    let byComment = findings([
      result(
        "g", .cortisol, 30, .nanomolePerLiter, attributes: ["comment": "nach 1 mg Dexamethason"]),
      result(
        "g", .acth, 0.5, .picomolePerLiter, specimen: .plasma, minute: 5,
        attributes: ["comment": "nach 1 mg Dexamethason"]),
    ])
    #expect(
      byComment.map(\.pattern).sorted() == ["acth-after-dexamethasone", "normal-suppression"])
    let byColumn = findings([
      result("h", .cortisol, 30, .nanomolePerLiter, attributes: ["Dexamethason": "ja"])
    ])
    #expect(byColumn.map(\.pattern) == ["normal-suppression"])
  }

  @Test("free cortisol is not put through the total-cortisol zones")
  func freeCortisol() {
    let found = findings([
      result("f", .freeCortisol, 12, .nanomolePerLiter, range: ReferenceRange(low: 15, high: 60)),
      result("f", .acth, 25, .picomolePerLiter, specimen: .plasma, minute: 5),
    ])
    // The zones (100 nmol/L) never apply: 12 nmol/L of free cortisol is low by its range,
    // and marks nothing.
    #expect(found.map(\.pattern) == ["primary-adrenal-insufficiency"])
    #expect(found.first?.severity == .notable)
    #expect(found.first?.rule.contains("adrenal_insufficiency_below") == false)
    #expect(found.first?.message.contains("free cortisol: the guideline's cut-offs") == true)
  }

  @Test(
    "medication: negations, non-oral estrogen, more glucocorticoids, a treatment dose of dexamethasone"
  )
  func medicationMatcher() {
    #expect(SubjectContext.classes(of: "no oral contraceptive").isEmpty)
    #expect(SubjectContext.classes(of: "keine Pille").isEmpty)
    #expect(SubjectContext.classes(of: "Estradiol patch 50 ug").isEmpty)
    #expect(
      SubjectContext.classes(of: "Estradiol 2 mg tablets").map(\.name) == ["oral contraceptive"])
    #expect(SubjectContext.classes(of: "Antibabypille").map(\.name) == ["oral contraceptive"])
    for drug in ["Triamcinolon 40 mg i.m.", "Betamethason", "Kortison", "Decortin H 5"] {
      #expect(SubjectContext.classes(of: drug).contains { $0.name == "glucocorticoid" }, "\(drug)")
    }
    // Dexamethasone 8 mg daily beside a marked test is a treatment, not the test's dose.
    let treated = feedback([
      result(
        "d", .cortisol, 30, .nanomolePerLiter,
        attributes: ["medication": "Dexamethasone 8 mg daily", "comment": "post dex"])
    ])
    #expect(treated.findings.isEmpty)
    #expect(treated.notJudged.first?.pattern == "not-interpretable")
  }

  @Test("ACTH '<10 pg/mL' decides: ACTH-independent with a screen, secondary below 100 nmol/L")
  func censoredACTH() {
    let screen = [15, 16].map { day in
      result(
        "c", .cortisol, 9.5, .nanomolePerLiter, specimen: .saliva, day: day, hour: 23, minute: 30,
        qualifier: "late-night")
    }
    let independent = findings(
      screen + [
        result("c", .cortisol, 800, .nanomolePerLiter),
        result(
          "c", .acth, 10, .picogramPerMilliliter, specimen: .plasma, minute: 5, censoring: .below),
      ])
    #expect(independent.contains { $0.pattern == "acth-independent-hypercortisolism" })
    let secondary = findings([
      result("s", .cortisol, 60, .nanomolePerLiter),
      result(
        "s", .acth, 10, .picogramPerMilliliter, specimen: .plasma, minute: 5, censoring: .below),
    ])
    #expect(secondary.map(\.pattern) == ["secondary-adrenal-insufficiency"])
  }

  @Test("a low cortisol in the afternoon against a lab's range says nothing of insufficiency")
  func afternoonLabRange() {
    let found = findings([
      result(
        "a", .cortisol, 90, .nanomolePerLiter, range: ReferenceRange(low: 133, high: 537), hour: 17),
      result(
        "a", .acth, 3, .picomolePerLiter, specimen: .plasma,
        range: ReferenceRange(low: 1.6, high: 13.9), hour: 17),
    ])
    #expect(found.map(\.pattern) == ["low-cortisol-outside-morning"])
    #expect(found.first?.severity == .info)
  }

  @Test("at 55 a high estradiol keeps its own pattern; undated findings contradict nothing")
  func estradiolAndUndated() {
    let high = findings([
      result(
        "e", .fsh, 60, .iuPerLiter, range: ReferenceRange(low: 2, high: 10),
        attributes: ["sex": "F", "age": "55"]),
      result(
        "e", .estradiol, 2000, .picomolePerLiter, range: ReferenceRange(low: 100, high: 1500),
        attributes: ["sex": "F", "age": "55"]),
    ])
    #expect(high.map(\.pattern) == ["high-estradiol-unsuppressed-gonadotropins"])
    // Findings without a time are no episode: they contradict nothing and stay marked.
    let dated = findings([
      result("u", .cortisol, 60, .nanomolePerLiter),
      result("u", .acth, 1.0, .picomolePerLiter, specimen: .plasma, minute: 5),
      result("u", .cortisol, 150, .nanomolePerLiter, day: 19, attributes: ["comment": "post dex"]),
    ])
    let undated = dated.map { finding -> Finding in
      var finding = finding
      finding.time = nil
      return finding
    }
    #expect(dated.allSatisfy { $0.severity == .notable })
    #expect(
      FeedbackAnalyzer.oneStory(
        undated.map { finding -> Finding in
          var marked = finding
          marked.severity = .marked
          return marked
        }
      ).allSatisfy { $0.severity == .marked })
  }
}
