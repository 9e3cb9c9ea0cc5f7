import Foundation
import Testing

@testable import NeuroEndoKit

/// `PrettyJSON` writes what Foundation's encoder writes for the reports (pretty-printed,
/// sorted keys, slashes unescaped), byte for byte: numbers as their shortest round-trip
/// text without an integral `.0`, integers, booleans, escaped strings, empty containers.
@Suite("PrettyJSON against JSONEncoder")
struct PrettyJSONTests {
  enum Value: Encodable {
    case number(Double), integer(Int), flag(Bool), text(String), list([Value])
    case object([String: Value])

    func encode(to encoder: any Encoder) throws {
      var single = encoder.singleValueContainer()
      switch self {
      case .number(let value): try single.encode(value)
      case .integer(let value): try single.encode(value)
      case .flag(let value): try single.encode(value)
      case .text(let value): try single.encode(value)
      case .list(let values): try single.encode(values)
      case .object(let fields): try single.encode(fields)
      }
    }

    func write(into json: inout PrettyJSON) {
      switch self {
      case .number(let value): json.number(value)
      case .integer(let value): json.number(value)
      case .flag(let value): json.bool(value)
      case .text(let value): json.string(value)
      case .list(let values):
        json.beginArray()
        for value in values { value.write(into: &json) }
        json.endArray()
      case .object(let fields):
        json.beginObject()
        for key in fields.keys.sorted() {
          json.key(key)
          fields[key]!.write(into: &json)
        }
        json.endObject()
      }
    }
  }

  static let numbers: [Double] = [
    12, 0, -0.0, 0.1, -2.5, 1e-07, 1e20, 1e16, 123_456_789.125, 70.33333333333333,
    0.0067042261572931834, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 1 / 3, 100, 1e15 + 0.5,
  ]

  @Test("every kind of value, nested, is the encoder's bytes")
  func sameBytesAsTheEncoder() throws {
    let document = Value.object([
      "numbers": .list(Self.numbers.map(Value.number)),
      "integers": .list([0, -42, 7, Int.max, Int.min].map(Value.integer)),
      "flags": .list([.flag(true), .flag(false)]),
      "texts": .list(
        [
          "plain", "quote \" and back \\ slash", "tab\tline\nreturn\r", "\u{01}\u{1F}\u{08}\u{0C}",
          "a/b https://x", "é ü 日本 🙂", "",
        ].map(Value.text)),
      "empty list": .list([]),
      "empty object": .object([:]),
      "nested": .object(["b": .list([.number(1.5), .text("x"), .object(["z": .integer(1)])])]),
    ])
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let expected = try #require(String(data: encoder.encode(document), encoding: .utf8))
    var json = PrettyJSON()
    document.write(into: &json)
    #expect(json.text == expected)
  }

  @Test("a number alone: the encoder's text for each")
  func numbersOneByOne() throws {
    let encoder = JSONEncoder()
    for value in Self.numbers {
      var json = PrettyJSON()
      json.number(value)
      #expect(json.text == String(data: try encoder.encode(value), encoding: .utf8), "\(value)")
    }
  }

  @Test("a number that is not finite is written as its description, whatever its sign bit")
  func notFinite() {
    let negativeNaN = -Double.nan
    for (value, text) in [
      (Double.nan, "nan"), (negativeNaN, "nan"), (.infinity, "inf"), (-.infinity, "-inf"),
    ] {
      var json = PrettyJSON()
      json.number(value)
      #expect(json.text == text && json.text == value.description, "\(value)")
    }
  }
}
