/// A unit of measure a lab value can carry, named by its UCUM code.
///
/// Exports write units many ways (`µg/dL`, `ug/dl`, `mIU/L`, `uIU/mL`, `nmol_l`);
/// ``init(text:)`` accepts those spellings and anything else is unknown, never guessed.
public enum LabUnit: String, Sendable, Hashable, Codable, CaseIterable {
  public func hash(into hasher: inout Hasher) { hasher.combine(caseCode) }
  public static func == (lhs: Self, rhs: Self) -> Bool { lhs.caseCode == rhs.caseCode }

  case microgramPerDeciliter = "ug/dL"
  case nanogramPerMilliliter = "ng/mL"
  case nanogramPerDeciliter = "ng/dL"
  case picogramPerMilliliter = "pg/mL"
  case nanomolePerLiter = "nmol/L"
  case picomolePerLiter = "pmol/L"
  case micromolePerLiter = "umol/L"
  case milliIUPerLiter = "m[IU]/L"
  case milliIUPerMilliliter = "m[IU]/mL"
  case microIUPerMilliliter = "u[IU]/mL"
  case iuPerLiter = "[IU]/L"

  /// The UCUM code, e.g. `m[IU]/L`.
  public var ucum: String { rawValue }

  /// The unit as people write it on a report: `mIU/L`, `µg/dL`, `µIU/mL` (UCUM's brackets
  /// and its `u` for micro are for machines).
  public var display: String {
    switch self {
    case .microgramPerDeciliter: "µg/dL"
    case .micromolePerLiter: "µmol/L"
    case .milliIUPerLiter: "mIU/L"
    case .milliIUPerMilliliter: "mIU/mL"
    case .microIUPerMilliliter: "µIU/mL"
    case .iuPerLiter: "IU/L"
    default: rawValue
    }
  }

  /// Reads a unit as an export writes it.
  ///
  /// Case, spaces, `µ`/`μ`/`mc` for micro, square brackets and `_` for `/` (as in the
  /// research column suffix `nmol_l`) do not matter.
  /// - Returns: the unit, or `nil` when the text names no unit we know.
  public init?(text: String) {
    guard let unit = LabUnit.unitsByKey[LabUnit.key(text)] else { return nil }
    self = unit
  }

  static func key(_ text: String) -> String {
    var key = ""
    key.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
      switch scalar {
      case " ", "[", "]", "\t": continue
      case "µ", "μ": key.append("u")
      case "_": key.append("/")
      default: key.unicodeScalars.append(contentsOf: String(scalar).lowercased().unicodeScalars)
      }
    }
    if key.hasPrefix("mcg") { key = "ug" + key.dropFirst(3) }
    return key
  }

  private static let unitsByKey: [String: LabUnit] = {
    var table: [String: LabUnit] = [:]
    for unit in LabUnit.allCases { table[key(unit.rawValue)] = unit }
    let aliases: [String: LabUnit] = [
      "ug/100ml": .microgramPerDeciliter,
      "ng/ml": .nanogramPerMilliliter, "ug/l": .nanogramPerMilliliter,
      "ng/100ml": .nanogramPerDeciliter,
      "pg/ml": .picogramPerMilliliter, "ng/l": .picogramPerMilliliter,
      "nmol/l": .nanomolePerLiter, "nm": .nanomolePerLiter,
      "pmol/l": .picomolePerLiter, "pm": .picomolePerLiter,
      "umol/l": .micromolePerLiter,
      "miu/l": .milliIUPerLiter, "mu/l": .milliIUPerLiter,
      "miu/ml": .milliIUPerMilliliter, "mu/ml": .milliIUPerMilliliter,
      "uiu/ml": .microIUPerMilliliter, "uu/ml": .microIUPerMilliliter,
      "iu/l": .iuPerLiter, "u/l": .iuPerLiter,
    ]
    table.merge(aliases) { current, _ in current }
    return table
  }()
}

extension LabUnit: CaseCoded {}
