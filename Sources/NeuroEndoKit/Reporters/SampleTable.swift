/// The columns of `samples.csv`: canonical samples as read, one per row (documented in the Outputs article).
public enum SampleTable {
  /// The header row.
  public static let header = [
    "subject_id", "analyte", "specimen", "value", "unit", "censoring", "collected_at", "wake_at",
    "minutes_from_anchor", "anchor", "day", "label", "reference_low", "reference_high",
    "test_code", "qualifier", "attributes", "source_file", "source_record", "source_column",
    "time_zone",
  ]

  /// The row for one sample.
  public static func row(_ sample: Sample) -> [String] {
    [
      sample.subjectID, sample.analyte.rawValue, sample.specimen.rawValue,
      format(sample.quantity.value), sample.quantity.unit.ucum, sample.quantity.censoring.rawValue,
      sample.collected?.description ?? "", sample.wake?.description ?? "",
      sample.relativeTime.map { format($0.minutes) } ?? "",
      sample.relativeTime?.anchor.description ?? "", sample.day.map(String.init) ?? "",
      sample.label ?? "", sample.referenceRange?.low.map(format) ?? "",
      sample.referenceRange?.high.map(format) ?? "", sample.testCode ?? "", sample.qualifier ?? "",
      sample.attributes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(
        separator: ";"),
      sample.provenance.file, sample.provenance.record.map(String.init) ?? "",
      sample.provenance.column ?? sample.provenance.path ?? "", sample.timeZone ?? "",
    ]
  }

  /// The header of `rejections.csv`.
  public static let rejectionHeader = [
    "source_file", "source_record", "source_column", "reason", "message",
  ]

  /// The row for one rejection.
  public static func row(_ rejection: Rejection) -> [String] {
    [
      rejection.location.file, rejection.location.record.map(String.init) ?? "",
      rejection.location.column ?? rejection.location.path ?? "", rejection.reason.code,
      rejection.reason.description,
    ]
  }

  /// ``NumberText/plain(_:)``, the cells of every table.
  static func format(_ value: Double) -> String { NumberText.plain(value) }
}
