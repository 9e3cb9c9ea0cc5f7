import Foundation

/// Writes rows of a CSV table (RFC 4180 quoting) to an ``AtomicFileWriter``.
///
/// Cells are spreadsheet-safe (OWASP's rule for CSV injection): a cell that begins with
/// `=`, `+`, `-`, `@`, a tab or a carriage return and is not a number gets a leading `'`,
/// so that a spreadsheet shows it as text instead of running it as a formula. Numbers
/// (`-0.42`, `+3`, `-1e-5`) are written as they are.
public struct CSVTableWriter {
  private let writer: AtomicFileWriter

  /// Starts a table with its header row.
  public init(writer: AtomicFileWriter, header: [String]) {
    self.writer = writer
    write(header)
  }

  /// Writes one row.
  public func write(_ fields: [String]) {
    writer.write(Self.line(fields))
  }

  /// One row as a line of text, with its line break (``CSVRow``'s bytes).
  public static func line(_ fields: [String]) -> String {
    var row = CSVRow()
    for field in fields { row.text(field) }
    row.end()
    return String(decoding: row.bytes, as: UTF8.self)
  }

  /// Writes one field's bytes at `start`, quoted when they need it, and returns their end.
  fileprivate static func put(
    _ bytes: UnsafeBufferPointer<UInt8>, into buffer: UnsafeMutableBufferPointer<UInt8>,
    at start: Int
  ) -> Int {
    let neutralized = isFormula(bytes)
    // Bytes, not characters: "\r\n" is one Character and would hide both breaks.
    guard bytes.contains(where: needsQuotes) else {
      var end = start
      if neutralized {
        buffer[end] = 0x27
        end += 1
      }
      guard let base = bytes.baseAddress, !bytes.isEmpty else { return end }
      UnsafeMutableRawPointer(buffer.baseAddress! + end).copyMemory(
        from: base, byteCount: bytes.count)
      return end + bytes.count
    }
    var end = start
    buffer[end] = 0x22
    end += 1
    if neutralized {
      buffer[end] = 0x27
      end += 1
    }
    for byte in bytes {
      if byte == 0x22 {
        buffer[end] = 0x22
        end += 1
      }
      buffer[end] = byte
      end += 1
    }
    buffer[end] = 0x22
    return end + 1
  }

  /// Whether a spreadsheet would read the cell as a formula: it begins with `=`, `+`, `-`,
  /// `@`, a tab or a carriage return, and is not a number.
  static func isFormula(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    guard let first = bytes.first else { return false }
    switch first {
    case 0x3D, 0x40, 0x09, 0x0D: return true
    case 0x2B, 0x2D: return !isNumber(bytes)
    default: return false
    }
  }

  /// Whether the bytes are a decimal number: `[+-]digits[.digits][e[+-]digits]`.
  private static func isNumber(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    var index = 0
    let count = bytes.count
    func digits() -> Int {
      let start = index
      while index < count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
      return index - start
    }
    if index < count, bytes[index] == 0x2B || bytes[index] == 0x2D { index += 1 }
    var mantissa = digits()
    if index < count, bytes[index] == 0x2E {
      index += 1
      mantissa += digits()
    }
    guard mantissa > 0 else { return false }
    if index < count, bytes[index] == 0x65 || bytes[index] == 0x45 {
      index += 1
      if index < count, bytes[index] == 0x2B || bytes[index] == 0x2D { index += 1 }
      guard digits() > 0 else { return false }
    }
    return index == count
  }

  /// Whether a field holding the byte is quoted: a comma, quote, or line break.
  fileprivate static func needsQuotes(_ byte: UInt8) -> Bool {
    byte == 0x2C || byte == 0x22 || byte == 0x0A || byte == 0x0D
  }

