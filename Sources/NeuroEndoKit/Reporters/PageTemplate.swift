/// A page template in the subset of Mustache the reports use, compiled once and rendered
/// straight into one string: `{{name}}` (HTML-escaped), `{{{name}}}` and `{{&name}}` (as
/// they are: charts from ``SVGElement`` only), `{{.}}`, sections `{{#name}}…{{/name}}` over
/// a list, a flag or a value, inverted sections `{{^name}}…{{/name}}` and comments. A tag
/// of a section, an inverted section, a section's end or a comment alone on its line takes
/// the line with it ("standalone", as the Mustache specification has it).
///
/// The reports used swift-mustache, whose generic lookups (a dynamic cast per name) made
/// most of a patient page's cost; this renders the same bytes for the constructs these
/// templates use (`PageTemplateTests` renders both templates with both engines) at a
/// fraction of it. Not supported, as the templates do not use them: dotted names, lambdas,
/// partials, set delimiters, and values other than texts, flags, lists and dictionaries.
/// One difference on purpose: escaping works on bytes, so a quote followed by a combining
/// mark (one Character) is escaped too, where swift-mustache let it through.
struct PageTemplate: Sendable {
  indirect enum Node: Sendable {
    case text(String)
    case variable(String, escaped: Bool)
    case section(String, [Node], inverted: Bool)
  }

  enum ParseError: Error, Equatable {
    case unclosedTag(offset: Int)
    case unexpectedEnd(String)
    case unclosedSection(String)
  }

  let nodes: [Node]

  /// A list whose items are made one at a time, as the section renders them, and let go
  /// after: a cohort's patients table, whose 200,000 rows as dictionaries would hold more
  /// memory than the rest of the run.
  struct Rows: @unchecked Sendable {
    let count: Int
    let item: (Int) -> [String: Any]
    /// Writes what the section writes for an item, byte for byte, without the item's
    /// dictionary and the lookups in it: for a table of many rows. The section's template
    /// still says what a row is (and renders ``all`` elsewhere), and the writer is held to
    /// it by the tests.
    let write: ((Int, inout [UInt8]) -> Void)?

    init(
      count: Int, item: @escaping (Int) -> [String: Any],
      write: ((Int, inout [UInt8]) -> Void)? = nil
    ) {
      self.count = count
      self.item = item
      self.write = write
    }

    /// Every item at once (for an engine that takes only lists).
    var all: [[String: Any]] { (0..<count).map(item) }
  }

  /// Compiles `text`.
  init(_ text: String) throws(ParseError) {
    var parser = Parser(bytes: Array(text.utf8))
    nodes = try parser.parse(closing: nil, newLine: true)
  }

  /// The parser, step for step as swift-mustache's (its standalone rule included: a tag
  /// counts as alone on its line only when the parser stands at a line's start, which it
  /// does not after a section whose opening tag shares its line).
  private struct Parser {
    let bytes: [UInt8]
    var position = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    private var atEnd: Bool { position >= bytes.count }

    /// The length of the line break at `index` ("\n" or "\r\n"), 0 when there is none.
    private func lineBreak(at index: Int) -> Int {
      guard index < bytes.count else { return 0 }
      if bytes[index] == 0x0A { return 1 }
      if bytes[index] == 0x0D, index + 1 < bytes.count, bytes[index + 1] == 0x0A { return 2 }
      return 0
    }

    private func isSpace(_ index: Int) -> Bool {
      index < bytes.count && (bytes[index] == 0x20 || bytes[index] == 0x09)
    }

    private func text(_ range: Range<Int>) -> String {
      String(decoding: bytes[range], as: UTF8.self)
    }

    /// Whether only spaces and a line break (or the end) follow; if so, they are read.
    private mutating func lineFinished() -> Bool {
      if atEnd { return true }
      var index = position
      while isSpace(index) { index += 1 }
      let length = lineBreak(at: index)
      guard length > 0 else { return false }
      position = index + length
      return true
    }

    /// The name of a tag, up to its closing braces (and a third for `{{{`).
    private mutating func name(triple: Bool = false) throws(ParseError) -> String {
      let start = position
      while position + 1 < bytes.count,
        !(bytes[position] == UInt8(ascii: "}") && bytes[position + 1] == UInt8(ascii: "}"))
      {
        position += 1
      }
      guard position + 1 < bytes.count else { throw .unclosedTag(offset: start - 2) }
      let name = text(start..<position).trimmingSpaces
      position += 2
      if triple {
        guard position < bytes.count, bytes[position] == UInt8(ascii: "}") else {
          throw .unclosedTag(offset: start - 3)
        }
        position += 1
      }
      return name
    }

