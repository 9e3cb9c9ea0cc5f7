import Foundation

/// A hormone the pipeline knows, independent of the specimen it was measured in.
///
/// The raw value is the analyte's stable key in profiles, pipeline files and outputs.
public enum Analyte: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
  public func hash(into hasher: inout Hasher) { hasher.combine(caseCode) }
  public static func == (lhs: Self, rhs: Self) -> Bool { lhs.caseCode == rhs.caseCode }

  case cortisol
  /// Free (unbound) serum cortisol, LOINC 2145-1: a different measurement from total
  /// cortisol with much lower values, so it has its own ranges and is never compared with
  /// total cortisol (salivary cortisol stays `cortisol` with specimen saliva).
  case freeCortisol = "free-cortisol"
  case acth
  case dheas = "dhea-s"
  case tsh
  case freeT4 = "ft4"
  case freeT3 = "ft3"
  case lh
  case fsh
  case testosterone
  case estradiol

  /// The analyte as clinicians name it on a report, in its specimen where that matters.
  public func name(in specimen: Specimen) -> String {
    switch self {
    case .cortisol:
      specimen == .saliva
        ? "salivary cortisol" : specimen == .urine ? "urinary cortisol" : "cortisol"
    case .freeCortisol: "free cortisol"
    case .acth: "ACTH"
    case .dheas: "DHEA-S"
    case .tsh: "TSH"
    case .freeT4: "FT4"
    case .freeT3: "FT3"
    case .lh: "LH"
    case .fsh: "FSH"
    case .testosterone: "testosterone"
    case .estradiol: "estradiol"
    }
  }

  /// The analyte in words, for a reader who does not know the abbreviation.
  public var words: String {
    switch self {
    case .cortisol: "cortisol"
    case .freeCortisol: "free cortisol"
    case .acth: "ACTH (corticotropin)"
    case .dheas: "DHEA-S (dehydroepiandrosterone sulfate)"
    case .tsh: "TSH (thyrotropin)"
    case .freeT4: "free T4 (free thyroxine)"
    case .freeT3: "free T3 (free triiodothyronine)"
    case .lh: "LH (luteinising hormone)"
    case .fsh: "FSH (follicle-stimulating hormone)"
    case .testosterone: "testosterone"
    case .estradiol: "estradiol"
    }
  }

  /// The feedback axis the analyte belongs to.
  public var axis: Axis {
    switch self {
    case .cortisol, .freeCortisol, .acth, .dheas: .hpa
    case .tsh, .freeT4, .freeT3: .hpt
    case .lh, .fsh, .testosterone, .estradiol: .hpg
    }
  }

  /// The unit every value of this analyte is converted to (Methods: Analytes and LOINC codes).
  public var canonicalUnit: LabUnit {
    switch self {
    case .cortisol, .freeCortisol, .testosterone: .nanomolePerLiter
    case .acth, .freeT4, .freeT3, .estradiol: .picomolePerLiter
    case .dheas: .micromolePerLiter
    case .tsh: .milliIUPerLiter
    case .lh, .fsh: .iuPerLiter
    }
  }

  /// Finds an analyte by the names exports use for it ("cortisol", "FT4", "free_t4", "E2", ...).
  ///
  /// - Parameter name: a name as written in a column header or profile; case and
  ///   separators (`-`, `_`, space) do not matter.
  /// - Returns: the analyte, or `nil` when the name is not one of ours.
  public init?(name: String) {
    let key = String(name.lowercased().filter { $0 != "-" && $0 != "_" && $0 != " " })
    guard let analyte = Analyte.namesByKey[key] else { return nil }
    self = analyte
  }

  private static let namesByKey: [String: Analyte] = [
    "cortisol": .cortisol, "cort": .cortisol,
    "freecortisol": .freeCortisol, "cortisolfree": .freeCortisol,
    "acth": .acth, "corticotropin": .acth,
    "dheas": .dheas, "dheasulfate": .dheas, "dheasulphate": .dheas,
    "tsh": .tsh, "thyrotropin": .tsh,
    "ft4": .freeT4, "freet4": .freeT4, "fthyroxine": .freeT4, "freethyroxine": .freeT4,
    "ft3": .freeT3, "freet3": .freeT3, "freetriiodothyronine": .freeT3,
    "lh": .lh, "lutropin": .lh,
    "fsh": .fsh, "follitropin": .fsh,
    "testosterone": .testosterone, "testo": .testosterone, "tt": .testosterone,
    "estradiol": .estradiol, "oestradiol": .estradiol, "e2": .estradiol,
  ]

  /// The position in `allCases`, without searching it.
  var ordinal: Int {
    switch self {
    case .cortisol: 0
    case .freeCortisol: 1
    case .acth: 2
    case .dheas: 3
    case .tsh: 4
    case .freeT4: 5
    case .freeT3: 6
    case .lh: 7
    case .fsh: 8
    case .testosterone: 9
    case .estradiol: 10
    }
  }

  public static func < (lhs: Analyte, rhs: Analyte) -> Bool { lhs.ordinal < rhs.ordinal }
}

