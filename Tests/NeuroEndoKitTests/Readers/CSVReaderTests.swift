import Foundation
import Testing

@testable import NeuroEndoKit

@Suite("CSV reader: error fixtures")
struct CSVReaderErrorTests {
  @Test(
    "a file ending inside a quoted field: records before it are kept, the broken one is rejected")
  func truncatedInQuote() {
    let result = read(Repository.fixture("truncated-in-quote.csv"))
    #expect(result.samples.map(\.quantity.value) == [410])
    #expect(result.reasons == ["malformed-csv"])
    #expect(result.rejections.first?.location.record == 3)
    #expect(result.summary.failure?.contains("record 3") == true)
    #expect(result.summary.records == 2)
    #expect(result.summary.isBalanced)
  }

  @Test("binary garbage ends as a failure or rejections, never a crash, and the counts add up")
  func binaryGarbage() {
    let result = read(Repository.fixture("binary-garbage.csv"))
    #expect(result.samples.isEmpty)
    #expect(result.summary.failure != nil)
    #expect(result.summary.records == result.summary.rejectedRecords)
  }

  @Test("an empty file is a warning with zero records")
  func emptyFile() {
    let result = read(Repository.fixture("empty.csv"), profile: .lisLong)
    #expect(result.summary.records == 0)
    #expect(result.summary.failure == nil)
    #expect(result.summary.warnings == ["empty file: no header, no records"])
  }

  @Test("a header without records is a warning with zero records")
  func headerOnly() {
    let result = read(Repository.fixture("header-only.csv"))
    #expect(result.summary.records == 0)
    #expect(result.summary.profile == "built-in lis-long")
    #expect(result.summary.warnings == ["header only: the file holds no records"])
  }

  @Test("a missing required column rejects every record, naming the column")
  func missingColumn() {
    let result = read(Repository.fixture("missing-unit-column.csv"), profile: .lisLong)
    #expect(result.samples.isEmpty)
    #expect(result.rejections.map(\.location.record) == [2, 3])
    #expect(result.rejections.allSatisfy { $0.reason == .missingColumn("unit") })
    #expect(result.summary.rejectedRecords == 2)
  }

