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
    var line = ""
    line.reserveCapacity(fields.reduce(fields.count) { $0 + $1.utf8.count })
    for (index, field) in fields.enumerated() {
      if index > 0 { line += "," }
      line += CSVTableWriter.quote(field)
    }
    line += "\n"
    return line
  }

  /// Quotes a field when it holds a comma, quote, or line break.
  public static func quote(_ field: String) -> String {
    // Bytes, not characters: "\r\n" is one Character and would hide both breaks.
    guard field.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D })
    else {
      return field
    }
    guard field.utf8.contains(0x22) else { return "\"" + field + "\"" }
    return "\""
      + field.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"")
      + "\""
  }
}
