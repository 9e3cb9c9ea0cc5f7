/// One waking per morning from every source a subject's data give: the wake column, the
/// minutes since waking an export wrote beside clock times, the sleep diary and samples
/// labelled as taken at awakening, in that order of precedence (a recorded waking before a
/// diary entry before a sample that stands for the waking; Stalder et al. 2016: verify
/// waking times).
///
/// Times from different sources within ``proximityMinutes`` of each other are one waking:
/// the preferred source's time is kept and the other noted (`wake-reconciled`). Times
/// further apart but within ``sameMorningHours`` are still one morning, never two days:
/// the preferred time is kept and the day flagged `wake-conflict`.
struct WakingReconciler {
  /// One waking, with the notes its day's samples carry.
  struct Waking {
    var seconds: Double
    var time: CollectionTime
    var source: WakeSource
    var notes: [SampleFlag] = []
  }

  /// Sources closer than this many hours belong to one morning.
  static let sameMorningHours: Double = 12

  /// Minutes within which two sources agree.
  let proximityMinutes: Double
  private var candidates: [Waking] = []

  init(proximityMinutes: Double) {
    self.proximityMinutes = proximityMinutes
  }

  /// The precedence of a source: lower wins.
  static func rank(_ source: WakeSource) -> Int {
    switch source {
    case .wakeColumn: 0
    case .export: 1
    case .diary: 2
    case .awakeningSample: 3
    case .firstSampleEstimated: 4
    }
  }

  /// Adds a waking time from a source.
  mutating func add(_ time: CollectionTime, _ source: WakeSource) {
    candidates.append(Waking(seconds: Normalizer.seconds(time), time: time, source: source))
  }

  /// The wakings, one per morning, in time order.
  func wakings() -> [Waking] {
    let ordered = candidates.enumerated().sorted {
      (Self.rank($0.element.source), $0.element.seconds, $0.offset)
        < (Self.rank($1.element.source), $1.element.seconds, $1.offset)
    }.map(\.element)
    var kept: [Waking] = []
    for candidate in ordered {
      let nearest = kept.indices.min {
        abs(kept[$0].seconds - candidate.seconds) < abs(kept[$1].seconds - candidate.seconds)
      }
      guard let nearest,
        abs(kept[nearest].seconds - candidate.seconds) < Self.sameMorningHours * 3600
      else {
        kept.append(candidate)
        continue
      }
      let chosen = kept[nearest]
      let minutes = abs(chosen.seconds - candidate.seconds) / 60
      if minutes == 0 { continue }  // the same waking from two sources: they agree
      let limit = NumberText.short(proximityMinutes)
      let pair =
        "\(candidate.source.rawValue) \(candidate.time) and \(chosen.source.rawValue) \(chosen.time)"
      if minutes <= proximityMinutes {
        guard chosen.source != candidate.source else { continue }
        kept[nearest].notes.append(
          SampleFlag(
            code: "wake-reconciled",
            message:
              "\(pair) are \(NumberText.short(minutes)) min apart (within \(limit), normalize.wake_proximity_minutes): one waking, \(chosen.source.rawValue) kept"
          ))
      } else {
        kept[nearest].notes.append(
          SampleFlag(
            code: "wake-conflict",
            message:
              "\(pair) are \(NumberText.short(minutes)) min apart (more than \(limit), normalize.wake_proximity_minutes): one waking, \(chosen.source.rawValue) kept; check the waking time"
          ))
      }
    }
    return kept.sorted { $0.seconds < $1.seconds }
  }
}
