import Foundation
import Testing

@testable import NeuroEndoKit

private func value(_ text: String, comma: Bool = false) -> (Double, Censoring)? {
  Array(text.utf8).withUnsafeBufferPointer { FieldParser.value($0, decimalComma: comma) }
}

private func time(_ text: String, _ order: DateOrder = .ymd) -> ParsedTime? {
  Array(text.utf8).withUnsafeBufferPointer { FieldParser.time($0, order: order) }
}

@Suite("Cell parsers")
struct FieldParserTests {
  @Test(
    "lab values with censoring",
    arguments: [
      ("12.5", 12.5, Censoring.none), (" 410 ", 410, .none), ("<0.5", 0.5, .below),
      ("< 0.5", 0.5, .below), ("<=2.8", 2.8, .atOrBelow), (">1250", 1250, .above),
      (">= 70", 70, .atOrAbove), ("-3", -3, .none), ("1e3", 1000, .none),
    ])
  func values(text: String, expected: Double, censoring: Censoring) {
    let parsed = value(text)
    #expect(parsed?.0 == expected)
    #expect(parsed?.1 == censoring)
  }

  @Test("decimal comma reads 12,5 and rejects a decimal point")
  func decimalComma() {
    #expect(value("12,5", comma: true)?.0 == 12.5)
    #expect(value("<0,5", comma: true)?.0 == 0.5)
    #expect(value("12.5", comma: true) == nil)
    #expect(value("12,5") == nil)
  }

  @Test(
    "text that is not a plain decimal number is rejected",
    arguments: [
      "", " ", "nan", "inf", "0x1p3", "1,234.5", "1.2.3", "1O.1", "<", "12 mg", "--1e", "1e999",
    ])
  func rejectsNonNumbers(text: String) {
    #expect(value(text) == nil)
  }

  @Test("ISO 8601 times keep their offset")
  func isoTimes() {
    #expect(
      time("2026-03-14T07:05:00+01:00")
        == ParsedTime(date: (2026, 3, 14), hour: 7, minute: 5, second: 0, utcOffsetSeconds: 3600))
    #expect(time("2026-03-14T23:00:00-05:30")?.utcOffsetSeconds == -19_800)
    #expect(time("2026-03-14T07:05:00Z")?.utcOffsetSeconds == 0)
    #expect(time("2026-03-14T07:05:00+0100")?.utcOffsetSeconds == 3600)
    #expect(time("2026-03-14 07:05")?.utcOffsetSeconds == nil)
    #expect(time("2026-03-14T07:05:09.250")?.second == 9.25)
  }

  @Test("day-month-year and month-day-year dates follow the profile; ISO dates always read")
  func dateOrders() {
    #expect(time("14.03.2026 08:12", .dmy)?.date?.day == 14)
    #expect(time("14/03/2026 08:12", .dmy)?.date?.month == 3)
    #expect(time("03/14/2026 08:12", .mdy)?.date?.day == 14)
    #expect(time("2026-03-14 08:12", .dmy)?.date?.day == 14)
    #expect(time("14.03.2026 08:12", .ymd) == nil)
  }

  @Test("a time of day alone takes its date from the collection time")
  func timeOfDay() {
    let wake = time("06:30")
    #expect(wake?.date == nil)
    let collected = CollectionTime(
      local: LocalDateTime(year: 2026, month: 3, day: 15, hour: 6, minute: 32),
      utcOffsetSeconds: 3600)
    #expect(wake?.collectionTime(onDateOf: collected)?.description == "2026-03-15T06:30:00+01:00")
    // A wake time with a date of its own keeps its own (absent) offset.
    let dated = time("2026-03-15 06:30")
    #expect(dated?.collectionTime(onDateOf: collected)?.description == "2026-03-15T06:30:00")
  }

  @Test(
    "impossible dates and times are rejected",
    arguments: [
      "2026-02-31T08:00", "2026-13-14T08:00", "2026-03-14T25:00", "2026-03-14T08:61",
      "2026-03-14", "yesterday", "2026-03-14T08:00+25:00", "2026-03-14T08:00 CET",
    ])
  func impossibleTimes(text: String) {
    let parsed = time(text)
    #expect(parsed?.collectionTime() == nil)
  }

  @Test("an instant is the wall clock minus the offset")
  func instant() throws {
    let parsed = try #require(time("2026-03-14T07:05:00+01:00")?.collectionTime())
    #expect(parsed.instant?.timeIntervalSince1970 == 1_773_468_300)
    #expect(parsed.description == "2026-03-14T07:05:00+01:00")
  }
}

