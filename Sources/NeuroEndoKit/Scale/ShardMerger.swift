import Foundation

/// Combines the outputs of the shards of a run (`--shard K/N`) into the outputs one run
/// writes (`neuroendo merge`): the tables interleaved in one run's row order by the keys each
/// shard kept beside them, the cohort-relative outputs (the cohort report, each patient's
/// cohort band) computed from all shards' contributions, the audit and the run summary
/// added up. The merged outputs are published like a run's: all or nothing.
public struct ShardMerger: Sendable {
  /// The shards' output directories, in any order.
  public var directories: [String]

  /// Whether files the merge takes as they are (patients' pages a partition rendered, FHIR
  /// bundles) are moved out of the shards' directories instead of copied, and the
  /// directories removed once merged: for the scratch partitions of a run (`--partitions`).
  var movesFiles = false

  /// Creates a merger.
  public init(directories: [String]) { self.directories = directories }

  /// Why shards cannot be merged: not shards, not all of them, or not of one run.
  public struct Problem: Error, Sendable, CustomStringConvertible {
    public var description: String
  }

  /// One shard's output directory and summary.
  struct Part {
    var directory: String
    var summary: RunSummary
    var shard: Shard
  }

  /// Reads the shards' summaries and checks that they are the N shards of one run over the
  /// same inputs.
  func parts() throws(Problem) -> [Part] {
    var parts: [Part] = []
    for directory in directories {
      let (path, data) = Self.summaryFile(in: directory)
      guard let data else {
        throw Problem(description: "\(directory): no run-summary.json; not the output of a run")
      }
      let decoder = JSONDecoder()
      decoder.dateDecodingStrategy = .iso8601
      guard let summary = try? decoder.decode(RunSummary.self, from: data) else {
        throw Problem(description: "\(path): not a run summary NeuroEndo can read")
      }
      guard let text = summary.shard, let shard = Shard(text) else {
        throw Problem(
          description: "\(directory): the output of a whole run, not of a shard (--shard K/N)")
      }
      parts.append(Part(directory: directory, summary: summary, shard: shard))
    }
    guard let first = parts.first else { throw Problem(description: "no shard directory given") }
    let count = first.shard.count
    parts.sort { $0.shard.index < $1.shard.index }
    let indices = parts.map(\.shard.index)
    guard parts.allSatisfy({ $0.shard.count == count }), indices == Array(1...count) else {
      let have = parts.map { "\($0.shard) (\($0.directory))" }.joined(separator: ", ")
      throw Problem(
        description: "expected shards 1/\(count) to \(count)/\(count), one each; given: \(have)")
    }
    func identity(_ summary: RunSummary) -> [String] {
      summary.files.map { "\($0.file) \($0.sha256 ?? "")" }
    }
    for part in parts.dropFirst() {
      let reference = parts[0]
      if part.summary.version != reference.summary.version {
        throw Problem(
          description:
            "\(part.directory) was written by NeuroEndo \(part.summary.version), \(reference.directory) by \(reference.summary.version)"
        )
      }
      if identity(part.summary) != identity(reference.summary) {
        throw Problem(
          description:
            "\(part.directory) and \(reference.directory) read different inputs (file lists or contents differ); run every shard over the same inputs"
        )
      }
      if part.summary.outputs.keys.sorted() != reference.summary.outputs.keys.sorted() {
        throw Problem(
          description: "\(part.directory) and \(reference.directory) wrote different outputs")
      }
    }
    if let incomplete = parts.first(where: { !$0.summary.outputFailures.isEmpty }) {
      throw Problem(
        description:
          "\(incomplete.directory): the shard's outputs were not all written; run it again")
    }
    // One run's shards share their settings (the audit records every effective one) and
    // whether patient reports are written.
    let reference = Self.settings(of: parts[0])
    for part in parts.dropFirst() where Self.settings(of: part) != reference {
      throw Problem(
        description:
          "\(part.directory) and \(parts[0].directory) ran with different settings (their audits list them); run every shard with the same pipeline and options"
      )
    }
    return parts
  }