  @Test("an unknown unit is rejected with its text; the other record is read")
  func unknownUnit() {
    let result = read(Repository.fixture("unknown-unit.csv"))
    #expect(
      result.rejections.map(\.description) == [
        "\(Repository.fixture("unknown-unit.csv")), record 2, column 'unit': unknown unit 'mg/furlong'"
      ])
    #expect(result.samples.map(\.analyte) == [.tsh])
    #expect(result.samples.first?.quantity == Quantity(value: 2.1, unit: .milliIUPerLiter))
  }

  @Test("unparsable and impossible times are rejected at their column")
  func unparsableTime() {
    let result = read(Repository.fixture("unparsable-time.csv"))
    #expect(result.reasons == ["unparsable-time", "unparsable-time", "unparsable-time"])
    #expect(
      result.rejections.map(\.location.column) == ["collected_at", "collected_at", "collected_at"])
    #expect(result.samples.map(\.analyte) == [.freeT3])
  }

  @Test("Latin-1 bytes: read with encoding latin-1, rejected as invalid UTF-8 otherwise")
  func latin1() throws {
    var profile = try ProfileLoader.load(
      file: Repository.path("Pipelines/profiles/labnord-lis.yml"))
    profile.keep = []
    profile.encoding = .latin1
    let asLatin1 = read(Repository.fixture("latin1-names.csv"), profile: profile)
    #expect(asLatin1.samples.map(\.subjectID) == ["Müller-7", "Béatrice-9"])
    profile.encoding = .utf8
    let asUTF8 = read(Repository.fixture("latin1-read-as-utf8.csv"), profile: profile)
    #expect(asUTF8.reasons == ["invalid-encoding"])
    #expect(asUTF8.rejections.first?.location.column == "PatientID")
  }

  @Test("a 1 MB field rejects its record with a short message; the next record is read")
  func megabyteField() throws {
    let big = String(repeating: "7", count: 1 << 20)
    let text =
      "patient_id,test_code,value,unit,collected_at\n"
      + "P1,2143-6,\(big),nmol/L,2026-03-14T08:00:00Z\n"
      + "P2,2143-6,300,nmol/L,2026-03-14T08:00:00Z\n"
    let result = read(text: text)
    #expect(result.reasons == ["field-too-long"])
    #expect(result.rejections.first?.description.count ?? .max < 200)
    #expect(result.samples.map(\.subjectID) == ["P2"])
    var generous = CSVProfile.lisLong
    generous.maxFieldBytes = 2 << 20
    generous.maxLineBytes = 4 << 20
    let unlimited = read(text: text, profile: generous)
    #expect(unlimited.reasons == ["unparsable-value"])
    #expect(unlimited.rejections.first?.description.count ?? .max < 200)
  }

  @Test("a file that does not exist fails with the system's reason")
  func missingFile() {
    let result = read("/nonexistent/results.csv")
    #expect(result.summary.failure == "cannot open: No such file or directory")
  }

  @Test("a header matching no built-in layout fails with advice to pass a profile")
  func unrecognisedHeader() {
    let result = read(text: "foo,bar\n1,2\n")
    #expect(result.summary.failure?.contains("pass a profile") == true)
    #expect(result.summary.rejectedRecords == 1)
  }

  @Test(
    "records with missing fields, or extra non-empty ones, are rejected; trailing empties are fine")
  func fieldCounts() {
    let text =
      "patient_id,test_code,value,unit,collected_at\n"
      + "P1,2143-6,300,nmol/L\n"
      + "P2,2143-6,300,nmol/L,2026-03-14T08:00:00Z,extra\n"
      + "P3,2143-6,300,nmol/L,2026-03-14T08:00:00Z,,\n"
    let result = read(text: text)
    #expect(result.reasons == ["wrong-field-count", "wrong-field-count"])
    #expect(result.samples.map(\.subjectID) == ["P3"])
  }
}

