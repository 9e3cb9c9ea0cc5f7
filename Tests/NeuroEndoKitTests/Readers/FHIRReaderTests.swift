import Foundation
import Testing

@testable import NeuroEndoKit

private func readFHIR(_ path: String, chunkSize: Int = 1 << 18) -> ReadResult {
  var samples: [Sample] = []
  var rejections: [Rejection] = []
  let summary = FHIRReader(chunkSize: chunkSize).read(
    file: path, onSample: { samples.append($0) }, onRejection: { rejections.append($0) })
  return ReadResult(samples: samples, rejections: rejections, summary: summary)
}

private func scan(_ text: String, chunkSize: Int) throws -> [(String, String)] {
  var scanner = JSONElementScanner()
  var elements: [(String, String)] = []
  let bytes = Array(text.utf8)
  try bytes.withUnsafeBytes { buffer in
    var offset = 0
    while offset < buffer.count {
      let end = min(buffer.count, offset + chunkSize)
      try scanner.feed(UnsafeRawBufferPointer(rebasing: buffer[offset..<end])) { element in
        elements.append((element.path, String(decoding: element.bytes, as: UTF8.self)))
      }
      offset = end
    }
    try scanner.finish { _ in }
  }
  return elements
}

@Suite("JSON element scanner")
struct JSONElementScannerTests {
  @Test("bundle entries are split out, whatever the chunk size", arguments: [1, 2, 7, 4096])
  func bundleEntries(chunkSize: Int) throws {
    let text = """
      {"resourceType": "Bundle", "type": "searchset",
       "entry": [ {"resource": {"a": "x,]}", "b": [1, {"c": "\\"}"}]}} ,
                  {"fullUrl": "u2"} ],
       "total": 2}
      """
    let elements = try scan(text, chunkSize: chunkSize)
    #expect(elements.map(\.0) == ["entry[0]", "entry[1]"])
    #expect(
      elements.map(\.1) == [
        #"{"resource": {"a": "x,]}", "b": [1, {"c": "\"}"}]}}"#, #"{"fullUrl": "u2"}"#,
      ])
  }

  @Test(
    "a top-level array gives its items; an object without entry is one document; NDJSON gives lines"
  )
  func layouts() throws {
    #expect(try scan(#"[{"a":1}, 2, "x"]"#, chunkSize: 3).map(\.0) == ["[0]", "[1]", "[2]"])
    #expect(try scan(#" {"resourceType":"Observation","entry":5} "#, chunkSize: 3).map(\.0) == [""])
    let ndjson = try scan("{\"a\":1}\n{\"b\":[2]}\n\n{\"c\":3}\n", chunkSize: 5)
    #expect(ndjson.map(\.1) == [#"{"a":1}"#, #"{"b":[2]}"#, #"{"c":3}"#])
  }

  @Test("broken nesting, a scalar at the top and a truncated file are errors with their line")
  func errors() {
    #expect(throws: JSONScanError.self) { try scan("{\"a\": [1, 2}\n", chunkSize: 64) }
    #expect(
      throws: JSONScanError(
        line: 1, message: "expected an object or an array at the top level, found '\"'")
    ) {
      try scan("\"text\"", chunkSize: 64)
    }
    #expect(
      throws: JSONScanError(line: 2, message: "the JSON ends inside a value (truncated file?)")
    ) {
      try scan("{\"entry\": [\n{\"a\": 1}", chunkSize: 64)
    }
  }
}

@Suite("FHIR reader")
struct FHIRReaderTests {
  static let bundle = Repository.path("SampleData/fhir/hospital-export-2026-03-15.json")

