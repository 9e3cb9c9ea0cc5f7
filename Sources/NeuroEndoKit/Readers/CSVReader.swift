import Foundation

/// Reads a CSV lab export into samples and rejections, streaming it in fixed-size chunks.
///
/// Memory does not grow with the file: the parser holds one chunk and the longest
/// record. A file that cannot be opened, or whose CSV syntax breaks, ends with a
/// ``FileReadSummary/failure``; it never throws, so one bad file cannot stop a run.
public struct CSVReader: Sendable {
  /// The profile, or `nil` to recognise the built-in LIS long and research long layouts.
  public var profile: CSVProfile?
  /// Bytes read and parsed at a time.
  public var chunkSize: Int

  /// Creates a reader.
  public init(profile: CSVProfile? = nil, chunkSize: Int = 1 << 18) {
    self.profile = profile
    self.chunkSize = chunkSize
  }

  /// Reads a file.
  ///
  /// libcsv parses on a second thread while this one maps records to samples, so that
  /// the two overlap; `onSample` and `onRejection` are called on the calling thread.
  ///
  /// - Parameters:
  ///   - path: the file to read.
  ///   - onSample: called for every sample, in file order.
  ///   - onRejection: called for every rejection, in file order.
  /// - Returns: the counts, which always add up (``FileReadSummary/isBalanced``).
  public func read(
    file path: String, onSample: (Sample) -> Void, onRejection: (Rejection) -> Void = { _ in }
  ) -> FileReadSummary {
    read(file: path, onSample: onSample, onRejection: onRejection, onColumns: nil)
  }

  /// Reads a file, as ``read(file:onSample:onRejection:)``; `onColumns`, when given, takes
  /// the samples in columns (``SampleColumns``), 4,096 at a time and the rest at the end of
  /// the file, instead of `onSample` (a run in partitions writes them to its scratch files).
  func read(
    file path: String, onSample: (Sample) -> Void, onRejection: (Rejection) -> Void,
    onColumns: ((inout SampleColumns) -> Void)?
  ) -> FileReadSummary {
    withOpenFile(path, profile: profile?.name ?? "none") { file in
      read(file, path: path, onSample, onRejection, onColumns)
    }
  }

  private func read(
    _ descriptor: InputFile, path: String, _ onSample: (Sample) -> Void,
    _ onRejection: (Rejection) -> Void, _ onColumns: ((inout SampleColumns) -> Void)?
  ) -> FileReadSummary {
    return withoutActuallyEscaping(onSample) { onSample in
      withoutActuallyEscaping(onRejection) { onRejection in
        var session = ReadSession(
          reader: self, file: path, onSample: onSample, onRejection: onRejection,
          onColumns: onColumns)
        switch firstLine(descriptor) {
        case .failure(let failure): session.end(.readFailure(failure.message))
        case .success(let firstBytes):
          let thread = ParsingThread(
            parser: session.makeParser(firstBytes), firstBytes: firstBytes,
            descriptor: descriptor, chunkSize: chunkSize)
          thread.start()
          // Take batches until the last: only then is the thread done with the descriptor.
          while true {
            let batch = thread.next()
            session.consume(batch)
            if batch.ending != nil { break }
            thread.recycle(batch)
          }
        }
        return session.summarize()
      }
    }
  }

  /// Reads from the start of the file until the first line is complete (or 64 KiB, or the
  /// end), so that the delimiter can be detected before parsing starts.
  private func firstLine(_ descriptor: InputFile) -> Result<[UInt8], ReadFailure> {
    var bytes: [UInt8] = []
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
    defer { buffer.deallocate() }
    // The header's line: after the lines a profile skips.
    let lines = (profile?.skipLines ?? 0) + 1
    while bytes.count(where: { $0 == 0x0A || $0 == 0x0D }) < lines && bytes.count < 1 << 16 {
      let count = descriptor.read(into: buffer.baseAddress, chunkSize)
      if count < 0 {
        return .failure(ReadFailure(message: "read error: \(descriptor.failure)"))
      }
      if count == 0 { break }
      bytes.append(contentsOf: buffer[..<count])
    }
    return .success(bytes)
  }

