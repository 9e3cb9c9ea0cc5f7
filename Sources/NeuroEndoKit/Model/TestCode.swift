/// What a laboratory test code stands for: the analyte, and the specimen when the code implies one.
public struct TestCode: Sendable, Hashable, Codable {
  /// The analyte measured.
  public var analyte: Analyte
  /// The specimen the code implies, or `nil` when the code leaves it open.
  public var specimen: Specimen?
  /// A qualifier such as "timed", "free" or "late-night", when the code has one.
  public var qualifier: String?

  /// Creates a mapping.
  public init(analyte: Analyte, specimen: Specimen? = nil, qualifier: String? = nil) {
    self.analyte = analyte
    self.specimen = specimen
    self.qualifier = qualifier
  }
}

/// The LOINC codes the pipeline recognises (Methods: Analytes and LOINC codes); the one place they are listed.
public enum LOINC {
  /// The code system URI FHIR uses for LOINC.
  public static let system = "http://loinc.org"

  /// The mapping of every recognised LOINC code.
  public static let codes: [String: TestCode] = [
    // HPA
    "2143-6": TestCode(analyte: .cortisol, specimen: .serumOrPlasma),
    // Substance-concentration ([Moles/volume]) codes, which molar results go out under.
    "14675-3": TestCode(analyte: .cortisol, specimen: .serumOrPlasma),
    "51844-9": TestCode(analyte: .cortisol, specimen: .saliva),
    "14674-6": TestCode(analyte: .acth, specimen: .plasma),
    "14688-6": TestCode(analyte: .dheas, specimen: .serumOrPlasma),
    "14920-3": TestCode(analyte: .freeT4, specimen: .serumOrPlasma),
    "14928-6": TestCode(analyte: .freeT3, specimen: .serumOrPlasma),
    "14913-8": TestCode(analyte: .testosterone, specimen: .serumOrPlasma),
    "14715-7": TestCode(analyte: .estradiol, specimen: .serumOrPlasma),
    "45050-2": TestCode(analyte: .cortisol, specimen: .serumOrPlasma, qualifier: "timed"),
    "14679-5": TestCode(analyte: .cortisol, specimen: .serumOrPlasma, qualifier: "timed"),
    "14678-7": TestCode(analyte: .cortisol, specimen: .serumOrPlasma, qualifier: "timed"),
    "2145-1": TestCode(analyte: .freeCortisol, specimen: .serumOrPlasma, qualifier: "free"),
    "2142-8": TestCode(analyte: .cortisol, specimen: .saliva),
    "58643-8": TestCode(analyte: .cortisol, specimen: .saliva, qualifier: "late-night"),
    "2141-0": TestCode(analyte: .acth, specimen: .plasma),
    "2191-5": TestCode(analyte: .dheas, specimen: .serumOrPlasma),
    // HPT
    "3016-3": TestCode(analyte: .tsh, specimen: .serumOrPlasma),
    "11580-8": TestCode(analyte: .tsh, specimen: .serumOrPlasma),
    "11579-0": TestCode(analyte: .tsh, specimen: .serumOrPlasma),
    "3015-5": TestCode(analyte: .tsh, specimen: .blood),
    "3024-7": TestCode(analyte: .freeT4, specimen: .serumOrPlasma),
    "83122-2": TestCode(analyte: .freeT4, specimen: .serumOrPlasma),
    "3051-0": TestCode(analyte: .freeT3, specimen: .serumOrPlasma),
    "83127-1": TestCode(analyte: .freeT3, specimen: .serumOrPlasma),
    // HPG
    "10501-5": TestCode(analyte: .lh, specimen: .serumOrPlasma),
    "15067-2": TestCode(analyte: .fsh, specimen: .serumOrPlasma),
    "2986-8": TestCode(analyte: .testosterone, specimen: .serumOrPlasma),
    "2243-4": TestCode(analyte: .estradiol, specimen: .serumOrPlasma),
  ]
}
