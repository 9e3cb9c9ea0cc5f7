import Foundation
import Synchronization

/// A run in partitions of subjects, ``partitionsAtOnce`` in memory at a time (one per
/// thread): the inputs are read once into scratch files beside the output (``SampleSpill``),
/// each partition is one pass of the stage chain as a shard over its samples, and the merge
/// (``ShardMerger``) writes the outputs of one run. Each sample is normalized once, twice
/// when the run needs cohort facts first (patient pages, the flattened cohort rule).
struct PartitionedRun {
  var pipeline: Pipeline
  /// How partitions (and a whole run over the scratch files) run their pass.
  var chain: StageChain
  /// How many partitions run at once, each on its own thread.
  var partitionsAtOnce = ParallelMap.width
  /// The start of reproducible runs (`SOURCE_DATE_EPOCH`), for the run's id.
  var sourceDateEpoch: Date?
  /// How many bytes of the partitions' cohort contributions the merge is handed in memory.
  var keptContributions = CohortContributions.defaultLimit

  /// The fewest input bytes a sample takes (a wide CSV row holds a value in a few): inputs
  /// of at most ``Pipeline/partitionSamples`` times this are run whole without a count.
  static let leastBytesPerSample = 4
  /// What a run in partitions reads once: every file's summary and rejections (they go to
  /// the first partition, as to the first shard), and the samples in runs sorted by
  /// subject (``SubjectRuns``).
  struct ReadOnce: Sendable {
    var files: [FileReadSummary] = []
    var inputIssues: [InputIssue] = []
    var skippedEntries: [SkippedEntry] = []
    var zonesByFile: [String: String] = [:]
    var rejections: [Rejection] = []
    /// The runs' scratch files, in read order.
    var runs: [String] = []
    /// The subjects read, one partition of them all.
    var subjects = SubjectRanges(samples: [:])
  }

  /// Reads the inputs once (or, for an incremental run, takes its files' data from the
  /// ledger one file at a time) into scratch files in `directory`, in runs of at most
  /// ``Pipeline/partitionSamples`` samples sorted by subject.
  func readOnce(
    directory: String, progress: (String) -> Void,
    ledger: (IncrementalRun.Ledger, base: RunSummary)? = nil
  ) throws(OutputError) -> ReadOnce {
    var read = ReadOnce()
    var summary = RunSummary(pipeline: pipeline.name, started: Date(), finished: Date(), files: [])
    var sequence = 0
    // Sorted and written on another thread while the inputs are read.
    let spill = SubjectRunSpill(directory: directory, runRows: pipeline.partitionSamples)
    func add(_ sample: Sample) {
      sequence += 1
      spill.add(sample, sequence: sequence)
    }
    // A research export's samples come in columns, a batch at a time: no sample is made
    // between the reader and the scratch files.
    let addColumns = { (batch: inout SampleColumns) in
      var place = sequence  // the closure's captures are checked at each use: one copy
      for row in 0..<batch.count {
        place += 1
        batch.sequence[row] = place
      }
      sequence = place
      spill.add(columns: batch)
    }
    if let (ledger, base) = ledger {
      summary = base
      read.zonesByFile = ledger.zones
      do {
        try LedgerSource(ledger: ledger).deliver(
          onSample: add, onRejection: { read.rejections.append($0) })
      } catch {
        _ = try? spill.finish()
        throw OutputError(path: pipeline.state ?? "", message: "the state: \(error)")
      }
    } else {
      // Into a variable of its own: `add` changes `read` while the inputs are read.
      var zones: [String: String] = [:]
      InputRead(pipeline: pipeline).read(
        into: &summary, zones: &zones, progress: progress, onSample: add,
        onRejection: { read.rejections.append($0) }, onColumns: addColumns)
      read.zonesByFile = zones
    }
    let runs = try spill.finish()
    read.runs = runs.paths
    read.subjects = SubjectRanges(samples: runs.samples)
    read.files = summary.files
    read.inputIssues = summary.inputIssues
    read.skippedEntries = summary.skippedEntries
    return read
  }
}

/// The partitions' contributions to the cohort report, by partition directory, gathered
/// from their threads while they fit in ``limit`` bytes together: the merge reads the others
/// back from their files, so that a large cohort's values are not all held while the
/// partitions run (a 9-million-row run's would be about 100 MB).
final class CohortContributions: Sendable {
  private let inputs = Mutex<(kept: [String: CohortReport.Inputs], bytes: Int)>(([:], 0))
  let limit: Int

  /// `limit` counts values and patients, not the arrays' spare room: the memory held can be
  /// up to twice as much.
  init(limit: Int = defaultLimit) { self.limit = limit }

  /// 8 MiB: a 900,000-row cohort's (about 7 MB) are all kept; at 9 million rows they are
  /// about 70 MB, and the merge reads most back from their files either way.
  static let defaultLimit = 8 << 20

