import ArgumentParser
import Foundation
import NeuroEndoKit

/// The `neuroendo` command line; every subcommand is a thin shell over NeuroEndoKit.
@main
struct NeuroEndoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "neuroendo",
    abstract: "Reads neuroendocrine lab exports into canonical samples and reports on them.",
    discussion: """
      Exit codes: 0 success; 1 an input or output problem: a file or inbox that is missing \
      or unreadable, a file kept in quarantine, or an output that could not be written (the \
      summary says which); 2 the \
      pipeline or a profile has mistakes; 3 (audit only) records were rejected; 64 wrong usage \
      (no subcommand too), a file two inputs would read, outputs that would touch an input, or \
      an output folder holding files NeuroEndo did not write; 70 internal failure, or a state database that is damaged or of a newer version; 75 another run is writing to \
      the output or state directory.
      """,
    version: NeuroEndoVersion.current,
    subcommands: [
      RunCommand.self, AnalyzeCommand.self, AuditCommand.self, ValidateCommand.self,
      InspectCommand.self, MergeCommand.self, ReportCommand.self, StateCommand.self,
    ]
  )

  /// Without a subcommand: the usage on standard error, and wrong usage (64), so that a
  /// cron line missing its words is not taken for a run that did nothing wrong.
  func run() throws {
    printError(Self.helpMessage())
    throw ExitCode.validationFailure
  }
}

/// The documented exit codes.
enum ExitStatus {
  static let incomplete = ExitCode(1)
  static let invalidConfiguration = ExitCode(2)
  /// `audit`: every file was read, but records were rejected.
  static let rejected = ExitCode(3)
  /// Another run holds the output directory (EX_TEMPFAIL): try again later.
  static let busy = ExitCode(75)
  /// Something failed inside NeuroEndo (EX_SOFTWARE).
  static let internalFailure = ExitCode(70)
}

/// The exports named on the command line (`analyze`, `audit`) and how to read them.
struct ExportOptions: ParsableArguments {
  @Argument(help: "Export files or directories.")
  var inputs: [String]

  @Option(help: "A profile file, or a built-in layout: lis-long, research-long.")
  var profile: String?

  @Option(help: "csv, json or fhir. Default: from each file name.")
  var format: InputFormat?

  @Option(
    name: .customLong("time-zone"), help: "IANA zone for local times without an offset.")
  var timeZone: String?

  /// A pipeline for these exports: the profile and format for every input, the settings of
  /// a pipeline file, the time zone; mistakes in the files exit 2.
  func pipeline(outputDirectory: String, settings: String?) throws -> Pipeline {
    var base: Pipeline?
    var chosen: CSVProfile?
    do {
      if let settings { base = try PipelineLoader.load(file: settings) }
      if let profile { chosen = try ProfileLoader.load(nameOrFile: profile) }
    } catch {
      printError(error.description)
      throw ExitStatus.invalidConfiguration
    }
    var pipeline = Pipeline.adHoc(
      files: inputs, format: format, profile: chosen, outputDirectory: outputDirectory,
      settings: base)
    if let timeZone {
      guard TimeZone(identifier: timeZone) != nil else {
        throw ValidationError(
          "--time-zone: '\(timeZone)' is not an IANA time zone (e.g. Europe/Berlin, UTC)")
      }
      pipeline.normalizer.timeZone = timeZone
    }
    return pipeline
  }
}

/// Which outputs a run writes beyond the defaults, and which shard it is (`analyze`, `run`).
struct RunOptions: ParsableArguments {
  @Flag(
    name: .customLong("all-tables"),
    help:
      "Also write the intermediate tables: the samples as read (samples.csv), the normalized samples (normalized-samples.csv) and the NDJSON copies (normalized-samples.ndjson, findings.ndjson)."
  )
  var allTables = false

  @Option(
    help: ArgumentHelp(
      "Run shard K of N: keep the subjects whose id hashes to it; combine the shards with neuroendo merge.",
      valueName: "K/N"))
  var shard: Shard?

  @Flag(
    name: .customLong("patient-reports"),
    help:
      "Write each patient's pages (HTML, Markdown, JSON and, with findings, a FHIR bundle) beside the cohort report; a pipeline asks with settings.reports.patients: true."
  )
  var patientReports = false

  @Flag(
    name: .customLong("no-patient-reports"),
    help:
      "Write no per-patient pages even when the pipeline asks for them (the cohort report, tables and audit still)."
  )
  var noPatientReports = false

  @Option(
    help: ArgumentHelp(
      "Run in N partitions of subjects, one per core at a time, merged at the end (the inputs are read once). Without it, a run over more than settings.run.partition_samples samples (default 50000) partitions itself; 1 runs all at once.",
      valueName: "N"))
  var partitions: Int?

  @Option(
    name: .customLong("pseudonymize-key-file"),
    help: ArgumentHelp(
      "Replace every subject id by PSN- and an HMAC-SHA256 of it under the key in FILE (32 bytes or more, readable by its owner only), in every output; the key is never written.",
      valueName: "FILE"))
  var pseudonymizeKeyFile: String?

  func validate() throws {
    if let partitions, partitions < 1 {
      throw ValidationError("--partitions: expected 1 or more")
    }
    if patientReports && noPatientReports {
      throw ValidationError("--patient-reports and --no-patient-reports: give one or the other")
    }
    if shard != nil, let partitions, partitions > 1 {
      throw ValidationError("--partitions and --shard: a shard runs whole; give one or the other")
    }
  }