    mutating func parse(closing: String?, newLine startsLine: Bool) throws(ParseError) -> [Node] {
      var nodes: [Node] = []
      var newLine = startsLine
      var spaceBefore = ""
      func flushSpace() {
        if !spaceBefore.isEmpty { nodes.append(.text(spaceBefore)) }
        spaceBefore = ""
      }
      while !atEnd {
        if newLine {
          let start = position
          while isSpace(position) { position += 1 }
          spaceBefore = text(start..<position)
        }
        // Text up to a tag or a line break.
        let start = position
        var tag = false
        while position < bytes.count {
          if lineBreak(at: position) > 0 { break }
          if bytes[position] == UInt8(ascii: "{"), position + 1 < bytes.count,
            bytes[position + 1] == UInt8(ascii: "{")
          {
            tag = true
            break
          }
          position += 1
        }
        let read = text(start..<position)
        if !tag, lineBreak(at: position) > 0 {
          let length = lineBreak(at: position)
          nodes.append(.text(spaceBefore + read + text(position..<position + length)))
          spaceBefore = ""
          position += length
          newLine = true
          continue
        }
        if !read.isEmpty {
          nodes.append(.text(spaceBefore + read))
          spaceBefore = ""
          newLine = false
        }
        if atEnd { break }
        position += 2
        var standalone = false
        let kind: UInt8 = position < bytes.count ? bytes[position] : 0
        switch kind {
        case UInt8(ascii: "#"), UInt8(ascii: "^"):
          position += 1
          let name = try name()
          if newLine && lineFinished() { standalone = true } else { flushSpace() }
          let inner = try parse(closing: name, newLine: standalone)
          nodes.append(.section(name, inner, inverted: kind == UInt8(ascii: "^")))
        case UInt8(ascii: "/"):
          position += 1
          let name = try name()
          guard name == closing else { throw .unexpectedEnd(name) }
          if !(newLine && lineFinished()) { flushSpace() }
          return nodes
        case UInt8(ascii: "!"):
          position += 1
          _ = try self.name()
          standalone = newLine && lineFinished()
        case UInt8(ascii: "{"):
          flushSpace()
          position += 1
          nodes.append(.variable(try name(triple: true), escaped: false))
        case UInt8(ascii: "&"):
          flushSpace()
          position += 1
          nodes.append(.variable(try name(), escaped: false))
        default:
          flushSpace()
          nodes.append(.variable(try name(), escaped: true))
        }
        newLine = standalone
      }
      if let closing { throw .unclosedSection(closing) }
      return nodes
    }
  }

  // MARK: Rendering

  /// A level of the context: a dictionary of values, one of texts, or a value (`{{.}}`).
  private enum Frame {
    case values([String: Any])
    case texts([String: String])
    case value(Any)

    init(_ value: Any) {
      // The exact type first: a cast from `Any` to another dictionary type converts it.
      let type = ObjectIdentifier(Swift.type(of: value))
      if type == ObjectIdentifier([String: String].self) {
        self = .texts(value as! [String: String])
      } else if type == ObjectIdentifier([String: Any].self) {
        self = .values(value as! [String: Any])
      } else if let values = value as? [String: Any] {
        self = .values(values)
      } else {
        self = .value(value)
      }
    }

    func lookup(_ name: String) -> Any? {
      switch self {
      case .values(let values): values[name]
      case .texts(let texts): texts[name]
      case .value: nil
      }
    }
  }

  /// The page for `context`.
  func render(_ context: [String: Any]) -> String {
    String(decoding: renderBytes(context), as: UTF8.self)
  }

  /// The page's bytes for `context` (for a file: no text made of them).
  func renderBytes(_ context: [String: Any]) -> [UInt8] {
    // Bytes: appending to a `String` piece by piece costs more per piece than the piece
    // (its count and flags are kept up to date on every append).
    var out: [UInt8] = []
    out.reserveCapacity(64 * 1024)
    var stack: [Frame] = [.values(context)]
    Self.render(nodes, &stack, into: &out)
    return out
  }

