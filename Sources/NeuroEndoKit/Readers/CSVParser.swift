internal import CLibCSV
import Foundation

/// The first syntax error libcsv reported, with the record it was in.
public struct CSVSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The 1-based record number the error is in.
  public var record: Int
  /// libcsv's message, e.g. "error parsing data while strict checking enabled".
  public var message: String

  public var description: String { "record \(record): \(message)" }
}

/// One CSV record, borrowed from the parser's buffer while the record handler runs.
///
/// Fields are bytes; ``string(_:encoding:trimmed:)`` decodes one when a caller needs text. A record
/// points into the parser's buffer and is valid only while the handler that received it runs.
public struct CSVRecord {
  /// The 1-based record number; the header, when there is one, is record 1.
  public let number: Int
  /// When the record was longer than the parser's limits: its bytes (at least), and
  /// whether one field was too long (else the whole line). Its fields are then cut short.
  public let oversized: Oversized?
  private let base: UnsafePointer<UInt8>
  private let ends: UnsafeBufferPointer<Int>
  private let firstStart: Int

  /// A record longer than a limit, of which only the first fields were kept.
  public struct Oversized: Sendable, Hashable {
    /// The bytes seen of the field or the line.
    public var bytes: Int
    /// Whether a single field passed the field limit (else the line passed the line limit).
    public var field: Bool
  }

  init(
    number: Int, base: UnsafePointer<UInt8>, ends: UnsafeBufferPointer<Int>, firstStart: Int,
    oversized: Oversized? = nil
  ) {
    self.number = number
    self.base = base
    self.ends = ends
    self.firstStart = firstStart
    self.oversized = oversized
  }

  /// The number of fields.
  public var count: Int { ends.count }

  private func start(_ index: Int) -> Int { index == 0 ? firstStart : ends[index - 1] }

  /// The field's bytes.
  public func bytes(_ index: Int) -> UnsafeBufferPointer<UInt8> {
    let from = start(index)
    return UnsafeBufferPointer(start: base + from, count: ends[index] - from)
  }

  /// The field's length in bytes.
  public func length(_ index: Int) -> Int { ends[index] - start(index) }

  /// The field without leading and trailing spaces and tabs.
  public func trimmedBytes(_ index: Int) -> UnsafeBufferPointer<UInt8> {
    let field = bytes(index)
    var start = 0
    var end = field.count
    while start < end, field[start] == 0x20 || field[start] == 0x09 { start += 1 }
    while end > start, field[end - 1] == 0x20 || field[end - 1] == 0x09 { end -= 1 }
    return UnsafeBufferPointer(rebasing: field[start..<end])
  }

  /// The field decoded as text, or `nil` when its bytes are not valid in `encoding`.
  ///
  /// - Parameters:
  ///   - index: the field's place in the record, from 0.
  ///   - encoding: the encoding of the export.
  ///   - trimmed: whether to leave out leading and trailing spaces and tabs.
  public func string(_ index: Int, encoding: TextEncoding = .utf8, trimmed: Bool = false)
    -> String?
  {
    let field = trimmed ? trimmedBytes(index) : bytes(index)
    // ASCII is valid in both encodings and the common case: decode without validating.
    if field.allSatisfy({ $0 < 0x80 }) { return String(decoding: field, as: UTF8.self) }
    switch encoding {
    case .utf8: return String(validating: field, as: UTF8.self)
    case .latin1:
      return String(String.UnicodeScalarView(field.lazy.map { Unicode.Scalar($0) }))
    }
  }
}

/// The text encodings a profile can declare for a CSV file.
public enum TextEncoding: String, Sendable, Hashable, Codable, CaseIterable {
  case utf8 = "utf-8"
  case latin1 = "latin-1"
}

/// Streams CSV bytes through libcsv and hands out complete records.
///
/// Owns one `csv_parser`; feed it chunks of any size with ``feed(_:handler:)`` and call
/// ``finish(handler:)`` once at the end. Memory stays bounded by the chunk size plus the
/// field and line limits, enforced as bytes arrive: a longer field or line is not kept (its
/// record comes out ``CSVRecord/oversized``), so a 200 MB line costs no more than the
/// limits. Not thread-safe: one parser per file.
public final class CSVParser {
  private var parser = csv_parser()
  // What libcsv's callbacks write to. A raw pointer, not class properties: Swift checks
  // exclusive access to class properties at run time, which costs a fifth of the time.
  private let store: UnsafeMutablePointer<FieldStore>
  private var recordsHandedOut = 0
  private var skipBOM = true
  private var head: [UInt8] = []
  private var finished = false