  func apply(to pipeline: inout Pipeline) {
    if allTables { pipeline.outputs.writeAllTables() }
    if patientReports { pipeline.patientReports = true }
    if noPatientReports { pipeline.patientReports = false }
  }

  /// The runner of a pipeline, as the options ask: a whole run, a shard or in partitions.
  func runner(_ pipeline: Pipeline) -> PipelineRunner {
    PipelineRunner(pipeline: pipeline, shard: shard, partitions: partitions)
  }

  /// Loads the pseudonym key when one is given; a key that cannot be used stops the run
  /// before anything is read (exit 64), as no output may then hold real ids.
  func pseudonymize(_ pipeline: inout Pipeline) throws {
    guard let pseudonymizeKeyFile else { return }
    do {
      pipeline.pseudonymizer = try Pseudonymizer(keyFile: pseudonymizeKeyFile)
    } catch {
      printError("refused: \(error.description)")
      throw ExitCode.validationFailure
    }
  }
}

extension Shard: ExpressibleByArgument {
  public init?(argument: String) { self.init(argument) }
}

/// Runs a command's body, turning an unexpected error into the internal-failure code (70)
/// with its description; the documented exit codes pass through.
func guarded(_ body: () throws -> Void) throws {
  do {
    try body()
  } catch let exit as ExitCode {
    throw exit
  } catch {
    printError("internal failure: \(error)")
    throw ExitStatus.internalFailure
  }
}

/// Prints a run's summary and exits as documented: 75 (one line naming the holder) when
/// another run held the output directory, 1 when an input or output failed.
func finish(_ summary: RunSummary) throws {
  switch exitStatus(of: summary) {
  case .busy(let holder):
    printError(
      "another run\(holder > 0 ? " (pid \(holder))" : "") is writing to the output directory; nothing was done"
    )
    throw ExitStatus.busy
  case .stateUnusable(let problem):
    printError(problem)
    throw ExitStatus.internalFailure
  case .refused(let why):
    printError("refused: \(why)")
    throw ExitCode.validationFailure
  case .incomplete, .rejected, .done: break
  }
  if summary.nothingNew {
    print(RunSummaryReporter.nothingNewLine(summary))
    for line in RunSummaryReporter.quarantineLines(summary) { printError(line) }
    for problem in summary.inputProblems { printError("input: \(problem)") }
    let outcome = exitStatus(of: summary)
    if outcome != .done { throw outcome.code }
    return
  }
  // The summary on standard output, its problems (failed files, missing inputs, outputs
  // not written, quarantines) on standard error.
  var report: [Substring] = []
  for line in RunSummaryReporter.text(summary).split(
    separator: "\n", omittingEmptySubsequences: false)
  {
    if line.hasPrefix("input: ") || line.hasPrefix("output: ") || line.hasPrefix("  FAILED: ")
      || line.hasPrefix("quarantined ")
    {
      printError(String(line))
    } else {
      report.append(line)
    }
  }
  print(report.joined(separator: "\n"), terminator: "")
  let outcome = exitStatus(of: summary)
  if outcome != .done { throw outcome.code }
}

/// What a run's summary means for the exit code, worked out in one place from its typed
/// failures (``RunFailure``): a run refused as asked (64), another run's lock (75), a state
/// that cannot be used (70), anything not read, written or published (1), an audit whose
/// files were read whole but with rejected records (3), or all done (0).
enum RunOutcome: Equatable {
  case done
  case incomplete
  case rejected
  case refused(String)
  case busy(holder: Int32)
  case stateUnusable(String)

  /// The exit code of the outcome.
  var code: ExitCode {
    switch self {
    case .done: .success
    case .incomplete: ExitStatus.incomplete
    case .rejected: ExitStatus.rejected
    case .refused: .validationFailure
    case .busy: ExitStatus.busy
    case .stateUnusable: ExitStatus.internalFailure
    }
  }
}

/// The outcome of a run (``RunOutcome``); an audit's rejected records count only for an
/// audit.
func exitStatus(of summary: RunSummary) -> RunOutcome {
  for failure in summary.failures {
    if let holder = failure.lockHolder { return .busy(holder: holder) }
  }
  for failure in summary.failures {
    switch failure {
    case .stateUnusable(let problem): return .stateUnusable(problem)
    case .refused(let why): return .refused(why)
    default: continue
    }
  }
  guard summary.isComplete else { return .incomplete }
  let rejected = summary.files.contains { $0.rejectedRecords + $0.partialRecords > 0 }
  return summary.auditOnly && rejected ? .rejected : .done
}

/// Exits with the usage code (64), writing nothing, when an output would touch an input,
/// or the output directory holds files NeuroEndo did not write.
func refuseOverlaps(_ pipeline: Pipeline, outputDirectory: String? = nil) throws {
  var overlaps = pipeline.filesReadTwice()
  overlaps += pipeline.inputOutputOverlaps(outputDirectory: outputDirectory)
  let directory = outputDirectory ?? pipeline.outputs.directory
  let foreign = OutputPublisher.foreignEntries(
    in: directory, outputNames: pipeline.outputs.names)
  // A folder of inputs is refused as one; its files are never to be emptied.
  if !foreign.isEmpty, overlaps.isEmpty {
    overlaps.append(OutputError.foreign(directory: directory, entries: foreign).description)
  }
  guard !overlaps.isEmpty else { return }
  for overlap in overlaps { printError("refused: \(overlap)") }
  throw ExitCode.validationFailure
}

/// Prints a line to standard error.
func printError(_ text: String) {
  FileHandle.standardError.write(Data((text + "\n").utf8))
}
