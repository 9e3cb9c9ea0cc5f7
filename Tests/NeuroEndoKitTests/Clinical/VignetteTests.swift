import Foundation
import Testing

@testable import NeuroEndoKit

/// A clinical vignette written from a guideline: the LIS rows of one patient, read with the
/// built-in layout and no profile, and the patterns that must and must not appear.
struct Vignette: Sendable, CustomTestStringConvertible {
  var id: String
  var story: String
  var source: String
  /// Rows after `patient_id,sex,birth_date,medication,`: test code, value, unit, collected
  /// at, comment, reference range.
  var sex = ""
  var birth = ""
  var medication = ""
  var rows: [String]
  var expected: [String] = []
  var absent: [String] = []
  /// A not-judged reason expected on the subject (summary analysis.notJudged).
  var notJudged: String?
  /// Words one of the subject's findings must say.
  var says: String?
  /// Words a flag on one of the subject's samples must say (normalized samples).
  var flag: String?
  /// No finding of the subject may be marked.
  var unmarked = false

  var testDescription: String { "\(id): \(story)" }

  var lines: [String] {
    rows.map { "\(id),\(sex),\(birth),\"\(medication)\",\($0)" }
  }
}

private let excess = [
  "acth-dependent-hypercortisolism", "acth-independent-hypercortisolism",
]
private let insufficiency = ["primary-adrenal-insufficiency", "secondary-adrenal-insufficiency"]

