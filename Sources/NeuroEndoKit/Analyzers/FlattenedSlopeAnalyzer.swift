import Foundation

/// Whether a subject's diurnal cortisol slope is flattened, with the rule that decided.
public struct FlattenedVerdict: Sendable, Hashable {
  /// The outcome.
  public enum Outcome: String, Sendable, Hashable {
    case flattened = "yes"
    case notFlattened = "no"
    case insufficientData = "insufficient-data"
  }

  /// The subject.
  public var subjectID: String
  /// Subject-days with any cortisol sample.
  public var days: Int
  /// Days with a regression slope.
  public var validDays: Int
  /// The mean ln slope over the valid days, per hour.
  public var slopeLogMean: Double?
  /// The standard deviation of the valid days' slopes (n - 1), with two days or more.
  public var slopeLogSD: Double?
  /// The subject's z-score in the cohort, when the cohort rule ran.
  public var cohortZ: Double?
  /// The share of cohort subjects (%) with a mean slope at or below this subject's, when the cohort rule ran.
  public var cohortPercentile: Double?
  /// The verdict.
  public var outcome: Outcome
  /// The rules that ran, with their thresholds and values; the ones that fired first.
  public var rule: String
}

/// Decides, per subject, whether the diurnal slope is flattened (analyzer `flattened_slope`):
/// by an absolute threshold on the mean ln slope and, optionally, relative to the cohort.
public struct FlattenedSlopeAnalyzer: Sendable {
  /// The analyzer's key in pipeline files and outputs.
  public static let identifier = "flattened_slope"
  /// The settings.
  public var settings: FlattenedSlopeSettings

  /// Creates the analyzer.
  public init(settings: FlattenedSlopeSettings = FlattenedSlopeSettings()) {
    self.settings = settings
  }

  /// The mean (of one value or more) and the sample standard deviation, n - 1 (of two or more).
  static func meanAndSD(_ values: [Double]) -> (mean: Double?, sd: Double?) {
    guard !values.isEmpty else { return (nil, nil) }
    let mean = values.reduce(0, +) / Double(values.count)
    guard values.count >= 2 else { return (mean, nil) }
    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
    return (mean, variance.squareRoot())
  }

  /// The mean ln slopes of a cohort's subjects that have enough valid days for a verdict,
  /// in subject order: what the cohort rule compares each subject with.
  public func cohortSlopes(_ verdicts: [FlattenedVerdict]) -> [Double] {
    inCohort(verdicts).map { $0.slopeLogMean! }
  }

  /// The verdicts of the subjects the cohort rule compares with: those with enough valid
  /// days (and so a mean slope).
  func inCohort(_ verdicts: [FlattenedVerdict]) -> [FlattenedVerdict] {
    verdicts.filter { $0.validDays >= settings.minimumValidDays }
  }

