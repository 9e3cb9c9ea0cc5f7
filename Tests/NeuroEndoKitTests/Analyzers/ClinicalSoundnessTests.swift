import Foundation
import Testing

@testable import NeuroEndoKit

/// A result collected on 2026-03-18 at `hour:minute` (+01:00), as a reader gives it.
private func lab(
  _ analyte: Analyte, _ value: Double, _ unit: LabUnit = .nanomolePerLiter,
  specimen: Specimen = .serum, hour: Int, minute: Int = 0, day: Int = 18,
  censoring: Censoring = .none, range: ReferenceRange? = nil, label: String? = nil,
  testCode: String? = nil, qualifier: String? = nil, attributes: [String: String] = [:],
  subject: String = "p1"
) -> Sample {
  labResult(
    subject, analyte, value, unit, specimen: specimen, hour: hour, minute: minute, day: day,
    censoring: censoring, range: range, label: label, testCode: testCode, qualifier: qualifier,
    attributes: attributes, file: "clinic.csv")
}

/// The findings: patterns that could be judged.
private func findings(_ samples: [Sample], _ settings: FeedbackSettings = FeedbackSettings())
  -> [Finding]
{
  feedback(samples, settings).findings
}

/// What could not be paired or judged: never a finding, counted in the run summary.
private func notJudged(_ samples: [Sample], _ settings: FeedbackSettings = FeedbackSettings())
  -> [Finding]
{
  feedback(samples, settings).notJudged
}

@Suite("Findings a clinician can trust")
struct ClinicalSoundnessTests {
  // MARK: 1. Ranges hold at their time of day

