import Foundation

/// An incremental run (`state:`): the files new or changed since the ledger saw them are
/// read and recorded, the others' data come from the ledger, in the order a whole run reads
/// them, and one pass of the stage chain runs over them all (``LedgerSource``). A night
/// with nothing new leaves the outputs as they are; the state records what was published.
struct IncrementalRun {
  var pipeline: Pipeline
  var chain: StageChain
  /// How a run in partitions over the ledger's samples runs (when they are many).
  var partitioned: PartitionedRun
  /// The most samples the night holds at once before it runs in partitions (0: never).
  var partitionLimit: Int

  init(pipeline: Pipeline, chain: StageChain, partitioned: PartitionedRun) {
    self.pipeline = pipeline
    self.chain = chain
    self.partitioned = partitioned
    partitionLimit = pipeline.partitionSamples
  }

  /// What the ledger holds for this run, per file in full-run order: the files' data are
  /// taken from it one file at a time.
  struct Ledger {
    struct File {
      var input: Int
      var path: String
      var summary: FileReadSummary
    }
    var files: [File] = []
    var new = 0
    var changed = 0
    var unchanged = 0
    var vanished = 0
    /// Files read again because how their input is read changed (profile, format, read
    /// settings), though their content did not.
    var reread = 0
    /// The generation of the state's data after this run's reading, and the last
    /// publication the state recorded.
    var generation = 0
    var published: StateStore.Publication?
    /// The state.
    var store: StateStore
    /// Each file's time zone, from its input.
    var zones: [String: String] = [:]
    /// The state directory.
    var statePath = ""
  }

  /// Runs the night: the output directory is locked first, then the state.
  func run(
    _ summary: RunSummary, directory: String, auditOnly: Bool, rebuild: Bool,
    onSample: (Sample) -> Void, progress: (String) -> Void
  ) -> RunSummary {
    var summary = summary
    let publisher: OutputPublisher
    do throws(OutputError) {
      publisher = try OutputPublisher(
        directory: directory, run: summary.run, outputNames: pipeline.outputs.names)
    } catch {
      summary.fail(error.lockHolder != nil ? .locked(error) : .output(error))
      return summary
    }
    summary.notes += StageChain.notes(of: publisher, pipeline)
    publisher.fromState = true
    let statePath = pipeline.state ?? ""
    var lock: DirectoryLock?
    defer { withExtendedLifetime(lock) {} }
    guard
      let ledger = open(
        statePath, rebuild: rebuild, outputs: directory, lock: &lock, into: &summary
      )
      .flatMap({ read($0, progress: progress, into: &summary) })
    else { return summary }
    // "Nothing new" only when the outputs in place are those the state last published,
    // from the same data and the same settings, diary and range tables.
    let fingerprint = Fingerprint.analysis(pipeline)
    if isNothingNew(
      ledger, fingerprint, directory, auditOnly: auditOnly, rebuild: rebuild, into: &summary)
    {
      return summary
    }
    let publication =
      auditOnly
      ? nil
      : StateStore.Publication(
        generation: ledger.generation, fingerprint: fingerprint, run: summary.run)
    summary.files = ledger.files.map(\.summary)
    // More samples than memory should hold at once: partitions of subjects, as a run
    // without state would (the state keeps the findings of such a run, not its
    // normalized samples and features).
    let samples = ledger.files.reduce(0) { $0 + $1.summary.samples }
    if partitionLimit > 0, samples > partitionLimit {
      return inPartitions(
        ledger, summary: summary, publication: publication, publisher: publisher,
        auditOnly: auditOnly, onSample: onSample, progress: progress)
    }
    var pass = StageChain.Pass(summary: summary, directory: directory, publisher: publisher)
    pass.notesPublisher = false
    pass.auditOnly = auditOnly
    pass.history = ledger.store
    if let publication {
      pass.afterPublishing = { summary, results in
        Self.record(
          ledger.store, results.normalized, results.days, results.findings, publication,
          into: &summary)
      }
    }
    var source = LedgerSource(ledger: ledger)
    return chain.run(pass, source: &source, onSample: onSample, progress: progress)
  }

