import Foundation
import Synchronization

/// Runs a pipeline: reads every input file, writes the canonical samples, the rejections
/// and the run summary, all atomically. One file that cannot be read never stops the others.
public struct PipelineRunner: Sendable {
  /// The pipeline to run.
  public var pipeline: Pipeline

  /// How many partitions of a run in partitions run at once, each on its own thread: the
  /// cores by default. Together they stay within ``Pipeline/partitionSamples``.
  public var partitionsAtOnce = ParallelMap.width

  /// Tests of a kill: the run stops once everything is staged and the state's ledger is
  /// committed, before anything is published (as a kill at that moment would).
  var failBeforePublishing = false

  /// Tests of a quarantine: the reports of these subjects fail to render.
  var failReports: Set<String> = []

  /// Why a subject's reports could not be rendered (tests of a quarantine).
  struct RenderFailure: Error, CustomStringConvertible {
    var description: String
  }

  /// The moment runs say they started when `SOURCE_DATE_EPOCH` (seconds since 1970, as
  /// reproducible-builds.org defines it) is set: run ids, report dates and FHIR `issued`
  /// then come from it, so that the same inputs give the same reports and tables, byte
  /// for byte. Nil: the clock.
  public var sourceDateEpoch: Date? = PipelineRunner.environmentEpoch()

  /// `SOURCE_DATE_EPOCH` from the environment, when it holds a whole number of seconds.
  public static func environmentEpoch() -> Date? {
    guard let text = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"],
      let seconds = Int64(text.trimmingCharacters(in: .whitespaces)), seconds >= 0
    else { return nil }
    return Date(timeIntervalSince1970: Double(seconds))
  }

  /// The shard this run is (`--shard K/N`): only its subjects' samples are kept, and the
  /// outputs are those `neuroendo merge` combines. `nil`: the whole run.
  public var shard: Shard?

  /// In how many partitions of subjects one machine runs the pipeline (`--partitions N`):
  /// the inputs are read once into scratch files, each partition is a shard run in turn
  /// over its samples, merged at the end, so that memory holds one partition's samples at a
  /// time. 1: as ``Pipeline/partitionSamples`` decides.
  public var partitions = 1

  /// Creates a runner of a pipeline, as a whole run, a shard or in partitions.
  public init(pipeline: Pipeline, shard: Shard? = nil, partitions: Int = 1) {
    self.pipeline = pipeline
    self.shard = shard
    self.partitions = partitions
  }

  /// A sample as read, under its pseudonym when the run has a key.
  func pseudonymized(_ sample: Sample, _ last: inout (id: String, pseudonym: String)?) -> Sample {
    pipeline.pseudonymizer.map { $0.apply(sample, last: &last) } ?? sample
  }

  /// What a run in partitions reads once: every file's summary and rejections (they go to
  /// the first partition, as to the first shard), and each bucket of subjects' samples in a
  /// scratch file (``SampleSpill``).
  struct ReadOnce: Sendable {
    var files: [FileReadSummary] = []
    var inputProblems: [String] = []
    var skippedEntries: [SkippedEntry] = []
    var zonesByFile: [String: String] = [:]
    var rejections: [Rejection] = []
    /// Each bucket's scratch file, by 0-based bucket (subjects by ``Shard/bucket(of:count:)``).
    var spills: [String] = []
    /// The samples in each bucket.
    var counts: [Int] = []
  }

  /// The share of a run read once that one run takes (``runInPartitions``): the read, the
  /// scratch files of its samples and, for a whole run from them, the output publisher that
  /// holds the output directory.
  private struct Spilled {
    var read: ReadOnce
    var paths: [String]
    /// The publisher of the output directory, for a whole run over the scratch files.
    var publisher: OutputPublisher?
    /// The run's id and start (before its inputs were read): a partition's are the run's.
    var run: String
    var started: Date
    /// The whole cohort's band, for a partition that renders its patients' pages itself.
    var band: [PatientReport.CohortBand]?
    /// An incremental run's state, for the first run of each finding, and where the
    /// partitions put their findings, for the state to keep once they are published.
    var state: StateStore?
    var findings: FindingCollector?
  }

  /// The findings of a run's partitions, gathered from their threads.
  final class FindingCollector: Sendable {
    private let findings = Mutex<[Finding]>([])

    func add(_ more: [Finding]) { findings.withLock { $0 += more } }

    var all: [Finding] { findings.withLock { $0 } }
  }

  /// Reads every input of a pipeline without state: each file's samples and rejections to
  /// the closures, its summary (with size and SHA-256), the inputs' problems and skipped
  /// entries into `summary`.
  private func readInputs(
    into summary: inout RunSummary, zonesByFile: inout [String: String],
    progress: (String) -> Void, onSample: (Sample) -> Void, onRejection: (Rejection) -> Void
  ) {
    var readOnce = Set<String>()
    for input in pipeline.inputs {
      switch InputCatalogue.entries(of: input, reading: pipeline.reading) {
      case .failure(let problem): summary.inputProblems.append(problem.description)
      case .success(let entries):
        for skipped in entries.skipped {
          summary.skippedEntries.append(skipped)
          summary.inputProblems.append(
            "\(input.name): \(skipped.path) not read: \(skipped.reason) (\(skipped.detail))")
        }
        for file in entries.files {
          // One file, one reader (commands refuse such pipelines before a run).
          guard readOnce.insert(InputCatalogue.canonical(file)).inserted else {
            summary.inputProblems.append(
              "\(input.name): \(file) not read again: an earlier input read it (give one input an exclude: pattern)"
            )
            continue
          }
          progress("reading \(file)")
          if let zone = input.timeZone { zonesByFile[file] = zone }
          let format =
            input.format ?? InputFormat.guess(file: file, hasProfile: input.profile != nil)
          // The summary's size and SHA-256 are those of the bytes the reader read.
          var last: (id: String, pseudonym: String)?
          let fileSummary = ExportReader(format: format, profile: input.profile).read(
            file: file, onSample: { onSample(pseudonymized($0, &last)) }, onRejection: onRejection)
          summary.files.append(fileSummary)
        }
      }
    }
  }

  /// Reads the inputs once (or, for an incremental run, takes its files' data from the
  /// ledger one file at a time), each sample into the scratch file in `directory` of its
  /// subject's bucket among `buckets`.
  private func readOnce(
    buckets: Int, directory: String, progress: (String) -> Void,
    incremental: (Incremental, base: RunSummary, zones: [String: String])? = nil
  ) throws(OutputError) -> ReadOnce {
    var read = ReadOnce()
    let writers = try (0..<buckets).map { (index) throws(OutputError) in
      try SpillWriter(path: "\(directory)/samples-\(index + 1).spill")
    }
    read.spills = writers.map(\.path)
    read.counts = Array(repeating: 0, count: buckets)
    var summary = RunSummary(pipeline: pipeline.name, started: Date(), finished: Date(), files: [])
    var sequence = 0
    var last: (id: String, bucket: Int)?
    // Encoded and written on another thread while the inputs are read.
    let spill = BackgroundSpill(writers: writers)
    func add(_ sample: Sample) {
      sequence += 1
      let subject = sample.subjectID
      if last?.id != subject { last = (subject, Shard.bucket(of: subject, count: buckets)) }
      read.counts[last!.bucket] += 1
      spill.add(sample, sequence: sequence, bucket: last!.bucket)
    }
    if let (incremental, base, zones) = incremental {
      summary = base
      read.zonesByFile = zones
      do {
        try deliver(incremental, onSample: add, onRejection: { read.rejections.append($0) })
      } catch {
        try? spill.finish()
        throw OutputError(path: pipeline.state ?? "", message: "the state: \(error)")
      }
    } else {
      // Into a variable of its own: `add` changes `read` while the inputs are read.
      var zones: [String: String] = [:]
      readInputs(
        into: &summary, zonesByFile: &zones, progress: progress, onSample: add,
        onRejection: { read.rejections.append($0) })
      read.zonesByFile = zones
    }
    try spill.finish()
    read.files = summary.files
    read.inputProblems = summary.inputProblems
    read.skippedEntries = summary.skippedEntries
    return read
  }

