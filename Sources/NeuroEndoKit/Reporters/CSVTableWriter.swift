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
      var end = 0
      func append(_ byte: UInt8) {
        buffer[end] = byte
        end += 1
      }
      func field(_ bytes: UnsafeBufferPointer<UInt8>) {
        // Bytes, not characters: "\r\n" is one Character and would hide both breaks.
        let quoted = bytes.contains(where: needsQuotes)
        guard quoted else {
          if let base = bytes.baseAddress, !bytes.isEmpty {
            UnsafeMutableRawPointer(buffer.baseAddress! + end).copyMemory(
              from: base, byteCount: bytes.count)
            end += bytes.count
          }
          return
        }
        append(0x22)
        for byte in bytes {
          if byte == 0x22 { append(0x22) }
          append(byte)
        }
        append(0x22)
      }
      for (index, text) in fields.enumerated() {
        if index > 0 { append(0x2C) }
        if text.utf8.withContiguousStorageIfAvailable(field) == nil {
          Array(text.utf8).withUnsafeBufferPointer(field)
        }
      }
      append(0x0A)
      return end
    }
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