  @Test("the hospital bundle: every entry accounted for, values and units as sent")
  func hospitalBundle() throws {
    let result = readFHIR(Self.bundle)
    let summary = result.summary
    #expect(summary.records == 27)
    #expect(summary.acceptedRecords == 15)
    #expect(summary.rejectedRecords == 5)
    #expect(summary.skippedRecords == 7)
    #expect(
      summary.skipped == [
        "Patient": 3, "Specimen": 2, "DiagnosticReport": 1, "Observation 2951-2": 1,
      ])
    #expect(result.samples.count == 16)
    let tsh = try #require(result.samples.first)
    #expect(tsh.subjectID == "pt-1001")
    #expect(tsh.analyte == .tsh)
    #expect(tsh.specimen == .serum)  // from the Specimen resource, not the code
    #expect(tsh.quantity == Quantity(value: 9.1, unit: .milliIUPerLiter))
    #expect(tsh.collected?.description == "2026-03-14T08:12:00+01:00")
    #expect(tsh.referenceRange == ReferenceRange(low: 0.3, high: 4.2, unit: .milliIUPerLiter))
    #expect(tsh.attributes["fhir_id"] == "obs-tsh-1001")
    // The Patient resource (listed before) gives gender and birth date to its samples.
    #expect(tsh.attributes["gender"] == "female" && tsh.attributes["birth_date"] == "1978-05-02")
    let awakening = try #require(
      result.samples.first { $0.attributes["fhir_id"] == "obs-scort-1003-0" })
    #expect(awakening.attributes["note"] == "awakening 06:30")
    #expect(
      tsh.provenance.description == "\(Self.bundle), record 5 (line 53), path 'entry[4].resource'")
    let ft4 = try #require(result.samples.first { $0.analyte == .freeT4 })
    #expect(ft4.quantity == Quantity(value: 0.62, unit: .nanogramPerDeciliter))
    let testosterone = try #require(result.samples.first { $0.analyte == .testosterone })
    #expect(testosterone.quantity.censoring == .below)
    let gonadotropins = result.samples.filter { $0.analyte == .lh || $0.analyte == .fsh }
    #expect(gonadotropins.map(\.quantity.value) == [14.2, 18.9])
    #expect(gonadotropins.first?.referenceRange == ReferenceRange(low: 1.3, high: 9.6))
    let estradiol = try #require(result.samples.first { $0.analyte == .estradiol })
    // Estradiol has effectivePeriod.start rather than effectiveDateTime.
    #expect(estradiol.collected?.description == "2026-03-14T07:55:00+01:00")
    let acth = try #require(result.samples.first { $0.analyte == .acth })
    #expect(acth.quantity.unit == .picogramPerMilliliter)  // free-text unit "pg/ml"
    // The saliva Specimen is listed after the Observations that name it.
    #expect(result.samples.filter { $0.specimen == .saliva }.count == 5)
    let alternate = try #require(result.samples.first { $0.testCode == "11580-8" })
    #expect(alternate.quantity.unit == .microIUPerMilliliter)
  }

  @Test("untidy Observations are rejected with the JSON path at fault")
  func untidy() {
    let result = readFHIR(Self.bundle)
    #expect(
      result.rejections.map { "\($0.location.record!) \($0.location.path ?? "") \($0.reason.code)" }
        == [
          "21 entry[20].resource missing-field",
          "22 entry[21].resource.status excluded-status",
          "24 entry[23].resource.valueQuantity.value wrong-type",
          "25 entry[24].resource.subject missing-field",
          "26 entry[25].resource.effectiveDateTime unparsable-time",
        ])
    #expect(result.rejections[0].reason == .missingField("effective[x]"))
    #expect(result.rejections[3].reason == .missingField("subject.reference"))
  }

  @Test("the same records whatever the chunk size", arguments: [1, 13, 4096])
  func chunkSizes(chunkSize: Int) {
    let reference = readFHIR(Self.bundle)
    let chunked = readFHIR(Self.bundle, chunkSize: chunkSize)
    #expect(chunked.samples == reference.samples)
    #expect(chunked.rejections == reference.rejections)
  }

  @Test("bulk-export NDJSON: one resource per line, the line in every location")
  func bulkNDJSON() throws {
    let result = readFHIR(Repository.path("SampleData/fhir/bulk-Observation.ndjson"))
    #expect(result.summary.records == 6)
    #expect(
      result.samples.map(\.subjectID) == ["pt-2001", "pt-2001", "pt-2002", "pt-2002", "pt-2003"])
    #expect(result.samples.map(\.provenance.line) == [1, 2, 3, 4, 5])
    #expect(result.samples[2].quantity == Quantity(value: 412, unit: .nanogramPerDeciliter))
    #expect(result.samples[0].collected?.utcOffsetSeconds == -18_000)
    #expect(
      result.rejections.map(\.reason) == [.missingField("valueQuantity (dataAbsentReason 'error')")]
    )
  }
}

