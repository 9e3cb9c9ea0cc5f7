/// Converts lab values to each analyte's canonical unit with the factors of the Methods article
/// (Unit factors). A unit that does not fit the analyte is an error, never a guess.
public enum UnitConverter {
  /// The factor that turns a value in `unit` into the analyte's canonical unit, or `nil`
  /// when the unit does not fit the analyte (a mass unit for TSH, IU for cortisol).
  ///
  /// Sources: cortisol MW 362.46, 1 ug/dL = 27.59 nmol/L (saliva and free cortisol the same); ACTH 1 pg/mL =
  /// 0.2202 pmol/L; free T4 1 ng/dL = 12.87 pmol/L; free T3 1 pg/mL = 1.536 pmol/L;
  /// testosterone 1 ng/dL = 0.03467 nmol/L; estradiol 1 pg/mL = 3.671 pmol/L; DHEA-S
  /// 1 ug/dL = 0.02714 umol/L (free-acid weight); TSH u[IU]/mL = m[IU]/L; LH and FSH
  /// m[IU]/mL = [IU]/L. Other mass units follow by powers of ten (1 ug/dL = 10 ng/mL =
  /// 1000 ng/dL; 1 pg/mL = 0.1 ng/dL).
  public static func factor(from unit: LabUnit, to analyte: Analyte) -> Double? {
    if unit == analyte.canonicalUnit { return 1 }
    return factors[analyte]?[unit]
  }

  /// Every unit that fits the analyte: the canonical unit first, the others in a fixed order.
  public static func units(of analyte: Analyte) -> [LabUnit] {
    [analyte.canonicalUnit]
      + (factors[analyte]?.keys.sorted { $0.rawValue < $1.rawValue } ?? [])
  }

  /// The quantity in the analyte's canonical unit; censoring is kept, and a censored
  /// value's limit is converted like any value.
  ///
  /// - Throws: ``UnitMismatch`` when the unit does not fit the analyte.
  public static func canonical(_ quantity: Quantity, for analyte: Analyte) throws(UnitMismatch)
    -> Quantity
  {
    guard let factor = factor(from: quantity.unit, to: analyte) else {
      throw UnitMismatch(unit: quantity.unit, analyte: analyte)
    }
    return Quantity(
      value: factor == 1 ? quantity.value : quantity.value * factor,
      unit: analyte.canonicalUnit, censoring: quantity.censoring)
  }

  private static let cortisolFactors: [LabUnit: Double] = [
    .microgramPerDeciliter: 27.59, .nanogramPerMilliliter: 2.759, .nanogramPerDeciliter: 0.02759,
  ]

  private static let factors: [Analyte: [LabUnit: Double]] = [
    .cortisol: cortisolFactors,
    .freeCortisol: cortisolFactors,
    .acth: [.picogramPerMilliliter: 0.2202],
    .freeT4: [.nanogramPerDeciliter: 12.87, .picogramPerMilliliter: 1.287],
    .freeT3: [.picogramPerMilliliter: 1.536, .nanogramPerDeciliter: 15.36],
    .testosterone: [.nanogramPerDeciliter: 0.03467, .nanogramPerMilliliter: 3.467],
    .estradiol: [.picogramPerMilliliter: 3.671],
    .dheas: [.microgramPerDeciliter: 0.02714],
    .tsh: [.microIUPerMilliliter: 1],
    .lh: [.milliIUPerMilliliter: 1],
    .fsh: [.milliIUPerMilliliter: 1],
  ]
}

/// A unit that does not fit an analyte.
public struct UnitMismatch: Error, Sendable, Hashable, CustomStringConvertible {
  /// The unit given.
  public var unit: LabUnit
  /// The analyte it was given for.
  public var analyte: Analyte

  public var description: String {
    "unit '\(unit.ucum)' does not fit \(analyte.rawValue) (canonical unit \(analyte.canonicalUnit.ucum))"
  }
}
