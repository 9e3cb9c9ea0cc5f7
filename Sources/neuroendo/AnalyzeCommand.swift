import ArgumentParser
import NeuroEndoKit

struct AnalyzeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "analyze",
    abstract:
      "Reads exports without a pipeline file and writes the tables, reports, audit and run summary.",
    discussion: """
      Writes what a person reads: features-subject-day.csv, features-subject.csv, \
      features-response.csv, findings.csv, rejections.csv, the cohort report \
      (reports/cohort.html), the audit and run-summary.json (columns and reason codes: the \
      Outputs article of the documentation). --patient-reports adds each patient's pages; \
      --all-tables adds the intermediate tables (samples.csv, normalized-samples.csv, \
      normalized-samples.ndjson, findings.ndjson). The summary's last line says what was \
      not written. Settings are the documented defaults unless --settings names a pipeline \
      file to take them from.
      """
  )

  @OptionGroup var exports: ExportOptions

  @OptionGroup var options: RunOptions

  @Option(name: .customLong("out"), help: "The output directory.")
  var outputDirectory: String

  @Option(help: "A pipeline file whose settings (read, normalize, analyze, reports, run) to use.")
  var settings: String?

  @Option(help: "The protocol event response times count from (default: stressor).")
  var anchor: String?

  @Option(
    name: .customLong("slope"),
    help: "A two-point response slope between sample labels, e.g. S1:S4 (repeatable).")
  var slopes: [String] = []

  func validate() throws {
    for slope in slopes where slope.split(separator: ":").count != 2 {
      throw ValidationError("--slope '\(slope)': expected two sample labels, e.g. S1:S4")
    }
  }

  func run() throws {
    var pipeline = try exports.pipeline(outputDirectory: outputDirectory, settings: settings)
    options.apply(to: &pipeline)
    try options.pseudonymize(&pipeline)
    if let anchor { pipeline.analyzers.response.anchor = anchor }
    if !slopes.isEmpty {
      pipeline.analyzers.response.slopes = slopes.map { $0.split(separator: ":").map(String.init) }
    }
    try refuseOverlaps(pipeline)
    let summary = options.runner(pipeline).run()
    try finish(summary)
  }
}
