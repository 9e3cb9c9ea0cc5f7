import Foundation

extension Bench {
  /// A spawned program's figures: wall and CPU seconds, exit status, peak resident set.
  struct Run {
    var seconds: Double
    var cpuSeconds: Double
    var status: Int32
    var peakKiB: Int
    var peakMB: Double { Double(peakKiB) / 1024 }
  }

  /// `neuroendo analyze` as a user runs it, whole process, with its default outputs, over a
  /// research long cohort of `subjects` subjects x 5 days x 9 samples (generated, the same
  /// every time), beside what issue 26 compares it with in the same run: a raw libcsv pass
  /// over the same file, a polars and a DuckDB script computing the same features (and
  /// BioPsyKit) when a Python has them, and `cp -r` of the tree `--patient-reports` wrote.
  /// Then the default run over 90,000, 900,000 and 9 million rows (`series`): CPU seconds
  /// per 100,000 rows and peak memory.
  static func commandBenchmark(subjects: Int, series: [Int], directory: String) throws {
    let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
      .appendingPathComponent("neuroendo").path
    guard FileManager.default.isExecutableFile(atPath: executable) else {
      print("\n(no neuroendo binary beside the benchmark: build it with the same configuration)")
      return
    }
    let csv = "\(directory)/neuroendo-bench-cohort.csv"
    let output = "\(directory)/neuroendo-bench-cohort-out"
    defer {
      for path in [csv, output, output + "-copy", output + "-script"] {
        try? FileManager.default.removeItem(atPath: path)
      }
    }
    try? FileManager.default.removeItem(atPath: output)
    let rows = try RhythmGenerator.write(subjectDays: subjects * 5, daysPerSubject: 5, to: csv)
    let (rawSeconds, records) = try time { try rawPass(csv) }
    precondition(records == rows + 1, "raw pass counted \(records) records")
    print("")
    print(
      "neuroendo analyze, whole process: \(subjects) subjects x 5 days, \(rows) samples "
        + "(\(String(format: "%.0f", Double(fileSize(csv)) / 1_048_576)) MB research long CSV)"
    )
    print(
      pad("command", 36) + pad("wall s", 9) + pad("CPU s", 8) + pad("x raw libcsv", 14)
        + pad("exit", 6) + pad("peak RSS MB", 13) + "outputs MB")
    func row(_ name: String, _ run: Run, _ bytes: Int) {
      print(
        pad(name, 36) + pad(String(format: "%.2f", run.seconds), 9)
          + pad(String(format: "%.2f", run.cpuSeconds), 8)
          + pad(String(format: "%.1fx", run.seconds / rawSeconds), 14) + pad("\(run.status)", 6)
          + pad(String(format: "%.0f", run.peakMB), 13)
          + String(format: "%.0f", Double(bytes) / 1_048_576))
    }
    row(
      "raw libcsv pass", Run(seconds: rawSeconds, cpuSeconds: rawSeconds, status: 0, peakKiB: 0), 0)
    let analyze = try spawn(executable, ["analyze", csv, "--out", output])
    row("analyze (the default outputs)", analyze, directorySize(output))
    let reference = output + "/features-subject-day.csv"
    let scripts = try compareScripts(
      csv: csv, reference: reference, scratch: output + "-script", row: row)
    try? FileManager.default.removeItem(atPath: output)
    let pages = try spawn(executable, ["analyze", csv, "--out", output, "--patient-reports"])
    row("analyze --patient-reports", pages, directorySize(output))
    // The same tree copied on the same disk: what writing the pages costs at the least.
    try? FileManager.default.removeItem(atPath: output + "-copy")
    let copy = try spawn("/bin/cp", ["-r", output, output + "-copy"])
    row("  cp -r of that output", copy, directorySize(output + "-copy"))
    for path in [output, output + "-copy"] { try? FileManager.default.removeItem(atPath: path) }
    let whole = try spawn(executable, ["analyze", csv, "--out", output, "--partitions", "1"])
    row("analyze --partitions 1 (all at once)", whole, directorySize(output))
    try? FileManager.default.removeItem(atPath: output)

    print("targets (issue 26), measured above:")
    // A run that failed, or a script whose features differ from ours, measures nothing.
    func verdict(_ met: Bool, _ runs: Run...) -> String {
      guard runs.allSatisfy({ $0.status == 0 }) else { return "not measured (a run failed)" }
      return met ? "met" : "NOT met"
    }
    print(
      "  default analyze <= 5x the raw libcsv pass: "
        + String(format: "%.1fx", analyze.seconds / rawSeconds)
        + ", \(verdict(analyze.seconds <= 5 * rawSeconds, analyze))")
    for (name, run, same) in scripts where name != "BioPsyKit" {
      print(
        "  default analyze faster than the \(name) script: "
          + String(format: "%.2f s against %.2f s", analyze.seconds, run.seconds)
          + ", "
          + (same
            ? verdict(analyze.seconds < run.seconds, analyze, run)
            : "not measured (its features differ)"))
    }
    if let biopsykit = scripts.first(where: { $0.name == "BioPsyKit" })?.run {
      let met = 4 * analyze.peakKiB <= biopsykit.peakKiB
      print(
        "  peak memory <= a quarter of BioPsyKit's: "
          + String(format: "%.0f MB against %.0f MB", analyze.peakMB, biopsykit.peakMB)
          + ", \(verdict(met, analyze, biopsykit))")
    } else {
      print("  peak memory against BioPsyKit: not measured (set BIOPSYKIT_PYTHON)")
    }
    print(
      "  --patient-reports <= 2x cp -r of its output: "
        + String(
          format: "%.2f s against %.2f s (%.1fx)", pages.seconds, copy.seconds,
          pages.seconds / copy.seconds)
        + ", \(verdict(pages.seconds <= 2 * copy.seconds, pages, copy))")
    try cohortSeries(series, executable: executable, directory: directory)
  }