/// 33 vignettes from the Endocrine Society's Cushing's (Nieman 2008), primary adrenal
/// insufficiency (Bornstein 2016), hypopituitarism (Fleseriu 2016) and testosterone (Bhasin
/// 2018) guidelines, the ESHRE POI guideline (2016), Travison 2017 and Koulouri 2013.
let vignettes: [Vignette] = [
  Vignette(
    id: "V01", story: "a random high morning cortisol names nothing without a screen",
    source: "Nieman 2008: screen first (late-night salivary cortisol, 1 mg DST, UFC)",
    rows: [
      "2143-6,820,nmol/L,2026-03-10T08:00:00+01:00,,",
      "2141-0,30,pg/mL,2026-03-10T08:05:00+01:00,,",
    ], expected: ["high-cortisol-unscreened"], absent: excess),
  Vignette(
    id: "V02", story: "on the pill a high total cortisol is the binding globulin",
    source: "Nieman 2008: estrogens raise CBG and total cortisol", sex: "F",
    medication: "combined oral contraceptive",
    rows: [
      "2143-6,760,nmol/L,2026-03-10T08:00:00+01:00,,",
      "2141-0,25,pg/mL,2026-03-10T08:05:00+01:00,,",
    ], expected: ["high-total-cortisol-on-estrogen"], absent: excess),
  Vignette(
    id: "V03", story: "two raised nights and a suppressed ACTH: ACTH-independent",
    source: "Nieman 2008; Fleseriu 2021: ACTH < 10 pg/mL (2.2 pmol/L)",
    rows: [
      "58643-8,9.5,nmol/L,2026-03-08T23:30:00+01:00,,",
      "58643-8,11.2,nmol/L,2026-03-09T23:30:00+01:00,,",
      "2143-6,810,nmol/L,2026-03-10T08:00:00+01:00,,",
      "2141-0,1.0,pmol/L,2026-03-10T08:05:00+01:00,,",
    ], expected: ["acth-independent-hypercortisolism"]),
  Vignette(
    id: "V04", story: "ACTH 8.6 pg/mL (1.9 pmol/L) with a positive screen is ACTH-independent",
    source: "Fleseriu 2021: ACTH < 10 pg/mL ACTH-independent",
    rows: [
      "58643-8,9.5,nmol/L,2026-03-08T23:30:00+01:00,,",
      "58643-8,8.1,nmol/L,2026-03-09T23:40:00+01:00,,",
      "2143-6,790,nmol/L,2026-03-10T08:00:00+01:00,,",
      "2141-0,8.6,pg/mL,2026-03-10T08:05:00+01:00,,",
    ], expected: ["acth-independent-hypercortisolism"], absent: ["acth-dependent-hypercortisolism"]),
  Vignette(
    id: "V05", story: "a failed 1 mg DST and ACTH 30 pg/mL: ACTH-dependent",
    source: "Nieman 2008 (DST < 1.8 ug/dL); Fleseriu 2021: ACTH > 20 pg/mL",
    rows: [
      "2143-6,5.0,ug/dL,2026-03-09T08:00:00+01:00,after 1 mg dexamethasone,",
      "2143-6,800,nmol/L,2026-03-11T08:00:00+01:00,,",
      "2141-0,30,pg/mL,2026-03-11T08:05:00+01:00,,",
    ], expected: ["failed-suppression", "acth-dependent-hypercortisolism"]),
  Vignette(
    id: "V06", story: "a positive screen with ACTH 3.0 pmol/L: source indeterminate",
    source: "Fleseriu 2021: 10-20 pg/mL indeterminate",
    rows: [
      "58643-8,9.5,nmol/L,2026-03-08T23:30:00+01:00,,",
      "58643-8,8.1,nmol/L,2026-03-09T23:40:00+01:00,,",
      "2143-6,790,nmol/L,2026-03-10T08:00:00+01:00,,",
      "2141-0,3.0,pmol/L,2026-03-10T08:05:00+01:00,,",
    ], expected: ["hypercortisolism-source-indeterminate"], absent: excess),
  Vignette(
    id: "V07", story: "one raised night is not a screen",
    source: "Nieman 2008: at least two late-night measurements",
    rows: [
      "58643-8,9.5,nmol/L,2026-03-09T23:30:00+01:00,,",
      "2143-6,800,nmol/L,2026-03-10T08:00:00+01:00,,",
      "2141-0,30,pg/mL,2026-03-10T08:05:00+01:00,,",
    ], expected: ["high-cortisol-unscreened"], absent: excess),
  Vignette(
    id: "V08",
    story: "an 08:30 cortisol of 180 nmol/L is the grey zone, not secondary insufficiency",
    source: "Fleseriu 2016: 3-15 ug/dL (83-414 nmol/L) needs dynamic testing",
    rows: [
      "2143-6,180,nmol/L,2026-03-10T08:30:00+01:00,,",
      "2141-0,20,pg/mL,2026-03-10T08:30:00+01:00,,",
    ], expected: ["adrenal-insufficiency-indeterminate"], absent: insufficiency),
  Vignette(
    id: "V09", story: "cortisol 60 nmol/L with ACTH 25 pmol/L: primary insufficiency",
    source: "Bornstein 2016: cortisol < 140 nmol/L with ACTH > 2x the upper limit",
    rows: [
      "2143-6,60,nmol/L,2026-03-10T08:00:00+01:00,,",
      "2141-0,25,pmol/L,2026-03-10T08:10:00+01:00,,",
    ], expected: ["primary-adrenal-insufficiency"]),
  Vignette(
    id: "V10", story: "cortisol 2.0 ug/dL with ACTH 5 pg/mL: secondary insufficiency",
    source: "Fleseriu 2016: morning cortisol < 3 ug/dL indicates central insufficiency",
    rows: [
      "2143-6,2.0,ug/dL,2026-03-10T08:00:00+01:00,,", "2141-0,5,pg/mL,2026-03-10T08:10:00+01:00,,",
    ], expected: ["secondary-adrenal-insufficiency"]),
  Vignette(
    id: "V11", story: "a suppressed ACTH after dexamethasone is the test working",
    source: "Nieman 2008: suppression is the expected result of the DST",
    rows: [
      "2143-6,30,nmol/L,2026-03-10T08:00:00+01:00,post dex,",
      "2141-0,0.5,pmol/L,2026-03-10T08:05:00+01:00,post dex,",
    ], expected: ["normal-suppression", "acth-after-dexamethasone"], absent: insufficiency),
  Vignette(
    id: "V12", story: "on prednisolone low cortisol and ACTH are not interpretable",
    source: "Bornstein 2016: exogenous glucocorticoids suppress the axis",
    medication: "Prednisolone 5 mg",
    rows: [
      "2143-6,60,nmol/L,2026-03-10T08:00:00+01:00,,",
      "2141-0,1.0,pmol/L,2026-03-10T08:05:00+01:00,,",
    ], absent: insufficiency, notJudged: "HPA not interpretable: glucocorticoid medication"),
  Vignette(
    id: "V13", story: "on prednisolone a DST is not interpretable either",
    source: "Nieman 2008: glucocorticoids cross-react and suppress",
    medication: "Prednisolon 10 mg",
    rows: ["2143-6,150,nmol/L,2026-03-10T08:00:00+01:00,after 1 mg dexamethasone,"],
    absent: ["failed-suppression"], notJudged: "HPA not interpretable: glucocorticoid medication"),
  Vignette(
    id: "V14", story: "an afternoon cortisol is not judged by a morning range",
    source: "Bornstein 2016: morning cortisol",
    rows: [
      "2143-6,160,nmol/L,2026-03-10T14:30:00+01:00,,",
      "2141-0,3,pmol/L,2026-03-10T14:30:00+01:00,,",
    ], absent: insufficiency + ["adrenal-insufficiency-indeterminate"],
    notJudged: "ACTH: range applies 07:00-10:00, cortisol: range applies 07:00-10:00"),
  Vignette(
    id: "V15", story: "TSH 9 with FT4 9: primary hypothyroidism", source: "Koulouri 2013",
    rows: [
      "3016-3,9,mIU/L,2026-03-10T08:00:00+01:00,,", "3024-7,9,pmol/L,2026-03-10T08:00:00+01:00,,",
    ],
    expected: ["primary-hypothyroidism"]),
  Vignette(
    id: "V16", story: "TSH 6 with FT4 15: subclinical hypothyroidism", source: "Koulouri 2013",
    rows: [
      "3016-3,6,mIU/L,2026-03-10T08:00:00+01:00,,", "3024-7,15,pmol/L,2026-03-10T08:00:00+01:00,,",
    ],
    expected: ["subclinical-hypothyroidism"]),
  Vignette(
    id: "V17", story: "TSH 0.05 with FT4 30: primary hyperthyroidism", source: "Koulouri 2013",
    rows: [
      "3016-3,0.05,mIU/L,2026-03-10T08:00:00+01:00,,",
      "3024-7,30,pmol/L,2026-03-10T08:00:00+01:00,,",
    ],
    expected: ["primary-hyperthyroidism"]),
  Vignette(
    id: "V18", story: "low TSH, FT4 in range, high FT3: T3 thyrotoxicosis", source: "Koulouri 2013",
    rows: [
      "3016-3,0.1,mIU/L,2026-03-10T08:00:00+01:00,,",
      "3024-7,15,pmol/L,2026-03-10T08:00:00+01:00,,",
      "3051-0,8,pmol/L,2026-03-10T08:00:00+01:00,,",
    ], expected: ["t3-thyrotoxicosis"]),
  Vignette(
    id: "V19", story: "TSH 1.0 with FT4 9: central hypothyroidism or non-thyroidal illness",
    source: "Koulouri 2013; Fleseriu 2016: TSH not raised with low FT4",
    rows: [
      "3016-3,1.0,mIU/L,2026-03-10T08:00:00+01:00,,", "3024-7,9,pmol/L,2026-03-10T08:00:00+01:00,,",
    ],
    expected: ["central-hypothyroidism"]),
  Vignette(
    id: "V20", story: "on levothyroxine a hypothyroid pattern reads the dose",
    source: "Koulouri 2013: interpret on treatment", medication: "Euthyrox 75 ug",
    rows: [
      "3016-3,9,mIU/L,2026-03-10T08:00:00+01:00,,", "3024-7,9,pmol/L,2026-03-10T08:00:00+01:00,,",
    ],
    expected: ["primary-hypothyroidism"], says: "on levothyroxine treatment"),
  Vignette(
    id: "V21", story: "on biotin a hyperthyroid pattern carries an assay caution",
    source: "Koulouri 2013: biotin interferes with streptavidin immunoassays",
    medication: "Biotin 10 mg",
    rows: [
      "3016-3,0.1,mIU/L,2026-03-10T08:00:00+01:00,,",
      "3024-7,30,pmol/L,2026-03-10T08:00:00+01:00,,",
    ],
    expected: ["primary-hyperthyroidism"], says: "caution: biotin"),
  Vignette(
    id: "V22", story: "one low morning testosterone with normal LH: notable, not a diagnosis",
    source: "Bhasin 2018: two morning values; Travison 2017: 9.2 nmol/L", sex: "M",
    birth: "1975-05-01",
    rows: [
      "10501-5,2,IU/L,2026-03-10T07:30:00+01:00,,", "2986-8,6,nmol/L,2026-03-10T07:30:00+01:00,,",
    ],
    expected: ["secondary-hypogonadism"], says: "a diagnosis needs 2 morning values"),
  Vignette(
    id: "V23", story: "low morning testosterone on two days with high LH: primary hypogonadism",
    source: "Bhasin 2018", sex: "M", birth: "1975-05-01",
    rows: [
      "10501-5,20,IU/L,2026-03-10T07:30:00+01:00,,", "2986-8,5,nmol/L,2026-03-10T07:30:00+01:00,,",
      "2986-8,6,nmol/L,2026-03-17T08:00:00+01:00,,",
    ], expected: ["primary-hypogonadism"]),
  Vignette(
    id: "V24", story: "an afternoon testosterone is not judged",
    source: "Bhasin 2018: morning values",
    sex: "M",
    rows: [
      "10501-5,2,IU/L,2026-03-10T15:00:00+01:00,,", "2986-8,6,nmol/L,2026-03-10T15:00:00+01:00,,",
    ],
    absent: ["secondary-hypogonadism", "primary-hypogonadism"]),
  Vignette(
    id: "V25", story: "at 58, high FSH with low estradiol is postmenopausal",
    source: "ESHRE 2016; menopause at a median of 51 years", sex: "F", birth: "1968-01-15",
    rows: [
      "15067-2,60,IU/L,2026-03-10T08:00:00+01:00,,2-10",
      "2243-4,60,pmol/L,2026-03-10T08:00:00+01:00,,100-1500",
    ], expected: ["postmenopausal-pattern"], absent: ["primary-hypogonadism"]),
  Vignette(
    id: "V26", story: "at 32, high FSH with low estradiol is premature ovarian insufficiency",
    source: "ESHRE 2016: POI before 40", sex: "F", birth: "1994-02-01",
    rows: [
      "15067-2,60,IU/L,2026-03-10T08:00:00+01:00,,2-10",
      "2243-4,60,pmol/L,2026-03-10T08:00:00+01:00,,100-1500",
    ], expected: ["premature-ovarian-insufficiency-pattern"], absent: ["primary-hypogonadism"]),
  Vignette(
    id: "V27", story: "1e308 ug/dL is no value at all; the other results are read",
    source: "plausibility: a value must be finite in nmol/L",
    rows: [
      "2143-6,1e308,ug/dL,2026-03-10T08:00:00+01:00,,",
      "3016-3,9,mIU/L,2026-03-10T08:00:00+01:00,,",
      "3024-7,9,pmol/L,2026-03-10T08:00:00+01:00,,",
    ], expected: ["primary-hypothyroidism"]),
  Vignette(
    id: "V28", story: "420 ug/dL is 11,590 nmol/L, no human value: nothing is judged from it",
    source:
      "Methods, Plausibility bounds: the highest published serum cortisol is about 4,400 nmol/L",
    rows: [
      "2143-6,420,ug/dL,2026-03-10T08:00:00+01:00,,",
      "2141-0,30,pg/mL,2026-03-10T08:05:00+01:00,,",
    ], absent: excess + insufficiency + ["high-cortisol-unscreened"],
    flag: "420 µg/dL = 11590 nmol/L is impossible for cortisol in serum-or-plasma"),
  Vignette(
    id: "V29",
    story:
      "a morning cortisol 28 times lower two days later: judged, with a unit caution, not marked",
    source: "Fleseriu 2016: a low morning cortisol needs confirming; unit factor 27.59",
    rows: [
      "2143-6,520,nmol/L,2026-03-09T08:00:00+01:00,,140-690",
      "2143-6,18.8,nmol/L,2026-03-11T08:20:00+01:00,,140-690",
      "2141-0,20,pg/mL,2026-03-11T08:25:00+01:00,,",
    ], expected: ["secondary-adrenal-insufficiency"],
    says: "caution: 18.8 nmol/L and the 520 nmol/L",
    flag: "one may be in the wrong unit", unmarked: true),
  Vignette(
    id: "V30", story: "the same pair with no ranges: both values carry the caution",
    source: "unit factor 27.59; which of two values is wrong cannot be told alone",
    rows: [
      "2143-6,520,nmol/L,2026-03-09T08:00:00+01:00,,",
      "2143-6,18.8,nmol/L,2026-03-11T08:20:00+01:00,,",
      "2141-0,20,pg/mL,2026-03-11T08:25:00+01:00,,",
    ], says: "may be in the wrong unit", flag: "520 nmol/L and the 18.8 nmol/L", unmarked: true),
  Vignette(
    id: "V31", story: "a late-night salivary cortisol of 100 nmol/L is a screen, not noise",
    source:
      "Nieman 2008; ectopic ACTH late-night salivary cut-off 109 nmol/L (Horm Metab Res 2021)",
    rows: [
      "58643-8,100,nmol/L,2026-03-08T23:30:00+01:00,,",
      "58643-8,95,nmol/L,2026-03-09T23:30:00+01:00,,",
      "2143-6,1200,nmol/L,2026-03-10T08:00:00+01:00,,",
      "2141-0,60,pg/mL,2026-03-10T08:05:00+01:00,,",
    ], expected: ["acth-dependent-hypercortisolism"]),
  Vignette(
    id: "V32", story: "450 then 16 nmol/L after 1 mg dexamethasone is the test working, not a unit",
    source: "Nieman 2008: cortisol < 50 nmol/L (1.8 ug/dL) after 1 mg dexamethasone is normal",
    rows: [
      "2143-6,450,nmol/L,2026-03-09T08:00:00+01:00,,",
      "2143-6,16,nmol/L,2026-03-10T08:00:00+01:00,after 1 mg dexamethasone,",
    ], expected: ["normal-suppression"], absent: ["failed-suppression"]),
  Vignette(
    id: "V33",
    story: "at 42, high FSH with low estradiol is an early menopause, not the expected state",
    source: "ESHRE 2016: menopause between 40 and 45 years is early", sex: "F",
    birth: "1984-01-10",
    rows: [
      "15067-2,60,IU/L,2026-03-10T08:00:00+01:00,,2-10",
      "2243-4,60,pmol/L,2026-03-10T08:00:00+01:00,,100-1500",
    ], expected: ["early-menopause-pattern"],
    absent: ["postmenopausal-pattern", "premature-ovarian-insufficiency-pattern"]),
]

