import ArgumentParser
import Logging
import NeuroEndoKit

struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract:
      "Runs a pipeline file: reads its inputs and writes the tables, reports, audit and run summary.",
    discussion: """
      Suits cron: on success one summary line on standard output (nothing with --quiet; the \
      whole summary with --verbose), problems on standard error through the log (timestamped \
      text, or JSON lines with --log-format json), a progress line only when standard error \
      is a terminal. Exit codes: 0 success (rejected records are normal); 1 an input or \
      output problem; 2 pipeline or profile mistakes; 64 usage, or outputs that would touch \
      an input; 70 internal failure, or a state that is damaged or of a newer version (the message \
      says how to recover); 75 another run holds the output or state directory.
      """
  )

  @Argument(help: "The pipeline file, e.g. Pipelines/sample.yml.")
  var pipeline: String

  @Option(name: .customLong("out"), help: "Write outputs here instead of the pipeline's directory.")
  var outputDirectory: String?

  @Flag(
    help:
      "With a state directory: forget the ledger and rebuild from the inputs still present.")
  var rebuild = false

  @OptionGroup var options: RunOptions

  @Flag(name: .shortAndLong, help: "Print nothing on success.")
  var quiet = false

  @Flag(name: .shortAndLong, help: "Print the whole run summary, file by file.")
  var verbose = false

  @Option(
    name: .customLong("log-format"), help: "text or json: the format of the log on standard error.")
  var logFormat: LogFormat = .text

  func validate() throws {
    if quiet && verbose {
      throw ValidationError("--quiet and --verbose: give one or the other")
    }
  }

  func run() throws {
    let format = logFormat
    LoggingSystem.bootstrap { _ in RunLogHandler(format: format) }
    let logger = Logger(label: "neuroendo")
    try guarded {
      var definition: Pipeline
      do throws(ConfigIssues) {
        definition = try PipelineLoader.load(file: pipeline)
        options.apply(to: &definition)
      } catch {
        printError(error.description)
        throw ExitStatus.invalidConfiguration
      }
      try options.pseudonymize(&definition)
      try refuseOverlaps(definition, outputDirectory: outputDirectory)
      let progress = ProgressLine()
      let summary = options.runner(definition).run(
        outputDirectory: outputDirectory, rebuild: rebuild, progress: { progress.show($0) })
      progress.clear()
      let outcome = exitStatus(of: summary)
      switch outcome {
      case .busy(let holder):
        logger.error(
          "another run\(holder > 0 ? " (pid \(holder))" : "") is writing to the output or state directory; nothing was done"
        )
        throw outcome.code
      case .stateUnusable(let problem):
        logger.critical("\(problem)")
        throw outcome.code
      case .refused(let why):
        printError("refused: \(why)")
        throw outcome.code
      case .incomplete, .rejected, .done: break
      }
      log(summary, to: logger)
      if summary.nothingNew {
        // Quiet nights too: a quarantine or a missing inbox keeps the run incomplete (1).
        if !quiet || outcome != .done { print(RunSummaryReporter.nothingNewLine(summary)) }
        for line in RunSummaryReporter.quarantineLines(summary) { logger.error("\(line)") }
        if outcome != .done { throw outcome.code }
        return
      }
      if !verbose {
        // Through the log: one timestamped line each, or JSON with --log-format json.
        for line in RunSummaryReporter.quarantineLines(summary) { logger.error("\(line)") }
      }
      if verbose {
        print(RunSummaryReporter.text(summary), terminator: "")
      } else if !quiet || outcome != .done {
        print(RunSummaryReporter.line(summary))
      }
      if outcome != .done { throw outcome.code }
    }
  }
}

extension LogFormat: ExpressibleByArgument {}
