internal import CLibCSV

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
/// Fields are bytes; ``string(_:encoding:)`` decodes one when a caller needs text. A record
/// points into the parser's buffer and is valid only while the handler that received it runs.
public struct CSVRecord {
  /// The 1-based record number; the header, when there is one, is record 1.
  public let number: Int
  private let base: UnsafePointer<UInt8>
  private let ends: UnsafeBufferPointer<Int>
  private let firstStart: Int

  init(number: Int, base: UnsafePointer<UInt8>, ends: UnsafeBufferPointer<Int>, firstStart: Int) {
    self.number = number
    self.base = base
    self.ends = ends
    self.firstStart = firstStart
  }

  /// The number of fields.
  public var count: Int { ends.count }

  private func start(_ index: Int) -> Int { index == 0 ? firstStart : ends[index - 1] + 1 }

  /// The field's bytes, without the terminating NUL the parser keeps after each.
  public func bytes(_ index: Int) -> UnsafeBufferPointer<UInt8> {
    let from = start(index)
    return UnsafeBufferPointer(start: base + from, count: ends[index] - from)
  }

  /// The field as a NUL-terminated C string (fields holding NUL bytes end early).
  public func cString(_ index: Int) -> UnsafePointer<CChar> {
    UnsafeRawPointer(base + start(index)).assumingMemoryBound(to: CChar.self)
  }

  /// The field's length in bytes.
  public func length(_ index: Int) -> Int { ends[index] - start(index) }

  /// The field decoded as text, or `nil` when its bytes are not valid in `encoding`.
  public func string(_ index: Int, encoding: TextEncoding = .utf8) -> String? {
    let field = bytes(index)
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
/// longest record. Not thread-safe: one parser per file.
public final class CSVParser {
  private var parser = csv_parser()
  // Fields of records not yet handed out, each followed by a NUL byte.
  fileprivate var bytes: [UInt8] = []
  // Offset of each field's end (its NUL) in `bytes`.
  fileprivate var fieldEnds: [Int] = []
  // For each complete record, the index in `fieldEnds` one past its last field.
  fileprivate var recordEnds: [Int] = []
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
  public init(delimiter: UInt8 = UInt8(ascii: ","), strict: Bool = true) {
    let options = strict ? UInt8(CSV_STRICT | CSV_STRICT_FINI) : 0
    // csv_init only fails when it cannot allocate its first block.
    precondition(csv_init(&parser, options) == 0, "libcsv could not allocate its parser")
    csv_set_delim(&parser, delimiter)
    // libcsv trims spaces and tabs around unquoted fields by default; a tab that is the
    // delimiter must not be trimmed away, so only spaces count as space.
    csv_set_space_func(&parser) { $0 == UInt8(ascii: " ") ? 1 : 0 }
    bytes.reserveCapacity(1 << 17)
    fieldEnds.reserveCapacity(1 << 12)
    recordEnds.reserveCapacity(1 << 10)
  }

  deinit { csv_free(&parser) }

  /// The number of records handed out so far.
  public var recordCount: Int { recordsHandedOut }

  /// Parses a chunk and hands every record it completes to `handler`, in order.
  ///
  /// - Throws: ``CSVSyntaxError`` at the first syntax error (strict mode); the records
  ///   before it have been handed out.
  public func feed(
    _ chunk: UnsafeRawBufferPointer, handler: (CSVRecord) throws -> Void
  ) throws {
    precondition(!finished, "feed after finish")
    guard skipBOM else { return try parse(chunk, handler) }
    // Hold the first bytes until it is clear whether they start with a UTF-8 byte order
    // mark, which may arrive split over several chunks.
    head.append(contentsOf: chunk)
    if head.count < 3 && CSVParser.byteOrderMark.starts(with: head) { return }
    skipBOM = false
    let start = head.starts(with: CSVParser.byteOrderMark) ? 3 : 0
    let bytes = head
    head = []
    try bytes[start...].withUnsafeBytes { try parse($0, handler) }
  }

  private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

  private func parse(_ chunk: UnsafeRawBufferPointer, _ handler: (CSVRecord) throws -> Void) throws
  {
    let context = Unmanaged.passUnretained(self).toOpaque()
    let used = csv_parse(&parser, chunk.baseAddress, chunk.count, onField, onRecord, context)
    try handOut(handler)
    if used != chunk.count { throw syntaxError() }
  }

  /// Flushes the last record (one without a final line break) and checks for an unterminated quote.
  ///
  /// - Throws: ``CSVSyntaxError`` when the file ends inside a quoted field (strict mode).
  public func finish(handler: (CSVRecord) throws -> Void) throws {
    guard !finished else { return }
    if skipBOM {
      // Fewer than three bytes in all, each a prefix of the mark: they are data.
      skipBOM = false
      let bytes = head
      head = []
      try bytes.withUnsafeBytes { try parse($0, handler) }
    }
    finished = true
    let context = Unmanaged.passUnretained(self).toOpaque()
    let status = csv_fini(&parser, onField, onRecord, context)
    try handOut(handler)
    if status != 0 { throw syntaxError() }
  }

  private func syntaxError() -> CSVSyntaxError {
    let message = String(cString: csv_strerror(csv_error(&parser)))
    return CSVSyntaxError(record: recordsHandedOut + 1, message: message)
  }

  private func handOut(_ handler: (CSVRecord) throws -> Void) throws {
    guard !recordEnds.isEmpty else { return }
    var firstField = 0
    var firstStart = 0
    try bytes.withUnsafeBufferPointer { bytes in
      try fieldEnds.withUnsafeBufferPointer { ends in
        for end in recordEnds {
          recordsHandedOut += 1
          let record = CSVRecord(
            number: recordsHandedOut, base: bytes.baseAddress!,
            ends: UnsafeBufferPointer(rebasing: ends[firstField..<end]), firstStart: firstStart)
          try handler(record)
          if end > firstField { firstStart = ends[end - 1] + 1 }
          firstField = end
        }
      }
    }
    // Keep the fields of the record still open; drop the rest.
    bytes.removeSubrange(0..<firstStart)
    fieldEnds.removeSubrange(0..<firstField)
    if firstStart > 0 {
      for index in fieldEnds.indices { fieldEnds[index] -= firstStart }
    }
    recordEnds.removeAll(keepingCapacity: true)
  }
}

private func onField(
  _ data: UnsafeMutableRawPointer?, _ length: Int, _ context: UnsafeMutableRawPointer?
) {
  let parser = Unmanaged<CSVParser>.fromOpaque(context!).takeUnretainedValue()
  if let data, length > 0 {
    parser.bytes.append(
      contentsOf: UnsafeRawBufferPointer(start: data, count: length).bindMemory(to: UInt8.self))
  }
  parser.fieldEnds.append(parser.bytes.count)
  parser.bytes.append(0)
}

private func onRecord(_ terminator: Int32, _ context: UnsafeMutableRawPointer?) {
  let parser = Unmanaged<CSVParser>.fromOpaque(context!).takeUnretainedValue()
  parser.recordEnds.append(parser.fieldEnds.count)
}