  /// A shard's effective settings as its audit lists them, and whether it wrote patient
  /// reports.
  private static func settings(of part: Part) -> [String: String] {
    var settings: [String: String] = [:]
    if let audit = part.summary.outputs["audit"].map({ URL(fileURLWithPath: $0).lastPathComponent }
    ),
      let data = FileManager.default.contents(atPath: "\(part.directory)/\(audit)"),
      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let listed = object["settings"] as? [String: String]
    {
      settings = listed
    }
    if let reports = part.summary.outputs["reports"].map({
      URL(fileURLWithPath: $0).lastPathComponent
    }) {
      settings["(patient reports)"] = String(
        FileManager.default.fileExists(atPath: "\(part.directory)/\(reports)/patients"))
    }
    return settings
  }

  /// A shard's run summary: `run-summary.json`, or the JSON file a pipeline named instead
  /// (`outputs.summary`), which names itself under `outputs.summary`.
  static func summaryFile(in directory: String) -> (path: String, data: Data?) {
    let standard = directory + "/run-summary.json"
    if let data = FileManager.default.contents(atPath: standard) { return (standard, data) }
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    for name in names.sorted() where name.hasSuffix(".json") && !name.hasPrefix(".") {
      let path = directory + "/" + name
      guard let data = FileManager.default.contents(atPath: path),
        let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
        let outputs = object["outputs"] as? [String: String],
        outputs["summary"].map({ URL(fileURLWithPath: $0).lastPathComponent }) == name
      else { continue }
      return (path, data)
    }
    return (standard, nil)
  }