  /// Reads bytes already in memory (tests and the fuzzer), as if they were the file `name`,
  /// on the calling thread in chunks of ``chunkSize``.
  public func read(
    bytes: UnsafeRawBufferPointer, name: String, onSample: (Sample) -> Void,
    onRejection: (Rejection) -> Void = { _ in }
  ) -> FileReadSummary {
    withoutActuallyEscaping(onSample) { onSample in
      withoutActuallyEscaping(onRejection) { onRejection in
        var session = ReadSession(
          reader: self, file: name, onSample: onSample, onRejection: onRejection)
        // The delimiter is detected from the first line, as for files.
        var lineEnd = bytes.count
        if let index = bytes.firstIndex(where: { $0 == 0x0A || $0 == 0x0D }) { lineEnd = index + 1 }
        let parser = session.makeParser(
          UnsafeRawBufferPointer(rebasing: bytes[..<min(bytes.count, max(lineEnd, 1 << 16))]))
        var batch = RecordBatch()
        var offset = 0
        while batch.ending == nil {
          batch.removeAll()
          if offset < bytes.count {
            let end = min(bytes.count, offset + chunkSize)
            let error = parser.parse(UnsafeRawBufferPointer(rebasing: bytes[offset..<end]))
            offset = end
            parser.moveRecords(into: &batch)
            if let error { batch.ending = .syntax(error) }
          } else {
            let error = parser.finish()
            parser.moveRecords(into: &batch)
            batch.ending = error.map { .syntax($0) } ?? .endOfFile
          }
          session.consume(batch)
        }
        return session.summarize()
      }
    }
  }

  /// Picks the built-in profile whose columns a header has, or `nil`.
  public static func recognise(header: [String]) -> CSVProfile? {
    let names = Set(header.map(MappingContext.key))
    let research = CSVProfile.researchLong
    if names.contains(research.column(.subject)),
      header.contains(where: { ResearchLongMapper.valueColumn($0) != nil })
    {
      return research
    }
    let lis = CSVProfile.lisLong
    let required: [CSVProfile.Role] = [.subject, .code, .value, .unit, .collected]
    if required.allSatisfy({ names.contains(lis.column($0)) }) { return lis }
    return nil
  }

  /// Guesses the delimiter from the first line: the most frequent of `,`, `;` and tab
  /// outside quotes; `,` when none occurs.
  static func detectDelimiter(_ bytes: UnsafeRawBufferPointer, skipping lines: Int = 0) -> UInt8 {
    var counts: [UInt8: Int] = [UInt8(ascii: ","): 0, UInt8(ascii: ";"): 0, 0x09: 0]
    var quoted = false
    var skipped = 0
    var previous: UInt8 = 0
    for byte in bytes {
      if byte == UInt8(ascii: "\"") { quoted.toggle() }
      if !quoted && (byte == 0x0A || byte == 0x0D) {
        // A CRLF ends one line, not two.
        if byte == 0x0A && previous == 0x0D {
          previous = byte
          continue
        }
        skipped += 1
        if skipped > lines { break }
        previous = byte
        continue
      }
      previous = byte
      if skipped < lines { continue }
      if !quoted, counts[byte] != nil { counts[byte]! += 1 }
    }
    let best = counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }!
    return best.value == 0 ? UInt8(ascii: ",") : best.key
  }
}

/// The state of reading one file of records: mapper and counts. CSV files and generic
/// JSON files (turned into records) both go through it.
struct ReadSession {
  let reader: CSVReader
  let file: String
  let onSample: (Sample) -> Void
  let onRejection: (Rejection) -> Void
  var summary: FileReadSummary
  // One of these is set once the header is read. Concrete types, not `any RecordMapper`:
  // the mapper's caches are updated in place for every record, without copies.
  var lisLong: LISLongMapper?
  var researchLong: ResearchLongMapper?
  var wide: WideMapper?
  var headerProblem: HeaderProblem?
  var header: [String]?
  var linesSkipped = 0
  var maxFieldBytes = Int.max
  var output: RecordOutput

