import Foundation

/// Writes rows of a CSV table (RFC 4180 quoting) to an ``AtomicFileWriter``.
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

  /// One row as a line of text, with its line break.
  public static func line(_ fields: [String]) -> String {
    // Written as bytes into a string of the most it can take (every byte a quote, doubled).
    var capacity = fields.count + 1  // the commas and the line break
    for field in fields { capacity += 2 * field.utf8.count + 2 }
    return String(unsafeUninitializedCapacity: capacity) { buffer in
      // The end is passed along, not captured: a captured variable is checked for
      // exclusive access at run time on every byte.
      var end = 0
      for (index, text) in fields.enumerated() {
        if index > 0 {
          buffer[end] = 0x2C
          end += 1
        }
        var text = text
        end = text.withUTF8 { [end] bytes in put(bytes, into: buffer, at: end) }
      }
      buffer[end] = 0x0A
      return end + 1
    }
  }

  /// Writes one field's bytes at `start`, quoted when they need it, and returns their end.
  private static func put(
    _ bytes: UnsafeBufferPointer<UInt8>, into buffer: UnsafeMutableBufferPointer<UInt8>,
    at start: Int
  ) -> Int {
    // Bytes, not characters: "\r\n" is one Character and would hide both breaks.
    guard bytes.contains(where: needsQuotes) else {
      guard let base = bytes.baseAddress, !bytes.isEmpty else { return start }
      UnsafeMutableRawPointer(buffer.baseAddress! + start).copyMemory(
        from: base, byteCount: bytes.count)
      return start + bytes.count
    }
    var end = start
    buffer[end] = 0x22
    end += 1
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

  /// Whether a field holding the byte is quoted: a comma, quote, or line break.
  private static func needsQuotes(_ byte: UInt8) -> Bool {
    byte == 0x2C || byte == 0x22 || byte == 0x0A || byte == 0x0D
  }

  /// Quotes a field when it holds a comma, quote, or line break.
  public static func quote(_ field: String) -> String {
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