  /// Creates a parser.
  ///
  /// - Parameters:
  ///   - delimiter: the field separator: `,`, `;` or tab.
  ///   - strict: when `true`, stray quotes and an unterminated quote at the end are errors
  ///     (`CSV_STRICT | CSV_STRICT_FINI`); otherwise libcsv reads them leniently.
  ///   - maxFieldBytes: the longest field kept; a longer one is dropped as it arrives.
  ///   - maxLineBytes: the longest record kept (all fields); a longer one is cut short.
  public init(
    delimiter: UInt8 = UInt8(ascii: ","), strict: Bool = true, maxFieldBytes: Int = .max,
    maxLineBytes: Int = .max
  ) {
    let options = strict ? UInt8(CSV_STRICT | CSV_STRICT_FINI) : 0
    // csv_init only fails when it cannot allocate its first block.
    precondition(csv_init(&parser, options) == 0, "libcsv could not allocate its parser")
    csv_set_delim(&parser, delimiter)
    // libcsv trims spaces and tabs around unquoted fields by default; a tab that is the
    // delimiter must not be trimmed away, so then only spaces count as space. (Only then:
    // a space function is called for every byte.)
    if delimiter == 0x09 { csv_set_space_func(&parser) { $0 == UInt8(ascii: " ") ? 1 : 0 } }
    store = .allocate(capacity: 1)
    store.initialize(to: FieldStore(maxField: maxFieldBytes, maxLine: maxLineBytes))
  }

  /// The bytes the parser holds: libcsv's field buffer and the stored fields' capacity.
  var bufferedBytes: Int { parser.entry_size + store.pointee.bytes.capacityBytes }

  deinit {
    csv_free(&parser)
    store.pointee.free()
    store.deinitialize(count: 1)
    store.deallocate()
  }

  /// The number of records handed out so far.
  public var recordCount: Int { recordsHandedOut }

  /// Parses a chunk and hands every record it completes to `handler`, in order.
  ///
  /// - Throws: ``CSVSyntaxError`` at the first syntax error (strict mode); the records
  ///   before it have been handed out.
  public func feed(_ chunk: UnsafeRawBufferPointer, handler: (CSVRecord) throws -> Void) throws {
    let error = parse(chunk)
    try handOut(handler)
    if let error { throw error }
  }

  /// Flushes the last record (one without a final line break) and checks for an unterminated quote.
  ///
  /// - Throws: ``CSVSyntaxError`` when the file ends inside a quoted field (strict mode).
  public func finish(handler: (CSVRecord) throws -> Void) throws {
    let error = finish()
    try handOut(handler)
    if let error { throw error }
  }

  /// Parses a chunk into the parser's store; the records it completes wait there.
  ///
  /// - Returns: the syntax error that stopped libcsv, if any.
  func parse(_ chunk: UnsafeRawBufferPointer) -> CSVSyntaxError? {
    precondition(!finished, "parse after finish")
    guard skipBOM else { return parseBytes(chunk) }
    // Hold the first bytes until it is clear whether they start with a UTF-8 byte order
    // mark, which may arrive split over several chunks.
    head.append(contentsOf: chunk)
    if head.count < 3 && CSVParser.byteOrderMark.starts(with: head) { return nil }
    skipBOM = false
    let start = head.starts(with: CSVParser.byteOrderMark) ? 3 : 0
    let bytes = head
    head = []
    return bytes[start...].withUnsafeBytes { parseBytes($0) }
  }

  /// Flushes the last record into the store.
  ///
  /// - Returns: the syntax error of an unterminated quote (strict mode), if any.
  func finish() -> CSVSyntaxError? {
    guard !finished else { return nil }
    if skipBOM {
      // Fewer than three bytes in all, each a prefix of the mark: they are data.
      skipBOM = false
      let bytes = head
      head = []
      if let error = bytes.withUnsafeBytes({ parseBytes($0) }) { return error }
    }
    finished = true
    return csv_fini(&parser, onField, onRecord, store) == 0 ? nil : syntaxError()
  }

  private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

  private func parseBytes(_ chunk: UnsafeRawBufferPointer) -> CSVSyntaxError? {
    let limit = min(store.pointee.maxField, store.pointee.maxLine)
    guard limit < Int.max else {
      let used = csv_parse(&parser, chunk.baseAddress, chunk.count, onField, onRecord, store)
      return used == chunk.count ? nil : syntaxError()
    }
    // In slices, so that libcsv's buffer of the field being read never grows far past the
    // limit: past it, its bytes are dropped and only counted.
    let slice = 1 << 16
    var offset = 0
    while offset < chunk.count {
      let count = min(slice, chunk.count - offset)
      let used = csv_parse(
        &parser, chunk.baseAddress! + offset, count, onField, onRecord, store)
      guard used == count else { return syntaxError() }
      if parser.entry_pos > limit {
        store.pointee.droppedOfField += parser.entry_pos
        parser.entry_pos = 0
        parser.spaces = 0
      }
      offset += count
    }
    return nil
  }

