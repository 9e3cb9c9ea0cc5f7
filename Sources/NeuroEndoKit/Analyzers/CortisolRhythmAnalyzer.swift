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
  /// The whole cohort's mean ln slopes, when the samples analysed are only part of it (a
  /// partition, some subjects' pages): the flattened verdict's cohort rule compares each
  /// subject with these (``FlattenedSlopeAnalyzer/judge(_:cohort:)``).
  public var cohortSlopes: [Double]?

  /// Creates the analyzer.
  public init(settings: AnalyzerSettings = AnalyzerSettings(), cohortSlopes: [Double]? = nil) {
    self.settings = settings
    self.cohortSlopes = cohortSlopes
  }

  /// A sample's place in a group: its subject's rank (subjects in `<` order), the day,
  /// and its index in the run's samples (which keeps the order within a day as read).
  private struct Entry: Comparable {
    var subject: Int32
    var day: Int
    var index: Int

    static func < (a: Entry, b: Entry) -> Bool {
      (a.subject, a.day, a.index) < (b.subject, b.day, b.index)
    }
  }

  /// Analyzes the samples of a run.
  public func analyze(_ samples: [NormalizedSample]) -> CortisolRhythmFeatures {
    var result = CortisolRhythmFeatures()
    // One sort of the samples' places instead of a dictionary of groups: subjects are
    // numbered once per run of equal ids (samples come by subject), then ranked.
    var subjects = SubjectNumbers()
    func number(_ id: String) -> Int32 { Int32(subjects.number(id)) }
    var dayEntries: [Entry] = []
    var responseEntries: [Entry] = []
    dayEntries.reserveCapacity(samples.count)
    let anchor = TimeAnchor.event(settings.response.anchor)
    // The analysed specimens by their place among the cases: no set hashed per sample.
    let analysed = Specimen.allCases.map { settings.specimens.contains($0) }
    for (index, sample) in samples.enumerated() where sample.sample.analyte == .cortisol {
      guard analysed[Int(sample.sample.specimen.caseCode)] else {
        result.specimensLeftOut[sample.sample.specimen.rawValue, default: 0] += 1
        continue
      }
      if let position = sample.circadian {
        dayEntries.append(
          Entry(subject: number(sample.sample.subjectID), day: position.day, index: index))
      } else if let relative = sample.sample.relativeTime, relative.anchor == anchor {
        responseEntries.append(
          Entry(
            subject: number(sample.sample.subjectID), day: sample.sample.day ?? 0,
            index: index))
      } else if let relative = sample.sample.relativeTime {
        result.unplaced[
          "timed from '\(relative.anchor)', not the response anchor '\(settings.response.anchor)' (settings.analyze.response.anchor, or --anchor)",
          default: 0] += 1
      } else {
        result.unplaced["with no collection time or time since waking", default: 0] += 1
      }
    }
    let names = subjects.ids
    let order = names.indices.sorted { names[$0] < names[$1] }
    var rank = [Int32](repeating: 0, count: names.count)
    for (position, number) in order.enumerated() { rank[number] = Int32(position) }
    for index in dayEntries.indices {
      dayEntries[index].subject = rank[Int(dayEntries[index].subject)]
    }
    for index in responseEntries.indices {
      responseEntries[index].subject = rank[Int(responseEntries[index].subject)]
    }
    dayEntries.sort()
    responseEntries.sort()
    let byRank = order.map { names[$0] }
    /// Calls `body` with each group of equal subject and day, in order, as the range of its
    /// entries (the samples are read in place, not copied into a group).
    func groups(_ entries: [Entry], _ body: (String, Int, Range<Int>) -> Void) {
      var start = 0
      while start < entries.count {
        var end = start
        while end < entries.count, entries[end].subject == entries[start].subject,
          entries[end].day == entries[start].day
        {
          end += 1
        }
        body(byRank[Int(entries[start].subject)], entries[start].day, start..<end)
        start = end
      }
    }
    /// The samples of a group's entries, in the entries' order.
    func members(_ entries: [Entry], _ range: Range<Int>) -> some Sequence<NormalizedSample> {
      entries[range].lazy.map { samples[$0.index] }
    }
    // One selection and one scratch for every group: their storage is reused from day to
    // day.
    var selection = CurveSelection()
    var scratch = CurveScratch()
    let car = AwakeningResponseAnalyzer(settings: settings.car)
    let slope = DiurnalSlopeAnalyzer(
      settings: settings.slope, awakeningWindowMinutes: settings.car.windowMinutes)
    let cosinor = CosinorAnalyzer(settings: settings.cosinor)
    result.days.reserveCapacity(dayEntries.count / 4)
    groups(dayEntries) { subject, day, range in
      selection.select(
        members(dayEntries, range), minutes: { $0.circadian!.minutesSinceWaking },
        settings: settings)
      let wakeSource = samples[dayEntries[range.lowerBound].index].circadian!.wakeSource
      result.days.append(
        SubjectDayFeatures(
          subjectID: subject, day: day, wakeSource: wakeSource, samples: range.count,
          awakening: car.analyze(selection.points, wakeSource: wakeSource),
          slope: slope.analyze(selection.points, scratch: &scratch),
          cosinor: cosinor.analyze(selection.points, scratch: &scratch),
          excluded: selection.excluded, notes: selection.notes))
    }
    result.subjects = FlattenedSlopeAnalyzer(settings: settings.flattened).judge(
      result.days, cohort: cohortSlopes)
    let response = ResponseAnalyzer(settings: settings.response)
    groups(responseEntries) { subject, _, range in
      selection.select(
        members(responseEntries, range), minutes: { $0.sample.relativeTime!.minutes },
        settings: settings)
      let first = samples[responseEntries[range.lowerBound].index].sample
      var features = ResponseFeatures(
        subjectID: subject, day: first.day, anchor: settings.response.anchor,
        attributes: first.attributes, excluded: selection.excluded, notes: selection.notes
      )
      response.analyze(selection.points, into: &features)
      result.responses.append(features)
    }
    return result
  }
}
