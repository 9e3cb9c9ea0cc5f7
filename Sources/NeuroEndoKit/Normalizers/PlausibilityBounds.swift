/// Upper bounds beyond which a value cannot be a living person's (Methods: Plausibility
/// bounds). Each sits above the highest values published for the analyte's most extreme
/// disease, so that no real result crosses it, and below the value the analyte's common
/// other unit gives when it is mistaken for the canonical one, so that the usual mix-up
/// does. A value above is flagged `implausible`, says which unit it would fit, and feeds no
/// feature and no finding.
enum PlausibilityBounds {
  /// One analyte's bound in a group of specimens, in the canonical unit.
  struct Bound {
    var analyte: Analyte
    var specimens: [Specimen]
    var above: Double
  }

  private static let blood: [Specimen] = [.serum, .plasma, .serumOrPlasma, .blood]

  /// The bounds, with their sources in Methods.md (Plausibility bounds).
  static let table: [Bound] = [
    Bound(analyte: .cortisol, specimens: blood, above: 9_000),
    Bound(analyte: .cortisol, specimens: [.saliva], above: 2_000),
    Bound(analyte: .cortisol, specimens: [.urine], above: 250_000),
    Bound(analyte: .freeCortisol, specimens: blood, above: 3_000),
    Bound(analyte: .acth, specimens: blood, above: 1_500),
    Bound(analyte: .dheas, specimens: blood, above: 100),
    Bound(analyte: .tsh, specimens: blood, above: 5_000),
    Bound(analyte: .freeT4, specimens: blood, above: 250),
    Bound(analyte: .freeT3, specimens: blood, above: 150),
    Bound(analyte: .lh, specimens: blood, above: 500),
    Bound(analyte: .fsh, specimens: blood, above: 500),
    Bound(analyte: .testosterone, specimens: blood, above: 350),
    Bound(analyte: .estradiol, specimens: blood, above: 300_000),
  ]

  /// The bounds by `analyte/specimen`, the key of `normalize.screens.impossible_above`. An
  /// analyte measured in a specimen the table does not name, or in an unnamed one, gets the
  /// highest of its bounds: no real value is flagged for want of a specimen.
  static let defaults: [String: Double] = {
    var bounds: [String: Double] = [:]
    for bound in table {
      for specimen in bound.specimens {
        bounds["\(bound.analyte.rawValue)/\(specimen.rawValue)"] = bound.above
      }
    }
    for analyte in Analyte.allCases {
      let highest = table.filter { $0.analyte == analyte }.map(\.above).max()
      for specimen in Specimen.allCases {
        let key = "\(analyte.rawValue)/\(specimen.rawValue)"
        if bounds[key] == nil { bounds[key] = highest }
      }
    }
    return bounds
  }()
}
