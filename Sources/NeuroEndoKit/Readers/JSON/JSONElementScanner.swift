/// One value a JSON reader handles at a time: a bundle entry, an item of a top-level
/// array, or a whole top-level document (a single resource, or one NDJSON line).
struct JSONElement: Sendable {
  /// Where the element sits in its document.
  enum Place: Sendable, Hashable {
    /// `entry[index]` of a top-level object (a FHIR Bundle).
    case entry(Int)
    /// `[index]` of a top-level array.
    case item(Int)
    /// The whole top-level value.
    case document
  }

  /// The element's bytes, exactly as in the file.
  var bytes: [UInt8]
  /// Its place in the document.
  var place: Place
  /// The 1-based number of the top-level document it belongs to (NDJSON line values count).
  var document: Int
  /// The 1-based line the element starts on.
  var line: Int
  /// The element's JSON path in its document: `entry[3]`, `[3]`, or empty for the whole.
  var path: String {
    switch place {
    case .entry(let index): "entry[\(index)]"
    case .item(let index): "[\(index)]"
    case .document: ""
    }
  }
}

/// A JSON document that cannot be split: broken nesting, text after the end, a scalar at
/// the top, or a top-level object too large outside an `entry` array.
struct JSONScanError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The 1-based line where the problem was seen.
  var line: Int
  /// What is wrong.
  var message: String

  var description: String { "line \(line): \(message)" }
}

/// Splits JSON text into elements without parsing it whole, so that a 1 GB FHIR bundle or
/// NDJSON export is read with the memory of one entry.
///
/// Handles a sequence of top-level values (a single document, or NDJSON with one value
/// per line). For each top-level value:
/// - an array: each item is an element;
/// - an object with an `entry` array (a FHIR Bundle): each entry is an element;
/// - any other object: the whole object is one element.
///
/// It tracks strings (with escapes) and nesting only; the elements are parsed by the caller.
struct JSONElementScanner {
  /// The largest top-level object kept whole (outside an `entry` array).
  static let documentLimit = 64 << 20

  private enum Top { case none, array, object }
  private enum MemberState { case key, colon, value }

  private var top = Top.none
  private var depth = 0
  private var inString = false
  private var escaped = false
  private var line = 1
  private var document = 0
  // The element being captured (in the array or entry array), and where it started.
  private var element: [UInt8] = []
  private var elementLine = 1
  private var elementIndex = 0
  // Depth at which elements are separated: 1 in a top-level array, 2 in an entry array.
  private var elementDepth = 0
  // Top-level object: the member being read, the document kept whole, and `entry` seen.
  private var memberState = MemberState.key
  private var key: [UInt8] = []
  private var readingKey = false
  private var whole: [UInt8] = []
  private var wholeLine = 1
  private var isBundle = false

  /// Scans a chunk, handing out every element it completes.
  mutating func feed(_ chunk: UnsafeRawBufferPointer, emit: (JSONElement) -> Void)
    throws(JSONScanError)
  {
    for byte in chunk { try step(byte, emit) }
  }

  /// Ends the input: a value still open is an error.
  mutating func finish(emit: (JSONElement) -> Void) throws(JSONScanError) {
    if top != .none || inString {
      throw JSONScanError(line: line, message: "the JSON ends inside a value (truncated file?)")
    }
  }

  private static let entryKey = Array("entry".utf8)

  private mutating func step(_ byte: UInt8, _ emit: (JSONElement) -> Void) throws(JSONScanError) {
    if byte == 0x0A { line += 1 }
    if top == .none {
      try startDocument(byte)
      return
    }
    // Until an `entry` array shows the object is a bundle, it may be one resource: keep it.
    if top == .object && !isBundle { whole.append(byte) }
    try scanStructure(byte, emit)
  }

  private mutating func startDocument(_ byte: UInt8) throws(JSONScanError) {
    switch byte {
    case 0x20, 0x09, 0x0A, 0x0D: return
    case UInt8(ascii: "["):
      document += 1
      top = .array
      depth = 1
      elementDepth = 1
      elementIndex = 0
    case UInt8(ascii: "{"):
      document += 1
      top = .object
      depth = 1
      elementDepth = 0
      memberState = .key
      isBundle = false
      whole = [byte]
      wholeLine = line
    default:
      throw JSONScanError(
        line: line,
        message: "expected an object or an array at the top level, found '\(Unicode.Scalar(byte))'")
    }
  }

