import Foundation
import Testing

@testable import NeuroEndoKit

@Suite("sample columns (samples in column buffers)")
struct SampleColumnsTests {
  /// A sample with every optional field set, texts outside ASCII, negative numbers and
  /// values a text format would round.
  static let everyField = Sample(
    subjectID: "Zoë-7", analyte: .cortisol, specimen: .saliva,
    quantity: Quantity(value: 0.1 + 0.2, unit: .nanomolePerLiter, censoring: .atOrBelow),
    collected: CollectionTime(
      local: LocalDateTime(year: 2026, month: 3, day: 29, hour: 1, minute: 59, second: 59.125),
      utcOffsetSeconds: -(9 * 3600 + 30 * 60)),
    timeZone: "America/St_Johns",
    wake: CollectionTime(
      local: LocalDateTime(year: 1999, month: 12, day: 31, hour: 23, minute: 0),
      utcOffsetSeconds: 0),
    relativeTime: RelativeTime(minutes: -15.5, anchor: .event("TSST start")), day: Int.min,
    label: "+30 \u{1F9EA}",
    referenceRange: ReferenceRange(low: nil, high: 1e-300, unit: .microgramPerDeciliter),
    testCode: "2143-6", qualifier: "late-night",
    attributes: ["sex": "F", "medication": "hydrocortisone, 10 mg\n", "": ""],
    provenance: InputLocation(
      file: "/in/bündel.ndjson", record: 2_000_000_000, column: "value", line: 41,
      path: "entry[3].resource.valueQuantity"))

  /// Samples of the sample pipeline (CSV and FHIR), and variants of one with every field:
  /// each optional field absent in turn.
  static func samples() throws -> [Sample] {
    let pipeline = try PipelineLoader.load(file: Repository.path("Pipelines/sample.yml"))
    var samples: [Sample] = []
    let summary = PipelineRunner(pipeline: pipeline).run(
      outputDirectory: FileManager.default.temporaryDirectory.appendingPathComponent(
        "neuroendo-columns-run-\(UUID())"
      ).path, auditOnly: true, onSample: { samples.append($0) })
    #expect(summary.outputFailures.isEmpty)
    var variants = Array(repeating: everyField, count: 12)
    variants[0].collected = nil
    variants[1].collected?.utcOffsetSeconds = nil
    variants[2].timeZone = nil
    variants[3].wake = nil
    variants[4].relativeTime = RelativeTime(minutes: 0, anchor: .waking)
    variants[5].relativeTime = nil
    variants[6].day = nil
    variants[7].referenceRange = ReferenceRange(low: -3, high: nil)
    variants[8].attributes = [:]
    variants[9].provenance = InputLocation(file: "/in/bündel.ndjson")
    variants[10].label = nil
    variants[10].testCode = nil
    variants[10].qualifier = nil
    variants[11] = Sample(
      subjectID: "", analyte: .tsh, specimen: .serum,
      quantity: Quantity(value: -.infinity, unit: .milliIUPerLiter),
      provenance: InputLocation(file: ""))
    return samples + variants + [everyField]
  }

