import Foundation
import Testing

@testable import NeuroEndoKit

/// A LIS export of one subject's morning and afternoon cortisol.
private func export(_ subject: String) -> String {
  [lisHeader, cortisolLine(subject, "400", hour: 8), cortisolLine(subject, "120", hour: 15)]
    .joined(separator: "\n")
}

@Suite("Planted files: nothing outside the outputs is touched (issue 21)")
struct PlantedFileTests {
  @Test("a symbolic link planted as the lock file is refused, its target left as it was")
  func symlinkedLock() throws {
    let scratch = try Scratch()
    try scratch.put("a.csv", export("A1"))
    try FileManager.default.createDirectory(
      atPath: scratch.path("out"), withIntermediateDirectories: true)
    try "precious\n".write(toFile: scratch.path("precious.txt"), atomically: true, encoding: .utf8)
    try FileManager.default.createSymbolicLink(
      atPath: scratch.path("out/.neuroendo.lock"), withDestinationPath: scratch.path("precious.txt")
    )
    let summary = PipelineRunner(pipeline: try scratch.pipeline()).run()
    #expect(!summary.isComplete)
    #expect(summary.outputFailures.first?.contains(".neuroendo.lock") == true)
    #expect(
      try String(contentsOfFile: scratch.path("precious.txt"), encoding: .utf8) == "precious\n")
  }

  @Test("a journal naming ../ or files outside its manifest is not followed")
  func hostileJournal() throws {
    let scratch = try Scratch()
    try scratch.put("a.csv", export("A1"))
    let pipeline = try scratch.pipeline()
    #expect(PipelineRunner(pipeline: pipeline).run().isComplete)
    // Outside the output directory: a file the journal tries to have renamed over.
    try "precious\n".write(toFile: scratch.path("precious.txt"), atomically: true, encoding: .utf8)
    try FileManager.default.createDirectory(
      atPath: scratch.path("out/.neuroendo-staging-evil"), withIntermediateDirectories: true)
    try "evil\n".write(
      toFile: scratch.path("out/.neuroendo-staging-evil/x"), atomically: true, encoding: .utf8)
    for journal in [
      ".neuroendo-staging-evil\n../precious.txt\n", "../../\n../precious.txt\n",
      ".neuroendo-staging-evil\nx\n", "/tmp\nprecious.txt\n",
    ] {
      try journal.write(
        toFile: scratch.path("out/.neuroendo-publish"), atomically: true, encoding: .utf8)
      let notes = OutputPublisher.recover(scratch.path("out"), outputNames: pipeline.outputs.names)
      #expect(notes.count == 1, "\(journal)")
      #expect(!FileManager.default.fileExists(atPath: scratch.path("out/x")))
      #expect(
        try String(contentsOfFile: scratch.path("precious.txt"), encoding: .utf8) == "precious\n")
    }
  }

  @Test("an output directory holding files NeuroEndo did not write is refused, untouched")
  func foreignDirectory() throws {
    let scratch = try Scratch()
    try scratch.put("a.csv", export("A1"))
    // A project folder: its own reports/ and a temporary file of an editor.
    let project = scratch.path("project")
    try FileManager.default.createDirectory(
      atPath: project + "/reports", withIntermediateDirectories: true)
    try "draft".write(toFile: project + "/reports/draft.md", atomically: true, encoding: .utf8)
    try "swap".write(toFile: project + "/.notes.txt.1234.tmp", atomically: true, encoding: .utf8)
    try "readme".write(toFile: project + "/README.md", atomically: true, encoding: .utf8)
    let before = scratch.files(under: "project")
    let summary = PipelineRunner(pipeline: try scratch.pipeline()).run(outputDirectory: project)
    #expect(!summary.isComplete)
    #expect(summary.outputFailures.first?.contains("holds files NeuroEndo did not write") == true)
    #expect(scratch.files(under: "project") == before)
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: project).sorted() == [
        ".notes.txt.1234.tmp", "README.md", "reports",
      ])
  }

  @Test("a planted staging link and foreign temporary files: the link goes, never its target")
  func plantedStaging() throws {
    let scratch = try Scratch()
    try scratch.put("a.csv", export("A1"))
    let pipeline = try scratch.pipeline()
    #expect(PipelineRunner(pipeline: pipeline).run().isComplete)
    let outside = scratch.path("outside")
    try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
    try "keep".write(toFile: outside + "/data.csv", atomically: true, encoding: .utf8)
    try FileManager.default.createSymbolicLink(
      atPath: scratch.path("out/.neuroendo-staging-planted"), withDestinationPath: outside)
    // A temporary name of no output of ours is not ours to remove.
    try "x".write(toFile: scratch.path("out/.foreign.1.tmp"), atomically: true, encoding: .utf8)
    try "x".write(
      toFile: scratch.path("out/.findings.csv.77.tmp"), atomically: true, encoding: .utf8)
    #expect(PipelineRunner(pipeline: pipeline).run().isComplete)
    #expect(try String(contentsOfFile: outside + "/data.csv", encoding: .utf8) == "keep")
    #expect(FileManager.default.fileExists(atPath: scratch.path("out/.foreign.1.tmp")))
    #expect(!FileManager.default.fileExists(atPath: scratch.path("out/.findings.csv.77.tmp")))
  }

  @Test("a temporary name planted as a link is not followed when a file is written")
  func plantedTemporaryLink() throws {
    let scratch = try Scratch()
    try "precious\n".write(toFile: scratch.path("precious.txt"), atomically: true, encoding: .utf8)
    try FileManager.default.createDirectory(
      atPath: scratch.path("out"), withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(
      atPath: scratch.path("out/.table.csv.\(getpid()).tmp"),
      withDestinationPath: scratch.path("precious.txt"))
    #expect(throws: OutputError.self) {
      try AtomicFileWriter.write("overwritten\n", to: scratch.path("out/table.csv"))
    }
    #expect(
      try String(contentsOfFile: scratch.path("precious.txt"), encoding: .utf8) == "precious\n")
  }

  @Test(
    "a page written under its own name in staging: a link or a file planted there is refused and left as it was; the page is owner-only"
  )
  func plantedStagedName() throws {
    let scratch = try Scratch()
    try "precious\n".write(toFile: scratch.path("precious.txt"), atomically: true, encoding: .utf8)
    try FileManager.default.createDirectory(
      atPath: scratch.path("staging"), withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(
      atPath: scratch.path("staging/p1.html"), withDestinationPath: scratch.path("precious.txt"))
    try "theirs\n".write(toFile: scratch.path("staging/p2.html"), atomically: true, encoding: .utf8)
    for name in ["p1.html", "p2.html"] {
      #expect(throws: OutputError.self) {
        try StagedFile.write(Array("overwritten\n".utf8), to: scratch.path("staging/\(name)"))
      }
    }
    #expect(
      try String(contentsOfFile: scratch.path("precious.txt"), encoding: .utf8) == "precious\n")
    #expect(
      try String(contentsOfFile: scratch.path("staging/p2.html"), encoding: .utf8) == "theirs\n")
    try StagedFile.write(Array("page\n".utf8), to: scratch.path("staging/p3.html"))
    #expect(
      try String(contentsOfFile: scratch.path("staging/p3.html"), encoding: .utf8) == "page\n")
    let mode =
      try FileManager.default.attributesOfItem(atPath: scratch.path("staging/p3.html"))[
        .posixPermissions] as? Int
    #expect(mode == 0o600)
  }
}

