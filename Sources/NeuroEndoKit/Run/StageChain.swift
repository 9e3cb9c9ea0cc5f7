import Foundation

/// Earlier runs' findings, for the run that first reported each (an incremental run's
/// state, in `Scale/`).
protocol FindingHistory {
  /// The run that first reported each finding, by finding key; this run's for new ones.
  func firstReported(_ findings: [Finding], run: String) throws -> [String: String]
}

/// One pass, one direction: samples from a source (``SampleSource``) are kept for the
/// run's subjects (a shard's), normalized once, audited, analysed and written as tables
/// and reports into the staging directory, then published together. Every mode of a run
/// (whole, audit, shard, a partition, an incremental night) is this pass over another
/// source; the runner never calls itself.
struct StageChain {
  var pipeline: Pipeline
  /// The subject filter: a shard's subjects only, and keyed tables for the merge.
  var shard: Shard?
  /// Tests of a quarantine: the reports of these subjects fail to render.
  var failReports: Set<String> = []
  /// Tests of a kill: the pass stops once everything is staged, before publishing.
  var failBeforePublishing = false

  /// What a pass is given besides its samples.
  struct Pass {
    /// The run's summary so far: its id and start, and what came before the pass (an
    /// incremental run's counts and notes).
    var summary: RunSummary
    /// The output directory.
    var directory: String
    /// The publisher holding the output directory, when the caller holds it; otherwise
    /// the pass opens one.
    var publisher: OutputPublisher?
    /// Whether the pass says the publisher's recovery notes (the caller did not).
    var notesPublisher = true
    /// Read and normalize only, and write the audit (`neuroendo audit`).
    var auditOnly = false
    /// Earlier runs' findings, for the run that first reported each.
    var history: (any FindingHistory)?
    /// Told the run's findings (a run in partitions gathers them for its state).
    var onFindings: (([Finding]) -> Void)?
    /// Told the pass's contribution to the cohort report, which a shard writes in its
    /// folder: a run in partitions hands them to its merge, and a partition whose
    /// contribution was kept (`true`) does not write it.
    var onCohortInputs: ((CohortReport.Inputs) -> Bool)?
    /// Only these subjects' pages, with the whole cohort's band (`neuroendo report`): every
    /// sample is read and normalized, nothing else is written.
    var subjects: Set<String>?
    /// Called once the outputs are published (an incremental run records them).
    var afterPublishing: ((inout RunSummary, Results) -> Void)?
    /// The whole cohort's mean ln slopes, when the pass's samples are only part of it (a
    /// partition): the flattened verdict's cohort rule compares with these.
    var cohortSlopes: [Double]?
    /// The whole cohort's band, when the pass's samples are only part of it (a partition):
    /// the pass renders its patients' pages whole with it (into ``pagesFolder``).
    var cohortBand: [PatientReport.CohortBand]?
    /// The pass writes into the run's own scratch (a partition's folder inside the run's
    /// staging): its publication does not wait for the disk, which the run's own
    /// publication does for every file where it ends up.
    var scratch = false
    /// Where the pass writes its patients' files, when not in its own reports folder: a
    /// partition's go straight to the run's staged folder.
    var pagesFolder: String?
  }

  /// What a pass made, for what comes after its publication.
  struct Results {
    var normalized: [NormalizedSample]
    var days: [SubjectDayFeatures]
    var findings: [Finding]
    var reportsWritten = false
  }

  /// The tables written row by row while the samples are read.
  private final class Tables {
    var samples: TableSink?
    var rejections: TableSink?
    var read: [Sample] = []
    var sequence = 0
    var rejectionSequence = 0
    var rejectionRows = 0
    var lastSubject: (id: String, kept: Bool)?
  }

