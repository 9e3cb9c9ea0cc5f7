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
    do {
      let definition = try PipelineLoader.load(file: pipeline)
      print("\(pipeline): valid (\(definition.inputs.count) inputs)")
      for absent in definition.absentPaths {
        print("warning: \(absent) now; a run would report it as an input problem (exit 1)")
      }
    } catch {
      printError(error.description)
      throw ExitStatus.invalidConfiguration
    }
  }
}
