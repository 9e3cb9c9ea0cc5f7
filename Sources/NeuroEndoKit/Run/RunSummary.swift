import Foundation

/// What a pipeline run did: every file read, with counts that add up, and the outputs written.
public struct RunSummary: Sendable, Codable {
  /// The NeuroEndo version that made the run.
  public var version = NeuroEndoVersion.current
  /// The run's identifier (start time and process), also the name of its staging directory.
  public var run = ""
  /// Whether the run only read and audited (`neuroendo audit`), analysing nothing.
  public var auditOnly = false
  /// When another run held the output directory: its process id (0 when unknown). Nothing
  /// was read or written.
  public var lockedBy: Int32?
  /// Things a person should know about the run itself (a lock taken over from a dead run).
  public var notes: [String] = []
  /// An incremental run's files: new, changed, unchanged (from the ledger), newly vanished.
  public var incremental: IncrementalCounts?
  /// When an incremental run found nothing new: no output was changed.
  public var nothingNew = false
  /// The start of the previous incremental run, when there was one.
  public var unchangedSince: String?
  /// A shard run's shard, `K/N` (`--shard`): its outputs hold only its subjects' rows, and
  /// `neuroendo merge` combines the shards. `nil` for a whole run.
  public var shard: String?

  /// What an incremental run found in its inputs.
  public struct IncrementalCounts: Sendable, Codable, Hashable {
    public var new: Int
    public var changed: Int
    public var unchanged: Int
    public var vanished: Int
  }
  /// The pipeline's name.
  public var pipeline: String
  /// When the run started.
  public var started: Date
  /// When it ended.
  public var finished: Date
  /// One entry per file, in the order read.
  public var files: [FileReadSummary]
  /// Inputs that matched no file, or whose path is missing, and entries not read.
  public var inputIssues: [InputIssue] = []
  /// The input issues' descriptions (`inputProblems` in `run-summary.json`).
  public var inputProblems: [String] { inputIssues.map(\.description) }
  /// Entries of inboxes that were not read (FIFOs, links outside, files too large).
  public var skippedEntries: [SkippedEntry] = []
  /// The files written, by role (`summary`, `samples`, `rejections`).
  public var outputs: [String: String]
  /// Data rows written to each table and NDJSON file, by role (headers not counted), so
  /// that the totals can be checked against the files.
  public var outputRows: [String: Int] = [:]
  /// What went wrong, typed (``RunFailure``): outputs that could not be written, a lock held
  /// by another run, a state that cannot be used. Written as their descriptions.
  public var failures: [RunFailure] = []
  /// The failures' descriptions (`outputFailures` in `run-summary.json`).
  public var outputFailures: [String] { failures.map(\.description) }
  /// When the state database could not be used (damaged, or of a newer NeuroEndo): what
  /// is wrong and how to recover. Nothing was read or written (exit 70).
  public var stateProblem: String?
  /// Subjects whose outputs could not be made (their reports cannot be rendered or named),
  /// each with the reason: the others were published, and the run is incomplete (exit 1).
  public var quarantined: [QuarantinedSubject] = []
  /// The quarantined subjects' descriptions (`quarantinedSubjects` in `run-summary.json`).
  public var quarantinedSubjects: [String] { quarantined.map(\.description) }
  /// What the run did not write that a reader may want, each with how to get it (patient
  /// pages, intermediate tables): the run's last line.
  public var notWritten: [String] = []
  /// Files of the inbox the state keeps in quarantine (they could not be read), listed on
  /// every run while they are there, quiet nights included: the run is then incomplete.
  public var quarantinedFiles: [QuarantinedFile] = []

  /// A file the ledger holds in quarantine.
  public struct QuarantinedFile: Sendable, Codable, Hashable {
    /// The file, when it was first seen, and why it could not be read.
    public var path: String
    public var since: String
    public var why: String
    /// What clears it.
    public static let fix =
      "fix or replace the file (a file whose content changes is read again), or give its input a profile or format that reads it (a change to how an input is read reads its files again); or move it out of the inbox"
  }
  /// What the normalizer did.
  public var normalization = NormalizationSummary()
  /// What the analyzers found.
  public var analysis = AnalysisSummary()

