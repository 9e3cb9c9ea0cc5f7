import Foundation

/// Renders a ``RunSummary`` for people (text) and for programs (JSON).
public enum RunSummaryReporter {
  /// One line per file, then the problems and the totals.
  public static func text(_ summary: RunSummary) -> String {
    var lines: [String] = []
    for file in summary.files {
      lines.append("\(file.file) [\(file.profile)]: \(counts(file))")
      if let failure = file.failure { lines.append("  FAILED: \(failure)") }
      for warning in file.warnings { lines.append("  warning: \(warning)") }
      for notice in file.notices { lines.append("  note: \(notice)") }
      lines += rejectionLines(file, indent: "  ")
      lines += gapLines(file, indent: "  ")
    }
    for note in summary.notes { lines.append("note: \(note)") }
    if let counts = summary.incremental {
      lines.append(
        "incremental: \(counts.new) new, \(counts.changed) changed, \(counts.unchanged) unchanged (from the ledger), \(counts.vanished) vanished (their data kept)"
      )
    }
    for problem in summary.inputProblems { lines.append("input: \(problem)") }
    for failure in summary.outputFailures { lines.append("output: \(failure)") }
    for subject in summary.quarantinedSubjects { lines.append("quarantined subject: \(subject)") }
    lines += quarantineLines(summary)
    let totals = summary.totals
    lines.append(
      "total: \(totals.files) files (\(totals.failedFiles) failed), \(totals.records) records = "
        + "\(totals.acceptedRecords) accepted + \(totals.partialRecords) partial + "
        + "\(totals.rejectedRecords) rejected\(skipped(totals.skippedRecords)); \(totals.samples) samples, "
        + "\(totals.rejections) rejections, \(totals.emptyCells) empty cells")
    lines.append(normalizationLine(summary.normalization))
    if summary.normalization.mixedClock > 0 {
      lines.append(
        "mixed clocks: \(counted(summary.normalization.mixedClock, "sample")) with local times beside times with UTC offsets and no time zone to place them; left out of waking alignment and pairing (set normalize.time_zone or the input's time_zone)"
      )
    }
    if !summary.auditOnly {
      lines.append(analysisLine(summary.analysis))
      lines += leftOutLines(summary.analysis)
      lines += reasonLines(summary.analysis)
    }
    for (role, path) in summary.outputs.sorted(by: { $0.key < $1.key }) {
      let noun = role == "reports" ? "patient" : role.hasPrefix("audit") ? "file" : "row"
      var rows = summary.outputRows[role].map { " (\(counted($0, noun)))" } ?? ""
      if role == "reports", summary.outputRows[role] == 0 { rows = " (the cohort report)" }
      lines.append("wrote \(role): \(path)\(rows)")
    }
    if !summary.notWritten.isEmpty {
      lines.append("not written: " + summary.notWritten.joined(separator: "; "))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// `normalized: 10 of 10 samples in canonical units (...); flags: ...; local times placed: ...`.
  public static func normalizationLine(_ counts: RunSummary.NormalizationSummary) -> String {
    func list(_ counts: [String: Int]) -> String {
      counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }
    var line =
      "normalized: \(counts.normalized) of \(counts.samplesIn) samples in canonical units "
      + "(\(counts.unitMismatches) unit mismatches rejected, \(counts.duplicates) duplicates dropped, "
      + "\(counts.conflicts) conflicts flagged"
      + (counts.corrections > 0 ? ", \(counts.corrections) corrected by a later file)" : ")")
    if counts.valueOverflows > 0 {
      line += "; \(counted(counts.valueOverflows, "value")) too large once converted rejected"
    }
    if !counts.conversions.isEmpty { line += "; converted: " + list(counts.conversions) }
    if !counts.flags.isEmpty { line += "; flags: " + list(counts.flags) }
    if counts.diaryWakes + counts.diaryRejections > 0 {
      line += "; diary: \(counts.diaryWakes) wakings read, \(counts.diaryRejections) rows rejected"
    }
    if !counts.timeResolutions.isEmpty {
      line += "; local times placed: " + list(counts.timeResolutions)
    }
    return line
  }

  /// The legend of the reason codes the feature tables hold, each once with its count:
  /// `reason slope_log:too-few-samples (3): slope_log empty: too few samples ...`.
  static func reasonLines(_ counts: RunSummary.AnalysisSummary) -> [String] {
    let legend = FeatureReason.legend(counts.reasons.keys)
    return counts.reasons.sorted { $0.key < $1.key }.map { code, count in
      "reason \(code) (\(count)): \(legend[code] ?? "")"
    }
  }

  /// `analyzed: 24 subject-days (CAR 15, slope 8, cosinor 20); subjects: ...; responses: 26`.
  public static func analysisLine(_ counts: RunSummary.AnalysisSummary) -> String {
    "analyzed: \(counts.subjectDays) subject-days (CAR \(counts.carComputed), slope \(counts.slopeComputed), "
      + "cosinor \(counts.cosinorComputed)); flattened slope: "
      + ["yes", "no", "insufficient-data"].map { "\($0) \(counts.verdicts[$0] ?? 0)" }.joined(
        separator: ", ")
      + "; responses: \(counts.responses); samples excluded from features: \(counts.excludedSamples)"
      + "; feedback findings: "
      + Finding.Severity.allCases.map { "\($0.rawValue) \(counts.findings[$0.rawValue] ?? 0)" }
      .joined(separator: ", ")
  }

  /// A line per file the state keeps in quarantine: the path, since when, why, and what
  /// clears it.
  public static func quarantineLines(_ summary: RunSummary) -> [String] {
    summary.quarantinedFiles.map {
      "quarantined file: \($0.path) (since \($0.since)): \($0.why); to clear it: \(RunSummary.QuarantinedFile.fix)"
    }
  }

  /// The time a summary line starts with: the run's end, ISO 8601 in UTC, so that a
  /// mailed or logged line says when the run was.
  static func stamp(_ summary: RunSummary) -> String {
    LocalDateTime.iso(summary.finished)
  }

  /// `, 1 quarantined` when the state keeps files in quarantine.
  static func quarantined(_ summary: RunSummary) -> String {
    ", \(summary.quarantinedFiles.count) quarantined"
  }

  /// The one line `run` prints (the line cron mails): the time, files, records, samples,
  /// findings, the incremental counts, outputs.
  public static func line(_ summary: RunSummary) -> String {
    let totals = summary.totals
    let marked = summary.analysis.findings["marked"] ?? 0
    let findings = summary.analysis.findings.values.reduce(0, +)
    var line =
      "\(stamp(summary)) \(summary.pipeline): \(counted(totals.files, "file")), \(totals.records) records = "
      + "\(totals.acceptedRecords) accepted + \(totals.partialRecords) partial + "
      + "\(totals.rejectedRecords) rejected\(skipped(totals.skippedRecords)); "
      + "\(totals.samples) samples; \(summary.analysis.subjectDays) subject-days; "
      + "\(counted(findings, "finding")) (\(marked) marked)"
    if let counts = summary.incremental {
      line +=
        "; \(counts.new) new, \(counts.changed) changed, \(counts.unchanged) unchanged, \(counts.vanished) vanished\(quarantined(summary))"
    }
    if let written = summary.outputs["summary"] {
      line += "; wrote \(URL(fileURLWithPath: written).deletingLastPathComponent().path)"
    }
    if !summary.notWritten.isEmpty {
      // Short: what is missing, the flags in --help and the summary's last line.
      let missing = summary.notWritten.map {
        $0.hasPrefix("patient pages") ? "patient pages" : "intermediate tables"
      }
      line += "; not written: \(missing.joined(separator: ", ")) (see run-summary.json)"
    }
    return line
  }

  /// The one line of a night with nothing new.
  public static func nothingNewLine(_ summary: RunSummary) -> String {
    let counts = summary.incremental ?? .init(new: 0, changed: 0, unchanged: 0, vanished: 0)
    var line =
      "\(stamp(summary)) \(summary.pipeline): nothing new: 0 new, 0 changed, \(counts.unchanged) unchanged"
    if let since = summary.unchangedSince { line += " since \(since)" }
    line += ", \(counts.vanished) vanished"
    if counts.vanished > 0 { line += " (their data kept)" }
    return line + "\(quarantined(summary)); outputs left as they are"
  }

  /// `1 result`, `2 results`.
  static func counted(_ count: Int, _ noun: String) -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
  }

  /// A line for each kind of sample a setting leaves out whole, naming the setting, and one
  /// line per axis for the results the feedback analyzers could not pair or judge.
  public static func leftOutLines(_ counts: RunSummary.AnalysisSummary) -> [String] {
    var lines = counts.specimensLeftOut.sorted { $0.key < $1.key }.map { specimen, count in
      "left out: all \(count) \(specimen) cortisol samples, by settings.analyze.specimens (add \(specimen) to analyse their rhythm)"
    }
    for (reason, count) in counts.unplaced.sorted(by: { $0.key < $1.key }) {
      lines.append("left out: \(counted(count, "cortisol sample")) \(reason)")
    }
    var byAxis: [String: (results: Int, subjects: Int, reasons: [String: Int])] = [:]
    for axes in counts.notJudged.values {
      for (axis, reasons) in axes {
        var entry = byAxis[axis] ?? (0, 0, [:])
        entry.subjects += 1
        for (reason, count) in reasons {
          entry.results += count
          entry.reasons[reason, default: 0] += count
        }
        byAxis[axis] = entry
      }
    }
    for (axis, entry) in byAxis.sorted(by: { $0.key < $1.key }) {
      let reasons = entry.reasons.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
        .map { "\($0.value) \($0.key)" }.joined(separator: "; ")
      lines.append(
        "not judged (\(axis)): \(counted(entry.results, "result")) of \(counted(entry.subjects, "subject")): \(reasons)"
      )
    }
    return lines
  }

  /// `12 records = 10 accepted + 1 partial + 1 rejected; 30 samples, 2 rejections, 3 empty cells`.
  public static func counts(_ file: FileReadSummary) -> String {
    "\(file.records) records = \(file.acceptedRecords) accepted + \(file.partialRecords) partial + "
      + "\(file.rejectedRecords) rejected\(skipped(file.skippedRecords)); \(file.samples) samples, "
      + "\(file.rejections) rejections, \(file.emptyCells) empty cells"
  }

  /// ` + 3 skipped`, or nothing when no record was skipped (CSV files never skip).
  static func skipped(_ count: Int) -> String { count > 0 ? " + \(count) skipped" : "" }

  /// Where the empty value cells and the skipped records of a file are, first locations.
  public static func gapLines(_ file: FileReadSummary, indent: String) -> [String] {
    var lines: [String] = []
    if file.emptyCells > 0 {
      let more = file.emptyCells > file.emptyCellLocations.count ? ", …" : ""
      lines.append(
        "\(indent)empty \(file.emptyCells) × value cell, at "
          + file.emptyCellLocations.map(\.place).joined(separator: "; ") + more)
    }
    for (kind, count) in file.skipped.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }) {
      let locations = file.skippedLocations[kind] ?? []
      let more = count > locations.count ? ", …" : ""
      lines.append(
        "\(indent)skipped \(count) × \(kind), at "
          + locations.map(\.place).joined(separator: "; ") + more)
    }
    return lines
  }

  /// Rejections grouped by reason, most frequent first, with the first locations.
  public static func rejectionLines(_ file: FileReadSummary, indent: String) -> [String] {
    file.rejectionsByReason.sorted { ($0.value.count, $1.key) > ($1.value.count, $0.key) }.flatMap {
      code, tally in
      let places = tally.locations.map(\.place)
      let more = tally.count > tally.locations.count ? ", …" : ""
      let example = tally.count > 1 ? "e.g. \(tally.example)" : tally.example
      return [
        "\(indent)rejected \(tally.count) × \(code): \(example)",
        "\(indent)  at \(places.joined(separator: "; "))\(more)",
      ]
    }
  }

  /// The summary as pretty-printed JSON with sorted keys and ISO 8601 dates.
  public static func json(_ summary: RunSummary) -> String { JSONDocument.text(summary) }
}

