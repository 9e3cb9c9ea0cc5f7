import Foundation

/// SPINA Thyr (Dietrich et al. 2016): the thyroid's secretory capacity (SPINA-GT) and the
/// sum activity of peripheral deiodinases (SPINA-GD), from TSH, free T4 and free T3 in a
/// steady state, with the published parameters of the model (MiMe-NoCoDI).
enum Spina {
  /// Dilution factor for T4 (reciprocal apparent volume of distribution), 1/L.
  static let alphaT = 0.1
  /// Clearance exponent for T4, 1/s.
  static let betaT = 1.1e-6
  /// EC50 of TSH at the thyroid, mIU/L.
  static let dT = 2.75
  /// Association constants of T4 with TBG and with transthyretin (TBPA), L/mol.
  static let k41 = 2e10
  static let k42 = 2e8
  /// Standard binding-protein concentrations, mol/L: TBG 300 nmol/L, TBPA 4.5 umol/L.
  static let tbg = 3e-7
  static let tbpa = 4.5e-6
  /// Dilution factor for T3, 1/L; clearance exponent for T3, 1/s.
  static let alpha31 = 0.026
  static let beta31 = 8e-6
  /// Michaelis constant of type 1 deiodinase, mol/L; association constant T3-TBG, L/mol.
  static let kM1 = 5e-7
  static let k30 = 2e9
  /// Reference intervals (Dietrich et al. 2016): SPINA-GT pmol/s, SPINA-GD nmol/s.
  static let gtReference = 1.41...8.67
  static let gdReference = 20.0...40.0

  /// SPINA-GT in pmol/s from TSH (mIU/L) and free T4 (pmol/L):
  /// GT = betaT (DT + TSH) (1 + K41 TBG + K42 TBPA) FT4 / (alphaT TSH).
  static func gt(tsh: Double, ft4: Double) -> Double {
    let ft4Molar = ft4 * 1e-12
    let gt = betaT * (dT + tsh) * (1 + k41 * tbg + k42 * tbpa) * ft4Molar / (alphaT * tsh)
    return gt * 1e12
  }

  /// SPINA-GD in nmol/s from free T4 and free T3 (pmol/L):
  /// GD = beta31 (KM1 + FT4) (1 + K30 TBG) FT3 / (alpha31 FT4).
  static func gd(ft4: Double, ft3: Double) -> Double {
    let ft4Molar = ft4 * 1e-12
    let ft3Molar = ft3 * 1e-12
    let gd = beta31 * (kM1 + ft4Molar) * (1 + k30 * tbg) * ft3Molar / (alpha31 * ft4Molar)
    return gd * 1e9
  }
}