  @Test("an afternoon cortisol and ACTH are not judged by the morning ranges: no grid cell fires")
  func afternoonNotJudged() throws {
    let samples = [
      lab(.cortisol, 160, hour: 14, minute: 30),
      lab(.acth, 2.8, .picomolePerLiter, specimen: .plasma, hour: 14, minute: 30),
    ]
    #expect(findings(samples).isEmpty)
    let found = notJudged(samples)
    let finding = try #require(found.first { $0.analyzer == "hpa_feedback" })
    #expect(finding.pattern == "undetermined")
    #expect(
      finding.reason == "ACTH: range applies 07:00-10:00, cortisol: range applies 07:00-10:00")
    #expect(finding.severity == .info)
    #expect(finding.values.map(\.status) == [.unknown, .unknown])
    #expect(
      finding.values[1].reason == "range applies 07:00-10:00; collected at 14:30")
    #expect(finding.message.contains("cortisol 160 nmol/L (range applies 07:00-10:00"))
    #expect(!found.contains { $0.pattern.contains("insufficiency") })
  }

  @Test(
    "the same results at 08:30 fall in the window: 160 nmol/L is the grey zone, not secondary insufficiency; 80 nmol/L fits it"
  )
  func morningJudged() {
    let found = findings([
      lab(.cortisol, 160, hour: 8, minute: 30),
      lab(.acth, 2.8, .picomolePerLiter, specimen: .plasma, hour: 8, minute: 30),
    ])
    // 160 < 193 (low), but between 100 and 450 (Bornstein 2016, Fleseriu 2016): indeterminate.
    #expect(found.map(\.pattern) == ["adrenal-insufficiency-indeterminate"])
    #expect(found.first?.message.contains("dynamic testing") == true)
    let clear = findings([
      lab(.cortisol, 80, hour: 8, minute: 30),
      lab(.acth, 2.8, .picomolePerLiter, specimen: .plasma, hour: 8, minute: 30),
    ])
    #expect(clear.map(\.pattern) == ["secondary-adrenal-insufficiency"])
  }

  @Test("the morning window is a setting; 09:30 is outside 06:00-09:00")
  func windowSetting() {
    var settings = FeedbackSettings()
    settings.morningWindow = 6...9
    let found = notJudged(
      [
        lab(.cortisol, 160, hour: 9, minute: 30),
        lab(.acth, 2.8, .picomolePerLiter, specimen: .plasma, hour: 9, minute: 30),
      ], settings)
    #expect(found.map(\.pattern) == ["undetermined"])
    #expect(found.first?.values[1].reason == "range applies 06:00-09:00; collected at 09:30")
  }

  @Test("a lab range sent with the result keeps priority at any hour")
  func labRangeAnyHour() {
    let found = findings([
      lab(.cortisol, 160, hour: 15, range: ReferenceRange(low: 80, high: 480)),
      lab(
        .acth, 2.8, .picomolePerLiter, specimen: .plasma, hour: 15,
        range: ReferenceRange(low: 1.0, high: 10)),
    ])
    #expect(found.map(\.pattern) == ["balanced"])
    #expect(found.first?.values.map(\.rangeSource) == ["lab", "lab"])
  }

  @Test("a serum cortisol of 380 nmol/L at 23:00 is a lost nadir (Nieman 2008), never balanced")
  func lateNightSerum() throws {
    let found = findings([
      lab(.cortisol, 380, hour: 23),
      lab(.acth, 6, .picomolePerLiter, specimen: .plasma, hour: 23),
    ])
    #expect(!found.contains { $0.pattern == "balanced" })
    let night = try #require(found.first { $0.analyzer == "late_night_cortisol" })
    #expect(night.pattern == "above-limit")
    #expect(night.severity == .marked)
    #expect(
      night.message
        == "pattern consistent with loss of the late-night cortisol nadir: cortisol 380 nmol/L > 207"
    )
    #expect(night.values[0].rangeSource?.contains("Nieman et al. 2008") == true)
    // 150 nmol/L at 00:30 (inside 23:00-01:00) is below 207.
    let lower = findings([lab(.cortisol, 150, hour: 0, minute: 30, day: 19)])
    #expect(lower.map(\.pattern) == ["within-limit"])
    // Without a night limit, night results are not judged.
    var none = FeedbackSettings()
    none.lateNightSerumLimit = nil
    let unjudged = notJudged([lab(.cortisol, 380, hour: 23)], none)
    #expect(findings([lab(.cortisol, 380, hour: 23)], none).isEmpty)
    #expect(unjudged.map(\.pattern) == ["not-judged"])
    #expect(unjudged.first?.severity == .info)
  }

  // MARK: 2. Free cortisol is its own measurement

  @Test("free and total cortisol of one draw are neither duplicates nor conflicts")
  func freeAndTotal() throws {
    let samples = [
      lab(.cortisol, 450, hour: 8, testCode: "2143-6"),
      lab(.freeCortisol, 25, hour: 8, testCode: "2145-1", qualifier: "free"),
    ]
    let result = Normalizer(settings: NormalizerSettings())!.normalize(samples)
    #expect(result.samples.count == 2)
    #expect(result.conflicts == 0)
    #expect(result.duplicates == 0)
    #expect(result.samples.allSatisfy { !$0.flags.contains { $0.code == "conflict" } })
    #expect(LOINC.codes["2145-1"]?.analyte == .freeCortisol)
    // Free cortisol has no default range: never the total cortisol's 193-690.
    let found = findings(
      samples + [lab(.acth, 6, .picomolePerLiter, specimen: .plasma, hour: 8)])
    let free = try #require(
      notJudged(samples + [lab(.acth, 6, .picomolePerLiter, specimen: .plasma, hour: 8)])
        .flatMap(\.values).first { $0.analyte == .freeCortisol })
    #expect(free.range == nil)
    #expect(free.status == .unknown)
    #expect(found.contains { $0.pattern == "balanced" && $0.values[1].analyte == .cortisol })
  }

  @Test("duplicates compare like with like: a late-night and a plain saliva result differ")
  func likeWithLike() {
    let result = Normalizer(settings: NormalizerSettings())!.normalize([
      lab(.cortisol, 3.1, specimen: .saliva, hour: 23, qualifier: "late-night"),
      lab(.cortisol, 2.2, specimen: .saliva, hour: 23),
      lab(.cortisol, 2.2, specimen: .saliva, hour: 23),
    ])
    #expect(result.conflicts == 0)
    #expect(result.duplicates == 1)
    #expect(result.samples.count == 2)
  }

  // MARK: 3. Dexamethasone tests are marked on the sample

  @Test(
    "a medication list naming dexamethasone is no suppression test: a treatment, which makes the HPA results not interpretable"
  )
  func medicationIsContext() throws {
    let samples = [
      lab(.cortisol, 420, hour: 8, minute: 15, attributes: ["medication": "Dexamethasone 4 mg"]),
      lab(.acth, 5, .picomolePerLiter, specimen: .plasma, hour: 8, minute: 15),
    ]
    let found = findings(samples)
    #expect(!found.contains { $0.analyzer == "dexamethasone_suppression" })
    #expect(!found.contains { $0.axis == .hpa })
    let hpa = try #require(notJudged(samples).first { $0.analyzer == "hpa_feedback" })
    #expect(hpa.pattern == "not-interpretable")
    #expect(hpa.context.contains { $0.hasPrefix("medication: Dexamethasone 4 mg (glucocorticoid") })
  }

  @Test("markers: a test code, a test name, a comment and a yes column mark the sample")
  func markers() {
    let byCode = lab(.cortisol, 30, hour: 8, testCode: "CORT-DEX")
    let byName = lab(.cortisol, 30, hour: 8, attributes: ["test_name": "Cortisol post-dex"])
    let byComment = lab(.cortisol, 30, hour: 8, attributes: ["Comment": "after 1 mg dexamethasone"])
    let byColumn = lab(.cortisol, 30, hour: 8, attributes: ["dexamethasone": "yes"])
    for sample in [byCode, byName, byComment, byColumn] {
      #expect(findings([sample]).map(\.pattern) == ["normal-suppression"])
    }
  }

  @Test("salivary cortisol after dexamethasone: not judged without its own cut-off")
  func salivaryDexamethasone() throws {
    let sample = lab(.cortisol, 1.9, specimen: .saliva, hour: 7, minute: 40, label: "post dex")
    #expect(findings([sample]).isEmpty)
    let finding = try #require(notJudged([sample]).first)
    #expect(finding.pattern == "not-judged")
    #expect(finding.message.contains("no agreed cut-off"))
    #expect(finding.message.contains("feedback.dexamethasone_saliva_cutoff"))
    var settings = FeedbackSettings()
    settings.dexamethasoneSalivaCutoff = 1.5
    let judged = try #require(findings([sample], settings).first)
    #expect(judged.pattern == "failed-suppression")
    #expect(judged.rule.contains("feedback.dexamethasone_saliva_cutoff"))
    // A cortisol of unknown specimen is not judged against the serum cut-off either.
    let unknown = lab(
      .cortisol, 30, specimen: .unspecified, hour: 8, label: "post dex")
    #expect(notJudged([unknown]).map(\.pattern) == ["not-judged"])
  }

  // MARK: 4. Censored values decide only where the bound decides

  @Test("'<4' cannot be placed against a late-night limit of 2.8, but is within 5")
  func censoredLateNight() throws {
    let sample = lab(
      .cortisol, 4, specimen: .saliva, hour: 23, minute: 10, censoring: .below,
      qualifier: "late-night")
    let finding = try #require(notJudged([sample]).first)
    #expect(finding.pattern == "indeterminate")
    #expect(finding.severity == .info)
    #expect(finding.values[0].status == .indeterminate)
    #expect(finding.values[0].reason == "<4 cannot be placed against 2.8")
    var assay = FeedbackSettings()
    assay.lateNightLimit = 5
    #expect(findings([sample], assay).map(\.pattern) == ["within-limit"])
  }

  @Test("dexamethasone: '<4' is below 50, '>30' is indeterminate, '>60' failed, 50 failed")
  func censoredDexamethasone() {
    func pattern(_ value: Double, _ censoring: Censoring) -> [String] {
      let result = feedback([
        lab(.cortisol, value, hour: 8, minute: 20, censoring: censoring, label: "post dex")
      ])
      return (result.findings + result.notJudged).map(\.pattern)
    }
    #expect(pattern(4, .below) == ["normal-suppression"])
    #expect(pattern(30, .above) == ["indeterminate"])
    #expect(pattern(60, .above) == ["failed-suppression"])
    #expect(pattern(50, .none) == ["failed-suppression"])
    #expect(pattern(49.9, .none) == ["normal-suppression"])
    // The cut-off reads as what it is: below 50 is normal suppression.
    let range = findings([lab(.cortisol, 30, hour: 8, label: "post dex")]).first?.values.first?
      .rangeText
    #expect(range?.hasPrefix("cortisol < 50 nmol/L [dexamethasone cut-off") == true)
  }

  @Test(
    "every censoring against a threshold, strict and inclusive",
    arguments: [
      // (value, censoring, threshold, inclusive, expected)
      (4.0, Censoring.below, 2.8, false, nil as Bool?), (4.0, .below, 50, false, false),
      (4.0, .below, 4, true, false), (4.0, .atOrBelow, 4, true, nil),
      (4.0, .atOrBelow, 4, false, false),
      (30.0, .above, 50, true, nil), (60.0, .above, 50, true, true),
      (50.0, .above, 50, false, true),
      (50.0, .atOrAbove, 50, true, true), (50.0, .atOrAbove, 50, false, nil),
      (50.0, .none, 50, true, true), (50.0, .none, 50, false, false),
    ])
  func exceeds(
    _ value: Double, _ censoring: Censoring, _ threshold: Double, _ inclusive: Bool,
    _ expected: Bool?
  ) {
    let quantity = Quantity(value: value, unit: .nanomolePerLiter, censoring: censoring)
    #expect(quantity.exceeds(threshold, inclusive: inclusive) == expected)
  }

  @Test("a value flagged below the detection limit is censored at it, like '<0.75'")
  func belowDetectionIsCensored() throws {
    let normalizer = Normalizer(settings: NormalizerSettings())!
    let written = normalizer.normalize([
      lab(.cortisol, 0.5, specimen: .saliva, hour: 22, minute: 45, subject: "a")
    ]).samples[0]
    let censored = normalizer.normalize([
      lab(
        .cortisol, 0.75, specimen: .saliva, hour: 22, minute: 45, censoring: .below,
        subject: "b")
    ]).samples[0]
    #expect(written.value == Quantity(value: 0.75, unit: .nanomolePerLiter, censoring: .below))
    #expect(written.value == censored.value)
    #expect(written.sample.quantity.value == 0.5)  // the value as written stays
    #expect(
      written.flags.first { $0.code == "below-detection" }?.message.contains("treated as <0.75")
        == true)
  }

  // MARK: 10. Wording

  @Test("the gland is named for the subject's sex; unknown sex says gonadal")
  func glandWording() throws {
    let ranges = (
      lh: ReferenceRange(low: 2, high: 10), fsh: ReferenceRange(low: 2, high: 10),
      testosterone: ReferenceRange(low: 0.3, high: 2.0)
    )
    func hpg(_ sex: String?) -> String {
      let attributes = sex.map { ["sex": $0] } ?? [:]
      return findings([
        lab(.lh, 30, .iuPerLiter, hour: 9, range: ranges.lh, attributes: attributes),
        lab(.fsh, 40, .iuPerLiter, hour: 9, range: ranges.fsh, attributes: attributes),
        lab(.testosterone, 0.1, hour: 9, range: ranges.testosterone, attributes: attributes),
      ]).first { $0.analyzer == "hpg_feedback" }?.message ?? ""
    }
    #expect(hpg("F").contains("primary (ovarian) hypogonadism: low testosterone"))
    #expect(!hpg("F").contains("testicular"))
    #expect(hpg("M").contains("primary (testicular) hypogonadism"))
    #expect(hpg(nil).contains("primary (gonadal) hypogonadism"))
  }

  @Test("a value never reads as equal to the limit it crosses")
  func distinctDigits() throws {
    let found = findings([
      lab(.tsh, 4.2001, .milliIUPerLiter, hour: 10, minute: 40),
      lab(.freeT4, 15, .picomolePerLiter, hour: 10, minute: 40),
    ])
    let finding = try #require(found.first)
    #expect(finding.pattern == "subclinical-hypothyroidism")
    #expect(finding.message.contains("TSH 4.2001 mIU/L > 4.2"))
    #expect(!finding.message.contains("4.2 > 4.2"))
    #expect(NumberText.distinct(21.90036, from: 21.9, text: "21.9") == "21.9004")
    #expect(NumberText.distinct(11.5996, from: 11.6) == "11.5996")
    #expect(NumberText.distinct(9.27, from: 11.6) == "9.27")
    #expect(NumberText.significant(9.2664, 3) == "9.27")
    #expect(NumberText.significantDigits(of: 0.72) == 2)
    #expect(NumberText.significantDigits(of: 150) == 3)
  }
}

