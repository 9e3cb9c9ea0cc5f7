import Foundation

/// The columns of `normalized-samples.csv` (documented in the Outputs article) and the lines of
/// `normalized-samples.ndjson`.
public enum NormalizedTable {
  /// The header row.
  public static let header = [
    "subject_id", "analyte", "specimen", "value", "unit", "censoring", "original_value",
    "original_unit", "collected_at", "time_resolution", "clock_time", "minutes_since_waking", "day",
    "wake_at",
    "wake_source", "label", "test_code", "flags", "source_file", "source_record", "source_column",
  ]

  /// The row for one normalized sample.
  public static func row(_ normalized: NormalizedSample) -> [String] {
    let sample = normalized.sample
    return [
      sample.subjectID, sample.analyte.rawValue, sample.specimen.rawValue,
      SampleTable.format(normalized.value.value), normalized.value.unit.ucum,
      normalized.value.censoring.rawValue, SampleTable.format(sample.quantity.value),
      sample.quantity.unit.ucum, normalized.collected?.description ?? "",
      normalized.timeResolution?.rawValue ?? "", normalized.collected.map(clockTime) ?? "",
      normalized.circadian.map { SampleTable.format($0.minutesSinceWaking) } ?? "",
      normalized.circadian.map { String($0.day) } ?? "",
      normalized.circadian?.wake?.description ?? "",
      normalized.circadian?.wakeSource.rawValue ?? "",
      sample.label ?? "", sample.testCode ?? "",
      normalized.flags.map(\.code).joined(separator: ";"), sample.provenance.file,
      sample.provenance.record.map(String.init) ?? "",
      sample.provenance.column ?? sample.provenance.path ?? "",
    ]
  }

  /// The wall-clock time of day, `HH:MM:SS`, in the time's own offset.
  static func clockTime(_ time: CollectionTime) -> String {
    String(time.local.description.split(separator: "T").last ?? "")
  }
}
