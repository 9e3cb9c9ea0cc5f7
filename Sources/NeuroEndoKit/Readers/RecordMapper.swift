import Foundation

/// What one record became: samples, rejections and the value cells that were empty.
struct RecordOutput {
  var samples: [Sample] = []
  var rejections: [Rejection] = []
  var emptyCells = 0

  mutating func reset() {
    samples.removeAll(keepingCapacity: true)
    rejections.removeAll(keepingCapacity: true)
    emptyCells = 0
  }
}

/// Turns the records of one CSV shape into samples; one mapper per file.
protocol RecordMapper {
  /// Reads one data record. Every record must end with at least one sample or rejection.
  mutating func map(_ record: CSVRecord, into output: inout RecordOutput)
}

/// A problem with the header that rejects every record of the file.
struct HeaderProblem: Error {
  var column: String
  var reason: RejectionReason
}

/// What every mapper needs: the file, the profile and the header's column positions.
struct MappingContext {
  let file: String
  let profile: CSVProfile
  let header: [String]
  private let indexByName: [String: Int]

  init(file: String, profile: CSVProfile, header: [String]) {
    self.file = file
    self.profile = profile
    self.header = header
    var index: [String: Int] = [:]
    for (position, name) in header.enumerated() {
      let key = MappingContext.key(name)
      if index[key] == nil { index[key] = position }
    }
    indexByName = index
  }

  static func key(_ name: String) -> String {
    name.trimmingCharacters(in: .whitespaces).lowercased()
  }

  /// The position of a column by name; case and surrounding spaces do not matter.
  func index(of name: String) -> Int? { indexByName[MappingContext.key(name)] }

  /// The position of the column for `role`, or a header problem when the file lacks it.
  func required(_ role: CSVProfile.Role) throws(HeaderProblem) -> Int {
    let name = profile.column(role)
    guard let index = index(of: name) else {
      throw HeaderProblem(column: name, reason: .missingColumn(name))
    }
    return index
  }

  /// The position of the column for `role`, when the file has it.
  func optional(_ role: CSVProfile.Role) -> Int? { index(of: profile.column(role)) }

  /// The `keep:` columns present in the header, or a header problem for one that is absent.
  func keptColumns() throws(HeaderProblem) -> [(name: String, index: Int)] {
    var kept: [(String, Int)] = []
    for name in profile.keep {
      guard let index = index(of: name) else {
        throw HeaderProblem(column: name, reason: .missingColumn(name))
      }
      kept.append((header[index], index))
    }
    return kept
  }

  func location(_ record: CSVRecord, _ column: Int?) -> SourceLocation {
    SourceLocation(file: file, record: record.number, column: column.map { header[$0] })
  }

  func reject(_ record: CSVRecord, _ column: Int?, _ reason: RejectionReason) -> Rejection {
    Rejection(location: location(record, column), reason: reason)
  }

  /// The field as text, trimmed of spaces.
  func text(_ record: CSVRecord, _ column: Int) throws(Rejection) -> String {
    guard let text = record.string(column, encoding: profile.encoding) else {
      throw reject(record, column, .invalidEncoding)
    }
    return text.trimmingCharacters(in: .whitespaces)
  }

  /// Whether a cell means "no value" (empty, `NA`, `NaN`, ...).
  func isMissing(_ record: CSVRecord, _ column: Int) -> Bool {
    let length = record.length(column)
    if length == 0 { return true }
    if length > 8 { return false }
    guard let text = record.string(column, encoding: profile.encoding) else { return false }
    return profile.missingTokens.contains(text.trimmingCharacters(in: .whitespaces))
  }

  /// A required text cell: rejected when empty. Missing-value tokens such as `NA` are not
  /// applied here: `NA` is a real test code (sodium) and could be a subject id.
  func requiredText(_ record: CSVRecord, _ column: Int) throws(Rejection) -> String {
    let value = try text(record, column)
    guard !value.isEmpty else {
      throw reject(record, column, .missingValue)
    }
    return value
  }

  /// A lab value with optional censoring.
  func quantity(_ record: CSVRecord, _ column: Int, unit: LabUnit) throws(Rejection) -> Quantity {
    guard
      let (value, censoring) = FieldParser.value(
        record.bytes(column), decimalComma: profile.decimalComma)
    else {
      throw reject(record, column, .unparsableValue(record.string(column) ?? "<binary>"))
    }
    return Quantity(value: value, unit: unit, censoring: censoring)
  }

  /// An optional number cell (day, minutes): `nil` when missing.
  func number(_ record: CSVRecord, _ column: Int?) throws(Rejection) -> Double? {
    guard let column, !isMissing(record, column) else { return nil }
    guard let number = FieldParser.decimal(record.bytes(column), profile.decimalComma) else {
      throw reject(record, column, .unparsableNumber(record.string(column) ?? "<binary>"))
    }
    return number
  }

  /// An optional whole-number cell (day).
  func integer(_ record: CSVRecord, _ column: Int?) throws(Rejection) -> Int? {
    guard let column, !isMissing(record, column) else { return nil }
    guard let number = FieldParser.integer(record.bytes(column)) else {
      throw reject(record, column, .unparsableNumber(record.string(column) ?? "<binary>"))
    }
    return number
  }

  /// The kept columns of a record as attributes; empty cells are left out.
  func attributes(_ record: CSVRecord, _ kept: [(name: String, index: Int)]) throws(Rejection)
    -> [String: String]
  {
    var attributes: [String: String] = [:]
    for (name, index) in kept where !isMissing(record, index) {
      attributes[name] = try text(record, index)
    }
    return attributes
  }
}
