import Foundation

/// A parsed JSON value with its path, for reading untidy exports field by field and saying
/// exactly where a field is missing or has the wrong type.
struct JSONNode {
  /// The value as `JSONSerialization` gives it, or `nil` when absent.
  let value: Any?
  /// The JSON path, e.g. `entry[3].resource.valueQuantity.value`.
  let path: String

  /// Parses one element's bytes.
  ///
  /// - Throws: a message for bytes that are not valid JSON or not UTF-8.
  static func parse(_ bytes: [UInt8], path: String) throws(JSONParseError) -> JSONNode {
    do {
      let value = try JSONSerialization.jsonObject(
        with: Data(bytes), options: [.fragmentsAllowed])
      return JSONNode(value: value, path: path)
    } catch {
      let text = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
      throw JSONParseError(message: text ?? "not valid JSON")
    }
  }

  /// The member `key` of an object (absent when this is not an object).
  subscript(_ key: String) -> JSONNode {
    JSONNode(value: (value as? [String: Any])?[key], path: path.isEmpty ? key : "\(path).\(key)")
  }

  /// Whether a value is present (JSON `null` counts as absent).
  var exists: Bool { value != nil && !(value is NSNull) }

  /// The items of an array; none when this is not an array.
  var items: [JSONNode] {
    guard let array = value as? [Any] else { return [] }
    return array.enumerated().map { JSONNode(value: $1, path: "\(path)[\($0)]") }
  }

  /// The value as text, or `nil` when absent or not a string.
  var string: String? { value as? String }

  /// The value as a number, or `nil` when absent, not a number, or not finite.
  var number: Double? {
    guard let number = value as? NSNumber, !JSONNode.isBoolean(number) else { return nil }
    let double = number.doubleValue
    return double.isFinite ? double : nil
  }

  /// Whether JSONSerialization read `true` or `false` (its numbers of type `c`), as
  /// opposed to the numbers 1 and 0, which Swift also lets cast to `Bool`.
  static func isBoolean(_ number: NSNumber) -> Bool {
    String(cString: number.objCType) == "c"
  }

  /// What kind of JSON value this is, for messages.
  var kind: String {
    switch value {
    case nil, is NSNull: "nothing"
    case is String: "a string"
    case is [Any]: "an array"
    case is [String: Any]: "an object"
    case let number as NSNumber where JSONNode.isBoolean(number): "true/false"
    case is NSNumber: "a number"
    default: "a value"
    }
  }
}

/// Bytes that are not one valid JSON value.
struct JSONParseError: Error, Sendable {
  var message: String
}