/// A neuroendocrine feedback loop.
public enum Axis: String, Sendable, Hashable, Codable, CaseIterable {
  public func hash(into hasher: inout Hasher) { hasher.combine(caseCode) }
  public static func == (lhs: Self, rhs: Self) -> Bool { lhs.caseCode == rhs.caseCode }

  /// Hypothalamic-pituitary-adrenal.
  case hpa = "HPA"
  /// Hypothalamic-pituitary-thyroid.
  case hpt = "HPT"
  /// Hypothalamic-pituitary-gonadal.
  case hpg = "HPG"
}

/// The material a sample was taken from.
public enum Specimen: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
  public func hash(into hasher: inout Hasher) { hasher.combine(caseCode) }
  public static func == (lhs: Self, rhs: Self) -> Bool { lhs.caseCode == rhs.caseCode }

  case serum
  case plasma
  /// Serum or plasma, as LOINC's `Ser/Plas` system does not tell them apart.
  case serumOrPlasma = "serum-or-plasma"
  case saliva
  case blood
  case urine
  /// The export did not say, and the test code does not imply one.
  case unspecified

  /// Finds a specimen by the names and abbreviations exports use ("Serum", "SER", "Speichel", ...).
  ///
  /// - Returns: the specimen, or `nil` when the text is not recognised.
  public init?(name: String) {
    let key = name.trimmingCharacters(in: .whitespaces).lowercased()
    guard let specimen = Specimen.namesByKey[key] else { return nil }
    self = specimen
  }

  private static let namesByKey: [String: Specimen] = [
    "serum": .serum, "ser": .serum, "s": .serum,
    "plasma": .plasma, "pla": .plasma, "plas": .plasma, "p": .plasma,
    "serum-or-plasma": .serumOrPlasma, "ser/plas": .serumOrPlasma, "serum/plasma": .serumOrPlasma,
    "saliva": .saliva, "sal": .saliva, "saliv": .saliva, "speichel": .saliva,
    "blood": .blood, "bld": .blood, "whole blood": .blood,
    "urine": .urine, "ur": .urine, "urin": .urine,
    "": .unspecified, "unspecified": .unspecified, "unknown": .unspecified,
  ]

  /// The position in `allCases`, without searching it.
  var ordinal: Int {
    switch self {
    case .serum: 0
    case .plasma: 1
    case .serumOrPlasma: 2
    case .saliva: 3
    case .blood: 4
    case .urine: 5
    case .unspecified: 6
    }
  }

  public static func < (lhs: Specimen, rhs: Specimen) -> Bool { lhs.ordinal < rhs.ordinal }
}

extension Analyte: CaseCoded {}

extension Axis: CaseCoded {}

extension Specimen: CaseCoded {}
