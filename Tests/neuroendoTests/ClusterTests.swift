import Foundation
import NeuroEndoKit
import Testing

/// Runs a shell command line with `neuroendo` on the PATH and the given environment.
private func shell(_ command: String, environment: [String: String], in directory: URL) throws
  -> Int32
{
  let bin = directory.appendingPathComponent("bin")
  try? FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
  let link = bin.appendingPathComponent("neuroendo")
  if !FileManager.default.fileExists(atPath: link.path) {
    try FileManager.default.createSymbolicLink(at: link, withDestinationURL: try executable())
  }
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/bin/sh")
  process.arguments = ["-c", command]
  var variables = ProcessInfo.processInfo.environment
  variables["PATH"] = bin.path + ":" + (variables["PATH"] ?? "/usr/bin:/bin")
  variables.merge(environment) { _, new in new }
  process.environment = variables
  process.currentDirectoryURL = root
  process.standardOutput = FileHandle.nullDevice
  try process.run()
  process.waitUntilExit()
  return process.terminationStatus
}

/// The tables of an output directory (the files whose rows the merge interleaves).
private func tables(_ directory: URL) throws -> [String: Data] {
  var files: [String: Data] = [:]
  for name in try FileManager.default.contentsOfDirectory(atPath: directory.path)
  where name.hasSuffix(".csv") || name.hasSuffix(".ndjson") {
    files[name] = try Data(contentsOf: directory.appendingPathComponent(name))
  }
  return files
}

/// The shell command of the one container of a Job manifest in `Deploy/kubernetes`.
private func containerCommand(_ manifest: String) throws -> String {
  // The manifests keep the command as one folded scalar under `args: - >-`.
  let text = try String(
    contentsOf: root.appendingPathComponent("Deploy/kubernetes/\(manifest)"), encoding: .utf8)
  let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
  guard let start = lines.firstIndex(where: { $0.hasSuffix("- >-") }) else { return "" }
  var command: [String] = []
  for line in lines[(start + 1)...] {
    let trimmed = line.trimmingCharacters(in: .whitespaces)
    guard line.hasPrefix("              "), !trimmed.isEmpty else { break }
    command.append(trimmed)
  }
  return command.joined(separator: " ")
}