  /// Counts of the analyzer stage.
  public struct AnalysisSummary: Sendable, Codable, Hashable {
    /// Subject-days with cortisol samples of the analysed specimens.
    public var subjectDays = 0
    /// Subject-days with a CAR, a regression slope, a cosinor fit.
    public var carComputed = 0
    public var slopeComputed = 0
    public var cosinorComputed = 0
    /// Subjects by flattened-slope verdict (`yes`, `no`, `insufficient-data`).
    public var verdicts: [String: Int] = [:]
    /// Protocol runs with response features.
    public var responses = 0
    /// Samples left out of every feature (flags, censoring).
    public var excludedSamples = 0
    /// Cortisol samples no subject-day or protocol anchor could place, by reason.
    public var unplaced: [String: Int] = [:]
    /// Cortisol samples left out of the rhythm features by `settings.analyze.specimens`, by
    /// specimen (all samples of that specimen).
    public var specimensLeftOut: [String: Int] = [:]
    /// Features not computed (or computed without a part), by reason code
    /// (``FeatureReason``): the codes of the feature tables' `reason` columns.
    public var reasons: [String: Int] = [:]
    /// Feedback findings by severity (`info`, `notable`, `marked`).
    public var findings: [String: Int] = [:]
    /// Results the feedback analyzers could not pair or judge: subject, axis, reason, count.
    public var notJudged: [String: [String: [String: Int]]] = [:]

    /// Counts the feedback findings, and what could not be paired or judged.
    mutating func count(_ result: FeedbackResult) {
      for finding in result.findings { findings[finding.severity.rawValue, default: 0] += 1 }
      for result in result.notJudged {
        notJudged[result.subjectID, default: [:]][result.axis.rawValue, default: [:]][
          result.reason ?? result.pattern, default: 0] += 1
      }
    }

    /// Creates empty counts.
    public init() {}

    /// Adds the counts of another part of the same run's subjects (a shard, a partition):
    /// every count beside its definition, so that a new one is merged too.
    public mutating func add(_ other: AnalysisSummary) {
      subjectDays += other.subjectDays
      carComputed += other.carComputed
      slopeComputed += other.slopeComputed
      cosinorComputed += other.cosinorComputed
      verdicts.merge(other.verdicts, uniquingKeysWith: +)
      responses += other.responses
      excludedSamples += other.excludedSamples
      unplaced.merge(other.unplaced, uniquingKeysWith: +)
      specimensLeftOut.merge(other.specimensLeftOut, uniquingKeysWith: +)
      findings.merge(other.findings, uniquingKeysWith: +)
      reasons.merge(other.reasons, uniquingKeysWith: +)
      notJudged.merge(other.notJudged) {
        $0.merging($1) { $0.merging($1, uniquingKeysWith: +) }
      }
    }

    /// Counts what the rhythm analyzers found.
    public init(_ features: CortisolRhythmFeatures) {
      subjectDays = features.days.count
      for day in features.days {
        if day.awakening.aucG != nil { carComputed += 1 }
        if day.slope.logSlope != nil { slopeComputed += 1 }
        if day.cosinor.fit != nil { cosinorComputed += 1 }
        excludedSamples += day.excluded.count
      }
      for subject in features.subjects { verdicts[subject.outcome.rawValue, default: 0] += 1 }
      responses = features.responses.count
      excludedSamples += features.responses.reduce(0) { $0 + $1.excluded.count }
      unplaced = features.unplaced
      specimensLeftOut = features.specimensLeftOut
      for reason in features.days.flatMap(\.reasons) + features.responses.flatMap(\.reasons) {
        reasons[reason.code, default: 0] += 1
      }
    }
  }

  /// Counts of the normalizer stage (``NormalizationCounts``).
  public typealias NormalizationSummary = NormalizationCounts

  /// Creates a summary.
  public init(
    pipeline: String, started: Date, finished: Date, files: [FileReadSummary],
    inputIssues: [InputIssue] = [], outputs: [String: String] = [:], failures: [RunFailure] = []
  ) {
    self.pipeline = pipeline
    self.started = started
    self.finished = finished
    self.files = files
    self.inputIssues = inputIssues
    self.outputs = outputs
    self.failures = failures
  }

  /// Records a failure; another run's lock and an unusable state are also said in their
  /// own fields (``lockedBy``, ``stateProblem``), as the summary file has them.
  public mutating func fail(_ failure: RunFailure) {
    failures.append(failure)
    if let holder = failure.lockHolder { lockedBy = holder }
    if case .stateUnusable(let problem) = failure { stateProblem = problem }
  }

  /// The counts of all files added up.
  public var totals: Totals { Totals(files) }

  /// Whether every file was read to its end and every output written.
  public var isComplete: Bool {
    files.allSatisfy { $0.failure == nil } && inputProblems.isEmpty && failures.isEmpty
      && quarantinedSubjects.isEmpty && quarantinedFiles.isEmpty
  }

  /// Record and value counts over several files.
  public struct Totals: Sendable, Codable, Hashable {
    public var files = 0
    public var failedFiles = 0
    public var records = 0
    public var acceptedRecords = 0
    public var partialRecords = 0
    public var rejectedRecords = 0
    public var skippedRecords = 0
    public var samples = 0
    public var rejections = 0
    public var emptyCells = 0

