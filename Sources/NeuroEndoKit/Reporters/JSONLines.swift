import Foundation

/// NDJSON output: one value per line as JSON with sorted keys, so that lines compare across runs.
public enum JSONLines {
  /// The encoder for NDJSON lines.
  public static func makeEncoder() -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return encoder
  }

  /// One line: the value as JSON and a line break, from an encoder of its own (so lines can
  /// be encoded on several threads at once).
  public static func line<Value: Encodable>(_ value: Value) -> String {
    line(value, encoder: makeEncoder())
  }

  /// One line: the value as JSON and a line break.
  public static func line<Value: Encodable>(_ value: Value, encoder: JSONEncoder) -> String {
    // Encoding the pipeline's plain value types cannot fail.
    String(decoding: try! encoder.encode(value), as: UTF8.self) + "\n"
  }
}

/// A whole JSON document as the reports write it: pretty-printed, keys sorted, slashes
/// unescaped, a final line break.
enum JSONDocument {
  static func text(_ value: some Encodable) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    // Encoding plain value types with finite numbers cannot fail.
    return String(decoding: try! encoder.encode(value), as: UTF8.self) + "\n"
  }
}
