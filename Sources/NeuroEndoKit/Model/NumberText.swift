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
    // C's `%.*g` as `String(format:)` writes it (through the same C library), without
    // Foundation's formatter, which cost a tenth of a patient page.
    let text = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
      let written = withVaList([Int32(max(1, min(digits, 17))), value]) {
        vsnprintf(buffer.baseAddress!, 64, "%.*g", $0)
      }
      // A host that set a locale with a decimal comma gets a point all the same: `%g`
      // writes no grouping, so a comma can only be the decimal one.
      return written > 0 && written < 64
        ? String(cString: buffer.baseAddress!).replacingOccurrences(of: ",", with: ".")
        : value.description
    }
    return plain(Double(text) ?? value)
  }

  /// `value` with one decimal, as C's `%.1f` writes it (`12.3`, `-0.0`, half-way cases
  /// decided on the exact binary value, ties to even), without `String(format:)`, which
  /// cost a fifth of a run in the report charts' coordinates.
  public static func oneDecimal(_ value: Double) -> String {
    guard value.isFinite, abs(value) < 1e15 else { return String(format: "%.1f", value) }
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
    let whole = Int(tenths)
    // Short texts joined (each held inline), not an interpolation's growing buffer.
    return (value.sign == .minus ? "-" : "") + String(whole / 10) + "." + String(whole % 10)
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
