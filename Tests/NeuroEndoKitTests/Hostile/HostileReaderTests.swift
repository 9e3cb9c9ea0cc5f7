import Foundation
import Testing

@testable import NeuroEndoKit

/// Reads a FHIR document held in memory.
private func readFHIR(text: String) -> ReadResult {
  var samples: [Sample] = []
  var rejections: [Rejection] = []
  let bytes = Array(text.utf8)
  let summary = bytes.withUnsafeBytes { buffer in
    FHIRReader().read(
      bytes: buffer, name: "inline.json", onSample: { samples.append($0) },
      onRejection: { rejections.append($0) })
  }
  return ReadResult(samples: samples, rejections: rejections, summary: summary)
}

/// An Observation entry of TSH (3016-3) for `reference`.
private func observation(_ reference: String, value: String = "2.1") -> String {
  """
  {"resource": {"resourceType": "Observation", "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "3016-3"}]},
    "subject": {"reference": "\(reference)"}, "effectiveDateTime": "2026-03-14T08:00:00Z",
    "valueQuantity": {"value": \(value), "unit": "mIU/L"}}}
  """
}

@Suite("Hostile input to the readers (issue 21)")
struct HostileReaderTests {
  @Test(
    "FHIR patient references resolve whole: versions, absolute URLs and urn:uuid agree",
    arguments: [
      ("Patient/123/_history/1", "123"),
      ("Patient/456/_history/1", "456"),
      ("Patient/123", "123"),
      ("https://lab.example/fhir/Patient/123", "123"),
      ("https://lab.example/fhir/Patient/123/_history/7", "123"),
      ("urn:uuid:6f1c1c55-1b7a-4b8e-9a43-2f1d0f8e0a11", "123"),
      // A uuid of no Patient in the file stays whole; so does a reference of another kind.
      (
        "urn:uuid:00000000-0000-4000-8000-000000000000",
        "urn:uuid:00000000-0000-4000-8000-000000000000"
      ),
      ("Group/7", "Group/7"),
    ])
  func patientReferences(reference: String, subject: String) {
    let bundle = """
      {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:6f1c1c55-1b7a-4b8e-9a43-2f1d0f8e0a11",
         "resource": {"resourceType": "Patient", "id": "123", "gender": "female"}},
        \(observation(reference))]}
      """
    let result = readFHIR(text: bundle)
    #expect(result.samples.map(\.subjectID) == [subject])
    // Patient 123's gender reaches every reference that names it.
    #expect(
      result.samples.first?.attributes["gender"] == (subject == "123" ? "female" : nil))
  }

  @Test("two versioned references to two patients stay two patients")
  func versionedReferencesStayApart() {
    let bundle = """
      {"resourceType": "Bundle", "type": "collection", "entry": [
        \(observation("Patient/123/_history/1")), \(observation("Patient/456/_history/1"))]}
      """
    #expect(readFHIR(text: bundle).samples.map(\.subjectID) == ["123", "456"])
  }

  @Test(
    "the duplicate-key check is linear: a 200,000-key object takes a bounded count of comparisons")
  func duplicateKeysLinear() {
    let count = 200_000
    var text = "{"
    for index in 0..<count { text += "\"k\(index)\":1," }
    text += "\"k17\":2,\"k199999\":3}"
    let check = JSONShapeCheck(Array(text.utf8), base: "", limit: 1 << 20)
    #expect(check.duplicateKeys == ["k17", "k199999"])
    // Quadratic would be count² / 2 = 2e10; linear is a few per key.
    #expect(check.comparisons <= 2 * (count + 2))
    // Small objects are compared one by one, and their duplicates found alike.
    let small = JSONShapeCheck(
      Array(#"{"a": {"b": 1, "b": 2}, "c": [{"d": 1}, {"d": 2}], "a": 3}"#.utf8), base: "x",
      limit: 100)
    #expect(small.duplicateKeys == ["x.a.b", "x.a"])
  }

  @Test("a million-key object is read in seconds, its duplicate named")
  func millionKeys() {
    var text = #"{"resourceType": "Observation", "#
    for index in 0..<1_000_000 { text += "\"k\(index)\":1," }
    text += "\"k5\":2}"
    let result = readFHIR(text: text)
    #expect(result.summary.records == 1)
    #expect(
      result.summary.warnings.contains { $0.contains("duplicate JSON key") && $0.contains("k5") })
  }
}

