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