  /// The polars, DuckDB and BioPsyKit scripts of `Benchmarks/` on the same file, each where
  /// a Python has its package (`BENCH_PYTHON`, `BIOPSYKIT_PYTHON`, default python3), with
  /// their features compared to ours (`compare_features.py`); optional, never `make test`.
  static func compareScripts(
    csv: String, reference: String, scratch: String, row: (String, Run, Int) -> Void
  ) throws -> [(name: String, run: Run, same: Bool)] {
    let environment = ProcessInfo.processInfo.environment
    let benchmarks = FileManager.default.currentDirectoryPath + "/Benchmarks"
    var runs: [(name: String, run: Run, same: Bool)] = []
    for (name, module, script, variable, check) in [
      ("polars", "polars", "polars_features.py", "BENCH_PYTHON", ""),
      ("DuckDB", "duckdb", "duckdb_features.py", "BENCH_PYTHON", ""),
      // The version the bench and its README name.
      (
        "BioPsyKit", "biopsykit", "biopsykit_features.py", "BIOPSYKIT_PYTHON",
        "; sys.exit(biopsykit.__version__ != '0.14.0')"
      ),
    ] {
      let python = environment[variable] ?? "/usr/bin/python3"
      let probe = try? spawn(python, ["-c", "import sys, \(module)\(check)"])
      guard FileManager.default.isExecutableFile(atPath: python), probe?.status == 0 else {
        print(
          "(\(name) script: no \(module) in \(python); set \(variable) to a Python that has it)")
        continue
      }
      try? FileManager.default.removeItem(atPath: scratch)
      let run = try spawn(python, ["\(benchmarks)/\(script)", csv, scratch])
      var label = "\(name) script (\(script))"
      var same = true
      if module != "biopsykit" {
        same =
          try spawn(
            python, ["\(benchmarks)/compare_features.py", reference, scratch + "/features.csv"]
          ).status == 0
        label = "\(name) script, " + (same ? "same features" : "FEATURES DIFFER")
      }
      row(label, run, 0)
      runs.append((name, run, same))
    }
    try? FileManager.default.removeItem(atPath: scratch)
    return runs
  }

  /// The default `analyze` over cohorts of each size in `subjects` (x 5 days x 9 samples):
  /// CPU seconds per 100,000 rows, and peak memory against the 900,000-row cohort's.
  static func cohortSeries(_ subjects: [Int], executable: String, directory: String) throws {
    guard !subjects.isEmpty else { return }
    print("")
    print("default analyze by cohort size (whole process, default outputs)")
    print(
      pad("rows", 10) + pad("MB", 7) + pad("wall s", 9) + pad("CPU s", 8)
        + pad("CPU s per 100k rows", 21) + "peak RSS MB")
    let csv = "\(directory)/neuroendo-bench-series.csv"
    let output = "\(directory)/neuroendo-bench-series-out"
    defer { for path in [csv, output] { try? FileManager.default.removeItem(atPath: path) } }
    var peaks: [Int: Double] = [:]
    for count in subjects {
      let rows = try RhythmGenerator.write(subjectDays: count * 5, daysPerSubject: 5, to: csv)
      try? FileManager.default.removeItem(atPath: output)
      let run = try spawn(executable, ["analyze", csv, "--out", output])
      if run.status == 0 { peaks[rows] = run.peakMB }
      print(
        pad("\(rows)", 10) + pad(String(format: "%.0f", Double(fileSize(csv)) / 1_048_576), 7)
          + pad(String(format: "%.2f", run.seconds), 9)
          + pad(String(format: "%.2f", run.cpuSeconds), 8)
          + pad(String(format: "%.3f", run.cpuSeconds / Double(max(1, rows)) * 100_000), 21)
          + String(format: "%.0f", run.peakMB) + (run.status == 0 ? "" : " (exit \(run.status))"))
    }
    if let small = peaks[900_000], let large = peaks[9_000_000] {
      print(
        "target (issue 26): peak memory at 9M rows <= 2x the 900,000-row figure: "
          + String(format: "%.1fx", large / small) + (large <= 2 * small ? ", met" : ", NOT met"))
    }
  }

  /// Runs a program to its end: wall seconds, exit status, and its peak resident set (KiB).
  static func spawn(_ path: String, _ arguments: [String]) throws -> Run {
    var pid: pid_t = 0
    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
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
    func cpu(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
    return Run(
      seconds: seconds, cpuSeconds: cpu(usage.ru_utime) + cpu(usage.ru_stime),
      // Killed by a signal (the OOM killer at 9 million rows): 128 + the signal, as a shell
      // says it, never 0.
      status: status & 0x7F != 0 ? 128 + (status & 0x7F) : (status >> 8) & 0xFF,
      peakKiB: usage.ru_maxrss)
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
