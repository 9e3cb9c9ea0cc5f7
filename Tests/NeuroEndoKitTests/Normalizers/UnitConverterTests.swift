import Testing

@testable import NeuroEndoKit

@Suite("Unit conversion")
struct UnitConverterTests {
  /// The Methods article's unit factors, plus the mass units that follow by powers of ten.
  @Test(
    "factors to the canonical unit",
    arguments: [
      (Analyte.cortisol, LabUnit.microgramPerDeciliter, 27.59),
      (.cortisol, .nanogramPerMilliliter, 2.759), (.cortisol, .nanogramPerDeciliter, 0.02759),
      (.cortisol, .nanomolePerLiter, 1), (.acth, .picogramPerMilliliter, 0.2202),
      (.freeT4, .nanogramPerDeciliter, 12.87), (.freeT3, .picogramPerMilliliter, 1.536),
      (.testosterone, .nanogramPerDeciliter, 0.03467), (.estradiol, .picogramPerMilliliter, 3.671),
      (.dheas, .microgramPerDeciliter, 0.02714), (.tsh, .microIUPerMilliliter, 1),
      (.tsh, .milliIUPerLiter, 1), (.lh, .milliIUPerMilliliter, 1), (.fsh, .iuPerLiter, 1),
    ])
  func factors(analyte: Analyte, unit: LabUnit, factor: Double) {
    #expect(UnitConverter.factor(from: unit, to: analyte) == factor)
  }

  @Test("hand-worked conversions keep censoring")
  func conversions() throws {
    // 18.2 ug/dL x 27.59 = 502.138 nmol/L
    let cortisol = try UnitConverter.canonical(
      Quantity(value: 18.2, unit: .microgramPerDeciliter), for: .cortisol)
    #expect(abs(cortisol.value - 502.138) < 1e-9)
    #expect(cortisol.unit == .nanomolePerLiter)
    // <0.5 ug/dL stays censored: <13.795 nmol/L
    let censored = try UnitConverter.canonical(
      Quantity(value: 0.5, unit: .microgramPerDeciliter, censoring: .below), for: .cortisol)
    #expect(censored.censoring == .below)
    #expect(abs(censored.value - 13.795) < 1e-9)
    // 1.2 ng/dL free T4 x 12.87 = 15.444 pmol/L
    let ft4 = try UnitConverter.canonical(
      Quantity(value: 1.2, unit: .nanogramPerDeciliter), for: .freeT4)
    #expect(abs(ft4.value - 15.444) < 1e-9)
    // 212 ng/dL testosterone x 0.03467 = 7.35004 nmol/L
    let testosterone = try UnitConverter.canonical(
      Quantity(value: 212, unit: .nanogramPerDeciliter), for: .testosterone)
    #expect(abs(testosterone.value - 7.35004) < 1e-9)
    // A value already canonical is returned as is, to the last bit.
    let tsh = try UnitConverter.canonical(
      Quantity(value: 0.1 + 0.2, unit: .milliIUPerLiter), for: .tsh)
    #expect(tsh.value == 0.1 + 0.2)
  }

  @Test(
    "units that do not fit the analyte are refused",
    arguments: [
      (Analyte.tsh, LabUnit.nanogramPerDeciliter), (.cortisol, .milliIUPerLiter),
      (.lh, .nanomolePerLiter), (.freeT4, .nanomolePerLiter), (.estradiol, .microgramPerDeciliter),
    ])
  func mismatches(analyte: Analyte, unit: LabUnit) {
    #expect(throws: UnitMismatch(unit: unit, analyte: analyte)) {
      try UnitConverter.canonical(Quantity(value: 1, unit: unit), for: analyte)
    }
  }
}