  private mutating func scanStructure(_ byte: UInt8, _ emit: (JSONElement) -> Void)
    throws(JSONScanError)
  {
    let capturing = elementDepth > 0 && depth >= elementDepth
    if inString {
      if capturing { element.append(byte) }
      if readingKey && !escaped && byte != UInt8(ascii: "\"") { key.append(byte) }
      if escaped {
        escaped = false
        if readingKey { key.append(byte) }
      } else if byte == UInt8(ascii: "\\") {
        escaped = true
      } else if byte == UInt8(ascii: "\"") {
        inString = false
        if readingKey {
          readingKey = false
          memberState = .colon
        }
      }
      return
    }
    switch byte {
    case 0x20, 0x09, 0x0A, 0x0D:
      if capturing && !element.isEmpty { element.append(byte) }
    case UInt8(ascii: "\""):
      inString = true
      if capturing { startElement(); element.append(byte) }
      if top == .object && depth == 1 && memberState == .key {
        readingKey = true
        key.removeAll(keepingCapacity: true)
      }
    case UInt8(ascii: ":"):
      if capturing { element.append(byte) }
      if top == .object && depth == 1 { memberState = .value }
    case UInt8(ascii: ","):
      if capturing && depth == elementDepth {
        try endElement(emit)
      } else if capturing {
        element.append(byte)
      }
      if top == .object && depth == 1 { memberState = .key }
    case UInt8(ascii: "{"), UInt8(ascii: "["):
      if capturing { startElement(); element.append(byte) }
      if top == .object && depth == 1 && memberState == .value && key == Self.entryKey
        && byte == UInt8(ascii: "[")
      {
        // A bundle: its entries are the elements; the rest of the object is not kept.
        isBundle = true
        whole = []
        elementDepth = 2
        elementIndex = 0
      }
      depth += 1
    case UInt8(ascii: "}"), UInt8(ascii: "]"):
      if capturing && depth == elementDepth {
        // The container of the elements closes: the last element (if any) ends here.
        if !element.isEmpty { try endElement(emit) }
        if top == .object { elementDepth = 0 }
      } else if capturing {
        element.append(byte)
      }
      depth -= 1
      if depth < 0 || (top == .array && byte != UInt8(ascii: "]") && depth == 0) {
        throw JSONScanError(line: line, message: "unbalanced '\(Unicode.Scalar(byte))'")
      }
      if depth == 0 { try endDocument(byte, emit) }
    default:
      if capturing { startElement(); element.append(byte) }
    }
    if whole.count > Self.documentLimit {
      throw JSONScanError(
        line: wholeLine,
        message: "a top-level object over \(Self.documentLimit >> 20) MiB outside an 'entry' array")
    }
  }

  private mutating func startElement() {
    if element.isEmpty { elementLine = line }
  }

  private mutating func endElement(_ emit: (JSONElement) -> Void) throws(JSONScanError) {
    guard !element.isEmpty else {
      throw JSONScanError(line: line, message: "an empty item between commas")
    }
    while let last = element.last, last == 0x20 || last == 0x09 || last == 0x0A || last == 0x0D {
      element.removeLast()
    }
    let place: JSONElement.Place = top == .array ? .item(elementIndex) : .entry(elementIndex)
    emit(JSONElement(bytes: element, place: place, document: document, line: elementLine))
    element.removeAll(keepingCapacity: true)
    elementIndex += 1
  }

  private mutating func endDocument(_ byte: UInt8, _ emit: (JSONElement) -> Void)
    throws(JSONScanError)
  {
    if top == .object && byte != UInt8(ascii: "}") {
      throw JSONScanError(line: line, message: "unbalanced ']'")
    }
    if top == .object && !isBundle {
      emit(JSONElement(bytes: whole, place: .document, document: document, line: wholeLine))
    }
    whole = []
    top = .none
    isBundle = false
    elementDepth = 0
  }
}
