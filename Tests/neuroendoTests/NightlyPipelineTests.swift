import Foundation
import Testing

@Suite("Pipelines/nightly.yml reads the sample exports as sample.yml does (issue 24, point 8)")
struct NightlyPipelineTests {
  @Test("over SampleData's lab exports in one inbox, nightly.yml finds what sample.yml finds")
  func sameFindings() throws {
    let manager = FileManager.default
    let base = manager.temporaryDirectory.appendingPathComponent("neuroendo-nightly-\(UUID())")
    defer { try? manager.removeItem(at: base) }
    let pipelines = base.appendingPathComponent("Pipelines")
    try manager.createDirectory(at: pipelines, withIntermediateDirectories: true)
    try manager.copyItem(
      at: root.appendingPathComponent("Pipelines/nightly.yml"),
      to: pipelines.appendingPathComponent("nightly.yml"))
    try manager.copyItem(
      at: root.appendingPathComponent("Pipelines/profiles"),
      to: pipelines.appendingPathComponent("profiles"))
    // The lab systems drop their exports into one inbox.
    let inbox = base.appendingPathComponent("inbox")
    try manager.createDirectory(at: inbox, withIntermediateDirectories: true)
    for folder in ["lis", "fhir", "json"] {
      let source = root.appendingPathComponent("SampleData/\(folder)")
      for name in try manager.contentsOfDirectory(atPath: source.path) {
        try manager.copyItem(
          at: source.appendingPathComponent(name), to: inbox.appendingPathComponent(name))
      }
    }
    let nightly = pipelines.appendingPathComponent("nightly.yml").path
    #expect(try neuroendo(["validate", nightly]).status == 0)
    let night = try neuroendo(["run", nightly])
    #expect(night.status == 0, "\(night.output)\(night.error)")
    let sampleOut = base.appendingPathComponent("sample-out")
    let sample = try neuroendo(["run", "Pipelines/sample.yml", "--out", sampleOut.path])
    #expect(sample.status == 0)
    func rows(_ file: URL) throws -> [String] {
      try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map(String.init).sorted()
    }
    let fromNightly = try rows(base.appendingPathComponent("out/findings.csv"))
    let fromSample = try rows(sampleOut.appendingPathComponent("findings.csv"))
    #expect(fromNightly.count > 20)
    #expect(fromNightly == fromSample)
    // The dexamethasone test is judged, not "not judged": the City Lab profile read it.
    #expect(fromNightly.contains { $0.contains("normal-suppression") })
  }
}
