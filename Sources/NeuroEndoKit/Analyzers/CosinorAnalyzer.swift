import Synchronization

/// The 24-hour cosinor of one subject-day, with the acrophase as clock time and as time
/// since waking.
public struct CosinorRhythm: Sendable, Hashable {
  /// The fit on hours since waking, when one could be made.
  public var fit: CosinorFit?
  /// The fitted peak as wall-clock hours (0..<24), when the samples have clock times.
  public var acrophaseClockHours: Double?
  /// The samples fitted.
  public var used = 0
  /// Why the fit is weak (too few samples, samples bunched in part of the cycle, no rhythm).
  public var warnings: [String] = []
  /// Why features are missing, each prefixed by the feature.
  public var reasons: [FeatureReason] = []
}

/// Fits the cosinor (analyzer `cosinor`) to the samples of one subject-day.
public struct CosinorAnalyzer: Sendable {
  /// The analyzer's key in pipeline files and outputs.
  public static let identifier = "cosinor"
  /// The settings (fixed: the quantile table below is made from them).
  public let settings: CosinorSettings

  /// Two-sided t quantiles of the confidence level by degrees of freedom (index 0 unused),
  /// made once: a quantile takes a few dozen incomplete-beta evaluations.
  private let quantiles: [Double]

  /// The quantile tables made so far, by confidence level: each partition of a run makes
  /// an analyzer, and a table costs about 2 ms.
  private static let tables = Mutex<[UInt64: [Double]]>([:])

  /// Creates the analyzer.
  public init(settings: CosinorSettings = CosinorSettings()) {
    self.settings = settings
    let key = settings.confidence.bitPattern
    if let known = Self.tables.withLock({ $0[key] }) {
      quantiles = known
    } else {
      quantiles =
        [.nan] + (1...48).map { Self.quantile(degrees: $0, confidence: settings.confidence) }
      Self.tables.withLock { [quantiles] in $0[key] = quantiles }
    }
  }

  private static func quantile(degrees: Int, confidence: Double) -> Double {
    Distributions.studentTQuantile(1 - (1 - confidence) / 2, degrees: Double(degrees))
  }

  /// Fits the day's usable samples (minutes since waking).
  public func analyze(_ points: [CurvePoint]) -> CosinorRhythm {
    var scratch = CurveScratch()
    return analyze(points, scratch: &scratch)
  }

  /// Fits the day's usable samples with the buffers of `scratch`, reused from day to day.
  func analyze(_ points: [CurvePoint], scratch: inout CurveScratch) -> CosinorRhythm {
    var result = CosinorRhythm()
    result.used = points.count
    let period = settings.periodHours
    scratch.hours.removeAll(keepingCapacity: true)
    scratch.values.removeAll(keepingCapacity: true)
    for point in points {
      scratch.hours.append(point.minutes / 60)
      scratch.values.append(point.value)
    }
    guard points.count >= 3 else {
      result.reasons.append(
        FeatureReason(
          .cosinorTooFewSamples,
          "cosinor: \(points.count) sample\(points.count == 1 ? "" : "s") (a fit needs 3)"))
      return result
    }
    let (table, confidence) = (quantiles, settings.confidence)
    guard
      let fit = CosinorFit(
        hours: scratch.hours, values: scratch.values, period: period, confidence: confidence,
        tQuantile: {
          $0 < table.count ? table[$0] : Self.quantile(degrees: $0, confidence: confidence)
        }, scratch: &scratch)
    else {
      result.reasons.append(
        FeatureReason(
          .cosinorTimesInseparable,
          "cosinor: the sampling times do not separate MESOR, amplitude and acrophase"))
      return result
    }
    result.fit = fit
    if let clocked = points.first(where: { $0.clockHours != nil }) {
      let wakeClock = clocked.clockHours! - clocked.minutes / 60
      var clock = (wakeClock + fit.peakHours).truncatingRemainder(dividingBy: 24)
      if clock < 0 { clock += 24 }
      result.acrophaseClockHours = clock
    } else {
      result.reasons.append(
        FeatureReason(
          .cosinorNoClockTime,
          "cosinor_acrophase_h: the samples have no clock time (minutes since waking only)"))
    }
    if fit.pValue == nil {
      result.reasons.append(
        FeatureReason(
          .cosinorNoDegreesOfFreedom,
          "cosinor_ci: 3 samples leave no degrees of freedom for intervals or the F-test"))
    } else if fit.amplitudeInterval == nil {
      result.reasons.append(
        FeatureReason(.cosinorZeroAmplitude, "cosinor_ci: amplitude 0, no acrophase interval"))
    }
    if points.count < settings.minimumSamples {
      result.warnings.append(
        "weak fit: \(points.count) samples (fewer than \(settings.minimumSamples), cosinor.min_samples)"
      )
    }
    let coverage = Self.coverage(scratch.hours, period: period, phases: &scratch.phases)
    if coverage < settings.minimumCoverageHours {
      result.warnings.append(
        "bunched: samples cover \(NumberText.short(coverage)) h of the \(NumberText.short(period)) h cycle (less than \(NumberText.short(settings.minimumCoverageHours)), cosinor.min_coverage_hours)"
      )
    }
    if let p = fit.pValue, p >= 1 - settings.confidence {
      result.warnings.append(
        "no rhythm detected: p = \(NumberText.significant(p, 3)) >= \(NumberText.short(1 - settings.confidence)); acrophase uncertain"
      )
    }
    return result
  }

  /// The hours of the cycle between the first and last sample taken around the clock: the
  /// period less the largest gap between neighbouring sample phases.
  static func coverage(_ hours: [Double], period: Double) -> Double {
    var phases: [Double] = []
    return coverage(hours, period: period, phases: &phases)
  }

  /// ``coverage(_:period:)`` with the phases sorted in `phases` (reused from day to day).
  static func coverage(_ hours: [Double], period: Double, phases: inout [Double]) -> Double {
    phases.removeAll(keepingCapacity: true)
    for hour in hours {
      let phase = hour.truncatingRemainder(dividingBy: period)
      phases.append(phase < 0 ? phase + period : phase)
    }
    phases.sort()
    guard let first = phases.first, let last = phases.last else { return 0 }
    var gap = first + period - last
    for index in 1..<phases.count { gap = max(gap, phases[index] - phases[index - 1]) }
    return period - gap
  }
}