@Suite("Spreadsheet- and markup-safe outputs (issue 21)")
struct SafeOutputTests {
  @Test(
    "CSV cells that a spreadsheet would run as formulas are neutralized; numbers are not",
    arguments: [
      ("=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\""),
      ("+1+cmd", "'+1+cmd"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
      ("\tx", "'\tx"), ("\rx", "\"'\rx\""), ("-", "'-"),
      ("-0.42", "-0.42"), ("+3", "+3"), ("-1e-5", "-1e-5"), ("-.5", "-.5"), ("C-501", "C-501"),
      ("", ""), ("a=b", "a=b"),
    ])
  func formulas(cell: String, written: String) {
    #expect(CSVTableWriter.line([cell, "1"]) == written + ",1\n")
    #expect(CSVTableWriter.quote(cell) == written)
  }

  @Test("Markdown shows ids and labels as text: no HTML, link or row break gets through")
  func markdown() {
    #expect(
      MarkdownText.inline("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;")
    #expect(MarkdownText.inline("[x](javascript:1)|y\n# z") == "\\[x\\](javascript:1)\\|y # z")
    #expect(MarkdownText.inline("C-501") == "C-501")
  }

  @Test(
    "subject ids with NUL, line breaks or bidirectional controls are rejected with a reason",
    arguments: ["A\u{0}1", "A\n1", "A\u{202E}1", "A\u{2066}1", "A\u{200F}", "A\u{061C}"])
  func unsafeIDs(subject: String) {
    let result = read(
      text: """
        patient_id,test_code,value,unit,collected_at
        "\(subject)",2143-6,300,nmol/L,2026-03-14T08:00:00+01:00
        P2,2143-6,300,nmol/L,2026-03-14T08:00:00+01:00
        """)
    #expect(result.reasons == ["invalid-subject-id"])
    #expect(result.samples.map(\.subjectID) == ["P2"])
    #expect(result.summary.records == 2)
    #expect(result.summary.rejectedRecords == 1)
  }
}

@Suite("Smaller gaps of issue 21")
struct SmallerGapTests {
  @Test("a FHIR value of 1e-400 is rejected as value-underflow, as in CSV; 1e-5 is read")
  func fhirUnderflow() {
    let bundle = """
      {"resourceType": "Bundle", "type": "collection", "entry": [
        \(observation("Patient/1", value: "1e-400")), \(observation("Patient/2", value: "1e-5")),
        \(observation("Patient/3", value: "0.0"))]}
      """
    let result = readFHIR(text: bundle)
    #expect(result.reasons == ["value-underflow"])
    #expect(result.rejections.first?.location.path == "entry[0].resource.valueQuantity.value")
    #expect(result.samples.map(\.subjectID) == ["2", "3"])
  }

