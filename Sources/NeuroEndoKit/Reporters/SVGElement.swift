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
    var out = ""
    write(into: &out)
    return out
  }

  func write(into out: inout String) {
    out += "<"
    out += name
    for (key, value) in attributes {
      out += " "
      out += key
      out += "=\""
      PageTemplate.escape(value, into: &out)
      out += "\""
    }
    if children.isEmpty && text == nil {
      out += "/>"
      return
    }
    out += ">"
    if let text { PageTemplate.escape(text, into: &out) }
    for child in children {
      if name == "svg" { out += "\n" }
      child.write(into: &out)
    }
    if name == "svg" { out += "\n" }
    out += "</"
    out += name
    out += ">"
  }

  /// Text made safe for markup content and attribute values.
  static func escape(_ text: String) -> String {
    // Most texts (numbers, codes, labels) need nothing: one pass over the bytes tells.
    guard
      text.utf8.contains(where: {
        $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27
      })
    else { return text }
    var escaped = ""
    escaped.reserveCapacity(text.utf8.count)
    for character in text {
      switch character {
      case "&": escaped += "&amp;"
      case "<": escaped += "&lt;"
      case ">": escaped += "&gt;"
      case "\"": escaped += "&quot;"
      case "'": escaped += "&#39;"
      default: escaped.append(character)
      }
    }
    return escaped
  }
}