  /// Runs the pipeline.
  ///
  /// - Parameters:
  ///   - outputDirectory: overrides the pipeline's output directory.
  ///   - auditOnly: read and normalize only, and write the audit (`neuroendo audit`).
  ///   - rebuild: with a state directory, forget the ledger and read the inputs still present.
  ///   - onSample: also receives every accepted sample (for later stages and tests).
  ///   - progress: told what the run is doing, a short line at a time (for a progress bar).
  /// - Returns: the summary; it is also written to the output directory.
  public func run(
    outputDirectory: String? = nil, auditOnly: Bool = false, rebuild: Bool = false,
    onSample: (Sample) -> Void = { _ in }, progress: (String) -> Void = { _ in }
  ) -> RunSummary {
    run(
      outputDirectory: outputDirectory, auditOnly: auditOnly, rebuild: rebuild,
      onSample: onSample, progress: progress, spilled: nil)
  }

  /// Runs the pipeline, over the samples of `spilled` when given (read once before).
  private func run(
    outputDirectory: String?, auditOnly: Bool, rebuild: Bool, onSample: (Sample) -> Void,
    progress: (String) -> Void, spilled: Spilled?
  ) -> RunSummary {
    let started = spilled?.started ?? sourceDateEpoch ?? Date()
    let directory = outputDirectory ?? pipeline.outputs.directory
    FileModes.set(groupReadable: pipeline.groupReadable)
    var summary = RunSummary(
      pipeline: pipeline.name, started: started, finished: started, files: [])
    // Inputs are sacred: with an output where an input is, nothing is read or written.
    let overlaps = pipeline.inputOutputOverlaps(outputDirectory: directory)
    guard overlaps.isEmpty else {
      summary.outputFailures = overlaps
      return summary
    }
    // A run without state whose input is missing (an unmounted share) would publish a set
    // without that input's data: the last outputs are kept instead.
    if spilled == nil, pipeline.state == nil {
      var status = stat()
      let missing = pipeline.inputs.filter { lstat($0.path, &status) != 0 }
      if !missing.isEmpty {
        summary.inputProblems = missing.map { "\($0.name): \($0.path) does not exist" }
        summary.notes.append(
          "nothing was read or published: \(missing.count == 1 ? "an input is" : "inputs are") missing (an unmounted share?); \(directory) keeps the outputs of the last run"
        )
        summary.finished = Date()
        return summary
      }
    }
    if partitions > 1, pipeline.state != nil {
      summary.outputFailures.append(
        "a run in partitions (--partitions) keeps no state: run it with a pipeline without 'state:'"
      )
      return summary
    }
    if spilled == nil, shard == nil, pipeline.state == nil {
      // Asked for, or more input than memory should hold at once: partitions as the
      // inputs require.
      let (most, overflow) = pipeline.partitionSamples.multipliedReportingOverflow(
        by: Self.leastBytesPerSample)
      if partitions > 1
        || (pipeline.partitionSamples > 0 && !overflow && inputBytes() > most)
      {
        // The partitions call back from the threads they run on, for this call only.
        return withoutActuallyEscaping(onSample) { onSample in
          withoutActuallyEscaping(progress) { progress in
            runInPartitions(
              count: partitions > 1 ? partitions : nil, directory: directory,
              started: started, auditOnly: auditOnly, onSample: onSample, progress: progress)
          }
        }
      }
    }
    let outputs = pipeline.outputs
    summary.shard = shard?.description
    if shard != nil, pipeline.state != nil {
      summary.outputFailures.append(
        "a shard run (--shard) keeps no state: run the shards with a pipeline without 'state:', then neuroendo merge"
      )
      return summary
    }
    // Every output is staged, and published together at the end (``OutputPublisher``).
    summary.run = spilled?.run ?? Self.runID(started, reproducible: sourceDateEpoch != nil)
    summary.auditOnly = auditOnly
    var publisher: OutputPublisher?
    var sampleSink: TableSink?
    var rejectionSink: TableSink?
    do throws(OutputError) {
      let staged: OutputPublisher
      if let held = spilled?.publisher {
        staged = held
      } else {
        staged = try OutputPublisher(
          directory: directory, run: summary.run, outputNames: outputs.names)
      }
      publisher = staged
      summary.notes += staged.recoveryNotes + pipeline.retiredSettings
      if let previous = staged.takenOverFrom {
        summary.notes.append(
          "took over the output lock left by pid \(previous), which no longer runs; its leftovers were cleaned up"
        )
      }
      if shard != nil {
        try FileModes.makeDirectory(staged.stagedPath(Self.shardFolder))
      }
      if !auditOnly, outputs.writeSamples {
        sampleSink = try sink(outputs.samples, in: staged.staging)
      }
      // The audit too writes every rejected record (`neuroendo audit`).
      rejectionSink = try sink(outputs.rejections, in: staged.staging)
    } catch {
      summary.outputFailures.append(error.description)
      if let holder = error.lockHolder {
        // Another run writes here: this one reads nothing and changes nothing.
        summary.lockedBy = holder
        return summary
      }
    }
    let staging = publisher?.staging
    sampleSink?.header(CSVTableWriter.line(SampleTable.header))
    rejectionSink?.header(CSVTableWriter.line(SampleTable.rejectionHeader))
    // A shard keeps its subjects' samples; the first shard also every rejected record (they
    // belong to no subject). Rows are keyed by their place among all the run's rows.
    var readSequence = 0
    var rejectionSequence = 0
    var lastSubject: (id: String, kept: Bool)?
    func keep(_ sample: Sample) {
      readSequence += 1
      if let shard {
        // A subject's samples come in runs: its shard is worked out once a run.
        let subject = sample.subjectID
        if lastSubject?.id != subject {
          lastSubject = (subject, shard.contains(subject: subject))
        }
        guard lastSubject!.kept else { return }
      }
      accept(sample, readSequence)
    }
    func accept(_ sample: Sample, _ sequence: Int) {
      sampleSink?.row(CSVTableWriter.line(SampleTable.row(sample)), .position(0, sequence, 0))
      read.append(sample)
      onSample(sample)
    }
    func reject(_ rejection: Rejection, phase: Int = 0) {
      rejectionSequence += 1
      guard shard?.carriesUnattributed ?? true else { return }
      rejectionSink?.row(
        CSVTableWriter.line(SampleTable.row(rejection)), .position(phase, rejectionSequence, 0))
      rejectionRows += 1
    }

    var read: [Sample] = []
    var rejectionRows = 0
    var zonesByFile: [String: String] = [:]
    // Incremental runs (`state:`): unchanged files come from the ledger, in the order a full
    // run reads them; a night with nothing new leaves the outputs as they are.
    var stateLock: DirectoryLock?
    var state: StateStore?
    // What this run publishes, for the state to record once the outputs are in place.
    var publication: StateStore.Publication?
    if let statePath = pipeline.state, publisher != nil {
      publisher?.fromState = true
      guard
        let incremental = readIncrementally(
          statePath, rebuild: rebuild, outputs: directory, zonesByFile: &zonesByFile,
          lock: &stateLock, progress: progress, into: &summary)
      else { return summary }
      // "Nothing new" only when the outputs in place are those the state last published,
      // from the same data and the same settings, diary and range tables.
      let fingerprint = Fingerprint.analysis(pipeline)
      let last = incremental.published
      let current =
        last?.generation == incremental.generation && last?.fingerprint == fingerprint
      let intact = last.map { OutputPublisher.isPublished(run: $0.run, in: directory) } ?? false
      let filesChanged = incremental.new + incremental.changed + incremental.vanished > 0
      if !filesChanged && current && intact && !auditOnly && !rebuild {
        summary.nothingNew = true
        summary.finished = Date()
        return summary
      }
      if !filesChanged, let last, !rebuild {
        if last.generation != incremental.generation {
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
      }
      if !auditOnly {
        publication = .init(
          generation: incremental.generation, fingerprint: fingerprint, run: summary.run)
      }
      state = incremental.store
      summary.files = incremental.files.map(\.summary)
      // More samples than memory should hold at once: partitions of subjects, as a run
      // without state would (the state keeps the findings of such a run, not its
      // normalized samples and features).
      let samples = incremental.files.reduce(0) { $0 + $1.summary.samples }
      if pipeline.partitionSamples > 0, samples > pipeline.partitionSamples, let publisher {
        sampleSink = nil
        rejectionSink = nil
        return withoutActuallyEscaping(onSample) { onSample in
          withoutActuallyEscaping(progress) { progress in
            runIncrementalInPartitions(
              incremental, summary: summary, publication: publication, publisher: publisher,
              zonesByFile: zonesByFile, started: started, auditOnly: auditOnly,
              onSample: onSample, progress: progress)
          }
        }
      }
      do {
        try deliver(incremental, onSample: keep, onRejection: { reject($0) })
      } catch {
        summary.outputFailures.append("state \(pipeline.state ?? ""): \(error)")
        return summary
      }
    }
    if let spilled {
      // A partition of a run in partitions: the inputs were read once, before it.
      summary.files = spilled.read.files
      summary.inputProblems += spilled.read.inputProblems
      summary.skippedEntries += spilled.read.skippedEntries
      zonesByFile = spilled.read.zonesByFile
      for rejection in spilled.read.rejections { reject(rejection) }
      do throws(OutputError) {
        var reader = try SpillMerge(paths: spilled.paths)
        defer { reader.close() }
        while let (sequence, sample) = try reader.next() { accept(sample, sequence) }
      } catch {
        summary.outputFailures.append(error.description)
        return summary
      }
      for path in spilled.paths { try? FileManager.default.removeItem(atPath: path) }
    } else if pipeline.state == nil {
      readInputs(
        into: &summary, zonesByFile: &zonesByFile, progress: progress, onSample: keep,
        onRejection: { reject($0) })
    }

    progress("normalizing \(read.count) samples")
    // The place of each input file in the run, for the keys of a shard's rows.
    let fileOrdinals = Dictionary(
      summary.files.enumerated().map { ($1.file, $0) }, uniquingKeysWith: { first, _ in first })
    var diaryRejections: [Rejection] = []
    let normalization = normalize(
      read, zonesByFile: zonesByFile, into: &summary, diaryRejections: &diaryRejections)
    let samplesKept = read.count
    read = []  // the normalized samples carry each sample as read; this copy can go
    for rejection in diaryRejections { reject(rejection, phase: 1) }
    for rejection in normalization.rejections {
      // Of a sample of this shard's subjects: every shard writes its own.
      rejectionSink?.row(
        CSVTableWriter.line(SampleTable.row(rejection)),
        Self.position(rejection.location, phase: 2, fileOrdinals))
      rejectionRows += 1
    }
    writeAudit(
      AuditReport.build(
        run: summary.run, files: summary.files, skippedEntries: summary.skippedEntries,
        inputProblems: summary.inputProblems, normalization: summary.normalization,
        samples: normalization.samples, settings: pipeline.effectiveSettings), directory: staging,
      into: &summary)
    guard !auditOnly else {
      // The audit's list of every rejected record.
      if let rejectionSink {
        do throws(OutputError) {
          try rejectionSink.commit()
          summary.outputs["rejections"] = outputs.rejections
          summary.outputRows["rejections"] = rejectionRows
        } catch {
          summary.outputFailures.append(error.description)
        }
      }
      summary.finished = Date()
      if let publisher { publish(&summary, with: publisher) }
      return summary
    }
    progress("analyzing")
    writeNormalized(
      normalization.samples, fileOrdinals: fileOrdinals, directory: staging, into: &summary)
    let features = CortisolRhythmAnalyzer(settings: pipeline.analyzers).analyze(
      normalization.samples)
    summary.analysis = RunSummary.AnalysisSummary(features)
    writeFeatures(features, directory: staging, into: &summary)
    let feedback = FeedbackAnalyzer(
      settings: pipeline.analyzers.feedback, excludeFlags: pipeline.analyzers.excludeFlags
    ).evaluate(normalization.samples)
    summary.analysis.count(feedback)
    writeFindings(feedback.findings, directory: staging, into: &summary)
    // With a state, each finding knows the run that first published it; the results are
    // kept once this run's outputs are published.
    var firstReported: [String: String] = [:]
    spilled?.findings?.add(feedback.findings)
    if let history = state ?? spilled?.state {
      do {
        firstReported = try history.firstReported(feedback.findings, run: summary.run)
      } catch {
        summary.outputFailures.append("state: cannot read the findings of earlier runs: \(error)")
      }
    }
    progress("writing reports")
    // The cohort's band is drawn in the patient reports, from the whole cohort's values: a
    // shard passes its values on, and its reports get the band at the merge. Without
    // patient reports there is no band to draw.
    let givenBand = spilled?.band
    let bandValues =
      pipeline.patientReports && givenBand == nil
      ? PatientReport.CohortBand.values(normalization.samples, settings: pipeline.analyzers)
      : [:]
    let cohort = CohortReport.Inputs(
      features: features, feedback: feedback, threshold: pipeline.analyzers.flattened.threshold,
      band: shard == nil ? [:] : bandValues, patientReports: pipeline.patientReports)
    // Each patient's report is built only when it is written.
    let reports =
      pipeline.patientReports
      ? PatientReport.build(
        samples: normalization.samples, features: features, feedback: feedback,
        settings: pipeline.analyzers, run: summary.run, firstReported: firstReported,
        band: givenBand ?? (shard == nil ? PatientReport.CohortBand.band(bandValues) : []),
        reportDate: summary.started)
      : []
    writeReports(
      reports, findings: Dictionary(grouping: feedback.findings, by: \.subjectID),
      cohort: cohort, directory: staging,
      modelOnly: shard != nil && spilled?.band == nil, into: &summary)
    if let shard {
      summary.outputs["shard"] = Self.shardFolder
      summary.notes.append(
        "shard \(shard): the rows of \(cohort.patients.count) subjects (those whose id hashes to this shard); the files' counts are whole; neuroendo merge combines the shards"
      )
    }

    let rows = ["samples": samplesKept, "rejections": rejectionRows]
    let names = ["samples": outputs.samples, "rejections": outputs.rejections]
    for (role, sink) in [("samples", sampleSink), ("rejections", rejectionSink)] {
      guard let sink else { continue }
      do throws(OutputError) {
        try sink.commit()
        summary.outputs[role] = names[role]
        summary.outputRows[role] = rows[role]
      } catch {
        summary.outputFailures.append(error.description)
      }
    }
    summary.finished = Date()
    guard let publisher else { return summary }
    if failBeforePublishing {
      summary.outputFailures.append("stopped before publishing (a test of a kill)")
      return summary
    }
    publish(&summary, with: publisher)
    if let state, let publication, summary.outputFailures.isEmpty {
      do {
        try state.record(
          normalized: normalization.samples, days: features.days, findings: feedback.findings,
          run: summary.run, publication: publication)
      } catch {
        summary.outputFailures.append(
          "state: the outputs were published, but the state could not record it (the next run publishes again): \(error)"
        )
      }
    }
    return summary
  }

  /// The fewest input bytes a sample takes (a wide CSV row holds a value in a few): inputs
  /// of at most ``Pipeline/partitionSamples`` times this are run whole without a count.
  static let leastBytesPerSample = 4
  /// The buckets of subjects a run in partitions of its own choosing spills to; its
  /// partitions are unions of them (a power of two, so that bucket mod N is shard mod N).
  static let spillBuckets = 256

  /// The bytes of every input file (what a run without state reads).
  private func inputBytes() -> Int {
    var total = 0
    for input in pipeline.inputs {
      guard
        case .success(let entries) = InputCatalogue.entries(of: input, reading: pipeline.reading)
      else { continue }
      for file in entries.files {
        var status = stat()
        if stat(file, &status) == 0 { total += Int(status.st_size) }
      }
    }
    return total
  }

  /// The fewest partitions (a power of two up to ``spillBuckets``) whose largest holds at
  /// most `limit` samples, given each bucket's samples.
  static func partitionCount(counts: [Int], limit: Int) -> Int {
    var count = 1
    while count < counts.count, partitionSizes(counts: counts, count: count).max()! > limit {
      count *= 2
    }
    return count
  }

  /// Hands the memory a phase freed back to the system between phases. glibc's malloc
  /// keeps freed memory in the arena of the thread that used it (the spill's thread, the
  /// partitions' threads), so the next phase's threads would otherwise add to it: 6 MB
  /// more at the merge on the 900,000-row cohort. `malloc_trim` is looked up at run time
  /// (it is glibc's, outside the C library's Swift module); elsewhere this does nothing.
  private static func releaseFreeMemory() {
    typealias Trim = @convention(c) (Int) -> Int32
    guard let symbol = dlsym(nil, "malloc_trim") else { return }
    _ = unsafeBitCast(symbol, to: Trim.self)(0)
  }

  /// The scratch files of partition `index` (1-based) of `count`: buckets B with
  /// B mod count = index - 1.
  private static func spills(_ spills: [String], partition index: Int, of count: Int) -> [String] {
    spills.indices.filter { $0 % count == index - 1 }.map { spills[$0] }
  }

  /// The samples of each of `count` partitions, given each bucket's: partition K holds the
  /// buckets B with B mod count = K - 1.
  static func partitionSizes(counts: [Int], count: Int) -> [Int] {
    var sizes = Array(repeating: 0, count: count)
    for (bucket, samples) in counts.enumerated() { sizes[bucket % count] += samples }
    return sizes
  }

  /// Runs the pipeline in partitions of subjects, ``partitionsAtOnce`` in memory at a time
  /// (one per thread): the inputs are read once into scratch files beside the output, each
  /// partition is a shard run over its samples, and the merge (``ShardMerger``) writes the
  /// outputs of one run. `count`: as asked (`--partitions N`); `nil`: one (a whole run over
  /// the scratch files) when the samples are within ``Pipeline/partitionSamples``, else as
  /// many as keep the partitions in memory at once within it together.
  private func runInPartitions(
    count asked: Int?, directory: String, started: Date, auditOnly: Bool,
    onSample: @escaping (Sample) -> Void, progress: @escaping (String) -> Void,
    publisher given: OutputPublisher? = nil,
    incremental: (Incremental, base: RunSummary, zones: [String: String])? = nil,
    findings: FindingCollector? = nil
  ) -> RunSummary {
    func failed(_ problems: [String], lockedBy: Int32? = nil) -> RunSummary {
      var summary = RunSummary(
        pipeline: pipeline.name, started: started, finished: Date(), files: [])
      summary.outputFailures = problems
      summary.lockedBy = lockedBy
      return summary
    }
    // The output directory is locked for the whole run (one run at a time), and the
    // partitions are written inside its staging directory, which goes with the run (or,
    // after a kill, with the next run's clean-up).
    let publisher: OutputPublisher
    do throws(OutputError) {
      if let given {
        publisher = given
      } else {
        publisher = try OutputPublisher(
          directory: directory, run: Self.runID(started, reproducible: sourceDateEpoch != nil),
          outputNames: pipeline.outputs.names)
      }
    } catch {
      return failed([error.description], lockedBy: error.lockHolder)
    }
    let scratch = publisher.stagedPath(".partitions")
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    // The inputs are read once: each sample goes to its bucket's scratch file.
    let read: ReadOnce
    do throws(OutputError) {
      try FileModes.makeDirectory(scratch)
      read = try readOnce(
        buckets: asked ?? Self.spillBuckets, directory: scratch, progress: progress,
        incremental: incremental)
      Self.releaseFreeMemory()
    } catch {
      return failed([error.description, "partitions: \(directory) was left as it was"])
    }
    let limit = pipeline.partitionSamples
    // Partitions run on every core, so as many are in memory at once: within the limit
    // together. A run within the limit runs whole (it uses the cores itself).
    let width = max(1, partitionsAtOnce)
    let count =
      asked
      ?? (Self.partitionCount(counts: read.counts, limit: limit) == 1
        ? 1 : Self.partitionCount(counts: read.counts, limit: max(1, limit / width)))
    if count == 1 {
      // Within one partition: a whole run, over the samples read.
      return run(
        outputDirectory: directory, auditOnly: auditOnly, rebuild: false, onSample: onSample,
        progress: progress,
        spilled: Spilled(
          read: read, paths: read.spills, publisher: publisher, run: publisher.run,
          started: started, state: incremental?.0.store, findings: findings))
    }
    // Partitions run `width` at a time, each thread taking the next when it is done; their
    // calls reach the caller one at a time.
    let calls = SerializedCalls(onSample: onSample, progress: progress)
    let partitions = Array(1...count)
    // The patients' pages draw the whole cohort's band: it is gathered first, partition by
    // partition, so that each partition renders its pages (instead of the merge).
    var band: [PatientReport.CohortBand]?
    if pipeline.patientReports, !auditOnly {
      let bandValues = ParallelMap.each(partitions, width: width) {
        index -> Result<[Int: PatientReport.CohortBand.Values], OutputError> in
        calls.progress("cohort band: partition \(index) of \(count)")
        var samples: [Sample] = []
        do throws(OutputError) {
          var reader = try SpillMerge(paths: Self.spills(read.spills, partition: index, of: count))
          defer { reader.close() }
          while let (_, sample) = try reader.next() { samples.append(sample) }
        } catch {
          return .failure(error)
        }
        var ignored = RunSummary(
          pipeline: pipeline.name, started: started, finished: started, files: [])
        var diaryRejections: [Rejection] = []
        let normalized = normalize(
          samples, zonesByFile: read.zonesByFile, into: &ignored,
          diaryRejections: &diaryRejections
        ).samples
        return .success(PatientReport.CohortBand.values(normalized, settings: pipeline.analyzers))
      }
      // Pooled in partition order, as one partition at a time would.
      var values: [Int: PatientReport.CohortBand.Values] = [:]
      for result in bandValues {
        switch result {
        case .success(let part): PatientReport.CohortBand.pool(&values, part)
        case .failure(let error):
          return failed([error.description, "partitions: \(directory) was left as it was"])
        }
      }
      band = PatientReport.CohortBand.band(values)
    }
    let run = publisher.run
    let state = incremental?.0.store
    let summaries = ParallelMap.each(partitions, width: width) { [pipeline, band] index in
      var part = pipeline
      part.state = nil  // the run's state is read through `spilled`, and kept by the caller
      calls.progress("partition \(index) of \(count)")
      return PipelineRunner(pipeline: part, shard: Shard(index: index, count: count)).run(
        outputDirectory: "\(scratch)/\(index)", auditOnly: auditOnly, rebuild: false,
        onSample: calls.sample, progress: calls.progress,
        spilled: Spilled(
          read: read, paths: Self.spills(read.spills, partition: index, of: count), run: run,
          started: started, band: band, state: state, findings: findings))
    }
    var directories: [String] = []
    for (index, var summary) in zip(partitions, summaries) {
      guard summary.outputFailures.isEmpty else {
        summary.outputFailures.append(
          "partition \(index) of \(count) could not be written; \(directory) was left as it was")
        summary.shard = nil
        return summary
      }
      directories.append("\(scratch)/\(index)")
    }
    progress("merging \(count) partitions")
    Self.releaseFreeMemory()
    let largest = Self.partitionSizes(counts: read.counts, count: count).max() ?? 0
    let atOnce = min(width, count)
    let inMemory = atOnce == 1 ? "one" : "\(atOnce)"
    var note =
      asked == nil
      ? "run in \(count) partitions of subjects (at most \(largest) samples each; settings.run.partition_samples: \(limit)), \(inMemory) in memory at a time, then merged"
      : "run in \(count) partitions of subjects (--partitions), \(inMemory) in memory at a time, then merged"
    if asked == nil, largest * atOnce > limit {
      note +=
        "; the partitions in memory at once hold more than settings.run.partition_samples (\(Self.spillBuckets) partitions at most)"
    }
    var merger = ShardMerger(directories: directories)
    merger.movesFiles = true  // scratch, in the staging directory: moved, not copied
    switch merger.merge(
      into: directory, note: note, publisher: publisher)
    {
    case .success(var summary):
      if let previous = publisher.takenOverFrom {
        summary.notes.append(
          "took over the output lock left by pid \(previous), which no longer runs; its leftovers were cleaned up"
        )
      }
      return summary
    case .failure(let problem):
      return failed(["partitions: \(problem)"])
    }
  }

  /// Publishes the staged outputs and the summary naming them, all or nothing: when an
  /// output failed, the directory keeps the previous run's whole set.
  private func publish(_ summary: inout RunSummary, with publisher: OutputPublisher) {
    guard summary.outputFailures.isEmpty else {
      summary.outputs = [:]
      summary.outputRows = [:]
      summary.outputFailures.append(
        "nothing was published: \(publisher.directory) keeps the outputs of the previous run")
      return
    }
    let name = pipeline.outputs.summary
    let files = Array(summary.outputs.values) + [name]
    summary.outputs = summary.outputs.mapValues(publisher.publishedPath)
    summary.outputs["summary"] = publisher.publishedPath(name)
    do throws(OutputError) {
      try AtomicFileWriter.write(RunSummaryReporter.json(summary), to: publisher.stagedPath(name))
      try publisher.publish(files, last: name)
    } catch {
      summary.outputs = [:]
      summary.outputFailures.append(error.description)
    }
  }

  /// `20261126T142600Z-4242`: the start time and the process, and a count when one process
  /// starts more than one run (`-4242.2`), so that every run has its own id. A reproducible
  /// run (`SOURCE_DATE_EPOCH`) is named by its time alone: `20261126T142600Z`.
  static func runID(_ started: Date, reproducible: Bool = false) -> String {
    let seconds = Int(started.timeIntervalSince1970)
    let time = LocalDateTime(wallClockSeconds: Double(seconds)).description
      .replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
    if reproducible { return time + "Z" }
    let count = runsStarted.withLock { count in
      count += 1
      return count
    }
    return "\(time)Z-\(getpid())" + (count > 1 ? ".\(count)" : "")
  }

  /// Runs this process started.
  private static let runsStarted = Mutex(0)

  /// What an incremental run found, per file in full-run order: the files' data are in the
  /// ledger, and are taken from it one file at a time (``deliver(_:onSample:onRejection:)``).
  struct Incremental {
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
    /// The state, for the run's results.
    var store: StateStore?
  }

  /// Reads the files that are new or changed since the ledger saw them, records each with
  /// its samples in one transaction, and takes the others' data from the ledger; a file
  /// that vanished keeps its data. `nil` when the state cannot be used (the summary says why).
  private func readIncrementally(
    _ statePath: String, rebuild: Bool, outputs directory: String,
    zonesByFile: inout [String: String], lock: inout DirectoryLock?,
    progress: (String) -> Void, into summary: inout RunSummary
  ) -> Incremental? {
    let store: StateStore
    do {
      try FileModes.makeDirectory(statePath)
      lock = try DirectoryLock(directory: statePath)
      // A state that is gone while the outputs say they were published from one (an
      // unmounted share, a deleted folder) is not started over silently: the data of files
      // no longer in the inbox would be lost without a word.
      var status = stat()
      if lstat(StateStore.file(in: statePath), &status) != 0, !rebuild,
        OutputPublisher.manifest(in: directory)?.fromState == true
      {
        throw StateProblem(
          file: StateStore.file(in: statePath), kind: .missing,
          detail: "the outputs in \(directory) were published from a state")
      }
      store = try StateStore(directory: statePath)
      if rebuild {
        try store.reset()
        summary.notes.append("rebuilt: the ledger was cleared and every input still present read")
      }
    } catch let error as OutputError {
      summary.outputFailures.append(error.description)
      if let holder = error.lockHolder { summary.lockedBy = holder }
      return nil
    } catch let problem as StateProblem {
      summary.stateProblem = problem.description
      summary.outputFailures.append(problem.description)
      return nil
    } catch {
      summary.outputFailures.append("state \(statePath): \(error)")
      return nil
    }
    if let previous = lock?.takenOverFrom {
      summary.notes.append("took over the state lock left by pid \(previous), which no longer runs")
    }
    let now = FHIRReportWriter.iso(summary.started)
    var result = Incremental()
    result.store = store
    do {
      let ledger = try store.entries()
      var seen = Set<String>()
      var readOnce = Set<String>()
      var unchanged: [String] = []
      var unreachable = Set<Int>()
      // Files back in the inbox after they vanished (a share mounted again, a file moved
      // back): read or quarantined again.
      var returned: (read: [String], quarantined: [String]) = ([], [])
      for (index, input) in pipeline.inputs.enumerated() {
        var files: [String] = []
        switch InputCatalogue.entries(of: input, reading: pipeline.reading) {
        case .failure(let problem):
          // An inbox that holds no file tonight is normal for a nightly run.
          var isDirectory: ObjCBool = false
          let exists = FileManager.default.fileExists(atPath: input.path, isDirectory: &isDirectory)
          let empty = exists && isDirectory.boolValue
          if !empty { summary.inputProblems.append(problem.description) }
          // An inbox that is not there (an unmounted share) says nothing of its files:
          // they are not vanished, and their data stay as they were.
          if !exists { unreachable.insert(index) }
        case .success(let entries):
          for skipped in entries.skipped {
            summary.skippedEntries.append(skipped)
            summary.inputProblems.append(
              "\(input.name): \(skipped.path) not read: \(skipped.reason) (\(skipped.detail))")
          }
          files = entries.files
        }
        for file in files {
          // One file, one reader (commands refuse such pipelines before a run).
          guard readOnce.insert(InputCatalogue.canonical(file)).inserted else {
            summary.inputProblems.append(
              "\(input.name): \(file) not read again: an earlier input read it (give one input an exclude: pattern)"
            )
            continue
          }
          progress("checking \(file)")
          seen.insert(file)
          if let zone = input.timeZone { zonesByFile[file] = zone }
          let digest = SHA256.file(file)
          let readKey = Fingerprint.reading(pipeline, input: index)
          if let digest, let entry = ledger[file], entry.sha256 == digest.sha256,
            entry.readKey == readKey
          {
            result.files.append(.init(input: index, path: file, summary: entry.summary))
            unchanged.append(file)
            let failed = entry.summary.failure != nil
            if entry.outcome == "vanished" {
              if failed { returned.quarantined.append(file) } else { returned.read.append(file) }
              summary.notes.append("\(file): back in the inbox, unchanged")
            }
            if entry.outcome == "quarantined" || (entry.outcome == "vanished" && failed) {
              summary.quarantinedFiles.append(
                .init(
                  path: file, since: entry.firstSeen,
                  why: entry.summary.failure ?? "it could not be read"))
            }
            continue
          }
          var samples: [Sample] = []
          var rejections: [Rejection] = []
          var last: (id: String, pseudonym: String)?
          let format =
            input.format ?? InputFormat.guess(file: file, hasProfile: input.profile != nil)
          var fileSummary = ExportReader(format: format, profile: input.profile).read(
            file: file, onSample: { samples.append(pseudonymized($0, &last)) },
            onRejection: { rejections.append($0) })
          // The ledger keeps the digest of the bytes read (the file may have changed since
          // it was checked).
          fileSummary.bytes = fileSummary.bytes ?? digest?.bytes
          fileSummary.sha256 = fileSummary.sha256 ?? digest?.sha256
          let quarantined = fileSummary.failure != nil
          if quarantined {
            fileSummary.notices.append(
              "quarantined in the ledger: read again only when its content changes")
            summary.quarantinedFiles.append(
              .init(
                path: file, since: ledger[file]?.firstSeen ?? now,
                why: fileSummary.failure ?? "it could not be read"))
          }
          let entry = StateStore.Entry(
            path: file, input: index, bytes: fileSummary.bytes ?? 0,
            sha256: fileSummary.sha256 ?? "",
            firstSeen: ledger[file]?.firstSeen ?? now, lastSeen: now,
            outcome: quarantined ? "quarantined" : "read", summary: fileSummary, readKey: readKey)
          try store.record(entry, samples: samples, rejections: rejections)
          if ledger[file] == nil { result.new += 1 } else { result.changed += 1 }
          if let entry = ledger[file], entry.sha256 == digest?.sha256 {
            // Said in this run's summary only: the ledger keeps what a read gives.
            result.reread += 1
            fileSummary.notices.append(
              "read again: its content is unchanged, but how its input is read changed (format, profile or read settings)"
            )
          }
          result.files.append(.init(input: index, path: file, summary: fileSummary))
        }
      }
      // Files the ledger saw that are gone: their data stay in every table.
      var vanished: [String] = []
      for (path, entry) in ledger where !seen.contains(path) {
        if unreachable.contains(entry.input) {
          // Not seen because its inbox is not there: kept as it was, not vanished.
          if entry.outcome != "quarantined" && entry.outcome != "vanished" {
            var fileSummary = entry.summary
            fileSummary.notices.append(
              "its input was not there (last seen \(entry.lastSeen)); its data are kept as they were"
            )
            result.files.append(.init(input: entry.input, path: path, summary: fileSummary))
          }
          continue
        }
        // Its input's time zone still applies to its local times.
        if pipeline.inputs.indices.contains(entry.input),
          let zone = pipeline.inputs[entry.input].timeZone
        {
          zonesByFile[path] = zone
        }
        // A quarantined file that is gone held no data: its quarantine ends with it.
        if entry.outcome == "quarantined"
          || (entry.outcome == "vanished" && entry.summary.failure != nil)
        {
          if entry.outcome != "vanished" {
            vanished.append(path)
            summary.notes.append(
              "\(path): the quarantined file is gone from the inbox; its quarantine ends")
          }
          continue
        }
        var fileSummary = entry.summary
        fileSummary.notices.append(
          "vanished from the inbox (last seen \(entry.lastSeen)); the data of its last content are kept"
        )
        result.files.append(.init(input: entry.input, path: path, summary: fileSummary))
        if entry.outcome != "vanished" { vanished.append(path) }
      }
      try store.mark(unchanged, outcome: nil, seen: now)
      try store.mark(vanished, outcome: "vanished", seen: now)
      try store.mark(returned.read, outcome: "read", seen: now)
      try store.mark(returned.quarantined, outcome: "quarantined", seen: now)
      result.unchanged = unchanged.count
      result.vanished = vanished.count
      result.generation = try store.generation()
      result.published = try store.publication()
      if result.reread > 0 {
        summary.notes.append(
          "\(result.reread) file\(result.reread == 1 ? "" : "s") read again: how their input is read (format, profile or read settings) changed since the ledger read them"
        )
      }
      summary.unchangedSince = try store.lastRun()
      try store.recordRun(
        id: summary.run, started: now, new: result.new, changed: result.changed,
        vanished: vanished.count)
    } catch {
      summary.outputFailures.append("state \(statePath): \(error)")
      return nil
    }
    result.files.sort { ($0.input, $0.path) < ($1.input, $1.path) }
    summary.incremental = RunSummary.IncrementalCounts(
      new: result.new, changed: result.changed, unchanged: result.unchanged,
      vanished: result.vanished)
    return result
  }

  /// An incremental run over more samples than ``Pipeline/partitionSamples``: its files' data
  /// are taken from the ledger into scratch files of buckets of subjects, and run in
  /// partitions (``runInPartitions``) like a run without state; the state keeps the run's
  /// findings and its publication once the merge has published.
  private func runIncrementalInPartitions(
    _ incremental: Incremental, summary base: RunSummary,
    publication: StateStore.Publication?, publisher: OutputPublisher,
    zonesByFile: [String: String], started: Date, auditOnly: Bool,
    onSample: @escaping (Sample) -> Void, progress: @escaping (String) -> Void
  ) -> RunSummary {
    let findings = FindingCollector()
    var summary = runInPartitions(
      count: nil, directory: publisher.directory, started: started, auditOnly: auditOnly,
      onSample: onSample, progress: progress, publisher: publisher,
      incremental: (incremental, base, zonesByFile), findings: findings)
    summary.incremental = base.incremental
    summary.unchangedSince = base.unchangedSince
    summary.stateProblem = base.stateProblem
    summary.quarantinedFiles = base.quarantinedFiles
    summary.notes = base.notes + summary.notes.filter { !base.notes.contains($0) }
    if summary.outputFailures.isEmpty, let publication, let store = incremental.store {
      do {
        try store.record(
          normalized: [], days: [], findings: findings.all, run: publication.run,
          publication: publication)
      } catch {
        summary.outputFailures.append(
          "state: the outputs were published, but the state could not record it (the next run publishes again): \(error)"
        )
      }
    }
    return summary
  }

  /// Hands out the samples and rejections of an incremental run's files from the ledger,
  /// one file in memory at a time, in full-run order.
  private func deliver(
    _ incremental: Incremental, onSample: (Sample) -> Void, onRejection: (Rejection) -> Void
  ) throws {
    guard let store = incremental.store else { return }
    for file in incremental.files {
      let data = try store.data(of: file.path)
      for sample in data.samples { onSample(sample) }
      for rejection in data.rejections { onRejection(rejection) }
    }
  }

  /// When each file of the samples was delivered: its modification time, which orders a
  /// re-delivered draw's values (the later file corrects the earlier). A file no longer
  /// there has none (its values then conflict rather than correct).
  static func deliveries(of samples: [Sample]) -> [String: Double] {
    var deliveries: [String: Double] = [:]
    var last = ""
    for sample in samples where sample.provenance.file != last {
      last = sample.provenance.file
      guard deliveries[last] == nil else { continue }
      var status = stat()
      if stat(last, &status) == 0 {
        deliveries[last] = Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec) / 1e9
      }
    }
    return deliveries
  }

