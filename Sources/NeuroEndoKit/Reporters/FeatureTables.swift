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
    var cells = TextCells()
    write(day, into: &cells)
    return cells.cells
  }

  /// The cells of one subject-day, in the header's order.
  public static func write(_ day: SubjectDayFeatures, into row: inout some RowCells) {
    let car = day.awakening
    let slope = day.slope
    let fit = day.cosinor.fit
    row.text(day.subjectID)
    row.integer(day.day)
    // Cell by cell, not through an array of the cells per row (three allocations a row).
    row.number(car.aucG)
    row.number(car.aucI)
    row.number(car.increase)
    row.number(car.increasePercent)
    row.number(car.r30)
    row.number(slope.wakeToBed)
    row.number(slope.peakToBed)
    row.number(slope.logSlope)
    row.number(slope.logSlopeStandardError)
    row.number(fit?.mesor)
    row.number(fit?.amplitude)
    row.number(day.cosinor.acrophaseClockHours)
    row.number(fit?.peakHours)
    row.number(car.timeToPeak)
    row.integer(car.used)
    row.integer(slope.logCount)
    row.integer(day.cosinor.used)
    row.number(fit?.mesorInterval?.lowerBound)
    row.number(fit?.mesorInterval?.upperBound)
    row.number(fit?.amplitudeInterval?.lowerBound)
    row.number(fit?.amplitudeInterval?.upperBound)
    row.number(fit?.peakInterval?.lowerBound)
    row.number(fit?.peakInterval?.upperBound)
    row.number(fit?.pValue)
    row.text(day.cosinor.warnings.joined(separator: "; "))
    row.text(day.wakeSource.rawValue)
    row.integer(day.samples)
    row.text(pieces: pieces(of: day.excluded + slope.excluded))
    row.text(day.notes.joined(separator: "; "))
    row.text(pieces: pieces(day.reasons.map(\.code)))
  }

  /// The pieces of a list cell: the texts between `; `.
  static func pieces(_ texts: [String]) -> [String] {
    var pieces: [String] = []
    pieces.reserveCapacity(2 * texts.count)
    for text in texts {
      if !pieces.isEmpty { pieces.append("; ") }
      pieces.append(text)
    }
    return pieces
  }

  /// The pieces of an exclusions cell: each exclusion's description (`sample: reason`),
  /// between `; `.
  static func pieces(of exclusions: [Exclusion]) -> [String] {
    var pieces: [String] = []
    pieces.reserveCapacity(4 * exclusions.count)
    for exclusion in exclusions {
      if !pieces.isEmpty { pieces.append("; ") }
      pieces += [exclusion.sample, ": ", exclusion.reason]
    }
    return pieces
  }

  /// The header of `features-subject.csv`.
  public static let subjectHeader = [
    "subject_id", "valid_days", "slope_log_mean", "flattened", "flattened_rule", "days",
    "slope_log_sd", "cohort_z", "cohort_percentile",
  ]

  /// The row of one subject's verdict.
  public static func row(_ verdict: FlattenedVerdict) -> [String] {
    var cells = TextCells()
    write(verdict, into: &cells)
    return cells.cells
  }

  /// The cells of one subject's verdict, in the header's order.
  public static func write(_ verdict: FlattenedVerdict, into row: inout some RowCells) {
    row.text(verdict.subjectID)
    row.integer(verdict.validDays)
    row.number(verdict.slopeLogMean)
    row.text(verdict.outcome.rawValue)
    row.text(verdict.rule)
    row.integer(verdict.days)
    row.number(verdict.slopeLogSD)
    row.number(verdict.cohortZ)
    row.number(verdict.cohortPercentile)
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
    var cells = TextCells()
    write(response, into: &cells)
    return cells.cells
  }

  /// The cells of one subject's response, in the header's order.
  public static func write(_ response: ResponseFeatures, into row: inout some RowCells) {
    row.text(response.subjectID)
    row.text(response.day.map(String.init) ?? "")
    row.text(response.anchor)
    row.text(
      response.attributes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(
        separator: ";"))
    row.integer(response.used)
    for value in [
      response.aucG, response.aucI, response.aucIPost, response.maxIncrease,
      response.maxIncreasePercent,
    ] {
      row.number(value)
    }
    for slope in response.slopes { row.number(slope.value) }
    row.text(response.excluded.map(\.description).joined(separator: "; "))
    row.text(response.notes.joined(separator: "; "))
    row.text(response.reasons.map(\.code).joined(separator: "; "))
  }

  /// A value at full precision (shortest text that reads back as the same `Double`), or empty.
  static func cell(_ value: Double?) -> String {
    guard let value, value.isFinite else { return "" }
    return SampleTable.format(value)
  }
}

/// The cells of one row as a table's columns define them: texts as they are, numbers at
/// full precision (``NumberText/plain(_:)``), an empty cell for a missing or non-finite
/// number. A row collects them as texts (``TextCells``) or writes them as CSV bytes
/// (``CSVRow``).
public protocol RowCells {
  /// A text cell.
  mutating func text(_ text: String)
  /// A number cell: empty when missing or not finite.
  mutating func number(_ value: Double?)
  /// A text cell made of pieces (a list's items and separators): the cell
  /// `text(pieces.joined())` is.
  mutating func text(pieces: [String])
}

extension RowCells {
  /// An integer cell.
  public mutating func integer(_ value: Int) { text(String(value)) }

  public mutating func text(pieces: [String]) { text(pieces.joined()) }
}

/// A row's cells as texts.
public struct TextCells: RowCells {
  /// The cells so far.
  public var cells: [String] = []

  public init() {}

  public mutating func text(_ text: String) { cells.append(text) }

  public mutating func number(_ value: Double?) {
    cells.append(FeatureTables.cell(value))
  }
}