  /// Keeps the contribution of `directory` while the kept ones fit in ``limit``; whether
  /// it was kept (else the partition writes it to its file, for the merge to read back).
  @discardableResult
  func set(_ directory: String, _ contribution: CohortReport.Inputs) -> Bool {
    let bytes = contribution.approximateBytes
    return inputs.withLock {
      guard $0.bytes + bytes <= limit else { return false }
      $0.kept[directory] = contribution
      $0.bytes += bytes
      return true
    }
  }

  var all: [String: CohortReport.Inputs] { inputs.withLock { $0.kept } }

  /// The contribution of `directory`, let go here: the merge holds it only until it is
  /// pooled (a 9-million-row run's kept contributions are tens of megabytes).
  func take(_ directory: String) -> CohortReport.Inputs? {
    inputs.withLock {
      guard let taken = $0.kept.removeValue(forKey: directory) else { return nil }
      $0.bytes -= taken.approximateBytes
      return taken
    }
  }
}

/// The findings of a run's partitions, gathered from their threads.
final class FindingCollector: Sendable {
  private let findings = Mutex<[Finding]>([])

  func add(_ more: [Finding]) { findings.withLock { $0 += more } }

  var all: [Finding] { findings.withLock { $0 } }
}

extension PartitionedRun {
  /// Runs the pipeline in partitions. `count`: as asked (`--partitions N`); `nil`: one (a
  /// whole pass over the scratch files) when the samples are within
  /// ``Pipeline/partitionSamples``, else as many as keep the partitions in memory at once
  /// within it together. The output directory is locked for the whole run, and the
  /// partitions are written inside its staging directory, which goes with the run (or,
  /// after a kill, with the next run's clean-up).
  func run(
    count asked: Int?, directory: String, started: Date, auditOnly: Bool,
    onSample: @escaping (Sample) -> Void, progress: @escaping (String) -> Void,
    publisher given: OutputPublisher? = nil,
    ledger: (IncrementalRun.Ledger, base: RunSummary)? = nil, findings: FindingCollector? = nil
  ) -> RunSummary {
    var failed = RunSummary(pipeline: pipeline.name, started: started, finished: Date(), files: [])
    let publisher: OutputPublisher
    do throws(OutputError) {
      publisher = try OutputPublisher.holding(
        given, directory: directory,
        run: given?.run ?? RunClock.runID(started, reproducible: sourceDateEpoch != nil),
        outputNames: pipeline.outputs.names)
    } catch {
      failed.fail(error.lockHolder != nil ? .locked(error) : .output(error))
      return failed
    }
    // Reading, spilling, the partitions and the merge each allocate on threads of their
    // own: one arena per core keeps memory freed by one phase for the next.
    FileSystem.limitMemoryArenas(Int32(max(2, ParallelMap.width)))
    let scratch = publisher.stagedPath(".partitions")
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    // The inputs are read once, into runs sorted by subject.
    var read: ReadOnce
    do throws(OutputError) {
      try FileModes.makeDirectory(scratch)
      read = try readOnce(directory: scratch, progress: progress, ledger: ledger)
      FileSystem.releaseFreeMemory()
    } catch {
      failed.fail(.output(error))
      failed.fail(.part("partitions: \(directory) was left as it was"))
      return failed
    }
    // Partitions run on every core, so as many are in memory at once: within the limit
    // together. A run within the limit runs whole (it uses the cores itself).
    let limit = pipeline.partitionSamples
    let width = max(1, partitionsAtOnce)
    var ranges = read.subjects
    read.subjects = SubjectRanges(samples: [:])  // held once, by the ranges
    if let asked {
      ranges.split(into: asked)
    } else if ranges.total > limit {
      ranges.split(atMost: max(1, limit / width))
    }
    // The merge holds two files of every partition open for a table in read order.
    if ranges.count > 1 { FileSystem.raiseOpenFileLimit() }
    var pass = StageChain.Pass(
      summary: RunSummary(pipeline: pipeline.name, started: started, finished: started, files: []),
      directory: directory, publisher: publisher)
    pass.summary.run = publisher.run
    pass.auditOnly = auditOnly
    pass.history = ledger?.0.store
    pass.onFindings = findings.map { collector in { collector.add($0) } }
    if ranges.count == 1 {
      // Within one partition: a whole pass, over the samples read.
      var source = RangeSource(
        read: read, dealer: SubjectRunDealer(runs: read.runs, ranges: ranges, removesFiles: true),
        partition: 1)
      return chain.run(pass, source: &source, onSample: onSample, progress: progress)
    }
    return partitions(
      consume ranges, asked: asked, read: read, pass: pass, history: ledger?.0.store,
      findings: findings,
      scratch: scratch, onSample: onSample, progress: progress)
  }

