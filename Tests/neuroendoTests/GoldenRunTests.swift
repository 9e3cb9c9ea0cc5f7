import Foundation
import Testing

@testable import NeuroEndoKit

/// Every file a run wrote, by path relative to its output directory, as SHA-256: the lock
/// aside (it names the process), the scratch directory `base` of the run's inputs and
/// outputs written `BASE`, the run summary's finish time taken out, and the manifest without
/// the summary's size (which holds the path).
private func manifest(_ directory: String, base: String) throws -> [String] {
  let names = try #require(FileManager.default.subpaths(atPath: directory)).sorted()
  var lines: [String] = []
  for name in names where name != ".neuroendo.lock" {
    let path = directory + "/" + name
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
      !isDirectory.boolValue
    else { continue }
    var text = try String(contentsOfFile: path, encoding: .utf8)
      .replacingOccurrences(of: base, with: "BASE")
    if name == "run-summary.json" {
      text = text.replacing(#/"finished" : "[^"]*"/#, with: #""finished" : "…""#)
    } else if name == ".neuroendo-outputs" {
      text = text.split(separator: "\n").filter { !$0.hasSuffix(" run-summary.json") }
        .joined(separator: "\n")
    }
    lines.append("\(SHA256.hex(Array(text.utf8)))  \(name)")
  }
  return lines
}

/// The runs whose outputs must not change while the runner is restructured (issue 25,
/// point 6): each is compared, file by file, with the manifest of its golden run.
@Suite("Golden runs: whole, in partitions, incremental, four shards merged", .serialized)
struct GoldenRunTests {
  private let environment = ["SOURCE_DATE_EPOCH": "1773900000"]

  private func compare(_ mode: String, _ base: String, _ output: String, files least: Int = 100)
    throws
  {
    let lines = try manifest(base + "/" + output, base: base)
    #expect(lines.count > least, "\(mode): \(lines.count) files")
    let file = root.appendingPathComponent("Tests/neuroendoTests/Golden/runs/\(mode).sha256")
    if ProcessInfo.processInfo.environment["NEUROENDO_UPDATE_GOLDEN"] == "1" {
      try FileManager.default.createDirectory(
        at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
      try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
      return
    }
    let expected = try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map(
      String.init)
    let differing = Set(lines).symmetricDifference(expected).map {
      String($0.split(separator: " ", maxSplits: 2).last ?? "")
    }
    #expect(
      differing.isEmpty,
      "\(mode): \(Set(differing).sorted()) differ from the golden run; review and run with NEUROENDO_UPDATE_GOLDEN=1"
    )
  }

  private func run(_ arguments: [String]) throws {
    let run = try neuroendo(arguments, environment: environment)
    #expect(run.status == 0, "\(arguments): \(run.error)")
  }

  private func scratch() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("neuroendo-golden-\(UUID())")
      .path
  }

  @Test("the sample run and the same run in four partitions")
  func wholeAndPartitions() throws {
    let base = scratch()
    defer { try? FileManager.default.removeItem(atPath: base) }
    try run(["run", "Pipelines/sample.yml", "--out", base + "/whole"])
    try compare("sample", base, "whole")
    try run(["run", "Pipelines/sample.yml", "--out", base + "/parts", "--partitions", "4"])
    try compare("partitions", base, "parts")
  }

  @Test("four shards of the sample run, merged")
  func fourShardsMerged() throws {
    let base = scratch()
    defer { try? FileManager.default.removeItem(atPath: base) }
    for index in 1...4 {
      try run([
        "run", "Pipelines/sample.yml", "--out", "\(base)/s\(index)", "--shard", "\(index)/4",
      ])
    }
    try run(["merge"] + (1...4).map { "\(base)/s\($0)" } + ["--out", base + "/merged"])
    try compare("merged", base, "merged")
  }

  @Test("an incremental run: a second night adds files to the first's")
  func incremental() throws {
    let base = scratch()
    defer { try? FileManager.default.removeItem(atPath: base) }
    let inbox = base + "/inbox"
    try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
    let samples = root.appendingPathComponent("SampleData").path
    let profiles = root.appendingPathComponent("Pipelines/profiles").path
    let pipeline = base + "/nightly.yml"
    try """
    version: 1
    name: golden-incremental
    state: state
    inputs:
      - name: FHIR inbox
        path: inbox
        glob: "*json"
        format: fhir
      - name: St Mary LIS
        path: inbox
        glob: "stmary-*.csv"
        profile: \(profiles)/lis-long.yml
        time_zone: America/New_York
    settings:
      reports:
        patients: true
      normalize:
        time_zone: Europe/Berlin
    outputs:
      directory: out
      normalized: true
      findings_ndjson: true
    """.write(toFile: pipeline, atomically: true, encoding: .utf8)
    let nights = [
      ["fhir/bulk-Observation.ndjson"],
      ["fhir/hospital-export-2026-03-15.json", "lis/stmary-lis-2026-03-16.csv"],
    ]
    for (night, names) in nights.enumerated() {
      for name in names {
        let file = String(name.split(separator: "/").last!)
        try FileManager.default.copyItem(atPath: samples + "/" + name, toPath: inbox + "/" + file)
      }
      try run(["run", pipeline])
      if night == 1 { try compare("incremental", base, "out", files: 10) }
    }
  }
}
