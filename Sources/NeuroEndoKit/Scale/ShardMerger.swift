import Foundation
import Synchronization

/// Combines the shards of a run (`--shard K/N`, or a run's partitions) into the outputs
/// one run writes (`neuroendo merge`). It reads the shards' own format (``ShardManifest``),
/// never the reports a run publishes: the tables interleaved in one run's row order by the
/// keys each shard kept beside them, the cohort-relative outputs (the cohort report, each
/// patient's cohort band) computed from all shards' contributions and rendered once, the
/// audit and the run summary from the counts each kept, added up by their own `add`. The
/// merged outputs are published like a run's: all or nothing.
public struct ShardMerger: Sendable {
  /// The shards' output directories, in any order.
  public var directories: [String]

  /// Whether files the merge takes as they are (FHIR bundles) are moved out of the shards'
  /// directories instead of copied, and the directories removed once merged: for the
  /// scratch partitions of a run (`--partitions`).
  var movesFiles = false

  /// Creates a merger.
  public init(directories: [String]) { self.directories = directories }

  /// The parts' contributions to the cohort report, by part directory, when the caller
  /// wrote the parts in this process and kept them (a run in partitions): used instead of
  /// reading each part's `cohort-inputs.json` back, and let go as each is pooled.
  var cohortInputs: CohortContributions?
  /// Whether the parts rendered their patients' pages whole, with the whole cohort's band
  /// they were given (a run in partitions): the merge takes every file of theirs as it is
  /// (a run's partitions write theirs straight into its staging folder: none to take), and
  /// renders none.
  var pagesRendered = false
  /// Whether the parts are ranges of subjects in id order, each part's subjects before the
  /// next's (a run's partitions, not hash shards): a table in subject order is the parts'
  /// rows one part after the other, copied as they are without reading their keys.
  var concatenates = false

  /// Why shards cannot be merged: not shards, not all of them, or not of one run.
  public struct Problem: Error, Sendable, CustomStringConvertible {
    public var description: String
  }

  /// One shard: its output directory, its manifest and its number.
  struct Part {
    var directory: String
    var manifest: ShardManifest
    var shard: Shard
    /// The shard's folder, where its format lives.
    var folder: String { "\(directory)/\(OutputWriter.shardFolder)" }
  }

