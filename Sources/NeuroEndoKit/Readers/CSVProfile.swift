/// How to read one kind of CSV export: its shape, its dialect and which column holds what.
///
/// Profiles live in `Pipelines/profiles/*.yml` (see ``ProfileLoader``); the built-in
/// ``lisLong`` and ``researchLong`` profiles read files whose columns use the default names.
public struct CSVProfile: Sendable, Hashable {
  /// The layout of the rows.
  public enum Shape: String, Sendable, Hashable, Codable, CaseIterable {
    /// One row per result: subject, test code, value, unit, collection time.
    case lisLong = "lis-long"
    /// One row per sample, `subject_id,day,sample,minutes_since_waking` plus value columns
    /// named `<analyte>_<unit>`.
    case researchLong = "research-long"
    /// One row per subject (or subject-day), one column per sample, times declared in the profile.
    case wide
    /// A sleep diary: one row per waking, `subject_id` and `wake_time` (date and time).
    case diary
  }

  /// What a column holds. The raw value is the key under `columns:` in a profile.
  public enum Role: String, Sendable, Hashable, Codable, CaseIterable {
    public func hash(into hasher: inout Hasher) { hasher.combine(caseCode) }
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.caseCode == rhs.caseCode }

    case subject, code, value, unit, collected, specimen, wake
    case referenceRange = "reference_range"
    case referenceLow = "reference_low"
    case referenceHigh = "reference_high"
    case day, sample
    case minutesSinceWaking = "minutes_since_waking"
    /// The subject's IANA time zone, for local times; kept as the attribute `time_zone`.
    case timeZone = "time_zone"
  }

  /// One sample column of a wide file.
  public struct WideColumn: Sendable, Hashable, Codable {
    /// The column name in the header.
    public var column: String
    /// The sample's label in reports.
    public var label: String
    /// Minutes from the profile's anchor (waking or an event).
    public var minutes: Double

    /// Creates a sample column.
    public init(column: String, label: String, minutes: Double) {
      self.column = column
      self.label = label
      self.minutes = minutes
    }
  }

  /// A human name for the profile.
  public var name: String
  /// The row layout.
  public var shape: Shape
  /// Field separator; `nil` detects `,`, `;` or tab from the header line.
  public var delimiter: UInt8?
  /// Whether numbers use a decimal comma (`12,5`).
  public var decimalComma: Bool = false
  /// Lines before the header (a spreadsheet's title line): skipped, and said
  /// (`csv.skip_lines`, or `csv.header_row` counting the header's line from 1).
  public var skipLines: Int = 0
  /// The file's text encoding.
  public var encoding: TextEncoding = .utf8
  /// Whether broken quoting is an error (recommended) rather than read leniently.
  public var strict: Bool = true
  /// How dates that are not ISO 8601 are written.
  public var dateOrder: DateOrder = .ymd
  /// Column names by role; roles a shape needs and that are absent use their default names.
  public var columns: [Role: String] = [:]
  /// Other columns to keep on every sample as attributes (condition, sex, medication).
  public var keep: [String] = []
  /// Local test codes and what they mean; LOINC codes need no entry.
  public var codes: [String: TestCode] = [:]
  /// Local specimen names and what they mean, beyond the common names.
  public var specimens: [String: Specimen] = [:]
  /// Cells that mean "no value" (compared after trimming spaces).
  public var missingTokens: Set<String> = CSVProfile.defaultMissingTokens
  /// The cells that mean "no value" unless a profile lists its own (`missing:`): empty, and
  /// what spreadsheets and lab systems write for a value not measured.
  public static let defaultMissingTokens: Set<String> = [
    "", "NA", "N/A", "n/a", "n.a.", "N.A.", "NaN", "nan", "null", "NULL", ".", "-", "--",
  ]
  /// The longest field accepted, in bytes; longer ones reject their record.
  public var maxFieldBytes: Int = CSVProfile.defaultMaxFieldBytes
  /// The default field limit, also the limit of FHIR strings: 64 KiB.
  public static let defaultMaxFieldBytes = 65_536
  /// The longest line (header or record) accepted, in bytes; longer ones reject their record
  /// and are never held whole in memory.
  public var maxLineBytes: Int = 1 << 20
  /// Whether a header may name one column twice: no (`false`, the default: every record is
  /// rejected, naming both positions), or yes, the first of them being read.
  public var firstOfDuplicateColumns = false
  /// Wide and research shapes: the analyte when columns do not say it.
  public var analyte: Analyte?
  /// The specimen when neither a column nor the test code says it.
  public var specimen: Specimen?
  /// Wide shape: the unit of the sample columns.
  public var unit: LabUnit?
  /// Wide shape: what the sample minutes count from.
  public var anchor: TimeAnchor = .waking
  /// Wide shape: the sample columns.
  public var samples: [WideColumn] = []

  /// Creates a profile with the defaults above.
  public init(name: String, shape: Shape) {
    self.name = name
    self.shape = shape
  }

  /// The column name for a role: the profile's, or the default for the shape.
  public func column(_ role: Role) -> String {
    if let name = columns[role] { return name }
    switch (shape, role) {
    case (.lisLong, .subject): return "patient_id"
    case (.lisLong, .code): return "test_code"
    case (.lisLong, .collected): return "collected_at"
    case (.lisLong, .wake), (.diary, .wake): return "wake_time"
    case (.researchLong, .subject), (.wide, .subject), (.diary, .subject): return "subject_id"
    default: return role.rawValue
    }
  }

  /// Columns the built-in layouts keep on every sample when a file has them (case and
  /// surrounding spaces aside): the subject's sex, birth date or age, medication, and the
  /// result's test name or comment (where dexamethasone tests are marked). A profile names
  /// its own with `keep:`.
  public static let contextColumns: Set<String> = [
    "sex", "gender", "birth_date", "birthdate", "date_of_birth", "dob", "birth_year",
    "birthyear", "age", "medication", "medications", "meds", "drugs", "comment", "comments",
    "note", "notes", "remark", "remarks", "test_name", "testname",
  ]

  /// The columns of `header` this profile reads (by role, `keep:`, value and sample
  /// columns), by position.
  func readColumns(_ header: [String]) -> Set<Int> {
    let key = { (name: String) in name.trimmingCharacters(in: .whitespaces).lowercased() }
    var names = Set(Role.allCases.map { key(column($0)) })
    names.formUnion(keep.map(key))
    names.formUnion(samples.map { key($0.column) })
    var read = Set<Int>()
    for (position, name) in header.enumerated() {
      if names.contains(key(name))
        || (shape == .researchLong && ResearchLongMapper.valueColumn(name) != nil)
      {
        read.insert(position)
      }
    }
    return read
  }

  /// The built-in profile for LIS long exports with the default column names
  /// (`patient_id,test_code,value,unit,collected_at,specimen[,wake_time,reference_range]`).
  public static let lisLong = CSVProfile(name: "built-in lis-long", shape: .lisLong)

  /// The built-in profile for research long exports (`subject_id,day,sample,minutes_since_waking,<analyte>_<unit>...`).
  public static let researchLong = CSVProfile(
    name: "built-in research-long", shape: .researchLong)
}

extension CSVProfile.Role: CaseCoded {}