@Suite("Fast paths agree with the general parsers")
struct FastPathTests {
  @Test("the decimal fast path gives the same Double as strtod, to the last bit")
  func decimalsMatchStrtod() {
    var generator = SplitMix64(seed: 2026)
    for _ in 0..<20_000 {
      let digits = Int(generator.next() % 15) + 1
      var text = String(generator.next() % 2 == 0 ? "" : "-")
      var body = ""
      for _ in 0..<digits { body += String(generator.next() % 10) }
      let mark = Int(generator.next() % UInt64(digits + 1))
      if mark < digits { body.insert(".", at: body.index(body.startIndex, offsetBy: mark)) }
      text += body
      let fast = Array(text.utf8).withUnsafeBufferPointer { FieldParser.fastDecimal($0, false) }
      #expect(fast == strtod(text, nil), "\(text)")
    }
  }

  @Test(
    "the ISO fast path reads what the general parser reads",
    arguments: [
      "2026-03-14T07:05:00+01:00", "2026-03-14T07:05:00Z", "2026-03-14 07:05", "2026-03-14T07:05",
      "2026-03-14T23:59:59-05:30", "2026-03-14T07:05:00+0100", "1999-12-31T00:00:00-12:00",
    ])
  func isoMatchesGeneral(text: String) {
    Array(text.utf8).withUnsafeBufferPointer { field in
      let fast = FieldParser.isoTime(field)
      #expect(fast != nil)
      #expect(fast == FieldParser.anyTime(field, order: .ymd))
    }
  }

  @Test(
    "the ISO fast path leaves other layouts to the general parser",
    arguments: [
      "2026-03-14T07:05:00.250Z", "2026-03-14T07:05:00 +01:00", "14.03.2026 07:05",
      "2026-03-14T07:05:00+01",
    ])
  func isoDeclines(text: String) {
    Array(text.utf8).withUnsafeBufferPointer { #expect(FieldParser.isoTime($0) == nil) }
  }

  @Test("whole numbers: plain digits read at once, as the decimal reading gives them")
  func integers() {
    // What the decimal reading gives: a whole number below 1e15, else nothing.
    func decimalReading(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
      guard let number = FieldParser.decimal(bytes, false), number == number.rounded(),
        abs(number) < 1e15
      else { return nil }
      return Int(number)
    }
    var generator = SplitMix64(seed: 17)
    var texts = [
      "0", "7", "007", "12", "999999999999999", "1000000000000000", "-3", "+4", "1.0", "1e3",
      " 7", "7 ", "", "٣", "12a", "0x1F", "4.5",
    ]
    for _ in 0..<2_000 {
      let count = 1 + Int(generator.next() % 17)
      texts.append(String((0..<count).map { _ in Character(String(generator.next() % 10)) }))
    }
    for text in texts {
      Array(text.utf8).withUnsafeBufferPointer {
        #expect(FieldParser.integer($0) == decimalReading($0), "\(text)")
      }
    }
    Array("000000000000042".utf8).withUnsafeBufferPointer { #expect(FieldParser.integer($0) == 42) }
    Array("1000000000000000".utf8).withUnsafeBufferPointer {
      #expect(FieldParser.integer($0) == nil)
    }
  }
}

/// A small deterministic generator, so that the property test is the same on every run.
struct SplitMix64 {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

@Suite("Collection times in JSON")
struct CollectionTimeCodingTests {
  @Test(
    "a collection time is its ISO 8601 text in JSON, both ways",
    arguments: [
      "2026-03-14T07:05:00+01:00", "2026-03-14T07:05:00Z", "2026-03-14T07:05:00",
      "2026-03-14T07:05:09.250-05:30",
    ])
  func roundTrip(text: String) throws {
    let json = Data("\"\(text)\"".utf8)
    let time = try JSONDecoder().decode(CollectionTime.self, from: json)
    #expect(time.description == text)
    #expect(try JSONEncoder().encode(time) == json)
  }

  @Test("text that is not a date and time does not decode")
  func invalid() {
    #expect(throws: DecodingError.self) {
      try JSONDecoder().decode(CollectionTime.self, from: Data(#""07:05""#.utf8))
    }
  }
}
