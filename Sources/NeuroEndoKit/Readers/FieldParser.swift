import Foundation

/// The order of day, month and year in dates written without ISO 8601.
public enum DateOrder: String, Sendable, Hashable, Codable, CaseIterable {
  /// `2026-03-14` (ISO 8601), also `2026/03/14`.
  case ymd
  /// `14.03.2026`, `14/03/2026`, `14-03-2026`.
  case dmy
  /// `03/14/2026`.
  case mdy
}

/// A date and time read from a cell: the date may be absent (a wake time of `06:45`).
struct ParsedTime: Equatable {
  var date: (year: Int, month: Int, day: Int)?
  var hour: Int
  var minute: Int
  var second: Double
  var utcOffsetSeconds: Int?

  static func == (lhs: ParsedTime, rhs: ParsedTime) -> Bool {
    lhs.date?.year == rhs.date?.year && lhs.date?.month == rhs.date?.month
      && lhs.date?.day == rhs.date?.day && lhs.hour == rhs.hour && lhs.minute == rhs.minute
      && lhs.second == rhs.second && lhs.utcOffsetSeconds == rhs.utcOffsetSeconds
  }

  /// The collection time. A time of day alone (a wake time of `06:30`) takes the date of
  /// `fallback`, and its UTC offset when it has none of its own.
  func collectionTime(onDateOf fallback: CollectionTime? = nil) -> CollectionTime? {
    guard let date = date ?? fallback.map({ ($0.local.year, $0.local.month, $0.local.day) })
    else { return nil }
    let local = LocalDateTime(
      year: date.year, month: date.month, day: date.day, hour: hour, minute: minute,
      second: second)
    guard local.isValid else { return nil }
    let offset = utcOffsetSeconds ?? (self.date == nil ? fallback?.utcOffsetSeconds : nil)
    return CollectionTime(local: local, utcOffsetSeconds: offset)
  }
}

/// Parsers for the cells of lab exports, working on bytes so that reading stays fast.
enum FieldParser {
  /// Reads a lab value: a decimal number, optionally after `<`, `<=`, `>` or `>=`.
  ///
  /// Accepts leading and trailing spaces and, with `decimalComma`, a comma as the decimal
  /// mark. Rejects `nan`, `inf`, hexadecimal and thousands separators.
  static func value(_ field: UnsafeBufferPointer<UInt8>, decimalComma: Bool) -> (
    Double, Censoring
  )? {
    var start = 0
    var end = field.count
    while start < end, field[start] == 0x20 { start += 1 }
    while end > start, field[end - 1] == 0x20 { end -= 1 }
    var censoring = Censoring.none
    if start < end {
      switch field[start] {
      case UInt8(ascii: "<"): censoring = .below
      case UInt8(ascii: ">"): censoring = .above
      default: break
      }
      if censoring != .none {
        start += 1
        if start < end, field[start] == UInt8(ascii: "=") {
          censoring = censoring == .below ? .atOrBelow : .atOrAbove
          start += 1
        }
        while start < end, field[start] == 0x20 { start += 1 }
      }
    }
    guard let number = decimal(UnsafeBufferPointer(rebasing: field[start..<end]), decimalComma)
    else { return nil }
    return (number, censoring)
  }

