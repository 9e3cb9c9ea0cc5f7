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

/// A JSON document that cannot be split: broken nesting, a scalar at the top, a truncated
/// file, or a top-level object too large outside an `entry` array.
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
/// It tracks strings (with escapes) and nesting only; the caller parses the elements.
/// Bytes are copied a run at a time, not one by one.
struct JSONElementScanner {
  /// The largest top-level object kept whole (outside an `entry` array).
  static let documentLimit = 64 << 20

  private enum Top { case none, array, object }
  private enum MemberState { case key, colon, value }

  private var top = Top.none
  // A UTF-8 byte order mark at the very start is skipped, even split over chunks.
  private var atStart = true
  private var markMatched = 0
  private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
  private var depth = 0
  private var inString = false
  private var escaped = false
  private var line = 1
  // Depth at which elements are separated: 1 in a top-level array, 2 in an entry array,
  // 0 when no element container is open.
  private var elementDepth = 0
  private var element: [UInt8] = []
  private var elementStarted = false
  private var elementLine = 1
  private var elementIndex = 0
  // Top-level object: the member being read, the document kept whole until it proves to
  // be a bundle, and whether it is one.
  private var memberState = MemberState.key
  private var key: [UInt8] = []
  private var readingKey = false
  private var keepingWhole = false
  private var whole: [UInt8] = []
  private var wholeLine = 1

  private static let entryKey = Array("entry".utf8)

  /// Scans a chunk, handing out every element it completes.
  mutating func feed(_ chunk: UnsafeRawBufferPointer, emit: (JSONElement) -> Void)
    throws(JSONScanError)
  {
    let bytes = chunk.bindMemory(to: UInt8.self)
    // Start of the run of bytes not yet copied into `element` / `whole`.
    var elementRun = 0
    var wholeRun = 0
    var index = 0
    let count = bytes.count
    func flushRuns(upTo end: Int) {
      if elementStarted && end > elementRun {
        element.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[elementRun..<end]))
      }
      elementRun = end
      if keepingWhole && end > wholeRun {
        whole.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[wholeRun..<end]))
      }
      wholeRun = end
    }
    while index < count {
      let byte = bytes[index]
      if byte == 0x0A { line += 1 }
      if atStart {
        if markMatched < 3 && byte == Self.byteOrderMark[markMatched] {
          markMatched += 1
          atStart = markMatched < 3
          index += 1
          continue
        }
        guard markMatched == 0 else {
          throw JSONScanError(line: line, message: "the file starts with a broken byte order mark")
        }
        atStart = false
      }
      if top == .none {
        if try startDocument(byte) {
          wholeRun = index
          elementRun = index + 1
        }
        index += 1
        continue
      }
      if inString {
        // Skip through the string to its closing quote.
        while index < count {
          let byte = bytes[index]
          if escaped {
            escaped = false
          } else if byte == 0x5C {
            escaped = true
          } else if byte == 0x22 {
            inString = false
            if readingKey {
              readingKey = false
              memberState = .colon
            }
            break
          } else if readingKey {
            key.append(byte)
          }
          index += 1
        }
        index += 1
        continue
      }
      switch byte {
      case 0x22:  // "
        inString = true
        if elementDepth > 0 && depth == elementDepth { startElement(at: index, &elementRun) }
        if top == .object && depth == 1 && memberState == .key {
          readingKey = true
          key.removeAll(keepingCapacity: true)
        }
      case 0x3A:  // :
        if top == .object && depth == 1 { memberState = .value }
      case 0x2C:  // ,
        if elementDepth > 0 && depth == elementDepth {
          flushRuns(upTo: index)
          try endElement(emit)
          elementRun = index + 1
        }
        if top == .object && depth == 1 { memberState = .key }
      case 0x7B, 0x5B:  // { [
        if elementDepth > 0 && depth == elementDepth { startElement(at: index, &elementRun) }
        if top == .object && depth == 1 && memberState == .value && byte == 0x5B
          && key == Self.entryKey
        {
          // A bundle: its entries are the elements; the rest of the object is not kept.
          keepingWhole = false
          whole = []
          elementDepth = 2
          elementIndex = 0
          elementRun = index + 1
        }
        depth += 1
      case 0x7D, 0x5D:  // } ]
        if elementDepth > 0 && depth == elementDepth {
          // The container of the elements closes: the last element, if any, ends here.
          flushRuns(upTo: index)
          if elementStarted { try endElement(emit) }
          if top == .object { elementDepth = 0 }
        }
        depth -= 1
        if depth == 0 {
          let closesArray = byte == 0x5D
          guard closesArray == (top == .array) else {
            throw JSONScanError(line: line, message: "unbalanced '\(Unicode.Scalar(byte))'")
          }
          flushRuns(upTo: index + 1)
          try endDocument(emit)
          wholeRun = index + 1
          elementRun = index + 1
        }
      case 0x20, 0x09, 0x0A, 0x0D:
        break
      default:
        if elementDepth > 0 && depth == elementDepth { startElement(at: index, &elementRun) }
      }
      index += 1
    }
    flushRuns(upTo: count)
    if whole.count > Self.documentLimit {
      throw JSONScanError(
        line: wholeLine,
        message: "a top-level object over \(Self.documentLimit >> 20) MiB outside an 'entry' array")
    }
  }

  /// Ends the input: a value still open is an error.
  mutating func finish(emit: (JSONElement) -> Void) throws(JSONScanError) {
    if top != .none || inString {
      throw JSONScanError(line: line, message: "the JSON ends inside a value (truncated file?)")
    }
  }

  /// Begins a top-level value; `true` when `byte` opened one.
  private mutating func startDocument(_ byte: UInt8) throws(JSONScanError) -> Bool {
    switch byte {
    case 0x20, 0x09, 0x0A, 0x0D: return false
    case 0x5B:
      top = .array
      depth = 1
      elementDepth = 1
      elementIndex = 0
      return true
    case 0x7B:
      top = .object
      depth = 1
      elementDepth = 0
      memberState = .key
      keepingWhole = true
      whole = []
      wholeLine = line
      return true
    default:
      throw JSONScanError(
        line: line,
        message: "expected an object or an array at the top level, found '\(Unicode.Scalar(byte))'")
    }
  }

  private mutating func startElement(at index: Int, _ elementRun: inout Int) {
    guard !elementStarted else { return }
    elementStarted = true
    elementLine = line
    elementRun = index
  }

  private mutating func endElement(_ emit: (JSONElement) -> Void) throws(JSONScanError) {
    guard elementStarted else {
      throw JSONScanError(line: line, message: "an empty item between commas")
    }
    while let last = element.last, last == 0x20 || last == 0x09 || last == 0x0A || last == 0x0D {
      element.removeLast()
    }
    let place: JSONElement.Place = top == .array ? .item(elementIndex) : .entry(elementIndex)
    emit(JSONElement(bytes: element, place: place, line: elementLine))
    element.removeAll(keepingCapacity: true)
    elementStarted = false
    elementIndex += 1
  }

  private mutating func endDocument(_ emit: (JSONElement) -> Void) throws(JSONScanError) {
    if top == .object && keepingWhole {
      emit(JSONElement(bytes: whole, place: .document, line: wholeLine))
    }
    whole = []
    keepingWhole = false
    top = .none
    elementDepth = 0
  }
}
