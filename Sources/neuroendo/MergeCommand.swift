import ArgumentParser
import NeuroEndoKit

struct MergeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "merge",
    abstract: "Combines the outputs of a run's shards into the outputs one run writes.",
    discussion: """
      Give the output directories of all N shards of one run (analyze or run with --shard K/N, \
      each over the same inputs). The merge reads each shard's shard/ folder (its manifest, \
      tables with their keys, cohort inputs and report models, format version 1). The \
      tables are interleaved in one run's row order, the \
      cohort report and each patient's cohort band are computed over all subjects, the audit \
      and the run summary are added up. Exit codes: 0 merged; 1 an output could not be \
      written; 64 the directories are not the N shards of one run; 75 another run is writing \
      to the output directory.
      """
  )

  @Argument(help: "The shards' output directories.")
  var shards: [String]

  @Option(name: .customLong("out"), help: "The output directory of the merged outputs.")
  var outputDirectory: String

  func run() throws {
    try guarded {
      switch ShardMerger(directories: shards).merge(into: outputDirectory) {
      case .failure(let problem):
        printError("refused: \(problem)")
        throw ExitCode.validationFailure
      case .success(let summary):
        try finish(summary)
      }
    }
  }
}
