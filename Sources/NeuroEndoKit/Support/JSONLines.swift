import Foundation

/// NDJSON output: one value per line as JSON with sorted keys, so that lines compare across runs.
public enum JSONLines {
  /// The encoder for NDJSON lines.
  public static func makeEncoder() -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = nonFinite
    return encoder
  }

  /// Numbers that are not finite never reach an output (the normalizer rejects them as
  /// `value-overflow`); were one to, it is written as a string rather than stopping a run.
  static let nonFinite = JSONEncoder.NonConformingFloatEncodingStrategy.convertToString(
    positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")

  /// The JSON text of a value, or an object naming why it could not be encoded (which
  /// plain value types with the ``nonFinite`` strategy never do): a run is not stopped.
  static func encoded(_ value: some Encodable, _ encoder: JSONEncoder) -> String {
    do {
      return String(decoding: try encoder.encode(value), as: UTF8.self)
    } catch {
      let reason = "\(error)".replacingOccurrences(of: "\"", with: "'")
      return "{\"encoding_error\": \"\(reason)\"}"
    }
  }

  /// One line: the value as JSON and a line break, from an encoder of its own (so lines can
  /// be encoded on several threads at once).
  public static func line<Value: Encodable>(_ value: Value) -> String {
    line(value, encoder: makeEncoder())
  }

  /// One line: the value as JSON and a line break.
  public static func line<Value: Encodable>(_ value: Value, encoder: JSONEncoder) -> String {
    encoded(value, encoder) + "\n"
  }
}

/// A whole JSON document as the reports write it: pretty-printed, keys sorted, slashes
/// unescaped, a final line break.
enum JSONDocument {
  static func text(_ value: some Encodable) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    encoder.nonConformingFloatEncodingStrategy = JSONLines.nonFinite
    return JSONLines.encoded(value, encoder) + "\n"
  }
}