  /// Runs the normalizer stage over every sample read, counting what it did.
  private func normalize(
    _ samples: [Sample], zonesByFile: [String: String], into summary: inout RunSummary,
    diaryRejections: inout [Rejection]
  ) -> NormalizationResult {
    let normalizer =
      Normalizer(settings: pipeline.normalizer) ?? Normalizer(settings: NormalizerSettings())!
    if normalizer.settings != pipeline.normalizer {
      summary.inputProblems.append(
        "settings.normalize.time_zone '\(pipeline.normalizer.timeZone ?? "")' is not an IANA time zone; local times stay local"
      )
    }
    var diary: [String: [CollectionTime]] = [:]
    if let source = pipeline.wakeDiary {
      let read = WakeDiaryReader(profile: source.profile).read(file: source.path)
      if let failure = read.failure { summary.inputProblems.append("wake diary: \(failure)") }
      summary.files.append(read.summary)
      diaryRejections = read.rejections
      diary = read.wakes
      if let pseudonymizer = pipeline.pseudonymizer {
        diary = Dictionary(
          diary.map { (pseudonymizer.pseudonym($0.key), $0.value) }, uniquingKeysWith: +)
      }
    }
    let result = normalizer.normalize(
      samples, zonesByFile: zonesByFile, diary: diary, deliveries: Self.deliveries(of: samples))
    var counts = RunSummary.NormalizationSummary(result, samplesIn: samples.count)
    counts.diaryWakes = diary.values.reduce(0) { $0 + $1.count }
    counts.diaryRejections = diaryRejections.count
    summary.normalization = counts
    return result
  }

