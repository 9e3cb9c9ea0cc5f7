import Foundation

/// Runs a pipeline: picks the run's plan (a whole run, an audit, a shard, partitions of
/// subjects, an incremental night) and hands it to the code that runs it: one pass of the
/// stage chain (`Run/`), composed by `Scale/` for partitions and state. Every output is
/// staged and published together; one file that cannot be read never stops the others.
public struct PipelineRunner: Sendable {
  /// The pipeline to run.
  public var pipeline: Pipeline

  /// The shard this run is (`--shard K/N`): only its subjects' samples are kept, and the
  /// outputs are those `neuroendo merge` combines. `nil`: the whole run.
  public var shard: Shard?

  /// In how many partitions of subjects one machine runs the pipeline (`--partitions N`):
  /// the inputs are read once into scratch files, each partition is a shard run in turn
  /// over its samples, merged at the end, so that memory holds one partition's samples at a
  /// time. 1: every sample at once, as asked; `nil`: as ``Pipeline/partitionSamples``
  /// decides.
  public var partitions: Int?

  /// How many partitions of a run in partitions run at once, each on its own thread: the
  /// cores by default. Together they stay within ``Pipeline/partitionSamples``.
  public var partitionsAtOnce = ParallelMap.width

  /// Tests of a kill: the run stops once everything is staged and the state's ledger is
  /// committed, before anything is published (as a kill at that moment would).
  var failBeforePublishing = false

  /// Tests of a quarantine: the reports of these subjects fail to render.
  var failReports: Set<String> = []
  /// Tests of a run in partitions: how many bytes of the partitions' cohort contributions
  /// the merge is handed in memory (``CohortContributions/limit``); the rest are files.
  var keptContributions = CohortContributions.defaultLimit

  /// The moment runs say they started when `SOURCE_DATE_EPOCH` (seconds since 1970, as
  /// reproducible-builds.org defines it) is set: run ids, report dates and FHIR `issued`
  /// then come from it, so that the same inputs give the same reports and tables, byte
  /// for byte. Nil: the clock.
  public var sourceDateEpoch: Date? = RunClock.environmentEpoch()

  /// Creates a runner of a pipeline, as a whole run, a shard or in partitions.
  public init(pipeline: Pipeline, shard: Shard? = nil, partitions: Int? = nil) {
    self.pipeline = pipeline
    self.shard = shard
    self.partitions = partitions
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
    let started = sourceDateEpoch ?? Date()
    let directory = outputDirectory ?? pipeline.outputs.directory
    FileModes.set(groupReadable: pipeline.groupReadable)
    var summary = RunSummary(
      pipeline: pipeline.name, started: started, finished: started, files: [])
    let plan = plan(auditOnly: auditOnly, rebuild: rebuild)
    if let refusal = refusal(plan, directory: directory, into: &summary) { return refusal }
    if case .partitions(let count) = plan.mode {
      // The partitions call back from the threads they run on, for this call only.
      return withoutActuallyEscaping(onSample) { onSample in
        withoutActuallyEscaping(progress) { progress in
          partitioned.run(
            count: count, directory: directory, started: started, auditOnly: auditOnly,
            onSample: onSample, progress: progress)
        }
      }
    }
    summary.run = RunClock.runID(started, reproducible: sourceDateEpoch != nil)
    if case .incremental(let rebuild) = plan.mode {
      var night = IncrementalRun(pipeline: pipeline, chain: chain, partitioned: partitioned)
      if partitions == 1 { night.partitionLimit = 0 }
      return night.run(
        summary, directory: directory, auditOnly: auditOnly, rebuild: rebuild,
        onSample: onSample, progress: progress)
    }
    // A whole run or a shard: one pass over the inputs read now.
    var pass = StageChain.Pass(summary: summary, directory: directory)
    pass.auditOnly = auditOnly
    var source = InputRead(pipeline: pipeline)
    return chain.run(pass, source: &source, onSample: onSample, progress: progress)
  }

