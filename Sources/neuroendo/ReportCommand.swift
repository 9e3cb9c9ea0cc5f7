import ArgumentParser
import NeuroEndoKit

struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Writes the pages of some patients on demand, as a run with patient reports would.",
    discussion: """
      Reads every input of the pipeline and normalizes it (each page's cohort band is drawn \
      from every subject), then analyses and renders only the subjects named: \
      reports/patients/<subject>.html, .md, .json and, with findings, .fhir.json in the \
      output directory, and a run summary. Subject ids as the outputs name them (pseudonyms \
      when the run used a key). A pipeline with a state is read from its inbox as it is now. \
      Exit codes: 0 written; 1 a subject without samples, or an input or output problem; 2 \
      the pipeline has mistakes; 64 wrong usage; 75 another run writes to the directory.
      """
  )

  @Argument(help: "The pipeline file.")
  var pipeline: String

  @Argument(help: "The subjects whose pages to write.")
  var subjects: [String]

  @Option(name: .customLong("out"), help: "The output directory of the pages.")
  var outputDirectory: String

  @Option(
    name: .customLong("pseudonymize-key-file"),
    help: ArgumentHelp(
      "The key of a run that wrote pseudonyms: subjects are then named by their pseudonyms.",
      valueName: "FILE"))
  var pseudonymizeKeyFile: String?

  func validate() throws {
    if subjects.isEmpty { throw ValidationError("name at least one subject") }
  }

  func run() throws {
    try guarded {
      var definition: Pipeline
      do throws(ConfigIssues) {
        definition = try PipelineLoader.load(file: pipeline)
      } catch {
        printError(error.description)
        throw ExitStatus.invalidConfiguration
      }
      definition.patientReports = true
      if let pseudonymizeKeyFile {
        do {
          definition.pseudonymizer = try Pseudonymizer(keyFile: pseudonymizeKeyFile)
        } catch {
          printError("refused: \(error)")
          throw ExitCode.validationFailure
        }
      }
      try refuseOverlaps(definition, outputDirectory: outputDirectory)
      let summary = PipelineRunner(pipeline: definition).pages(
        of: Set(subjects), outputDirectory: outputDirectory)
      try report(summary)
    }
  }

  /// A short account: the pages written, and what went wrong (on standard error); the exit
  /// code from the one mapping.
  private func report(_ summary: RunSummary) throws {
    let outcome = exitStatus(of: summary)
    switch outcome {
    case .busy(let holder):
      printError(
        "another run\(holder > 0 ? " (pid \(holder))" : "") is writing to \(outputDirectory); nothing was done"
      )
    case .refused(let why): printError("refused: \(why)")
    case .stateUnusable(let problem): printError(problem)
    case .incomplete, .rejected, .done:
      for issue in summary.inputIssues { printError("input: \(issue)") }
      for failure in summary.outputFailures { printError("output: \(failure)") }
      for subject in summary.quarantinedSubjects { printError("quarantined subject: \(subject)") }
      if let folder = summary.outputs["reports"] {
        let pages = summary.outputRows["reports"] ?? 0
        print("wrote the pages of \(pages) subject\(pages == 1 ? "" : "s"): \(folder)/patients")
      }
    }
    if outcome != .done { throw outcome.code }
  }
}