@Suite("CSV reader: shapes")
struct CSVReaderShapeTests {
  @Test("quoted fields, BOM and CRLF in a LIS export; thousands separators are not guessed")
  func quotedBOMCRLF() {
    let result = read(Repository.fixture("quoted-bom-crlf.csv"))
    #expect(result.samples.map(\.subjectID) == ["P,1", "P2"])
    let first = result.samples[0]
    #expect(first.referenceRange == ReferenceRange(low: 193, high: 690))
    #expect(first.collected?.description == "2026-03-14T08:00:00Z")
    let second = result.samples[1]
    #expect(second.quantity == Quantity(value: 0.5, unit: .nanomolePerLiter, censoring: .below))
    #expect(second.specimen == .saliva)
    #expect(second.qualifier == "late-night")
    #expect(second.referenceRange == ReferenceRange(low: nil, high: 2.8))
    #expect(second.collected?.utcOffsetSeconds == -19_800)
    #expect(
      result.rejections.map(\.description) == [
        "\(Repository.fixture("quoted-bom-crlf.csv")), record 4, column 'value': value '1,234' is not a number"
      ])
  }

  @Test("the same samples whatever the chunk size", arguments: [1, 5, 64, 1 << 16])
  func chunkSizes(chunkSize: Int) {
    let reference = read(
      Repository.path("SampleData/lis/labnord-results-2026-03-15.csv"), profile: try! labnord())
    let chunked = read(
      Repository.path("SampleData/lis/labnord-results-2026-03-15.csv"), profile: try! labnord(),
      chunkSize: chunkSize)
    #expect(chunked.samples == reference.samples)
    #expect(chunked.rejections == reference.rejections)
  }

  func labnord() throws -> CSVProfile {
    try ProfileLoader.load(file: Repository.path("Pipelines/profiles/labnord-lis.yml"))
  }

  @Test(
    "Labor Nord sample: semicolons, decimal comma, local codes, wake times, every record accounted for"
  )
  func labnordSample() throws {
    let result = read(
      Repository.path("SampleData/lis/labnord-results-2026-03-15.csv"), profile: try labnord())
    let summary = result.summary
    #expect(summary.records == 22)
    #expect(summary.acceptedRecords == 18)
    #expect(summary.rejectedRecords == 3)
    // Record 13's value is not measured: an empty cell, its row passed over.
    #expect(summary.skippedRecords == 1 && summary.emptyCells == 1)
    #expect(
      Set(result.rejections.map { "\($0.location.record!) \($0.reason.code)" }) == [
        "5 unknown-test-code", "21 unknown-unit", "22 unparsable-time",
      ])
    let tsh = try #require(result.samples.first)
    #expect(tsh.subjectID == "P-10231")
    #expect(tsh.analyte == .tsh)
    #expect(tsh.specimen == .serum)
    #expect(tsh.quantity == Quantity(value: 9.1, unit: .milliIUPerLiter))
    #expect(tsh.referenceRange == ReferenceRange(low: 0.3, high: 4.2))
    #expect(tsh.collected?.description == "2026-03-14T08:12:00")
    #expect(
      tsh.attributes == [
        "Sex": "F", "BirthYear": "1978", "OrderNo": "A2603140017", "TestName": "TSH basal",
      ])
    let estradiol = try #require(result.samples.first { $0.analyte == .estradiol })
    #expect(estradiol.quantity.censoring == .below)
    #expect(estradiol.referenceRange == ReferenceRange(low: nil, high: 150))
    let acth = try #require(result.samples.first { $0.analyte == .acth })
    #expect(acth.quantity.unit == .picogramPerMilliliter)
    #expect(acth.specimen == .plasma)
    // The export has CRLF line ends; the line break inside the quoted comment is kept as is.
    #expect(
      acth.attributes["Comment"] == "Probe auf Eis; Transport 25 min\r\nRückruf Station erfolgt")
    let saliva = result.samples.filter { $0.subjectID == "P-10234" }
    #expect(saliva.count == 7)
    #expect(
      saliva.allSatisfy { $0.specimen == .saliva && $0.wake?.description == "2026-03-15T06:30:00" })
    #expect(saliva.last?.testCode == "58643-8")
    #expect(summary.samplesByKind["cortisol/saliva"] == 7)
  }

  @Test("research long: analyte and unit from the column name, empty cells counted, tabs detected")
  func researchLong() throws {
    let result = read(Repository.fixture("research-tab-separated.tsv"))
    #expect(result.summary.profile == "built-in research-long")
    #expect(
      result.samples.map { "\($0.analyte.rawValue) \($0.quantity.value) \($0.quantity.unit.ucum)" }
        == [
          "cortisol 0.43 ug/dL", "cortisol 0.71 ug/dL", "tsh 2.2 m[IU]/L",
        ])
    #expect(result.summary.emptyCells == 1)
    let second = try #require(result.samples.last)
    #expect(second.relativeTime == RelativeTime(minutes: 30, anchor: .waking))
    #expect(second.day == 1)
    #expect(second.label == "S2")
    #expect(second.attributes == ["condition": "control"])
    #expect(second.provenance.column == "tsh_miu_l")
  }

  @Test("research long: recurring subject ids and labels read back with their own bytes")
  func researchRecurringTexts() {
    // More labels than are kept (16), in turn; two spellings of one accent; padded cells;
    // an empty id among ids read before.
    var cells: [(subject: String, label: String)] = []
    for round in 0..<2 {
      for index in 0..<20 { cells.append(("s\(round)", "L\(index)")) }
    }
    cells += [
      ("s1", "S\u{E9}"), ("s1", "Se\u{301}"), ("s1", "S\u{E9}"), (" s1 ", " S1"), ("s1", "S1\t"),
      ("", "S1"), ("s2", "Se\u{301}"), ("s1", ""), ("s1", "L3"),
    ]
    let text =
      "subject_id,day,sample,minutes_since_waking,cortisol_nmol_l\n"
      + cells.enumerated().map { "\($1.subject),1,\($1.label),\($0),\($0 + 1)" }.joined(
        separator: "\n") + "\n"
    let result = read(text: text)
    func trimmed(_ text: String) -> [UInt8] {
      Array(
        text.utf8.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }
          .reversed())
    }
    let kept = cells.enumerated().filter { !trimmed($1.subject).isEmpty }
    #expect(result.samples.count == kept.count)
    #expect(result.summary.rejectedRecords == 1 && result.summary.isBalanced)
    // The empty id's record: the header is record 1.
    let empty = cells.firstIndex { $0.subject.isEmpty }!
    #expect(result.rejections.first?.location.record == empty + 2)
    #expect(result.reasons == ["missing-value"])
    for (sample, (position, cell)) in zip(result.samples, kept) {
      #expect(sample.quantity.value == Double(position + 1))
      #expect(Array(sample.subjectID.utf8) == trimmed(cell.subject), "record \(position + 1)")
      let label = trimmed(cell.label)
      #expect(sample.label.map { Array($0.utf8) } == (label.isEmpty ? nil : label))
    }
  }

  @Test(
    "research value columns are split at the first underscore that gives analyte and unit",
    arguments: [
      ("cortisol_nmol_l", ResearchLongMapper.ValueColumn.value(.cortisol, .nanomolePerLiter)),
      ("cortisol_ug_dl", .value(.cortisol, .microgramPerDeciliter)),
      ("tsh_miu_l", .value(.tsh, .milliIUPerLiter)),
      ("tsh_uiu_ml", .value(.tsh, .microIUPerMilliliter)),
      ("dhea_s_umol_l", .value(.dheas, .micromolePerLiter)),
      ("free_t4_pmol_l", .value(.freeT4, .picomolePerLiter)),
      ("cortisol_mg_furlong", .unknownUnit("mg_furlong")),
    ])
  func researchColumns(name: String, expected: ResearchLongMapper.ValueColumn) {
    #expect(ResearchLongMapper.valueColumn(name) == expected)
  }

  @Test("research sample: 30 records, one empty and one mistyped value")
  func researchSample() throws {
    let profile = try ProfileLoader.load(
      file: Repository.path("Pipelines/profiles/research-saliva.yml"))
    let result = read(Repository.path("SampleData/research/car-diary-long.csv"), profile: profile)
    #expect(result.summary.records == 30)
    #expect(result.summary.samples == 28)
    #expect(result.reasons == ["no-value", "unparsable-value"])
    #expect(result.samples.allSatisfy { $0.specimen == .saliva })
    let censored = try #require(result.samples.first { $0.subjectID == "s03" })
    #expect(censored.quantity == Quantity(value: 0.75, unit: .nanomolePerLiter, censoring: .below))
  }

  @Test("wide sample: five samples per subject-day at their declared minutes")
  func wideSample() throws {
    let profile = try ProfileLoader.load(file: Repository.path("Pipelines/profiles/car-wide.yml"))
    let result = read(Repository.path("SampleData/wide/car-wide-2026.csv"), profile: profile)
    #expect(result.summary.records == 7)
    #expect(result.summary.samples == 28)
    #expect(result.summary.emptyCells == 7)
    #expect(result.reasons == ["no-value"])
    let w102 = result.samples.filter { $0.subjectID == "W102" && $0.day == 2 }
    #expect(w102.map(\.label) == ["S0", "S2", "S3", "S4"])
    #expect(w102.map { $0.relativeTime!.minutes } == [0, 30, 45, 60])
    #expect(w102.map(\.quantity.value) == [7.9, 9.4, 8.5, 7.7])
  }
}

