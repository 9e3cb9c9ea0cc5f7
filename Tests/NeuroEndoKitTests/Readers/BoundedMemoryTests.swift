import Foundation
import Testing

@testable import NeuroEndoKit

@Suite("Memory per record is bounded as bytes arrive")
struct BoundedMemoryTests {
  @Test("a 200 MB line costs the parser no more than its limits; the next record is read")
  func longLine() throws {
    let parser = CSVParser(maxFieldBytes: 65_536, maxLineBytes: 1 << 20)
    var records: [(number: Int, oversized: CSVRecord.Oversized?, fields: Int)] = []
    func handle(_ record: CSVRecord) {
      records.append((record.number, record.oversized, record.count))
    }
    try Array("id,value\n".utf8).withUnsafeBytes { try parser.feed($0, handler: handle) }
    let megabyte = [UInt8](repeating: UInt8(ascii: "a"), count: 1 << 20)
    var peak = 0
    for _ in 0..<200 {
      try megabyte.withUnsafeBytes { try parser.feed($0, handler: handle) }
      peak = max(peak, parser.bufferedBytes)
    }
    try Array("\nP2,7.5\n".utf8).withUnsafeBytes { try parser.feed($0, handler: handle) }
    try parser.finish(handler: handle)
    // The limits are 64 KiB and 1 MiB; libcsv reads in 64 KiB slices, and the store starts
    // at 128 KiB: well under 2 MiB held at any time for 200 MiB of one field.
    #expect(peak < 2 << 20)
    #expect(records.count == 3)
    #expect(records[1].oversized == CSVRecord.Oversized(bytes: 200 << 20, field: true))
    #expect(records[2].number == 3 && records[2].oversized == nil && records[2].fields == 2)
  }

  @Test("a line of many short fields is cut at the line limit, not stored whole")
  func manyFields() throws {
    let parser = CSVParser(maxFieldBytes: 65_536, maxLineBytes: 1 << 20)
    var oversized: CSVRecord.Oversized?
    var peak = 0
    let chunk = [UInt8](repeating: 0, count: 1 << 20).enumerated().map {
      $0.offset % 2 == 0 ? UInt8(ascii: "7") : UInt8(ascii: ",")
    }
    for _ in 0..<50 {
      try chunk.withUnsafeBytes { try parser.feed($0) { oversized = $0.oversized } }
      peak = max(peak, parser.bufferedBytes)
    }
    try parser.finish { oversized = $0.oversized }
    #expect(peak < 2 << 20)
    #expect(oversized?.field == false)
    #expect((oversized?.bytes ?? 0) > 1 << 20)
  }

  @Test(
    "the reader rejects an over-long record with its number, and an over-long header fails the file"
  )
  func readerLimits() {
    var profile = CSVProfile.lisLong
    profile.maxLineBytes = 200
    let long = String(repeating: "x", count: 300)
    let result = read(
      text: """
        patient_id,test_code,value,unit,collected_at
        P1,3016-3,2.1,mIU/L,2026-03-14T08:00:00+01:00
        P1,3016-3,\(long),mIU/L,2026-03-14T09:00:00+01:00
        P1,3016-3,2.4,mIU/L,2026-03-14T10:00:00+01:00
        """, profile: profile)
    #expect(result.samples.map(\.quantity.value) == [2.1, 2.4])
    #expect(result.reasons == ["line-too-long"])
    #expect(result.rejections.first?.location.record == 3)
    profile.maxFieldBytes = 100
    let field = read(
      text: "patient_id,test_code,value,unit,collected_at\nP1,3016-3,\(long.prefix(150)),mIU/L,x\n",
      profile: profile)
    #expect(field.rejections.first?.reason == .fieldTooLong(bytes: 150, limit: 100))
    #expect(field.rejections.first?.location.column == "value")
    let header = read(text: "patient_id,\(long)\nP1,2\n", profile: profile)
    #expect(header.summary.failure?.hasPrefix("the header is field of 300 bytes") == true)
    #expect(header.summary.rejectedRecords == 1)
  }
}
