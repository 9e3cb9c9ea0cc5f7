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
    writer.write(fields.map(CSVTableWriter.quote).joined(separator: ",") + "\n")
  }

  /// Quotes a field when it holds a comma, quote, or line break.
  public static func quote(_ field: String) -> String {
    guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else {
      return field
    }
    return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
}