  /// Writes the pages of some patients on demand (`neuroendo report`), as a whole run with
  /// patient reports writes them, into `outputDirectory`: every input is read and
  /// normalized (the cohort's band is drawn from every subject), only these subjects are
  /// analysed and rendered, and nothing else is written. A pipeline with a state is read
  /// from its inbox as it is now (the state is neither read nor changed).
  public func pages(
    of subjects: Set<String>, outputDirectory: String, progress: (String) -> Void = { _ in }
  ) -> RunSummary {
    let started = sourceDateEpoch ?? Date()
    FileModes.set(groupReadable: pipeline.groupReadable)
    var stateless = pipeline
    stateless.state = nil
    var summary = RunSummary(
      pipeline: pipeline.name, started: started, finished: started, files: [])
    let runner = PipelineRunner(pipeline: stateless)
    let plan = RunPlan(.whole)
    if let refusal = runner.refusal(plan, directory: outputDirectory, into: &summary) {
      return refusal
    }
    // Pages go into a folder of their own: a run's outputs (tables, the cohort report) are
    // never replaced by some patients' pages.
    let published = OutputPublisher.manifestFiles(in: outputDirectory) ?? []
    if published.contains(where: {
      !$0.hasPrefix(pipeline.outputs.reports + "/patients/") && $0 != pipeline.outputs.summary
    }) {
      summary.fail(
        .refused(
          "\(outputDirectory) holds the outputs of a run (tables, the cohort report): write the pages into a folder of their own"
        ))
      return summary
    }
    summary.run = RunClock.runID(started, reproducible: sourceDateEpoch != nil)
    var pass = StageChain.Pass(summary: summary, directory: outputDirectory)
    pass.subjects = subjects
    var source = InputRead(pipeline: stateless)
    return runner.chain.run(pass, source: &source, onSample: { _ in }, progress: progress)
  }

  /// The plan of this run: a shard as asked; partitions as asked, or when the inputs hold
  /// more than memory should at once (a run without state); a night with `state:`; or a
  /// whole run.
  public func plan(auditOnly: Bool = false, rebuild: Bool = false) -> RunPlan {
    if let shard { return RunPlan(.shard(shard), auditOnly: auditOnly) }
    if let partitions, partitions > 1 {
      return RunPlan(.partitions(count: partitions), auditOnly: auditOnly)
    }
    if pipeline.state != nil {
      return RunPlan(.incremental(rebuild: rebuild), auditOnly: auditOnly)
    }
    // `--partitions 1`: every sample at once, as asked.
    guard partitions == nil else { return RunPlan(.whole, auditOnly: auditOnly) }
    let (most, overflow) = pipeline.partitionSamples.multipliedReportingOverflow(
      by: PartitionedRun.leastBytesPerSample)
    if pipeline.partitionSamples > 0, !overflow,
      InputCatalogue.bytes(of: pipeline.inputs, reading: pipeline.reading) > most
    {
      return RunPlan(.partitions(count: nil), auditOnly: auditOnly)
    }
    return RunPlan(.whole, auditOnly: auditOnly)
  }

  /// The pass of the stage chain this run makes.
  private var chain: StageChain {
    StageChain(
      pipeline: pipeline, shard: shard, failReports: failReports,
      failBeforePublishing: failBeforePublishing)
  }

  /// How this run runs in partitions, when it does.
  private var partitioned: PartitionedRun {
    PartitionedRun(
      pipeline: pipeline, chain: chain, partitionsAtOnce: partitionsAtOnce,
      sourceDateEpoch: sourceDateEpoch, keptContributions: keptContributions)
  }

  /// The summary of a run that reads and writes nothing, when it must not run: an output
  /// where an input is, a missing input of a run without state (an unmounted share would
  /// publish a set without its data: the last outputs are kept), a state with partitions or
  /// a shard.
  private func refusal(_ plan: RunPlan, directory: String, into summary: inout RunSummary)
    -> RunSummary?
  {
    // Inputs are sacred: with an output where an input is, nothing is read or written.
    let overlaps = pipeline.inputOutputOverlaps(outputDirectory: directory)
    guard overlaps.isEmpty else {
      for overlap in overlaps { summary.fail(.overlap(overlap)) }
      return summary
    }
    if pipeline.state == nil {
      let missing = pipeline.inputs.filter { !FileSystem.exists($0.path) }
      if !missing.isEmpty {
        summary.inputIssues = missing.map {
          .unavailable(InputProblem(input: $0.name, message: "\($0.path) does not exist"))
        }
        summary.notes.append(
          "nothing was read or published: \(missing.count == 1 ? "an input is" : "inputs are") missing (an unmounted share?); \(directory) keeps the outputs of the last run"
        )
        summary.finished = Date()
        return summary
      }
    }
    if let refused = plan.refusal(
      keepsState: pipeline.state != nil,
      comparesCohort: pipeline.analyzers.flattened.cohort != .none)
    {
      summary.shard = shard?.description
      summary.fail(refused)
      return summary
    }
    return nil
  }
}
