import Foundation
import GRDB
import Testing

@testable import NeuroEndoKit

/// The text of every output file, with run ids, times and the scratch folder masked, the
/// lock file left out, and the summary without what differs between two runs of one data
/// (what this run did: notes, counts of new files, timings).
func comparableOutputs(_ scratch: Scratch, _ directory: String) throws -> [String: String] {
  var result: [String: String] = [:]
  for (name, data) in scratch.files(under: directory) where name != ".neuroendo.lock" {
    var text = String(decoding: data, as: UTF8.self)
    if name == "run-summary.json" {
      var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
      for key in ["notes", "incremental", "nothingNew", "unchangedSince", "started", "finished"] {
        object[key] = nil
      }
      text = String(
        decoding: try JSONSerialization.data(
          withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]),
        as: UTF8.self)
    }
    text = text.replacingOccurrences(of: scratch.root.path, with: "ROOT")
    if name == ".neuroendo-outputs" {
      // File sizes change with the run ids written in the files.
      text = text.replacingOccurrences(
        of: #"(?m)^[0-9]+ "#, with: "SIZE ", options: .regularExpression)
    }
    text = text.replacingOccurrences(
      of: #"[0-9]{8}T[0-9]{6}Z-[0-9.]+"#, with: "RUN", options: .regularExpression)
    text = text.replacingOccurrences(
      of: #"20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z"#, with: "TIME", options: .regularExpression)
    result[name] = text
  }
  return result
}

private let lisTSH = "patient_id,test_code,value,unit,collected_at"

/// A LIS export of TSH and free T4 for two subjects, `tsh` setting how far off they are.
private func export(_ subjects: [String], tsh: Double, day: Int = 14) -> String {
  ([lisTSH]
    + subjects.flatMap { subject in
      [
        "\(subject),3016-3,\(tsh),mIU/L,2026-03-\(day)T08:00:00+01:00",
        "\(subject),3024-7,9.1,pmol/L,2026-03-\(day)T08:00:00+01:00",
        cortisolLine(subject, "400", hour: 8), cortisolLine(subject, "150", hour: 14),
      ]
    }).joined(separator: "\n")
}

@Suite("Nightly state: kills, changes and damage (issue 21)")
struct HostileStateTests {
  @Test(
    "a run stopped after its ledger commit but before publication is published by the next run"
  )
  func stoppedBeforePublication() throws {
    let scratch = try Scratch()
    let nightly = try scratch.pipeline(state: true)
    try scratch.put("a.csv", export(["A1", "A2"], tsh: 2.1))
    #expect(PipelineRunner(pipeline: nightly).run().isComplete)
    // Night 2: new, changed and vanished files, and a run that stops before publishing.
    try scratch.put("b.csv", export(["B1"], tsh: 9.5))
    try scratch.put("a.csv", export(["A1", "A2"], tsh: 0.05))
    var stopped = PipelineRunner(pipeline: nightly)
    stopped.failBeforePublishing = true
    #expect(!stopped.run().isComplete)
    // The ledger has the new data; the outputs do not. The next run must not say
    // "nothing new": it publishes what an unstopped night publishes.
    let next = PipelineRunner(pipeline: nightly).run()
    #expect(!next.nothingNew)
    #expect(next.notes.contains { $0.contains("stopped before it published") })
    let reference = try Scratch("reference")
    let referenceNightly = try reference.pipeline(state: true)
    try reference.put("a.csv", export(["A1", "A2"], tsh: 2.1))
    _ = PipelineRunner(pipeline: referenceNightly).run()
    try reference.put("b.csv", export(["B1"], tsh: 9.5))
    try reference.put("a.csv", export(["A1", "A2"], tsh: 0.05))
    #expect(PipelineRunner(pipeline: referenceNightly).run().isComplete)
    let expected = try comparableOutputs(reference, "out")
    let actual = try comparableOutputs(scratch, "out")
    #expect(Set(actual.keys) == Set(expected.keys))
    for (name, text) in expected { #expect(actual[name] == text, "\(name)") }
    // And now nothing is new.
    #expect(PipelineRunner(pipeline: nightly).run().nothingNew)
  }

  @Test("deleted or replaced outputs are written again, not taken as published")
  func outputsGone() throws {
    let scratch = try Scratch()
    let nightly = try scratch.pipeline(state: true)
    try scratch.put("a.csv", export(["A1"], tsh: 2.1))
    _ = PipelineRunner(pipeline: nightly).run()
    let report = scratch.path("out/reports/patients/A1.json")
    try FileManager.default.removeItem(atPath: report)
    let again = PipelineRunner(pipeline: nightly).run()
    #expect(!again.nothingNew)
    #expect(FileManager.default.fileExists(atPath: report))
    #expect(PipelineRunner(pipeline: nightly).run().nothingNew)
  }

  @Test(
    "changed settings, diary or profile are seen: re-analysed or re-read, with a note; the reports agree with the tables"
  )
  func changesAreSeen() throws {
    let scratch = try Scratch()
    try scratch.put("a.csv", export(["A1", "A2"], tsh: 2.1))
    let plain = try scratch.pipeline(state: true)
    _ = PipelineRunner(pipeline: plain).run()
    #expect(PipelineRunner(pipeline: plain).run().nothingNew)
    // An analysis setting (a range table's limit) changes: analysed again.
    var stricter = plain
    stricter.analyzers.feedback.ranges = stricter.analyzers.feedback.ranges.map { range in
      var range = range
      if range.analyte == .tsh, range.high != nil { range.high = 2.0 }
      return range
    }
    let reanalysed = PipelineRunner(pipeline: stricter).run()
    #expect(!reanalysed.nothingNew)
    #expect(reanalysed.notes.contains { $0.hasPrefix("settings, range tables") })
    #expect(PipelineRunner(pipeline: stricter).run().nothingNew)
    // A sleep diary is added: analysed again.
    try "subject_id,date,wake_time\nA1,2026-03-14,06:30\n".write(
      toFile: scratch.path("diary.csv"), atomically: true, encoding: .utf8)
    var diary = stricter
    diary.wakeDiary = (scratch.path("diary.csv"), CSVProfile(name: "built-in diary", shape: .diary))
    #expect(!PipelineRunner(pipeline: diary).run().nothingNew)
    #expect(PipelineRunner(pipeline: diary).run().nothingNew)
    // The diary's content changes: analysed again.
    try "subject_id,date,wake_time\nA1,2026-03-14,07:10\n".write(
      toFile: scratch.path("diary.csv"), atomically: true, encoding: .utf8)
    #expect(!PipelineRunner(pipeline: diary).run().nothingNew)
    // How the input is read changes (its time zone is analysis; its profile is reading):
    // the file is read again, with a note.
    var profiled = diary
    profiled.inputs[0].profile = .lisLong
    let reread = PipelineRunner(pipeline: profiled).run()
    #expect(reread.incremental?.changed == 1)
    #expect(reread.notes.contains { $0.contains("read again") })
    #expect(PipelineRunner(pipeline: profiled).run().nothingNew)
  }

  @Test("the analysis fingerprint is the same for the same pipeline loaded twice")
  func fingerprintStable() throws {
    let file = Repository.path("Pipelines/sample.yml")
    let one = try PipelineLoader.load(file: file)
    let two = try PipelineLoader.load(file: file)
    #expect(Fingerprint.analysis(one) == Fingerprint.analysis(two))
    #expect(Fingerprint.reading(one, input: 0) == Fingerprint.reading(two, input: 0))
    #expect(!Fingerprint.text(one.analyzers).contains("0x"))
    var other = one
    other.analyzers.flattened.threshold += 0.01
    #expect(Fingerprint.analysis(other) != Fingerprint.analysis(one))
  }

  @Test(
    "a damaged or newer state is never silently recreated",
    arguments: ["empty", "garbage", "truncated", "newer", "directory"])
  func damagedState(kind: String) throws {
    let scratch = try Scratch()
    let nightly = try scratch.pipeline(state: true)
    try scratch.put("a.csv", export(["A1"], tsh: 2.1))
    _ = PipelineRunner(pipeline: nightly).run()
    let database = StateStore.file(in: scratch.path("state"))
    switch kind {
    case "empty": try Data().write(to: URL(fileURLWithPath: database))
    case "garbage":
      try Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 37) }).write(
        to: URL(fileURLWithPath: database))
    case "truncated":
      let data = try Data(contentsOf: URL(fileURLWithPath: database))
      try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: database))
    case "newer":
      let queue = try DatabaseQueue(path: database)
      try queue.write { db in
        try db.execute(sql: "INSERT INTO grdb_migrations VALUES ('v99: from the future')")
      }
      try queue.close()
    default:
      try FileManager.default.removeItem(atPath: database)
      try FileManager.default.createDirectory(atPath: database, withIntermediateDirectories: true)
    }
    let before = scratch.files(under: "out")
    let summary = PipelineRunner(pipeline: nightly).run()
    let problem = try #require(summary.stateProblem, "\(summary.outputFailures)")
    #expect(problem.contains(database))
    #expect(problem.contains(kind == "newer" ? "v99: from the future" : "damaged"))
    #expect(problem.contains("neuroendo state rebuild"))
    // Nothing was read, and the outputs are as they were.
    #expect(summary.files.isEmpty)
    #expect(scratch.files(under: "out") == before)
    // --rebuild does not quietly start over either.
    #expect(PipelineRunner(pipeline: nightly).run(rebuild: true).stateProblem != nil)
    // The way back: the damaged file is set aside, never deleted.
    if kind != "directory" {
      let aside = try StateStore.setAside(directory: scratch.path("state"))
      let kept = try #require(aside.kept)
      #expect(FileManager.default.fileExists(atPath: kept))
      #expect(aside.seen == (kind == "newer" ? [scratch.path("inbox") + "/a.csv"] : aside.seen))
      let rebuilt = PipelineRunner(pipeline: nightly).run(rebuild: true)
      #expect(rebuilt.isComplete && rebuilt.stateProblem == nil)
    }
  }

  @Test("a state directory inside the output directory is refused")
  func stateInsideOutputs() throws {
    let scratch = try Scratch()
    var pipeline = try scratch.pipeline(state: true)
    pipeline.state = scratch.path("out/reports")
    #expect(!pipeline.inputOutputOverlaps().isEmpty)
    pipeline.state = scratch.path("out/run-summary.json")
    #expect(!pipeline.inputOutputOverlaps().isEmpty)
    pipeline.state = scratch.path("state")
    #expect(pipeline.inputOutputOverlaps().isEmpty)
  }

  @Test("the state and every output are owner-only whatever the umask")
  func privateModes() throws {
    let scratch = try Scratch()
    try scratch.put("a.csv", export(["A1"], tsh: 2.1))
    let previous = umask(0o022)
    defer { umask(previous) }
    #expect(PipelineRunner(pipeline: try scratch.pipeline(state: true)).run().isComplete)
    func mode(_ path: String) -> mode_t {
      var status = stat()
      _ = lstat(path, &status)
      return status.st_mode & 0o777
    }
    #expect(mode(scratch.path("out")) == 0o700)
    #expect(mode(scratch.path("out/reports/patients")) == 0o700)
    #expect(mode(scratch.path("state")) == 0o700)
    #expect(mode(StateStore.file(in: scratch.path("state"))) == 0o600)
    for name in scratch.files(under: "out").keys {
      #expect(mode(scratch.path("out/" + name)) == 0o600, "\(name)")
    }
  }
}

