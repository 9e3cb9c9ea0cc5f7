import Foundation

/// Places a wall-clock time without a UTC offset on the time line, in an IANA time zone.
///
/// Around daylight-saving changes a wall-clock time can be missing (spring forward: 02:30
/// does not exist in Europe/Berlin on 2026-03-29) or repeated (fall back: 02:30 happens
/// twice on 2026-10-25). The documented rule:
/// - a missing time is moved forward by the length of the gap (02:30 becomes 03:30 CEST),
///   as a clock that was not yet put forward would show it;
/// - a repeated time takes the earlier of its two instants (the offset before the change).
/// Either way the result says what was done, so that it can be recorded on the sample.
public struct LocalTimeResolver: Sendable {
  /// What resolving a local time did.
  public typealias Resolution = TimeResolution

  /// The zone local times are read in.
  public let timeZone: TimeZone

  /// Creates a resolver for an IANA zone name such as `Europe/Berlin`.
  ///
  /// - Returns: `nil` when the name is not a known zone.
  public init?(identifier: String) {
    guard let zone = TimeZone(identifier: identifier) else { return nil }
    timeZone = zone
  }

  /// The collection time with its UTC offset, and what was done to find it.
  public func resolve(_ local: LocalDateTime) -> (time: CollectionTime, resolution: Resolution) {
    let wall = local.secondsSinceEpochWallClock
    // The offsets in force a day either side cover any change near this time.
    let candidates = Set([offset(at: wall - 86_400), offset(at: wall + 86_400), offset(at: wall)])
    let valid = candidates.filter { offset(at: wall - Double($0)) == $0 }.sorted()
    if valid.count == 1 {
      return (CollectionTime(local: local, utcOffsetSeconds: valid[0]), .exact)
    }
    if valid.count > 1 {
      // The larger offset gives the earlier instant: the time before the clocks went back.
      return (CollectionTime(local: local, utcOffsetSeconds: valid.last!), .earlierOfRepeated)
    }
    // In a gap: read the time with the offset before the change, then show it on the
    // clock after the change.
    let before = offset(at: wall - 86_400)
    let instant = wall - Double(before)
    let after = offset(at: instant)
    let shifted = LocalDateTime(wallClockSeconds: instant + Double(after))
    return (CollectionTime(local: shifted, utcOffsetSeconds: after), .shiftedOverGap)
  }

  private func offset(at seconds: Double) -> Int {
    timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: seconds))
  }
}