  /// Writes the normalized samples as CSV and, when asked for, NDJSON.
  private func writeNormalized(
    _ samples: [NormalizedSample], fileOrdinals: [String: Int], directory: String?,
    into summary: inout RunSummary
  ) {
    let outputs = pipeline.outputs
    let key = { (sample: NormalizedSample) in
      Self.position(sample.sample.provenance, phase: 0, fileOrdinals)
    }
    write("normalized", outputs.normalized, directory, &summary, rows: samples.count) { sink in
      sink.header(CSVTableWriter.line(NormalizedTable.header))
      // Rows are formatted on every core, a batch at a time, and written in input order.
      var next = 0
      ParallelMap.forEachBatch(
        samples, batch: 4096, { CSVTableWriter.line(NormalizedTable.row($0)) }
      ) { lines in
        for line in lines {
          sink.row(line, key(samples[next]))
          next += 1
        }
      }
    }
    if outputs.writeNormalizedJSON {
      writeLines("normalized_ndjson", outputs.normalizedJSON, samples, key, directory, &summary)
    }
  }

  /// The key of a row in read order: the input file's place in the run and the record.
  /// (A record holds one subject's values, so rows of one key never come from two shards.)
  private static func position(_ location: InputLocation, phase: Int, _ ordinals: [String: Int])
    -> ShardKey
  {
    .position(phase, ordinals[location.file] ?? Int.max, location.record ?? 0)
  }