  /// Merges the shards into `outputDirectory`.
  ///
  /// - Parameters:
  ///   - note: the merged summary's note (default: the shards and their runs).
  ///   - publisher: the output directory's publisher, already holding its lock, when the
  ///     caller wrote the shards inside its staging (a run in partitions).
  /// - Returns: the merged run's summary (also written there), or the problem that stopped
  ///   the merge before anything was written.
  public func merge(
    into outputDirectory: String, note: String? = nil, publisher given: OutputPublisher? = nil
  ) -> Result<RunSummary, Problem> {
    let parts: [Part]
    do throws(Problem) {
      parts = try self.parts()
    } catch {
      return .failure(error)
    }
    let target = InputCatalogue.canonical(outputDirectory)
    for part in parts where given == nil {
      let source = InputCatalogue.canonical(part.directory)
      if target == source || target.hasPrefix(source + "/") || source.hasPrefix(target + "/") {
        return .failure(
          Problem(
            description:
              "the output directory \(target) overlaps the shard directory \(source); merge into a directory of its own"
          ))
      }
    }
    let epoch = RunClock.environmentEpoch()
    let started = epoch ?? Date()
    var first = parts[0].summary
    // The summaries name published paths; the merge needs the names in a directory.
    first.outputs = first.outputs.mapValues { URL(fileURLWithPath: $0).lastPathComponent }
    var summary = RunSummary(
      pipeline: first.pipeline, started: parts.map(\.summary.started).min() ?? started,
      finished: started, files: first.files, inputProblems: first.inputProblems)
    summary.run = given?.run ?? RunClock.runID(started, reproducible: epoch != nil)
    summary.skippedEntries = first.skippedEntries
    summary.auditOnly = first.auditOnly
    summary.normalization = Self.normalization(parts.map(\.summary))
    summary.quarantinedSubjects = parts.flatMap(\.summary.quarantinedSubjects)
    summary.analysis = Self.analysis(parts.map(\.summary))
    summary.notes = [
      note
        ?? "merged from \(parts.count) shards: "
        + parts.map { "\($0.shard) \($0.directory) (run \($0.summary.run))" }.joined(
          separator: ", ")
    ]
    let publisher: OutputPublisher
    do throws(OutputError) {
      if let given {
        publisher = given
      } else {
        publisher = try OutputPublisher(
          directory: outputDirectory, run: summary.run,
          outputNames: Pipeline.Outputs(directory: outputDirectory).names)
      }
    } catch {
      summary.fail(error.lockHolder != nil ? .locked(error) : .output(error))
      return .success(summary)
    }
    // The tables (every role whose rows the shards keyed), the reports and the audit are
    // independent: merged at once on every core, the longest first, each into a copy of
    // the summary whose additions are taken in this order.
    enum Job: Sendable {
      case table(role: String, name: String)
      case reports(String)
      case audit(String, markdown: String)
    }
    var jobs: [Job] = []
    for (role, name) in first.outputs.sorted(by: { $0.key < $1.key }) {
      let keys = "\(parts[0].directory)/\(OutputWriter.shardFolder)/\(name).keys"
      if FileManager.default.fileExists(atPath: keys) {
        jobs.append(.table(role: role, name: name))
      }
    }
    if let reports = first.outputs["reports"] { jobs.append(.reports(reports)) }
    if let audit = first.outputs["audit"], let markdown = first.outputs["audit_md"] {
      jobs.append(.audit(audit, markdown: markdown))
    }
    func size(_ job: Job) -> Int {
      switch job {
      case .reports: return Int.max  // the cohort's pooled values and pages
      case .audit: return 0
      case .table(_, let name):
        let attributes = try? FileManager.default.attributesOfItem(
          atPath: "\(parts[0].directory)/\(name)")
        return (attributes?[.size] as? Int) ?? 0
      }
    }
    let order = jobs.indices.sorted { size(jobs[$0]) > size(jobs[$1]) }
    let staging = publisher.staging
    let base = summary
    let done = ParallelMap.each(order) { [jobs, parts] index -> RunSummary in
      var partial = base
      switch jobs[index] {
      case .table(let role, let name):
        do throws(Problem) {
          let rows = try Self.mergeTable(
            name, from: parts.map(\.directory), to: "\(staging)/\(name)")
          partial.outputs[role] = name
          partial.outputRows[role] = rows
        } catch {
          partial.fail(.part(error.description))
        }
      case .reports(let folder):
        mergeReports(folder, parts, staging: staging, into: &partial)
      case .audit(let name, let markdown):
        mergeAudit(name, markdown, parts, staging: staging, into: &partial)
      }
      return partial
    }
    for partial in zip(order, done).sorted(by: { $0.0 < $1.0 }).map(\.1) {
      summary.outputs.merge(partial.outputs) { _, added in added }
      summary.outputRows.merge(partial.outputRows) { _, added in added }
      summary.failures += partial.failures.dropFirst(base.failures.count)
      summary.notes += partial.notes.dropFirst(base.notes.count)
    }
    summary.finished = Date()
    if movesFiles {
      // Scratch partitions, merged: gone before publication syncs the file system.
      for part in parts { try? FileManager.default.removeItem(atPath: part.directory) }
    }
    guard summary.failures.isEmpty else {
      summary.outputs = [:]
      summary.outputRows = [:]
      summary.fail(.part("nothing was published: \(publisher.directory) keeps what it held"))
      return .success(summary)
    }
    let files = Array(summary.outputs.values)
    let name = first.outputs["summary"] ?? "run-summary.json"
    summary.outputs = summary.outputs.mapValues(publisher.publishedPath)
    summary.outputs["summary"] = publisher.publishedPath(name)
    do throws(OutputError) {
      try AtomicFileWriter.write(RunSummaryReporter.json(summary), to: publisher.stagedPath(name))
      try publisher.publish(files + [name], last: name)
    } catch {
      summary.outputs = [:]
      summary.fail(.output(error))
    }
    return .success(summary)
  }

  // MARK: - Tables

  /// Interleaves one table of every shard by its rows' keys, the header once.
  ///
  /// - Returns: the data rows written.
  static func mergeTable(_ name: String, from directories: [String], to path: String)
    throws(Problem) -> Int
  {
    var cursors: [TableCursor] = []
    for directory in directories {
      guard
        let cursor = TableCursor(
          table: "\(directory)/\(name)",
          keys: "\(directory)/\(OutputWriter.shardFolder)/\(name).keys")
      else {
        throw Problem(description: "\(directory): cannot read \(name) or its keys")
      }
      cursors.append(cursor)
    }
    let output: AtomicFileWriter
    do throws(OutputError) {
      output = try AtomicFileWriter(path: path)
    } catch {
      throw Problem(description: error.description)
    }
    // Every shard starts with the same header; it is written once.
    var header: [UInt8]?
    for cursor in cursors {
      guard cursor.advance(), cursor.isHeader else {
        throw Problem(description: "\(cursor.table): its keys file does not start with a header")
      }
      if header == nil {
        header = cursor.row
        cursor.row.withUnsafeBytes { output.write($0) }
      } else if header != cursor.row {
        throw Problem(description: "\(cursor.table): its header differs from the first shard's")
      }
    }
    // The smallest key first; on equal keys the earlier shard (a key is never split across
    // shards: one record, or one subject, belongs to one shard).
    var live = MinHeap<Int> {
      cursors[$0].key! < cursors[$1].key! || (cursors[$0].key! == cursors[$1].key! && $0 < $1)
    }
    for index in cursors.indices where cursors[index].advance() { live.push(index) }
    var rows = 0
    while let best = live.pop() {
      cursors[best].row.withUnsafeBytes { output.write($0) }
      rows += 1
      if cursors[best].advance() { live.push(best) }
    }
    if let broken = cursors.first(where: { $0.failure != nil }) {
      throw Problem(description: "\(broken.table): \(broken.failure!)")
    }
    do throws(OutputError) {
      try output.commit()
    } catch {
      throw Problem(description: error.description)
    }
    return rows
  }