  /// Records the published run in the state: what the next night compares with.
  static func record(
    _ store: StateStore, _ normalized: [NormalizedSample], _ days: [SubjectDayFeatures],
    _ findings: [Finding], _ publication: StateStore.Publication, into summary: inout RunSummary
  ) {
    do {
      try store.record(
        normalized: normalized, days: days, findings: findings, run: publication.run,
        publication: publication)
    } catch {
      summary.fail(
        .state(
          "state: the outputs were published, but the state could not record it (the next run publishes again): \(error)"
        ))
    }
  }

  /// Whether the night has nothing new to publish (the summary says so); otherwise the
  /// summary says why the outputs are published again when no file changed.
  private func isNothingNew(
    _ ledger: Ledger, _ fingerprint: String, _ directory: String, auditOnly: Bool,
    rebuild: Bool, into summary: inout RunSummary
  ) -> Bool {
    let last = ledger.published
    let current = last?.generation == ledger.generation && last?.fingerprint == fingerprint
    let intact = last.map { OutputPublisher.isPublished(run: $0.run, in: directory) } ?? false
    let filesChanged = ledger.new + ledger.changed + ledger.vanished > 0
    if !filesChanged && current && intact && !auditOnly && !rebuild {
      summary.nothingNew = true
      summary.finished = Date()
      return true
    }
    guard !filesChanged, let last, !rebuild else { return false }
    if last.generation != ledger.generation {
      summary.notes.append(
        "the state holds data the outputs lacked (a run was stopped before it published): analysed and published again"
      )
    } else if last.fingerprint != fingerprint {
      summary.notes.append(
        "settings, range tables, outputs or the sleep diary changed since the last publication: analysed and published again"
      )
    } else if !intact {
      summary.notes.append(
        "the outputs in \(directory) are not those the state last published (missing or replaced): written again"
      )
    }
    return false
  }

  /// An incremental run over more samples than ``Pipeline/partitionSamples``: its files'
  /// data are taken from the ledger into scratch files of buckets of subjects, and run in
  /// partitions like a run without state; the state keeps the run's findings and its
  /// publication once the merge has published.
  private func inPartitions(
    _ ledger: Ledger, summary base: RunSummary, publication: StateStore.Publication?,
    publisher: OutputPublisher, auditOnly: Bool, onSample: (Sample) -> Void,
    progress: (String) -> Void
  ) -> RunSummary {
    let findings = FindingCollector()
    var summary = withoutActuallyEscaping(onSample) { onSample in
      withoutActuallyEscaping(progress) { progress in
        partitioned.run(
          count: nil, directory: publisher.directory, started: base.started,
          auditOnly: auditOnly, onSample: onSample, progress: progress, publisher: publisher,
          ledger: (ledger, base), findings: findings)
      }
    }
    summary.incremental = base.incremental
    summary.unchangedSince = base.unchangedSince
    summary.stateProblem = base.stateProblem
    summary.quarantinedFiles = base.quarantinedFiles
    summary.notes = base.notes + summary.notes.filter { !base.notes.contains($0) }
    if summary.failures.isEmpty, let publication {
      Self.record(ledger.store, [], [], findings.all, publication, into: &summary)
    }
    return summary
  }
}

/// The samples and rejections of an incremental run's files, from the ledger, one file in
/// memory at a time, in full-run order.
struct LedgerSource: SampleSource {
  var ledger: IncrementalRun.Ledger

  func read(
    into summary: inout RunSummary, zones: inout [String: String], progress: (String) -> Void,
    onSample: (Sample, _ sequence: Int?) -> Void, onRejection: (Rejection) -> Void
  ) throws(RunFailure) {
    summary.files = ledger.files.map(\.summary)
    zones = ledger.zones
    do {
      try deliver(onSample: { onSample($0, nil) }, onRejection: onRejection)
    } catch {
      throw .state("state \(ledger.statePath): \(error)")
    }
  }

  /// Hands out every file's samples and rejections.
  func deliver(onSample: (Sample) -> Void, onRejection: (Rejection) -> Void) throws {
    for file in ledger.files {
      let data = try ledger.store.data(of: file.path)
      for sample in data.samples { onSample(sample) }
      for rejection in data.rejections { onRejection(rejection) }
    }
  }
}

extension StateStore: FindingHistory {}
