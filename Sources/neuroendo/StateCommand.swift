import ArgumentParser
import Foundation
import NeuroEndoKit

/// `neuroendo state rebuild PIPELINE`: the way back from a damaged state.
struct StateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "state",
    abstract: "Works on the state directory of a pipeline with 'state:'.",
    subcommands: [Rebuild.self]
  )

  struct Rebuild: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "rebuild",
      abstract:
        "Sets a damaged (or newer) state aside and rebuilds it from the inputs present.",
      discussion: """
        The database is kept beside the new one as neuroendo-state.sqlite.damaged-<time>, never \
        deleted. The files its ledger had seen that are no longer in the inbox are listed: \
        their data cannot be recovered (put them back in the inbox before rebuilding to keep \
        them). Then the pipeline runs as with run --rebuild. Exit codes as for run.
        """
    )

    @Argument(help: "The pipeline file.")
    var pipeline: String

    func run() throws {
      try guarded {
        let definition: Pipeline
        do throws(ConfigIssues) {
          definition = try PipelineLoader.load(file: pipeline)
        } catch {
          printError(error.description)
          throw ExitStatus.invalidConfiguration
        }
        guard let state = definition.state else {
          printError("refused: \(pipeline) keeps no state ('state:'); there is nothing to rebuild")
          throw ExitCode.validationFailure
        }
        try refuseOverlaps(definition)
        let aside = try StateStore.setAside(directory: state)
        if let kept = aside.kept { print("kept the previous state as \(kept)") }
        var present = Set<String>()
        for input in definition.inputs {
          if case .success(let files) = InputCatalogue.files(of: input, reading: definition.reading)
          {
            present.formUnion(files)
          }
        }
        switch aside.seen {
        case nil:
          print(
            "the previous state's ledger could not be read: files it had seen that are no longer in the inbox cannot be named, and their data are not in the new state"
          )
        case let seen?:
          let lost = seen.filter { !present.contains($0) }
          if lost.isEmpty {
            print("every file the previous ledger had seen is still in the inbox")
          } else {
            print(
              "\(lost.count) file\(lost.count == 1 ? "" : "s") the previous ledger had seen \(lost.count == 1 ? "is" : "are") no longer in the inbox; their data cannot be recovered:"
            )
            for path in lost { print("  \(path)") }
          }
        }
        let summary = PipelineRunner(pipeline: definition).run(rebuild: true)
        try finish(summary)
      }
    }
  }
}
