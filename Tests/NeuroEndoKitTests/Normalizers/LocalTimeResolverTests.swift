import Testing

@testable import NeuroEndoKit

private func local(_ text: String) -> LocalDateTime {
  Array(text.utf8).withUnsafeBufferPointer { FieldParser.time($0, order: .ymd)! }
    .collectionTime()!.local
}

@Suite("Local times in IANA zones")
struct LocalTimeResolverTests {
  let berlin = LocalTimeResolver(identifier: "Europe/Berlin")!

  @Test("an ordinary time takes the zone's offset: CET in winter, CEST in summer")
  func ordinary() {
    let winter = berlin.resolve(local("2026-03-14T08:12:00"))
    #expect(winter.time.description == "2026-03-14T08:12:00+01:00")
    #expect(winter.resolution == .exact)
    #expect(
      berlin.resolve(local("2026-07-01T08:12:00")).time.description == "2026-07-01T08:12:00+02:00")
  }

  @Test("spring forward: 02:30 does not exist on 2026-03-29 and becomes 03:30 CEST")
  func springForward() {
    let result = berlin.resolve(local("2026-03-29T02:30:00"))
    #expect(result.resolution == .shiftedOverGap)
    #expect(result.time.description == "2026-03-29T03:30:00+02:00")
    // The instant is the one 02:30 CET would have been: 01:30 UTC.
    #expect(result.time.instant?.timeIntervalSince1970 == 1_774_747_800)
    #expect(berlin.resolve(local("2026-03-29T03:00:00")).resolution == .exact)
    #expect(berlin.resolve(local("2026-03-29T01:59:00")).time.utcOffsetSeconds == 3600)
  }

  @Test("fall back: 02:30 happens twice on 2026-10-25; the earlier (CEST) is taken")
  func fallBack() {
    let result = berlin.resolve(local("2026-10-25T02:30:00"))
    #expect(result.resolution == .earlierOfRepeated)
    #expect(result.time.description == "2026-10-25T02:30:00+02:00")
    #expect(berlin.resolve(local("2026-10-25T03:30:00")).time.utcOffsetSeconds == 3600)
  }

  @Test("a subject who crosses zones: the same wall clock is a different instant in each zone")
  func crossingZones() throws {
    let newYork = try #require(LocalTimeResolver(identifier: "America/New_York"))
    let berlinMorning = berlin.resolve(local("2026-03-14T07:00:00")).time
    let newYorkMorning = newYork.resolve(local("2026-03-16T07:00:00")).time
    #expect(newYorkMorning.description == "2026-03-16T07:00:00-04:00")  // EDT began 2026-03-08
    let hours =
      (newYorkMorning.instant!.timeIntervalSince1970 - berlinMorning.instant!.timeIntervalSince1970)
      / 3600
    #expect(hours == 53)
  }

  @Test("unknown zone names are refused")
  func unknownZone() {
    #expect(LocalTimeResolver(identifier: "Mars/Olympus_Mons") == nil)
  }

  @Test(
    "wall-clock seconds and dates convert both ways",
    arguments: [
      "1970-01-01T00:00:00", "2000-02-29T23:59:59", "2026-03-29T02:30:00", "2100-12-31T12:00:00",
      "1969-07-20T20:17:40",
    ])
  func roundTrip(text: String) {
    let date = local(text)
    #expect(LocalDateTime(wallClockSeconds: date.secondsSinceEpochWallClock) == date)
  }
}