  @Test("a YAML alias bomb, in values or as mapping keys, is refused, not expanded")
  func aliasBomb() {
    // Aliases as values of block mappings stay allowed.
    #expect(
      ConfigReader.aliasInKey("a: &x 1\nb: *x\nc:\n  - *x\n\"*q\": 2 # *c: 3\n") == nil)
    #expect(ConfigReader.aliasInKey("a: 1\n*x : 2\n") == 2)
    #expect(ConfigReader.aliasInKey("a: 1\n? *x\n: 2\n") == 2)
    #expect(ConfigReader.aliasInKey("m: {*x: 1}\n") == 1)
    var yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
    for level in 1..<9 {
      let previous = "*a\(level - 1)"
      yaml +=
        "a\(level): &a\(level) [\(Array(repeating: previous, count: 10).joined(separator: ", "))]\n"
    }
    let asKey = yaml + "version: 1\n? *a8\n: 1\n"
    for text in [yaml + "version: 1\nb: *a8\n", asKey] {
      #expect(throws: ConfigIssues.self) {
        try PipelineLoader.parse(text, file: "/tmp/bomb.yml")
      }
      do {
        _ = try PipelineLoader.parse(text, file: "/tmp/bomb.yml")
      } catch {
        #expect(
          error.description.contains(
            text == asKey ? "stands in a mapping key" : "aliases are expanded"))
      }
    }
  }

  @Test("outputs of one name, or of a name NeuroEndo keeps, fail validation")
  func outputNames() {
    for outputs in [
      "findings: same.csv\n  audit: same.csv", "findings: Same.csv\n  audit: same.csv",
      "findings: .neuroendo-outputs", "reports: shard", "summary: ..",
    ] {
      let text = """
        version: 1
        inputs:
          - path: inbox
        outputs:
          directory: out
          \(outputs)
        """
      #expect(throws: ConfigIssues.self, "\(outputs)") {
        try PipelineLoader.parse(text, file: "/tmp/names.yml")
      }
    }
  }

  @Test("a run without state whose inbox is missing keeps the last outputs")
  func missingInbox() throws {
    let scratch = try Scratch()
    try scratch.put(
      "a.csv", [lisHeader, cortisolLine("A1", "300")].joined(separator: "\n"))
    let pipeline = try scratch.pipeline()
    #expect(PipelineRunner(pipeline: pipeline).run().isComplete)
    let before = scratch.files(under: "out")
    try FileManager.default.removeItem(atPath: scratch.path("inbox"))
    let summary = PipelineRunner(pipeline: pipeline).run()
    #expect(!summary.isComplete)
    #expect(summary.inputProblems.first?.contains("does not exist") == true)
    #expect(scratch.files(under: "out") == before)
  }
}

@Suite("The audit's size and digest are those of the bytes read (issue 21)")
struct BytesReadTests {
  @Test("CSV, FHIR (read twice, and cut short by malformed JSON) and diary summaries")
  func digests() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "digest-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let texts = [
      "a.csv": [lisHeader, cortisolLine("A1", "300")].joined(separator: "\n"),
      "b.json": """
      {"resourceType": "Bundle", "type": "collection", "entry": [\(observation("Patient/1"))]}
      """,
      "c.json": #"{"resourceType": "Bundle", "entry": [{"resource": {"#,
    ]
    for (name, text) in texts {
      let path = directory.appendingPathComponent(name).path
      try text.write(toFile: path, atomically: true, encoding: .utf8)
      let summary = ExportReader(
        format: InputFormat.guess(file: path, hasProfile: false), profile: nil
      )
      .read(file: path, onSample: { _ in }, onRejection: { _ in })
      #expect(summary.bytes == text.utf8.count, "\(name)")
      #expect(summary.sha256 == SHA256.hex(Array(text.utf8)), "\(name)")
    }
  }

  @Test("an input file counts the bytes of its last pass, and drains what was left unread")
  func inputFile() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("in-\(UUID())").path
    defer { unlink(path) }
    try "0123456789".write(toFile: path, atomically: true, encoding: .utf8)
    let descriptor = open(path, O_RDONLY)
    defer { close(descriptor) }
    let file = InputFile(descriptor: descriptor)
    var buffer = [UInt8](repeating: 0, count: 4)
    #expect(buffer.withUnsafeMutableBytes { file.read(into: $0.baseAddress, 4) } == 4)
    #expect(file.rewind())
    #expect(buffer.withUnsafeMutableBytes { file.read(into: $0.baseAddress, 4) } == 4)
    // Appended after the reading began: the digest is of what this descriptor read.
    let writer = open(path, O_WRONLY | O_APPEND)
    _ = "ab".withCString { write(writer, $0, 2) }
    close(writer)
    let digest = try #require(file.finish())
    #expect(digest.bytes == 12)
    #expect(digest.sha256 == SHA256.hex(Array("0123456789ab".utf8)))
  }
}
