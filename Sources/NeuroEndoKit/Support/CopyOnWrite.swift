/// A value behind one reference, copied on write: copying the holder costs one retain
/// however many reference-counted fields the value has. ``Sample`` and
/// ``NormalizedSample`` keep their fields in one, because every stage groups and copies
/// them (by subject, by day, into reports).
struct CopyOnWrite<Value: Sendable>: @unchecked Sendable {
  // Unchecked: the box is written only through `value`'s modify accessor, after it made
  // the box unique, so no two holders ever see one write.
  private final class Box {
    var value: Value
    init(_ value: Value) { self.value = value }
  }

  private var box: Box

  init(_ value: Value) { box = Box(value) }

  /// The value; changing it copies the box first when another holder shares it.
  var value: Value {
    _read { yield box.value }
    _modify {
      if !isKnownUniquelyReferenced(&box) { box = Box(box.value) }
      yield &box.value
    }
  }

  /// Whether both hold the very same box (and so the same value).
  func isIdentical(to other: CopyOnWrite) -> Bool { box === other.box }
}

extension CopyOnWrite: Equatable where Value: Equatable {
  static func == (lhs: CopyOnWrite, rhs: CopyOnWrite) -> Bool {
    lhs.isIdentical(to: rhs) || lhs.value == rhs.value
  }
}

extension CopyOnWrite: Hashable where Value: Hashable {
  func hash(into hasher: inout Hasher) { hasher.combine(value) }
}

extension CopyOnWrite: Codable where Value: Codable {
  /// The value's own JSON: the box is not visible.
  init(from decoder: any Decoder) throws { self.init(try Value(from: decoder)) }

  func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}
