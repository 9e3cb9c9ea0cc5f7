import ArgumentParser
import NeuroEndoKit

struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract:
      "Runs a pipeline file: reads its inputs and writes samples, rejections and a run summary."
  )

  @Argument(help: "The pipeline file, e.g. Pipelines/sample.yml.")
  var pipeline: String

  @Option(name: .customLong("out"), help: "Write outputs here instead of the pipeline's directory.")
  var outputDirectory: String?

  @Flag(
    help:
      "With a state directory: forget the ledger and rebuild from the inputs still present.")
  var rebuild = false

  func run() throws {
    let definition: Pipeline
    do {
      definition = try PipelineLoader.load(file: pipeline)
    } catch {
      printError(error.description)
      throw ExitStatus.invalidConfiguration
    }
    try refuseOverlaps(definition.inputOutputOverlaps(outputDirectory: outputDirectory))
    let summary = PipelineRunner(pipeline: definition).run(
      outputDirectory: outputDirectory, rebuild: rebuild)
    try finish(summary)
  }
}