  /// Runs the pass over `source`.
  func run(
    _ pass: Pass, source: inout some SampleSource, onSample: (Sample) -> Void,
    progress: (String) -> Void
  ) -> RunSummary {
    var summary = pass.summary
    summary.shard = shard?.description
    summary.auditOnly = pass.auditOnly
    guard let (publisher, tables) = open(pass, into: &summary) else { return summary }
    var writer = OutputWriter(
      pipeline: pipeline, shard: shard, directory: publisher.map { outputFolder($0) })
    writer.failReports = failReports
    writer.pagesAtMerge = pass.cohortBand == nil
    writer.scratch = pass.scratch
    writer.pagesFolder = pass.pagesFolder
    var zones: [String: String] = [:]
    do throws(RunFailure) {
      try source.read(
        into: &summary, zones: &zones, progress: progress,
        onSample: { keep($0, $1, tables, onSample) }, onRejection: { reject($0, tables) })
    } catch {
      summary.fail(error)
      return summary
    }
    progress("normalizing \(tables.read.count) samples")
    let samplesKept = tables.read.count
    let (normalization, dataset) = normalize(tables, zones: zones, writer: writer, into: &summary)
    var results = Results(normalized: normalization.samples, days: [], findings: [])
    if let subjects = pass.subjects {
      progress("writing the pages of \(subjects.count) subjects")
      pages(of: subjects, normalization.samples, writer: writer, into: &summary)
    } else if !pass.auditOnly {
      progress("analyzing")
      results = analyze(normalization, pass, writer: writer, progress: progress, into: &summary)
    }
    let outputs = pipeline.outputs
    if !pass.auditOnly {
      writer.commit(
        tables.samples, role: "samples", name: outputs.samples, rows: samplesKept, into: &summary)
    }
    writer.commit(
      tables.rejections, role: "rejections", name: outputs.rejections, rows: tables.rejectionRows,
      into: &summary)
    if !pass.auditOnly, pass.subjects == nil {
      summary.notWritten = pipeline.outputs.notWritten(
        patientReports: pipeline.patientReports, pipelineFile: pipeline.file)
    }
    if shard != nil, let directory = writer.directory {
      writeManifest(
        dataset, reports: results.reportsWritten, in: directory, durable: !writer.scratch,
        into: &summary)
    }
    summary.finished = Date()
    guard let publisher else { return summary }
    if failBeforePublishing, !pass.auditOnly {
      summary.fail(.stoppedBeforePublishing)
      return summary
    }
    Self.publish(&summary, name: pipeline.outputs.summary, with: publisher)
    if summary.failures.isEmpty { pass.afterPublishing?(&summary, results) }
    return summary
  }

  /// Opens the output directory (or takes the caller's publisher) and the tables written
  /// while reading; `nil` when another run holds the directory (nothing is done). A staging
  /// failure is recorded, and the pass goes on to say what it read without publishing.
  private func open(_ pass: Pass, into summary: inout RunSummary) -> (OutputPublisher?, Tables)? {
    let tables = Tables()
    let outputs = pipeline.outputs
    var publisher = pass.publisher
    do throws(OutputError) {
      let staged: OutputPublisher
      staged = try OutputPublisher.holding(
        publisher, directory: pass.directory, run: summary.run, outputNames: outputs.names)
      publisher = staged
      if pass.scratch { staged.syncsStaged = false }
      if pass.notesPublisher { summary.notes += Self.notes(of: staged, pipeline) }
      if shard != nil {
        try FileModes.makeDirectory(staged.stagedPath(OutputWriter.shardFolder))
      }
      var writer = OutputWriter(pipeline: pipeline, shard: shard, directory: outputFolder(staged))
      writer.scratch = pass.scratch
      if pass.subjects == nil {
        if !pass.auditOnly, outputs.writeSamples {
          tables.samples = try writer.sink(outputs.samples)
        }
        // The audit too writes every rejected record (`neuroendo audit`).
        tables.rejections = try writer.sink(outputs.rejections)
      }
    } catch {
      if error.lockHolder != nil {
        // Another run writes here: this one reads nothing and changes nothing.
        summary.fail(.locked(error))
        return nil
      }
      summary.fail(.output(error))
    }
    tables.samples?.header(CSVTableWriter.line(SampleTable.header))
    tables.rejections?.header(CSVTableWriter.line(SampleTable.rejectionHeader))
    return (publisher, tables)
  }

