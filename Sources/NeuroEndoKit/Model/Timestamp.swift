import Foundation

/// A wall-clock date and time as written in an export, before any time zone is applied.
///
/// Stored in 16 bytes: every sample carries one or two, and `make bench` measured the size
/// of samples in the CSV reader's rate.
public struct LocalDateTime: Sendable, Hashable, Codable, Comparable, CustomStringConvertible,
  BitwiseCopyable
{
  private var storedYear: Int32
  private var storedMonth: UInt8
  private var storedDay: UInt8
  private var storedHour: UInt8
  private var storedMinute: UInt8
  /// Seconds, with any fraction the export gave.
  public var second: Double

  public var year: Int {
    get { Int(storedYear) }
    set { storedYear = Int32(clamping: newValue) }
  }
  public var month: Int {
    get { Int(storedMonth) }
    set { storedMonth = UInt8(clamping: newValue) }
  }
  public var day: Int {
    get { Int(storedDay) }
    set { storedDay = UInt8(clamping: newValue) }
  }
  public var hour: Int {
    get { Int(storedHour) }
    set { storedHour = UInt8(clamping: newValue) }
  }
  public var minute: Int {
    get { Int(storedMinute) }
    set { storedMinute = UInt8(clamping: newValue) }
  }

  /// Creates a date and time; out-of-range fields make ``isValid`` false.
  public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Double = 0) {
    storedYear = Int32(clamping: year)
    storedMonth = UInt8(clamping: month)
    storedDay = UInt8(clamping: day)
    storedHour = UInt8(clamping: hour)
    storedMinute = UInt8(clamping: minute)
    self.second = second
  }

  private enum CodingKeys: String, CodingKey { case year, month, day, hour, minute, second }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    self.init(
      year: try container.decode(Int.self, forKey: .year),
      month: try container.decode(Int.self, forKey: .month),
      day: try container.decode(Int.self, forKey: .day),
      hour: try container.decode(Int.self, forKey: .hour),
      minute: try container.decode(Int.self, forKey: .minute),
      second: try container.decode(Double.self, forKey: .second))
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(year, forKey: .year)
    try container.encode(month, forKey: .month)
    try container.encode(day, forKey: .day)
    try container.encode(hour, forKey: .hour)
    try container.encode(minute, forKey: .minute)
    try container.encode(second, forKey: .second)
  }

  /// Whether the fields name a real calendar day and a time of day.
  public var isValid: Bool {
    guard (1...12).contains(month), (0...23).contains(hour), (0...59).contains(minute),
      second >= 0, second < 61, year >= 1
    else { return false }
    return (1...LocalDateTime.daysInMonth(year: year, month: month)).contains(day)
  }

  /// The time of day in hours on this clock (07:30 is 7.5).
  public var hourOfDay: Double { Double(hour) + Double(minute) / 60 + second / 3600 }

  /// Seconds since 1970-01-01T00:00 on the same wall clock (no time zone applied).
  public var secondsSinceEpochWallClock: Double {
    Double(LocalDateTime.daysFromCivil(year: year, month: month, day: day)) * 86_400
      + Double(hour * 3600 + minute * 60) + second
  }

  /// `2026-03-14T07:05:00`.
  public var description: String {
    let whole = Int(second)
    let fraction = second - Double(whole)
    var text =
      "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(whole, 2))"
    if fraction > 0 {
      text += String(String(format: "%.3f", fraction).dropFirst())
    }
    return text
  }

  public static func < (lhs: LocalDateTime, rhs: LocalDateTime) -> Bool {
    lhs.secondsSinceEpochWallClock < rhs.secondsSinceEpochWallClock
  }

  static func daysInMonth(year: Int, month: Int) -> Int {
    switch month {
    case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
    case 4, 6, 9, 11: 30
    default: 31
    }
  }

  /// Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's `days_from_civil`).
  static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yearOfEra = y - era * 400
    let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
  }
}

/// `number` with leading zeros to `width` digits (`pad(7, 2)` is `07`).
func pad(_ number: Int, _ width: Int) -> String {
  let digits = String(number)
  return String(repeating: "0", count: max(0, width - digits.count)) + digits
}

/// When a sample was collected: the wall-clock time as written, and its UTC offset when the export gave one.
///
/// Times without an offset stay local here; the time normalizer reads them in the
/// pipeline's or the subject's time zone. In JSON a time is its ISO 8601 text
/// (`"2026-03-14T07:05:00+01:00"`, without the offset when it is not known).
public struct CollectionTime: Sendable, Hashable, Codable, CustomStringConvertible {
  /// The wall-clock time as the export wrote it.
  public var local: LocalDateTime
  /// The offset from UTC in seconds (`+01:00` is 3600), or `nil` when the export gave none.
  public var utcOffsetSeconds: Int?

  /// Creates a collection time.
  public init(local: LocalDateTime, utcOffsetSeconds: Int?) {
    self.local = local
    self.utcOffsetSeconds = utcOffsetSeconds
  }

  public init(from decoder: any Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    guard let time = CollectionTime(iso8601: text) else {
      throw DecodingError.dataCorrupted(
        .init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not an ISO 8601 time")
      )
    }
    self = time
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(description)
  }

