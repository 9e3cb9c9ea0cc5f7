import ArgumentParser
import NeuroEndoKit

struct AuditCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "audit",
    abstract: "Reads exports without analysing them and writes the data-quality audit.",
    discussion: """
      Writes audit.json and audit.md (and run-summary.json) into --out: per file its size, \
      SHA-256, record counts, rejections, empty cells and skipped records with their first \
      locations; per dataset the protocol compliance, missingness per analyte and sample slot, \
      duplicates, conflicts, plausibility flags and suspected unit mix-ups; the version and \
      the settings. Exit codes: 0 every record accepted; 3 records were rejected (the audit \
      says which); 1 a file or output could not be read or written; 2 settings or profile \
      mistakes; 64 usage.
      """
  )

  @OptionGroup var exports: ExportOptions

  @Option(name: .customLong("out"), help: "The output directory (default: audit).")
  var outputDirectory = "audit"

  @Option(help: "A pipeline file whose settings (read, normalize, run) to use.")
  var settings: String?

  func run() throws {
    let pipeline = try exports.pipeline(outputDirectory: outputDirectory, settings: settings)
    try refuseOverlaps(pipeline)
    let summary = PipelineRunner(pipeline: pipeline).run(auditOnly: true)
    try finish(summary)
  }
}
