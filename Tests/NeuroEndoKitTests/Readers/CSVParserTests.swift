import Testing

@testable import NeuroEndoKit

/// Parses `text` in chunks of `chunkSize` and returns every record's fields.
private func parse(_ text: [UInt8], delimiter: Character = ",", strict: Bool = true, chunkSize: Int)
  throws -> [[String]]
{
  let parser = CSVParser(delimiter: delimiter.asciiValue!, strict: strict)
  var records: [[String]] = []
  let collect: (CSVRecord) -> Void = { record in
    records.append((0..<record.count).map { record.string($0) ?? "<invalid>" })
  }
  try text.withUnsafeBytes { bytes in
    var offset = 0
    while offset < bytes.count {
      let end = min(bytes.count, offset + chunkSize)
      try parser.feed(UnsafeRawBufferPointer(rebasing: bytes[offset..<end]), handler: collect)
      offset = end
    }
  }
  try parser.finish(handler: collect)
  return records
}

@Suite("libcsv parser wrapper")
struct CSVParserTests {
  static let quoted = Array(
    "id,note,value\r\n\"a,1\",\"said \"\"hi\"\"\nand left\",3\r\nb,,4\n".utf8)

  @Test(
    "quoted fields keep commas, doubled quotes and line breaks, whatever the chunk size",
    arguments: [1, 2, 3, 7, 64, 4096])
  func quotedFields(chunkSize: Int) throws {
    let records = try parse(Self.quoted, chunkSize: chunkSize)
    #expect(
      records == [
        ["id", "note", "value"], ["a,1", "said \"hi\"\nand left", "3"], ["b", "", "4"],
      ])
  }

  @Test(
    "a UTF-8 byte order mark is dropped, even when it arrives one byte at a time",
    arguments: [1, 2, 64])
  func byteOrderMark(chunkSize: Int) throws {
    let records = try parse([0xEF, 0xBB, 0xBF] + Array("a,b\n1,2".utf8), chunkSize: chunkSize)
    #expect(records == [["a", "b"], ["1", "2"]])
  }

  @Test("semicolon and tab delimiters; empty tab-separated fields are not swallowed")
  func delimiters() throws {
    #expect(
      try parse(Array("a;b\n1,5;2".utf8), delimiter: ";", chunkSize: 64) == [
        ["a", "b"], ["1,5", "2"],
      ])
    #expect(
      try parse(Array("a\tb\tc\n1\t\t3\n".utf8), delimiter: "\t", chunkSize: 64) == [
        ["a", "b", "c"], ["1", "", "3"],
      ])
  }

  @Test("the last record needs no final line break; blank lines are skipped")
  func lastRecordAndBlankLines() throws {
    #expect(try parse(Array("a,b\n\n\r\n1,2".utf8), chunkSize: 3) == [["a", "b"], ["1", "2"]])
  }

  @Test("strict mode: an unterminated quote is an error naming its record")
  func unterminatedQuote() throws {
    let text = Array("a,b\n1,2\n3,\"four\n5,6\n".utf8)
    #expect(
      throws: CSVSyntaxError(record: 3, message: "error parsing data while strict checking enabled")
    ) {
      try parse(text, chunkSize: 5)
    }
  }

  @Test("strict mode: a quote inside an unquoted field is an error; lenient mode keeps it")
  func strayQuote() throws {
    let text = Array("a,b\n1,x\"y\n".utf8)
    #expect(throws: CSVSyntaxError.self) { try parse(text, chunkSize: 64) }
    #expect(try parse(text, strict: false, chunkSize: 64) == [["a", "b"], ["1", "x\"y"]])
  }

  @Test("records are numbered from 1, counting the header")
  func recordNumbers() throws {
    let parser = CSVParser()
    var numbers: [Int] = []
    try Array("h\n1\n\"2\n2\"\n3\n".utf8).withUnsafeBytes { bytes in
      try parser.feed(bytes) { numbers.append($0.number) }
    }
    try parser.finish { numbers.append($0.number) }
    #expect(numbers == [1, 2, 3, 4])
    #expect(parser.recordCount == 4)
  }
}