  /// What a run says of the publisher it opened: leftovers recovered, retired settings, a
  /// lock taken over from a run that died.
  static func notes(of publisher: OutputPublisher, _ pipeline: Pipeline) -> [String] {
    var notes = publisher.recoveryNotes + pipeline.retiredSettings
    if let previous = publisher.takenOverFrom {
      notes.append(
        "took over the output lock left by pid \(previous), which no longer runs; its leftovers were cleaned up"
      )
    }
    return notes
  }

  /// Keeps a sample of the run's subjects (a shard's subjects come in runs: its shard is
  /// worked out once a run), with its place among all the run's samples.
  private func keep(
    _ sample: Sample, _ given: Int?, _ tables: Tables, _ onSample: (Sample) -> Void
  ) {
    let sequence: Int
    if let given {
      sequence = given
    } else {
      tables.sequence += 1
      sequence = tables.sequence
      if let shard {
        let subject = sample.subjectID
        if tables.lastSubject?.id != subject {
          tables.lastSubject = (subject, shard.contains(subject: subject))
        }
        guard tables.lastSubject!.kept else { return }
      }
    }
    tables.samples?.row(CSVTableWriter.line(SampleTable.row(sample)), .position(0, sequence, 0))
    tables.read.append(sample)
    onSample(sample)
  }

  /// Writes a rejected record: a shard keeps those of no subject in the first shard only.
  private func reject(_ rejection: Rejection, _ tables: Tables, phase: Int = 0) {
    tables.rejectionSequence += 1
    guard shard?.carriesUnattributed ?? true else { return }
    tables.rejections?.row(
      CSVTableWriter.line(SampleTable.row(rejection)),
      .position(phase, tables.rejectionSequence, 0))
    tables.rejectionRows += 1
  }

  /// Normalizes the samples kept, writes the rejections it made and the audit (a shard
  /// keeps the audit's dataset for its manifest).
  private func normalize(
    _ tables: Tables, zones: [String: String], writer: OutputWriter,
    into summary: inout RunSummary
  ) -> (NormalizationResult, AuditReport.Dataset) {
    var diaryRejections: [Rejection] = []
    let normalization = Self.normalize(
      tables.read, pipeline, zonesByFile: zones, into: &summary, diaryRejections: &diaryRejections
    )
    tables.read = []  // the normalized samples carry each sample as read; this copy can go
    for rejection in diaryRejections { reject(rejection, tables, phase: 1) }
    let ordinals = fileOrdinals(summary)
    for rejection in normalization.rejections {
      // Of a sample of this shard's subjects: every shard writes its own.
      tables.rejections?.row(
        CSVTableWriter.line(SampleTable.row(rejection)),
        OutputWriter.position(rejection.location, phase: 2, ordinals))
      tables.rejectionRows += 1
    }
    let dataset = AuditReport.Dataset(
      samples: normalization.samples, normalization: summary.normalization)
    if shard == nil, tables.rejections != nil {
      writer.audit(
        AuditReport.build(
          run: summary.run, files: summary.files, skippedEntries: summary.skippedEntries,
          inputProblems: summary.inputProblems, dataset: dataset,
          settings: pipeline.effectiveSettings), into: &summary)
    }
    return (normalization, dataset)
  }

