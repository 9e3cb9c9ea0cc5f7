import Testing

@testable import NeuroEndoKit

@Suite("Analyte registry")
struct TestCodeTests {
  /// The Methods article's LOINC table, row by row.
  static let expected: [(String, Analyte, Specimen)] = [
    ("2143-6", .cortisol, .serumOrPlasma), ("45050-2", .cortisol, .serumOrPlasma),
    ("14679-5", .cortisol, .serumOrPlasma), ("14678-7", .cortisol, .serumOrPlasma),
    ("2145-1", .freeCortisol, .serumOrPlasma), ("2142-8", .cortisol, .saliva),
    ("58643-8", .cortisol, .saliva), ("2141-0", .acth, .plasma),
    ("2191-5", .dheas, .serumOrPlasma), ("3016-3", .tsh, .serumOrPlasma),
    ("11580-8", .tsh, .serumOrPlasma), ("11579-0", .tsh, .serumOrPlasma), ("3015-5", .tsh, .blood),
    ("3024-7", .freeT4, .serumOrPlasma), ("83122-2", .freeT4, .serumOrPlasma),
    ("3051-0", .freeT3, .serumOrPlasma), ("83127-1", .freeT3, .serumOrPlasma),
    ("10501-5", .lh, .serumOrPlasma), ("15067-2", .fsh, .serumOrPlasma),
    ("2986-8", .testosterone, .serumOrPlasma), ("2243-4", .estradiol, .serumOrPlasma),
    // The [Moles/volume] codes molar results go out under.
    ("14675-3", .cortisol, .serumOrPlasma), ("51844-9", .cortisol, .saliva),
    ("14674-6", .acth, .plasma), ("14688-6", .dheas, .serumOrPlasma),
    ("14920-3", .freeT4, .serumOrPlasma), ("14928-6", .freeT3, .serumOrPlasma),
    ("14913-8", .testosterone, .serumOrPlasma), ("14715-7", .estradiol, .serumOrPlasma),
  ]

  @Test(
    "every LOINC code of the Methods table maps to its analyte and specimen", arguments: expected)
  func loinc(code: String, analyte: Analyte, specimen: Specimen) {
    #expect(LOINC.codes[code]?.analyte == analyte)
    #expect(LOINC.codes[code]?.specimen == specimen)
  }

  @Test(
    "the registry holds exactly the codes of the Methods table; 3026-2 (total T4) is not free T4")
  func noOtherCodes() {
    #expect(Set(LOINC.codes.keys) == Set(Self.expected.map(\.0)))
    #expect(LOINC.codes["3026-2"] == nil)
  }

  @Test("every analyte belongs to its axis and has its canonical unit")
  func axesAndUnits() {
    #expect(
      Analyte.allCases.filter { $0.axis == .hpa } == [.cortisol, .freeCortisol, .acth, .dheas])
    #expect(Analyte.allCases.filter { $0.axis == .hpt } == [.tsh, .freeT4, .freeT3])
    #expect(Analyte.cortisol.canonicalUnit == .nanomolePerLiter)
    #expect(Analyte.tsh.canonicalUnit.ucum == "m[IU]/L")
    #expect(Analyte.lh.canonicalUnit.ucum == "[IU]/L")
    #expect(Analyte.dheas.canonicalUnit.ucum == "umol/L")
    #expect(Analyte.freeT4.canonicalUnit.ucum == "pmol/L")
  }

  @Test(
    "analyte names as exports write them",
    arguments: [
      ("Cortisol", Analyte.cortisol), ("FT4", .freeT4), ("free_t4", .freeT4), ("DHEA-S", .dheas),
      ("dhea_s", .dheas), ("E2", .estradiol), ("Testosterone", .testosterone),
    ])
  func analyteNames(name: String, analyte: Analyte) {
    #expect(Analyte(name: name) == analyte)
  }

  @Test(
    "unit spellings from exports, and UCUM codes, read as one unit",
    arguments: [
      ("µg/dL", LabUnit.microgramPerDeciliter), ("ug/dl", .microgramPerDeciliter),
      ("mcg/dL", .microgramPerDeciliter), ("nmol/L", .nanomolePerLiter),
      ("nmol_l", .nanomolePerLiter), ("mIU/L", .milliIUPerLiter), ("m[IU]/L", .milliIUPerLiter),
      ("uIU/mL", .microIUPerMilliliter), ("µIU/ml", .microIUPerMilliliter),
      ("u[IU]/mL", .microIUPerMilliliter), ("mIU/mL", .milliIUPerMilliliter),
      ("[IU]/L", .iuPerLiter), ("IU/L", .iuPerLiter), ("pg/mL", .picogramPerMilliliter),
      ("pmol/l", .picomolePerLiter), ("µmol/l", .micromolePerLiter),
      ("ng/dL", .nanogramPerDeciliter),
      ("ng/mL", .nanogramPerMilliliter),
    ])
  func units(text: String, unit: LabUnit) {
    #expect(LabUnit(text: text) == unit)
  }

  @Test(
    "units we do not know are not guessed", arguments: ["mg/furlong", "mIE/l", "mmol/L", "%", ""])
  func unknownUnits(text: String) {
    #expect(LabUnit(text: text) == nil)
  }
}

@Suite("Enumeration order")
struct OrdinalTests {
  @Test("ordinals are the positions in allCases, so counts by kind land in the right cell")
  func ordinals() {
    #expect(Analyte.allCases.map(\.ordinal) == Array(0..<Analyte.allCases.count))
    #expect(Specimen.allCases.map(\.ordinal) == Array(0..<Specimen.allCases.count))
  }
}