@Suite("Incremental runs in partitions (issue 21)")
struct IncrementalPartitionTests {
  /// A pipeline with state whose runs hold at most `limit` samples at once (0: all).
  private func nightly(_ scratch: Scratch, limit: Int) throws -> Pipeline {
    try scratch.pipeline(
      state: true,
      extra: """
        settings:
          reports:
            patients: true
          run:
            partition_samples: \(limit)
        """)
  }

  @Test("over the limit, an incremental run runs in partitions and writes what a whole run writes")
  func partitionsEqualWhole() throws {
    let parted = try Scratch("parted")
    let whole = try Scratch("whole")
    for scratch in [parted, whole] as [Scratch] {
      for file in 0..<4 {
        try scratch.put(
          "lab-\(file).csv", export((0..<5).map { "P\(file)-\($0)" }, tsh: 1.5 + Double(file)))
      }
    }
    var runner = PipelineRunner(pipeline: try nightly(parted, limit: 20))
    runner.partitionsAtOnce = 2
    let first = runner.run()
    #expect(first.isComplete, "\(first.outputFailures)")
    #expect(first.notes.contains { $0.hasPrefix("run in ") && $0.contains("partitions") })
    #expect(first.incremental?.new == 4)
    #expect(PipelineRunner(pipeline: try nightly(whole, limit: 0)).run().isComplete)
    func same() throws {
      let expected = try comparableOutputs(whole, "out")
      let actual = try comparableOutputs(parted, "out")
      #expect(Set(actual.keys) == Set(expected.keys))
      for (name, text) in expected { #expect(actual[name] == text, "\(name)") }
    }
    try same()
    // The state keeps the findings of the run in partitions, with their first run.
    let store = try StateStore(directory: parted.path("state"))
    #expect(try store.count("finding") == first.analysis.findings.values.reduce(0, +))
    #expect(runner.run().nothingNew)
    // Night 2: a file changes; both publish the same again.
    for scratch in [parted, whole] as [Scratch] {
      try scratch.put("lab-2.csv", export((0..<5).map { "P2-\($0)" }, tsh: 0.05))
    }
    let second = runner.run()
    #expect(second.incremental == .init(new: 0, changed: 1, unchanged: 3, vanished: 0))
    #expect(PipelineRunner(pipeline: try nightly(whole, limit: 0)).run().isComplete)
    try same()
    #expect(runner.run().nothingNew)
  }
}

@Suite("inspect in bounded memory (issue 21)")
struct BoundedInspectTests {
  @Test("a file over the limit is normalized a bucket of subjects at a time, with the same counts")
  func bucketsEqualWhole() throws {
    let scratch = try Scratch()
    var text = lisHeader + "\n"
    for row in 0..<600 {
      let subject = "S\(row % 37)"
      // Duplicates, unit mismatches and an overflow among them, spread over subjects.
      let unit = row % 50 == 0 ? "mIU/L" : "nmol/L"
      let value = row == 7 ? "1e308" : String(200 + row % 13)
      text +=
        "\(subject),2143-6,\(value),\(row == 7 ? "ug/dL" : unit),2026-03-\(10 + row % 5)T0\(row % 9):00:00+01:00\n"
    }
    // Identical records: duplicates.
    text += (0..<20).map { "S\($0),2143-6,999,nmol/L,2026-03-20T08:00:00+01:00\n" }.joined()
    text += (0..<20).map { "S\($0),2143-6,999,nmol/L,2026-03-20T08:00:00+01:00\n" }.joined()
    try scratch.put("big.csv", text)
    let path = scratch.path("inbox/big.csv")
    let normalizer = try #require(Normalizer(settings: NormalizerSettings(timeZone: "UTC")))
    var wholeRejections: [Rejection] = []
    let whole = Inspection.inspect(
      file: path, format: .csv, profile: nil, normalizer: normalizer, limit: 0,
      onRejection: { wholeRejections.append($0) })
    var bucketRejections: [Rejection] = []
    let buckets = Inspection.inspect(
      file: path, format: .csv, profile: nil, normalizer: normalizer, limit: 10,
      onRejection: { bucketRejections.append($0) })
    #expect(whole.summary == buckets.summary)
    #expect(whole.normalization == buckets.normalization)
    #expect(whole.normalization.duplicates > 0 && whole.normalization.unitMismatches > 0)
    #expect(whole.normalization.valueOverflows == 1)
    #expect(Set(wholeRejections.map(\.location)) == Set(bucketRejections.map(\.location)))
    // The scratch folder is gone.
    let left = try FileManager.default.contentsOfDirectory(
      atPath: FileManager.default.temporaryDirectory.path
    ).filter { $0.hasPrefix("neuroendo-inspect-") }
    #expect(left.isEmpty)
  }
}

@Suite("Nightly state, after review (issue 21)")
struct HostileStateReviewTests {
  @Test("a missing state beside outputs published from one is not started over silently")
  func missingState() throws {
    let scratch = try Scratch()
    let nightly = try scratch.pipeline(state: true)
    try scratch.put("a.csv", export(["A1"], tsh: 2.1))
    #expect(PipelineRunner(pipeline: nightly).run().isComplete)
    try FileManager.default.removeItem(atPath: scratch.path("state"))
    let before = scratch.files(under: "out")
    let summary = PipelineRunner(pipeline: nightly).run()
    #expect(summary.stateProblem?.contains("is missing") == true)
    #expect(scratch.files(under: "out") == before)
    // The way on, said in the message: a rebuild.
    #expect(PipelineRunner(pipeline: nightly).run(rebuild: true).isComplete)
  }