@Suite("FHIR reader: error fixtures")
struct FHIRErrorTests {
  @Test("truncated JSON: the entries before the break are read, the rest is one rejected record")
  func truncated() {
    let result = readFHIR(Repository.fixture("fhir-truncated.json"))
    #expect(result.samples.map(\.quantity.value) == [2.1])
    #expect(result.reasons == ["invalid-json"])
    #expect(result.summary.failure?.contains("the JSON ends inside a value") == true)
    #expect(result.summary.records == 2)
  }

  @Test("a string at the top level fails the file with its line")
  func wrongTopLevelType() {
    let result = readFHIR(Repository.fixture("fhir-top-level-string.json"))
    #expect(
      result.summary.failure?.contains("expected an object or an array at the top level") == true)
    #expect(result.summary.rejectedRecords == 1)
  }

  @Test("deep nesting in one entry rejects that entry; the next one is read")
  func deepNesting() {
    let result = readFHIR(Repository.fixture("fhir-deep-nesting.json"))
    #expect(result.reasons == ["invalid-json"])
    #expect(result.rejections.first?.location.path == "entry[0]")
    #expect(result.samples.map(\.quantity.value) == [2.5])
  }

  @Test("a number too large for a Double rejects its line; the next line is read")
  func hugeNumber() {
    let result = readFHIR(Repository.fixture("fhir-huge-number.ndjson"))
    #expect(result.reasons == ["invalid-json"])
    #expect(result.rejections.first?.location.line == 1)
    #expect(result.samples.map(\.quantity.value) == [3.3])
  }

  @Test("duplicate keys: the last value wins, as documented, with a warning naming the path")
  func duplicateKeys() {
    let result = readFHIR(Repository.fixture("fhir-duplicate-keys.json"))
    #expect(result.samples.map(\.quantity.value) == [4.4])
    #expect(
      result.summary.warnings == [
        "duplicate JSON key, the last value read: valueQuantity.value"
      ])
  }

  @Test(
    "a UTF-8 byte order mark before the JSON is accepted, in any chunking", arguments: [1, 2, 4096])
  func byteOrderMark(chunkSize: Int) throws {
    let text =
      "\u{FEFF}"
      + #"{"resourceType": "Observation", "status": "final", "code": {"coding": [{"system": "http://loinc.org", "code": "3016-3"}]}, "subject": {"reference": "Patient/b1"}, "effectiveDateTime": "2026-03-14T08:00:00Z", "valueQuantity": {"value": 2.2, "unit": "mIU/L"}}"#
    var samples: [Sample] = []
    let summary = Array(text.utf8).withUnsafeBytes { bytes in
      FHIRReader(chunkSize: chunkSize).read(
        bytes: bytes, name: "bom.json", onSample: { samples.append($0) })
    }
    #expect(summary.failure == nil)
    #expect(samples.map(\.quantity.value) == [2.2])
  }

  @Test("a string longer than the field limit rejects its record with the string's path")
  func longString() throws {
    let note = String(repeating: "x", count: CSVProfile.defaultMaxFieldBytes + 1)
    let text =
      #"{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType": "Observation", "status": "final", "code": {"coding": [{"system": "http://loinc.org", "code": "3016-3"}]}, "subject": {"reference": "Patient/b1"}, "effectiveDateTime": "2026-03-14T08:00:00Z", "valueQuantity": {"value": 2.2, "unit": "mIU/L"}, "note": [{"text": "ok"}, {"text": "\#(note)"}]}}, {"resource": {"resourceType": "Observation", "status": "final", "code": {"coding": [{"system": "http://loinc.org", "code": "3016-3"}]}, "subject": {"reference": "Patient/b1"}, "effectiveDateTime": "2026-03-15T08:00:00Z", "valueQuantity": {"value": 3.1, "unit": "mIU/L"}}}]}"#
    var samples: [Sample] = []
    var rejections: [Rejection] = []
    _ = Array(text.utf8).withUnsafeBytes { bytes in
      FHIRReader().read(
        bytes: bytes, name: "long.json", onSample: { samples.append($0) },
        onRejection: { rejections.append($0) })
    }
    #expect(rejections.map(\.reason) == [.fieldTooLong(bytes: 65_537, limit: 65_536)])
    #expect(rejections.first?.location.path == "entry[0].resource.note[1].text")
    #expect(samples.map(\.quantity.value) == [3.1])
  }

  @Test("a string where a number belongs is a wrong-type rejection naming the path")
  func stringValue() {
    let result = readFHIR(Repository.fixture("fhir-string-value.json"))
    #expect(
      result.rejections.map(\.reason) == [
        .wrongType(field: "valueQuantity.value", expected: "a number", found: "a string")
      ])
  }

  @Test("non-UTF-8 bytes reject their line; the next line is read")
  func nonUTF8() {
    let result = readFHIR(Repository.fixture("fhir-non-utf8.ndjson"))
    #expect(result.reasons == ["invalid-json"])
    #expect(result.samples.map(\.quantity.value) == [1.2])
  }
}