/// Every vignette, run once as one plain LIS export read with the built-in layout.
private let vignetteRun:
  (summary: RunSummary, findings: [Finding], rejections: String, samples: [NormalizedSample]) = {
    let scratch = try! Scratch("vignettes")
    let header =
      "patient_id,sex,birth_date,medication,test_code,value,unit,collected_at,comment,reference_range"
    try! scratch.put(
      "vignettes.csv", ([header] + vignettes.flatMap(\.lines)).joined(separator: "\n"))
    let summary = PipelineRunner(
      pipeline: try! scratch.pipeline(extra: "  normalized_ndjson: true")
    )
    .run()
    let files = scratch.files()
    let findings = String(decoding: files["findings.ndjson"] ?? Data(), as: UTF8.self)
      .split(separator: "\n").compactMap {
        try? JSONDecoder().decode(Finding.self, from: Data($0.utf8))
      }
    return (
      summary, findings, String(decoding: files["rejections.csv"] ?? Data(), as: UTF8.self),
      String(decoding: files["normalized-samples.ndjson"] ?? Data(), as: UTF8.self)
        .split(separator: "\n").compactMap {
          try? JSONDecoder().decode(NormalizedSample.self, from: Data($0.utf8))
        }
    )
  }()

@Suite("Clinical vignettes from the guidelines (issue 22, point 11)")
struct VignetteTests {
  @Test("the file is read whole with the built-in layout")
  func readWhole() {
    #expect(vignettes.count >= 25)
    let file = vignetteRun.summary.files.first
    #expect(file?.profile == "built-in lis-long")
    #expect(file?.warnings == [])
    #expect(file?.rejectedRecords == 0)
    #expect(vignetteRun.rejections.contains("value-overflow"))
    // Every finding was read back (a decoding failure would leave absences vacuous).
    #expect(vignetteRun.findings.count >= 30)
    #expect(
      vignetteRun.findings.count
        == vignetteRun.summary.analysis.findings.values.reduce(0, +))
  }

  @Test(arguments: vignettes)
  func vignette(_ vignette: Vignette) {
    let patterns = vignetteRun.findings.filter { $0.subjectID == vignette.id }.map(\.pattern)
    for pattern in vignette.expected {
      #expect(patterns.contains(pattern), "\(vignette.id) (\(vignette.source)): \(patterns)")
    }
    for pattern in vignette.absent {
      #expect(!patterns.contains(pattern), "\(vignette.id) (\(vignette.source)): \(patterns)")
    }
    if let words = vignette.says {
      let messages = vignetteRun.findings.filter { $0.subjectID == vignette.id }.map(\.message)
      #expect(messages.contains { $0.contains(words) }, "\(vignette.id): \(messages)")
    }
    if vignette.unmarked {
      let marked = vignetteRun.findings.filter {
        $0.subjectID == vignette.id && $0.severity == .marked
      }
      #expect(marked.isEmpty, "\(vignette.id): \(marked.map(\.pattern))")
    }
    if let words = vignette.flag {
      let messages = vignetteRun.samples.filter { $0.sample.subjectID == vignette.id }
        .flatMap(\.flags).map(\.message)
      #expect(messages.contains { $0.contains(words) }, "\(vignette.id): \(messages)")
    }
    if let reason = vignette.notJudged {
      let reasons =
        vignetteRun.summary.analysis.notJudged[vignette.id]?.values
        .flatMap(\.keys) ?? []
      #expect(reasons.contains(reason), "\(vignette.id): \(reasons)")
    }
  }
}