  /// Reads the ISO 8601 text this type writes (`2026-03-14T07:05:09.250-05:30`, `...Z`, or
  /// without an offset); the readers' parsers take the many shapes exports use.
  public init?(iso8601 text: String) {
    let bytes = Array(text.utf8)
    func number(_ from: Int, _ count: Int) -> Int? {
      guard from + count <= bytes.count else { return nil }
      var value = 0
      for byte in bytes[from..<(from + count)] {
        guard byte >= 0x30 && byte <= 0x39 else { return nil }
        value = value * 10 + Int(byte - 0x30)
      }
      return value
    }
    func byte(_ at: Int) -> UInt8? { at < bytes.count ? bytes[at] : nil }
    guard let year = number(0, 4), byte(4) == 0x2D, let month = number(5, 2), byte(7) == 0x2D,
      let day = number(8, 2), byte(10) == 0x54 || byte(10) == 0x20, let hour = number(11, 2),
      byte(13) == 0x3A, let minute = number(14, 2)
    else { return nil }
    var index = 16
    var second = 0.0
    if byte(index) == 0x3A {
      guard let whole = number(index + 1, 2) else { return nil }
      second = Double(whole)
      index += 3
      if byte(index) == 0x2E {
        var end = index + 1
        while let digit = byte(end), digit >= 0x30 && digit <= 0x39 { end += 1 }
        guard end > index + 1,
          let fraction = Double("0" + String(decoding: bytes[index..<end], as: UTF8.self))
        else { return nil }
        second += fraction
        index = end
      }
    }
    var offset: Int?
    switch byte(index) {
    case nil: break
    case 0x5A?:  // Z
      offset = 0
      index += 1
    case 0x2B?, 0x2D?:  // + or -
      let sign = byte(index) == 0x2D ? -1 : 1
      guard let hours = number(index + 1, 2) else { return nil }
      let colon = byte(index + 3) == 0x3A ? 1 : 0
      guard let minutes = number(index + 3 + colon, 2) else { return nil }
      offset = sign * (hours * 3600 + minutes * 60)
      index += 5 + colon
    default: return nil
    }
    let local = LocalDateTime(
      year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    guard index == bytes.count, local.isValid else { return nil }
    self.init(local: local, utcOffsetSeconds: offset)
  }

  /// The same clock `minutes` later (earlier when negative), keeping the offset.
  public func adding(minutes: Double) -> CollectionTime {
    CollectionTime(
      local: LocalDateTime(wallClockSeconds: local.secondsSinceEpochWallClock + minutes * 60),
      utcOffsetSeconds: utcOffsetSeconds)
  }

  /// The instant, when the offset is known.
  public var instant: Date? {
    guard let utcOffsetSeconds else { return nil }
    return Date(
      timeIntervalSince1970: local.secondsSinceEpochWallClock - Double(utcOffsetSeconds))
  }

  /// ISO 8601, with the offset when known: `2026-03-14T07:05:00+01:00`.
  public var description: String {
    guard let offset = utcOffsetSeconds else { return local.description }
    if offset == 0 { return local.description + "Z" }
    let sign = offset < 0 ? "-" : "+"
    let minutes = abs(offset) / 60
    return local.description + "\(sign)\(pad(minutes / 60, 2)):\(pad(minutes % 60, 2))"
  }
}

/// A time relative to an anchor: minutes since waking, or minutes from an event such as a stressor.
public struct RelativeTime: Sendable, Hashable, Codable {
  /// Minutes from the anchor; negative before it.
  public var minutes: Double
  /// What the minutes count from.
  public var anchor: TimeAnchor

  /// Creates a relative time.
  public init(minutes: Double, anchor: TimeAnchor) {
    self.minutes = minutes
    self.anchor = anchor
  }
}

/// The event a ``RelativeTime`` counts from.
public enum TimeAnchor: Sendable, Hashable, Codable, CustomStringConvertible {
  /// The subject's waking.
  case waking
  /// A named event of the protocol, e.g. "stressor".
  case event(String)

  public var description: String {
    switch self {
    case .waking: "waking"
    case .event(let name): name
    }
  }
}

extension LocalDateTime {
  /// The wall-clock date and time `seconds` after 1970-01-01T00:00 (H. Hinnant's
  /// `civil_from_days`), the inverse of ``secondsSinceEpochWallClock``.
  public init(wallClockSeconds seconds: Double) {
    let days = Int((seconds / 86_400).rounded(.down))
    let remainder = seconds - Double(days) * 86_400
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let dayOfEra = z - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let monthIndex = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
    let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
    let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    let whole = Int(remainder.rounded(.down))
    self.init(
      year: year, month: month, day: day, hour: whole / 3600, minute: whole % 3600 / 60,
      second: remainder - Double(whole - whole % 60))
  }
}

extension LocalDateTime {
  /// An instant in ISO 8601 with seconds and `Z` (UTC): `2026-03-19T06:00:00Z`.
  static func iso(_ date: Date) -> String {
    LocalDateTime(wallClockSeconds: date.timeIntervalSince1970.rounded(.down)).description + "Z"
  }
}
