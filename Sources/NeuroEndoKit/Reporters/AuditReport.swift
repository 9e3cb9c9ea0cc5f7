import Foundation

/// The data-quality audit of what a run read, in the manner of established validation
/// reports (Frictionless: per file its identity, statistics and errors): for each file its
/// path, size, SHA-256 and record counts (records = accepted + partial + rejected +
/// skipped), rejections by reason with their first locations, empty cells and skipped
/// records located; then for the dataset: protocol compliance, missingness per analyte and
/// sample slot, duplicates and conflicts, plausibility flags and suspected unit mix-ups; the
/// tool version and the effective settings. Written as `audit.json` and `audit.md`.
public struct AuditReport: Sendable, Hashable, Codable {
  public static let schemaVersion = "1.0"

  public var schema = "neuroendo-audit"
  public var schemaVersion = AuditReport.schemaVersion
  public var generator: String
  public var run: String
  /// Whether every record of every file was accepted and every file read to its end.
  public var valid: Bool
  public var files: [File]
  /// Inbox entries not read, and inputs that gave no file.
  public var skippedEntries: [SkippedEntry]
  public var inputProblems: [String]
  public var dataset: Dataset
  /// The settings in force, by their pipeline key.
  public var settings: [String: String]

  /// One file as read.
  public struct File: Sendable, Hashable, Codable {
    public var path: String
    public var profile: String
    public var bytes: Int?
    public var sha256: String?
    public var counts: Counts
    public var samples: Int
    public var failure: String?
    public var warnings: [String]
    public var notices: [String]
    public var rejections: [Tally]
    public var emptyCells: Int
    public var emptyCellsByColumn: [String: Int]
    public var emptyCellLocations: [InputLocation]
    public var skipped: [Tally]
    /// How the file was read (CSV): encoding, byte-order mark, delimiter, decimal mark and
    /// the header's line; and the columns not read.
    public var dialect: FileReadSummary.Dialect?
    public var ignoredColumns: [String] = []
  }

  /// Record counts: `records` is the sum of the others.
  public struct Counts: Sendable, Hashable, Codable {
    public var records: Int
    public var accepted: Int
    public var partial: Int
    public var rejected: Int
    public var skipped: Int
  }

  /// How often one reason occurred, an example, and where first.
  public struct Tally: Sendable, Hashable, Codable {
    public var reason: String
    public var count: Int
    public var example: String
    public var locations: [InputLocation]
  }

  /// What the samples of all files show.
  public struct Dataset: Sendable, Hashable, Codable {
    public var subjects: Int
    public var samples: Int
    /// Samples by `analyte/specimen`.
    public var samplesByKind: [String: Int]
    /// Samples by analyte and protocol slot (sample label); a missing slot is missing data.
    public var slots: [String: [String: Int]]
    /// Flags of protocol compliance: waking-delay bins, off-schedule, estimated or
    /// conflicting wakings, samples long before waking.
    public var protocolCompliance: [String: Int]
    /// Identical records dropped, and samples flagged as conflicts or mixed clocks.
    public var duplicates: Int
    public var conflicts: Int
    public var mixedClock: Int
    /// Plausibility and unit flags, with their first locations.
    public var plausibility: [Tally]

