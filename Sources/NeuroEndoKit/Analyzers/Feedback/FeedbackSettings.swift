/// Settings of the feedback analyzers (`settings.analyze.feedback`), with documented
/// defaults (the Findings article, "Which ranges apply when").
public struct FeedbackSettings: Sendable, Hashable {
  /// A default reference range for results the lab sent without one.
  public struct DefaultRange: Sendable, Hashable {
    /// The analyte.
    public var analyte: Analyte
    /// The specimens it applies to (`nil`: any).
    public var specimens: Set<Specimen>?
    /// The sex it applies to, `female` or `male` (`nil`: any).
    public var sex: Sex?
    /// The ages it applies to, in years (`nil`: any).
    public var ages: ClosedRange<Double>?
    /// The range in the analyte's canonical unit.
    public var low: Double?
    public var high: Double?
    /// Where the numbers come from, shown on findings.
    public var source: String
    /// When in the day the range holds: `any` time, or only in the morning collection
    /// window (``FeedbackSettings/morningWindow``), as for cortisol and ACTH, which fall
    /// through the day to a nadir around midnight.
    public var timeOfDay: TimeOfDay = .any

    /// Creates a default range.
    public init(
      analyte: Analyte, specimens: Set<Specimen>? = nil, sex: Sex? = nil,
      ages: ClosedRange<Double>? = nil, low: Double?, high: Double?, source: String,
      timeOfDay: TimeOfDay = .any
    ) {
      self.timeOfDay = timeOfDay
      self.analyte = analyte
      self.specimens = specimens
      self.sex = sex
      self.ages = ages
      self.low = low
      self.high = high
      self.source = source
    }

    /// `female 18-120 y, serum` and the like.
    var scope: String {
      var parts: [String] = []
      if let sex { parts.append(sex.rawValue) }
      if let ages {
        parts.append(
          "\(NumberText.short(ages.lowerBound))-\(NumberText.short(ages.upperBound)) y")
      }
      if let specimens { parts.append(specimens.map(\.rawValue).sorted().joined(separator: "/")) }
      if timeOfDay == .morning { parts.append("morning") }
      return parts.isEmpty ? "all" : parts.joined(separator: ", ")
    }
  }

  /// When in the day a default range holds.
  public enum TimeOfDay: String, Sendable, Hashable, CaseIterable {
    /// At any hour.
    case any
    /// Only for results collected in the morning window.
    case morning
  }

  /// A subject's sex as exports write it.
  public enum Sex: String, Sendable, Hashable, CaseIterable {
    case female, male

    /// Reads `F`, `M`, `female`, `male`, `w`, `weiblich`, `männlich` (case ignored).
    public init?(text: String) {
      switch text.trimmingCharacters(in: .whitespaces).lowercased() {
      case "f", "female", "w", "weiblich", "woman", "frau": self = .female
      case "m", "male", "männlich", "maennlich", "man", "mann": self = .male
      default: return nil
      }
    }
  }

