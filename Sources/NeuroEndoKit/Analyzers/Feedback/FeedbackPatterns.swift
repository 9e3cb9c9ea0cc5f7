/// The pattern grids (the Findings article): for the regulating hormone's status (rows)
/// and the regulated hormone's (columns), the pattern the pair fits. The wording describes
/// patterns; it never diagnoses.
enum FeedbackPatterns {
  /// One cell of a grid.
  struct Pattern: Hashable {
    var id: String
    var text: String
    var severity: Finding.Severity
  }

  typealias Status = JudgedResult.Status

  static let balanced = Pattern(
    id: "balanced", text: "balanced feedback: both within range", severity: .info)

  /// HPA: ACTH (regulator) x cortisol.
  static func hpa(acth: Status, cortisol: Status) -> Pattern? {
    switch (acth, cortisol) {
    case (.low, .high):
      Pattern(
        id: "acth-independent-hypercortisolism",
        text:
          "ACTH-independent hypercortisolism (adrenal autonomy): high cortisol, suppressed ACTH",
        severity: .marked)
    case (.normal, .high), (.high, .high):
      Pattern(
        id: "acth-dependent-hypercortisolism",
        text:
          "ACTH-dependent hypercortisolism (pituitary or ectopic): high cortisol, ACTH not suppressed",
        severity: .marked)
    case (.high, .low):
      Pattern(
        id: "primary-adrenal-insufficiency",
        text: "primary adrenal insufficiency: low cortisol, high ACTH",
        severity: .marked)
    case (.low, .low), (.normal, .low):
      Pattern(
        id: "secondary-adrenal-insufficiency",
        text: "secondary adrenal insufficiency: low cortisol, low or normal ACTH",
        severity: .marked)
    case (.normal, .normal): balanced
    case (.high, .normal):
      Pattern(
        id: "isolated-high-acth",
        text:
          "isolated high ACTH with cortisol within range (compensated adrenal insufficiency or stress)",
        severity: .notable)
    case (.low, .normal):
      Pattern(
        id: "isolated-low-acth",
        text: "isolated low ACTH with cortisol within range", severity: .notable)
    default: nil
    }
  }

  /// HPT: TSH (regulator) x free T4, all nine cells.
  static func hpt(tsh: Status, ft4: Status) -> Pattern? {
    switch (tsh, ft4) {
    case (.high, .low):
      Pattern(id: "primary-hypothyroidism", text: "primary hypothyroidism", severity: .marked)
    case (.high, .normal):
      Pattern(
        id: "subclinical-hypothyroidism", text: "subclinical hypothyroidism", severity: .notable)
    case (.low, .high):
      Pattern(id: "primary-hyperthyroidism", text: "primary hyperthyroidism", severity: .marked)
    case (.low, .normal):
      Pattern(
        id: "subclinical-hyperthyroidism", text: "subclinical hyperthyroidism", severity: .notable)
    case (.low, .low), (.normal, .low):
      Pattern(
        id: "central-hypothyroidism",
        text: "central hypothyroidism or non-thyroidal illness", severity: .marked)
    case (.normal, .high), (.high, .high):
      Pattern(
        id: "inappropriate-tsh",
        text: "TSH-secreting adenoma, thyroid hormone resistance or assay interference",
        severity: .marked)
    case (.normal, .normal): balanced
    default: nil
    }
  }

  /// HPG: gonadotropins (LH/FSH: high when either is high, low when both are low) x the
  /// sex hormone (testosterone, or estradiol in women).
  /// The gland is named for the subject's sex (ovarian, testicular), else "gonadal".
  static func hpg(
    gonadotropins: Status, hormone: Status, estradiol: Bool, sex: FeedbackSettings.Sex?
  ) -> Pattern? {
    let name = estradiol ? "estradiol" : "testosterone"
    let gland = sex == .female ? "ovarian" : sex == .male ? "testicular" : "gonadal"
    switch (gonadotropins, hormone) {
    case (.high, .low):
      return Pattern(
        id: "primary-hypogonadism",
        text: "primary (\(gland)) hypogonadism: low \(name), high LH/FSH",
        severity: .marked)
    case (.low, .low), (.normal, .low):
      return Pattern(
        id: "secondary-hypogonadism",
        text:
          "secondary hypogonadism: low \(name), low or inappropriately normal LH/FSH",
        severity: .marked)
    case (.normal, .normal): return balanced
    case (.high, .normal):
      return Pattern(
        id: "compensated-primary-hypogonadism",
        text: "compensated primary hypogonadism: high LH/FSH, \(name) within range",
        severity: .notable)
    case (.low, .normal):
      return Pattern(
        id: "isolated-low-gonadotropins",
        text: "low LH/FSH with \(name) within range", severity: .notable)
    case (.low, .high):
      return Pattern(
        id: "suppressed-gonadotropins-high-\(name)",
        text: "high \(name) with suppressed LH/FSH (exogenous or autonomous source)",
        severity: .marked)
    case (.normal, .high), (.high, .high):
      return Pattern(
        id: "high-\(name)-unsuppressed-gonadotropins",
        text: "high \(name) with LH/FSH not suppressed", severity: .notable)
    default: return nil
    }
  }
}