  /// Reads one shard's table a row at a time, with each row's key.
  final class TableCursor {
    let table: String
    private let file: UnsafeMutablePointer<FILE>
    private let keys: UnsafeMutablePointer<FILE>
    private var line: UnsafeMutablePointer<CChar>?
    private var capacity = 0
    /// The current row's bytes and key (`nil` key: the header).
    private(set) var row: [UInt8] = []
    private(set) var key: ShardKey?
    private(set) var isHeader = false
    /// What went wrong, when a row could not be read whole.
    private(set) var failure: String?

    init?(table: String, keys: String) {
      guard let file = fopen(table, "r") else { return nil }
      guard let keyFile = fopen(keys, "r") else {
        fclose(file)
        return nil
      }
      self.table = table
      self.file = file
      self.keys = keyFile
    }

    deinit {
      fclose(file)
      fclose(keys)
      free(line)
    }

    /// Moves to the next row; `false` at the end (or on a failure, recorded).
    func advance() -> Bool {
      let read = getline(&line, &capacity, keys)
      guard read > 0, let line else { return false }
      let bytes = UnsafeBufferPointer(
        start: UnsafeRawPointer(line).assumingMemoryBound(to: UInt8.self),
        count: line[read - 1] == 0x0A ? read - 1 : read)
      guard let (length, key) = ShardKey.parse(line: bytes) else {
        failure = "unreadable keys line '\(String(decoding: bytes, as: UTF8.self))'"
        return false
      }
      isHeader = key == nil
      self.key = key
      row.removeAll(keepingCapacity: true)
      row.append(contentsOf: repeatElement(0, count: length))
      let got = row.withUnsafeMutableBytes { fread($0.baseAddress, 1, length, file) }
      guard got == length else {
        failure = "shorter than its keys say"
        return false
      }
      return true
    }
  }

  // MARK: - Reports

