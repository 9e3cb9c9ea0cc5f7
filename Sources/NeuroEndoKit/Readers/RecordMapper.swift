import Foundation

/// What one record became. Samples go straight on to the reader's caller; the counts and
/// rejections stay for the reader's accounting.
struct RecordOutput {
  private let onSample: (Sample) -> Void
  /// Takes the samples in columns, a batch at a time, when the reader's caller wants
  /// columns (a mapper gives them as fields, ``accept(fields:)``, or appends them itself,
  /// ``appendColumns(_:)``); `nil`: each as a sample.
  private let onColumns: ((inout SampleColumns) -> Void)?
  /// The samples gathered for `onColumns`. In the output itself, not behind a reference:
  /// a mapper appends to them through its `inout` output, which needs no check of exclusive
  /// access at run time (a session maps each record in place, without copying its output).
  private(set) var columns = SampleColumns()
  /// The samples a batch of columns holds before it is handed on (a record that a mapper
  /// appends itself stays in one batch: a batch is handed on before a record, once full).
  static let columnBatch = 4096
  /// Samples the current record gave.
  private(set) var samples = 0
  /// Rejections of the current record.
  private(set) var rejections: [Rejection] = []
  /// Empty value cells of the current record.
  private(set) var emptyCells = 0
  /// Where the file's first empty value cells are (at most ``FileReadSummary/locationsKept``).
  private(set) var firstEmptyCells: [InputLocation] = []
  /// Empty value cells of the whole file by column position.
  private(set) var emptyByColumn: [Int: Int] = [:]
  /// Samples of the whole file by analyte and specimen (``kindIndex(_:)``).
  private(set) var kindCounts = [Int](repeating: 0, count: kinds.count)

  /// Every analyte/specimen pair, in the order of ``kindCounts``.
  static let kinds: [(Analyte, Specimen)] = Analyte.allCases.flatMap { analyte in
    Specimen.allCases.map { (analyte, $0) }
  }
  private static let specimenCount = Specimen.allCases.count

  init(
    onSample: @escaping (Sample) -> Void, onColumns: ((inout SampleColumns) -> Void)? = nil
  ) {
    self.onSample = onSample
    self.onColumns = onColumns
    if onColumns != nil { columns.reserve(Self.columnBatch) }
  }

  /// Takes a sample, or rejects it when its subject id holds a control character (NUL, a
  /// line break) or a bidirectional control, which could hide or reorder what a person
  /// reads in a report, a file name or a spreadsheet.
  mutating func accept(_ sample: Sample) {
    guard accepts(sample.subjectID, sample.analyte, sample.specimen, at: sample.provenance) else {
      return
    }
    onSample(sample)
  }

  /// Takes a sample given as its fields, as ``accept(_:)`` does: into the batch of columns
  /// when the caller wants columns (no sample is made), else as a sample.
  mutating func accept(fields: Sample.Fields) {
    guard accepts(fields.subjectID, fields.analyte, fields.specimen, at: fields.provenance) else {
      return
    }
    guard onColumns != nil else {
      onSample(Sample(fields: fields))
      return
    }
    columns.append(fields, sequence: 0)
    if columns.count >= Self.columnBatch { flushColumns() }
  }

  /// Whether a sample of this subject is taken (its id is safe), counted by kind; a
  /// mapper that appends to the columns itself (``takesColumnsForRecord()``) asks first.
  mutating func accepts(
    _ subject: String, _ analyte: Analyte, _ specimen: Specimen,
    at location: @autoclosure () -> InputLocation
  ) -> Bool {
    if let bad = Sample.unsafeCharacter(in: subject) {
      reject(Rejection(location: location(), reason: .invalidSubjectID(bad)))
      return false
    }
    samples += 1
    kindCounts[analyte.ordinal * RecordOutput.specimenCount + specimen.ordinal] += 1
    return true
  }

  /// Whether the caller takes columns, for a mapper that appends a record's samples to them
  /// itself (``appendColumns(_:)``, each sample ``accepts(_:_:_:at:)`` first): its texts are
  /// numbered once per record, not once per sample, and no sample's fields are made. A full
  /// batch is handed on first, so that the texts a record numbered stay numbered until its
  /// last sample.
  mutating func takesColumnsForRecord() -> Bool {
    guard onColumns != nil else { return false }
    if columns.count >= Self.columnBatch { flushColumns() }
    return true
  }

