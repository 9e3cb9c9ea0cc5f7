/// Writes JSON as the reports' JSONEncoder does (pretty-printed, two spaces, `"key" : value`,
/// slashes unescaped, integral numbers without `.0`), value by value, for documents written
/// by the thousand: Foundation's encoder boxes every value and was a fifth of a cohort run.
/// The caller writes an object's keys in sorted order.
struct PrettyJSON {
  /// The UTF-8 written so far (appending bytes is cheaper than growing a String).
  private var bytes: [UInt8] = []
  /// For each open container: whether it has no element yet.
  private var empty: [Bool] = []
  private var afterKey = false

  /// Without line breaks and indentation (`"key":value`), for files only programs read.
  private let compact: Bool

  init(capacity: Int = 4096, compact: Bool = false) {
    bytes.reserveCapacity(capacity)
    self.compact = compact
  }

  /// The document written so far.
  var text: String { String(decoding: bytes, as: UTF8.self) }

  /// The document with a final line break, as `JSONDocument.text` ends it.
  mutating func document() -> String {
    write(UInt8(ascii: "\n"))
    return text
  }

  /// The document's bytes, ended by a line break (``document()`` without making a text).
  mutating func documentBytes() -> [UInt8] {
    write(UInt8(ascii: "\n"))
    return bytes
  }

  /// Appends text as it is (and a number's digits: ``PrettyJSON`` is the stream a
  /// `Double` writes itself to).
  mutating func write(_ text: String) { bytes.append(contentsOf: text.utf8) }

  /// What the standard library writes a `Double`'s digits with: appended without a `String`.
  mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) {
    bytes.append(contentsOf: buffer)
  }

  private mutating func write(_ byte: UInt8) { bytes.append(byte) }

  /// The place of a new value: after its key, or on a new line in its container.
  private mutating func place() {
    if afterKey {
      afterKey = false
      return
    }
    guard let last = empty.indices.last else { return }
    if !empty[last] { write(UInt8(ascii: ",")) }
    empty[last] = false
    guard !compact else { return }
    write(UInt8(ascii: "\n"))
    indent(empty.count)
  }

  private mutating func indent(_ depth: Int) {
    for _ in 0..<(2 * depth) { write(UInt8(ascii: " ")) }
  }

  mutating func beginObject() {
    place()
    write(UInt8(ascii: "{"))
    empty.append(true)
  }

  mutating func endObject() { close(UInt8(ascii: "}")) }

  mutating func beginArray() {
    place()
    write(UInt8(ascii: "["))
    empty.append(true)
  }

  mutating func endArray() { close(UInt8(ascii: "]")) }

  private mutating func close(_ bracket: UInt8) {
    let wasEmpty = empty.removeLast()
    if compact {
      write(bracket)
      return
    }
    write(UInt8(ascii: "\n"))
    if wasEmpty { write(UInt8(ascii: "\n")) }
    indent(empty.count)
    write(bracket)
  }

  mutating func key(_ name: String) {
    place()
    quote(name)
    bytes.append(literal: compact ? ":" : " : ")
    afterKey = true
  }

  mutating func string(_ value: String) {
    place()
    quote(value)
  }

  mutating func number(_ value: Double) {
    place()
    // Swift's shortest round-trip text, as the encoder writes it: `12`, `0.1`, `1e-07`
    // (a finite number's `description`, written straight into the bytes), without an
    // integral `.0`. Not a finite number (the encoder refuses those): its `description`
    // (`nan`, `inf`), as before, where writing it could give `-nan`.
    guard value.isFinite else {
      write(value.description)
      return
    }
    let start = bytes.count
    value.write(to: &self)
    if bytes.count - start >= 2, bytes[bytes.count - 2] == UInt8(ascii: "."),
      bytes[bytes.count - 1] == UInt8(ascii: "0")
    {
      bytes.removeLast(2)
    }
  }

  mutating func number(_ value: Int) {
    place()
    bytes.appendDecimal(value)
  }

  mutating func bool(_ value: Bool) {
    place()
    bytes.append(literal: value ? "true" : "false")
  }

  /// `"key" : "value"`, or nothing when the value is `nil` (as the encoder leaves it out).
  mutating func field(_ name: String, _ value: String?) {
    guard let value else { return }
    key(name)
    string(value)
  }

  mutating func field(_ name: String, _ value: Double?) {
    guard let value else { return }
    key(name)
    number(value)
  }

  mutating func field(_ name: String, _ value: Int) {
    key(name)
    number(value)
  }

  mutating func field(_ name: String, _ value: Int?) {
    guard let value else { return }
    key(name)
    number(value)
  }

  mutating func field(_ name: String, _ value: Bool) {
    key(name)
    bool(value)
  }

  mutating func field(_ name: String, _ values: [String]) {
    key(name)
    beginArray()
    for value in values { string(value) }
    endArray()
  }

  /// A JSON string literal: quotes, backslashes and control characters escaped. One pass
  /// over the text's bytes, the runs between escapes copied whole (what needs escaping is
  /// ASCII, so bytes and Unicode scalars escape alike).
  private mutating func quote(_ value: String) {
    write(UInt8(ascii: "\""))
    var value = value
    value.withUTF8 { text in
      var start = 0
      for (index, byte) in text.enumerated() where byte < 0x20 || byte == 0x22 || byte == 0x5C {
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[start..<index]))
        start = index + 1
        bytes.append(UInt8(ascii: "\\"))
        switch byte {
        case 0x22, 0x5C: bytes.append(byte)
        case 0x0A: bytes.append(UInt8(ascii: "n"))
        case 0x0D: bytes.append(UInt8(ascii: "r"))
        case 0x09: bytes.append(UInt8(ascii: "t"))
        case 0x08: bytes.append(UInt8(ascii: "b"))
        case 0x0C: bytes.append(UInt8(ascii: "f"))
        default:
          bytes.append(contentsOf: [UInt8(ascii: "u"), 0x30, 0x30])
          bytes.appendHex(byte)
        }
      }
      bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[start...]))
    }
    write(UInt8(ascii: "\""))
  }
}

extension PrettyJSON: TextOutputStream {}
