/// A value a reader could not accept, with where it was and why.
public struct Rejection: Error, Sendable, Hashable, Codable, CustomStringConvertible {
  /// Where the value was.
  public var location: InputLocation
  /// Why it was not accepted.
  public var reason: RejectionReason

  /// Creates a rejection.
  public init(location: InputLocation, reason: RejectionReason) {
    self.location = location
    self.reason = reason
  }

  /// `lis.csv, record 12, column 'unit': unknown unit 'mg/furlong'`.
  public var description: String { "\(location): \(reason)" }
}

/// Why a value was rejected. ``code`` is stable and groups rejections in summaries.
public enum RejectionReason: Sendable, Hashable, Codable, CustomStringConvertible {
  /// A required cell is empty.
  case missingValue
  /// The file lacks a column the profile requires; every record of the file is rejected.
  case missingColumn(String)
  /// The value is not a number (optionally with `<`, `<=`, `>`, `>=`).
  case unparsableValue(String)
  /// The unit names no unit we know.
  case unknownUnit(String)
  /// The date or time does not parse in the profile's format.
  case unparsableTime(String)
  /// The test code is neither a recognised LOINC code nor mapped in the profile.
  case unknownTestCode(String)
  /// The specimen is not one we recognise.
  case unknownSpecimen(String)
  /// The column name does not name an analyte and unit (research long format).
  case unknownAnalyte(String)
  /// The cell is not valid text in the profile's encoding.
  case invalidEncoding
  /// The record has a different number of fields than the header.
  case wrongFieldCount(expected: Int, found: Int)
  /// The CSV syntax is broken (e.g. an unterminated quote); reading the file stopped here.
  case malformedCSV(String)
  /// The record holds no value at all.
  case noValue
  /// A number such as a day or minutes since waking does not parse.
  case unparsableNumber(String)
  /// A field is longer than the profile allows.
  case fieldTooLong(bytes: Int, limit: Int)
  /// The JSON of a record does not parse (truncated, not UTF-8, nested too deep, a number
  /// too large for a Double).
  case invalidJSON(String)
  /// A field the analysis needs is absent (FHIR `subject`, `effective[x]`, a value).
  case missingField(String)
  /// A field has the wrong JSON type, e.g. a string where a number belongs.
  case wrongType(field: String, expected: String, found: String)
  /// The FHIR status says the result must not be used (`entered-in-error`, `cancelled`).
  case excludedStatus(String)
  /// The unit does not fit the analyte (a mass unit for TSH), found when normalizing.
  case unitMismatch(unit: String, analyte: String)
  /// A concentration below zero, which no assay reports.
  case negativeValue(String)
  /// A value written with digits that reads as zero (`1e-400`): too small to be a number.
  case valueUnderflow(String)
  /// A value too large to be a number once converted to the canonical unit (`1e308 ug/dL`
  /// is infinite in nmol/L).
  case valueOverflow(String)
  /// A subject id with a control or bidirectional control character, named as `U+XXXX`.
  case invalidSubjectID(String)
  /// Two header columns of one name, by their 1-based positions.
  case duplicateColumn(name: String, first: Int, second: Int)
  /// A header or record longer than the line limit, in bytes.
  case lineTooLong(bytes: Int, limit: Int)

  /// A stable identifier for grouping, e.g. `unknown-unit`.
  public var code: String {
    switch self {
    case .missingValue: "missing-value"
    case .missingColumn: "missing-column"
    case .unparsableValue: "unparsable-value"
    case .unknownUnit: "unknown-unit"
    case .unparsableTime: "unparsable-time"
    case .unknownTestCode: "unknown-test-code"
    case .unknownSpecimen: "unknown-specimen"
    case .unknownAnalyte: "unknown-analyte"
    case .invalidEncoding: "invalid-encoding"
    case .wrongFieldCount: "wrong-field-count"
    case .malformedCSV: "malformed-csv"
    case .noValue: "no-value"
    case .unparsableNumber: "unparsable-number"
    case .fieldTooLong: "field-too-long"
    case .invalidJSON: "invalid-json"
    case .missingField: "missing-field"
    case .wrongType: "wrong-type"
    case .excludedStatus: "excluded-status"
    case .unitMismatch: "unit-mismatch"
    case .negativeValue: "negative-value"
    case .valueUnderflow: "value-underflow"
    case .valueOverflow: "value-overflow"
    case .invalidSubjectID: "invalid-subject-id"
    case .duplicateColumn: "duplicate-column"
    case .lineTooLong: "line-too-long"
    }
  }

  /// A sentence a person can act on; quoted input is cut to 40 characters.
  public var description: String {
    switch self {
    case .missingValue: "required value is empty"
    case .missingColumn(let name): "the file has no column '\(name)' that the profile requires"
    case .unparsableValue(let text): "value '\(excerpt(text))' is not a number"
    case .unknownUnit(let text): "unknown unit '\(excerpt(text))'"
    case .unparsableTime(let text): "time '\(excerpt(text))' does not parse"
    case .unknownTestCode(let text):
      "test code '\(excerpt(text))' is not a recognised LOINC code nor mapped in the profile"
    case .unknownSpecimen(let text): "unknown specimen '\(excerpt(text))'"
    case .unknownAnalyte(let text): "column '\(excerpt(text))' names no known analyte and unit"
    case .invalidEncoding: "bytes are not valid text in the profile's encoding"
    case .wrongFieldCount(let expected, let found):
      "record has \(found) fields, the header has \(expected)"
    case .malformedCSV(let message): "malformed CSV: \(message); the rest of the file was not read"
    case .noValue: "record holds no value"
    case .unparsableNumber(let text): "'\(excerpt(text))' is not a number"
    case .invalidJSON(let message): "not valid JSON: \(excerpt(message, limit: 120))"
    case .missingField(let field): "\(field) is missing"
    case .wrongType(let field, let expected, let found):
      "\(field) should be \(expected), found \(found)"
    case .excludedStatus(let status):
      "status '\(excerpt(status))' means the result must not be used"
    case .unitMismatch(let unit, let analyte):
      "unit '\(unit)' does not fit \(analyte); it is not converted by guessing"
    case .fieldTooLong(let bytes, let limit):
      "field of \(bytes) bytes is longer than the limit of \(limit)"
    case .negativeValue(let text): "value '\(excerpt(text))' is negative; concentrations are not"
    case .valueUnderflow(let text):
      "value '\(excerpt(text))' is too small to be told from zero"
    case .invalidSubjectID(let character):
      "the subject id holds \(character), a control or bidirectional control character that could hide or reorder what people read; ids must be plain text"
    case .valueOverflow(let text):
      "value '\(excerpt(text))' is too large: it is not a finite number in the canonical unit"
    case .duplicateColumn(let name, let first, let second):
      "column '\(excerpt(name))' appears twice in the header, at positions \(first) and \(second); rename one, or set csv: duplicate_columns: first in the profile"
    case .lineTooLong(let bytes, let limit):
      "line of \(bytes) bytes or more is longer than the limit of \(limit)"
    }
  }
}

/// Cuts quoted input so that a 1 MB field does not become a 1 MB message.
func excerpt(_ text: String, limit: Int = 40) -> String {
  guard text.count > limit else { return text }
  return String(text.prefix(limit)) + "… (\(text.utf8.count) bytes)"
}
