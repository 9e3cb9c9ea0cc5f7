/// One pass over an element's bytes, before it is parsed, for what a JSON parser would not
/// say: a string longer than the field limit (rejected with its path, and never decoded),
/// and keys given twice in one object (the parser keeps the last value silently).
///
/// Allocates nothing per small object: the keys of all open objects share one array, and an
/// object's keys are compared one by one while it has at most ``scanLimit``; past that, an
/// index by hash takes over, so that the check stays linear in the keys of an object (a
/// million keys in seconds, not minutes).
struct JSONShapeCheck {
  /// The keys of an object compared one by one before its index by hash is built.
  static let scanLimit = 16
  /// How many earlier keys were looked at while checking for duplicates (tests bound it).
  private(set) var comparisons = 0
  /// The first string longer than the limit: its path and length in bytes.
  var longString: (path: String, bytes: Int)?
  /// The paths of keys that an object holds more than once, first ones first.
  var duplicateKeys: [String] = []
  /// The first number written with non-zero digits that reads as zero (`1e-400`): its
  /// path and text. A parser gives 0 for it; it is rejected as in CSV.
  var underflow: (path: String, text: String)?

  private enum Frame {
    /// An object: where its keys start in the shared key list, the member being read.
    case object(firstKey: Int, key: Range<Int>?, expectingKey: Bool)
    case array(index: Int)
  }

  /// Checks an element whose path is `base` (`entry[3]`, `[2]`, or empty).
  init(_ bytes: [UInt8], base: String, limit: Int) {
    var stack: [Frame] = []
    var keys: [(hash: UInt64, range: Range<Int>)] = []
    // The index by hash of each open object past ``scanLimit`` keys, by its first key.
    var indexes: [Int: [UInt64: [Int]]] = [:]
    var comparisons = 0
    defer { self.comparisons = comparisons }
    func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
    func path(appending last: Range<Int>?) -> String {
      var path = base
      func add(_ key: Range<Int>) { path += (path.isEmpty ? "" : ".") + text(key) }
      for frame in stack {
        switch frame {
        case .object(_, let key, _): if let key { add(key) }
        case .array(let index): path += "[\(index)]"
        }
      }
      if let last { add(last) }
      return path
    }
    var index = 0
    let count = bytes.count
    while index < count {
      switch bytes[index] {
      case 0x22:  // a string: to its closing quote
        let start = index + 1
        var end = start
        var escaped = false
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        while end < count {
          let next = bytes[end]
          if escaped {
            escaped = false
          } else if next == 0x5C {
            escaped = true
          } else if next == 0x22 {
            break
          }
          hash = (hash ^ UInt64(next)) &* 0x100_0000_01b3
          end += 1
        }
        let range = start..<min(end, count)
        if case .object(let firstKey, _, true)? = stack.last {
          func same(_ other: Int) -> Bool {
            comparisons += 1
            return keys[other].hash == hash && bytes[keys[other].range] == bytes[range]
          }
          let known = keys.count - firstKey
          let duplicate: Bool
          if known < Self.scanLimit {
            duplicate = (firstKey..<keys.count).contains(where: same)
          } else {
            if known == Self.scanLimit {
              indexes[firstKey] = Dictionary(
                grouping: firstKey..<keys.count, by: { keys[$0].hash })
            }
            duplicate = indexes[firstKey, default: [:]][hash, default: []].contains(where: same)
            indexes[firstKey, default: [:]][hash, default: []].append(keys.count)
          }
          if duplicate { duplicateKeys.append(path(appending: range)) }
          keys.append((hash, range))
          stack[stack.count - 1] = .object(firstKey: firstKey, key: range, expectingKey: false)
        } else if range.count > limit {
          longString = (path(appending: nil), range.count)
          return
        }
        index = end
      case 0x2D, 0x30...0x39:  // a number: to its end
        let start = index
        while index + 1 < count, Self.isNumberByte(bytes[index + 1]) { index += 1 }
        if underflow == nil, Self.readsAsZero(bytes[start...index]) {
          underflow = (path(appending: nil), text(start..<index + 1))
        }
      case 0x7B: stack.append(.object(firstKey: keys.count, key: nil, expectingKey: true))
      case 0x5B: stack.append(.array(index: 0))
      case 0x7D, 0x5D:
        if case .object(let firstKey, _, _)? = stack.last {
          keys.removeSubrange(firstKey...)
          indexes[firstKey] = nil
        }
        if !stack.isEmpty { stack.removeLast() }
      case 0x2C:
        switch stack.last {
        case .object(let firstKey, _, _)?:
          stack[stack.count - 1] = .object(firstKey: firstKey, key: nil, expectingKey: true)
        case .array(let position)?: stack[stack.count - 1] = .array(index: position + 1)
        case nil: break
        }
      default: break
      }
      index += 1
    }
  }
}

extension JSONShapeCheck {
  static func isNumberByte(_ byte: UInt8) -> Bool {
    (byte >= 0x30 && byte <= 0x39) || byte == 0x2E || byte == 0x2D || byte == 0x2B
      || byte == 0x65 || byte == 0x45
  }

  /// Whether a number literal reads as zero though written with non-zero digits (the
  /// readers' `value-underflow`, ``Quantity/implausibleNumber(_:written:)``).
  static func readsAsZero(_ literal: ArraySlice<UInt8>) -> Bool {
    // Only an exponent or hundreds of digits can take a number below the smallest double.
    guard literal.count > 300 || literal.contains(where: { $0 == 0x65 || $0 == 0x45 }),
      let value = Double(String(decoding: literal, as: UTF8.self)), value == 0
    else { return false }
    return literal.withUnsafeBufferPointer { Quantity.implausibleNumber(value, written: $0) }
      != nil
  }
}

/// The duplicate keys of a file, for its summary: the first few paths, and how many in all.
struct DuplicateKeyNotes {
  private var first: [String] = []
  private var total = 0

  mutating func add(_ paths: [String]) {
    total += paths.count
    for path in paths where first.count < FileReadSummary.locationsKept { first.append(path) }
  }

  /// One warning line, or none.
  var warnings: [String] {
    guard total > 0 else { return [] }
    let more = total > first.count ? ", … (\(total) in all)" : ""
    return [
      "duplicate JSON key\(total == 1 ? "" : "s"), the last value read: "
        + first.joined(separator: "; ") + more
    ]
  }
}
