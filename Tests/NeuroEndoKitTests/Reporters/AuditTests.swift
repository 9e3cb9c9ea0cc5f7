import Foundation
import Testing

@testable import NeuroEndoKit

@Suite("Data-quality audit")
struct AuditTests {
  @Test(
    "SHA-256 test vectors of FIPS 180-4",
    arguments: [
      ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
      ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
      (
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
      ),
    ])
  func vectors(text: String, digest: String) {
    #expect(SHA256.hex(Array(text.utf8)) == digest)
  }

  @Test("a million 'a' streamed in uneven pieces digests as one")
  func streamed() {
    var hasher = SHA256.Hasher()
    let piece = [UInt8](repeating: UInt8(ascii: "a"), count: 999)
    var left = 1_000_000
    while left > 0 {
      let count = min(piece.count, left)
      piece[0..<count].withUnsafeBytes { hasher.update($0) }
      left -= count
    }
    #expect(hasher.finish() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
  }

  @Test("the sample run's audit: every file with size, digest and counts that add up")
  func sampleAudit() throws {
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID())")
    defer { try? FileManager.default.removeItem(at: output) }
    let pipeline = try PipelineLoader.load(file: Repository.path("Pipelines/sample.yml"))
    let summary = PipelineRunner(pipeline: pipeline).run(outputDirectory: output.path)
    let data = try Data(contentsOf: output.appendingPathComponent("audit.json"))
    let audit = try JSONDecoder().decode(AuditReport.self, from: data)
    #expect(audit.schema == "neuroendo-audit" && audit.schemaVersion == "1.0")
    #expect(!audit.valid)  // the sample exports hold rejected records on purpose
    #expect(audit.files.count == summary.files.count)
    for file in audit.files {
      let counts = file.counts
      #expect(counts.records == counts.accepted + counts.partial + counts.rejected + counts.skipped)
      let bytes = try #require(file.bytes)
      let contents = try Data(contentsOf: URL(fileURLWithPath: file.path))
      #expect(bytes == contents.count)
      #expect(file.sha256 == SHA256.hex(Array(contents)))
    }
    let wide = try #require(audit.files.first { $0.path.hasSuffix("car-wide-2026.csv") })
    #expect(
      wide.emptyCellsByColumn == [
        "wake_0": 1, "wake_15": 2, "wake_30": 2, "wake_45": 1, "wake_60": 1,
      ])
    let labnord = try #require(
      audit.files.first { $0.path.hasSuffix("labnord-results-2026-03-15.csv") })
    #expect(
      labnord.rejections.map(\.reason) == ["unknown-test-code", "unknown-unit", "unparsable-time"])
    #expect(labnord.rejections.first?.locations.first?.record == 5)
    // Record 13's value was not measured: an empty cell, its row passed over.
    #expect(labnord.emptyCellLocations.first?.record == 13)
    #expect(labnord.dialect?.delimiter == ";" && labnord.dialect?.decimal == "comma")
    let bundle = try #require(
      audit.files.first { $0.path.hasSuffix("hospital-export-2026-03-15.json") })
    #expect(
      bundle.skipped.map(\.reason) == [
        "DiagnosticReport", "Observation 2951-2", "Patient", "Specimen",
      ])
    #expect(audit.dataset.protocolCompliance["waking-delay-none"] == 13)
    #expect(audit.dataset.slots["cortisol"]?["S2"] != nil)
    #expect(audit.dataset.plausibility.map(\.reason).contains("below-detection"))
    #expect(audit.settings["analyze.feedback.morning_window"] == "[7, 10]")
    #expect(audit.settings["normalize.time_zone"] == "Europe/Berlin")
    let markdown = try String(
      contentsOf: output.appendingPathComponent("audit.md"), encoding: .utf8)
    #expect(
      markdown.contains(
        "- rejected 1 × `unknown-unit`: unknown unit 'mIE/l'; at record 21 column 'Unit'"))
  }

  @Test("labels counted in a short list, then in a dictionary, as a dictionary counts them")
  func labelTally() {
    var tally = LabelTally()
    var reference: [String: Int] = [:]
    // A protocol's labels over and over, then more labels than the list holds, and one
    // label written composed and decomposed (one label, as a dictionary's key).
    var labels = (0..<300).map { "S\($0 % 9 + 1)" }
    labels += (0..<(LabelTally.listed + 8)).map { "L\($0)" } + ["caf\u{E9}", "cafe\u{301}"]
    labels += (0..<50).map { "S\($0 % 9 + 1)" }
    for (index, label) in labels.enumerated() {
      tally.count(label)
      reference[label, default: 0] += 1
      if index == 299 { #expect(tally.counts == reference) }
    }
    #expect(tally.counts == reference)
    #expect(tally.counts["caf\u{E9}"] == 2)
    #expect(tally.counts["S1"] == 34 + 6)
  }
}
