import ArgumentParser
import NeuroEndoKit

struct InspectCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "inspect",
    abstract:
      "Reads one export and prints what was read: samples per analyte and specimen, rejections by reason."
  )

  @Argument(help: "The export file.")
  var file: String

  @Option(
    help:
      "A profile file, or a built-in layout: lis-long, research-long. Default: recognise the layout from the header."
  )
  var profile: String?

  @Option(
    help: """
      csv, json (result objects mapped by a profile) or fhir. Default: from the file name \
      (.json, .ndjson, .jsonl: fhir, or json with --profile; otherwise csv).
      """)
  var format: InputFormat?

  @Option(
    name: .customLong("time-zone"),
    help: "IANA zone for local times without an offset, for the normalization shown.")
  var timeZone: String?

  func run() throws {
    var chosen: CSVProfile?
    if let profile {
      do {
        chosen = try ProfileLoader.load(nameOrFile: profile)
      } catch {
        printError(error.description)
        throw ExitStatus.invalidConfiguration
      }
    }
    let format = self.format ?? InputFormat.guess(file: file, hasProfile: chosen != nil)
    guard let normalizer = Normalizer(settings: NormalizerSettings(timeZone: timeZone)) else {
      throw ValidationError(
        "--time-zone: '\(timeZone ?? "")' is not an IANA time zone (such as Europe/Berlin)")
    }
    // A large file is normalized a bucket of subjects at a time (bounded memory).
    var rejections: [Rejection] = []
    let (summary, normalization) = Inspection.inspect(
      file: file, format: format, profile: chosen, normalizer: normalizer,
      onRejection: { rejections.append($0) })
    print(RunSummaryReporter.inspection(summary), terminator: "")
    print(RunSummaryReporter.normalizationLine(normalization))
    for rejection in rejections { print("  rejected: \(rejection)") }
    if summary.failure != nil { throw ExitStatus.incomplete }
  }
}

extension InputFormat: ExpressibleByArgument {}