@Suite("Context is read by default (issue 22, point 1)")
struct DefaultContextTests {
  @Test(
    "a plain LIS file with no profile: the comment marks the dexamethasone test, sex and age reach the findings, the rest is named"
  )
  func plainLIS() throws {
    let scratch = try Scratch()
    try scratch.put(
      "lis.csv",
      """
      patient_id,Sex,Date_of_Birth,medication,test_code,value,unit,collected_at,Comment,lab_internal_id
      H1,M,1980-01-01,,2143-6,30,nmol/L,2026-03-14T08:00:00+01:00,after 1 mg dexamethasone,99
      H1,M,1980-01-01,,3016-3,9.5,mIU/L,2026-03-14T08:00:00+01:00,,100
      H1,M,1980-01-01,,3024-7,9,pmol/L,2026-03-14T08:00:00+01:00,,101
      """)
    let summary = PipelineRunner(pipeline: try scratch.pipeline()).run()
    #expect(summary.isComplete)
    #expect(summary.files.first?.profile == "built-in lis-long")
    #expect(
      summary.files.first?.warnings == [
        "column not read: 'lab_internal_id' (a profile's keep: puts a column on every sample)"
      ])
    let findings = String(
      decoding: scratch.files()["findings.ndjson"] ?? Data(), as: UTF8.self
    ).split(separator: "\n").compactMap {
      try? JSONDecoder().decode(Finding.self, from: Data($0.utf8))
    }
    let suppression = try #require(findings.first { $0.analyzer == "dexamethasone_suppression" })
    #expect(suppression.pattern == "normal-suppression")
    #expect(suppression.context == ["sex: male", "age: 46"])
    // The audit names the column too.
    let audit = String(decoding: scratch.files()["audit.md"] ?? Data(), as: UTF8.self)
    #expect(audit.contains("column not read: 'lab_internal_id'"))
  }
}