  init(
    reader: CSVReader, file: String, onSample: @escaping (Sample) -> Void,
    onRejection: @escaping (Rejection) -> Void,
    onColumns: ((inout SampleColumns) -> Void)? = nil
  ) {
    self.reader = reader
    self.file = file
    self.onSample = onSample
    self.onRejection = onRejection
    output = RecordOutput(onSample: onSample, onColumns: onColumns)
    summary = FileReadSummary(file: file, profile: reader.profile?.name ?? "auto")
  }

  /// Records the first failure that stopped reading the file.
  mutating func fail(_ message: String) {
    if summary.failure == nil { summary.failure = message }
  }

  /// The parser for this file: the profile's delimiter, or the one detected in `firstBytes`.
  mutating func makeParser(_ given: UnsafeRawBufferPointer) -> CSVParser {
    let skip = reader.profile?.skipLines ?? 0
    // The lines up to the header's end (line-break bytes counted as they come, quoted or
    // not), at most 64 KiB: the same bytes whether a file or memory is read.
    var end = min(given.count, 1 << 16)
    var breaks = 0
    for index in 0..<end where given[index] == 0x0A || given[index] == 0x0D {
      // A CRLF is one line break.
      if given[index] == 0x0A, index > 0, given[index - 1] == 0x0D { continue }
      breaks += 1
      if breaks > skip {
        end = min(index + 2, given.count)  // the LF of a CRLF too
        break
      }
    }
    let firstBytes = UnsafeRawBufferPointer(rebasing: given[..<end])
    let delimiter =
      reader.profile?.delimiter ?? CSVReader.detectDelimiter(firstBytes, skipping: skip)
    // What the audit shows of how the file was read.
    summary.dialect = FileReadSummary.Dialect(
      encoding: (reader.profile?.encoding ?? .utf8).rawValue,
      byteOrderMark: firstBytes.starts(with: [0xEF, 0xBB, 0xBF]),
      delimiter: delimiter == 0x09 ? "tab" : String(UnicodeScalar(delimiter)),
      delimiterDetected: reader.profile?.delimiter == nil,
      decimal: reader.profile?.decimalComma == true ? "comma" : "point", headerLine: skip + 1)
    let limits = reader.profile ?? CSVProfile.lisLong
    return CSVParser(
      delimiter: delimiter, strict: reader.profile?.strict ?? true,
      maxFieldBytes: limits.maxFieldBytes, maxLineBytes: limits.maxLineBytes)
  }

  /// The parser for this file, from the first bytes of an array.
  mutating func makeParser(_ firstBytes: [UInt8]) -> CSVParser {
    firstBytes.withUnsafeBytes { makeParser($0) }
  }

  /// Maps the records of a batch and, when it is the last, records how the file ended.
  mutating func consume(_ batch: RecordBatch) {
    // The mapper works from a local variable for the whole batch: called through a stored
    // property of `self` beside `output`, it would be copied in and out for every record.
    var mapper = ActiveMapper(lisLong: lisLong, researchLong: researchLong, wide: wide)
    (lisLong, researchLong, wide) = (nil, nil, nil)
    let profile = reader.profile
    batch.forEach { record in
      guard let header else {
        // Lines before the header (a title line) are skipped, and said.
        if linesSkipped < (reader.profile?.skipLines ?? 0) {
          linesSkipped += 1
          if linesSkipped == reader.profile?.skipLines {
            summary.notices.append(
              "skipped \(linesSkipped) line\(linesSkipped == 1 ? "" : "s") before the header (csv.skip_lines or csv.header_row); the header is line \(linesSkipped + 1)"
            )
          }
          return
        }
        if let oversized = record.oversized {
          refuseHeader(oversized)
          return
        }
        readHeader(record)
        mapper = ActiveMapper(lisLong: lisLong, researchLong: researchLong, wide: wide)
        (lisLong, researchLong, wide) = (nil, nil, nil)
        return
      }
      take(record, header: header, profile: profile, mapper: &mapper)
    }
    (lisLong, researchLong, wide) = (mapper.lisLong, mapper.researchLong, mapper.wide)
    if let ending = batch.ending { end(ending) }
  }