  @Test("an output edited in place (another size) is written again")
  func editedOutput() throws {
    let scratch = try Scratch()
    let nightly = try scratch.pipeline(state: true)
    try scratch.put("a.csv", export(["A1"], tsh: 2.1))
    #expect(PipelineRunner(pipeline: nightly).run().isComplete)
    try "tampered\n".write(
      toFile: scratch.path("out/findings.csv"), atomically: true, encoding: .utf8)
    let again = PipelineRunner(pipeline: nightly).run()
    #expect(!again.nothingNew)
    #expect(again.notes.contains { $0.contains("not those the state last published") })
    #expect(text(scratch, "out/findings.csv").hasPrefix("subject_id,"))
  }

  @Test("a vanished file's local times keep its input's time zone")
  func vanishedZone() throws {
    let scratch = try Scratch()
    try scratch.put(
      "a.csv",
      [
        lisTSH, "Z1,2143-6,300,nmol/L,2026-03-14T08:00:00",
        "Z1,2143-6,100,nmol/L,2026-03-14T20:00:00",
      ]
      .joined(separator: "\n"))
    var nightly = try scratch.pipeline(state: true)
    nightly.inputs[0].timeZone = "Asia/Tokyo"
    #expect(PipelineRunner(pipeline: nightly).run().isComplete)
    let before = text(scratch, "out/normalized-samples.csv")
    #expect(before.contains("+09:00"))
    try FileManager.default.removeItem(atPath: scratch.path("inbox/a.csv"))
    #expect(PipelineRunner(pipeline: nightly).run().incremental?.vanished == 1)
    #expect(text(scratch, "out/normalized-samples.csv") == before)
  }

  @Test("turning group read on or off publishes again (the modes are part of the fingerprint)")
  func groupReadFingerprint() throws {
    let scratch = try Scratch()
    var pipeline = try scratch.pipeline(state: true)
    let owner = Fingerprint.analysis(pipeline)
    pipeline.groupReadable = true
    #expect(Fingerprint.analysis(pipeline) != owner)
  }
}

private func text(_ scratch: Scratch, _ relative: String) -> String {
  String(
    decoding: FileManager.default.contents(atPath: scratch.path(relative)) ?? Data(), as: UTF8.self)
}