  private func syntaxError() -> CSVSyntaxError {
    let complete = recordsHandedOut + store.pointee.recordEnds.count
    let message = String(cString: csv_strerror(csv_error(&parser)))
    return CSVSyntaxError(record: complete + 1, message: message)
  }

  /// Hands out the complete records waiting in the store and drops them.
  private func handOut(_ handler: (CSVRecord) throws -> Void) throws {
    var batch = RecordBatch()
    moveRecords(into: &batch)
    try batch.forEach(handler)
  }

  /// Moves the complete records waiting in the store to the end of `batch`.
  func moveRecords(into batch: inout RecordBatch) {
    let fields = store.pointee
    let records = fields.recordEnds.count
    guard records > 0 else { return }
    let fieldCount = fields.recordEnds.base[records - 1]
    let byteCount = fieldCount > 0 ? fields.fieldEnds.base[fieldCount - 1] : 0
    if batch.recordEnds.isEmpty { batch.firstRecord = recordsHandedOut + 1 }
    let byteBase = batch.bytes.count
    let fieldBase = batch.fieldEnds.count
    batch.bytes.append(contentsOf: UnsafeBufferPointer(start: fields.bytes.base, count: byteCount))
    appendShifted(fields.fieldEnds.base, count: fieldCount, adding: byteBase, to: &batch.fieldEnds)
    appendShifted(fields.recordEnds.base, count: records, adding: fieldBase, to: &batch.recordEnds)
    for (index, oversized) in fields.oversized {
      batch.oversized[recordsHandedOut + 1 + index] = oversized
    }
    recordsHandedOut += records
    store.pointee.dropHandedOut(fields: fieldCount, bytes: byteCount)
  }
}

/// Appends offsets shifted by `offset`, in one pass over raw memory.
private func appendShifted(
  _ source: UnsafePointer<Int>, count: Int, adding offset: Int, to target: inout [Int]
) {
  let start = target.count
  target.append(contentsOf: repeatElement(0, count: count))
  target.withUnsafeMutableBufferPointer { buffer in
    for index in 0..<count { buffer[start + index] = source[index] + offset }
  }
}

/// Complete records moved out of a parser: their bytes, where each field ends, and where
/// each record's fields end. A batch can cross threads; its records are read with ``forEach(_:)``.
struct RecordBatch: Sendable {
  var bytes: [UInt8] = []
  var fieldEnds: [Int] = []
  var recordEnds: [Int] = []
  /// Records longer than the parser's limits, by record number.
  var oversized: [Int: CSVRecord.Oversized] = [:]
  /// The number of the batch's first record.
  var firstRecord = 1
  /// Why the records stop after this batch, when they do.
  var ending: Ending?

  /// How a stream of batches ends.
  enum Ending: Sendable {
    /// The file was read to its end.
    case endOfFile
    /// libcsv stopped at a syntax error.
    case syntax(CSVSyntaxError)
    /// The file could not be read on.
    case readFailure(String)
  }

  /// Hands each record to `body`, in order.
  func forEach(_ body: (CSVRecord) throws -> Void) rethrows {
    try bytes.withUnsafeBufferPointer { bytes in
      try fieldEnds.withUnsafeBufferPointer { ends in
        // An empty array may have no base address; records then have no bytes to point to.
        let base = bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!
        var firstField = 0
        var firstStart = 0
        for (offset, recordEnd) in recordEnds.enumerated() {
          let number = firstRecord + offset
          let record = CSVRecord(
            number: number, base: base,
            ends: UnsafeBufferPointer(rebasing: ends[firstField..<recordEnd]),
            firstStart: firstStart, oversized: oversized.isEmpty ? nil : oversized[number])
          if recordEnd > firstField { firstStart = ends[recordEnd - 1] }
          firstField = recordEnd
          try body(record)
        }
      }
    }
  }

  /// Appends a record made of text fields (JSON values turned into records).
  mutating func append(fields: [String]) {
    for field in fields {
      bytes.append(contentsOf: field.utf8)
      fieldEnds.append(bytes.count)
    }
    recordEnds.append(fieldEnds.count)
  }

  /// Empties the batch, keeping its memory for the next one.
  mutating func removeAll() {
    bytes.removeAll(keepingCapacity: true)
    fieldEnds.removeAll(keepingCapacity: true)
    recordEnds.removeAll(keepingCapacity: true)
    oversized.removeAll()
    ending = nil
  }
}

/// A growable buffer of plain values (`BitwiseCopyable`) that libcsv's callbacks append to without Swift's
/// array bookkeeping; freed by its owner.
struct RawBuffer<Element: BitwiseCopyable> {
  private(set) var base: UnsafeMutablePointer<Element>
  private(set) var count = 0
  private var capacity: Int