  /// Maps one data record and counts what it became. A method of its own: in the closure
  /// of ``consume(_:)``, the output was copied for every record to be read beside the
  /// summary it is counted into.
  private mutating func take(
    _ record: CSVRecord, header: [String], profile: CSVProfile?, mapper: inout ActiveMapper
  ) {
    summary.records += 1
    output.reset()
    if let problem = Self.recordProblem(
      record, header: header, headerProblem: headerProblem, file: file, profile: profile,
      maxFieldBytes: maxFieldBytes)
    {
      output.reject(problem)
    } else {
      mapper.map(record, into: &output)
    }
    summary.tally(output, onRejection: onRejection)
  }

  /// Counts a record that failed before it could be mapped (a JSON item that does not parse).
  mutating func reject(record rejection: Rejection) {
    summary.records += 1
    output.reset()
    output.reject(rejection)
    summary.tally(output, onRejection: onRejection)
  }

  mutating func end(_ ending: RecordBatch.Ending) {
    switch ending {
    case .endOfFile: break
    case .syntax(let error): syntaxFailure(error)
    case .readFailure(let message): fail(message)
    }
  }

  /// The summary, with the warnings that lose no data and the counts by kind; the samples
  /// still gathered in columns are handed on first.
  mutating func summarize() -> FileReadSummary {
    output.flushColumns()
    if header == nil, summary.failure == nil {
      summary.warnings.append("empty file: no header, no records")
    }
    if header != nil, summary.records == 0, summary.failure == nil {
      summary.warnings.append("header only: the file holds no records")
    }
    summary.addKinds(output)
    if let header {
      for (column, count) in output.emptyByColumn where column < header.count {
        summary.emptyCellsByColumn[header[column], default: 0] += count
      }
    }
    let assumed = summary.samplesByKind["cortisol/saliva"] ?? 0
    if researchLong != nil || wide != nil, reader.profile?.specimen == nil, assumed > 0 {
      summary.notices.append(
        "\(assumed) cortisol samples without a specimen, timed in minutes since waking, read as saliva (the research default; a profile's specimen: says otherwise)"
      )
    }
    precondition(summary.isBalanced, "record accounting broke for \(file)")
    return summary
  }

  private mutating func syntaxFailure(_ error: CSVSyntaxError) {
    fail(
      "malformed CSV at record \(error.record): \(error.message); the rest of the file was not read"
    )
    if header != nil {
      // The broken record is a data record; count it as rejected.
      summary.records += 1
      summary.rejectedRecords += 1
      let rejection = Rejection(
        location: InputLocation(file: file, record: error.record),
        reason: .malformedCSV(error.message))
      summary.count(rejection)
      onRejection(rejection)
    }
  }

  /// A header longer than a limit: the file cannot be read, and each record says why.
  private mutating func refuseHeader(_ oversized: CSVRecord.Oversized) {
    let limits = reader.profile ?? CSVProfile.lisLong
    let reason = Self.reason(oversized, limits)
    fail("the header is \(reason.description); the file was not read")
    header = []
    headerProblem = HeaderProblem(column: "", reason: reason)
  }

  /// The rejection reason of a record longer than a limit.
  static func reason(_ oversized: CSVRecord.Oversized, _ limits: CSVProfile) -> RejectionReason {
    oversized.field
      ? .fieldTooLong(bytes: oversized.bytes, limit: limits.maxFieldBytes)
      : .lineTooLong(bytes: oversized.bytes, limit: limits.maxLineBytes)
  }