    /// The dataset of normalized samples, with the normalizer's counts.
    public init(samples: [NormalizedSample], normalization: NormalizationCounts) {
      // Counted by the analyte's and specimen's places among their cases, and subjects by
      // number: a text built and hashed per sample cost a tenth of normalizing.
      let specimens = Specimen.allCases.count
      var kinds = [Int](repeating: 0, count: Analyte.allCases.count * specimens)
      var slotsByAnalyte = [LabelTally](repeating: LabelTally(), count: Analyte.allCases.count)
      var compliance: [String: Int] = [:]
      var plausibility: [String: Tally] = [:]
      var subjects = SubjectNumbers()
      for sample in samples {
        _ = subjects.number(sample.sample.subjectID)
        let analyte = Int(sample.sample.analyte.caseCode)
        kinds[analyte * specimens + Int(sample.sample.specimen.caseCode)] += 1
        if let label = sample.sample.label { slotsByAnalyte[analyte].count(label) }
        for flag in sample.flags {
          if protocolFlags.contains(flag.code) { compliance[flag.code, default: 0] += 1 }
          if plausibilityFlags.contains(flag.code) {
            var tally =
              plausibility[flag.code]
              ?? Tally(reason: flag.code, count: 0, example: flag.message, locations: [])
            tally.count += 1
            if tally.locations.count < FileReadSummary.locationsKept {
              tally.locations.append(sample.sample.provenance)
            }
            plausibility[flag.code] = tally
          }
        }
      }
      var byKind: [String: Int] = [:]
      var slots: [String: [String: Int]] = [:]
      for (index, analyte) in Analyte.allCases.enumerated() {
        for (place, specimen) in Specimen.allCases.enumerated()
        where kinds[index * specimens + place] > 0 {
          byKind["\(analyte.rawValue)/\(specimen.rawValue)"] = kinds[index * specimens + place]
        }
        let counts = slotsByAnalyte[index].counts
        if !counts.isEmpty { slots[analyte.rawValue] = counts }
      }
      self.subjects = subjects.ids.count
      self.samples = samples.count
      samplesByKind = byKind
      self.slots = slots
      protocolCompliance = compliance
      duplicates = normalization.duplicates
      conflicts = normalization.conflicts
      mixedClock = normalization.mixedClock
      self.plausibility = plausibility.values.sorted { $0.reason < $1.reason }
    }

    /// The datasets of disjoint parts of one run's subjects (shards, partitions), added up:
    /// counts summed, and each plausibility flag's first locations in read order (by the
    /// file's place in `ordinals` and the record; one record's flags come from one part).
    public static func merged(_ parts: [Dataset], ordinals: [String: Int]) -> Dataset {
      var dataset = parts[0]
      var tallies: [String: [(part: Int, tally: Tally)]] = [:]
      for tally in dataset.plausibility { tallies[tally.reason, default: []].append((0, tally)) }
      for (index, other) in parts.enumerated().dropFirst() {
        dataset.subjects += other.subjects
        dataset.samples += other.samples
        dataset.samplesByKind.merge(other.samplesByKind, uniquingKeysWith: +)
        dataset.slots.merge(other.slots) { $0.merging($1, uniquingKeysWith: +) }
        dataset.protocolCompliance.merge(other.protocolCompliance, uniquingKeysWith: +)
        dataset.duplicates += other.duplicates
        dataset.conflicts += other.conflicts
        dataset.mixedClock += other.mixedClock
        for tally in other.plausibility {
          tallies[tally.reason, default: []].append((index, tally))
        }
      }
      func place(_ location: InputLocation) -> (Int, Int) {
        (ordinals[location.file] ?? Int.max, location.record ?? 0)
      }
      dataset.plausibility = tallies.keys.sorted().map { reason in
        let parts = tallies[reason]!
        let located = parts.flatMap { part in
          part.tally.locations.enumerated().map { (place($1), part.part, $0, $1) }
        }.sorted { ($0.0.0, $0.0.1, $0.1, $0.2) < ($1.0.0, $1.0.1, $1.1, $1.2) }
        let earliest = parts.min { lhs, rhs in
          let a = lhs.tally.locations.first.map(place) ?? (Int.max, Int.max)
          let b = rhs.tally.locations.first.map(place) ?? (Int.max, Int.max)
          return (a.0, a.1, lhs.part) < (b.0, b.1, rhs.part)
        }!
        return Tally(
          reason: reason, count: parts.reduce(0) { $0 + $1.tally.count },
          example: earliest.tally.example,
          locations: Array(located.prefix(FileReadSummary.locationsKept).map(\.3)))
      }
      return dataset
    }
  }

  /// The flags that describe protocol compliance.
  static let protocolFlags: Set<String> = [
    "waking-delay-none", "waking-delay-short", "waking-delay-moderate", "waking-delay-high",
    "waking-delay-unknown", "off-schedule", "wake-estimated", "wake-conflict", "wake-reconciled",
    "before-waking", "mixed-clock",
  ]
  /// The flags that question a value.
  static let plausibilityFlags: Set<String> = [
    "implausible", "outside-cleaning-range", "physiological-outlier", "below-detection",
    "suspected-unit-mixup", "possible-unit-mixup",
    "conflict",
  ]

