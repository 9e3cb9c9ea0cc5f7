import Foundation
import Testing

/// The files of a directory, by path relative to it.
private func tree(_ directory: URL) throws -> [String: Data] {
  var files: [String: Data] = [:]
  let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)
  while let url = enumerator?.nextObject() as? URL {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory),
      !isDirectory.boolValue
    else { continue }
    let relative = String(url.path.dropFirst(directory.path.count + 1))
    files[relative] = try Data(contentsOf: url)
  }
  return files
}

/// The reports and tables a run writes: everything but the run summary (which records the
/// real finish time and the output paths) and the lock (the process that held it).
private func reportsAndTables(_ directory: URL) throws -> [String: Data] {
  try tree(directory).filter { $0.key != "run-summary.json" && !$0.key.hasPrefix(".neuroendo") }
}

/// One patient per form, the cohort report and the main tables: what a change to a
/// renderer shows in review (issue 23, point 6).
private let goldenFiles = [
  "reports/patients/C-501.json", "reports/patients/C-501.md", "reports/patients/C-501.html",
  "reports/patients/C-501.fhir.json", "reports/patients/W101.html", "reports/patients/W101.md",
  "reports/cohort.html", "reports/cohort.json", "findings.csv", "features-subject-day.csv",
]

@Suite("Reproducible runs (issue 23, point 6)", .serialized)
struct ReproducibleRunTests {
  @Test("two runs with SOURCE_DATE_EPOCH write the same reports and tables, byte for byte")
  func sameBytes() throws {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent(
      "neuroendo-repro-\(UUID())")
    defer { try? FileManager.default.removeItem(at: base) }
    let environment = ["SOURCE_DATE_EPOCH": "1773900000"]
    var outputs: [[String: Data]] = []
    for name in ["first", "second"] {
      let out = base.appendingPathComponent(name)
      let run = try neuroendo(
        ["run", "Pipelines/sample.yml", "--out", out.path], environment: environment)
      #expect(run.status == 1 || run.status == 0, "\(run.error)")
      outputs.append(try reportsAndTables(out))
    }
    #expect(outputs[0].count > 100)
    #expect(Set(outputs[0].keys) == Set(outputs[1].keys))
    for (name, data) in outputs[0] {
      #expect(outputs[1][name] == data, "\(name) differs between the two runs")
    }
    // The report date and the run are the epoch's: 1773900000 is 2026-03-19T06:00:00Z.
    let page = String(decoding: outputs[0]["reports/patients/C-501.html"] ?? Data(), as: UTF8.self)
    #expect(page.contains("2026-03-19T06:00:00Z"))
    #expect(page.contains("run 20260319T060000Z."))

    // The golden files: the same bytes, or, with NEUROENDO_UPDATE_GOLDEN=1, written anew
    // for review.
    let golden = root.appendingPathComponent("Tests/neuroendoTests/Golden")
    let update = ProcessInfo.processInfo.environment["NEUROENDO_UPDATE_GOLDEN"] == "1"
    for name in goldenFiles {
      let data = try #require(outputs[0][name], "\(name) was not written")
      let file = golden.appendingPathComponent(name.replacingOccurrences(of: "/", with: "__"))
      if update {
        try FileManager.default.createDirectory(at: golden, withIntermediateDirectories: true)
        try data.write(to: file)
      } else {
        let expected = try Data(contentsOf: file)
        #expect(
          data == expected,
          "\(name) differs from its golden file; review the change and run with NEUROENDO_UPDATE_GOLDEN=1"
        )
      }
    }
  }
}