@Suite("Running in shards on Slurm and Kubernetes")
struct ClusterTests {
  @Test("the Slurm array and merge scripts, run as Slurm runs them, give one run's tables")
  func slurmScripts() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let output = directory.appendingPathComponent("out")
    let whole = try neuroendo("run", "Pipelines/sample.yml", "--out", output.path + "/one")
    #expect(whole.status == 0)
    for task in 1...3 {
      let status = try shell(
        "Deploy/slurm/neuroendo-shard.sbatch Pipelines/sample.yml \(output.path)",
        environment: ["SLURM_ARRAY_TASK_ID": "\(task)", "SLURM_ARRAY_TASK_COUNT": "3"],
        in: directory)
      #expect(status == 0)
    }
    #expect(
      try shell(
        "Deploy/slurm/neuroendo-merge.sbatch \(output.path) 3", environment: [:], in: directory)
        == 0)
    let merged = try tables(output.appendingPathComponent("merged"))
    #expect(merged.keys.contains("normalized-samples.csv") && merged.keys.contains("samples.csv"))
    #expect(merged == (try tables(output.appendingPathComponent("one"))))
    // Outside an array task the shard script refuses to guess its shard.
    #expect(
      try shell(
        "Deploy/slurm/neuroendo-shard.sbatch Pipelines/sample.yml \(output.path) 2>/dev/null",
        environment: [:], in: directory) != 0)
  }

  @Test(
    "the Kubernetes Indexed Job's and merge Job's commands, run per index, give one run's tables")
  func kubernetesJobs() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let output = directory.appendingPathComponent("out")
    let shardCommand = try containerCommand("neuroendo-shards.yaml")
    let mergeCommand = try containerCommand("neuroendo-merge.yaml")
    #expect(shardCommand.contains("--shard \"$((JOB_COMPLETION_INDEX + 1))/$SHARDS\""))
    #expect(mergeCommand.contains("neuroendo merge"))
    let environment = [
      "SHARDS": "2", "PIPELINE": root.appendingPathComponent("Pipelines/sample.yml").path,
      "OUT": output.path,
    ]
    for index in 0..<2 {
      var variables = environment
      variables["JOB_COMPLETION_INDEX"] = "\(index)"
      #expect(try shell(shardCommand, environment: variables, in: directory) == 0)
    }
    #expect(try shell(mergeCommand, environment: environment, in: directory) == 0)
    #expect(try neuroendo("run", "Pipelines/sample.yml", "--out", output.path + "/one").status == 0)
    let merged = try tables(output.appendingPathComponent("merged"))
    #expect(merged.count >= 9)
    #expect(merged == (try tables(output.appendingPathComponent("one"))))
  }

  @Test("over settings.run.partition_samples a run partitions itself; --partitions 1 runs it whole")
  func automaticPartitions() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let pipeline = directory.appendingPathComponent("cohort.yml")
    try """
    version: 1
    inputs:
      - path: \(root.appendingPathComponent("SampleData/research/car-diary-long.csv").path)
        profile: \(root.appendingPathComponent("Pipelines/profiles/research-saliva.yml").path)
    outputs:
      directory: out
    settings:
      run:
        partition_samples: 20
    """.write(to: pipeline, atomically: true, encoding: .utf8)
    func notes(_ output: String) throws -> [String] {
      let data = try Data(
        contentsOf: directory.appendingPathComponent("\(output)/run-summary.json"))
      let summary = try JSONSerialization.jsonObject(with: data) as? [String: Any]
      return summary?["notes"] as? [String] ?? []
    }
    #expect(try neuroendo("run", pipeline.path).status == 0)
    let parted = try notes("out")
    #expect(
      parted.contains {
        $0.contains("partitions of subjects (at most ")
          && $0.contains("settings.run.partition_samples: 20)")
      })
    let whole = directory.appendingPathComponent("whole").path
    #expect(try neuroendo("run", pipeline.path, "--partitions", "1", "--out", whole).status == 0)
    #expect(try notes("whole").allSatisfy { !$0.contains("partitions") })
    #expect(
      try tables(directory.appendingPathComponent("out")) == tables(URL(fileURLWithPath: whole)))
  }

  @Test("--shard is checked, and merge refuses what is not the shards of one run (exit 64)")
  func usage() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let bad = try neuroendo(
      "analyze", "SampleData/research/car-diary-long.csv", "--shard", "5/4", "--out",
      directory.path)
    #expect(bad.status == 64)
    #expect(bad.error.contains("--shard"))
    for arguments in [["--partitions", "0"], ["--partitions", "2", "--shard", "1/2"]] {
      let wrong = try neuroendo(
        ["analyze", "SampleData/research/car-diary-long.csv", "--out", directory.path]
          + arguments)
      #expect(wrong.status == 64)
      #expect(wrong.error.contains("--partitions"))
    }
    let whole = directory.appendingPathComponent("whole").path
    #expect(
      try neuroendo("analyze", "SampleData/research/car-diary-long.csv", "--out", whole).status
        == 0)
    let refused = try neuroendo("merge", whole, "--out", directory.appendingPathComponent("m").path)
    #expect(refused.status == 64)
    #expect(refused.error.contains("the output of a whole run, not of a shard (--shard K/N)"))
    // A pipeline that keeps state cannot run as a shard.
    let nightly = directory.appendingPathComponent("nightly.yml")
    try """
    version: 1
    state: state
    inputs:
      - path: \(root.appendingPathComponent("SampleData/research").path)
    outputs:
      directory: out
    """.write(to: nightly, atomically: true, encoding: .utf8)
    let stateful = try neuroendo("run", nightly.path, "--shard", "1/2")
    #expect(stateful.status == 64)
    #expect(stateful.error.contains("refused: a shard run (--shard) keeps no state"))
    #expect(
      !FileManager.default.fileExists(atPath: directory.appendingPathComponent("state").path))
  }
}
