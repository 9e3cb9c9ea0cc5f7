import Foundation

/// How numbers are written in tables and messages; every stage formats through here, so
/// that a value reads the same in a flag, a finding and a table.
public enum NumberText {
  /// The shortest text that reads back as the same `Double` (`12.5`, not `12.500000`).
  public static func plain(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : value.description
  }

  /// A value for messages: rounded to three decimals, shortest text (`0.333`, `12.5`).
  public static func short(_ value: Double) -> String {
    plain((value * 1000).rounded() / 1000)
  }

  /// `value` rounded to `digits` significant digits, shortest text (`9.27` for 9.2664 and 3).
  public static func significant(_ value: Double, _ digits: Int) -> String {
    guard value != 0, value.isFinite else { return plain(value) }
    // A value whose shortest text has no more significant digits than asked is its own
    // rounding: up to 15 digits, the grid `%.*g` rounds to is coarser than the value's
    // distance from its shortest text, so the nearest grid point is that text. Most values
    // of a page (two-decimal lab values to three digits) are, and need no C call.
    let shortest = plain(value)
    if digits <= 15, significantCount(shortest) <= digits { return shortest }
    return roundedShortest(value, digits, shortest: shortest) ?? roundedByC(value, digits)
  }

  /// `value` rounded to `digits` significant digits from its shortest text's digits, which
  /// rounds as the exact binary value does unless the digits cut off are exactly a 5 (the
  /// shortest text is the closest of the shortest that read back as the value, so no
  /// half-way point lies between the two); `nil` then, and C rounds the exact value.
  /// `shortest`: ``plain(_:)``'s text of `value`, when the caller has it.
  static func roundedShortest(_ value: Double, _ digits: Int, shortest: String? = nil)
    -> String?
  {
    guard digits >= 1 else { return nil }
    // The shortest text as 0.DDD x 10^point: its digits, where the point falls, the sign.
    var mantissa: [UInt8] = []
    var point = 0
    var seenPoint = false
    var exponent = 0
    var negative = false
    var text = shortest ?? plain(value)
    let parsed = text.withUTF8 { bytes -> Bool in
      var index = 0
      if index < bytes.count, bytes[index] == UInt8(ascii: "-") {
        negative = true
        index += 1
      }
      while index < bytes.count {
        let byte = bytes[index]
        if byte == UInt8(ascii: ".") {
          seenPoint = true
        } else if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
          if mantissa.isEmpty && byte == UInt8(ascii: "0") {
            if seenPoint { point -= 1 }
          } else {
            mantissa.append(byte - UInt8(ascii: "0"))
            if !seenPoint { point += 1 }
          }
        } else if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
          guard let written = Int(String(decoding: bytes[(index + 1)...], as: UTF8.self))
          else { return false }
          exponent = written
          break
        } else {
          return false
        }
        index += 1
      }
      return true
    }
    while mantissa.last == 0 { mantissa.removeLast() }
    guard parsed, !mantissa.isEmpty else { return nil }
    point += exponent
    // Asked for as many digits as it has or more: up to 15 it is its own rounding (above);
    // 17 digits always read back as the value; at 16, just below a power of two (where the
    // doubles' spacing halves) the 16-digit text can read back as the double below: C.
    guard mantissa.count > digits else { return digits == 16 ? nil : text }
    let cut = mantissa[digits...]
    if cut.count == 1 && cut.first == 5 { return nil }  // half-way in the text: C decides
    var kept = Array(mantissa[..<digits])
    if cut.first! >= 5 {
      var index = digits - 1
      while index >= 0 {
        if kept[index] < 9 {
          kept[index] += 1
          break
        }
        kept[index] = 0
        index -= 1
      }
      if index < 0 {
        kept.insert(1, at: 0)
        point += 1
      }
    }
    var rounded = negative ? "-0." : "0."
    rounded += String(decoding: kept.map { $0 + UInt8(ascii: "0") }, as: UTF8.self)
    rounded += "e\(point)"
    return Double(rounded).map(plain)
  }

  /// How many digits a number's text has from its first non-zero digit to the end of its
  /// mantissa (trailing zeros of an integer count: an upper bound of the significant ones).
  static func significantCount(_ text: String) -> Int {
    var count = 0
    for byte in text.utf8 {
      if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") { break }
      guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { continue }
      if count > 0 || byte != UInt8(ascii: "0") { count += 1 }
    }
    return count
  }

  /// `value` rounded to `digits` significant digits by C's `%.*g` (as `String(format:)`
  /// writes it, through the same C library, without Foundation's formatter), shortest text.
  static func roundedByC(_ value: Double, _ digits: Int) -> String {
    let text = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
      let written = withVaList([Int32(max(1, min(digits, 17))), value]) {
        vsnprintf(buffer.baseAddress!, 64, "%.*g", $0)
      }
      guard written > 0 && written < 64 else { return value.description }
      // A host that set a locale with a decimal comma gets a point all the same: `%g`
      // writes no grouping, so a comma can only be the decimal one.
      for index in 0..<Int(written) where buffer[index] == CChar(UInt8(ascii: ",")) {
        buffer[index] = CChar(UInt8(ascii: "."))
      }
      return String(cString: buffer.baseAddress!)
    }
    return plain(Double(text) ?? value)
  }

  /// `value` with one decimal, as C's `%.1f` writes it (`12.3`, `-0.0`, half-way cases
  /// decided on the exact binary value, ties to even), without `String(format:)`, which
  /// cost a fifth of a run in the report charts' coordinates.
  public static func oneDecimal(_ value: Double) -> String {
    guard let whole = tenths(value) else { return String(format: "%.1f", value) }
    // Short texts joined (each held inline), not an interpolation's growing buffer.
    return (value.sign == .minus ? "-" : "") + String(whole / 10) + "." + String(whole % 10)
  }

  /// Appends ``oneDecimal(_:)``'s text of `value` without making it.
  static func appendOneDecimal(_ value: Double, to out: inout [UInt8]) {
    guard let whole = tenths(value) else {
      out.append(contentsOf: oneDecimal(value).utf8)
      return
    }
    if value.sign == .minus { out.append(UInt8(ascii: "-")) }
    out.appendDecimal(whole / 10)
    out.append(UInt8(ascii: "."))
    out.append(UInt8(ascii: "0") + UInt8(whole % 10))
  }

  /// The magnitude of `value` in tenths, rounded as `%.1f` rounds it; `nil` when C must
  /// write it (not finite, or 10^15 and above).
  private static func tenths(_ value: Double) -> Int? {
    guard value.isFinite, abs(value) < 1e15 else { return nil }
    let magnitude = abs(value)
    let tenfold = magnitude * 10
    // The product's rounding error, exactly: it decides values whose product lands on .5.
    let error = (-tenfold).addingProduct(magnitude, 10)
    var tenths = tenfold.rounded(.down)
    let fraction = tenfold - tenths
    if fraction > 0.5
      || (fraction == 0.5
        && (error > 0 || (error == 0 && tenths.truncatingRemainder(dividingBy: 2) != 0)))
    {
      tenths += 1
    }
    return Int(tenths)
  }

  /// How many significant digits a number as written has (`0.72` has 2, `150` has 3).
  public static func significantDigits(of value: Double) -> Int {
    let digits = plain(abs(value)).filter(\.isNumber).drop { $0 == "0" }
    return max(1, digits.count)
  }

  /// The text of `value` for a message that compares it with `limit`: `short` (or the
  /// given text) unless that would read as the limit itself or on its other side; then as
  /// many digits as it takes, so that "4.2 > 4.2" never appears.
  public static func distinct(_ value: Double, from limit: Double, text: String? = nil) -> String {
    let written = text ?? short(value)
    guard value != limit, let read = Double(written) else { return written }
    let sameSide = (read < limit) == (value < limit) && read != limit
    if sameSide && written != short(limit) { return written }
    for digits in 3...17 {
      let candidate = significant(value, digits)
      if let back = Double(candidate), back != limit, (back < limit) == (value < limit),
        candidate != short(limit)
      {
        return candidate
      }
    }
    return plain(value)
  }

  /// A clock time of day from hours (`7.5` is `07:30`; `24` wraps to `00:00`).
  public static func clock(hours: Double) -> String {
    let total = Int((hours * 60).rounded()) % 1440
    return "\(pad(total / 60, 2)):\(pad(total % 60, 2))"
  }
}
