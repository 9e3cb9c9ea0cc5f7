/// What placing a local time (one without a UTC offset) in a time zone did; recorded on
/// the sample. The normalizer's rule: a time in a spring-forward gap moves forward by the gap,
/// a repeated time takes the earlier instant.
public enum TimeResolution: String, Sendable, Hashable, Codable {
  /// The wall-clock time exists once: no choice was made.
  case exact
  /// The time fell in a spring-forward gap and was moved forward by the gap's length.
  case shiftedOverGap = "shifted-over-gap"
  /// The time was repeated at a fall-back change; the earlier instant was taken.
  case earlierOfRepeated = "earlier-of-repeated"
}