  /// Writes the pages of `subjects` alone, as a whole run writes them: the cohort's band
  /// from every subject's samples, the features and findings from theirs.
  private func pages(
    of subjects: Set<String>, _ all: [NormalizedSample], writer: OutputWriter,
    into summary: inout RunSummary
  ) {
    let band = PatientReport.CohortBand.band(
      CohortBandValues.collect(all, settings: pipeline.analyzers))
    let samples = all.filter { subjects.contains($0.sample.subjectID) }
    // A subject the inputs do not hold: said, and the others' pages are written; none at
    // all: nothing is published.
    let found = Set(samples.map(\.sample.subjectID))
    for missing in subjects.subtracting(found).sorted() {
      summary.inputIssues.append(.noSuchSubject(missing))
    }
    guard !found.isEmpty else {
      summary.fail(.part("no subject named has samples in the inputs; nothing was written"))
      return
    }
    // The cohort rule of the flattened verdict compares each subject with every other.
    let cohort =
      pipeline.analyzers.flattened.cohort == .none
      ? nil
      : FlattenedSlopeAnalyzer(settings: pipeline.analyzers.flattened).cohortSlopes(
        CortisolRhythmAnalyzer(settings: pipeline.analyzers).analyze(all).subjects)
    let features = CortisolRhythmAnalyzer(settings: pipeline.analyzers, cohortSlopes: cohort)
      .analyze(samples)
    let feedback = FeedbackAnalyzer(
      settings: pipeline.analyzers.feedback, excludeFlags: pipeline.analyzers.excludeFlags
    ).evaluate(samples)
    summary.analysis = RunSummary.AnalysisSummary(features)
    summary.analysis.count(feedback)
    let reports = PatientReport.build(
      samples: samples, features: features, feedback: feedback, settings: pipeline.analyzers,
      run: summary.run, firstReported: [:], band: band, reportDate: summary.started)
    writer.reports(
      reports, findings: Dictionary(grouping: feedback.findings, by: \.subjectID), cohort: nil,
      into: &summary)
  }

  /// The place of each input file in the run, for the keys of a shard's rows.
  private func fileOrdinals(_ summary: RunSummary) -> [String: Int] {
    Dictionary(
      summary.files.enumerated().map { ($1.file, $0) }, uniquingKeysWith: { first, _ in first })
  }

  /// Analyses the normalized samples and writes the tables and reports.
  private func analyze(
    _ normalization: NormalizationResult, _ pass: Pass, writer: OutputWriter,
    progress: (String) -> Void, into summary: inout RunSummary
  ) -> Results {
    let samples = normalization.samples
    writer.normalized(samples, fileOrdinals: fileOrdinals(summary), into: &summary)
    let features = CortisolRhythmAnalyzer(
      settings: pipeline.analyzers, cohortSlopes: pass.cohortSlopes
    ).analyze(samples)
    summary.analysis = RunSummary.AnalysisSummary(features)
    writer.features(features, into: &summary)
    let feedback = FeedbackAnalyzer(
      settings: pipeline.analyzers.feedback, excludeFlags: pipeline.analyzers.excludeFlags
    ).evaluate(samples)
    summary.analysis.count(feedback)
    writer.findings(feedback.findings, into: &summary)
    pass.onFindings?(feedback.findings)
    // With a state, each finding knows the run that first published it.
    var firstReported: [String: String] = [:]
    if let history = pass.history {
      do {
        firstReported = try history.firstReported(feedback.findings, run: summary.run)
      } catch {
        summary.fail(.state("state: cannot read the findings of earlier runs: \(error)"))
      }
    }
    progress("writing reports")
    let written = report(
      samples, features: features, feedback: feedback, firstReported: firstReported,
      given: pass.cohortBand, handOver: pass.onCohortInputs, writer: writer, into: &summary)
    return Results(
      normalized: samples, days: features.days, findings: feedback.findings,
      reportsWritten: written)
  }

