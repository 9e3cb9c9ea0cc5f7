import Foundation

/// The diurnal cortisol slopes of one subject-day (Methods: Diurnal slope and the flattened verdict).
public struct DiurnalSlope: Sendable, Hashable {
  /// (C_bed - C_wake) / hours between them, nmol/L per hour.
  public var wakeToBed: Double?
  /// (C_bed - C_peak) / hours between them, with the peak the sample near +30 min, nmol/L per hour.
  public var peakToBed: Double?
  /// Least-squares slope of ln(cortisol, nmol/L) on hours since waking, per hour.
  public var logSlope: Double?
  /// The standard error of ``logSlope`` (n >= 3).
  public var logSlopeStandardError: Double?
  /// The samples of the regression.
  public var logCount = 0
  /// Samples the regression left out by design or for a value it cannot take the log of.
  public var excluded: [Exclusion] = []
  /// Why features are missing, each prefixed by the feature.
  public var reasons: [FeatureReason] = []
}

/// Computes the wake-to-bed, peak-to-bed and regression slopes (analyzer `diurnal_slope`).
public struct DiurnalSlopeAnalyzer: Sendable {
  /// The analyzer's key in pipeline files and outputs.
  public static let identifier = "diurnal_slope"
  /// The settings.
  public var settings: DiurnalSlopeSettings
  /// The CAR window: the regression leaves out the samples after waking inside it.
  public var awakeningWindowMinutes: Double

  /// Creates the analyzer.
  public init(
    settings: DiurnalSlopeSettings = DiurnalSlopeSettings(), awakeningWindowMinutes: Double = 60
  ) {
    self.settings = settings
    self.awakeningWindowMinutes = awakeningWindowMinutes
  }

  /// Computes the slopes from the day's usable samples (time order, minutes since waking).
  public func analyze(_ points: [CurvePoint]) -> DiurnalSlope {
    var scratch = CurveScratch()
    return analyze(points, scratch: &scratch)
  }

  /// Computes the slopes with the regression's hours and logarithms in `scratch`, reused
  /// from day to day.
  func analyze(_ points: [CurvePoint], scratch: inout CurveScratch) -> DiurnalSlope {
    var result = DiurnalSlope()
    let span = settings.minimumSpanHours
    let wake = points.first.flatMap {
      $0.minutes >= 0 && $0.minutes <= settings.wakeSampleMinutes ? $0 : nil
    }
    let last = points.last
    // Two-point slopes, from the waking sample and from the +30 sample to the bedtime sample.
    if let wake, let last, (last.minutes - wake.minutes) / 60 >= span {
      result.wakeToBed = (last.value - wake.value) / ((last.minutes - wake.minutes) / 60)
    } else if wake == nil {
      result.reasons.append(
        FeatureReason(
          .wakeBedNoWakingSample,
          "slope_wake_bed: no waking sample (first sample within \(NumberText.short(settings.wakeSampleMinutes)) min of waking, diurnal_slope.wake_sample_minutes)"
        ))
    } else {
      result.reasons.append(
        FeatureReason(.wakeBedNoBedtimeSample, noBedtime("slope_wake_bed", last!, after: wake!)))
    }
    // The first of the points closest to the peak time within its tolerance.
    var peak: CurvePoint?
    var peakDistance = Double.infinity
    for point in points {
      let distance = abs(point.minutes - settings.peakMinutes)
      if distance <= settings.peakToleranceMinutes, peak == nil || distance < peakDistance {
        peak = point
        peakDistance = distance
      }
    }
    if let peak, let last, (last.minutes - peak.minutes) / 60 >= span {
      result.peakToBed = (last.value - peak.value) / ((last.minutes - peak.minutes) / 60)
    } else if let peak {
      result.reasons.append(
        FeatureReason(.peakBedNoBedtimeSample, noBedtime("slope_peak_bed", last!, after: peak)))
    } else {
      result.reasons.append(
        FeatureReason(
          .peakBedNoPeakSample,
          "slope_peak_bed: no sample within \(NumberText.short(settings.peakToleranceMinutes)) min of +\(NumberText.short(settings.peakMinutes)) min (diurnal_slope.peak_minutes)"
        ))
    }
    // Regression of ln(cortisol) on hours since waking, over the points' hours and logs
    // (the points themselves are not copied).
    scratch.hours.removeAll(keepingCapacity: true)
    scratch.values.removeAll(keepingCapacity: true)
    scratch.leftOut.removeAll(keepingCapacity: true)
    // The first and last point regressed, in minutes (the span is their difference in
    // minutes, then in hours, as it was computed from the points).
    var regressed = (first: 0.0, last: 0.0)
    for point in points {
      // The times first: comparing a point with the waking one compares every field.
      if settings.excludeAwakeningResponse, point.minutes >= 0,
        point.minutes <= awakeningWindowMinutes, point != wake
      {
        scratch.leftOut.append(point)
      } else if point.value <= 0 {
        result.excluded.append(
          Exclusion(
            sample: point.name,
            reason: "slope_log: value \(NumberText.short(point.value)) has no logarithm"))
      } else {
        if scratch.hours.isEmpty { regressed.first = point.minutes }
        regressed.last = point.minutes
        scratch.hours.append(point.minutes / 60)
        scratch.values.append(log(point.value))
      }
    }
    if !scratch.leftOut.isEmpty {
      result.excluded.append(
        Exclusion(
          sample: scratch.leftOutList(),
          reason: "slope_log: CAR samples after waking left out (diurnal_slope.exclude_car)"))
    }
    let used = scratch.hours.count
    result.logCount = used
    guard used >= settings.minimumSamples else {
      result.reasons.append(
        FeatureReason(
          .logSlopeTooFewSamples,
          "slope_log: \(used) sample\(used == 1 ? "" : "s") for the regression (needs \(settings.minimumSamples), diurnal_slope.min_samples)"
        ))
      return result
    }
    let covered = (regressed.last - regressed.first) / 60
    guard covered >= span else {
      result.reasons.append(
        FeatureReason(
          .logSlopeShortSpan,
          "slope_log: samples cover \(NumberText.short(covered)) h of the day (needs \(NumberText.short(span)) h, diurnal_slope.min_span_hours)"
        ))
      return result
    }
    guard let fit = LeastSquares(x: scratch.hours, y: scratch.values) else {
      result.reasons.append(FeatureReason(.logSlopeOneTime, "slope_log: all samples at one time"))
      return result
    }
    result.logSlope = fit.slope
    result.logSlopeStandardError = fit.slopeStandardError
    if fit.slopeStandardError == nil {
      result.reasons.append(
        FeatureReason(
          .logSlopeNoDegreesOfFreedom,
          "slope_log_se: two samples leave no residual degrees of freedom"))
    }
    return result
  }

  /// Why `feature` has no bedtime sample after `start`.
  private func noBedtime(_ feature: String, _ last: CurvePoint, after start: CurvePoint) -> String {
    if last == start { return "\(feature): no sample after \(start.name)" }
    return
      "\(feature): last sample \(last.name) is \(NumberText.short((last.minutes - start.minutes) / 60)) h after \(start.name) (a bedtime sample needs \(NumberText.short(settings.minimumSpanHours)) h, diurnal_slope.min_span_hours)"
  }
}