extension RunSummaryReporter {
  /// What `neuroendo inspect` prints for one file: counts per analyte and specimen, and
  /// rejections grouped by reason with their first locations.
  public static func inspection(_ file: FileReadSummary) -> String {
    var lines = [
      "file: \(file.file)",
      "profile: \(file.profile)",
      "records: \(file.records) = \(file.acceptedRecords) accepted + \(file.partialRecords) partial + \(file.rejectedRecords) rejected\(skipped(file.skippedRecords))",
      "samples: \(file.samples) (empty cells: \(file.emptyCells))",
    ]
    if let failure = file.failure { lines.append("FAILED: \(failure)") }
    for warning in file.warnings { lines.append("warning: \(warning)") }
    for notice in file.notices { lines.append("note: \(notice)") }
    let width = file.samplesByKind.keys.map(\.count).max() ?? 0
    for (kind, count) in file.samplesByKind.sorted(by: { $0.key < $1.key }) {
      lines.append("  \(kind.padding(toLength: width, withPad: " ", startingAt: 0))  \(count)")
    }
    if file.skippedRecords > 0 {
      let kinds = file.skipped.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
        .map { "\($0.key) \($0.value)" }.joined(separator: ", ")
      lines.append("skipped: \(file.skippedRecords) (not lab results of ours: \(kinds))")
    }
    lines.append("rejections: \(file.rejections)")
    lines += rejectionLines(file, indent: "  ")
    return lines.joined(separator: "\n") + "\n"
  }
}
