import Foundation
import Testing

@Suite("One file, one reader (issue 24, point 1)")
struct OneReaderTests {
  let base = FileManager.default.temporaryDirectory.appendingPathComponent(
    "neuroendo-one-reader-\(UUID())")

  /// An inbox with two exports and a pipeline whose two inputs' globs overlap.
  func setUp(exclude: String? = nil) throws -> URL {
    let inbox = base.appendingPathComponent("inbox")
    try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
    let header = "patient_id,test_code,value,unit,collected_at"
    try [header, "A-1,3016-3,2.1,mIU/L,2026-03-14T08:00:00+01:00"].joined(separator: "\n")
      .write(to: inbox.appendingPathComponent("labnord-1.csv"), atomically: true, encoding: .utf8)
    try [header, "B-2,3016-3,2.4,mIU/L,2026-03-14T08:00:00+01:00"].joined(separator: "\n")
      .write(to: inbox.appendingPathComponent("other-1.csv"), atomically: true, encoding: .utf8)
    let pipeline = base.appendingPathComponent("nightly.yml")
    try """
    version: 1
    inputs:
      - name: everything
        path: inbox
        glob: "*.csv"
    \(exclude.map { "    exclude: \($0)" } ?? "")
      - name: labnord
        path: inbox
        glob: "labnord-*.csv"
    outputs:
      directory: out
    """.write(to: pipeline, atomically: true, encoding: .utf8)
    return pipeline
  }

  @Test("two inputs matching one file: validate and run refuse (64), naming the file and both")
  func refused() throws {
    defer { try? FileManager.default.removeItem(at: base) }
    let pipeline = try setUp()
    for command in [["validate", pipeline.path], ["run", pipeline.path]] {
      let result = try neuroendo(command)
      #expect(result.status == 64, "\(command): \(result.error)")
      #expect(
        result.error.contains(
          "labnord-1.csv is matched by input 'everything' and by input 'labnord'"))
      #expect(!result.error.contains("other-1.csv"))
    }
    #expect(!FileManager.default.fileExists(atPath: base.appendingPathComponent("out").path))
  }

  @Test("an exclude: pattern leaves the file to one input: each file read once")
  func excluded() throws {
    defer { try? FileManager.default.removeItem(at: base) }
    let pipeline = try setUp(exclude: "[\"labnord-*.csv\"]")
    #expect(try neuroendo(["validate", pipeline.path]).status == 0)
    let run = try neuroendo(["run", pipeline.path])
    #expect(run.status == 0, "\(run.error)")
    let summary =
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: base.appendingPathComponent("out/run-summary.json")))
      as! [String: Any]
    let files = (summary["files"] as! [[String: Any]]).map { $0["file"] as! String }
    #expect(files.count == 2 && Set(files).count == 2)
  }
}