  /// What each partition is given of the whole cohort, made in a first pass over every
  /// partition (as many at once as the partitions run) before they run.
  struct CohortFacts {
    /// The mean ln slopes in subject order, when the flattened verdict's cohort rule is on:
    /// each subject is compared with every other.
    var slopes: [Double]?
    /// The band drawn in the patients' pages, when they are written: with it, each
    /// partition renders its pages whole into the run's staging folder, instead of the
    /// merge rendering them from models read back.
    var band: [PatientReport.CohortBand]?
  }

  /// The cohort facts the run needs (none without the cohort rule or patient pages): each
  /// partition's samples are normalized once more (and their rhythm analysed, for the
  /// rule) and read again by the partitions. The band costs about a third of a run without pages,
  /// the rule about half a run.
  private func cohortFacts(_ ranges: SubjectRanges, read: ReadOnce, progress: (String) -> Void)
    -> Result<CohortFacts, RunFailure>
  {
    let settings = pipeline.analyzers
    let needsSlopes = settings.flattened.cohort != .none
    let needsBand = pipeline.patientReports
    guard needsSlopes || needsBand else { return .success(CohortFacts()) }
    if needsSlopes { progress("comparing each subject with the cohort (flattened_slope.cohort)") }
    if needsBand { progress("drawing the cohort band of the patients' pages") }
    typealias Part = (slopes: [(String, Double)], band: [Int: CohortBandValues])
    // The runs are read through once more: the partitions read them again.
    let dealer = SubjectRunDealer(runs: read.runs, ranges: ranges, removesFiles: false)
    var parts = ParallelMap.each(Array(1...ranges.count), width: max(1, partitionsAtOnce)) {
      [pipeline] index -> Result<Part, RunFailure> in
      var samples: [Sample] = []
      var summary = RunSummary(
        pipeline: pipeline.name, started: Date(), finished: Date(), files: [])
      var zones: [String: String] = [:]
      let source = RangeSource(read: read, dealer: dealer, partition: index)
      do throws(RunFailure) {
        try source.read(
          into: &summary, zones: &zones, progress: { _ in },
          onSample: { sample, _ in samples.append(sample) }, onRejection: { _ in })
      } catch {
        // No verdict, and no band, from part of the cohort.
        return .failure(error)
      }
      var diary: [Rejection] = []
      let normalized = StageChain.normalize(
        samples, pipeline, zonesByFile: zones, into: &summary, diaryRejections: &diary)
      var part: Part = ([], [:])
      if needsSlopes {
        let verdicts = CortisolRhythmAnalyzer(settings: settings).analyze(normalized.samples)
          .subjects
        part.slopes = FlattenedSlopeAnalyzer(settings: settings.flattened).inCohort(verdicts)
          .map { ($0.subjectID, $0.slopeLogMean!) }
      }
      if needsBand { part.band = CohortBandValues.collect(normalized.samples, settings: settings) }
      return .success(part)
    }
    var slopes: [(String, Double)] = []
    var band: [Int: CohortBandValues] = [:]
    // Pooled in partition order, as the merge pools the partitions' contributions, each
    // let go once pooled (the cohort's values are not held twice).
    for index in parts.indices {
      let part = parts[index]
      parts[index] = .success(([], [:]))
      switch part {
      case .success(let some):
        slopes += some.slopes
        CohortBandValues.pool(&band, some.band)
      case .failure(let failure): return .failure(failure)
      }
    }
    return .success(
      CohortFacts(
        // In subject order, as a whole run's verdicts are: the mean and SD add in that order.
        slopes: needsSlopes ? slopes.sorted { $0.0 < $1.0 }.map(\.1) : nil,
        band: needsBand ? PatientReport.CohortBand.band(band) : nil))
  }

  /// What the run says of its partitions: how many, how large, how many in memory at once.
  private func note(_ ranges: SubjectRanges, asked: Int?, width: Int) -> String {
    let limit = pipeline.partitionSamples
    let count = ranges.count
    let largest = ranges.sizes.max() ?? 0
    let atOnce = min(width, count)
    let inMemory = atOnce == 1 ? "one" : "\(atOnce)"
    var note =
      asked == nil
      ? "run in \(count) partitions of subjects (at most \(largest) samples each; settings.run.partition_samples: \(limit)), \(inMemory) in memory at a time, then merged"
      : "run in \(count) partitions of subjects (--partitions), \(inMemory) in memory at a time, then merged"
    if asked == nil, largest * atOnce > limit {
      note +=
        "; the partitions in memory at once hold more than settings.run.partition_samples (a subject's samples are never split)"
    }
    return note
  }