  private static func lookup(_ name: String, _ stack: [Frame]) -> Any? {
    if name == "." {
      guard case .value(let value)? = stack.last else { return nil }
      return value
    }
    for frame in stack.reversed() {
      if let value = frame.lookup(name) { return value }
    }
    return nil
  }

  private static func render(_ nodes: [Node], _ stack: inout [Frame], into out: inout [UInt8]) {
    for node in nodes {
      switch node {
      case .text(let text):
        append(text, to: &out)
      case .variable(let name, let escaped):
        guard let value = lookup(name, stack) else { continue }
        let text = value as? String ?? "\(value)"
        if escaped { escape(text, into: &out) } else { append(text, to: &out) }
      case .section(let name, let inner, let inverted):
        let value = lookup(name, stack)
        if let rows = value as? Rows {
          if inverted {
            if rows.count == 0 { render(inner, &stack, into: &out) }
            continue
          }
          if let write = rows.write {
            for index in 0..<rows.count { write(index, &out) }
            continue
          }
          for index in 0..<rows.count {
            stack.append(.values(rows.item(index)))
            render(inner, &stack, into: &out)
            stack.removeLast()
          }
          continue
        }
        // A list of the types the reports build, iterated as it is: a cast to `[Any]` would
        // make a new array, each item boxed, at every section.
        if !inverted, let value, renderList(value, inner, &stack, into: &out) { continue }
        let items = list(value)
        let truthy: Bool
        if let items {
          truthy = !items.isEmpty
        } else if let flag = value as? Bool {
          truthy = flag
        } else {
          truthy = value != nil
        }
        if inverted {
          if !truthy { render(inner, &stack, into: &out) }
          continue
        }
        guard truthy, let value else { continue }
        if let items {
          for item in items {
            stack.append(Frame(item))
            render(inner, &stack, into: &out)
            stack.removeLast()
          }
        } else if value is Bool {
          render(inner, &stack, into: &out)
        } else {
          stack.append(Frame(value))
          render(inner, &stack, into: &out)
          stack.removeLast()
        }
      }
    }
  }

  /// Renders `inner` once per item when `value` is a list of dictionaries or texts (by its
  /// exact type); `false` (nothing rendered) for any other value.
  private static func renderList(
    _ value: Any, _ inner: [Node], _ stack: inout [Frame], into out: inout [UInt8]
  ) -> Bool {
    let type = ObjectIdentifier(Swift.type(of: value))
    if type == ObjectIdentifier([[String: Any]].self) {
      for item in value as! [[String: Any]] {
        stack.append(.values(item))
        render(inner, &stack, into: &out)
        stack.removeLast()
      }
    } else if type == ObjectIdentifier([[String: String]].self) {
      for item in value as! [[String: String]] {
        stack.append(.texts(item))
        render(inner, &stack, into: &out)
        stack.removeLast()
      }
    } else if type == ObjectIdentifier([String].self) {
      for item in value as! [String] {
        stack.append(.value(item))
        render(inner, &stack, into: &out)
        stack.removeLast()
      }
    } else {
      return false
    }
    return true
  }

  /// A section's value as a list, when it is one.
  private static func list(_ value: Any?) -> [Any]? {
    guard let value, !(value is String), !(value is Bool) else { return nil }
    return value as? [Any]
  }

  /// Appends a text's bytes.
  static func append(_ text: String, to out: inout [UInt8]) {
    var text = text
    text.withUTF8 { out.append(contentsOf: $0) }
  }

  /// `text` made safe for HTML content and attribute values, as Mustache escapes it.
  static func escape(_ text: String, into out: inout [UInt8]) {
    var text = text
    text.withUTF8 { bytes in
      var start = 0
      for (index, byte) in bytes.enumerated() {
        let replacement: StaticString
        switch byte {
        case UInt8(ascii: "<"): replacement = "&lt;"
        case UInt8(ascii: ">"): replacement = "&gt;"
        case UInt8(ascii: "&"): replacement = "&amp;"
        case UInt8(ascii: "\""): replacement = "&quot;"
        case UInt8(ascii: "'"): replacement = "&#39;"
        default: continue
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
        out.append(literal: replacement)
        start = index + 1
      }
      out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
    }
  }
}

extension String {
  /// The text without spaces and tabs at either end.
  fileprivate var trimmingSpaces: String {
    let utf8 = self.utf8
    guard let first = utf8.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }) else { return "" }
    let last = utf8.lastIndex(where: { $0 != 0x20 && $0 != 0x09 })!
    return String(self[first...last])
  }
}