  /// Writes the patients' reports and the cohort report. The cohort's band is drawn in the
  /// patient reports from the whole cohort's values: a shard passes its values on, and its
  /// reports get the band at the merge, unless it was `given` (a partition's, drawn from
  /// every partition's values first). Without patient reports there is no band to draw.
  private func report(
    _ samples: [NormalizedSample], features: CortisolRhythmFeatures, feedback: FeedbackResult,
    firstReported: [String: String], given: [PatientReport.CohortBand]?,
    handOver: ((CohortReport.Inputs) -> Bool)?, writer: OutputWriter,
    into summary: inout RunSummary
  ) -> Bool {
    let bandValues =
      pipeline.patientReports && given == nil
      ? CohortBandValues.collect(samples, settings: pipeline.analyzers) : [:]
    let cohort = CohortReport.Inputs(
      features: features, feedback: feedback, threshold: pipeline.analyzers.flattened.threshold,
      band: shard == nil ? [:] : bandValues, patientReports: pipeline.patientReports)
    // Each patient's report is built only when it is written.
    let reports =
      pipeline.patientReports
      ? PatientReport.build(
        samples: samples, features: features, feedback: feedback,
        settings: pipeline.analyzers, run: summary.run, firstReported: firstReported,
        band: given ?? (shard == nil ? PatientReport.CohortBand.band(bandValues) : []),
        reportDate: summary.started)
      : []
    // A contribution handed over and kept (a partition's, for its merge) is not written.
    let kept = handOver?(cohort) ?? false
    let written = writer.reports(
      reports, findings: Dictionary(grouping: feedback.findings, by: \.subjectID),
      cohort: cohort, writesCohortInputs: !kept, into: &summary)
    if let shard {
      summary.notes.append(
        "shard \(shard): the rows of \(cohort.patients.count) subjects (those whose id hashes to this shard); the files' counts are whole; neuroendo merge combines the shards"
      )
    }
    return written
  }

  /// Where the pass writes: the staging directory, or a shard's folder in it.
  private func outputFolder(_ publisher: OutputPublisher) -> String {
    shard == nil ? publisher.staging : publisher.stagedPath(OutputWriter.shardFolder)
  }

  /// Writes a shard's manifest (``ShardManifest``): its tables, counts and settings, for the
  /// merge. The shard publishes its folder and its run summary.
  private func writeManifest(
    _ dataset: AuditReport.Dataset, reports: Bool, in folder: String, durable: Bool,
    into summary: inout RunSummary
  ) {
    let names = pipeline.outputs
    var outputs = summary.outputs
    outputs["audit"] = names.audit
    outputs["audit_md"] = names.auditMarkdown
    outputs["summary"] = names.summary
    if reports { outputs["reports"] = names.reports }
    let manifest = ShardManifest(
      shard: shard?.description ?? "", run: summary.run, started: summary.started,
      pipeline: summary.pipeline, auditOnly: summary.auditOnly,
      settings: pipeline.effectiveSettings, patientReports: pipeline.patientReports,
      files: summary.files, inputProblems: summary.inputProblems,
      skippedEntries: summary.skippedEntries, normalization: summary.normalization,
      analysis: summary.analysis, dataset: dataset,
      quarantinedSubjects: summary.quarantinedSubjects,
      quarantinedIDs: summary.quarantined.isEmpty ? nil : summary.quarantined.map(\.subject),
      outputs: outputs,
      tables: summary.outputs, notWritten: summary.notWritten)
    do throws(OutputError) {
      try AtomicFileWriter.write(
        manifest.json, to: folder + "/" + ShardManifest.fileName, durable: durable)
      summary.outputs = ["shard": OutputWriter.shardFolder]
    } catch {
      summary.fail(.output(error))
    }
  }

  /// Publishes the staged outputs and the summary naming them (as `name`), all or nothing:
  /// when an output failed, the directory keeps the previous run's whole set. A run's pass
  /// and a merge publish alike.
  static func publish(_ summary: inout RunSummary, name: String, with publisher: OutputPublisher) {
    guard summary.failures.isEmpty else {
      summary.outputs = [:]
      summary.outputRows = [:]
      summary.fail(.notPublished(directory: publisher.directory))
      return
    }
    let files = Array(summary.outputs.values) + [name]
    summary.outputs = summary.outputs.mapValues(publisher.publishedPath)
    summary.outputs["summary"] = publisher.publishedPath(name)
    do throws(OutputError) {
      try AtomicFileWriter.write(
        RunSummaryReporter.json(summary), to: publisher.stagedPath(name),
        durable: publisher.syncsStaged)
      try publisher.publish(files, last: name)
    } catch {
      summary.outputs = [:]
      summary.fail(.output(error))
    }
  }
}
