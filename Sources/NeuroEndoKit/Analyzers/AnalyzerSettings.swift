/// Settings of the cortisol rhythm analyzers (`settings.analyze` in a pipeline file), with
/// the documented defaults below. Every threshold a feature or verdict uses is one of these,
/// and the outputs name the value used.
public struct AnalyzerSettings: Sendable, Hashable {
  /// How censored results (`<0.5`) enter the features.
  public enum CensoredPolicy: String, Sendable, Hashable, CaseIterable {
    /// Left out of every feature, listed with the reason (the default: no guessed values).
    case exclude
    /// Taken at the limit (`<0.5` as 0.5).
    case limit
    /// Taken at half the limit (`<0.5` as 0.25), a common substitution for values below detection.
    case halfLimit = "half-limit"
  }

  /// Specimens whose cortisol values the rhythm features use (salivary by default; serum
  /// results of clinical panels are single values, judged by the feedback analyzers).
  public var specimens: Set<Specimen> = [.saliva]
  /// Samples carrying one of these normalizer flags are left out of every feature.
  public var excludeFlags: Set<String> = [
    "conflict", "implausible", "suspected-unit-mixup", "outside-cleaning-range", "superseded",
  ]
  /// How censored results are treated.
  public var censored: CensoredPolicy = .exclude
  /// The cortisol awakening response (`car`).
  public var car = AwakeningResponseSettings()
  /// The response to a protocol event such as a stress test (`response`).
  public var response = ResponseSettings()
  /// The diurnal slopes (`diurnal_slope`).
  public var slope = DiurnalSlopeSettings()
  /// The 24-hour cosinor (`cosinor`).
  public var cosinor = CosinorSettings()
  /// The flattened-slope verdict (`flattened_slope`).
  public var flattened = FlattenedSlopeSettings()
  /// The feedback analyzers (`feedback`).
  public var feedback = FeedbackSettings()

  /// The defaults.
  public init() {}
}

/// Settings of the CAR analyzer.
public struct AwakeningResponseSettings: Sendable, Hashable {
  /// CAR samples are those taken this many minutes after waking or sooner (inclusive).
  public var windowMinutes: Double = 60
  /// The fewest CAR samples the features need.
  public var minimumSamples = 3
  /// A waking sample taken later than this after waking invalidates the CAR (Smyth 2013:
  /// more than 5 min is not adherent).
  public var maximumWakingDelayMinutes: Double = 5
  /// Whether a day whose waking time was estimated from its first sample is refused.
  public var requireKnownWake = true
  /// Whether a CAR sample flagged off schedule by the normalizer invalidates the day.
  public var refuseOffSchedule = false
  /// How far (minutes) a sample may lie from +30 to count as the R30 sample (and from 0 as
  /// the waking sample of R30).
  public var toleranceMinutes: Double = 5

  /// The defaults.
  public init() {}
}

/// Settings of the response analyzer (BioPsyKit's saliva features).
public struct ResponseSettings: Sendable, Hashable {
  /// The protocol event the sample times count from (a profile's `anchor`).
  public var anchor = "stressor"
  /// Pairs of sample labels to compute two-point slopes between, e.g. `[S1, S4]`.
  public var slopes: [[String]] = []
  /// Whether the first sample is left out of every response feature (BioPsyKit `remove_s0`).
  public var removeFirst = false

  /// The defaults.
  public init() {}
}

/// Settings of the diurnal slope analyzer.
public struct DiurnalSlopeSettings: Sendable, Hashable {
  /// The first sample of the day counts as the waking sample when taken this many minutes
  /// after waking or sooner (5, the adherence limit of Smyth 2013: a later first sample is
  /// already on the CAR's rise).
  public var wakeSampleMinutes: Double = 5
  /// The peak sample of the peak-to-bed slope is the one nearest this time after waking.
  public var peakMinutes: Double = 30
  /// How far from ``peakMinutes`` the peak sample may lie.
  public var peakToleranceMinutes: Double = 5
  /// The last sample counts as a bedtime sample, and a regression as covering the day, only
  /// when this many hours after the first sample or more.
  public var minimumSpanHours: Double = 8
  /// Whether the regression leaves out the CAR samples after the waking sample.
  public var excludeAwakeningResponse = true
  /// The fewest samples of the regression of ln(cortisol) on hours since waking.
  public var minimumSamples = 3

  /// The defaults.
  public init() {}
}

/// Settings of the cosinor analyzer.
public struct CosinorSettings: Sendable, Hashable {
  /// The period in hours.
  public var periodHours: Double = 24
  /// Fewer samples than this gives a "weak fit" warning (Methods: Cosinor).
  public var minimumSamples = 6
  /// Samples covering less of the cycle than this (hours between the first and last sample
  /// around the clock) give a "bunched" warning.
  public var minimumCoverageHours: Double = 12
  /// The confidence level of the intervals.
  public var confidence: Double = 0.95

  /// The defaults.
  public init() {}
}

/// Settings of the flattened-slope verdict (Methods: Diurnal slope and the flattened verdict).
public struct FlattenedSlopeSettings: Sendable, Hashable {
  /// How a subject is compared with the cohort, besides the absolute threshold.
  public enum CohortRule: String, Sendable, Hashable, CaseIterable {
    /// No cohort comparison (the default).
    case none
    /// Flattened when the subject's mean slope is ``zScore`` SDs or more flatter than the cohort's mean.
    case zScore = "z-score"
    /// Flattened when the subject's mean slope is at or above the cohort's ``percentile``-th percentile.
    case percentile
  }

  /// Flattened when the mean ln slope is flatter (greater) than this, per hour: -0.05 means
  /// that over a 15-hour day the evening level stays above about half the waking level.
  public var threshold: Double = -0.05
  /// The fewest days with a regression slope a verdict needs.
  public var minimumValidDays = 2
  /// The cohort rule.
  public var cohort: CohortRule = .none
  /// The z-score of the cohort rule.
  public var zScore: Double = 1
  /// The percentile of the cohort rule.
  public var percentile: Double = 80
  /// The fewest subjects with a mean slope the cohort rule needs.
  public var minimumCohortSubjects = 5

  /// The defaults.
  public init() {}
}
