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
    print("")
    print(
      "neuroendo analyze, whole process: \(subjects) subjects x 5 days, \(rows) samples "
        + "(\(String(format: "%.0f", Double(fileSize(csv)) / 1_048_576)) MB research long CSV)"
    )
    print(
      pad("command", 34) + pad("wall s", 9) + pad("x raw libcsv", 14) + pad("exit", 6)
        + pad("peak RSS MB", 13) + "outputs MB")
    func row(_ name: String, _ seconds: Double, _ status: Int32, _ peakKiB: Int, _ bytes: Int) {
      print(
        pad(name, 34) + pad(String(format: "%.2f", seconds), 9)
          + pad(String(format: "%.1fx", seconds / rawSeconds), 14) + pad("\(status)", 6)
          + pad(String(format: "%.0f", Double(peakKiB) / 1024), 13)
          + String(format: "%.0f", Double(bytes) / 1_048_576))
    }
    row("raw libcsv pass", rawSeconds, 0, 0, 0)
    // As a user runs it: the default outputs (what a person reads); then a clinic's choice,
    // with every patient's pages.
    var figures: [(name: String, seconds: Double, peakKiB: Int)] = []
    for (name, extra) in [
      ("analyze (the default outputs)", [String]()),
      ("analyze --patient-reports", ["--patient-reports"]),
      // All samples in memory at once instead of partitions: time against memory.
      ("analyze --partitions 1", ["--partitions", "1"]),
      ("  ... --patient-reports", ["--partitions", "1", "--patient-reports"]),
    ] {
      try? FileManager.default.removeItem(atPath: output)
      let (seconds, status, peakKiB) = try spawn(
        executable, ["analyze", csv, "--out", output] + extra)
      row(name, seconds, status, peakKiB, directorySize(output))
      figures.append((name, seconds, peakKiB))
    }
    // BioPsyKit's fast features on the same file, when Python with biopsykit is at hand
    // (BIOPSYKIT_PYTHON, default python3); optional, never part of make test.
    let python = ProcessInfo.processInfo.environment["BIOPSYKIT_PYTHON"] ?? "/usr/bin/python3"
    let script = FileManager.default.currentDirectoryPath + "/Benchmarks/biopsykit_features.py"
    let probe = try? spawn(
      python, ["-c", "import biopsykit, sys; sys.exit(biopsykit.__version__ != '0.14.0')"])
    if FileManager.default.isExecutableFile(atPath: python), probe?.1 == 0,
      FileManager.default.fileExists(atPath: script)
    {
      let (seconds, status, peakKiB) = try spawn(python, [script, csv, output + "-biopsykit"])
      row("BioPsyKit 0.14.0 auc+max_inc+slope", seconds, status, peakKiB, 0)
      try? FileManager.default.removeItem(atPath: output + "-biopsykit")
      for figure in figures {
        print(
          "\(figure.name): \(String(format: "%.1f", seconds / figure.seconds))x BioPsyKit's speed, "
            + "\(String(format: "%.0f", 100 * Double(figure.peakKiB) / Double(peakKiB)))% of its memory"
        )
      }
    } else {
      print("(BioPsyKit 0.14.0 not found: set BIOPSYKIT_PYTHON to a Python that has it to compare)")
    }
    print(
      "targets (issue 15): within 5x of raw libcsv; >= 10x BioPsyKit's speed; under 100 MB and a quarter of BioPsyKit's memory"
    )
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
