import Foundation

/// Why a feature was not computed (or computed without one of its parts): a short code for
/// the tables, `slope_log:too-few-samples`, explained once in the run summary's legend, and
/// the full text with this day's numbers for the patient's report.
public struct FeatureReason: Sendable, Hashable, Codable, CustomStringConvertible {
  /// The short code: the feature, a colon, the cause.
  public var code: String
  /// The text with the day's numbers and the setting that decides:
  /// `slope_log: 1 sample for the regression (needs 3, diurnal_slope.min_samples)`.
  public var text: String

  public var description: String { text }

  /// A reason of a known code.
  init(_ code: Code, _ text: String) {
    self.code = code.rawValue
    self.text = text
  }

  /// Every code, with what it means in general.
  public enum Code: String, CaseIterable, Sendable {
    case carWakeEstimated = "car:wake-estimated"
    case carWakeConflict = "car:wake-conflict"
    case carNoSample = "car:no-sample"
    case carLateWakingSample = "car:late-waking-sample"
    case carOffSchedule = "car:off-schedule"
    case carTooFewSamples = "car:too-few-samples"
    case carIncreasePercentBase = "car_increase_percent:waking-value-not-positive"
    case carR30LateWakingSample = "car_r30:late-waking-sample"
    case carR30NoSample = "car_r30:no-30-min-sample"
    case cosinorTooFewSamples = "cosinor:too-few-samples"
    case cosinorTimesInseparable = "cosinor:times-inseparable"
    case cosinorNoClockTime = "cosinor_acrophase_h:no-clock-time"
    case cosinorNoDegreesOfFreedom = "cosinor_ci:no-degrees-of-freedom"
    case cosinorZeroAmplitude = "cosinor_ci:zero-amplitude"
    case wakeBedNoWakingSample = "slope_wake_bed:no-waking-sample"
    case wakeBedNoBedtimeSample = "slope_wake_bed:no-bedtime-sample"
    case peakBedNoPeakSample = "slope_peak_bed:no-peak-sample"
    case peakBedNoBedtimeSample = "slope_peak_bed:no-bedtime-sample"
    case logSlopeTooFewSamples = "slope_log:too-few-samples"
    case logSlopeShortSpan = "slope_log:short-span"
    case logSlopeOneTime = "slope_log:one-time"
    case logSlopeNoDegreesOfFreedom = "slope_log_se:no-degrees-of-freedom"
    case responseSlopeOneTime = "response_slope:one-time"
    case responseSlopeMissingSample = "response_slope:missing-sample"
    case responseTooFewSamples = "response:too-few-samples"
    case responsePostTooFewSamples = "response_auc_i_post:too-few-samples"
    case responseFirstZero = "response_max_increase_percent:first-value-zero"

    /// What the code means, for the legend.
    public var explanation: String {
      switch self {
      case .carWakeEstimated:
        "CAR not computed: the waking time is estimated from the first sample (car.require_known_wake)"
      case .carWakeConflict:
        "CAR not computed: the day's waking sources disagree (wake-conflict; car.require_known_wake)"
      case .carNoSample: "CAR not computed: no sample in the CAR window after waking"
      case .carLateWakingSample:
        "CAR not computed: the waking sample was taken too long after waking (car.max_waking_delay_minutes; Smyth 2013)"
      case .carOffSchedule:
        "CAR not computed: a CAR sample is off schedule (car.refuse_off_schedule)"
      case .carTooFewSamples:
        "CAR not computed: too few samples in the CAR window (car.min_samples)"
      case .carIncreasePercentBase:
        "car_increase_percent empty: the waking value is not above 0"
      case .carR30LateWakingSample:
        "car_r30 empty: the waking sample is later than the tolerance (car.tolerance_minutes)"
      case .carR30NoSample:
        "car_r30 empty: no sample within the tolerance of +30 min (car.tolerance_minutes)"
      case .cosinorTooFewSamples: "cosinor not fitted: fewer than 3 samples"
      case .cosinorTimesInseparable:
        "cosinor not fitted: the sampling times do not separate MESOR, amplitude and acrophase"
      case .cosinorNoClockTime:
        "cosinor_acrophase_h empty: the samples have no clock time (minutes since waking only)"
      case .cosinorNoDegreesOfFreedom:
        "cosinor intervals and p empty: 3 samples leave no degrees of freedom"
      case .cosinorZeroAmplitude: "cosinor acrophase interval empty: the amplitude is 0"
      case .wakeBedNoWakingSample:
        "slope_wake_bed empty: no sample near waking (diurnal_slope.wake_sample_minutes)"
      case .wakeBedNoBedtimeSample:
        "slope_wake_bed empty: no sample late enough after waking (diurnal_slope.min_span_hours)"
      case .peakBedNoPeakSample:
        "slope_peak_bed empty: no sample near the peak time (diurnal_slope.peak_minutes)"
      case .peakBedNoBedtimeSample:
        "slope_peak_bed empty: no sample late enough after the peak (diurnal_slope.min_span_hours)"
      case .logSlopeTooFewSamples:
        "slope_log empty: too few samples for the regression (diurnal_slope.min_samples)"
      case .logSlopeShortSpan:
        "slope_log empty: the samples cover too little of the day (diurnal_slope.min_span_hours)"
      case .logSlopeOneTime: "slope_log empty: all samples at one time"
      case .logSlopeNoDegreesOfFreedom:
        "slope_log_se empty: two samples leave no residual degrees of freedom"
      case .responseSlopeOneTime: "a response slope is empty: both samples at one time"
      case .responseSlopeMissingSample:
        "a response slope is empty: one of its two samples is missing or unusable"
      case .responseTooFewSamples: "response features not computed: fewer than 2 usable samples"
      case .responsePostTooFewSamples:
        "response_auc_i_post empty: fewer than 2 usable samples at t >= 0"
      case .responseFirstZero: "response_max_increase_percent empty: the first value is 0"
      }
    }
  }

  /// The legend of some codes: each with what it means.
  public static func legend(_ codes: some Sequence<String>) -> [String: String] {
    var legend: [String: String] = [:]
    for code in codes {
      legend[code] = Code(rawValue: code)?.explanation ?? "(no explanation known)"
    }
    return legend
  }
}
