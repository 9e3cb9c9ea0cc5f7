import ArgumentParser
import NeuroEndoKit

struct ValidateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "validate",
    abstract: "Checks a pipeline file and its profiles; reports each mistake with its line and key."
  )

  @Argument(help: "The pipeline file.")
  var pipeline: String

  func run() throws {
    let definition: Pipeline
    do {
      definition = try PipelineLoader.load(file: pipeline)
    } catch {
      printError(error.description)
      throw ExitStatus.invalidConfiguration
    }
    // One file, one reader: two inputs matching a file is refused as a run would refuse it.
    let twice = definition.filesReadTwice()
    if !twice.isEmpty {
      for problem in twice { printError("refused: \(problem)") }
      throw ExitCode.validationFailure
    }
    print("\(pipeline): valid (\(definition.inputs.count) inputs)")
    for absent in definition.absentPaths {
      print("warning: \(absent) now; a run would report it as an input problem (exit 1)")
    }
  }
}