  /// Judges every subject of the subject-days.
  ///
  /// - Parameters:
  ///   - days: the subject-days, by subject (any order is gathered by subject first).
  ///   - wholeCohort: the mean ln slopes of the whole cohort (``cohortSlopes(_:)`` of
  ///     every subject, in subject order) when `days` are only part of it (a partition of a
  ///     run, or some subjects' pages): the cohort rule compares each subject with the whole
  ///     cohort, not with the part. `nil`: `days` are the whole cohort.
  public func judge(_ days: [SubjectDayFeatures], cohort wholeCohort: [Double]? = nil)
    -> [FlattenedVerdict]
  {
    // The days come by subject (the rhythm analyzer's order): each subject's run of days
    // is one group; in any other order, they are gathered by subject first.
    var groups: [(subject: String, days: ArraySlice<SubjectDayFeatures>)] = []
    // By index: a pair of days zipped is a copy of each.
    if days.indices.dropFirst().allSatisfy({ days[$0 - 1].subjectID <= days[$0].subjectID }) {
      var start = days.startIndex
      while start < days.endIndex {
        let subject = days[start].subjectID
        var end = start + 1
        while end < days.endIndex, days[end].subjectID == subject { end += 1 }
        groups.append((subject, days[start..<end]))
        start = end
      }
    } else {
      let bySubject = Dictionary(grouping: days, by: \.subjectID)
      groups = bySubject.keys.sorted().map { ($0, ArraySlice(bySubject[$0]!)) }
    }
    var verdicts: [FlattenedVerdict] = []
    verdicts.reserveCapacity(groups.count)
    for (subject, days) in groups {
      let slopes = days.compactMap(\.slope.logSlope)
      var verdict = FlattenedVerdict(
        subjectID: subject, days: days.count, validDays: slopes.count, outcome: .insufficientData,
        rule: "")
      (verdict.slopeLogMean, verdict.slopeLogSD) = Self.meanAndSD(slopes)
      if slopes.count < settings.minimumValidDays {
        verdict.rule =
          "insufficient data: \(slopes.count) valid day\(slopes.count == 1 ? "" : "s") with a regression slope (needs \(settings.minimumValidDays), flattened_slope.min_valid_days)"
      }
      verdicts.append(verdict)
    }
    let judged = verdicts.indices.filter { verdicts[$0].validDays >= settings.minimumValidDays }
    let cohort = wholeCohort ?? cohortSlopes(verdicts)
    let (mean, sd) = Self.meanAndSD(cohort)
    let cohortMean = mean ?? 0
    let cohortSD = sd ?? 0
    let cohortRuns =
      settings.cohort != .none && cohort.count >= settings.minimumCohortSubjects && cohortSD > 0
    // Sorted once: a subject's percentile is a binary search, not a pass over the cohort
    // (which made a cohort of 200,000 subjects take 40 billion comparisons).
    // (Both rules say the percentile.)
    let sorted = cohortRuns ? cohort.sorted() : []
    for index in judged {
      let mean = verdicts[index].slopeLogMean!
      let n = verdicts[index].validDays
      let absolute = mean > settings.threshold
      var fired: [String] = []
      var passed: [String] = []
      let absoluteText =
        "absolute: mean ln slope \(NumberText.short(mean))/h over \(n) days \(absolute ? ">" : "<=") \(NumberText.short(settings.threshold))/h (flattened_slope.threshold)"
      if absolute { fired.append(absoluteText) } else { passed.append(absoluteText) }
      if settings.cohort != .none && !cohortRuns {
        passed.append(
          "cohort rule not applied: \(cohort.count) subjects with \(settings.minimumValidDays)+ valid days\(cohortSD > 0 || cohort.count < 2 ? "" : " and no spread") (needs \(settings.minimumCohortSubjects), flattened_slope.cohort_min_subjects)"
        )
      } else if cohortRuns {
        let z = (mean - cohortMean) / cohortSD
        let percentile = 100 * Double(Self.countAtOrBelow(mean, in: sorted)) / Double(cohort.count)
        verdicts[index].cohortZ = z
        verdicts[index].cohortPercentile = percentile
        switch settings.cohort {
        case .zScore:
          let hit = z >= settings.zScore
          let text =
            "cohort z-score: \(NumberText.short(z)) \(hit ? ">=" : "<") \(NumberText.short(settings.zScore)) (cohort mean \(NumberText.short(cohortMean))/h, SD \(NumberText.short(cohortSD)), \(cohort.count) subjects; flattened_slope.z_score)"
          if hit { fired.append(text) } else { passed.append(text) }
        case .percentile:
          let hit = percentile >= settings.percentile
          let text =
            "cohort percentile: \(NumberText.short(percentile)) \(hit ? ">=" : "<") \(NumberText.short(settings.percentile)) (\(cohort.count) subjects; flattened_slope.percentile)"
          if hit { fired.append(text) } else { passed.append(text) }
        case .none: break
        }
      }
      verdicts[index].outcome = fired.isEmpty ? .notFlattened : .flattened
      verdicts[index].rule = (fired + passed).joined(separator: "; ")
    }
    return verdicts
  }

  /// How many of the sorted values are at or below `value`.
  static func countAtOrBelow(_ value: Double, in sorted: [Double]) -> Int {
    var low = 0
    var high = sorted.count
    while low < high {
      let middle = (low + high) / 2
      if sorted[middle] <= value { low = middle + 1 } else { high = middle }
    }
    return low
  }
}
