/// A sample after normalization: its value in the analyte's canonical unit, its time on
/// the time line, its place in the subject's circadian day, and the flags screens raised.
/// The sample as read stays whole beside them.
public struct NormalizedSample: Sendable, Hashable, Codable {
  /// The fields, behind one reference (copied on write): the analyzers group and copy
  /// normalized samples by subject and day, and a copy then costs one retain instead of
  /// one per field.
  struct Fields: Sendable, Hashable, Codable {
    /// The sample as the reader produced it: original value, unit and time.
    var sample: Sample
    /// The value in the analyte's canonical unit (censoring kept).
    var value: Quantity
    /// The collection time with its UTC offset, when the export gave one or the pipeline's
    /// time zone placed it; a local time otherwise.
    var collected: CollectionTime?
    /// What placing a local time did (`nil` when the export gave the offset).
    var timeResolution: TimeResolution?
    /// Where the sample sits in the subject's day, when that can be told.
    var circadian: CircadianPosition?
    /// What screens found (duplicates, conflicts, estimated waking ...).
    var flags: [SampleFlag]
  }

  private var fields: CopyOnWrite<Fields>

  /// The sample as the reader produced it: original value, unit and time.
  public var sample: Sample {
    _read { yield fields.value.sample }
    set { fields.value.sample = newValue }
  }
  /// The value in the analyte's canonical unit (censoring kept).
  public var value: Quantity {
    _read { yield fields.value.value }
    set { fields.value.value = newValue }
  }
  /// The collection time with its UTC offset, when the export gave one or the pipeline's
  /// time zone placed it; a local time otherwise.
  public var collected: CollectionTime? {
    _read { yield fields.value.collected }
    set { fields.value.collected = newValue }
  }
  /// What placing a local time did (`nil` when the export gave the offset).
  public var timeResolution: TimeResolution? {
    _read { yield fields.value.timeResolution }
    set { fields.value.timeResolution = newValue }
  }
  /// Where the sample sits in the subject's day, when that can be told.
  public var circadian: CircadianPosition? {
    _read { yield fields.value.circadian }
    set { fields.value.circadian = newValue }
  }
  /// What screens found (duplicates, conflicts, estimated waking ...).
  public var flags: [SampleFlag] {
    _read { yield fields.value.flags }
    set { fields.value.flags = newValue }
  }

  /// Creates a normalized sample.
  public init(
    sample: Sample, value: Quantity, collected: CollectionTime?,
    timeResolution: TimeResolution?, circadian: CircadianPosition? = nil,
    flags: [SampleFlag] = []
  ) {
    fields = CopyOnWrite(
      Fields(
        sample: sample, value: value, collected: collected, timeResolution: timeResolution,
        circadian: circadian, flags: flags))
  }

  /// The same JSON as the fields themselves.
  public init(from decoder: any Decoder) throws { fields = try CopyOnWrite(from: decoder) }

  public func encode(to encoder: any Encoder) throws { try fields.encode(to: encoder) }
}

/// A sample's place in the subject's circadian day: a day runs from one waking to the next.
public struct CircadianPosition: Sendable, Hashable, Codable {
  /// Minutes since the waking that starts the sample's day.
  public var minutesSinceWaking: Double
  /// The subject's day, counted from 1 in time order (or the export's study day).
  public var day: Int
  /// Where the waking time came from.
  public var wakeSource: WakeSource
  /// The waking time, when known as a time.
  public var wake: CollectionTime?

  /// Creates a position.
  public init(minutesSinceWaking: Double, day: Int, wakeSource: WakeSource, wake: CollectionTime?) {
    self.minutesSinceWaking = minutesSinceWaking
    self.day = day
    self.wakeSource = wakeSource
    self.wake = wake
  }
}

/// Where a waking time came from.
public enum WakeSource: String, Sendable, Hashable, Codable {
  /// A wake-time column of the export.
  case wakeColumn = "wake-column"
  /// A sleep-diary file.
  case diary = "diary"
  /// A sample labelled as taken at awakening (its collection time is the waking).
  case awakeningSample = "awakening-sample"
  /// The export gave minutes since waking directly (research formats).
  case export = "export"
  /// No waking time was given: the first sample of the day stands in for it.
  case firstSampleEstimated = "first-sample-estimated"
}

/// Something a normalization screen found about a sample, with the rule that fired.
public struct SampleFlag: Sendable, Hashable, Codable, CustomStringConvertible {
  /// A stable identifier, e.g. `conflict` or `wake-estimated`.
  public var code: String
  /// The finding in words, with the values and thresholds used.
  public var message: String

  /// Creates a flag.
  public init(code: String, message: String) {
    self.code = code
    self.message = message
  }

  public var description: String { "\(code): \(message)" }
}
