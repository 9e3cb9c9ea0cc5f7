extension Array where Element == UInt8 {
  /// Appends a literal's UTF-8 bytes, without a text. Short ones (an attribute's name, an
  /// entity, a separator) byte by byte: appending a sequence costs more than a few bytes.
  mutating func append(literal: StaticString) {
    let (start, count) = (literal.utf8Start, literal.utf8CodeUnitCount)
    guard count > 8 else {
      for index in 0..<count { append(start[index]) }
      return
    }
    append(contentsOf: UnsafeBufferPointer(start: start, count: count))
  }

  /// Appends a byte as two lower-case hexadecimal digits.
  mutating func appendHex(_ byte: UInt8) {
    let digits: StaticString = "0123456789abcdef"
    append(digits.utf8Start[Int(byte >> 4)])
    append(digits.utf8Start[Int(byte & 0x0F)])
  }

  /// Appends the decimal digits of `value` (with a minus sign when negative), as
  /// `String(value)` writes them, without making the text.
  mutating func appendDecimal(_ value: Int) {
    if value < 0 { append(0x2D) }
    let magnitude = value.magnitude
    // The highest power of ten in it first, then each digit in order: no digits written
    // backwards and turned round (a slice of the array, retained, at every number).
    var power: UInt = 1
    while power <= magnitude / 10 { power *= 10 }
    repeat {
      append(0x30 + UInt8(magnitude / power % 10))
      power /= 10
    } while power > 0
  }
}