@Suite("CSV reader: BioPsyKit example data")
struct BioPsyKitTests {
  // The data ships in Fixtures/biopsykit/ with its licence; a clone without it fails.
  @Test("reads all 26 participants x 7 samples with the shipped profile; values hand-checked")
  func cortisolSample() throws {
    try #require(FileManager.default.fileExists(atPath: Repository.bioPsyKitSample))
    let profile = try ProfileLoader.load(
      file: Repository.path("Pipelines/profiles/biopsykit-cortisol.yml"))
    let result = read(Repository.bioPsyKitSample, profile: profile)
    #expect(result.summary.records == 26)
    #expect(result.summary.acceptedRecords == 26)
    #expect(result.samples.count == 182)
    #expect(result.rejections.isEmpty)
    let vp01 = result.samples.filter { $0.subjectID == "Vp01" }
    #expect(
      vp01.map(\.quantity.value) == [
        6.988899999999999, 7.0332, 5.7767, 5.2579, 5.00795, 4.50045, 4.0661499999999995,
      ])
    #expect(vp01.map { $0.relativeTime!.minutes } == [-30, -1, 30, 40, 50, 60, 70])
    #expect(vp01.allSatisfy { $0.relativeTime?.anchor == .event("stressor") })
    #expect(vp01.first?.attributes == ["condition": "Intervention"])
    let vp03 = result.samples.filter { $0.subjectID == "Vp03" }
    #expect(vp03[1].quantity.value == 13.274000000000001)
    #expect(vp03.first?.attributes["condition"] == "Control")
  }
}