  /// The folder of a shard's keys and cohort inputs, inside the output directory.
  static let shardFolder = Pipeline.Outputs.shardFolder
  /// A shard's contribution to the cohort report and band, in ``shardFolder``.
  static let cohortInputs = "cohort-inputs.json"

  /// A table's sink in `directory`, with its keys file in a shard run.
  private func sink(_ name: String, in directory: String) throws(OutputError) -> TableSink {
    let file = try AtomicFileWriter(path: path(directory, name))
    let keys =
      shard == nil
      ? nil : try AtomicFileWriter(path: path(directory, "\(Self.shardFolder)/\(name).keys"))
    return TableSink(file: file, keys: keys)
  }

  /// Writes the three feature tables.
  private func writeFeatures(
    _ features: CortisolRhythmFeatures, directory: String?, into summary: inout RunSummary
  ) {
    let outputs = pipeline.outputs
    // Rows in subject order (and day within a subject): keyed by subject in a shard run.
    let tables:
      [(role: String, name: String, header: [String], rows: [[String]], subjects: [String])] = [
        (
          "features_subject_day", outputs.featuresSubjectDay, FeatureTables.subjectDayHeader,
          features.days.map(FeatureTables.row), features.days.map(\.subjectID)
        ),
        (
          "features_subject", outputs.featuresSubject, FeatureTables.subjectHeader,
          features.subjects.map(FeatureTables.row), features.subjects.map(\.subjectID)
        ),
        (
          "features_response", outputs.featuresResponse,
          FeatureTables.responseHeader(slopes: pipeline.analyzers.response.slopes),
          features.responses.map(FeatureTables.row), features.responses.map(\.subjectID)
        ),
      ]
    for table in tables {
      write(table.role, table.name, directory, &summary, rows: table.rows.count) { sink in
        sink.header(CSVTableWriter.line(table.header))
        for (row, subject) in zip(table.rows, table.subjects) {
          sink.row(CSVTableWriter.line(row), .subject(subject))
        }
      }
    }
  }