    /// Adds up the files' counts.
    public init(_ files: [FileReadSummary]) {
      for file in files {
        self.files += 1
        if file.failure != nil { failedFiles += 1 }
        records += file.records
        acceptedRecords += file.acceptedRecords
        partialRecords += file.partialRecords
        rejectedRecords += file.rejectedRecords
        skippedRecords += file.skippedRecords
        samples += file.samples
        rejections += file.rejections
        emptyCells += file.emptyCells
      }
    }
  }

  /// Every stored field, and the totals (computed from the files, written for readers).
  private enum CodingKeys: String, CodingKey {
    case version, run, auditOnly, lockedBy, notes, incremental, nothingNew, unchangedSince, shard
    case pipeline, started, finished, files, inputProblems, skippedEntries, outputs, outputRows
    case outputFailures, quarantinedSubjects, quarantinedFiles, stateProblem, totals,
      normalization, analysis, notWritten, reasonCodes
  }

  /// Reads a summary; fields that older summaries lack take their defaults.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    pipeline = try container.decode(String.self, forKey: .pipeline)
    started = try container.decode(Date.self, forKey: .started)
    finished = try container.decode(Date.self, forKey: .finished)
    files = try container.decode([FileReadSummary].self, forKey: .files)
    inputIssues = try container.decode([String].self, forKey: .inputProblems).map {
      InputIssue.recorded($0)
    }
    outputs = try container.decode([String: String].self, forKey: .outputs)
    failures = try container.decode([String].self, forKey: .outputFailures).map {
      RunFailure.recorded($0)
    }
    normalization = try container.decode(NormalizationSummary.self, forKey: .normalization)
    analysis =
      try container.decodeIfPresent(AnalysisSummary.self, forKey: .analysis) ?? AnalysisSummary()
    version = try container.decodeIfPresent(String.self, forKey: .version) ?? ""
    run = try container.decodeIfPresent(String.self, forKey: .run) ?? ""
    auditOnly = try container.decodeIfPresent(Bool.self, forKey: .auditOnly) ?? false
    lockedBy = try container.decodeIfPresent(Int32.self, forKey: .lockedBy)
    notes = try container.decodeIfPresent([String].self, forKey: .notes) ?? []
    incremental = try container.decodeIfPresent(IncrementalCounts.self, forKey: .incremental)
    nothingNew = try container.decodeIfPresent(Bool.self, forKey: .nothingNew) ?? false
    unchangedSince = try container.decodeIfPresent(String.self, forKey: .unchangedSince)
    shard = try container.decodeIfPresent(String.self, forKey: .shard)
    skippedEntries =
      try container.decodeIfPresent([SkippedEntry].self, forKey: .skippedEntries) ?? []
    outputRows = try container.decodeIfPresent([String: Int].self, forKey: .outputRows) ?? [:]
    quarantined = (try container.decodeIfPresent([String].self, forKey: .quarantinedSubjects) ?? [])
      .map { QuarantinedSubject(described: $0) }
    quarantinedFiles =
      try container.decodeIfPresent([QuarantinedFile].self, forKey: .quarantinedFiles) ?? []
    stateProblem = try container.decodeIfPresent(String.self, forKey: .stateProblem)
    notWritten = try container.decodeIfPresent([String].self, forKey: .notWritten) ?? []
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(version, forKey: .version)
    try container.encode(run, forKey: .run)
    try container.encode(auditOnly, forKey: .auditOnly)
    try container.encodeIfPresent(lockedBy, forKey: .lockedBy)
    try container.encode(notes, forKey: .notes)
    try container.encodeIfPresent(incremental, forKey: .incremental)
    try container.encode(nothingNew, forKey: .nothingNew)
    try container.encodeIfPresent(unchangedSince, forKey: .unchangedSince)
    try container.encodeIfPresent(shard, forKey: .shard)
    try container.encode(pipeline, forKey: .pipeline)
    try container.encode(started, forKey: .started)
    try container.encode(finished, forKey: .finished)
    try container.encode(files, forKey: .files)
    try container.encode(inputProblems, forKey: .inputProblems)
    try container.encode(skippedEntries, forKey: .skippedEntries)
    try container.encode(outputs, forKey: .outputs)
    try container.encode(outputRows, forKey: .outputRows)
    try container.encode(outputFailures, forKey: .outputFailures)
    try container.encode(quarantinedSubjects, forKey: .quarantinedSubjects)
    try container.encode(quarantinedFiles, forKey: .quarantinedFiles)
    try container.encodeIfPresent(stateProblem, forKey: .stateProblem)
    if !notWritten.isEmpty { try container.encode(notWritten, forKey: .notWritten) }
    try container.encode(totals, forKey: .totals)
    try container.encode(normalization, forKey: .normalization)
    try container.encode(analysis, forKey: .analysis)
    // The legend of the reason codes in the feature tables: each code this run wrote, once.
    if !analysis.reasons.isEmpty {
      try container.encode(FeatureReason.legend(analysis.reasons.keys), forKey: .reasonCodes)
    }
  }
}