@Suite("Generic JSON reader")
struct JSONRecordsReaderTests {
  @Test("research portal results: keys mapped by the profile, nested keys, numbers and strings")
  func portal() throws {
    let profile = try ProfileLoader.load(
      file: Repository.path("Pipelines/profiles/research-portal-json.yml"))
    var samples: [Sample] = []
    var rejections: [Rejection] = []
    let summary = JSONRecordsReader(profile: profile).read(
      file: Repository.path("SampleData/json/research-portal-results.json"),
      onSample: { samples.append($0) }, onRejection: { rejections.append($0) })
    #expect(summary.records == 7)
    #expect(samples.map(\.quantity.value) == [2.4, 15.9, 0.75, 389])
    #expect(samples[2].quantity.censoring == .below)
    #expect(samples[0].referenceRange == ReferenceRange(low: 0.3, high: 4.2))
    #expect(samples[0].attributes == ["site": "Berlin"])
    #expect(samples[0].testCode == "3016-3")
    #expect(
      rejections.map {
        "\($0.location.record!) \($0.reason.code) \($0.location.column ?? $0.location.path ?? "")"
      } == [
        "5 missing-value units", "6 unparsable-time drawn", "7 wrong-type [6]",
      ])
  }
}

@Suite("Input locations")
struct InputLocationTests {
  @Test("line and path compare, hash and encode by value")
  func values() throws {
    var location = InputLocation(file: "a.json", record: 4, line: 9, path: "entry[3].resource")
    #expect(
      location == InputLocation(file: "a.json", record: 4, line: 9, path: "entry[3].resource"))
    #expect(
      Set([location, InputLocation(file: "a.json", record: 4, line: 9, path: "entry[3].resource")])
        .count == 1)
    location.line = nil
    location.path = nil
    #expect(location == InputLocation(file: "a.json", record: 4))
    let json = try JSONEncoder().encode(
      InputLocation(file: "a.json", record: 4, line: 9, path: "x"))
    #expect(
      try JSONDecoder().decode(InputLocation.self, from: json)
        == InputLocation(file: "a.json", record: 4, line: 9, path: "x"))
  }
}

