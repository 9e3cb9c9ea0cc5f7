/// Settings of the feedback analyzers (`settings.analyze.feedback`), with the documented
/// defaults of DOMAIN.md section 7.
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

    /// Creates a default range.
    public init(
      analyte: Analyte, specimens: Set<Specimen>? = nil, sex: Sex? = nil,
      ages: ClosedRange<Double>? = nil, low: Double?, high: Double?, source: String
    ) {
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
          "\(SampleTable.short(ages.lowerBound))-\(SampleTable.short(ages.upperBound)) y")
      }
      if let specimens { parts.append(specimens.map(\.rawValue).sorted().joined(separator: "/")) }
      return parts.isEmpty ? "all" : parts.joined(separator: ", ")
    }
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
  /// The cut-off of the 1 mg overnight dexamethasone test, nmol/L: cortisol below it is
  /// normal suppression (50 = 1.8 ug/dL; 100 and 200 are the looser alternatives).
  public var dexamethasoneCutoff: Double = 50
  /// Words that mark a result as taken after dexamethasone, in its label, test name,
  /// comment or FHIR note (case ignored), or a profile column of that name with a yes value.
  public var dexamethasoneMarkers: [String] = ["dexamethasone", "post dex", "post-dex", "dex"]
  /// The late-night salivary cortisol limit when the lab sent none, nmol/L (LC-MS/MS about
  /// 2.8; immunoassays 3.8-10.1: set the assay's).
  public var lateNightLimit: Double = 2.8
  /// Attribute names (case ignored) that hold the subject's sex, birth date or year, and age.
  public var sexAttributes: [String] = ["sex", "gender"]
  public var birthAttributes: [String] = [
    "birth_date", "birthdate", "birthyear", "birth_year", "dob",
  ]
  public var ageAttributes: [String] = ["age"]
  /// Attribute names (case ignored) that hold medication.
  public var medicationAttributes: [String] = ["medication", "medications", "meds", "drugs"]

  /// The defaults.
  public init() {}

  /// DOMAIN.md section 7: typical adult ranges, in canonical units.
  public static let documentedRanges: [DefaultRange] = [
    DefaultRange(
      analyte: .cortisol, specimens: [.serum, .plasma, .serumOrPlasma], low: 193, high: 690,
      source: "DOMAIN.md 7, adult morning serum cortisol"),
    DefaultRange(
      analyte: .acth, low: 1.6, high: 13.9, source: "DOMAIN.md 7, adult ACTH 7-10 a.m."),
    DefaultRange(analyte: .tsh, low: 0.3, high: 4.2, source: "DOMAIN.md 7, adult TSH"),
    DefaultRange(analyte: .freeT4, low: 11.6, high: 21.9, source: "DOMAIN.md 7, adult free T4"),
    DefaultRange(analyte: .freeT3, low: 3.7, high: 6.5, source: "DOMAIN.md 7, adult free T3"),
    DefaultRange(analyte: .lh, sex: .male, low: 1.3, high: 9.6, source: "DOMAIN.md 7, men"),
    DefaultRange(analyte: .fsh, sex: .male, low: 1.2, high: 15.8, source: "DOMAIN.md 7, men"),
    DefaultRange(
      analyte: .testosterone, sex: .male, low: 8.3, high: 32.9, source: "DOMAIN.md 7, men"),
  ]
}
