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
  public init(profile: CSVProfile? = nil, chunkSize: Int = 1 << 16) {
    self.profile = profile
    self.chunkSize = chunkSize
  }

  /// Reads a file.
  ///
  /// - Parameters:
  ///   - path: the file to read.
  ///   - onSample: called for every sample, in file order.
  ///   - onRejection: called for every rejection, in file order.
  /// - Returns: the counts, which always add up (``FileReadSummary/isBalanced``).
  public func read(
    file path: String, onSample: (Sample) -> Void, onRejection: (Rejection) -> Void = { _ in }
  ) -> FileReadSummary {
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else {
      var summary = FileReadSummary(file: path, profile: profile?.name ?? "none")
      summary.failure = "cannot open: \(String(cString: strerror(errno)))"
      return summary
    }
    defer { close(descriptor) }
    return withoutActuallyEscaping(onSample) { onSample in
      withoutActuallyEscaping(onRejection) { onRejection in
        var session = ReadSession(
          reader: self, file: path, onSample: onSample, onRejection: onRejection)
        return readChunks(descriptor, into: &session)
      }
    }
  }

  private func readChunks(_ descriptor: Int32, into session: inout ReadSession) -> FileReadSummary {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
    defer { buffer.deallocate() }
    while true {
      let count = Foundation.read(descriptor, buffer.baseAddress, chunkSize)
      if count < 0 {
        if errno == EINTR { continue }
        session.fail("read error: \(String(cString: strerror(errno)))")
        break
      }
      if count == 0 { break }
      guard session.feed(UnsafeRawBufferPointer(rebasing: buffer[..<count])) else { break }
    }
    return session.finish()
  }

  /// Reads bytes already in memory (tests and the fuzzer), as if they were the file `name`.
  public func read(
    bytes: UnsafeRawBufferPointer, name: String, onSample: (Sample) -> Void,
    onRejection: (Rejection) -> Void = { _ in }
  ) -> FileReadSummary {
    withoutActuallyEscaping(onSample) { onSample in
      withoutActuallyEscaping(onRejection) { onRejection in
        var session = ReadSession(
          reader: self, file: name, onSample: onSample, onRejection: onRejection)
        var offset = 0
        while offset < bytes.count {
          let end = min(bytes.count, offset + chunkSize)
          guard session.feed(UnsafeRawBufferPointer(rebasing: bytes[offset..<end])) else { break }
          offset = end
        }
        return session.finish()
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
  static func detectDelimiter(_ bytes: UnsafeRawBufferPointer) -> UInt8 {
    var counts: [UInt8: Int] = [UInt8(ascii: ","): 0, UInt8(ascii: ";"): 0, 0x09: 0]
    var quoted = false
    for byte in bytes {
      if byte == UInt8(ascii: "\"") { quoted.toggle() }
      if !quoted && (byte == 0x0A || byte == 0x0D) { break }
      if !quoted, counts[byte] != nil { counts[byte]! += 1 }
    }
    let best = counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }!
    return best.value == 0 ? UInt8(ascii: ",") : best.key
  }
}

/// The state of reading one file: parser, mapper, counts.
private struct ReadSession {
  let reader: CSVReader
  let file: String
  let onSample: (Sample) -> Void
  let onRejection: (Rejection) -> Void
  var summary: FileReadSummary
  var parser: CSVParser?
  var mapper: (any RecordMapper)?
  var headerProblem: HeaderProblem?
  var header: [String]?
  var context: MappingContext?
  var output = RecordOutput()
  var firstBytes: [UInt8] = []
  var kindCounts = [Int](repeating: 0, count: Analyte.allCases.count * Specimen.allCases.count)

  init(
    reader: CSVReader, file: String, onSample: @escaping (Sample) -> Void,
    onRejection: @escaping (Rejection) -> Void
  ) {
    self.reader = reader
    self.file = file
    self.onSample = onSample
    self.onRejection = onRejection
    summary = FileReadSummary(file: file, profile: reader.profile?.name ?? "auto")
  }

  mutating func fail(_ message: String) {
    if summary.failure == nil { summary.failure = message }
  }

  /// Parses a chunk; `false` when reading must stop.
  mutating func feed(_ chunk: UnsafeRawBufferPointer) -> Bool {
    if parser == nil {
      guard let delimiter = reader.profile?.delimiter else {
        // Detecting the delimiter needs the whole first line: hold bytes until a line
        // break arrives (or 64 KiB, or the end of the file).
        firstBytes.append(contentsOf: chunk)
        let lineEnd = firstBytes.contains(0x0A) || firstBytes.contains(0x0D)
        guard lineEnd || firstBytes.count >= 1 << 16 else { return true }
        return flushFirstBytes()
      }
      parser = CSVParser(delimiter: delimiter, strict: reader.profile?.strict ?? true)
    }
    return parse(chunk)
  }

  private mutating func flushFirstBytes() -> Bool {
    let bytes = firstBytes
    firstBytes = []
    return bytes.withUnsafeBytes { bytes in
      parser = CSVParser(
        delimiter: CSVReader.detectDelimiter(bytes), strict: reader.profile?.strict ?? true)
      return parse(bytes)
    }
  }

  private mutating func parse(_ chunk: UnsafeRawBufferPointer) -> Bool {
    do {
      try parser!.feed(chunk) { record in handle(record) }
      return true
    } catch {
      syntaxFailure(error)
      return false
    }
  }

  mutating func finish() -> FileReadSummary {
    if parser == nil, !firstBytes.isEmpty { _ = flushFirstBytes() }
    if let parser, summary.failure == nil {
      do {
        try parser.finish { record in handle(record) }
      } catch {
        syntaxFailure(error)
      }
    }
    if header == nil, summary.failure == nil {
      summary.warnings.append("empty file: no header, no records")
    }
    if header != nil, summary.records == 0, summary.failure == nil {
      summary.warnings.append("header only: the file holds no records")
    }
    for (index, count) in kindCounts.enumerated() where count > 0 {
      let analyte = Analyte.allCases[index / Specimen.allCases.count]
      let specimen = Specimen.allCases[index % Specimen.allCases.count]
      summary.samplesByKind["\(analyte.rawValue)/\(specimen.rawValue)"] = count
    }
    precondition(summary.isBalanced, "record accounting broke for \(file)")
    return summary
  }

  private mutating func syntaxFailure(_ error: any Error) {
    guard let error = error as? CSVSyntaxError else {
      fail("\(error)")
      return
    }
    fail(
      "malformed CSV at record \(error.record): \(error.message); the rest of the file was not read"
    )
    if header != nil {
      // The broken record is a data record; count it as rejected.
      summary.records += 1
      summary.rejectedRecords += 1
      let rejection = Rejection(
        location: SourceLocation(file: file, record: error.record),
        reason: .malformedCSV(error.message))
      summary.count(rejection)
      onRejection(rejection)
    }
  }

  private mutating func handle(_ record: CSVRecord) {
    guard let header else {
      readHeader(record)
      return
    }
    summary.records += 1
    output.reset()
    if let problem = recordProblem(record, header: header) {
      output.rejections.append(problem)
    } else if var active = mapper {
      active.map(record, into: &output)
      mapper = active
    }
    tally()
  }

  private mutating func readHeader(_ record: CSVRecord) {
    let encoding = reader.profile?.encoding ?? .utf8
    let names = (0..<record.count).map { index in
      record.string(index, encoding: encoding)
        ?? String(decoding: record.bytes(index), as: UTF8.self)
    }
    header = names
    guard let profile = reader.profile ?? CSVReader.recognise(header: names) else {
      summary.profile = "none"
      fail(
        "no profile was given and the header matches no built-in layout "
          + "(lis-long: patient_id,test_code,value,unit,collected_at; "
          + "research-long: subject_id plus <analyte>_<unit> columns); pass a profile")
      headerProblem = HeaderProblem(column: "", reason: .missingColumn("patient_id or subject_id"))
      return
    }
    summary.profile = profile.name
    let context = MappingContext(file: file, profile: profile, header: names)
    self.context = context
    do throws(HeaderProblem) {
      switch profile.shape {
      case .lisLong: mapper = try LISLongMapper(context)
      case .researchLong: mapper = try ResearchLongMapper(context)
      case .wide: mapper = try WideMapper(context)
      }
    } catch {
      headerProblem = error
    }
  }

  /// A problem that rejects the record as a whole, before any value is read.
  private func recordProblem(_ record: CSVRecord, header: [String]) -> Rejection? {
    let location = SourceLocation(file: file, record: record.number)
    if let headerProblem {
      var location = location
      location.column = headerProblem.column.isEmpty ? nil : headerProblem.column
      return Rejection(location: location, reason: headerProblem.reason)
    }
    if record.count < header.count
      || (header.count..<record.count).contains(where: { record.length($0) > 0 })
    {
      return Rejection(
        location: location, reason: .wrongFieldCount(expected: header.count, found: record.count))
    }
    let limit = context?.profile.maxFieldBytes ?? Int.max
    for index in 0..<header.count where record.length(index) > limit {
      return Rejection(
        location: SourceLocation(file: file, record: record.number, column: header[index]),
        reason: .fieldTooLong(bytes: record.length(index), limit: limit))
    }
    return nil
  }

  private mutating func tally() {
    for sample in output.samples {
      let analyte = Analyte.allCases.firstIndex(of: sample.analyte)!
      let specimen = Specimen.allCases.firstIndex(of: sample.specimen)!
      kindCounts[analyte * Specimen.allCases.count + specimen] += 1
      onSample(sample)
    }
    for rejection in output.rejections {
      summary.count(rejection)
      onRejection(rejection)
    }
    summary.samples += output.samples.count
    summary.emptyCells += output.emptyCells
    switch (output.samples.isEmpty, output.rejections.isEmpty) {
    case (false, true): summary.acceptedRecords += 1
    case (false, false): summary.partialRecords += 1
    case (true, _): summary.rejectedRecords += 1
    }
  }
}