  /// Results of the regulating and regulated hormone are paired when taken this many hours
  /// apart or less (the nearest in time wins; the same collection is 0 h).
  public var pairingWindowHours: Double = 24
  /// The window of ACTH and cortisol, which change within the hour.
  public var acthCortisolWindowHours: Double = 1
  /// The default ranges, used when the lab sent none; the first that fits a result wins.
  public var ranges: [DefaultRange] = FeedbackSettings.documentedRanges
  /// The local clock hours in which morning ranges apply (07:00-10:00 is `7...10`); a
  /// result collected outside them, or without a time, is not judged by such a range.
  public var morningWindow: ClosedRange<Double> = 7...10
  /// The local clock hours of a late-night serum cortisol (23:00-01:00 is `23...25`; hours
  /// past 24 are the next morning).
  public var lateNightWindow: ClosedRange<Double> = 23...25
  /// Late-night serum cortisol above this is a loss of the circadian nadir, nmol/L; `nil`:
  /// night serum results are not judged. Nieman et al. 2008 (Endocrine Society guideline
  /// on Cushing's syndrome): midnight serum cortisol > 207 nmol/L (7.5 ug/dL) awake, or
  /// > 50 nmol/L (1.8 ug/dL) asleep.
  public var lateNightSerumLimit: Double? = 207
  /// The cut-off of the 1 mg overnight dexamethasone test, nmol/L: cortisol below it is
  /// normal suppression (50 = 1.8 ug/dL; 100 and 200 are the looser alternatives).
  public var dexamethasoneCutoff: Double = 50
  /// The cut-off for salivary cortisol after dexamethasone, nmol/L. There is no agreed
  /// one (the serum cut-offs do not apply to saliva): `nil`, the default, reports such a
  /// result as not judged.
  public var dexamethasoneSalivaCutoff: Double?
  /// Words that mark a result as taken after dexamethasone, in its label, test code, test
  /// name, comment or FHIR note (case ignored), or a profile column of that name with a yes
  /// value. A medication column naming dexamethasone is context, not a marker.
  public var dexamethasoneMarkers: [String] = [
    "dexamethasone", "dexamethason", "post dex", "post-dex", "dex", "nach dex",
  ]
  /// The late-night salivary cortisol limit when the lab sent none, nmol/L (LC-MS/MS about
  /// 2.8; immunoassays 3.8-10.1: set the assay's).
  public var lateNightLimit: Double = 2.8
  /// Late-night salivary cortisol above its limit on at least this many different nights is
  /// a positive screen for hypercortisolism (Nieman et al. 2008: two measurements).
  public var lateNightScreenNights = 2
  /// With a positive screen, ACTH below this names hypercortisolism ACTH-independent,
  /// pmol/L: 2.202 = 10 pg/mL exactly (x 0.2202; Nieman et al. 2008; Fleseriu et al.
  /// 2021), so that a lab's "<10 pg/mL" decides.
  public var acthIndependentBelow: Double = 2.202
  /// With a positive screen, ACTH above this names it ACTH-dependent, pmol/L: 4.404 = 20 pg/mL
  /// (Nieman et al. 2008; Fleseriu et al. 2021). Between the two the source is indeterminate.
  public var acthDependentAbove: Double = 4.404
  /// Morning serum cortisol below this makes adrenal insufficiency likely, and ACTH then
  /// says primary or secondary, nmol/L: 100 (Bornstein et al. 2016: < 140 nmol/L, 5 ug/dL,
  /// with a high ACTH for primary; Fleseriu et al. 2016: < 83 nmol/L, 3 ug/dL, for central).
  public var adrenalInsufficiencyBelow: Double = 100
  /// Morning serum cortisol at or above this makes adrenal insufficiency unlikely, nmol/L
  /// (assay-dependent: 400-500; Fleseriu et al. 2016: > 414 nmol/L, 15 ug/dL). A low
  /// cortisol between the two cut-offs is indeterminate: dynamic testing (ACTH stimulation)
  /// is suggested, no disease pattern is named.
  public var adrenalInsufficiencyUnlikelyFrom: Double = 450
  /// The local clock hours in which testosterone is judged (it falls through the day; a
  /// diagnosis rests on morning values, Bhasin et al. 2018).
  public var testosteroneWindow: ClosedRange<Double> = 7...11
  /// Low morning testosterone on at least this many days makes a hypogonadism pattern
  /// marked; fewer, notable (Bhasin et al. 2018: two morning measurements).
  public var testosteroneConfirmations = 2
  /// A woman at or past this age with high FSH or LH and low estradiol has a postmenopausal
  /// pattern, not ovarian failure; the median age at menopause is about 51 (years).
  public var menopauseAge: Double = 50
  /// Below this age the same numbers are a premature ovarian insufficiency pattern (ESHRE
  /// 2016: before 40 years).
  public var prematureOvarianInsufficiencyBefore: Double = 40
  /// From that age to below this one, high FSH/LH with low estradiol is an early menopause
  /// pattern (notable); from this age on, the postmenopausal state (ESHRE 2016: menopause
  /// between 40 and 45 years is early).
  public var earlyMenopauseBefore: Double = 45
  /// Attribute names (case ignored) that hold the subject's sex, birth date or year, and age.
  public var sexAttributes: [String] = ["sex", "gender"]
  public var birthAttributes: [String] = [
    "birth_date", "birthdate", "birthyear", "birth_year", "dob", "date_of_birth",
  ]
  public var ageAttributes: [String] = ["age"]
  /// Attribute names (case ignored) that hold medication.
  public var medicationAttributes: [String] = ["medication", "medications", "meds", "drugs"]

  /// The defaults.
  public init() {}

  /// Typical adult ranges, in canonical units, with their sources (the Findings article, "Which ranges
  /// apply when"). Cortisol and ACTH hold only in the morning window; free cortisol has none.
  public static let documentedRanges: [DefaultRange] = [
    DefaultRange(
      analyte: .cortisol, specimens: [.serum, .plasma, .serumOrPlasma], low: 193, high: 690,
      source: "adult morning serum cortisol 7-25 ug/dL (193-690 nmol/L)", timeOfDay: .morning),
    DefaultRange(
      analyte: .acth, specimens: [.plasma, .serum, .serumOrPlasma, .unspecified], low: 1.6,
      high: 13.9, source: "adult ACTH 7-10 a.m., 7.2-63.3 pg/mL (1.6-13.9 pmol/L)",
      timeOfDay: .morning),
    DefaultRange(analyte: .tsh, low: 0.3, high: 4.2, source: "adult TSH 0.3-4.2 mIU/L"),
    DefaultRange(
      analyte: .freeT4, low: 11.6, high: 21.9, source: "adult free T4 11.6-21.9 pmol/L"),
    DefaultRange(analyte: .freeT3, low: 3.7, high: 6.5, source: "adult free T3 3.7-6.5 pmol/L"),
    DefaultRange(analyte: .lh, sex: .male, low: 1.3, high: 9.6, source: "adult men, LH"),
    DefaultRange(analyte: .fsh, sex: .male, low: 1.2, high: 15.8, source: "adult men, FSH"),
    DefaultRange(
      analyte: .testosterone, sex: .male, low: 9.2, high: 31.8,
      source:
        "harmonised adult men 19-39 y, total testosterone 264-916 ng/dL (Travison et al. 2017)"),
  ]
}