  /// The audit of a run: its files as read, the inputs' problems and skipped entries, the
  /// normalizer's counts and its samples.
  public static func build(
    run: String, files read: [FileReadSummary], skippedEntries: [SkippedEntry],
    inputProblems: [String], normalization: NormalizationCounts, samples: [NormalizedSample],
    settings: [String: String]
  ) -> AuditReport {
    build(
      run: run, files: read, skippedEntries: skippedEntries, inputProblems: inputProblems,
      dataset: Dataset(samples: samples, normalization: normalization), settings: settings)
  }

  /// The audit of a run whose dataset was counted before (the shards' counts, merged).
  public static func build(
    run: String, files read: [FileReadSummary], skippedEntries: [SkippedEntry],
    inputProblems: [String], dataset: Dataset, settings: [String: String]
  ) -> AuditReport {
    let files = read.map { file in
      File(
        path: file.file, profile: file.profile, bytes: file.bytes, sha256: file.sha256,
        counts: Counts(
          records: file.records, accepted: file.acceptedRecords, partial: file.partialRecords,
          rejected: file.rejectedRecords, skipped: file.skippedRecords),
        samples: file.samples, failure: file.failure, warnings: file.warnings,
        notices: file.notices,
        rejections: file.rejectionsByReason.sorted { $0.key < $1.key }.map {
          Tally(
            reason: $0.key, count: $0.value.count, example: $0.value.example,
            locations: $0.value.locations)
        },
        emptyCells: file.emptyCells, emptyCellsByColumn: file.emptyCellsByColumn,
        emptyCellLocations: file.emptyCellLocations,
        skipped: file.skipped.sorted { $0.key < $1.key }.map {
          Tally(
            reason: $0.key, count: $0.value, example: $0.key,
            locations: file.skippedLocations[$0.key] ?? [])
        }, dialect: file.dialect, ignoredColumns: file.ignoredColumns)
    }
    let valid =
      inputProblems.isEmpty
      && read.allSatisfy {
        $0.failure == nil && $0.rejectedRecords + $0.partialRecords == 0
      }
    return AuditReport(
      generator: "NeuroEndo \(NeuroEndoVersion.current)", run: run, valid: valid,
      files: files, skippedEntries: skippedEntries, inputProblems: inputProblems,
      dataset: dataset, settings: settings)
  }

  /// The audit as pretty-printed JSON with sorted keys.
  public var json: String { JSONDocument.text(self) }

