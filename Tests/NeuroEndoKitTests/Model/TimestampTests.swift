import Foundation
import Testing

@testable import NeuroEndoKit

@Suite("Times in the model")
struct TimestampTests {
  @Test(
    "ISO 8601 as written by the outputs reads back without a reader's parser",
    arguments: [
      ("2026-03-14T07:05:00+01:00", 3600), ("2026-03-14T07:05:00Z", 0),
      ("2026-03-14T07:05:09.250-05:30", -19_800), ("2026-03-14T07:05:00", nil as Int?),
    ])
  func iso8601(text: String, offset: Int?) throws {
    let time = try #require(CollectionTime(iso8601: text))
    #expect(time.utcOffsetSeconds == offset)
    #expect(time.description == text)
  }

  @Test(
    "text that is not an ISO 8601 date and time is refused",
    arguments: [
      "07:05", "2026-13-14T07:05:00", "2026-02-30T07:05:00", "2026-03-14T07:05:00+1",
      "2026-03-14T07:05:00 CET", "14.03.2026 07:05",
    ])
  func invalid(text: String) {
    #expect(CollectionTime(iso8601: text) == nil)
  }

  @Test("minutes added cross midnight and month ends; the offset stays")
  func adding() {
    let time = CollectionTime(
      local: LocalDateTime(year: 2026, month: 2, day: 28, hour: 23, minute: 30),
      utcOffsetSeconds: 3600)
    #expect(time.adding(minutes: 45).description == "2026-03-01T00:15:00+01:00")
    #expect(time.adding(minutes: -90).description == "2026-02-28T22:00:00+01:00")
    #expect(time.local.hourOfDay == 23.5)
  }
}
