import Foundation

/// `findings.csv` (documented in the Outputs article; `findings.ndjson` holds the same findings as
/// ``JSONLines``): one finding per row, with the values, ranges and their sources, the rule, the history and the context.
public enum FindingTables {
  /// The header of `findings.csv`.
  public static let header = [
    "subject_id", "axis", "analyzer", "pattern", "severity", "finding", "values", "ranges",
    "rule", "time", "history", "history_note", "context", "tshi", "stshi", "ttsi", "spina_gt",
    "spina_gd", "sources",
  ]

  /// The row of one finding.
  public static func row(_ finding: Finding) -> [String] {
    [
      finding.subjectID, finding.axis.rawValue, finding.analyzer, finding.pattern,
      finding.severity.rawValue, finding.message,
      finding.values.map {
        "\($0.analyte.rawValue)=\($0.censoring.rawValue)\($0.valueText) \($0.unit) (\($0.status.rawValue))"
      }.joined(separator: "; "),
      finding.values.map(\.rangeText).joined(separator: "; "), finding.rule,
      finding.time?.description ?? "", finding.history?.rawValue ?? "", finding.historyNote ?? "",
      finding.context.joined(separator: "; "), FeatureTables.cell(finding.indices["tshi"]),
      FeatureTables.cell(finding.indices["stshi"]), FeatureTables.cell(finding.indices["ttsi"]),
      FeatureTables.cell(finding.indices["spina_gt"]),
      FeatureTables.cell(finding.indices["spina_gd"]),
      finding.values.map(\.source).joined(separator: "; "),
    ]
  }
}
