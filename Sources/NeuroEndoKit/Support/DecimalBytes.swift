extension Array where Element == UInt8 {
  /// Appends the decimal digits of `value` (with a minus sign when negative), as
  /// `String(value)` writes them, without making the text.
  mutating func appendDecimal(_ value: Int) {
    if value < 0 { append(0x2D) }
    var magnitude = value.magnitude
    let start = count
    repeat {
      append(0x30 + UInt8(magnitude % 10))
      magnitude /= 10
    } while magnitude > 0
    self[start...].reverse()
  }
}