  /// The patients' reports with the whole cohort's band, and the cohort report.
  private func mergeReports(
    _ folder: String, _ parts: [Part], staging: String, into summary: inout RunSummary
  ) {
    var inputs: CohortReport.Inputs?
    var models: [(directory: String, file: String)] = []
    var bundles: [(directory: String, file: String)] = []
    for part in parts {
      let path = "\(part.directory)/\(OutputWriter.shardFolder)/\(OutputWriter.cohortInputs)"
      guard let data = FileManager.default.contents(atPath: path),
        let contribution = try? JSONDecoder().decode(CohortReport.Inputs.self, from: data)
      else {
        summary.fail(.part("\(path): missing or unreadable"))
        return
      }
      if let sum = inputs, sum.flattenedThreshold != contribution.flattenedThreshold {
        summary.fail(
          .part("\(part.directory): its flattened-slope threshold differs from the first shard's"))
        return
      }
      if inputs == nil {
        // Room for every part's values at once, instead of growing by doubling.
        inputs = contribution
        inputs?.reserve(subjectDays: parts.reduce(0) { $0 + $1.summary.analysis.subjectDays })
      } else {
        inputs?.add(contribution)
      }
      let patients = "\(part.directory)/\(folder)/patients"
      let names = (try? FileManager.default.contentsOfDirectory(atPath: patients)) ?? []
      // A patient whose page is there was rendered whole (by a partition given the band).
      let rendered = Set(names.filter { $0.hasSuffix(".html") }.map { $0.dropLast(5) })
      for name in names.sorted() where !name.hasPrefix(".") {
        let base = [".json", ".md", ".html"].first(where: name.hasSuffix).map {
          name.dropLast($0.count)
        }
        if name.hasSuffix(".fhir.json") || base.map(rendered.contains) == true {
          bundles.append((patients, name))
        } else if name.hasSuffix(".json") {
          models.append((patients, name))
        }
      }
    }
    inputs?.patients.sort { $0.subjectID < $1.subjectID }
    guard let pooled = inputs else { return }
    // The cohort report and band are made now, and the pooled values let go before the
    // pages are rendered (a large cohort's values are most of the merge's memory).
    inputs = nil
    let run = summary.run
    let band = PatientReport.CohortBand.band(pooled.band)
    let reportRows = pooled.patients.filter { $0.file != nil }.count
    let cohort = CohortReport.build(inputs: consume pooled, run: run)
    let staged = "\(staging)/\(folder)"
    // Patient reports were written when the shards made a patients folder (not with
    // settings.reports.patients: false).
    let patientReports = FileManager.default.fileExists(
      atPath: "\(parts[0].directory)/\(folder)/patients")
    do throws(OutputError) {
      try FileModes.makeDirectory(patientReports ? staged + "/patients" : staged)
    } catch {
      summary.fail(.output(error))
      return
    }
    var failures: [String] = []
    var next = 0
    ParallelMap.forEachBatch(
      models, batch: 64,
      { model -> [(String, String)]? in
        guard let data = FileManager.default.contents(atPath: "\(model.directory)/\(model.file)"),
          var report = try? JSONDecoder().decode(PatientReport.self, from: data)
        else { return nil }
        report.run = run
        report.cohortBand = report.days.isEmpty ? [] : band
        let base = PatientReport.fileName(report.subjectID)
        return [
          ("\(base).json", PatientReportRenderer.json(report)),
          ("\(base).md", PatientReportRenderer.markdown(report)),
          ("\(base).html", PatientReportRenderer.html(report)),
        ]
      }
    ) { batch in
      for files in batch where failures.isEmpty {
        let model = models[next]
        next += 1
        guard let files else {
          failures.append(
            "\(model.directory)/\(model.file): not a patient report NeuroEndo can read")
          return
        }
        for (name, text) in files {
          do throws(OutputError) {
            try AtomicFileWriter.write(text, to: "\(staged)/patients/\(name)", durable: false)
          } catch {
            failures.append(error.description)
            return
          }
        }
      }
    }
    for bundle in bundles where failures.isEmpty {
      let from = "\(bundle.directory)/\(bundle.file)"
      let to = "\(staged)/patients/\(bundle.file)"
      // Only a regular file of the shard's (a link planted there is not followed).
      var status = stat()
      guard lstat(from, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
        failures.append("\(from): not a regular file; a shard's reports hold only files")
        continue
      }
      if movesFiles, rename(from, to) == 0 { continue }
      do {
        try FileManager.default.copyItem(atPath: from, toPath: to)
        _ = chmod(to, FileModes.file)
      } catch {
        failures.append("cannot copy \(from): \(error.localizedDescription)")
      }
    }
    // One page in memory at a time (a large cohort's are tens of megabytes each).
    for name in ["cohort.json", "cohort.html"] where failures.isEmpty {
      do throws(OutputError) {
        try AtomicFileWriter.write(
          name == "cohort.json" ? cohort.json : cohort.html, to: "\(staged)/\(name)")
      } catch {
        failures.append(error.description)
      }
    }
    summary.failures += failures.map { RunFailure.part($0) }
    guard failures.isEmpty else { return }
    summary.outputs["reports"] = folder
    summary.outputRows["reports"] = reportRows
    if !patientReports {
      summary.notes.append(
        "reports: the cohort report only; no patient reports (settings.reports.patients: false, or --no-patient-reports)"
      )
    }
  }

  // MARK: - Audit

