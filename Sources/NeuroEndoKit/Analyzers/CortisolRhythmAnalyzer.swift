/// Every cortisol rhythm feature of one subject-day (a day runs from one waking to the next).
public struct SubjectDayFeatures: Sendable, Hashable {
  /// The subject.
  public var subjectID: String
  /// The subject's day (from the normalizer's alignment).
  public var day: Int
  /// Where the day's waking time came from.
  public var wakeSource: WakeSource
  /// The cortisol samples of the day of the analysed specimens, usable or not.
  public var samples: Int
  /// The cortisol awakening response.
  public var awakening: AwakeningResponse
  /// The diurnal slopes.
  public var slope: DiurnalSlope
  /// The cosinor.
  public var cosinor: CosinorRhythm
  /// Samples left out of every feature (flags, censoring), with the reason.
  public var excluded: [Exclusion]
  /// Censored values taken at a substitute.
  public var notes: [String]

  /// Every reason a feature is missing, prefixed by the feature or analyzer.
  public var reasons: [FeatureReason] { awakening.reasons + slope.reasons + cosinor.reasons }
}

/// What the cortisol rhythm analyzers found in a run.
public struct CortisolRhythmFeatures: Sendable {
  /// One entry per subject-day, by subject and day.
  public var days: [SubjectDayFeatures] = []
  /// One flattened-slope verdict per subject with subject-days, by subject.
  public var subjects: [FlattenedVerdict] = []
  /// One entry per subject (and day) with samples timed from the response anchor.
  public var responses: [ResponseFeatures] = []
  /// Cortisol samples of the analysed specimens that neither a subject-day nor the
  /// response anchor could place, by reason.
  public var unplaced: [String: Int] = [:]
  /// Cortisol samples of specimens that `settings.analyze.specimens` leaves out, by
  /// specimen: every sample of such a specimen is left out.
  public var specimensLeftOut: [String: Int] = [:]
}

/// Runs the cortisol rhythm analyzers over the normalized samples of a run: groups the
/// salivary cortisol samples into subject-days and protocol runs, applies the missing-data
/// policy (`CurveSelection`), and computes CAR, slopes, cosinor, response features and
/// the flattened verdicts.
public struct CortisolRhythmAnalyzer: Sendable {
  /// The settings of all the rhythm analyzers.
  public var settings: AnalyzerSettings

  /// Creates the analyzer.
  public init(settings: AnalyzerSettings = AnalyzerSettings()) { self.settings = settings }

  private struct DayKey: Hashable {
    var subject: String
    var day: Int
  }

  /// Analyzes the samples of a run.
  public func analyze(_ samples: [NormalizedSample]) -> CortisolRhythmFeatures {
    var result = CortisolRhythmFeatures()
    var dayGroups: [DayKey: [NormalizedSample]] = [:]
    var responseGroups: [DayKey: [NormalizedSample]] = [:]
    let anchor = TimeAnchor.event(settings.response.anchor)
    for sample in samples where sample.sample.analyte == .cortisol {
      guard settings.specimens.contains(sample.sample.specimen) else {
        result.specimensLeftOut[sample.sample.specimen.rawValue, default: 0] += 1
        continue
      }
      if let position = sample.circadian {
        dayGroups[DayKey(subject: sample.sample.subjectID, day: position.day), default: []].append(
          sample)
      } else if let relative = sample.sample.relativeTime, relative.anchor == anchor {
        responseGroups[
          DayKey(subject: sample.sample.subjectID, day: sample.sample.day ?? 0), default: []
        ]
        .append(sample)
      } else if let relative = sample.sample.relativeTime {
        result.unplaced[
          "timed from '\(relative.anchor)', not the response anchor '\(settings.response.anchor)' (settings.analyze.response.anchor, or --anchor)",
          default: 0] += 1
      } else {
        result.unplaced["with no collection time or time since waking", default: 0] += 1
      }
    }
    let car = AwakeningResponseAnalyzer(settings: settings.car)
    let slope = DiurnalSlopeAnalyzer(
      settings: settings.slope, awakeningWindowMinutes: settings.car.windowMinutes)
    let cosinor = CosinorAnalyzer(settings: settings.cosinor)
    let dayKeys = dayGroups.keys.sorted { ($0.subject, $0.day) < ($1.subject, $1.day) }
    result.days.reserveCapacity(dayKeys.count)
    for key in dayKeys {
      let group = dayGroups[key]!
      let selection = CurveSelection(
        group, minutes: { $0.circadian!.minutesSinceWaking }, settings: settings)
      let wakeSource = group[0].circadian!.wakeSource
      result.days.append(
        SubjectDayFeatures(
          subjectID: key.subject, day: key.day, wakeSource: wakeSource, samples: group.count,
          awakening: car.analyze(selection.points, wakeSource: wakeSource),
          slope: slope.analyze(selection.points), cosinor: cosinor.analyze(selection.points),
          excluded: selection.excluded, notes: selection.notes))
    }
    result.subjects = FlattenedSlopeAnalyzer(settings: settings.flattened).judge(result.days)
    let response = ResponseAnalyzer(settings: settings.response)
    for key in responseGroups.keys.sorted(by: { ($0.subject, $0.day) < ($1.subject, $1.day) }) {
      let group = responseGroups[key]!
      let selection = CurveSelection(
        group, minutes: { $0.sample.relativeTime!.minutes }, settings: settings)
      var features = ResponseFeatures(
        subjectID: key.subject, day: group[0].sample.day, anchor: settings.response.anchor,
        attributes: group[0].sample.attributes, excluded: selection.excluded, notes: selection.notes
      )
      response.analyze(selection.points, into: &features)
      result.responses.append(features)
    }
    return result
  }
}