  /// Writes the findings as CSV and NDJSON.
  private func writeFindings(
    _ findings: [Finding], directory: String?, into summary: inout RunSummary
  ) {
    write("findings", pipeline.outputs.findings, directory, &summary, rows: findings.count) {
      sink in
      sink.header(CSVTableWriter.line(FindingTables.header))
      for finding in findings {
        sink.row(CSVTableWriter.line(FindingTables.row(finding)), .subject(finding.subjectID))
      }
    }
    writeLines(
      "findings_ndjson", pipeline.outputs.findingsJSON, findings, { .subject($0.subjectID) },
      directory, &summary)
  }

  /// Writes `audit.json` and `audit.md`.
  private func writeAudit(_ audit: AuditReport, directory: String?, into summary: inout RunSummary)
  {
    write(
      "audit", pipeline.outputs.audit, directory, &summary, rows: audit.files.count, keyed: false
    ) {
      $0.file.write(audit.json)
    }
    write(
      "audit_md", pipeline.outputs.auditMarkdown, directory, &summary, rows: audit.files.count,
      keyed: false
    ) {
      $0.file.write(audit.markdown)
    }
  }

  /// Writes the per-patient reports, `reports/patients/<subject>.{json,md,html}` and, for
  /// subjects with findings, `<subject>.fhir.json`; published as one directory.
  private func writeReports(
    _ reports: [PatientReport], findings: [String: [Finding]], cohort: CohortReport.Inputs,
    directory: String?, modelOnly: Bool,
    into summary: inout RunSummary
  ) {
    guard let directory else { return }
    let folder = path(directory, pipeline.outputs.reports)
    do throws(OutputError) {
      try FileModes.makeDirectory(pipeline.patientReports ? folder + "/patients" : folder)
    } catch {
      summary.outputFailures.append(error.description)
      return
    }
    // Every patient's report is rendered from this run's data: a run never reads its
    // published outputs back.
    // Each patient's files are rendered on every core, a batch at a time; writing stays in
    // order, so the files are those a single thread writes.
    let reportsFolder = pipeline.outputs.reports
    let issued = summary.started
    var failed = false
    // A shard writes each report's model (JSON) and FHIR bundle, and the merge adds the
    // cohort's band and renders the pages; a partition given the band renders them itself.
    var next = 0
    var quarantined = Set<String>()
    let failing = failReports
    ParallelMap.forEachBatch(
      reports, batch: 64,
      { report in
        Result {
          if failing.contains(report.subjectID) {
            throw RenderFailure(description: "a rendering failure made by a test")
          }
          return try Self.renderFiles(
            report, findings: findings[report.subjectID] ?? [], issued: issued,
            modelOnly: modelOnly)
        }
      }
    ) { batch in
      guard !failed else { return }
      for result in batch {
        let subject = reports[next].subjectID
        next += 1
        // One patient whose files cannot be made or named is quarantined; the others are
        // published (and the run exits 1).
        let files: [(String, String)]
        switch result {
        case .success(let made): files = made
        case .failure(let error):
          summary.quarantinedSubjects.append(
            "\(excerpt(subject, limit: 64)): its reports could not be rendered (\(error))")
          quarantined.insert(subject)
          continue
        }
        var written: [String] = []
        for (name, text) in files {
          let target = path(directory, "\(reportsFolder)/patients/\(name)")
          do throws(OutputError) {
            try AtomicFileWriter.write(text, to: target, durable: false)
            written.append(target)
          } catch {
            guard error.isAboutTheName else {
              summary.outputFailures.append(error.description)
              failed = true
              return
            }
            for file in written { unlink(file) }
            summary.quarantinedSubjects.append(
              "\(excerpt(subject, limit: 64)): its reports could not be written (\(error.message))")
            quarantined.insert(subject)
            break
          }
        }
      }
    }
    if failed { return }
    var pages: [(String, String)]
    if shard != nil {
      pages = [("../\(Self.shardFolder)/\(Self.cohortInputs)", cohort.compactJSON)]
    } else {
      let report = CohortReport.build(inputs: cohort, run: summary.run)
      pages = [("cohort.json", report.json), ("cohort.html", report.html)]
    }
    for (name, text) in pages {
      do throws(OutputError) {
        try AtomicFileWriter.write(text, to: folder + "/" + name)
      } catch {
        summary.outputFailures.append(error.description)
        return
      }
    }
    summary.outputs["reports"] = pipeline.outputs.reports
    summary.outputRows["reports"] =
      pipeline.patientReports ? reports.count - quarantined.count : 0
    if !pipeline.patientReports {
      summary.notes.append(
        "reports: the cohort report only; no patient reports (settings.reports.patients: false, or --no-patient-reports)"
      )
    }
  }