  /// Reads the shards' manifests and checks that they are the N shards of one run over the
  /// same inputs, with the same settings.
  func parts() throws(Problem) -> [Part] {
    var parts: [Part] = []
    for directory in directories {
      switch ShardManifest.read(in: directory) {
      case .none:
        let whole = FileManager.default.fileExists(atPath: directory + "/run-summary.json")
        throw Problem(
          description: whole
            ? "\(directory): the output of a whole run, not of a shard (--shard K/N)"
            : "\(directory): no \(OutputWriter.shardFolder)/\(ShardManifest.fileName); not the output of a shard run (--shard K/N)"
        )
      case .failure(let problem): throw Problem(description: problem.description)
      case .success(let manifest):
        guard let shard = Shard(manifest.shard) else {
          throw Problem(description: "\(directory): its manifest names no shard K/N")
        }
        parts.append(Part(directory: directory, manifest: manifest, shard: shard))
      }
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
    for part in parts.dropFirst() { try Self.check(part, against: parts[0]) }
    return parts
  }

  /// Whether a shard is of the same run as the first: one release, the same inputs, the
  /// same outputs and settings (the audit's list, and whether patient reports are written).
  private static func check(_ part: Part, against reference: Part) throws(Problem) {
    let (one, other) = (part.manifest, reference.manifest)
    if one.generator != other.generator {
      throw Problem(
        description:
          "\(part.directory) was written by NeuroEndo \(one.generator), \(reference.directory) by \(other.generator)"
      )
    }
    func identity(_ manifest: ShardManifest) -> [String] {
      manifest.files.map { "\($0.file) \($0.sha256 ?? "")" }
    }
    if identity(one) != identity(other) {
      throw Problem(
        description:
          "\(part.directory) and \(reference.directory) read different inputs (file lists or contents differ); run every shard over the same inputs"
      )
    }
    if one.outputs != other.outputs || one.tables.keys.sorted() != other.tables.keys.sorted() {
      throw Problem(
        description: "\(part.directory) and \(reference.directory) wrote different outputs")
    }
    if one.settings != other.settings || one.patientReports != other.patientReports {
      throw Problem(
        description:
          "\(part.directory) and \(reference.directory) ran with different settings (their audits list them); run every shard with the same pipeline and options"
      )
    }
  }

  /// Merges the shards into `outputDirectory`.
  ///
  /// - Parameters:
  ///   - outputDirectory: where the merged outputs are published.
  ///   - note: the merged summary's note (default: the shards and their runs).
  ///   - given: the output directory's publisher, already holding its lock, when the
  ///     caller wrote the shards inside its staging (a run in partitions).
  /// - Returns: the merged run's summary (also written there), or the problem that stopped
  ///   the merge before anything was written.
  public func merge(
    into outputDirectory: String, note: String? = nil, publisher given: OutputPublisher? = nil
  ) -> Result<RunSummary, Problem> {
    let parts: [Part]
    do throws(Problem) {
      parts = try self.parts()
      if given == nil { try Self.refuseOverlap(outputDirectory, parts) }
    } catch {
      return .failure(error)
    }
    var summary = Self.summary(parts, note: note, run: given?.run)
    let publisher: OutputPublisher
    do throws(OutputError) {
      publisher = try OutputPublisher.holding(
        given, directory: outputDirectory, run: summary.run,
        outputNames: Pipeline.Outputs(directory: outputDirectory).names)
    } catch {
      summary.fail(error.lockHolder != nil ? .locked(error) : .output(error))
      return .success(summary)
    }
    mergeOutputs(parts, staging: publisher.staging, into: &summary)
    summary.finished = Date()
    if movesFiles {
      // Scratch partitions, merged: gone before publication syncs the file system.
      for part in parts { try? FileManager.default.removeItem(atPath: part.directory) }
    }
    StageChain.publish(
      &summary, name: parts[0].manifest.outputs["summary"] ?? "run-summary.json", with: publisher)
    return .success(summary)
  }

  /// Refuses an output directory that overlaps a shard's.
  private static func refuseOverlap(_ outputDirectory: String, _ parts: [Part]) throws(Problem) {
    let target = InputCatalogue.canonical(outputDirectory)
    for part in parts {
      let source = InputCatalogue.canonical(part.directory)
      if target == source || target.hasPrefix(source + "/") || source.hasPrefix(target + "/") {
        throw Problem(
          description:
            "the output directory \(target) overlaps the shard directory \(source); merge into a directory of its own"
        )
      }
    }
  }

  /// The merged run's summary before its outputs: the files as every shard read them, the
  /// counts of all shards added up.
  private static func summary(_ parts: [Part], note: String?, run given: String?) -> RunSummary {
    let epoch = RunClock.environmentEpoch()
    let started = epoch ?? Date()
    let first = parts[0].manifest
    var summary = RunSummary(
      pipeline: first.pipeline, started: parts.map(\.manifest.started).min() ?? started,
      finished: started, files: first.files,
      inputIssues: first.inputProblems.map { InputIssue.recorded($0) })
    summary.run = given ?? RunClock.runID(started, reproducible: epoch != nil)
    summary.skippedEntries = first.skippedEntries
    summary.auditOnly = first.auditOnly
    summary.normalization = first.normalization
    summary.analysis = first.analysis
    for part in parts.dropFirst() {
      summary.normalization.add(part.manifest.normalization)
      summary.analysis.add(part.manifest.analysis)
    }
    summary.quarantined = parts.flatMap(\.manifest.quarantinedSubjects).map {
      QuarantinedSubject(described: $0)
    }
    summary.notWritten = first.notWritten
    summary.notes = [
      note
        ?? "merged from \(parts.count) shards: "
        + parts.map { "\($0.shard) \($0.directory) (run \($0.manifest.run))" }.joined(
          separator: ", ")
    ]
    return summary
  }

  /// The tables (every role the shards keyed), the reports and the audit are independent:
  /// merged at once on every core, the longest first, each into a copy of the summary whose
  /// additions are taken in this order.
  private func mergeOutputs(_ parts: [Part], staging: String, into summary: inout RunSummary) {
    enum Job: Sendable {
      case table(role: String, name: String)
      case reports(String)
      case audit(String, markdown: String)
    }
    let first = parts[0].manifest
    var jobs: [Job] = first.tables.sorted(by: { $0.key < $1.key }).map {
      .table(role: $0.key, name: $0.value)
    }
    if let reports = first.outputs["reports"] { jobs.append(.reports(reports)) }
    if let audit = first.outputs["audit"], let markdown = first.outputs["audit_md"] {
      jobs.append(.audit(audit, markdown: markdown))
    }
    func size(_ job: Job) -> Int {
      switch job {
      case .reports: return Int.max  // the cohort's pooled values and pages
      case .audit: return 0
      case .table(_, let name): return FileSystem.size("\(parts[0].folder)/\(name)") ?? 0
      }
    }
    // Patients' pages render on every core themselves: alone, after the rest, since a
    // map on every core inside a job of `each` gets one thread (libdispatch divides the
    // cores among nested loops). Pages the parts rendered are not rendered again.
    let pages = first.patientReports && !pagesRendered
    let order = jobs.indices.sorted { size(jobs[$0]) > size(jobs[$1]) }.filter {
      guard pages, case .reports = jobs[$0] else { return true }
      return false
    }
    let base = summary
    let job: @Sendable (Int) -> RunSummary = { [jobs, parts] index in
      var partial = base
      switch jobs[index] {
      case .table(let role, let name):
        do throws(Problem) {
          let rows = try Self.mergeTable(
            name, from: parts.map(\.folder), to: "\(staging)/\(name)", concatenates: concatenates)
          partial.outputs[role] = name
          partial.outputRows[role] = rows
        } catch {
          partial.fail(.part(error.description))
        }
      case .reports(let folder):
        mergeReports(folder, parts, staging: staging, into: &partial)
      case .audit(let name, let markdown):
        Self.mergeAudit(name, markdown, parts, staging: staging, into: &partial)
      }
      return partial
    }
    var done: [(index: Int, summary: RunSummary)] = Array(zip(order, ParallelMap.each(order, job)))
    for index in jobs.indices where !order.contains(index) { done.append((index, job(index))) }
    for partial in done.sorted(by: { $0.index < $1.index }).map(\.summary) {
      summary.outputs.merge(partial.outputs) { _, added in added }
      summary.outputRows.merge(partial.outputRows) { _, added in added }
      summary.failures += partial.failures.dropFirst(base.failures.count)
      summary.notes += partial.notes.dropFirst(base.notes.count)
    }
  }

  // MARK: - Tables

  /// Interleaves one table of every shard by its rows' keys, the header once; or, when
  /// the shards are ranges of subjects in order (`concatenates`) and the table is in
  /// subject order, writes each shard's rows after the last's.
  ///
  /// - Returns: the data rows written.
  static func mergeTable(
    _ name: String, from directories: [String], to path: String, concatenates: Bool = false
  ) throws(Problem) -> Int {
    let output: AtomicFileWriter
    do throws(OutputError) {
      output = try AtomicFileWriter(path: path)
    } catch {
      throw Problem(description: error.description)
    }
    var rows = 0
    if concatenates, try inSubjectOrder(name, directories) {
      rows = try concatenate(name, directories, into: output)
    } else {
      rows = try interleave(name, directories, into: output)
    }
    do throws(OutputError) {
      try output.commit()
    } catch {
      throw Problem(description: error.description)
    }
    return rows
  }

  /// Opens a shard's table and reads its header, which must be `header` when given.
  private static func open(_ name: String, in directory: String, header: [UInt8]?)
    throws(Problem) -> TableCursor
  {
    guard
      let cursor = TableCursor(table: "\(directory)/\(name)", keys: "\(directory)/\(name).keys")
    else {
      throw Problem(description: "\(directory): cannot read \(name) or its keys")
    }
    guard cursor.advance(), cursor.isHeader else {
      throw Problem(description: "\(cursor.table): its keys file does not start with a header")
    }
    if let header, header != cursor.row {
      throw Problem(description: "\(cursor.table): its header differs from the first shard's")
    }
    return cursor
  }

  /// Whether the table's rows are in subject order (its first row's key names a subject;
  /// a table's keys are all of one kind), by the first shard that has a row; a table
  /// without rows is as well (the headers alone, one part open at a time).
  private static func inSubjectOrder(_ name: String, _ directories: [String]) throws(Problem)
    -> Bool
  {
    for directory in directories {
      let cursor = try open(name, in: directory, header: nil)
      if cursor.advance(), let key = cursor.key {
        if case .subject = key { return true }
        return false
      }
    }
    return true
  }

  /// Writes each shard's rows after the last's, one shard open at a time (a run's
  /// partitions may be hundreds), the header once.
  private static func concatenate(
    _ name: String, _ directories: [String], into output: AtomicFileWriter
  ) throws(Problem) -> Int {
    var header: [UInt8]?
    var rows = 0
    for directory in directories {
      let cursor = try open(name, in: directory, header: header)
      if header == nil {
        header = cursor.row
        cursor.row.withUnsafeBytes { output.write($0) }
      }
      rows += cursor.copyRest(to: output)
      if let failure = cursor.failure { throw Problem(description: "\(cursor.table): \(failure)") }
    }
    return rows
  }

  /// Interleaves one table of every shard by its rows' keys, the header once.
  private static func interleave(
    _ name: String, _ directories: [String], into output: AtomicFileWriter
  ) throws(Problem) -> Int {
    var cursors: [TableCursor] = []
    for directory in directories {
      cursors.append(try open(name, in: directory, header: cursors.first?.row))
    }
    // Every shard starts with the same header; it is written once.
    cursors.first?.row.withUnsafeBytes { output.write($0) }
    // The smallest key first; on equal keys the earlier shard (a key is never split
    // across shards: one record, or one subject, belongs to one shard).
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
    return rows
  }

  /// Reads one shard's table a row at a time, with each row's key.
  final class TableCursor {
    /// Writes the rows after the current one (the header) to `output` as they are, in
    /// blocks; how many rows they are. The keys are not read as keys: their lines are
    /// counted and their lengths added up, which must be the bytes copied.
    func copyRest(to output: AtomicFileWriter) -> Int {
      var block = [UInt8](repeating: 0, count: 1 << 16)
      var (rows, copied, listed) = (0, 0, 0)
      var length = 0
      var atStart = true  // of a keys line: its length comes first
      block.withUnsafeMutableBytes { block in
        while case let count = file.read(some: block), count > 0 {
          output.write(UnsafeRawBufferPointer(rebasing: block[..<count]))
          copied += count
        }
        while case let count = keys.read(some: block), count > 0 {
          for byte in block[..<count] {
            if byte == 0x0A {
              (rows, listed, length, atStart) = (rows + 1, listed + length, 0, true)
            } else if atStart, byte >= 0x30, byte <= 0x39 {
              length = length &* 10 &+ Int(byte - 0x30)
            } else {
              atStart = false
            }
          }
        }
      }
      if file.failed || keys.failed {
        failure = "cannot be read whole"
      } else if copied != listed || length != 0 || !atStart {
        failure = "its \(copied) bytes are not the \(listed) its keys list"
      }
      return rows
    }

    let table: String
    private let file: FileSystem.LineReader
    private let keys: FileSystem.LineReader
    /// The current row's bytes and key (`nil` key: the header).
    private(set) var row: [UInt8] = []
    private(set) var key: ShardKey?
    private(set) var isHeader = false
    /// What went wrong, when a row could not be read whole.
    private(set) var failure: String?

    init?(table: String, keys: String) {
      guard let file = FileSystem.LineReader(table), let keyFile = FileSystem.LineReader(keys)
      else { return nil }
      self.table = table
      self.file = file
      self.keys = keyFile
    }

    /// Moves to the next row; `false` at the end (or on a failure, recorded).
    func advance() -> Bool {
      guard let bytes = keys.nextLine() else { return false }
      guard let (length, key) = ShardKey.parse(line: bytes) else {
        failure = "unreadable keys line '\(String(decoding: bytes, as: UTF8.self))'"
        return false
      }
      isHeader = key == nil
      self.key = key
      row.removeAll(keepingCapacity: true)
      row.append(contentsOf: repeatElement(0, count: length))
      guard row.withUnsafeMutableBytes({ file.read(into: $0, length) }) else {
        failure = "shorter than its keys say"
        return false
      }
      return true
    }
  }

  // MARK: - Reports

  /// What the shards leave for the reports: the cohort's pooled inputs, each patient's
  /// report model, and the files taken as they are (FHIR bundles; every page when the parts
  /// rendered them, ``pagesRendered``).
  private struct Pool {
    var inputs: CohortReport.Inputs
    var models: [String] = []
    var bundles: [String] = []
  }

  /// Pools the shards' cohort inputs and lists their patients' files; `nil` when a shard's
  /// are missing or differ (the summary says why).
  private func pool(_ parts: [Part], into summary: inout RunSummary) -> (
    inputs: CohortReport.Inputs, models: [String], bundles: [String]
  )? {
    var pool: Pool?
    // Each part's contribution is taken (or read back from its JSON) on another thread
    // while the one before is pooled: at 9 million rows most are read back, two seconds of
    // decoding that the merge's other jobs, done by then, left to one core.
    let kept = cohortInputs
    let contributions = Prefetched(count: parts.count) { index in
      let part = parts[index]
      return kept?.take(part.directory)
        ?? FileManager.default.contents(
          atPath: "\(part.folder)/\(OutputWriter.cohortInputs)"
        ).flatMap { try? JSONDecoder().decode(CohortReport.Inputs.self, from: $0) }
    }
    for (index, part) in parts.enumerated() {
      let path = "\(part.folder)/\(OutputWriter.cohortInputs)"
      guard let contribution = contributions.take(index) else {
        summary.fail(.part("\(path): missing or unreadable"))
        return nil
      }
      if let sum = pool?.inputs, sum.flattenedThreshold != contribution.flattenedThreshold {
        summary.fail(
          .part("\(part.directory): its flattened-slope threshold differs from the first shard's"))
        return nil
      }
      if pool == nil {
        // Room for every part's values at once, instead of growing by doubling.
        pool = Pool(inputs: contribution)
        pool?.inputs.reserve(
          subjectDays: parts.reduce(0) { $0 + $1.manifest.analysis.subjectDays },
          patients: parts.reduce(0) { $0 + $1.manifest.dataset.subjects })
      } else {
        pool?.inputs.add(contribution)
      }
      let patients = "\(part.folder)/patients"
      let names = (try? FileManager.default.contentsOfDirectory(atPath: patients)) ?? []
      for name in names.sorted() where !name.hasPrefix(".") {
        if name.hasSuffix(".fhir.json") || pagesRendered {
          pool?.bundles.append("\(patients)/\(name)")
        } else if name.hasSuffix(".json") {
          pool?.models.append("\(patients)/\(name)")
        }
      }
    }
    pool?.inputs.patients.sort { $0.subjectID < $1.subjectID }
    return pool.map { ($0.inputs, $0.models, $0.bundles) }
  }

  /// The patients' reports with the whole cohort's band, and the cohort report.
  private func mergeReports(
    _ folder: String, _ parts: [Part], staging: String, into summary: inout RunSummary
  ) {
    guard let (pooled, models, bundles) = pool(parts, into: &summary) else { return }
    var inputs = consume pooled
    // The cohort report and band are made now, and the pooled values let go before the
    // pages are rendered (a large cohort's values are most of the merge's memory).
    let band = PatientReport.CohortBand.band(inputs.band)
    // The patients whose pages were written: a subject a shard quarantined has none, and is
    // listed without a link (a shard of an earlier version gave its descriptions alone).
    let unlinked = inputs.dropLinks(of: Set(parts.flatMap { $0.manifest.quarantinedIDs ?? [] }))
    let reportRows =
      inputs.patients.filter { $0.file != nil }.count - (summary.quarantined.count - unlinked)
    let cohort = CohortReport.build(inputs: consume inputs, run: summary.run)
    let staged = "\(staging)/\(folder)"
    let patientReports = parts[0].manifest.patientReports
    do throws(OutputError) {
      try FileModes.makeDirectory(patientReports ? staged + "/patients" : staged)
    } catch {
      summary.fail(.output(error))
      return
    }
    var failures = render(models, band: band, run: summary.run, into: staged + "/patients")
    if failures.isEmpty { failures = copy(bundles, into: staged + "/patients") }
    // One page in memory at a time (a large cohort's are tens of megabytes each).
    for name in ["cohort.json", "cohort.html"] where failures.isEmpty {
      do throws(OutputError) {
        try AtomicFileWriter.write(
          bytes: name == "cohort.json" ? cohort.prettyJSONBytes : cohort.htmlBytes,
          to: "\(staged)/\(name)")
      } catch {
        failures.append(error.description)
      }
    }
    summary.failures += failures.map { RunFailure.part($0) }
    guard failures.isEmpty else { return }
    summary.outputs["reports"] = folder
    summary.outputRows["reports"] = reportRows
  }

  /// Renders each patient's pages from the report model a shard kept, with the whole
  /// cohort's band, on every core a batch at a time, written in order; the failures.
  private func render(
    _ models: [String], band: [PatientReport.CohortBand], run: String, into folder: String
  ) -> [String] {
    var failures: [String] = []
    var next = 0
    ParallelMap.forEachBatch(
      models, batch: 64,
      { model -> [(String, [UInt8])]? in
        guard let data = FileManager.default.contents(atPath: model),
          var report = try? JSONDecoder().decode(PatientReport.self, from: data)
        else { return nil }
        report.run = run
        report.cohortBand = report.days.isEmpty ? [] : band
        let base = PatientReport.fileName(report.subjectID)
        let pages = PatientReportRenderer.pageBytes(report)
        return [
          ("\(base).json", report.prettyJSONBytes), ("\(base).md", pages.markdown),
          ("\(base).html", pages.html),
        ]
      }
    ) { batch in
      for files in batch where failures.isEmpty {
        let model = models[next]
        next += 1
        guard let files else {
          failures.append("\(model): not a patient report model NeuroEndo can read")
          return
        }
        for (name, bytes) in files {
          do throws(OutputError) {
            try AtomicFileWriter.write(bytes: bytes, to: "\(folder)/\(name)", durable: false)
          } catch {
            failures.append(error.description)
            return
          }
        }
      }
    }
    return failures
  }

  /// Takes the files the shards rendered whole (FHIR bundles, which hold no cohort value;
  /// every page with ``pagesRendered``): moved out of scratch partitions, copied from
  /// shards; only a shard's regular files (a link planted there is not followed). The
  /// failures.
  private func copy(_ bundles: [String], into folder: String) -> [String] {
    var failures: [String] = []
    for from in bundles {
      let to = "\(folder)/\(FileSystem.split(from).name)"
      guard FileSystem.status(from, following: false)?.kind == .regular else {
        failures.append("\(from): not a regular file; a shard's reports hold only files")
        continue
      }
      if movesFiles, FileSystem.rename(from, to) == nil { continue }
      do {
        try FileManager.default.copyItem(atPath: from, toPath: to)
        FileSystem.setMode(to, FileModes.file)
      } catch {
        failures.append("cannot copy \(from): \(error.localizedDescription)")
      }
    }
    return failures
  }

  // MARK: - Audit

  /// The audit: the files as every shard read them, the datasets' counts added up by their
  /// own merge (``AuditReport/Dataset/merged(_:ordinals:)``), the settings the shards share.
  private static func mergeAudit(
    _ name: String, _ markdown: String, _ parts: [Part], staging: String,
    into summary: inout RunSummary
  ) {
    let first = parts[0].manifest
    let ordinals = Dictionary(
      first.files.enumerated().map { ($1.file, $0) }, uniquingKeysWith: { first, _ in first })
    let audit = AuditReport.build(
      run: summary.run, files: first.files, skippedEntries: first.skippedEntries,
      inputProblems: first.inputProblems,
      dataset: AuditReport.Dataset.merged(parts.map(\.manifest.dataset), ordinals: ordinals),
      settings: first.settings)
    for (file, text) in [(name, audit.json), (markdown, audit.markdown)] {
      do throws(OutputError) {
        try AtomicFileWriter.write(text, to: "\(staging)/\(file)")
      } catch {
        summary.fail(.output(error))
        return
      }
    }
    summary.outputs["audit"] = name
    summary.outputs["audit_md"] = markdown
    summary.outputRows["audit"] = audit.files.count
    summary.outputRows["audit_md"] = audit.files.count
  }
}

/// Values made in order on another thread, one ahead of the one taken: the next is made
/// while the caller works on the last, and at most two are held at once.
final class Prefetched<Value: Sendable>: Sendable {
  private let count: Int
  private let make: @Sendable (Int) -> Value
  /// The value being made: written on its thread before `done` is signalled, read by the
  /// caller after waiting for it.
  private final class Slot: @unchecked Sendable {
    var value: Value?
    let done = DispatchSemaphore(value: 0)
  }
  /// The next index and its slot, by the caller's thread only.
  private let next = Mutex<(index: Int, slot: Slot)?>(nil)
  /// A queue of its own: the caller may be one of the shared pool's threads, all busy.
  private let queue = DispatchQueue(label: "neuroendo.prefetch")

  init(count: Int, make: @escaping @Sendable (Int) -> Value) {
    self.count = count
    self.make = make
    start(0)
  }

  private func start(_ index: Int) {
    guard index < count else { return next.withLock { $0 = nil } }
    let slot = Slot()
    next.withLock { $0 = (index, slot) }
    queue.async { [make] in
      slot.value = make(index)
      slot.done.signal()
    }
  }

  /// The value of `index`, taken in order from 0; the next is then started.
  func take(_ index: Int) -> Value {
    guard let pending = next.withLock({ $0 }), pending.index == index else { return make(index) }
    pending.slot.done.wait()
    let value = pending.slot.value!
    start(index + 1)
    return value
  }
}