  @Test("every sample reads back equal from the columns, and from their bytes")
  func roundTrip() throws {
    let samples = try Self.samples()
    #expect(samples.count > 100)
    var columns = SampleColumns()
    for (index, sample) in samples.enumerated() {
      columns.append(sample, sequence: index * 5 + 2)
    }
    #expect(columns.count == samples.count)
    var buffer: [UInt8] = []
    columns.encoded(into: &buffer)
    let decoded = try buffer.withUnsafeBytes { try SampleColumns(bytes: $0) }
    for (index, sample) in samples.enumerated() {
      if columns.sample(at: index) != sample {
        Issue.record("sample \(index) differs in the columns: \(columns.sample(at: index))")
      }
      if decoded.sample(at: index) != sample {
        Issue.record("sample \(index) differs from the bytes: \(decoded.sample(at: index))")
      }
    }
    #expect(decoded.sequence == samples.indices.map { $0 * 5 + 2 })
    // The same bits, not merely equal numbers; a text is held once however often it recurs.
    #expect(
      decoded.sample(at: samples.count - 1).quantity.value.bitPattern == (0.1 + 0.2).bitPattern)
    #expect(decoded.texts.count == Set(decoded.texts).count)
    #expect(Set(decoded.subject).count == Set(samples.map(\.subjectID)).count)
    #expect(Set(decoded.file).count == Set(samples.map(\.provenance.file)).count)
  }

  @Test(
    "a row copied column by column into other columns reads back equal, its texts numbered once there, across a reset"
  )
  func copiedRows() throws {
    let samples = try Self.samples()
    var source = SampleColumns()
    for (index, sample) in samples.enumerated() { source.append(sample, sequence: index + 1) }
    // Rows dealt to two columns in turn, the first forgetting its texts halfway (as a
    // scratch file's chunk does once written): its map starts again with it.
    var targets = [SampleColumns(), SampleColumns()]
    var maps = [SampleColumns.TextMap(), SampleColumns.TextMap()]
    maps[0].reset(count: source.texts.count)
    maps[1].reset(count: source.texts.count)
    var copied: [[Int]] = [[], []]
    for row in source.sequence.indices {
      let target = row % 2
      if row == samples.count / 2 & ~1 {  // an even row: the first target's
        targets[0].removeAll()
        copied[0] = []
        maps[0].reset(count: source.texts.count)
      }
      targets[target].append(row: row, of: source, map: &maps[target], sequence: row * 3)
      copied[target].append(row)
    }
    for target in 0..<2 {
      #expect(targets[target].count == copied[target].count)
      for (place, row) in copied[target].enumerated() {
        if targets[target].sample(at: place) != samples[row] {
          Issue.record("row \(row) differs: \(targets[target].sample(at: place))")
        }
        #expect(targets[target].sequence[place] == row * 3)
      }
      // Only the texts its rows use, each once; and the same from its bytes.
      #expect(targets[target].texts.count == Set(targets[target].texts).count)
      var bytes: [UInt8] = []
      targets[target].encoded(into: &bytes)
      let back = try bytes.withUnsafeBytes { try SampleColumns(bytes: $0) }
      for place in copied[target].indices
      where back.sample(at: place) != targets[target].sample(at: place) {
        Issue.record("row \(copied[target][place]) differs from its bytes")
      }
    }
    #expect(targets[0].texts.count < source.texts.count)
  }

  @Test("a column of one repeated value is written once: a research export's chunk is small")
  func packed() throws {
    var columns = SampleColumns()
    for index in 0..<512 {
      let sample = Sample(
        subjectID: "s\(100_000 + index / 45)", analyte: .cortisol, specimen: .saliva,
        quantity: Quantity(value: Double(index % 97) / 7, unit: .nanomolePerLiter),
        relativeTime: RelativeTime(minutes: Double(index % 9 * 15), anchor: .waking),
        day: index / 9 % 5 + 1, label: "S\(index % 9 + 1)",
        provenance: InputLocation(file: "/in/cohort.csv", record: index + 2, column: "cortisol"))
      columns.append(sample, sequence: index + 1)
    }
    var bytes: [UInt8] = []
    columns.encoded(into: &bytes)
    // Sequence, subject, record, value, minutes, day and label vary: 44 bytes a sample, and
    // the constant columns a few bytes each.
    #expect(bytes.count < 512 * 46)
    let back = try bytes.withUnsafeBytes { try SampleColumns(bytes: $0) }
    for index in 0..<512 where back.sample(at: index) != columns.sample(at: index) {
      Issue.record("sample \(index) differs")
    }
    // A header that claims more rows than a chunk holds is damage, not an allocation.
    var huge = bytes
    huge.replaceSubrange(0..<4, with: [0xFF, 0xFF, 0xFF, 0x7F])
    #expect(throws: SampleColumns.Damaged.self) {
      _ = try huge.withUnsafeBytes { try SampleColumns(bytes: $0) }
    }
  }

  @Test("a research export read into columns gives the samples and counts it gives as samples")
  func fromTheReader() throws {
    var text = "subject_id,day,sample,minutes_since_waking,cortisol_nmol_l,dhea_s_umol_l,sex\n"
    for row in 0..<5_000 {
      let value = row % 97 == 0 ? "" : NumberText.plain(Double(row % 37) / 3)
      // Some records without a label, day or time, or the kept column; one value
      // unparsable (a rejection at its column beside the record's other sample).
      let label = row % 53 == 0 ? "" : "S\(row % 9 + 1)"
      let day = row % 59 == 0 ? "" : "\(row / 9 % 5 + 1)"
      let minutes = row % 61 == 0 ? "" : "\(row % 9 * 15)"
      let dhea = row % 67 == 0 ? "high" : "1.5"
      let sex = row % 71 == 0 ? "" : row % 2 == 0 ? "F" : "M"
      text += "S\(row / 45),\(day),\(label),\(minutes),\(value),\(dhea),\(sex)\n"
    }
    // An id no sample may have: each of its record's two values rejected at its column.
    text += "bad\u{0}id,1,S1,0,3,2.5,F\n"
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
      "neuroendo-columns-\(UUID()).csv"
    ).path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: path) }
    var one: [Sample] = []
    var rejected: [Rejection] = []
    let plain = CSVReader(profile: nil).read(
      file: path, onSample: { one.append($0) }, onRejection: { rejected.append($0) })
    var batches: [Int] = []
    var fromColumns: [Sample] = []
    var rejectedToo: [Rejection] = []
    let columnar = CSVReader(profile: nil).read(
      file: path, onSample: { fromColumns.append($0) }, onRejection: { rejectedToo.append($0) },
      onColumns: { columns in
        batches.append(columns.count)
        for index in 0..<columns.count { fromColumns.append(columns.sample(at: index)) }
      })
    // Full batches (handed on before a record once they hold 4,096 samples: a record's two
    // values stay in one batch, here the 4,097th), then the rest at the end of the file.
    #expect(batches.dropLast() == [4_097, 4_096] && batches.count == 3)
    let badID = rejectedToo.filter {
      if case .invalidSubjectID = $0.reason { return true }
      return false
    }
    #expect(badID.map(\.location.column) == ["cortisol_nmol_l", "dhea_s_umol_l"])
    #expect(batches.reduce(0, +) == one.count)
    #expect(fromColumns == one)
    #expect(rejectedToo == rejected && !rejected.isEmpty)
    #expect(columnar == plain)
  }

  @Test("a research export's time zones and kept columns read into columns as into samples")
  func zonesFromTheReader() throws {
    var text = "subject_id,day,sample,minutes_since_waking,cortisol_nmol_l,tsh_miu_l,tz,note\n"
    let zones = ["Europe/Berlin", "", "America/New_York"]
    for row in 0..<300 {
      let note = row % 4 == 0 ? "" : "after 1 mg dexamethasone \(row % 3)"
      text += "P\(row / 30),\(row / 10 % 3 + 1),S\(row % 10),\(row % 10 * 20),"
      text += "\(row % 7 + 2),\(row % 5 == 0 ? "" : "1.\(row % 9)"),\(zones[row % 3]),\(note)\n"
    }
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
      "neuroendo-columns-zones-\(UUID()).csv"
    ).path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: path) }
    var profile = CSVProfile.researchLong
    profile.columns[.timeZone] = "tz"
    var one: [Sample] = []
    let plain = CSVReader(profile: profile).read(
      file: path, onSample: { one.append($0) }, onRejection: { _ in })
    var fromColumns: [Sample] = []
    let columnar = CSVReader(profile: profile).read(
      file: path, onSample: { fromColumns.append($0) }, onRejection: { _ in },
      onColumns: { columns in
        for index in 0..<columns.count { fromColumns.append(columns.sample(at: index)) }
      })
    #expect(one.count == 300 + 240)
    #expect(one.filter { $0.timeZone != nil }.count == 360)
    #expect(one.contains { $0.attributes["note"] != nil })
    #expect(fromColumns == one)
    #expect(columnar == plain)
  }

  @Test("emptied, the columns hold nothing and fill again alike")
  func removeAll() {
    var columns = SampleColumns()
    columns.append(Self.everyField, sequence: 1)
    columns.removeAll()
    #expect(columns.count == 0 && columns.texts.isEmpty && columns.rare.isEmpty)
    var other = Self.everyField
    other.subjectID = "another"
    columns.append(other, sequence: 7)
    #expect(columns.count == 1 && columns.sample(at: 0) == other)
    #expect(columns.attributeStart == [0, 6])
  }

  @Test("damaged bytes throw or decode to samples, never trap: every byte changed, every cut")
  func damaged() throws {
    var columns = SampleColumns()
    var second = Self.everyField
    second.subjectID = "S2"
    second.attributes = ["note": "after 1 mg dexamethasone"]
    for (index, sample) in [Self.everyField, second, Self.everyField].enumerated() {
      columns.append(sample, sequence: index)
    }
    var bytes: [UInt8] = []
    columns.encoded(into: &bytes)
    var thrown = 0
    for position in bytes.indices {
      for poison: UInt8 in [0xFF, 0x80, 0x01] where bytes[position] != poison {
        var changed = bytes
        changed[position] = poison
        guard let decoded = changed.withUnsafeBytes({ try? SampleColumns(bytes: $0) }) else {
          thrown += 1
          continue
        }
        for index in 0..<decoded.count { _ = decoded.sample(at: index) }
      }
    }
    // Most changes land in numbers that are checked.
    #expect(thrown > bytes.count / 2)
    for length in 0..<bytes.count {
      #expect(throws: SampleColumns.Damaged.self) {
        _ = try Array(bytes[0..<length]).withUnsafeBytes { try SampleColumns(bytes: $0) }
      }
    }
  }
}
