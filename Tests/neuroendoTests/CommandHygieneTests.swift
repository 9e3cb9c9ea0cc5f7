import Foundation
import Testing

@Suite("Command-line hygiene (issue 24, point 9)")
struct CommandHygieneTests {
  @Test("no arguments: the usage on standard error, exit 64")
  func noArguments() throws {
    let result = try neuroendo([])
    #expect(result.status == 64)
    #expect(result.output.isEmpty)
    #expect(result.error.contains("USAGE: neuroendo <subcommand>"))
  }

  @Test("--quiet with --verbose is refused")
  func quietVerbose() throws {
    let result = try neuroendo(["run", "--quiet", "--verbose", "Pipelines/sample.yml"])
    #expect(result.status == 64)
    #expect(result.error.contains("--quiet and --verbose"))
  }

  @Test("analyze of a missing file: the problem on standard error, nothing written, exit 1")
  func missingFile() throws {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent(
      "neuroendo-missing-\(UUID())")
    let result = try neuroendo(["analyze", "nosuchfile.csv", "--out", out.path])
    #expect(result.status == 1)
    #expect(result.error.contains("input: nosuchfile.csv: nosuchfile.csv does not exist"))
    #expect(!result.output.contains("does not exist"))
    #expect(!FileManager.default.fileExists(atPath: out.path))
  }

  @Test("a missing pipeline file names its path")
  func missingPipeline() throws {
    let result = try neuroendo(["run", "/nonexistent/nightly.yml"])
    #expect(result.status == 2)
    #expect(result.error.contains("/nonexistent/nightly.yml"))
    #expect(result.output.isEmpty)
  }
}