  /// Reads a plain decimal number (`12`, `-1.5`, `2.5e3`; with `decimalComma`, `12,5`).
  static func decimal(_ field: UnsafeBufferPointer<UInt8>, _ decimalComma: Bool) -> Double? {
    var start = 0
    var end = field.count
    while start < end, field[start] == 0x20 { start += 1 }
    while end > start, field[end - 1] == 0x20 { end -= 1 }
    let count = end - start
    guard count > 0, count < 64 else { return nil }
    if let exact = fastDecimal(UnsafeBufferPointer(rebasing: field[start..<end]), decimalComma) {
      return exact
    }
    // Copy into a NUL-terminated buffer strtod can read, checking each character.
    return withUnsafeTemporaryAllocation(of: CChar.self, capacity: count + 1) { buffer in
      var digits = 0
      var marks = 0
      for index in 0..<count {
        var byte = field[start + index]
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digits += 1
        case UInt8(ascii: "."):
          if decimalComma { return nil }
          marks += 1
        case UInt8(ascii: ","):
          if !decimalComma { return nil }
          byte = UInt8(ascii: ".")
          marks += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "e"), UInt8(ascii: "E"): break
        default: return nil
        }
        buffer[index] = CChar(bitPattern: byte)
      }
      guard digits > 0, marks <= 1 else { return nil }
      buffer[count] = 0
      var endPointer: UnsafeMutablePointer<CChar>?
      let number = strtod(buffer.baseAddress!, &endPointer)
      guard endPointer == buffer.baseAddress! + count, number.isFinite else { return nil }
      return number
    }
  }

  /// Powers of ten that a `Double` holds exactly.
  private static let exactPowersOfTen: [Double] = (0...22).map { pow(10, Double($0)) }

  /// The common case without `strtod`: an optional sign, at most 15 digits with one decimal
  /// mark, no exponent. The digits form an integer below 2^53 and the power of ten is
  /// exact, so one division gives the correctly rounded result, the same as `strtod`
  /// (Clinger's fast path). Anything else returns `nil` for the general path.
  static func fastDecimal(_ field: UnsafeBufferPointer<UInt8>, _ decimalComma: Bool) -> Double? {
    let mark = decimalComma ? UInt8(ascii: ",") : UInt8(ascii: ".")
    var index = 0
    var negative = false
    if field[0] == UInt8(ascii: "-") || field[0] == UInt8(ascii: "+") {
      negative = field[0] == UInt8(ascii: "-")
      index = 1
    }
    var mantissa: UInt64 = 0
    var digits = 0
    var fractionDigits = 0
    var seenMark = false
    while index < field.count {
      let byte = field[index]
      if byte >= 0x30 && byte <= 0x39 {
        mantissa = mantissa &* 10 &+ UInt64(byte &- 0x30)
        digits += 1
        if seenMark { fractionDigits += 1 }
      } else if byte == mark && !seenMark {
        seenMark = true
      } else {
        return nil
      }
      index += 1
    }
    guard digits > 0, digits <= 15 else { return nil }
    let magnitude = Double(mantissa) / exactPowersOfTen[fractionDigits]
    return negative ? -magnitude : magnitude
  }

  /// The common layout at fixed positions: `YYYY-MM-DDTHH:MM[:SS]` followed by `Z`,
  /// `±HH:MM`, `±HHMM` or nothing. Anything else returns `nil` for the general parser,
  /// which reads the same texts and more.
  static func isoTime(_ field: UnsafeBufferPointer<UInt8>) -> ParsedTime? {
    let count = field.count
    guard count >= 16, field[4] == 0x2D, field[7] == 0x2D,
      field[10] == UInt8(ascii: "T") || field[10] == 0x20, field[13] == 0x3A
    else { return nil }
    func digits(_ from: Int, _ length: Int) -> Int? {
      var value = 0
      for index in from..<(from + length) {
        let digit = field[index] &- 0x30
        guard digit < 10 else { return nil }
        value = value * 10 + Int(digit)
      }
      return value
    }
    guard let year = digits(0, 4), let month = digits(5, 2), let day = digits(8, 2),
      let hour = digits(11, 2), let minute = digits(14, 2)
    else { return nil }
    var position = 16
    var second = 0
    if position < count, field[position] == 0x3A {
      guard count >= 19, let parsed = digits(17, 2) else { return nil }
      second = parsed
      position = 19
    }
    var offset: Int?
    if position < count {
      switch field[position] {
      case UInt8(ascii: "Z") where position + 1 == count: offset = 0
      case UInt8(ascii: "+"), UInt8(ascii: "-"):
        let colon = position + 6 == count && field[position + 3] == 0x3A
        guard colon || position + 5 == count, let hours = digits(position + 1, 2),
          let minutes = digits(position + (colon ? 4 : 3), 2), hours <= 18, minutes < 60
        else { return nil }
        let magnitude = hours * 3600 + minutes * 60
        offset = field[position] == UInt8(ascii: "-") ? -magnitude : magnitude
      default: return nil
      }
    }
    guard hour < 24, minute < 60, second < 61 else { return nil }
    return ParsedTime(
      date: (year, month, day), hour: hour, minute: minute, second: Double(second),
      utcOffsetSeconds: offset)
  }

  /// Reads a whole number such as a study day.
  static func integer(_ field: UnsafeBufferPointer<UInt8>) -> Int? {
    // Plain digits (a day, a record's count), the common case: their value at once, the
    // same as read as a decimal (15 digits or fewer are exact in a `Double`).
    if !field.isEmpty, field.count <= 15, field.allSatisfy({ $0 &- 0x30 < 10 }) {
      return field.reduce(0) { $0 * 10 + Int($1 &- 0x30) }
    }
    guard let number = decimal(field, false), number == number.rounded(),
      abs(number) < 1e15
    else { return nil }
    return Int(number)
  }

  /// Reads a date and time: `2026-03-14T07:05:00+01:00`, `2026-03-14 07:05`,
  /// `14.03.2026 07:05` (with `.dmy`), or a time of day alone (`06:45`).
  ///
  /// - Returns: the parts, or `nil` when the text is not a valid date and time in `order`.
  static func time(_ field: UnsafeBufferPointer<UInt8>, order: DateOrder) -> ParsedTime? {
    isoTime(field) ?? anyTime(field, order: order)
  }

  /// The general parser behind ``time(_:order:)``, for every layout it accepts.
  static func anyTime(_ field: UnsafeBufferPointer<UInt8>, order: DateOrder) -> ParsedTime? {
    var cursor = ByteCursor(field)
    cursor.skipSpaces()
    var date: (Int, Int, Int)?
    // A date is present when the text does not start with "HH:".
    let save = cursor.position
    if let first = cursor.number(maxDigits: 4), cursor.peek != UInt8(ascii: ":") {
      guard let separator = cursor.next(),
        separator == UInt8(ascii: "-") || separator == UInt8(ascii: ".")
          || separator == UInt8(ascii: "/"),
        let second = cursor.number(maxDigits: 2), cursor.next() == separator,
        let third = cursor.number(maxDigits: 4)
      else { return nil }
      let firstDigits = first.digits
      switch order {
      case .ymd where firstDigits == 4: date = (first.value, second.value, third.value)
      case _ where firstDigits == 4 && separator == UInt8(ascii: "-"):
        // ISO dates are ISO whatever the profile says.
        date = (first.value, second.value, third.value)
      case .dmy where third.digits == 4: date = (third.value, second.value, first.value)
      case .mdy where third.digits == 4: date = (third.value, first.value, second.value)
      default: return nil
      }
      guard cursor.peek == UInt8(ascii: "T") || cursor.peek == 0x20 || cursor.atEnd else {
        return nil
      }
      if cursor.atEnd { return nil }  // a date without a time is not a collection time
      cursor.advance()
      cursor.skipSpaces()
    } else {
      cursor.position = save
    }
    guard let hour = cursor.number(maxDigits: 2), cursor.next() == UInt8(ascii: ":"),
      let minute = cursor.number(maxDigits: 2), minute.digits == 2
    else { return nil }
    var second = 0.0
    if cursor.peek == UInt8(ascii: ":") {
      cursor.advance()
      guard let whole = cursor.number(maxDigits: 2), whole.digits == 2 else { return nil }
      second = Double(whole.value)
      if cursor.peek == UInt8(ascii: ".") || cursor.peek == UInt8(ascii: ",") {
        cursor.advance()
        guard let fraction = cursor.number(maxDigits: 9) else { return nil }
        second += Double(fraction.value) / pow(10, Double(fraction.digits))
      }
    }
    cursor.skipSpaces()
    var offset: Int?
    if let sign = cursor.peek {
      cursor.advance()
      switch sign {
      case UInt8(ascii: "Z"), UInt8(ascii: "z"): offset = 0
      case UInt8(ascii: "+"), UInt8(ascii: "-"):
        guard let hours = cursor.number(maxDigits: 2), hours.digits == 2 else { return nil }
        var minutes = 0
        if cursor.peek == UInt8(ascii: ":") { cursor.advance() }
        if let parsed = cursor.number(maxDigits: 2) {
          guard parsed.digits == 2 else { return nil }
          minutes = parsed.value
        }
        guard hours.value <= 18, minutes < 60 else { return nil }
        let magnitude = hours.value * 3600 + minutes * 60
        offset = sign == UInt8(ascii: "-") ? -magnitude : magnitude
      default: return nil
      }
      cursor.skipSpaces()
    }
    guard cursor.atEnd, hour.value < 24, minute.value < 60, second < 61 else { return nil }
    return ParsedTime(
      date: date.map { (year: $0.0, month: $0.1, day: $0.2) }, hour: hour.value,
      minute: minute.value, second: second, utcOffsetSeconds: offset)
  }
}

/// A forward-only reader over a field's bytes.
struct ByteCursor {
  let bytes: UnsafeBufferPointer<UInt8>
  var position = 0

  init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

  var atEnd: Bool { position >= bytes.count }
  var peek: UInt8? { atEnd ? nil : bytes[position] }

  mutating func advance() { position += 1 }

  mutating func next() -> UInt8? {
    defer { position += 1 }
    return peek
  }

  mutating func skipSpaces() {
    while let byte = peek, byte == 0x20 { position += 1 }
  }

  /// Reads up to `maxDigits` decimal digits; `nil` when there is none.
  mutating func number(maxDigits: Int) -> (value: Int, digits: Int)? {
    var value = 0
    var digits = 0
    while digits < maxDigits, let byte = peek, byte >= 0x30, byte <= 0x39 {
      value = value * 10 + Int(byte - 0x30)
      digits += 1
      position += 1
    }
    return digits == 0 ? nil : (value, digits)
  }

}