@Suite("FHIR reference ranges")
struct FHIRReferenceRangeTests {
  /// A bundle of one Patient and one testosterone Observation with sex- and age-specific
  /// ranges in ng/dL, read from a temporary file.
  private func testosterone(gender: String?, birthDate: String = "1984-06-01") throws -> Sample {
    let patient =
      gender.map {
        #"{"resource": {"resourceType": "Patient", "id": "q1", "gender": "\#($0)", "birthDate": "\#(birthDate)"}},"#
      } ?? ""
    let bundle = """
      {"resourceType": "Bundle", "type": "collection", "entry": [\(patient)
        {"resource": {"resourceType": "Observation", "status": "final",
          "code": {"coding": [{"system": "http://loinc.org", "code": "2986-8"}]},
          "subject": {"reference": "Patient/q1"},
          "effectiveDateTime": "2026-03-18T16:40:00+01:00",
          "valueQuantity": {"value": 0.9, "unit": "nmol/L", "system": "http://unitsofmeasure.org", "code": "nmol/L"},
          "referenceRange": [
            {"low": {"value": 264, "unit": "ng/dL", "system": "http://unitsofmeasure.org", "code": "ng/dL"},
             "high": {"value": 916, "unit": "ng/dL", "system": "http://unitsofmeasure.org", "code": "ng/dL"},
             "appliesTo": [{"coding": [{"system": "http://hl7.org/fhir/administrative-gender", "code": "male"}]}]},
            {"low": {"value": 15, "unit": "ng/dL"}, "high": {"value": 70, "unit": "ng/dL"},
             "appliesTo": [{"text": "female"}], "age": {"low": {"value": 18, "unit": "a"}, "high": {"value": 39, "unit": "a"}}},
            {"low": {"value": 10, "unit": "ng/dL"}, "high": {"value": 55, "unit": "ng/dL"},
             "appliesTo": [{"text": "female"}], "age": {"low": {"value": 40, "unit": "a"}}}
          ]}}
      ]}
      """
    let file = FileManager.default.temporaryDirectory.appendingPathComponent(
      "ranges-\(UUID().uuidString).json")
    try bundle.write(to: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: file) }
    var samples: [Sample] = []
    _ = FHIRReader().read(file: file.path, onSample: { samples.append($0) }, onRejection: { _ in })
    return try #require(samples.first)
  }

  @Test("the range that applies to the patient's sex and age is chosen, with its own unit")
  func appliesToPatient() throws {
    // Born 1984-06-01, 41 on 2026-03-18: the women's range from 40 years.
    let woman = try testosterone(gender: "female")
    #expect(woman.referenceRange == ReferenceRange(low: 10, high: 55, unit: .nanogramPerDeciliter))
    let younger = try testosterone(gender: "female", birthDate: "1990-01-01")
    #expect(younger.referenceRange?.low == 15)
    let man = try testosterone(gender: "male")
    #expect(man.referenceRange == ReferenceRange(low: 264, high: 916, unit: .nanogramPerDeciliter))
    // Unknown sex: no range fits, so the first one is kept.
    let unknown = try testosterone(gender: nil)
    #expect(unknown.referenceRange?.low == 264)
  }

  @Test("a range in ng/dL is converted before 0.9 nmol/L is judged: normal for her, low for him")
  func convertedBeforeJudging() throws {
    func status(_ sample: Sample) -> JudgedResult.Status? {
      let normalized = Normalizer(settings: NormalizerSettings())!.normalize([sample]).samples
      // Any hour: this is about the range's unit (testosterone is otherwise judged only in
      // the morning).
      var settings = FeedbackSettings()
      settings.testosteroneWindow = 0...24
      return ResultJudge(settings: settings).judge(normalized[0], sex: nil, age: nil).status
    }
    // 10-55 ng/dL x 0.03467 = 0.347-1.907 nmol/L; 264 ng/dL = 9.153 nmol/L.
    #expect(status(try testosterone(gender: "female")) == .normal)
    #expect(status(try testosterone(gender: "male")) == .low)
  }
}
