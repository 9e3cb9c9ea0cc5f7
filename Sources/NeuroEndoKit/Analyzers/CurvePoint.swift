/// A cortisol value placed on a feature's time axis (minutes since waking, or since a
/// protocol event), in the canonical unit.
public struct CurvePoint: Sendable, Hashable {
  /// Minutes since the anchor.
  public var minutes: Double
  /// The value in nmol/L (a censored value substituted by the settings' policy).
  public var value: Double
  /// The sample's label in its protocol, when it has one.
  public var label: String?
  /// The normalizer's flags on the sample, by code.
  public var flags: Set<String>
  /// The wall-clock hour of the collection (0..<24), when the sample has a collection time.
  public var clockHours: Double?

  /// Creates a point.
  public init(
    minutes: Double, value: Double, label: String? = nil, flags: Set<String> = [],
    clockHours: Double? = nil
  ) {
    self.minutes = minutes
    self.value = value
    self.label = label
    self.flags = flags
    self.clockHours = clockHours
  }

  /// The sample as a reader finds it in the outputs: `S2 (+30 min)`, or its clock time
  /// when it has no label: `07:02 (+32 min)`.
  public var name: String {
    let sign = minutes < 0 ? "" : "+"
    var prefix = label ?? "sample"
    if label == nil, let clockHours { prefix = NumberText.clock(hours: clockHours) }
    return "\(prefix) (\(sign)\(NumberText.short(minutes)) min)"
  }
}

/// A sample left out of a feature, and why.
public struct Exclusion: Sendable, Hashable, CustomStringConvertible {
  /// The sample, as ``CurvePoint/name`` writes it.
  public var sample: String
  /// Why it was left out, naming the rule or setting.
  public var reason: String

  /// Creates an exclusion.
  public init(sample: String, reason: String) {
    self.sample = sample
    self.reason = reason
  }

  public var description: String { "\(sample): \(reason)" }
}

/// The samples of one subject-day (or one protocol run) turned into curve points: the
/// ones no feature may use are excluded with their reason, censored values are treated as
/// the settings say, and every substitution is noted. The missing-data policy of every
/// feature starts here.
struct CurveSelection {
  /// The usable points, in time order.
  var points: [CurvePoint] = []
  /// The samples left out of every feature.
  var excluded: [Exclusion] = []
  /// Censored values taken at a substitute, one note each.
  var notes: [String] = []

  init(
    _ samples: [NormalizedSample], minutes: (NormalizedSample) -> Double, settings: AnalyzerSettings
  ) {
    select(samples, minutes: minutes, settings: settings)
  }

  /// No selection yet: ``select(_:minutes:settings:)`` makes one.
  init() {}

  /// Selects the points of `samples` anew, in the storage of the last selection's points:
  /// an analyzer going from day to day allocates no points array per day (the exclusions
  /// and notes, which the day's features keep, are new arrays; most days have none).
  mutating func select<Samples: Sequence<NormalizedSample>>(
    _ samples: Samples, minutes: (NormalizedSample) -> Double, settings: AnalyzerSettings
  ) {
    points.removeAll(keepingCapacity: true)
    excluded = []
    notes = []
    for sample in samples {
      var point = CurvePoint(
        minutes: minutes(sample), value: sample.value.value, label: sample.sample.label,
        flags: sample.flags.isEmpty ? [] : Set(sample.flags.map(\.code)),
        clockHours: sample.collected?.local.hourOfDay)
      if let flag = sample.flags.first(where: { settings.excludeFlags.contains($0.code) }) {
        excluded.append(
          Exclusion(sample: point.name, reason: "flagged \(flag.code) (\(flag.message))"))
        continue
      }
      let censoring = sample.value.censoring
      if censoring != .none {
        let written =
          "\(censoring.rawValue)\(NumberText.plain(point.value)) \(sample.value.unit.ucum)"
        switch settings.censored {
        case .exclude:
          excluded.append(
            Exclusion(sample: point.name, reason: "censored \(written) (censored: exclude)"))
          continue
        case .limit:
          notes.append(
            "\(point.name): censored \(written) taken as \(NumberText.plain(point.value)) (censored: limit)"
          )
        case .halfLimit:
          point.value /= 2
          notes.append(
            "\(point.name): censored \(written) taken as \(NumberText.plain(point.value)) (censored: half-limit)"
          )
        }
      }
      guard point.value.isFinite, point.minutes.isFinite else {
        excluded.append(Exclusion(sample: point.name, reason: "not a finite value or time"))
        continue
      }
      points.append(point)
    }
    points.sort { $0.minutes < $1.minutes }
  }
}
