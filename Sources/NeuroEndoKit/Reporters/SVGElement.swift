/// A small SVG element tree: every attribute value and every text is escaped when written,
/// so that no label, id or note from an export can open a tag. Attributes keep the order
/// they were given, so that the same chart is the same bytes.
struct SVGElement {
  var name: String
  var attributes: [(String, String)]
  var children: [SVGElement] = []
  var text: String?

  init(
    _ name: String, _ attributes: [(String, String)] = [], text: String? = nil,
    children: [SVGElement] = []
  ) {
    self.name = name
    self.attributes = attributes
    self.text = text
    self.children = children
  }

  /// The element as markup, children on their own lines.
  var markup: String {
    var out: [UInt8] = []
    out.reserveCapacity(16 * 1024)
    write(into: &out)
    return String(decoding: out, as: UTF8.self)
  }

  /// Writes the element's bytes (bytes, not a `String`: a chart is thousands of pieces).
  func write(into out: inout [UInt8]) {
    out.append(UInt8(ascii: "<"))
    PageTemplate.append(name, to: &out)
    for (key, value) in attributes {
      out.append(UInt8(ascii: " "))
      PageTemplate.append(key, to: &out)
      out.append(UInt8(ascii: "="))
      out.append(UInt8(ascii: "\""))
      PageTemplate.escape(value, into: &out)
      out.append(UInt8(ascii: "\""))
    }
    if children.isEmpty && text == nil {
      out.append(UInt8(ascii: "/"))
      out.append(UInt8(ascii: ">"))
      return
    }
    out.append(UInt8(ascii: ">"))
    if let text { PageTemplate.escape(text, into: &out) }
    for child in children {
      if name == "svg" { out.append(0x0A) }
      child.write(into: &out)
    }
    if name == "svg" { out.append(0x0A) }
    out.append(UInt8(ascii: "<"))
    out.append(UInt8(ascii: "/"))
    PageTemplate.append(name, to: &out)
    out.append(UInt8(ascii: ">"))
  }
}

/// Markup written straight into bytes, the same bytes as ``SVGElement`` writes, without a
/// tree of elements and attribute texts: a chart's hundreds of coordinates go in as digits.
/// An element is ``start(_:)``, its attributes, then ``empty()`` or ``open()``, its content
/// and ``end(_:)``.
struct SVGBytes {
  var out: [UInt8] = []

  init(capacity: Int) { out.reserveCapacity(capacity) }

  /// `<name`.
  mutating func start(_ name: StaticString) {
    out.append(UInt8(ascii: "<"))
    append(name)
  }

  /// ` key="value"`, the value escaped.
  mutating func attribute(_ key: StaticString, _ value: String) {
    opening(key)
    PageTemplate.escape(value, into: &out)
    out.append(UInt8(ascii: "\""))
  }

  /// ` key="value"` of a constant value, which holds nothing to escape: its bytes as
  /// they are, without the escaping pass (a chart has dozens of such attributes).
  mutating func attribute(_ key: StaticString, literal value: StaticString) {
    assert(
      UnsafeBufferPointer(start: value.utf8Start, count: value.utf8CodeUnitCount).allSatisfy {
        !"<>&\"'".utf8.contains($0)
      }, "\(value) holds a character to escape")
    opening(key)
    out.append(literal: value)
    out.append(UInt8(ascii: "\""))
  }

  /// ` key="value"`, the value with one decimal (``NumberText/oneDecimal(_:)``).
  mutating func attribute(_ key: StaticString, tenths value: Double) {
    opening(key)
    NumberText.appendOneDecimal(value, to: &out)
    out.append(UInt8(ascii: "\""))
  }

  /// ` key="x,y x,y ..."`: `count` points, each coordinate with one decimal.
  mutating func attribute(
    _ key: StaticString, points count: Int, _ point: (Int) -> (Double, Double)
  ) {
    opening(key)
    for index in 0..<count {
      if index > 0 { out.append(UInt8(ascii: " ")) }
      let (x, y) = point(index)
      NumberText.appendOneDecimal(x, to: &out)
      out.append(UInt8(ascii: ","))
      NumberText.appendOneDecimal(y, to: &out)
    }
    out.append(UInt8(ascii: "\""))
  }

  /// ` key="`.
  private mutating func opening(_ key: StaticString) {
    out.append(UInt8(ascii: " "))
    append(key)
    out.append(UInt8(ascii: "="))
    out.append(UInt8(ascii: "\""))
  }

  /// `/>`: the element has no content.
  mutating func empty() {
    out.append(UInt8(ascii: "/"))
    out.append(UInt8(ascii: ">"))
  }

  /// `>`: the content follows.
  mutating func open() { out.append(UInt8(ascii: ">")) }

  /// Text content, escaped.
  mutating func text(_ text: String) { PageTemplate.escape(text, into: &out) }

  /// `</name>`.
  mutating func end(_ name: StaticString) {
    out.append(UInt8(ascii: "<"))
    out.append(UInt8(ascii: "/"))
    append(name)
    out.append(UInt8(ascii: ">"))
  }

  /// A line break (before each of an `svg` element's children, and its end).
  mutating func newLine() { out.append(0x0A) }

  private mutating func append(_ text: StaticString) { out.append(literal: text) }

  /// The markup.
  var markup: String { String(decoding: out, as: UTF8.self) }
}