@Suite("A page's name already taken in staging")
struct TakenPageNameTests {
  @Test(
    "that subject goes without pages, named with why; its other files go; the others' pages and the planted file stay"
  )
  func takenName() throws {
    let scratch = try Scratch()
    let pipeline = try PipelineLoader.load(file: Repository.path("Pipelines/sample.yml"))
    let run = PipelineRunner(pipeline: pipeline).run(outputDirectory: scratch.path("run"))
    #expect(run.isComplete)
    let models = scratch.path("run/reports/patients")
    let reports = try FileManager.default.contentsOfDirectory(atPath: models)
      .filter { $0.hasSuffix(".json") && !$0.hasSuffix(".fhir.json") }.sorted()
      .map {
        try JSONDecoder().decode(
          PatientReport.self, from: Data(contentsOf: URL(fileURLWithPath: models + "/" + $0)))
      }
    #expect(reports.count >= 3)
    let victim = reports[1].subjectID
    let base = PatientReport.fileName(victim)
    let staged = scratch.path("staged")
    try FileManager.default.createDirectory(
      atPath: staged + "/reports/patients", withIntermediateDirectories: true)
    try "theirs\n".write(
      toFile: staged + "/reports/patients/\(base).md", atomically: true, encoding: .utf8)
    var summary = RunSummary(pipeline: "p", started: Date(), finished: Date(), files: [])
    let writer = OutputWriter(pipeline: pipeline, shard: nil, directory: staged)
    #expect(writer.reports(reports, findings: [:], cohort: nil, into: &summary))
    #expect(summary.quarantined.map(\.subject) == [victim])
    #expect(summary.quarantined.first?.reason.contains("already there: \(base).md") == true)
    #expect(summary.outputRows["reports"] == reports.count - 1)
    let left = try FileManager.default.contentsOfDirectory(atPath: staged + "/reports/patients")
    #expect(left.filter { $0.hasPrefix(base + ".") } == [base + ".md"])
    #expect(
      try String(contentsOfFile: staged + "/reports/patients/\(base).md", encoding: .utf8)
        == "theirs\n")
    for report in reports where report.subjectID != victim {
      #expect(left.contains(PatientReport.fileName(report.subjectID) + ".html"))
    }
  }
}

@Suite("Planted files, after review (issue 21)")
struct PlantedFileReviewTests {
  @Test("a folder holding only a reports/ of one's own is not taken for an earlier run's")
  func ownReportsFolder() throws {
    let scratch = try Scratch()
    try scratch.put("a.csv", export("A1"))
    try FileManager.default.createDirectory(
      atPath: scratch.path("out/reports"), withIntermediateDirectories: true)
    try "mine".write(
      toFile: scratch.path("out/reports/notes.md"), atomically: true, encoding: .utf8)
    let summary = PipelineRunner(pipeline: try scratch.pipeline()).run()
    #expect(summary.outputFailures.first?.contains("did not write (reports)") == true)
    #expect(
      try String(contentsOfFile: scratch.path("out/reports/notes.md"), encoding: .utf8) == "mine")
  }

  @Test("a symbolic link planted as the reports folder is refused; its target is untouched")
  func symlinkedReports() throws {
    let scratch = try Scratch()
    try scratch.put("a.csv", export("A1"))
    let pipeline = try scratch.pipeline()
    #expect(PipelineRunner(pipeline: pipeline).run().isComplete)
    let outside = scratch.path("www")
    try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
    try "page".write(toFile: outside + "/index.html", atomically: true, encoding: .utf8)
    try FileManager.default.removeItem(atPath: scratch.path("out/reports"))
    try FileManager.default.createSymbolicLink(
      atPath: scratch.path("out/reports"), withDestinationPath: outside)
    let summary = PipelineRunner(pipeline: pipeline).run()
    #expect(!summary.isComplete)
    #expect(summary.outputFailures.contains { $0.contains("symbolic link is in the way") })
    #expect(try FileManager.default.contentsOfDirectory(atPath: outside) == ["index.html"])
  }
}