@Suite("CSV reader: file and memory paths")
struct ReadPathTests {
  static let files: [(String, String?)] = [
    ("SampleData/lis/labnord-results-2026-03-15.csv", "Pipelines/profiles/labnord-lis.yml"),
    ("SampleData/lis/stmary-lis-2026-03-16.csv", nil),
    ("SampleData/research/car-diary-long.csv", "Pipelines/profiles/research-saliva.yml"),
    ("SampleData/wide/car-wide-2026.csv", "Pipelines/profiles/car-wide.yml"),
    ("Tests/NeuroEndoKitTests/Fixtures/truncated-in-quote.csv", nil),
    ("Tests/NeuroEndoKitTests/Fixtures/quoted-bom-crlf.csv", nil),
    ("Tests/NeuroEndoKitTests/Fixtures/binary-garbage.csv", nil),
    ("Tests/NeuroEndoKitTests/Fixtures/empty.csv", nil),
  ]

  @Test(
    "a file read with the parsing thread gives what the same bytes give in memory",
    arguments: files, [3, 1 << 16])
  func samePaths(file: (String, String?), chunkSize: Int) throws {
    let profile = try file.1.map { try ProfileLoader.load(file: Repository.path($0)) }
    let path = Repository.path(file.0)
    let fromFile = read(path, profile: profile, chunkSize: chunkSize)
    let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
    var samples: [Sample] = []
    var rejections: [Rejection] = []
    let summary = bytes.withUnsafeBytes { buffer in
      CSVReader(profile: profile, chunkSize: chunkSize).read(
        bytes: buffer, name: path, onSample: { samples.append($0) },
        onRejection: { rejections.append($0) })
    }
    #expect(fromFile.samples == samples)
    #expect(fromFile.rejections == rejections)
    // A file's summary also has the size and digest of the bytes read.
    #expect(fromFile.summary.bytes == bytes.count)
    #expect(fromFile.summary.sha256 == SHA256.hex(Array(bytes)))
    var withoutDigest = fromFile.summary
    withoutDigest.bytes = nil
    withoutDigest.sha256 = nil
    #expect(withoutDigest == summary)
  }
}
