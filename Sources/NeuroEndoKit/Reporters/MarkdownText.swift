/// Text from the inputs (ids, labels, file names, messages) made safe to put in Markdown:
/// HTML is escaped (`&`, `<`, `>` as entities, so that no tag or script reaches a page a
/// Markdown viewer renders), backslashes, link and code brackets and table pipes are escaped with a
/// backslash, and line breaks become spaces (so that text cannot start a heading or leave
/// a table row).
enum MarkdownText {
  /// The text as inline Markdown that shows as written.
  static func inline(_ text: String) -> String {
    // Most texts (numbers, codes) need nothing: one pass over the bytes tells.
    guard text.utf8.contains(where: needsEscape) else { return text }
    var escaped = ""
    escaped.reserveCapacity(text.utf8.count + 8)
    for scalar in text.unicodeScalars {
      switch scalar {
      case "&": escaped += "&amp;"
      case "<": escaped += "&lt;"
      case ">": escaped += "&gt;"
      case "\\", "`", "[", "]", "|":
        escaped += "\\"
        escaped.unicodeScalars.append(scalar)
      case "\n", "\r": escaped += " "
      default: escaped.unicodeScalars.append(scalar)
      }
    }
    return escaped
  }

  /// ``inline(_:)`` appended to `out` as bytes. The same bytes: every character escaped
  /// is ASCII, and no byte of a multi-byte UTF-8 sequence is ASCII. The two keep their own
  /// table of escapes, so that the page tests hold the bytes to the text they replaced.
  static func appendInline(_ text: String, to out: inout [UInt8]) {
    var text = text
    text.withUTF8 { bytes in
      guard bytes.contains(where: needsEscape) else {
        out.append(contentsOf: bytes)
        return
      }
      for byte in bytes {
        switch byte {
        case 0x26: out.append(contentsOf: "&amp;".utf8)
        case 0x3C: out.append(contentsOf: "&lt;".utf8)
        case 0x3E: out.append(contentsOf: "&gt;".utf8)
        case 0x5C, 0x60, 0x5B, 0x5D, 0x7C: out.append(contentsOf: [0x5C, byte])
        case 0x0A, 0x0D: out.append(0x20)
        default: out.append(byte)
        }
      }
    }
  }

  private static func needsEscape(_ byte: UInt8) -> Bool {
    switch byte {
    case 0x26, 0x3C, 0x3E, 0x5C, 0x60, 0x5B, 0x5D, 0x7C, 0x0A, 0x0D: true
    default: false
    }
  }
}