  /// Appends to the batch of columns (after ``takesColumnsForRecord()``).
  mutating func appendColumns<Result>(_ body: (inout SampleColumns) -> Result) -> Result {
    body(&columns)
  }

  /// Hands the samples gathered in columns on (at the end of a file, and each full batch).
  mutating func flushColumns() {
    guard let onColumns, columns.count > 0 else { return }
    onColumns(&columns)
    columns.removeAll()
  }

  mutating func reject(_ rejection: Rejection) { rejections.append(rejection) }

  /// A record passed over as what it was (a long export's row whose value was not
  /// measured: empty or a missing-value token), with where.
  private(set) var skipped: (what: String, location: InputLocation)?

  /// Passes the current record over.
  mutating func skip(_ what: String, at location: InputLocation) { skipped = (what, location) }

  /// Counts an empty value cell, keeping the file's first locations.
  mutating func empty(column: Int, at location: @autoclosure () -> InputLocation) {
    emptyCells += 1
    emptyByColumn[column, default: 0] += 1
    if firstEmptyCells.count < FileReadSummary.locationsKept {
      firstEmptyCells.append(location())
    }
  }

  mutating func reset() {
    samples = 0
    if !rejections.isEmpty { rejections.removeAll(keepingCapacity: true) }
    emptyCells = 0
    skipped = nil
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

/// The last few texts made from one column's cells, by their trimmed bytes: a cohort's
/// records come by subject, and a protocol's few labels recur, so most cells are one of
/// them and are not decoded again. The same text comes back, whose words later comparisons
/// (``SampleColumns``) find equal at once.
struct RecentTexts {
  private var entries: [(bytes: [UInt8], text: String)] = []
  /// The entry found last, looked at first; the next one to replace.
  private var last = 0
  private var next = 0
  /// The most texts kept.
  static let capacity = 16

  /// The cell's text, as ``MappingContext/text(_:_:)`` makes it.
  mutating func text(_ record: CSVRecord, _ column: Int, _ context: MappingContext)
    throws(Rejection) -> String
  {
    let field = record.trimmedBytes(column)
    if last < entries.count, holds(last, field) { return entries[last].text }
    for index in entries.indices where holds(index, field) {
      last = index
      return entries[index].text
    }
    let text = try context.text(record, column)
    let entry = (Array(field), text)
    if entries.count < Self.capacity {
      last = entries.count
      entries.append(entry)
    } else {
      last = next
      entries[next] = entry
      next = (next + 1) % Self.capacity
    }
    return text
  }

  /// ``text(_:_:_:)``, rejected when empty (``MappingContext/requiredText(_:_:)``).
  mutating func requiredText(_ record: CSVRecord, _ column: Int, _ context: MappingContext)
    throws(Rejection) -> String
  {
    let value = try text(record, column, context)
    guard !value.isEmpty else { throw context.reject(record, column, .missingValue) }
    return value
  }

  /// Whether entry `index` was made from `field`'s bytes.
  private func holds(_ index: Int, _ field: UnsafeBufferPointer<UInt8>) -> Bool {
    entries[index].bytes.withUnsafeBufferPointer { bytes in
      bytes.count == field.count
        && (field.isEmpty || memcmp(bytes.baseAddress!, field.baseAddress!, field.count) == 0)
    }
  }
}

/// What every mapper needs: the file, the profile and the header's column positions.
///
/// A class, and immutable: mappers mutate their caches for every record, and a large
/// struct read during such a mutation is copied each time; a reference is not.
final class MappingContext: Sendable {
  let file: String
  let profile: CSVProfile
  let header: [String]
  private let indexByName: [String: Int]
  /// The profile's missing-value tokens as bytes, so that checking a cell needs no string.
  private let missingTokens: [[UInt8]]
  /// Whether a token starts with each byte: most cells (numbers, ids, labels) start with
  /// a byte none does, and are told from that byte alone.
  private let missingFirstBytes: [Bool]

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
    missingTokens = profile.missingTokens.filter { !$0.isEmpty }.map { Array($0.utf8) }
    var first = [Bool](repeating: false, count: 256)
    for token in missingTokens { first[Int(token[0])] = true }
    missingFirstBytes = first
  }

  /// The first column name the header holds twice (case and spaces aside), by 0-based
  /// positions; empty names (unnamed trailing columns) do not count.
  static func duplicate(in header: [String]) -> (first: Int, second: Int)? {
    var seen: [String: Int] = [:]
    for (position, name) in header.enumerated() {
      let key = key(name)
      guard !key.isEmpty else { continue }
      if let first = seen[key] { return (first, position) }
      seen[key] = position
    }
    return nil
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

  /// The column of the subjects' time zones when the profile names one (a header problem
  /// when the file lacks it); its value goes on ``Sample/timeZone``.
  func timeZoneColumn() throws(HeaderProblem) -> Int? {
    profile.columns[.timeZone] == nil ? nil : try required(.timeZone)
  }

  /// The subject's time zone in a record, when the file has the column and the cell a value.
  func timeZone(_ record: CSVRecord, _ column: Int?) throws(Rejection) -> String? {
    guard let column, !isMissing(record, column) else { return nil }
    return try text(record, column)
  }

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

  func location(_ record: CSVRecord, _ column: Int?) -> InputLocation {
    InputLocation(file: file, record: record.number, column: column.map { header[$0] })
  }

  func reject(_ record: CSVRecord, _ column: Int?, _ reason: RejectionReason) -> Rejection {
    Rejection(location: location(record, column), reason: reason)
  }

  /// The field as text, trimmed of spaces and tabs.
  func text(_ record: CSVRecord, _ column: Int) throws(Rejection) -> String {
    guard let text = record.string(column, encoding: profile.encoding, trimmed: true) else {
      throw reject(record, column, .invalidEncoding)
    }
    return text
  }

  /// Whether a cell means "no value" (empty, `NA`, `NaN`, ...), compared after trimming.
  func isMissing(_ record: CSVRecord, _ column: Int) -> Bool {
    let field = record.trimmedBytes(column)
    if field.isEmpty { return true }
    guard missingFirstBytes[Int(field[0])] else { return false }
    return missingTokens.contains { token in
      token.count == field.count
        && token.withUnsafeBufferPointer {
          memcmp($0.baseAddress!, field.baseAddress!, token.count) == 0
        }
    }
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
      if isMissing(record, column) { throw reject(record, column, .missingValue) }
      throw reject(record, column, .unparsableValue(record.string(column) ?? "<binary>"))
    }
    if let problem = Quantity.implausibleNumber(value, written: record.bytes(column)) {
      throw reject(record, column, problem)
    }
    return Quantity(value: value, unit: unit, censoring: censoring)
  }

  /// An optional number cell (day, minutes): `nil` when missing.
  @inline(__always)
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

  /// One value cell of a research or wide record: counted empty, or a sample (given as its
  /// fields), or a rejection at its column.
  func valueCell(
    _ record: CSVRecord, _ column: Int, into output: inout RecordOutput, unit: LabUnit,
    fields: (Quantity) -> Sample.Fields
  ) {
    guard let quantity = value(record, column, into: &output, unit: unit) else { return }
    output.accept(fields: fields(quantity))
  }

  /// The quantity of a value cell; `nil` when it was counted empty or rejected at its column.
  func value(
    _ record: CSVRecord, _ column: Int, into output: inout RecordOutput, unit: LabUnit
  ) -> Quantity? {
    if isMissing(record, column) {
      output.empty(column: column, at: location(record, column))
      return nil
    }
    do throws(Rejection) {
      return try quantity(record, column, unit: unit)
    } catch {
      output.reject(error)
      return nil
    }
  }

  /// A record that gave neither a sample nor a rejection holds no value at all.
  func rejectIfEmpty(_ record: CSVRecord, _ output: inout RecordOutput) {
    if output.samples == 0 && output.rejections.isEmpty {
      output.reject(reject(record, nil, .noValue))
    }
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

  /// The specimen of a research export's value: the profile's, else saliva for cortisol
  /// timed in minutes since waking (such exports come from salivary CAR and diurnal
  /// studies; the file's summary says so), else unspecified.
  func researchSpecimen(_ analyte: Analyte, _ time: RelativeTime?) -> Specimen {
    if let specimen = profile.specimen { return specimen }
    return analyte == .cortisol && time?.anchor == .waking ? .saliva : .unspecified
  }
}