  init(capacity: Int) {
    self.capacity = capacity
    base = .allocate(capacity: capacity)
  }

  @inline(__always)
  mutating func reserve(_ extra: Int) {
    guard count + extra > capacity else { return }
    grow(extra)
  }

  private mutating func grow(_ extra: Int) {
    var newCapacity = capacity * 2
    while newCapacity < count + extra { newCapacity *= 2 }
    let newBase = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
    newBase.moveInitialize(from: base, count: count)
    base.deallocate()
    base = newBase
    capacity = newCapacity
  }

  mutating func append(_ element: Element) {
    reserve(1)
    (base + count).initialize(to: element)
    count += 1
  }

  mutating func append(_ elements: UnsafePointer<Element>, count extra: Int) {
    reserve(extra)
    (base + count).initialize(from: elements, count: extra)
    count += extra
  }

  /// Drops the first `prefix` elements, moving the rest to the front.
  mutating func removeFirst(_ prefix: Int) {
    guard prefix > 0 else { return }
    // The ranges overlap, and the elements are plain values: memmove.
    memmove(base, base + prefix, (count - prefix) * MemoryLayout<Element>.stride)
    count -= prefix
  }

  mutating func removeAll() { count = 0 }

  /// The memory held, in bytes.
  var capacityBytes: Int { capacity * MemoryLayout<Element>.stride }

  func free() { base.deallocate() }
}

/// Fields of records not yet handed out: their bytes, the offset of each field's end, and
/// for each complete record one past its last field.
struct FieldStore {
  var bytes = RawBuffer<UInt8>(capacity: 1 << 17)
  var fieldEnds = RawBuffer<Int>(capacity: 1 << 12)
  var recordEnds = RawBuffer<Int>(capacity: 1 << 10)
  /// The limits: a longer field, or a record whose fields add up to more, is not kept.
  let maxField: Int
  let maxLine: Int
  /// Where the open record's bytes start.
  private var openStart = 0
  /// Bytes of the field being read that the parser dropped past the limit.
  var droppedOfField = 0
  /// The open record when it passed a limit: the bytes seen, and whether a field did.
  private var openOversized: CSVRecord.Oversized?
  /// Complete records that passed a limit, by their index among the complete ones.
  private(set) var oversized: [(index: Int, record: CSVRecord.Oversized)] = []

  init(maxField: Int, maxLine: Int) {
    self.maxField = maxField
    self.maxLine = maxLine
  }

  /// Appends one field's bytes and its end; past a limit, only counts them.
  @inline(__always)
  mutating func appendField(_ data: UnsafeMutableRawPointer?, _ length: Int) {
    let fieldBytes = length + droppedOfField
    droppedOfField = 0
    if openOversized != nil {
      // A line keeps counting; a too-long field keeps its own length.
      if !openOversized!.field { openOversized!.bytes += fieldBytes }
      return
    }
    let lineBytes = bytes.count - openStart + fieldBytes
    if fieldBytes > maxField || lineBytes > maxLine {
      let field = fieldBytes > maxField
      openOversized = CSVRecord.Oversized(bytes: field ? fieldBytes : lineBytes, field: field)
      return
    }
    if let data, length > 0 {
      bytes.append(data.assumingMemoryBound(to: UInt8.self), count: length)
    }
    fieldEnds.append(bytes.count)
  }

  /// Closes the open record.
  @inline(__always)
  mutating func endRecord() {
    recordEnds.append(fieldEnds.count)
    if let record = openOversized {
      oversized.append((recordEnds.count - 1, record))
      openOversized = nil
    }
    openStart = bytes.count
  }

  /// Keeps the fields of the record still open, moving them to the front.
  mutating func dropHandedOut(fields: Int, bytes offset: Int) {
    bytes.removeFirst(offset)
    fieldEnds.removeFirst(fields)
    if offset > 0 {
      for index in 0..<fieldEnds.count { fieldEnds.base[index] -= offset }
    }
    openStart -= offset
    recordEnds.removeAll()
    if !oversized.isEmpty { oversized.removeAll() }
  }

  func free() {
    bytes.free()
    fieldEnds.free()
    recordEnds.free()
  }
}

private func onField(
  _ data: UnsafeMutableRawPointer?, _ length: Int, _ context: UnsafeMutableRawPointer?
) {
  context!.assumingMemoryBound(to: FieldStore.self).pointee.appendField(data, length)
}

private func onRecord(_ terminator: Int32, _ context: UnsafeMutableRawPointer?) {
  context!.assumingMemoryBound(to: FieldStore.self).pointee.endRecord()
}
