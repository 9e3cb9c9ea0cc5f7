/// What a feedback analyzer found about one subject: the pattern the numbers fit, in
/// clinical wording that describes and does not diagnose, with the values, the ranges
/// (and where each came from) and the rule that fired.
public struct Finding: Sendable, Hashable, Codable {
  /// How much a finding asks for attention.
  public enum Severity: String, Sendable, Hashable, Codable, CaseIterable {
    /// The loop was checked and is balanced, suppression is normal, or a result had no partner.
    case info
    /// A subclinical, isolated or discordant pattern.
    case notable
    /// An overt pattern, failed suppression, a late-night value above the limit.
    case marked
  }

  /// How the pattern compares with the subject's earlier findings on the same check.
  public enum History: String, Sendable, Hashable, Codable {
    /// No earlier result of this check for the subject.
    case first
    /// A pattern other than the one before.
    case new
    /// The same pattern as before.
    case persisting
    /// Balanced (or normal suppression) after an abnormal pattern before.
    case resolved
    /// Balanced before and now.
    case stable
  }

  /// The subject.
  public var subjectID: String
  /// The axis.
  public var axis: Axis
  /// The analyzer that made it: `hpa_feedback`, `hpt_feedback`, `hpg_feedback`,
  /// `dexamethasone_suppression`, `late_night_cortisol`.
  public var analyzer: String
  /// A stable identifier of the pattern, e.g. `primary-hypothyroidism`, `balanced`, `unpaired`.
  public var pattern: String
  /// How much it asks for attention.
  public var severity: Severity
  /// The finding in words with its numbers: "pattern consistent with primary
  /// hypothyroidism: TSH 9.1 mIU/L > 4.2, FT4 8 pmol/L < 11.6".
  public var message: String
  /// The results judged, in canonical units, each with its range.
  public var values: [JudgedResult]
  /// The rule that fired, with its thresholds.
  public var rule: String
  /// The time of the finding: the regulated hormone's collection time.
  public var time: CollectionTime?
  /// Why the check could not be made, for a result that could not be paired or judged
  /// (`nil` for a finding), in words that group alike cases: "ACTH: no cortisol within 1 h
  /// (feedback.acth_cortisol_window_hours)", "cortisol: range applies 07:00-10:00".
  public var reason: String?
  /// Compared with the subject's earlier findings of the same check; `nil` for results
  /// that could not be paired or judged.
  public var history: History?
  /// What the history compared with, e.g. "was primary-hypothyroidism on 2025-09-02".
  public var historyNote: String?
  /// Context that can explain the finding: medication, sex, age.
  public var context: [String] = []
  /// SPINA thyroid indices (TSHI, sTSHI, TTSI) for HPT findings, when computable.
  public var indices: [String: Double] = [:]
}

extension Finding {
  /// What identifies one finding across runs: subject, analyzer, pattern and time.
  public var identity: String {
    [subjectID, analyzer, pattern, time?.description ?? ""].joined(separator: "|")
  }
}

/// What the feedback analyzers made of a run: findings where a pattern could be judged, and
/// the results that could not be paired or judged, each with its reason (counted per subject
/// and axis in the run summary, never written as findings).
public struct FeedbackResult: Sendable, Hashable {
  /// The findings, by subject and time.
  public var findings: [Finding] = []
  /// Results that could not be paired or judged, in the shape of a finding with its
  /// ``Finding/reason``.
  public var notJudged: [Finding] = []

  /// Creates an empty result.
  public init() {}
}

/// One result as a finding judged it.
public struct JudgedResult: Sendable, Hashable, Codable {
  /// Where a value stands against its range.
  public enum Status: String, Sendable, Hashable, Codable {
    case low, normal, high
    /// A censored value whose bound cannot be placed against a limit (`<5` against 3-10).
    case indeterminate
    /// No range applies: none is known, or the one known holds at another time of day.
    case unknown
  }

  /// The analyte.
  public var analyte: Analyte
  /// The specimen.
  public var specimen: Specimen
  /// The value in the canonical unit (the limit for a censored value).
  public var value: Double
  /// The censoring of the value.
  public var censoring: Censoring
  /// The value at its reporting precision: as the lab wrote it when it came in the canonical
  /// unit, else converted and rounded to one significant digit more than it was written with.
  public var valueText: String
  /// The canonical unit.
  public var unit: String
  /// The collection time.
  public var time: CollectionTime?
  /// The range the value was judged against, in the canonical unit.
  public var range: ReferenceRange?
  /// Whether the range's upper limit is outside it (a cut-off: `< 50`), not inside.
  public var highExclusive = false
  /// Where the range came from: `lab` (sent with the result) or `default: <rule>`.
  public var rangeSource: String?
  /// Where the value stands.
  public var status: Status
  /// Why the status is `unknown` or `indeterminate`: "range applies 07:00-10:00",
  /// "<4 cannot be placed against 2.8".
  public var reason: String?
  /// Where the result was read.
  public var source: String
  /// A caution the normalizer put on the value (a possible unit mix-up): the value is
  /// judged, and a finding resting on it says so and is never marked.
  /// The range's limits as the report prints them: a lab's range converted to the
  /// canonical unit at the lab's precision (`171` for 6.2 ug/dL, not 171.058); nil prints
  /// the limit itself.
  public var lowText: String?
  public var highText: String?
  public var caution: String?
  /// What corrected the value, when a later file re-delivered the draw with it.
  public var correction: String?
}