  private mutating func readHeader(_ record: CSVRecord) {
    let encoding = reader.profile?.encoding ?? .utf8
    let names = (0..<record.count).map { index in
      record.string(index, encoding: encoding)
        ?? String(decoding: record.bytes(index), as: UTF8.self)
    }
    header = names
    guard var profile = reader.profile ?? CSVReader.recognise(header: names) else {
      summary.profile = "none"
      fail(
        "no profile was given and the header matches no built-in layout "
          + "(lis-long: patient_id,test_code,value,unit,collected_at; "
          + "research-long: subject_id plus <analyte>_<unit> columns); pass a profile")
      headerProblem = HeaderProblem(column: "", reason: .missingColumn("patient_id or subject_id"))
      return
    }
    summary.profile = profile.name
    if reader.profile == nil {
      // A built-in layout keeps the usual context columns (sex, birth date, medication,
      // comment, test name) on every sample, so that they reach the analyzers.
      profile.keep = names.filter {
        CSVProfile.contextColumns.contains(MappingContext.key($0))
      }
    }
    // Every column the profile does not read is named once, so that nothing is dropped
    // without a word.
    let read = profile.readColumns(names)
    let ignored = names.indices.filter {
      !read.contains($0) && !MappingContext.key(names[$0]).isEmpty
    }
    summary.ignoredColumns = ignored.map { names[$0] }
    if !ignored.isEmpty {
      summary.warnings.append(
        "column\(ignored.count == 1 ? "" : "s") not read: "
          + ignored.map { "'\(names[$0])'" }.joined(separator: ", ")
          + " (a profile's keep: puts a column on every sample)")
    }
    let context = MappingContext(file: file, profile: profile, header: names)
    maxFieldBytes = profile.maxFieldBytes
    do throws(HeaderProblem) {
      if !profile.firstOfDuplicateColumns, let twice = MappingContext.duplicate(in: names) {
        throw HeaderProblem(
          column: names[twice.second],
          reason: .duplicateColumn(
            name: names[twice.second], first: twice.first + 1, second: twice.second + 1))
      }
      switch profile.shape {
      case .lisLong: lisLong = try LISLongMapper(context)
      case .researchLong: researchLong = try ResearchLongMapper(context)
      case .wide: wide = try WideMapper(context)
      case .diary:
        throw HeaderProblem(
          column: "",
          reason: .missingColumn("sample values (a diary profile reads wake times only)"))
      }
    } catch {
      headerProblem = error
    }
  }

  /// A problem that rejects the record as a whole, before any value is read.
  ///
  /// Static, with what it reads given: called from the closure over a batch's records, a
  /// method of the session copied the whole session (and its outputs) at every record.
  private static func recordProblem(
    _ record: CSVRecord, header: [String], headerProblem: HeaderProblem?, file: String,
    profile: CSVProfile?, maxFieldBytes: Int
  ) -> Rejection? {
    if headerProblem == nil, let oversized = record.oversized {
      // Cut short as it arrived: the fields kept end where the long one began.
      let column = oversized.field && record.count < header.count ? header[record.count] : nil
      return Rejection(
        location: InputLocation(file: file, record: record.number, column: column),
        reason: Self.reason(oversized, profile ?? CSVProfile.lisLong))
    }
    if let headerProblem {
      let column = headerProblem.column.isEmpty ? nil : headerProblem.column
      return Rejection(
        location: InputLocation(file: file, record: record.number, column: column),
        reason: headerProblem.reason)
    }
    if record.count != header.count
      && (record.count < header.count
        || (header.count..<record.count).contains(where: { record.length($0) > 0 }))
    {
      return Rejection(
        location: InputLocation(file: file, record: record.number),
        reason: .wrongFieldCount(expected: header.count, found: record.count))
    }
    let limit = maxFieldBytes
    for index in 0..<header.count where record.length(index) > limit {
      return Rejection(
        location: InputLocation(file: file, record: record.number, column: header[index]),
        reason: .fieldTooLong(bytes: record.length(index), limit: limit))
    }
    return nil
  }
}

/// The mapper of a file, whichever shape it has.
private struct ActiveMapper {
  var lisLong: LISLongMapper?
  var researchLong: ResearchLongMapper?
  var wide: WideMapper?

  mutating func map(_ record: CSVRecord, into output: inout RecordOutput) {
    // Each mapper mutated where it is (`!`), not copied out of its optional and back with
    // every reference it holds retained and released, once per record.
    if lisLong != nil { lisLong!.map(record, into: &output) }
    if researchLong != nil { researchLong!.map(record, into: &output) }
    if wide != nil { wide!.map(record, into: &output) }
  }
}

/// Why a file could not be read on.
struct ReadFailure: Error {
  var message: String
}
