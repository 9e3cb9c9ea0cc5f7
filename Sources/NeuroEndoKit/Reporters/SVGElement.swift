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