  /// A patient's report files, `(file name, text)`: JSON, Markdown, HTML and, when the patient
  /// has findings, the FHIR bundle.
  ///
  /// - Throws: when the FHIR bundle cannot be encoded; the patient is then quarantined.
  static func renderFiles(
    _ report: PatientReport, findings: [Finding], issued: Date, modelOnly: Bool = false
  ) throws -> [(String, String)] {
    let base = PatientReport.fileName(report.subjectID)
    var files = [("\(base).json", PatientReportRenderer.json(report))]
    if !modelOnly {
      files += [
        ("\(base).md", PatientReportRenderer.markdown(report)),
        ("\(base).html", PatientReportRenderer.html(report)),
      ]
    }
    if let bundle = try FHIRReportWriter.bundle(
      subject: report.subjectID, findings: findings, issued: issued)
    {
      files.append(("\(base).fhir.json", bundle))
    }
    return files
  }

  /// Writes one output atomically and records it under `role`, or records why it failed.
  private func write(
    _ role: String, _ name: String, _ directory: String?, _ summary: inout RunSummary,
    rows: Int, keyed: Bool = true, _ body: (TableSink) -> Void
  ) {
    guard let directory else { return }  // no staging: the failure is already recorded
    do throws(OutputError) {
      let file =
        keyed
        ? try sink(name, in: directory)
        : TableSink(file: try AtomicFileWriter(path: path(directory, name)), keys: nil)
      body(file)
      try file.commit()
      summary.outputs[role] = name
      summary.outputRows[role] = rows
    } catch {
      summary.outputFailures.append(error.description)
    }
  }

  /// Writes values as NDJSON, one per line.
  private func writeLines<Value: Encodable & Sendable>(
    _ role: String, _ name: String, _ values: [Value], _ key: (Value) -> ShardKey,
    _ directory: String?, _ summary: inout RunSummary
  ) {
    write(role, name, directory, &summary, rows: values.count) { sink in
      sink.header("")  // NDJSON has none; the keys file starts alike for every table
      // Lines are encoded on every core, a batch at a time, and written in input order.
      var next = 0
      ParallelMap.forEachBatch(values, batch: 4096, { JSONLines.line($0) }) { lines in
        for line in lines {
          sink.row(line, key(values[next]))
          next += 1
        }
      }
    }
  }

  private func path(_ directory: String, _ name: String) -> String {
    directory.hasSuffix("/") ? directory + name : directory + "/" + name
  }
}