  /// The audit: the files as every shard saw them, the dataset's counts added up, the first
  /// locations of each plausibility flag in read order.
  private func mergeAudit(
    _ name: String, _ markdown: String, _ parts: [Part], staging: String,
    into summary: inout RunSummary
  ) {
    var audits: [AuditReport] = []
    for part in parts {
      let path = "\(part.directory)/\(name)"
      guard let data = FileManager.default.contents(atPath: path),
        let audit = try? JSONDecoder().decode(AuditReport.self, from: data)
      else {
        summary.fail(.part("\(path): missing or unreadable"))
        return
      }
      audits.append(audit)
    }
    var merged = audits[0]
    merged.run = summary.run
    let ordinals = Dictionary(
      merged.files.enumerated().map { ($1.path, $0) }, uniquingKeysWith: { first, _ in first })
    var dataset = merged.dataset
    var tallies: [String: [(shard: Int, tally: AuditReport.Tally)]] = [:]
    for tally in dataset.plausibility { tallies[tally.reason, default: []].append((0, tally)) }
    for (shard, audit) in audits.enumerated().dropFirst() {
      let other = audit.dataset
      dataset.subjects += other.subjects
      dataset.samples += other.samples
      dataset.samplesByKind.merge(other.samplesByKind, uniquingKeysWith: +)
      dataset.slots.merge(other.slots) { $0.merging($1, uniquingKeysWith: +) }
      dataset.protocolCompliance.merge(other.protocolCompliance, uniquingKeysWith: +)
      dataset.duplicates += other.duplicates
      dataset.conflicts += other.conflicts
      dataset.mixedClock += other.mixedClock
      for tally in other.plausibility { tallies[tally.reason, default: []].append((shard, tally)) }
    }
    dataset.plausibility = tallies.keys.sorted().map { reason in
      let parts = tallies[reason]!
      func place(_ location: InputLocation) -> (Int, Int) {
        (ordinals[location.file] ?? Int.max, location.record ?? 0)
      }
      // In read order: by file and record; one record's flags come from one shard.
      let located = parts.flatMap { part in
        part.tally.locations.enumerated().map { (place($1), part.shard, $0, $1) }
      }.sorted { ($0.0.0, $0.0.1, $0.1, $0.2) < ($1.0.0, $1.0.1, $1.1, $1.2) }
      let earliest = parts.min { lhs, rhs in
        let a = lhs.tally.locations.first.map(place) ?? (Int.max, Int.max)
        let b = rhs.tally.locations.first.map(place) ?? (Int.max, Int.max)
        return (a.0, a.1, lhs.shard) < (b.0, b.1, rhs.shard)
      }!
      return AuditReport.Tally(
        reason: reason, count: parts.reduce(0) { $0 + $1.tally.count },
        example: earliest.tally.example,
        locations: Array(located.prefix(FileReadSummary.locationsKept).map(\.3)))
    }
    merged.dataset = dataset
    for (file, text) in [(name, merged.json), (markdown, merged.markdown)] {
      do throws(OutputError) {
        try AtomicFileWriter.write(text, to: "\(staging)/\(file)")
      } catch {
        summary.fail(.output(error))
        return
      }
    }
    summary.outputs["audit"] = name
    summary.outputs["audit_md"] = markdown
    summary.outputRows["audit"] = merged.files.count
    summary.outputRows["audit_md"] = merged.files.count
  }

  // MARK: - Summary

  /// The normalizer's counts over all shards; the sleep diary, which every shard reads
  /// whole, counted once.
  static func normalization(_ summaries: [RunSummary]) -> RunSummary.NormalizationSummary {
    var sum = summaries[0].normalization
    for other in summaries.dropFirst() { sum.add(other.normalization) }
    return sum
  }

  /// The analyzers' counts over all shards.
  static func analysis(_ summaries: [RunSummary]) -> RunSummary.AnalysisSummary {
    var sum = summaries[0].analysis
    for other in summaries.dropFirst().map(\.analysis) {
      sum.subjectDays += other.subjectDays
      sum.carComputed += other.carComputed
      sum.slopeComputed += other.slopeComputed
      sum.cosinorComputed += other.cosinorComputed
      sum.verdicts.merge(other.verdicts, uniquingKeysWith: +)
      sum.responses += other.responses
      sum.excludedSamples += other.excludedSamples
      sum.unplaced.merge(other.unplaced, uniquingKeysWith: +)
      sum.specimensLeftOut.merge(other.specimensLeftOut, uniquingKeysWith: +)
      sum.findings.merge(other.findings, uniquingKeysWith: +)
      sum.notJudged.merge(other.notJudged) {
        $0.merging($1) { $0.merging($1, uniquingKeysWith: +) }
      }
    }
    return sum
  }
}
