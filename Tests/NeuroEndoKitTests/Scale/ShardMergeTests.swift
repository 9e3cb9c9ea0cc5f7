import Foundation
import Synchronization
import Testing

@testable import NeuroEndoKit

/// Every file below `directory`, by relative path, with run ids, time stamps and the output
/// directory's own path masked (they name the run, not what it found).
private func contents(of directory: String) throws -> [String: String] {
  var files: [String: String] = [:]
  let enumerator = FileManager.default.enumerator(atPath: directory)!
  while let relative = enumerator.nextObject() as? String {
    var isDirectory: ObjCBool = false
    let path = directory + "/" + relative
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
      !isDirectory.boolValue, relative != ".neuroendo.lock"
    else { continue }
    var text = try String(contentsOfFile: path, encoding: .utf8)
    if relative == ".neuroendo-outputs" {
      // File sizes change with the run ids written in the files.
      text = text.replacingOccurrences(
        of: #"(?m)^[0-9]+ "#, with: "SIZE ", options: .regularExpression)
    }
    text = text.replacingOccurrences(of: directory, with: "OUT")
    text = text.replacingOccurrences(
      of: #"[0-9]{8}T[0-9]{6}Z-[0-9.]+"#, with: "RUN", options: .regularExpression)
    text = text.replacingOccurrences(
      of: #"20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z"#, with: "TIME", options: .regularExpression)
    files[relative] = text
  }
  return files
}

private func temporaryDirectory() throws -> String {
  let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
    "neuroendo-shards-\(UUID())"
  ).path
  try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
  return directory
}

/// A research cohort of `subjects` x 2 days, 7 saliva samples a day, values that differ
/// per subject (a censored value and a long-delayed sample among them), so that the
/// cohort band has more than five subjects per bin.
private func cohort(subjects: Int) -> String {
  var text = "subject_id,day,sample,minutes_since_waking,cortisol_nmol_l\n"
  for subject in 1...subjects {
    for day in 1...2 {
      let base = 8 + Double((subject * 7 + day * 3) % 11)
      for (index, minutes) in [0, 15, 30, 45, 240, 600, 900].enumerated() {
        let rise = minutes <= 45 ? Double(minutes) / 5 : max(0, 14 - Double(minutes) / 70)
        let value = base + rise + Double((subject + index) % 5) / 4
        let cell =
          subject % 13 == 0 && index == 6 ? "<1.5" : NumberText.plain((value * 10).rounded() / 10)
        text += "P\(String(format: "%03d", subject)),\(day),S\(index + 1),\(minutes),\(cell)\n"
      }
    }
  }
  return text
}

/// A run without a pipeline file over a cohort of `subjects` written in `root`.
private func cohortPipeline(_ subjects: Int, in root: String) throws -> Pipeline {
  let csv = try writeCohort(subjects, in: root, name: "cohort.csv")
  return Pipeline.adHoc(files: [csv], format: nil, profile: nil, outputDirectory: root + "/unused")
}

/// Writes the cohort of `subjects` to `root/in/name` and returns its path.
private func writeCohort(_ subjects: Int, in root: String, name: String = "c.csv") throws
  -> String
{
  try FileManager.default.createDirectory(atPath: root + "/in", withIntermediateDirectories: true)
  let path = "\(root)/in/\(name)"
  try cohort(subjects: subjects).write(toFile: path, atomically: true, encoding: .utf8)
  return path
}

@Suite("shards and merge")
struct ShardMergeTests {
  /// Runs `pipeline` whole and as `count` shards, merges the shards, and returns both
  /// output sets.
  private func oneAndMerged(_ pipeline: Pipeline, count: Int, in root: String) throws -> (
    one: [String: String], merged: [String: String], summary: RunSummary
  ) {
    let one = PipelineRunner(pipeline: pipeline).run(outputDirectory: root + "/one")
    #expect(one.outputFailures.isEmpty)
    var shards: [String] = []
    for index in 1...count {
      let directory = "\(root)/shard-\(index)"
      let summary = PipelineRunner(pipeline: pipeline, shard: Shard(index: index, count: count))
        .run(outputDirectory: directory)
      #expect(summary.outputFailures.isEmpty)
      #expect(summary.shard == "\(index)/\(count)")
      shards.append(directory)
    }
    // Given in any order.
    let merged = try ShardMerger(directories: shards.reversed()).merge(into: root + "/merged")
      .get()
    #expect(merged.outputFailures.isEmpty)
    return (try contents(of: root + "/one"), try contents(of: root + "/merged"), merged)
  }

  @Test("the sample pipeline in 4 shards, merged, writes what one run writes, byte for byte")
  func samplePipeline() throws {
    let root = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: root) }
    let pipeline = try PipelineLoader.load(file: Repository.path("Pipelines/sample.yml"))
    let (one, merged, summary) = try oneAndMerged(pipeline, count: 4, in: root)
    #expect(Set(one.keys) == Set(merged.keys))
    #expect(one.keys.contains("samples.csv") && one.keys.contains("reports/cohort.html"))
    for (name, text) in one where name != "run-summary.json" {
      #expect(merged[name] == text, "\(name) differs")
    }
    // The summary: the same counts; only the merge's note is its own.
    #expect(summary.notes.count == 1 && summary.notes[0].hasPrefix("merged from 4 shards: 1/4 "))
    func raw(_ name: String) throws -> String {
      try String(contentsOfFile: "\(root)/\(name)/run-summary.json", encoding: .utf8)
        .replacingOccurrences(of: "\(root)/\(name)/", with: "OUT/")
    }
    #expect(try comparable(raw("merged")) == comparable(raw("one")))
  }

  /// A summary as JSON without what names the run: its id, times and notes.
  private func comparable(_ json: String) throws -> String {
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    var summary = try decoder.decode(RunSummary.self, from: Data(json.utf8))
    summary.notes = []
    summary.run = ""
    summary.started = Date(timeIntervalSince1970: 0)
    summary.finished = summary.started
    return RunSummaryReporter.json(summary)
  }

  @Test("a research cohort in 3 shards: the cohort band and cohort report come from all subjects")
  func cohortBand() throws {
    let root = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: root) }
    var pipeline = try cohortPipeline(40, in: root)
    pipeline.outputs.writeAllTables()
    pipeline.patientReports = true
    let (one, merged, _) = try oneAndMerged(pipeline, count: 3, in: root)
    #expect(Set(one.keys) == Set(merged.keys))
    for (name, text) in one where name != "run-summary.json" {
      #expect(merged[name] == text, "\(name) differs")
    }
    // The band is there, from all 40 subjects, though no shard holds more than 20.
    let report = try JSONDecoder().decode(
      PatientReport.self, from: Data(merged["reports/patients/P001.json"]!.utf8))
    #expect(report.cohortBand.first?.subjects == 40)
    for index in 1...3 {
      let shardPatients = try FileManager.default.contentsOfDirectory(
        atPath: "\(root)/shard-\(index)/shard/patients")
      #expect(shardPatients.count < 20)
      #expect(shardPatients.allSatisfy { $0.hasSuffix(".json") })  // models, no pages
    }
    #expect(merged["reports/cohort.json"]!.contains(#""subjects" : 40"#))
  }

  @Test("parts that rendered their pages whole have them moved, none rendered again")
  func pagesRenderedAreTakenAsTheyAre() throws {
    let root = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: root) }
    var pipeline = try cohortPipeline(12, in: root)
    pipeline.patientReports = true
    var shards: [String] = []
    for index in 1...2 {
      let directory = "\(root)/shard-\(index)"
      _ = PipelineRunner(pipeline: pipeline, shard: Shard(index: index, count: 2))
        .run(outputDirectory: directory)
      shards.append(directory)
    }
    // Shards leave models: the merge renders their pages. Told the parts rendered them,
    // it takes every file as it is (here: the models alone, which shows nothing is
    // rendered), and the cohort report is made as before.
    let rendered = try ShardMerger(directories: shards).merge(into: root + "/rendered").get()
    var merger = ShardMerger(directories: shards)
    merger.pagesRendered = true
    let moved = try merger.merge(into: root + "/moved").get()
    #expect(rendered.failures.isEmpty && moved.failures.isEmpty)
    let renderedPages = try FileManager.default.contentsOfDirectory(
      atPath: root + "/rendered/reports/patients")
    let movedPages = try FileManager.default.contentsOfDirectory(
      atPath: root + "/moved/reports/patients")
    #expect(renderedPages.contains { $0.hasSuffix(".html") })
    #expect(!movedPages.contains { $0.hasSuffix(".html") || $0.hasSuffix(".md") })
    #expect(
      Set(movedPages)
        == Set(renderedPages.filter { !$0.hasSuffix(".html") && !$0.hasSuffix(".md") }))
    let cohort = { (tree: String) in
      try String(contentsOfFile: "\(root)/\(tree)/reports/cohort.json", encoding: .utf8)
        .replacingOccurrences(of: #""run" : "[^"]*""#, with: "", options: .regularExpression)
    }
    #expect(try cohort("rendered") == cohort("moved"))
  }

  @Test("contributions handed to the merge are used instead of the parts' files, which may be gone")
  func cohortInputsHandedOver() throws {
    let root = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: root) }
    let pipeline = try cohortPipeline(12, in: root)
    var shards: [String] = []
    let contributions = CohortContributions(limit: .max)
    for index in 1...2 {
      let directory = "\(root)/shard-\(index)"
      _ = PipelineRunner(pipeline: pipeline, shard: Shard(index: index, count: 2))
        .run(outputDirectory: directory)
      let file = "\(directory)/shard/\(OutputWriter.cohortInputs)"
      contributions.set(
        directory,
        try JSONDecoder().decode(
          CohortReport.Inputs.self, from: Data(contentsOf: URL(fileURLWithPath: file))))
      shards.append(directory)
    }
    let reference = try ShardMerger(directories: shards).merge(into: root + "/reference").get()
    #expect(reference.failures.isEmpty)
    for directory in shards {
      try FileManager.default.removeItem(atPath: "\(directory)/shard/\(OutputWriter.cohortInputs)")
    }
    // Without the files and nothing handed over, the merge stops; handed over, it is whole.
    let missing = try ShardMerger(directories: shards).merge(into: root + "/missing").get()
    #expect(missing.failures.contains { "\($0)".contains("missing or unreadable") })
    var merger = ShardMerger(directories: shards)
    merger.cohortInputs = contributions
    let merged = try merger.merge(into: root + "/merged").get()
    #expect(merged.failures.isEmpty)
    // Each let go once pooled.
    #expect(contributions.all.isEmpty)
    let cohort = try contents(of: root + "/reference")["reports/cohort.json"]
    #expect(cohort != nil)
    #expect(try contents(of: root + "/merged")["reports/cohort.json"] == cohort)
  }

  @Test("a subject quarantined in a shard is listed by the merge without a link to pages")
  func quarantinedInAShard() throws {
    let root = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: root) }
    var pipeline = try cohortPipeline(6, in: root)
    pipeline.patientReports = true
    var shards: [String] = []
    for index in 1...2 {
      // The shards keep their models; the merge renders the pages with the whole band.
      var runner = PipelineRunner(pipeline: pipeline, shard: Shard(index: index, count: 2))
      runner.failReports = ["P002"]
      _ = runner.run(outputDirectory: "\(root)/shard-\(index)")
      shards.append("\(root)/shard-\(index)")
    }
    let merged = try ShardMerger(directories: shards).merge(into: root + "/merged").get()
    #expect(merged.outputFailures.isEmpty)
    #expect(merged.quarantinedSubjects.count == 1)
    #expect(merged.outputRows["reports"] == 5)
    let files = try contents(of: root + "/merged")
    let cohort = try JSONDecoder().decode(
      CohortReport.self, from: Data(try #require(files["reports/cohort.json"]).utf8))
    #expect(cohort.patients.count == 6)
    #expect(cohort.patients.filter { $0.file == nil }.map(\.subjectID) == ["P002"])
    #expect(!files.keys.contains { $0.hasPrefix("reports/patients/P002.") })
    #expect(files["reports/patients/P001.html"] != nil)
    #expect(files["reports/cohort.html"]?.contains("href=\"patients/P002.html\"") == false)
  }

  @Test("a shard writes its cohort contribution unless it was handed over and kept")
  func keptContributionNotWritten() throws {
    let root = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: root) }
    let pipeline = try cohortPipeline(6, in: root)
    for kept in [false, true] {
      let directory = "\(root)/kept-\(kept)"
      var handed: [CohortReport.Inputs] = []
      var pass = StageChain.Pass(
        summary: RunSummary(pipeline: pipeline.name, started: Date(), finished: Date(), files: []),
        directory: directory)
      pass.onCohortInputs = {
        handed.append($0)
        return kept
      }
      var source = InputRead(pipeline: pipeline)
      let summary = StageChain(pipeline: pipeline, shard: Shard(index: 1, count: 1)).run(
        pass, source: &source, onSample: { _ in }, progress: { _ in })
      #expect(summary.failures.isEmpty)
      #expect(handed.count == 1 && handed.first?.patients.count == 6)
      let file = "\(directory)/shard/\(OutputWriter.cohortInputs)"
      #expect(FileManager.default.fileExists(atPath: file) == !kept, "kept: \(kept)")
    }
  }

  @Test("partitions whose contributions the merge is not handed write what kept ones write")
  func contributionsReadBack() throws {
    let root = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: root) }
    let pipeline = try PipelineLoader.load(file: Repository.path("Pipelines/sample.yml"))
    var kept = PipelineRunner(pipeline: pipeline, partitions: 4)
    kept.keptContributions = .max
    var files = PipelineRunner(pipeline: pipeline, partitions: 4)
    files.keptContributions = 0
    #expect(kept.run(outputDirectory: root + "/kept").outputFailures.isEmpty)
    #expect(files.run(outputDirectory: root + "/files").outputFailures.isEmpty)
    let one = try contents(of: root + "/kept")
    let other = try contents(of: root + "/files")
    #expect(Set(one.keys) == Set(other.keys))
    #expect(one["reports/cohort.json"] != nil)
    for (name, text) in one where name != "run-summary.json" {
      let masked = { (text: String) in
        text.replacingOccurrences(
          of: #"[0-9]{8}T[0-9]{6}Z-[0-9]+"#, with: "RUN", options: .regularExpression)
      }
      #expect(masked(text) == masked(other[name] ?? ""), "\(name)")
    }
  }

  @Test("partitions' contributions are kept in memory only up to the limit; the rest are read back")
  func contributionsLimit() {
    var inputs = CohortReport.Inputs(
      features: CortisolRhythmFeatures(), feedback: FeedbackResult(), threshold: -0.05)
    inputs.slopes = Array(repeating: -0.1, count: 1000)
    #expect(inputs.approximateBytes >= 8000)
    let contributions = CohortContributions(limit: 20_000)
    #expect(contributions.set("a", inputs))
    #expect(contributions.set("b", inputs))
    #expect(!contributions.set("c", inputs))  // over the limit: left to its file
    #expect(Set(contributions.all.keys) == ["a", "b"])
  }

  @Test("a keys line reads back as the length and key written, escapes and all")
  func keysLines() {
    let keys: [ShardKey?] = [
      nil, .position(0, 1, 0), .position(2, Int.max, 1_234_567), .subject("P001"),
      .subject("a\\b\nc\rd \\n é"), .subject(""),
    ]
    for key in keys {
      var bytes: [UInt8] = []
      if let key {
        key.appendLine(length: 4711, to: &bytes)
      } else {
        bytes = Array("4711 H\n".utf8)
      }
      #expect(bytes.last == 0x0A && bytes.dropLast().allSatisfy { $0 != 0x0A && $0 != 0x0D })
      let back = bytes.dropLast().withUnsafeBufferPointer { ShardKey.parse(line: $0) }
      #expect(back?.length == 4711 && back?.key == key)
    }
    var written: [UInt8] = []
    ShardKey.position(1, 20, 3).appendLine(length: 0, to: &written)
    #expect(String(decoding: written, as: UTF8.self) == "0 P 1 20 3\n")
    for broken in ["", "12", "12 ", "x P 1 2 3", "12 P 1 2", "12 P 1 2 3 4", "12 Q", "12 H "] {
      #expect(Array(broken.utf8).withUnsafeBufferPointer { ShardKey.parse(line: $0) } == nil)
    }
  }

  @Test("contributions read one ahead: each in order, at most one made before it is asked for")
  func prefetched() {
    let made = Mutex<[Int]>([])
    let values = Prefetched(count: 5) { index in
      made.withLock { $0.append(index) }
      return index * index
    }
    // The next is made before it is asked for.
    #expect(values.take(0) == 0)
    let waited = Date()
    while made.withLock({ $0.count }) < 2, Date().timeIntervalSince(waited) < 10 {
      usleep(1000)
    }
    #expect(made.withLock { $0 } == [0, 1])
    for index in 1..<5 {
      #expect(values.take(index) == index * index)
      // Made so far: those taken and at most the next.
      let count = made.withLock { $0.count }
      #expect(count >= index + 1 && count <= min(5, index + 2))
    }
    #expect(made.withLock { $0 } == [0, 1, 2, 3, 4])
    // Asked out of order, a value is made there and then.
    let other = Prefetched(count: 3) { $0 + 10 }
    #expect(other.take(2) == 12 && other.take(0) == 10)
  }

  @Test(
    "a table in subject order is concatenated part after part, one in read order interleaved; a table shorter than its keys is refused"
  )
  func concatenatedTables() throws {
    let root = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: root) }
    /// Writes part `index`'s table `name`: a header, then each row with its key.
    func part(_ index: Int, _ name: String, _ rows: [(String, ShardKey)]) throws {
      let folder = "\(root)/\(index)"
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
      var table = "id,value\n"
      var keys = Array("9 H\n".utf8)
      for (row, key) in rows {
        table += row
        key.appendLine(length: row.utf8.count, to: &keys)
      }
      try table.write(toFile: "\(folder)/\(name)", atomically: false, encoding: .utf8)
      try Data(keys).write(to: URL(fileURLWithPath: "\(folder)/\(name).keys"))
    }
    // Subject keys: ranges in order, the middle part empty.
    try part(1, "s.csv", [("a,1\n", .subject("a")), ("b,2\n", .subject("b"))])
    try part(2, "s.csv", [])
    try part(3, "s.csv", [("c,3\n", .subject("c")), ("d,\"x\ny\"\n", .subject("d"))])
    // Read-order keys: interleaved by position even when asked to concatenate.
    try part(1, "p.csv", [("r1\n", .position(0, 1, 1)), ("r3\n", .position(0, 1, 3))])
    try part(2, "p.csv", [])
    try part(3, "p.csv", [("r2\n", .position(0, 1, 2))])
    let parts = ["\(root)/1", "\(root)/2", "\(root)/3"]
    /// The merged table `name` of `parts`: its rows and its text.
    func merged(_ name: String, _ parts: [String], _ concatenates: Bool) throws -> (Int, String) {
      let path = "\(root)/\(name)-\(parts.count)-\(concatenates)"
      let rows = try ShardMerger.mergeTable(
        name, from: parts, to: path, concatenates: concatenates)
      return (rows, try String(contentsOfFile: path, encoding: .utf8))
    }
    for concatenates in [true, false] {
      let subjects = try merged("s.csv", parts, concatenates)
      #expect(subjects.0 == 4 && subjects.1 == "id,value\na,1\nb,2\nc,3\nd,\"x\ny\"\n")
      let positions = try merged("p.csv", parts, concatenates)
      #expect(positions.0 == 3 && positions.1 == "id,value\nr1\nr2\nr3\n")
    }
    // Concatenated as they are: parts out of subject order stay so (the merge of hash
    // shards, which does not concatenate, puts them in order).
    try part(4, "o.csv", [("a,1\n", .subject("a")), ("c,3\n", .subject("c"))])
    try part(5, "o.csv", [("b,2\n", .subject("b"))])
    for (concatenates, expected) in [(true, "a,1\nc,3\nb,2\n"), (false, "a,1\nb,2\nc,3\n")] {
      let out = try merged("o.csv", ["\(root)/4", "\(root)/5"], concatenates)
      #expect(out.0 == 3 && out.1 == "id,value\n" + expected)
    }
    // A table of no rows in any part: its header.
    try part(6, "e.csv", [])
    try part(7, "e.csv", [])
    let empty = try merged("e.csv", ["\(root)/6", "\(root)/7"], true)
    #expect(empty.0 == 0 && empty.1 == "id,value\n")
    // Bytes beyond what the keys list (copied as they are, unlike rows read by length).
    try "id,value\nc,3\nd,\"x\ny\"\nstray\n".write(
      toFile: "\(root)/3/s.csv", atomically: false, encoding: .utf8)
    #expect(throws: ShardMerger.Problem.self) {
      try ShardMerger.mergeTable("s.csv", from: parts, to: "\(root)/long", concatenates: true)
    }
    // A part's table cut short of what its keys list: refused, naming it.
    try "id,value\nc,3\n".write(toFile: "\(root)/3/s.csv", atomically: false, encoding: .utf8)
    do throws(ShardMerger.Problem) {
      _ = try ShardMerger.mergeTable(
        "s.csv", from: parts, to: "\(root)/cut", concatenates: true)
      Issue.record("a table shorter than its keys was merged")
    } catch {
      #expect(error.description.contains("\(root)/3/s.csv"), "\(error)")
    }
    #expect(!FileManager.default.fileExists(atPath: "\(root)/cut"))
  }

  @Test("the sample pipeline in 4 partitions writes what one run writes, byte for byte")
  func samplePipelineInPartitions() throws {
    let root = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: root) }
    let pipeline = try PipelineLoader.load(file: Repository.path("Pipelines/sample.yml"))
    let whole = PipelineRunner(pipeline: pipeline).run(outputDirectory: root + "/one")
    var said: [String] = []
    let parted = PipelineRunner(pipeline: pipeline, partitions: 4).run(
      outputDirectory: root + "/parts", progress: { said.append($0) })
    #expect(parted.outputFailures.isEmpty)
    // The pages were rendered in the partitions, with the band a first pass drew.
    #expect(said.contains("drawing the cohort band of the patients' pages"))
    let one = try contents(of: root + "/one")
    let parts = try contents(of: root + "/parts")
    #expect(Set(one.keys) == Set(parts.keys))
    #expect(one.keys.contains("samples.csv") && one.keys.contains("rejections.csv"))
    for (name, text) in one where name != "run-summary.json" {
      #expect(parts[name] == text, "\(name) differs")
    }
    // Every file's counts, read once, and every input problem, once.
    #expect(parted.files == whole.files)
    #expect(parted.inputProblems == whole.inputProblems)
    #expect(parted.totals == whole.totals && parted.outputRows == whole.outputRows)
  }

  @Test(
    "the flattened verdict's cohort rule compares each subject with the whole cohort, in partitions and in some subjects' pages; a shard refuses it"
  )
  func cohortRuleSeesTheWholeCohort() throws {
    let root = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: root) }
    _ = try writeCohort(40, in: root)
    for rule in [FlattenedSlopeSettings.CohortRule.zScore, .percentile] {
      var pipeline = Pipeline.adHoc(
        files: [root + "/in/c.csv"], format: nil, profile: nil, outputDirectory: root + "/unused")
      pipeline.analyzers.flattened.cohort = rule
      pipeline.patientReports = true
      let prefix = "\(root)/\(rule.rawValue)"
      let whole = PipelineRunner(pipeline: pipeline, partitions: 1).run(
        outputDirectory: prefix + "-one")
      #expect(whole.outputFailures.isEmpty)
      let parted = PipelineRunner(pipeline: pipeline, partitions: 4).run(
        outputDirectory: prefix + "-parts")
      #expect(parted.outputFailures.isEmpty)
      let one = try contents(of: prefix + "-one")
      let parts = try contents(of: prefix + "-parts")
      #expect(Set(one.keys) == Set(parts.keys))
      for (name, text) in one where name != "run-summary.json" {
        #expect(parts[name] == text, "\(rule): \(name) differs")
      }
      // Every subject compared with all 40, where each partition had held about 10.
      let table = try #require(one["features-subject.csv"])
      #expect(table.components(separatedBy: "40 subjects").count == 41)
      #expect(parted.analysis == whole.analysis)
      // Some subjects' pages, as the whole run wrote them.
      let pages = PipelineRunner(pipeline: pipeline).pages(
        of: ["P007"], outputDirectory: prefix + "-pages")
      #expect(pages.outputFailures.isEmpty)
      let paged = try contents(of: prefix + "-pages")
      for name in ["P007.html", "P007.json", "P007.md"] {
        let path = "reports/patients/" + name
        #expect(paged[path] != nil && paged[path] == one[path], "\(rule): \(name) differs")
      }
      // A shard never sees the other shards' subjects: refused, nothing written.
      let shard = try #require(Shard(index: 1, count: 2))
      let refused = PipelineRunner(pipeline: pipeline, shard: shard).run(
        outputDirectory: prefix + "-shard")
      #expect(
        refused.failures.map(\.description).contains { $0.contains("flattened_slope.cohort") })
      #expect(!FileManager.default.fileExists(atPath: prefix + "-shard/features-subject.csv"))
    }
    // Without the rule a shard runs.
    #expect(
      RunPlan(.shard(try #require(Shard(index: 1, count: 2)))).refusal(
        keepsState: false, comparesCohort: false) == nil)
  }

  @Test(
    "a research export read into columns for the scratch files: in partitions, with pseudonyms and an unsafe id, what one run writes"
  )
  func columnsFromTheReader() throws {
    let root = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: root) }
    // Over a batch of columns (4,096 samples), a subject id a reader refuses, and a label
    // equal to a subject's id (which keeps its text when the subjects get pseudonyms).
    var text = cohort(subjects: 320)
    text += "P\u{202E}321,1,S1,0,9.5\n"
    text += "P001,3,P002,0,9.5\n"
    // One id spelled with a composed and a decomposed accent, apart and side by side: each
    // sample keeps its own bytes (and gets its pseudonym as a whole run gives it).
    text += "Zo\u{E9},1,S1,0,9.5\nP001,4,S1,0,9\nZoe\u{301},1,S2,15,12\n"
    text += "Zoe\u{301},2,S1,0,8\nZo\u{E9},2,S2,15,11\n"
    try FileManager.default.createDirectory(
      atPath: root + "/in", withIntermediateDirectories: true)
    try text.write(toFile: root + "/in/c.csv", atomically: true, encoding: .utf8)
    for key in [nil, [UInt8](repeating: 7, count: 32)] {
      var pipeline = Pipeline.adHoc(
        files: [root + "/in/c.csv"], format: nil, profile: nil, outputDirectory: root + "/unused")
      pipeline.outputs.writeAllTables()
      pipeline.pseudonymizer = key.map { Pseudonymizer(key: $0) }
      let name = key == nil ? "plain" : "pseudonyms"
      let whole = PipelineRunner(pipeline: pipeline, partitions: 1).run(
        outputDirectory: "\(root)/\(name)-one")
      let parted = PipelineRunner(pipeline: pipeline, partitions: 4).run(
        outputDirectory: "\(root)/\(name)-parts")
      #expect(whole.outputFailures.isEmpty && parted.outputFailures.isEmpty)
      let one = try contents(of: "\(root)/\(name)-one")
      let parts = try contents(of: "\(root)/\(name)-parts")
      #expect(Set(one.keys) == Set(parts.keys))
      for (file, text) in one where file != "run-summary.json" {
        #expect(parts[file] == text, "\(name): \(file) differs")
      }
      #expect(parted.files == whole.files && parted.totals == whole.totals)
      let samples = try #require(one["samples.csv"])
      #expect(samples.components(separatedBy: "\n").count - 2 == 320 * 14 + 6)
      #expect(try #require(one["rejections.csv"]).contains("U+202E"))
      // Pseudonyms replace every id, and only ids: the label P002 stays.
      #expect(samples.contains("P001,") == (key == nil))
      #expect(samples.contains(",P002,"))
      if key == nil {
        #expect(samples.utf8.count(where: { $0 == 0xCC }) == 2)  // U+0301 twice
        #expect(samples.contains("Zo\u{E9},"))
      }
    }
  }

  @Test("the cohort rule's percentile: the share at or below, by binary search")
  func percentileCount() {
    let sorted = [-0.2, -0.1, -0.1, -0.05, 0]
    #expect(FlattenedSlopeAnalyzer.countAtOrBelow(-0.1, in: sorted) == 3)
    #expect(FlattenedSlopeAnalyzer.countAtOrBelow(-0.3, in: sorted) == 0)
    #expect(FlattenedSlopeAnalyzer.countAtOrBelow(0, in: sorted) == 5)
    #expect(FlattenedSlopeAnalyzer.countAtOrBelow(-0.07, in: sorted) == 3)
    #expect(FlattenedSlopeAnalyzer.countAtOrBelow(1, in: []) == 0)
  }

  @Test(
    "over settings.run.partition_samples a run partitions itself, and writes what one run writes")
  func automaticPartitions() throws {
    let root = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: root) }
    _ = try writeCohort(30, in: root, name: "c.csv")  // 420 samples, 11 kB
    var pipeline = Pipeline.adHoc(
      files: [root + "/in/c.csv"], format: nil, profile: nil, outputDirectory: root + "/one")
    pipeline.outputs.writeAllTables()
    pipeline.partitionSamples = 0
    let whole = PipelineRunner(pipeline: pipeline).run()
    #expect(whole.notes.isEmpty)
    let one = try contents(of: root + "/one")
    // Partitions that run at once (two, as on two cores) hold the limit together: about
    // twice as many partitions, half as large (ranges of subjects, each whole: the fewest
    // within the limit are a few more than the samples divided by it).
    for (limit, atOnce, partitions) in [(100, 1, 5), (100, 2, 10), (1000, 2, 1)] {
      pipeline.partitionSamples = limit
      let output = "\(root)/limit-\(limit)-\(atOnce)"
      var delivered = 0
      var reading: Date?  // when the input began to be read
      var runner = PipelineRunner(pipeline: pipeline)
      runner.partitionsAtOnce = atOnce
      let parted = runner.run(
        outputDirectory: output, onSample: { _ in delivered += 1 },
        progress: { if reading == nil, $0.hasPrefix("reading ") { reading = Date() } })
      #expect(parted.outputFailures.isEmpty)
      #expect(delivered == 420)
      // The run started before its inputs were read (the partitions' summaries, read back by
      // the merge, keep whole seconds).
      #expect(reading != nil && parted.started <= reading!)
      if partitions > 1 {
        #expect(parted.notes.count == 1)
        #expect(
          parted.notes.first?.hasPrefix(
            "run in \(partitions) partitions of subjects (at most ") == true)
        #expect(
          parted.notes.first?.contains(
            "settings.run.partition_samples: 100), \(atOnce == 1 ? "one" : "2") in memory at a time"
          ) == true)
        let largest = Int(parted.notes[0].split(separator: " ")[8])!
        #expect(largest * atOnce <= 100 && largest >= 420 / partitions)
      } else {
        // Within one partition: a whole run over the samples read once.
        #expect(parted.notes.isEmpty)
      }
      let written = try contents(of: output)
      #expect(Set(written.keys) == Set(one.keys))
      for (name, text) in one where name != "run-summary.json" {
        #expect(written[name] == text, "\(name) differs at \(limit)")
      }
      #expect(parted.totals == whole.totals && parted.outputRows == whole.outputRows)
      #expect(
        try FileManager.default.contentsOfDirectory(atPath: output).allSatisfy {
          !$0.hasPrefix(".neuroendo-staging")
        })
    }
  }

  @Test(
    "an audit over settings.run.partition_samples partitions itself, and writes the whole audit")
  func auditInPartitions() throws {
    let root = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: root) }
    var pipeline = try PipelineLoader.load(file: Repository.path("Pipelines/sample.yml"))
    pipeline.partitionSamples = 0
    let whole = PipelineRunner(pipeline: pipeline).run(
      outputDirectory: root + "/whole", auditOnly: true)
    pipeline.partitionSamples = 40  // the sample data hold 150 samples
    var runner = PipelineRunner(pipeline: pipeline)
    runner.partitionsAtOnce = 1
    let parted = runner.run(
      outputDirectory: root + "/parts", auditOnly: true)
    #expect(parted.outputFailures.isEmpty && parted.auditOnly)
    #expect(
      parted.notes.first?.hasPrefix(
        "run in 5 partitions of subjects (at most 40 samples each") == true,  // 150 samples
      "\(parted.notes)")
    let one = try contents(of: root + "/whole")
    let parts = try contents(of: root + "/parts")
    // What a whole audit writes: the audit and every rejected record (issue 24).
    #expect(
      Set(parts.keys) == [
        "audit.json", "audit.md", "rejections.csv", "run-summary.json", ".neuroendo-outputs",
      ])
    #expect(Set(parts.keys) == Set(one.keys))
    for name in ["audit.json", "audit.md", "rejections.csv"] {
      #expect(parts[name] == one[name], "\(name) differs")
    }
    #expect(parted.files == whole.files && parted.normalization == whole.normalization)
  }

  @Test("a run in 3 partitions writes what one run writes, and leaves no scratch behind")
  func partitions() throws {
    let root = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: root) }
    _ = try writeCohort(30, in: root, name: "c.csv")
    var pipeline = Pipeline.adHoc(
      files: [root + "/in/c.csv"], format: nil, profile: nil, outputDirectory: root + "/one")
    pipeline.outputs.writeAllTables()
    let whole = PipelineRunner(pipeline: pipeline).run()
    var delivered = 0
    var runner = PipelineRunner(pipeline: pipeline, partitions: 3)
    runner.partitionsAtOnce = 2  // on two threads: the samples reach the caller one at a time
    let parted = runner.run(
      outputDirectory: root + "/parts", onSample: { _ in delivered += 1 })
    #expect(parted.outputFailures.isEmpty)
    #expect(
      parted.notes == [
        "run in 3 partitions of subjects (--partitions), 2 in memory at a time, then merged"
      ])
    #expect(delivered == whole.totals.samples)
    let one = try contents(of: root + "/one")
    let parts = try contents(of: root + "/parts")
    #expect(Set(one.keys) == Set(parts.keys))
    for (name, text) in one where name != "run-summary.json" {
      #expect(parts[name] == text, "\(name) differs")
    }
    #expect(parted.normalization == whole.normalization && parted.analysis == whole.analysis)
    #expect(parted.outputRows == whole.outputRows)
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: root).sorted() == ["in", "one", "parts"])
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: root + "/parts").allSatisfy {
        !$0.hasPrefix(".neuroendo-staging")
      })
    // One run at a time: while another holds the output directory, nothing is computed.
    let held = open(root + "/parts/.neuroendo.lock", O_RDWR)
    defer { close(held) }
    #expect(flock(held, LOCK_EX | LOCK_NB) == 0)
    var read = 0
    let busy = PipelineRunner(pipeline: pipeline).run(
      outputDirectory: root + "/parts", onSample: { _ in read += 1 })
    #expect(busy.lockedBy != nil && read == 0)
    flock(held, LOCK_UN)
    // A lock a killed run left (its pid no longer runs) is taken over, and said.
    try "2000000000\n".write(
      toFile: root + "/parts/.neuroendo.lock", atomically: false, encoding: .utf8)
    let next = PipelineRunner(pipeline: pipeline).run(outputDirectory: root + "/parts")
    #expect(next.notes.last?.hasPrefix("took over the output lock left by pid 2000000000") == true)
  }

  @Test("without patient reports: the cohort report only, unlinked; shards merge to the same")
  func withoutPatientReports() throws {
    let root = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: root) }
    _ = try writeCohort(12, in: root, name: "c.csv")
    let yaml = """
      version: 1
      inputs:
        - path: in/c.csv
      settings:
        reports:
          patients: false
      outputs:
        directory: out
        summary: summary.json
      """
    let pipeline = try PipelineLoader.parse(yaml, file: root + "/p.yml")
    #expect(!pipeline.patientReports)
    let (one, merged, summary) = try oneAndMerged(pipeline, count: 2, in: root)
    #expect(
      one.keys.filter { $0.hasPrefix("reports/") }.sorted() == [
        "reports/cohort.html", "reports/cohort.json",
      ])
    #expect(!one["reports/cohort.html"]!.contains("href=\"patients/"))
    #expect(one["reports/cohort.html"]!.contains("<tr><td>P001</td>"))
    #expect(summary.outputRows["reports"] == 0)
    // The pipeline names its summary: the merge finds it and writes the merged one alike.
    #expect(merged.keys.contains("summary.json") && !merged.keys.contains("run-summary.json"))
    for (name, text) in one where name != "summary.json" {
      #expect(merged[name] == text, "\(name) differs")
    }
  }

  @Test("merging refuses what is not the N shards of one run, and writes nothing")
  func refusals() throws {
    let root = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: root) }
    _ = try writeCohort(8, in: root, name: "a.csv")
    let pipeline = Pipeline.adHoc(
      files: [root + "/in/a.csv"], format: nil, profile: nil, outputDirectory: root + "/whole")
    _ = PipelineRunner(pipeline: pipeline).run()
    for index in 1...3 {
      _ = PipelineRunner(pipeline: pipeline, shard: Shard(index: index, count: 3)).run(
        outputDirectory: "\(root)/s\(index)")
    }
    func problem(_ directories: [String]) -> String? {
      guard
        case .failure(let problem) = ShardMerger(directories: directories.map { root + $0 })
          .merge(into: root + "/merged")
      else { return nil }
      return problem.description
    }
    #expect(problem(["/s1", "/s3"])?.hasPrefix("expected shards 1/3 to 3/3, one each") == true)
    #expect(problem(["/s1", "/s2", "/s2"])?.hasPrefix("expected shards 1/3 to 3/3") == true)
    #expect(
      problem(["/whole"])?.hasSuffix("the output of a whole run, not of a shard (--shard K/N)")
        == true)
    #expect(
      problem(["/nowhere"])?.hasSuffix(
        "no shard/manifest.json; not the output of a shard run (--shard K/N)") == true)
    #expect(problem(["/s1", "/s2", "/s3"]) == nil)
    // A shard that read other inputs (the file changed between shards).
    _ = try writeCohort(9, in: root, name: "a.csv")
    var late = pipeline
    let second = Shard(index: 2, count: 3)
    _ = PipelineRunner(pipeline: late, shard: second).run(outputDirectory: root + "/s2")
    #expect(problem(["/s1", "/s2", "/s3"])?.contains("read different inputs") == true)
    // A shard run with other settings, or without patient reports, is not of this run.
    _ = try writeCohort(8, in: root, name: "a.csv")
    late.analyzers.flattened.threshold = -0.04
    _ = PipelineRunner(pipeline: late, shard: second).run(outputDirectory: root + "/s2")
    #expect(problem(["/s1", "/s2", "/s3"])?.contains("ran with different settings") == true)
    late.analyzers.flattened.threshold = pipeline.analyzers.flattened.threshold
    late.patientReports = !pipeline.patientReports
    _ = PipelineRunner(pipeline: late, shard: second).run(outputDirectory: root + "/s2")
    #expect(problem(["/s1", "/s2", "/s3"])?.contains("ran with different settings") == true)
    late.patientReports = pipeline.patientReports
    _ = PipelineRunner(pipeline: late, shard: second).run(outputDirectory: root + "/s2")
    #expect(problem(["/s1", "/s2", "/s3"]) == nil)
    // The first merge is still there, untouched by the refused ones.
    #expect(FileManager.default.fileExists(atPath: root + "/merged/run-summary.json"))
    // A shard run keeps no state.
    var stateful = pipeline
    stateful.state = root + "/state"
    let refused = PipelineRunner(pipeline: stateful, shard: Shard(index: 1, count: 2)).run(
      outputDirectory: root + "/st")
    #expect(refused.outputFailures.first?.hasPrefix("a shard run (--shard) keeps no state") == true)
  }

  @Test("a subject's shard is FNV-1a 64 of its id modulo N, the same everywhere")
  func stableHash() {
    // The published FNV-1a 64 vectors: "" is the offset basis, "a" is 0xaf63dc4c8601ec8c.
    #expect(
      Shard.bucket(of: "", count: 1_000_000_007)
        == Int(UInt64(0xcbf2_9ce4_8422_2325) % 1_000_000_007))
    #expect(
      Shard.bucket(of: "a", count: 1_000_000_007)
        == Int(UInt64(0xaf63_dc4c_8601_ec8c) % 1_000_000_007))
    #expect(Shard("2/4") == Shard(index: 2, count: 4))
    #expect(Shard("0/4") == nil && Shard("5/4") == nil && Shard("1/0") == nil && Shard("x") == nil)
    // Ids that Swift holds equal (one subject in one run) share a shard: composed or not.
    for count in 2...9 {
      #expect(
        Shard.bucket(of: "Jos\u{E9}-7", count: count)
          == Shard.bucket(of: "Jose\u{301}-7", count: count))
    }
    // Every subject lands in exactly one of N shards.
    for subject in ["P001", "s01", "C-501", "Ünïcode-7", ""] {
      let holding = (1...5).filter { Shard(index: $0, count: 5)!.contains(subject: subject) }
      #expect(holding.count == 1)
    }
  }
}