  /// The run's staged folder of patients' files, made, when the partitions render the pages
  /// whole (with the cohort's `band`): they write there, and the merge has none to move.
  private func stagedPagesFolder(
    band: [PatientReport.CohortBand]?, publisher: OutputPublisher?
  ) throws(OutputError) -> String? {
    guard band != nil, let publisher else { return nil }
    let folder = publisher.stagedPath(pipeline.outputs.reports + "/patients")
    try FileModes.makeDirectory(folder)
    return folder
  }

  /// The merge of `count` partitions in `scratch`.
  private static func merger(
    _ count: Int, scratch: String, contributions: CohortContributions, pagesRendered: Bool
  ) -> ShardMerger {
    var merger = ShardMerger(directories: (1...count).map { "\(scratch)/\($0)" })
    merger.movesFiles = true  // scratch, in the staging directory: moved, not copied
    // Ranges of subjects in order: the tables in subject order are concatenated.
    merger.concatenates = true
    // The partitions' contributions to the cohort report, while they fit in memory: not
    // written to their cohort-inputs.json, nor read back.
    merger.cohortInputs = contributions
    merger.pagesRendered = pagesRendered
    return merger
  }

  /// Runs the partitions of `ranges`, `partitionsAtOnce` at a time, each thread taking the
  /// next when it is done (their calls reach the caller one at a time), and merges them.
  private func partitions(
    _ ranges: consuming SubjectRanges, asked: Int?, read: ReadOnce, pass: StageChain.Pass,
    history: StateStore?,
    findings: FindingCollector?, scratch: String, onSample: @escaping (Sample) -> Void,
    progress: @escaping (String) -> Void
  ) -> RunSummary {
    let calls = SerializedCalls(onSample: onSample, progress: progress)
    let width = max(1, partitionsAtOnce)
    let directory = pass.directory
    let (base, auditOnly) = (pass.summary, pass.auditOnly)
    let contributions = CohortContributions(limit: keptContributions)
    var facts = CohortFacts()
    if !auditOnly {
      switch cohortFacts(ranges, read: read, progress: calls.progress) {
      case .success(let made): facts = made
      case .failure(let failure):
        var failed = pass.summary
        failed.fail(failure)
        failed.fail(.part("partitions: \(directory) was left as it was"))
        return failed
      }
    }
    let cohort = facts
    let pagesFolder: String?
    do throws(OutputError) {
      pagesFolder = try stagedPagesFolder(band: cohort.band, publisher: pass.publisher)
    } catch {
      var failed = pass.summary
      failed.fail(.output(error))
      failed.fail(.part("partitions: \(directory) was left as it was"))
      return failed
    }
    let count = ranges.count
    let note = note(ranges, asked: asked, width: width)
    // The dealer keeps the partitions' first ids and sizes: every subject's id is let go
    // (consumed) before the merge pools the cohort.
    let dealer = SubjectRunDealer(runs: read.runs, ranges: consume ranges, removesFiles: true)
    let summaries = ParallelMap.each(Array(1...count), width: width) {
      [pipeline, pagesFolder] index in
      calls.progress("partition \(index) of \(count)")
      var part = StageChain.Pass(summary: base, directory: "\(scratch)/\(index)")
      part.auditOnly = auditOnly
      part.history = history
      part.onFindings = findings.map { collector in { collector.add($0) } }
      part.onCohortInputs = { contributions.set("\(scratch)/\(index)", $0) }
      part.cohortSlopes = cohort.slopes
      part.cohortBand = cohort.band
      part.scratch = true
      part.pagesFolder = pagesFolder
      var source = RangeSource(read: read, dealer: dealer, partition: index)
      return StageChain(
        pipeline: pipeline, shard: Shard(index: index, count: count),
        failReports: chain.failReports
      ).run(part, source: &source, onSample: calls.sample, progress: calls.progress)
    }
    for (index, var summary) in zip(1...count, summaries) where !summary.failures.isEmpty {
      summary.fail(
        .part(
          "partition \(index) of \(count) could not be written; \(directory) was left as it was"))
      summary.shard = nil
      return summary
    }
    progress("merging \(count) partitions")
    FileSystem.releaseFreeMemory()
    let merger = Self.merger(
      count, scratch: scratch, contributions: contributions, pagesRendered: facts.band != nil)
    guard let publisher = pass.publisher else { return pass.summary }
    switch merger.merge(into: directory, note: note, publisher: publisher) {
    case .success(var summary):
      if let previous = publisher.takenOverFrom {
        summary.notes.append(
          "took over the output lock left by pid \(previous), which no longer runs; its leftovers were cleaned up"
        )
      }
      return summary
    case .failure(let problem):
      var failed = RunSummary(
        pipeline: pipeline.name, started: pass.summary.started, finished: Date(), files: [])
      failed.fail(.part("partitions: \(problem)"))
      return failed
    }
  }
}