  /// Quotes a field when it holds a comma, quote, or line break, and neutralizes a formula.
  public static func quote(_ field: String) -> String {
    var field = field
    if field.withUTF8(isFormula) { field = "'" + field }
    // Bytes, not characters: "\r\n" is one Character and would hide both breaks.
    guard field.utf8.contains(where: needsQuotes) else {
      return field
    }
    guard field.utf8.contains(0x22) else { return "\"" + field + "\"" }
    return "\""
      + field.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"")
      + "\""
  }
}

/// One CSV row written as bytes into a buffer that is reused from row to row: the same
/// bytes ``CSVTableWriter/line(_:)`` writes for the same cells, without a text per row.
public struct CSVRow: RowCells {
  /// The row's bytes so far.
  public private(set) var bytes: [UInt8] = []
  private var cells = 0
  /// The last pieces of each cell written from pieces, by the cell's place, and the bytes
  /// they made: the rows of a table repeat their lists (a protocol's samples left out, the
  /// same reasons), whose text and quoting are then not made again.
  private var pieceCells: [(pieces: [String], bytes: [UInt8])?] = []

  public init() { bytes.reserveCapacity(1024) }

  /// Starts the next row.
  public mutating func reset() {
    bytes.removeAll(keepingCapacity: true)
    cells = 0
  }

  /// Ends the row with its line break.
  public mutating func end() { bytes.append(0x0A) }

  public mutating func text(_ text: String) {
    if cells > 0 { bytes.append(0x2C) }
    cells += 1
    var text = text
    text.withUTF8 { field in
      // Most cells (numbers, ids, codes) are written as they are.
      if !field.contains(where: CSVTableWriter.needsQuotes), !CSVTableWriter.isFormula(field) {
        bytes.append(contentsOf: field)
        return
      }
      let start = bytes.count
      // The most a field can take: every byte a quote, doubled, quoted and neutralized.
      bytes.append(contentsOf: repeatElement(0, count: 2 * field.count + 3))
      let end = bytes.withUnsafeMutableBufferPointer {
        CSVTableWriter.put(field, into: $0, at: start)
      }
      bytes.removeLast(bytes.count - end)
    }
  }

  /// The cell of `pieces` joined: the bytes the last row's cell in this place made when
  /// its pieces had the same bytes, else made anew.
  public mutating func text(pieces: [String]) {
    let place = cells
    if place < pieceCells.count, let last = pieceCells[place], last.pieces.count == pieces.count,
      zip(last.pieces, pieces).allSatisfy({ SampleColumns.ExactText.same($0, $1) })
    {
      if cells > 0 { bytes.append(0x2C) }
      cells += 1
      bytes.append(contentsOf: last.bytes)
      return
    }
    let start = bytes.count + (cells > 0 ? 1 : 0)
    text(pieces.joined())
    if pieceCells.count <= place {
      pieceCells.append(contentsOf: repeatElement(nil, count: place + 1 - pieceCells.count))
    }
    // A copy: a slice would share the row's buffer, copied on its next write.
    pieceCells[place] = (pieces, Array(bytes[start...]))
  }

  /// The number's cell, the same bytes as `FeatureTables.cell`, written in place: a
  /// whole number's digits, else the shortest text that reads back as the same `Double`
  /// (its digits go straight into the row, without a text of their own). A finite number's
  /// text is never quoted or taken for a formula.
  public mutating func number(_ value: Double?) {
    if cells > 0 { bytes.append(0x2C) }
    cells += 1
    guard let value, value.isFinite else { return }
    if value == value.rounded(), abs(value) < 1e15 {
      bytes.appendDecimal(Int(value))
    } else {
      value.write(to: &self)
    }
  }
}

extension CSVRow: TextOutputStream {
  /// Appends text as it is (a number's digits, from ``number(_:)``).
  public mutating func write(_ string: String) { bytes.append(contentsOf: string.utf8) }

  /// What the standard library writes a `Double`'s digits with: appended without a `String`.
  public mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) {
    bytes.append(contentsOf: buffer)
  }
}