  /// The audit as Markdown.
  public var markdown: String {
    // Every text from the inputs goes through `m`: no HTML, link or row break reaches the page.
    let m = MarkdownText.inline
    func place(_ location: InputLocation) -> String { m(location.place) }
    var lines = [
      "# Data-quality audit", "",
      "\(m(generator)), run \(m(run)). Verdict: **\(valid ? "every record accepted" : "records rejected or files not read")**.",
      "",
      "## Files", "",
      "| file | profile | bytes | SHA-256 | records | accepted | partial | rejected | skipped | empty cells |",
      "|---|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for file in files {
      let counts = file.counts
      lines.append(
        "| \(m(file.path)) | \(m(file.profile)) | \(file.bytes.map(String.init) ?? "") | \(file.sha256.map { String($0.prefix(12)) + "…" } ?? "") | \(counts.records) | \(counts.accepted) | \(counts.partial) | \(counts.rejected) | \(counts.skipped) | \(file.emptyCells) |"
      )
    }
    lines.append("")
    /// The first locations and how many more: `at record 2; record 5 and 37 more`.
    func places(_ locations: [InputLocation], of count: Int) -> String {
      let more = count - locations.count
      return locations.map(place).joined(separator: "; ")
        + (more > 0
          ? " and \(more) more (the first \(FileReadSummary.locationsKept) are listed)" : "")
    }
    for file in files
    where file.failure != nil || !file.rejections.isEmpty || file.emptyCells > 0
      || !file.skipped.isEmpty || !file.warnings.isEmpty || !file.notices.isEmpty
      || file.dialect != nil
    {
      lines.append("### \(m(file.path))")
      lines.append("")
      if let dialect = file.dialect {
        lines.append(
          "- read as: \(m(dialect.encoding))\(dialect.byteOrderMark ? " with a byte-order mark" : ""), delimiter `\(dialect.delimiter == "tab" ? "tab" : dialect.delimiter)` (\(dialect.delimiterDetected ? "detected" : "from the profile")), decimal \(dialect.decimal), header on line \(dialect.headerLine)"
        )
      }
      if !file.ignoredColumns.isEmpty {
        lines.append(
          "- columns not read: \(file.ignoredColumns.map { m($0) }.joined(separator: ", "))")
      }
      if let failure = file.failure { lines.append("- **not read to its end**: \(m(failure))") }
      for warning in file.warnings { lines.append("- warning: \(m(warning))") }
      for notice in file.notices { lines.append("- note: \(m(notice))") }
      for tally in file.rejections {
        lines.append(
          "- rejected \(tally.count) × `\(tally.reason)`: \(m(tally.example)); at \(places(tally.locations, of: tally.count))"
        )
      }
      if file.emptyCells > 0 {
        let columns = file.emptyCellsByColumn.sorted { $0.key < $1.key }.map {
          "\(m($0.key)) \($0.value)"
        }
        lines.append(
          "- empty cells: \(file.emptyCells) (\(columns.joined(separator: ", "))); first at \(file.emptyCellLocations.map(place).joined(separator: "; "))"
        )
      }
      for tally in file.skipped {
        lines.append(
          "- skipped \(tally.count) × \(m(tally.reason)), at \(places(tally.locations, of: tally.count))"
        )
      }
      lines.append("")
    }
    if !skippedEntries.isEmpty || !inputProblems.isEmpty {
      lines.append("## Inputs not read")
      lines.append("")
      for problem in inputProblems { lines.append("- \(m(problem))") }
      lines.append("")
    }
    lines.append("## Dataset")
    lines.append("")
    lines.append("\(dataset.subjects) subjects, \(dataset.samples) samples.")
    lines.append("")
    lines.append("| analyte/specimen | samples |")
    lines.append("|---|---:|")
    for (kind, count) in dataset.samplesByKind.sorted(by: { $0.key < $1.key }) {
      lines.append("| \(m(kind)) | \(count) |")
    }
    lines.append("")
    for (analyte, labels) in dataset.slots.sorted(by: { $0.key < $1.key }) {
      let cells = labels.sorted { $0.key < $1.key }.map { "\(m($0.key)) \($0.value)" }
      lines.append("- \(m(analyte)) samples per slot: \(cells.joined(separator: ", "))")
    }
    lines.append("")
    lines.append("### Protocol compliance")
    lines.append("")
    if dataset.protocolCompliance.isEmpty { lines.append("- no protocol flags") }
    for (code, count) in dataset.protocolCompliance.sorted(by: { $0.key < $1.key }) {
      lines.append("- \(m(code)): \(count)")
    }
    lines.append("")
    lines.append("### Duplicates, conflicts and plausibility")
    lines.append("")
    lines.append(
      "- duplicates dropped: \(dataset.duplicates); conflicts: \(dataset.conflicts); mixed clocks: \(dataset.mixedClock)"
    )
    for tally in dataset.plausibility {
      lines.append(
        "- \(m(tally.reason)): \(tally.count), e.g. \(m(tally.example)); at \(tally.locations.map(place).joined(separator: "; "))"
      )
    }
    lines.append("")
    lines.append("## Settings")
    lines.append("")
    for (key, value) in settings.sorted(by: { $0.key < $1.key }) {
      lines.append("- `\(key)`: \(m(value))")
    }
    return lines.joined(separator: "\n") + "\n"
  }
}

/// Samples counted by label: a protocol's few labels looked for in a short list (a text
/// hashed per sample cost a tenth of the audit's count), many in a dictionary.
struct LabelTally {
  private var few: [(label: String, count: Int)] = []
  private var many: [String: Int]?
  /// The labels a list holds before they go to a dictionary.
  static let listed = 32

  mutating func count(_ label: String) {
    if many != nil {
      many![label, default: 0] += 1
    } else if let at = few.firstIndex(where: { $0.label == label }) {
      few[at].count += 1
    } else if few.count < Self.listed {
      few.append((label, 1))
    } else {
      var all = Dictionary(few, uniquingKeysWith: +)
      all[label, default: 0] += 1
      many = all
      few = []
    }
  }

  /// The count of each label.
  var counts: [String: Int] { many ?? Dictionary(few, uniquingKeysWith: +) }
}
