/// The columns of the feature tables (documented in the Outputs article): values at full precision
/// in the units named there, an empty cell where a feature was not computed, and the reason
/// in the `reason` column.
public enum FeatureTables {
  /// The header of `features-subject-day.csv`.
  public static let subjectDayHeader = [
    "subject_id", "day", "car_auc_g", "car_auc_i", "car_increase", "car_increase_percent",
    "car_r30", "slope_wake_bed", "slope_peak_bed", "slope_log", "slope_log_se", "cosinor_mesor",
    "cosinor_amplitude", "cosinor_acrophase_h", "cosinor_acrophase_since_waking_h",
    "car_time_to_peak", "car_n", "slope_log_n", "cosinor_n", "cosinor_mesor_low",
    "cosinor_mesor_high", "cosinor_amplitude_low", "cosinor_amplitude_high",
    "cosinor_acrophase_low_h", "cosinor_acrophase_high_h", "cosinor_p", "cosinor_warning",
    "wake_source", "samples", "excluded", "notes", "reason",
  ]

  /// The row of one subject-day.
  public static func row(_ day: SubjectDayFeatures) -> [String] {
    let car = day.awakening
    let slope = day.slope
    let fit = day.cosinor.fit
    var excluded = day.excluded
    excluded += slope.excluded
    return [
      day.subjectID, String(day.day), cell(car.aucG), cell(car.aucI), cell(car.increase),
      cell(car.increasePercent), cell(car.r30), cell(slope.wakeToBed), cell(slope.peakToBed),
      cell(slope.logSlope), cell(slope.logSlopeStandardError), cell(fit?.mesor),
      cell(fit?.amplitude), cell(day.cosinor.acrophaseClockHours), cell(fit?.peakHours),
      cell(car.timeToPeak), String(car.used), String(slope.logCount), String(day.cosinor.used),
      cell(fit?.mesorInterval?.lowerBound), cell(fit?.mesorInterval?.upperBound),
      cell(fit?.amplitudeInterval?.lowerBound), cell(fit?.amplitudeInterval?.upperBound),
      cell(fit?.peakInterval?.lowerBound), cell(fit?.peakInterval?.upperBound), cell(fit?.pValue),
      day.cosinor.warnings.joined(separator: "; "), day.wakeSource.rawValue, String(day.samples),
      excluded.map(\.description).joined(separator: "; "), day.notes.joined(separator: "; "),
      day.reasons.map(\.code).joined(separator: "; "),
    ]
  }

  /// The header of `features-subject.csv`.
  public static let subjectHeader = [
    "subject_id", "valid_days", "slope_log_mean", "flattened", "flattened_rule", "days",
    "slope_log_sd", "cohort_z", "cohort_percentile",
  ]

  /// The row of one subject's verdict.
  public static func row(_ verdict: FlattenedVerdict) -> [String] {
    [
      verdict.subjectID, String(verdict.validDays), cell(verdict.slopeLogMean),
      verdict.outcome.rawValue, verdict.rule, String(verdict.days), cell(verdict.slopeLogSD),
      cell(verdict.cohortZ), cell(verdict.cohortPercentile),
    ]
  }

  /// The header of `features-response.csv` for the slope pairs of the settings.
  public static func responseHeader(slopes: [[String]]) -> [String] {
    ["subject_id", "day", "anchor", "attributes", "response_n"]
      + [
        "response_auc_g", "response_auc_i", "response_auc_i_post", "response_max_increase",
        "response_max_increase_percent",
      ] + slopes.filter { $0.count == 2 }.map { "response_slope_\($0[0])_\($0[1])" }
      + ["excluded", "notes", "reason"]
  }

  /// The row of one subject's response.
  public static func row(_ response: ResponseFeatures) -> [String] {
    [
      response.subjectID, response.day.map(String.init) ?? "", response.anchor,
      response.attributes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(
        separator: ";"),
      String(response.used), cell(response.aucG), cell(response.aucI), cell(response.aucIPost),
      cell(response.maxIncrease), cell(response.maxIncreasePercent),
    ] + response.slopes.map { cell($0.value) }
      + [
        response.excluded.map(\.description).joined(separator: "; "),
        response.notes.joined(separator: "; "),
        response.reasons.map(\.code).joined(separator: "; "),
      ]
  }

  /// A value at full precision (shortest text that reads back as the same `Double`), or empty.
  static func cell(_ value: Double?) -> String {
    guard let value, value.isFinite else { return "" }
    return SampleTable.format(value)
  }
}
