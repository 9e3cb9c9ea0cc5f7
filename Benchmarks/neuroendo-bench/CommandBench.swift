import Foundation

extension Bench {
  /// `neuroendo analyze` as a user runs it, whole process, with every default output, over a
  /// research long cohort of `subjects` subjects x 5 days x 9 samples (generated, the same
  /// every time), next to a raw libcsv pass over the same file in the same run; peak memory
  /// is the child process's maximum resident set.
  static func commandBenchmark(subjects: Int, directory: String) throws {
    let csv = "\(directory)/neuroendo-bench-cohort.csv"
    let output = "\(directory)/neuroendo-bench-cohort-out"
    defer {
      try? FileManager.default.removeItem(atPath: csv)
      try? FileManager.default.removeItem(atPath: output)
    }
    try? FileManager.default.removeItem(atPath: output)
    let rows = try RhythmGenerator.write(subjectDays: subjects * 5, daysPerSubject: 5, to: csv)
    let (rawSeconds, records) = try time { try rawPass(csv) }
    precondition(records == rows + 1, "raw pass counted \(records) records")
    let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
      .appendingPathComponent("neuroendo").path
    guard FileManager.default.isExecutableFile(atPath: executable) else {
      print("\n(no neuroendo binary beside the benchmark: build it with the same configuration)")
      return
    }
    let (seconds, status, peakKiB) = try spawn(executable, ["analyze", csv, "--out", output])
    let outputBytes = directorySize(output)
    print("")
    print(
      "neuroendo analyze, whole process: \(subjects) subjects x 5 days, \(rows) samples "
        + "(\(String(format: "%.0f", Double(fileSize(csv)) / 1_048_576)) MB research long CSV), every default output"
    )
    print(
      pad("raw libcsv s", 14) + pad("analyze s", 11) + pad("analyze/raw", 13) + pad("exit", 6)
        + pad("peak RSS MB", 13) + "outputs MB")
    print(
      pad(String(format: "%.2f", rawSeconds), 14) + pad(String(format: "%.2f", seconds), 11)
        + pad(String(format: "%.1fx", seconds / rawSeconds), 13) + pad("\(status)", 6)
        + pad(String(format: "%.0f", Double(peakKiB) / 1024), 13)
        + String(format: "%.0f", Double(outputBytes) / 1_048_576))
    print("targets (issue 15): within 5x of raw libcsv; peak memory under 100 MB")
  }

  /// Runs a program to its end: wall seconds, exit status, and its peak resident set (KiB).
  static func spawn(_ path: String, _ arguments: [String]) throws -> (Double, Int32, Int) {
    var pid: pid_t = 0
    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    let clock = ContinuousClock()
    let start = clock.now
    guard posix_spawn(&pid, path, &actions, nil, argv, environ) == 0 else {
      throw CocoaError(.executableLoad)
    }
    var status: Int32 = 0
    var usage = rusage()
    _ = wait4(pid, &status, 0, &usage)
    let elapsed = clock.now - start
    let seconds =
      Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return (seconds, (status >> 8) & 0xFF, usage.ru_maxrss)
  }

  /// The bytes of every file below a directory.
  static func directorySize(_ path: String) -> Int {
    let enumerator = FileManager.default.enumerator(atPath: path)
    var total = 0
    while let name = enumerator?.nextObject() as? String {
      total += fileSize("\(path)/\(name)")
    }
    return total
  }
}
