import Foundation

/// Samples kept on disk between the read and a later partition of a run (`--partitions`),
/// in a compact binary form read back equal: the inputs are read once, each sample goes to
/// its partition's file, and each partition then reads its own file instead of the inputs.
///
/// The files are scratch, written and read by the same run (inside its staging directory),
/// so the form needs no version. A record is its length (4 bytes, little-endian), the
/// sample's place in the run's read order, then its fields; a text is written once per
/// file and referred to by number after that (a subject's id, the file name and the column
/// recur on every sample, and the reader then shares one copy of each).
enum SampleSpill {
  /// The most texts a file numbers; later new texts are written out each time.
  static let maxTexts = 1 << 20
  /// The bytes a writer buffers and a reader reads at a time: small, since a run in
  /// partitions writes to hundreds of files at once.
  static let chunk = 64 << 10

  fileprivate static let analytes = Analyte.allCases
  fileprivate static let specimens = Specimen.allCases
  fileprivate static let units = LabUnit.allCases
  fileprivate static let censorings = Censoring.allCases
  fileprivate static let analyteCodes = codes(analytes)
  fileprivate static let specimenCodes = codes(specimens)
  fileprivate static let unitCodes = codes(units)
  fileprivate static let censoringCodes = codes(censorings)

  private static func codes<Value: Hashable>(_ values: [Value]) -> [Value: UInt8] {
    Dictionary(uniqueKeysWithValues: values.enumerated().map { ($1, UInt8($0)) })
  }

  /// The optional fields present, one bit each.
  fileprivate enum Present: UInt16 {
    case collected = 1
    case timeZone = 2
    case wake = 4
    case relativeTime = 8
    case day = 16
    case label = 32
    case referenceRange = 64
    case testCode = 128
    case qualifier = 256
    case record = 512
    case column = 1024
    case line = 2048
    case path = 4096
  }
}

/// Writes samples to a spill file, buffered.
final class SpillWriter {
  let path: String
  private let descriptor: Int32
  private var encoder = SpillEncoder()

  /// Creates (or empties) the file at `path`.
  init(path: String) throws(OutputError) {
    self.path = path
    switch FileSystem.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600) {
    case .success(let opened): descriptor = opened
    case .failure(let failure): throw OutputError(path: path, failure)
    }
    encoder.buffer.reserveCapacity(SampleSpill.chunk + 4096)
  }

  deinit { FileSystem.close(descriptor) }

  /// Appends one sample and its place in the run's read order.
  func write(_ sample: Sample, sequence: Int) throws(OutputError) {
    encoder.append(sample, sequence: sequence)
    if encoder.buffer.count >= SampleSpill.chunk { try flush() }
  }

  /// Writes what is buffered.
  func flush() throws(OutputError) {
    if let failure = encoder.buffer.withUnsafeBytes({ FileSystem.write(descriptor, $0) }) {
      throw OutputError(path: path, failure)
    }
    encoder.buffer.removeAll(keepingCapacity: true)
  }
}

/// Writes samples to the spill files of their buckets on a thread of its own, a batch at a
/// time, so that reading the inputs (one thread mapping records, one parsing) and encoding
/// their samples share the cores. A few batches wait at most; the caller then waits too.
final class BackgroundSpill: @unchecked Sendable {
  /// The bucket files, written only on `queue` until ``finish()``.
  private let writers: [SpillWriter]
  private let queue = DispatchQueue(label: "neuroendo.spill")
  private let waiting = DispatchSemaphore(value: 4)
  /// The batch being filled, by the caller's thread only.
  private var batch: [(sample: Sample, sequence: Int, bucket: Int)] = []
  /// The first failure, set on `queue` and read after it has drained.
  private var failure: OutputError?
  static let batchSize = 4096

  init(writers: [SpillWriter]) {
    self.writers = writers
    batch.reserveCapacity(Self.batchSize)
  }

  /// Queues a sample for its bucket's file.
  func add(_ sample: Sample, sequence: Int, bucket: Int) {
    batch.append((sample, sequence, bucket))
    if batch.count >= Self.batchSize { send() }
  }

  private func send() {
    guard !batch.isEmpty else { return }
    let full = batch
    batch.removeAll(keepingCapacity: true)
    waiting.wait()
    queue.async { [self] in
      defer { waiting.signal() }
      guard failure == nil else { return }
      do throws(OutputError) {
        for item in full { try writers[item.bucket].write(item.sample, sequence: item.sequence) }
      } catch {
        failure = error
      }
    }
  }

  /// Writes what is queued and flushes every file; the first failure, if any.
  func finish() throws(OutputError) {
    send()
    queue.sync {}
    if let failure { throw failure }
    for writer in writers { try writer.flush() }
  }
}

/// Encodes samples into bytes. A value type, so that the many small appends of a sample
/// are checked for exclusive access when compiled, not one by one at run time (as the
/// stored properties of a class are).
struct SpillEncoder {
  var buffer: [UInt8] = []
  private var texts: [String: Int] = [:]
  /// The last text numbered in each slot (subject, file, column, others).
  private var recent: [(text: String, number: Int)?] = Array(repeating: nil, count: 4)

  /// Appends one sample and its place in the run's read order.
  mutating func append(_ sample: Sample, sequence: Int) {
    let start = buffer.count
    buffer.append(contentsOf: [0, 0, 0, 0])
    unsigned(UInt64(sequence))
    var present: UInt16 = 0
    func mark(_ field: SampleSpill.Present, _ isPresent: Bool) {
      if isPresent { present |= field.rawValue }
    }
    let location = sample.provenance
    mark(.collected, sample.collected != nil)
    mark(.timeZone, sample.timeZone != nil)
    mark(.wake, sample.wake != nil)
    mark(.relativeTime, sample.relativeTime != nil)
    mark(.day, sample.day != nil)
    mark(.label, sample.label != nil)
    mark(.referenceRange, sample.referenceRange != nil)
    mark(.testCode, sample.testCode != nil)
    mark(.qualifier, sample.qualifier != nil)
    mark(.record, location.record != nil)
    mark(.column, location.column != nil)
    mark(.line, location.line != nil)
    mark(.path, location.path != nil)
    buffer.append(UInt8(present & 0xFF))
    buffer.append(UInt8(present >> 8))
    text(sample.subjectID, slot: 0)
    buffer.append(SampleSpill.analyteCodes[sample.analyte]!)
    buffer.append(SampleSpill.specimenCodes[sample.specimen]!)
    number(sample.quantity.value)
    buffer.append(SampleSpill.unitCodes[sample.quantity.unit]!)
    buffer.append(SampleSpill.censoringCodes[sample.quantity.censoring]!)
    if let collected = sample.collected { time(collected) }
    if let zone = sample.timeZone { text(zone) }
    if let wake = sample.wake { time(wake) }
    if let relative = sample.relativeTime {
      number(relative.minutes)
      switch relative.anchor {
      case .waking: buffer.append(0)
      case .event(let name):
        buffer.append(1)
        text(name)
      }
    }
    if let day = sample.day { signed(day) }
    if let label = sample.label { text(label) }
    if let range = sample.referenceRange {
      buffer.append(
        (range.low == nil ? 0 : 1) | (range.high == nil ? 0 : 2) | (range.unit == nil ? 0 : 4))
      if let low = range.low { number(low) }
      if let high = range.high { number(high) }
      if let unit = range.unit { buffer.append(SampleSpill.unitCodes[unit]!) }
    }
    if let code = sample.testCode { text(code) }
    if let qualifier = sample.qualifier { text(qualifier) }
    unsigned(UInt64(sample.attributes.count))
    for (key, value) in sample.attributes {
      text(key)
      text(value)
    }
    text(location.file, slot: 1)
    if let record = location.record { signed(record) }
    if let column = location.column { text(column, slot: 2) }
    if let line = location.line { signed(line) }
    if let path = location.path { text(path) }
    let length = UInt32(buffer.count - start - 4)
    for index in 0..<4 { buffer[start + index] = UInt8(truncatingIfNeeded: length >> (8 * index)) }
  }

  private mutating func unsigned(_ value: UInt64) {
    var value = value
    while value >= 0x80 {
      buffer.append(UInt8(truncatingIfNeeded: value) | 0x80)
      value >>= 7
    }
    buffer.append(UInt8(value))
  }

  private mutating func signed(_ value: Int) {
    unsigned(UInt64(bitPattern: Int64((value << 1) ^ (value >> 63))))
  }

  private mutating func number(_ value: Double) {
    let bits = value.bitPattern
    for index in 0..<8 { buffer.append(UInt8(truncatingIfNeeded: bits >> (8 * index))) }
  }

  /// A text: its number when written before (plus one), or 0, its length and its bytes.
  /// `slot`: the field's place among the last texts written (consecutive samples mostly
  /// repeat their subject, file and column, and a comparison is cheaper than hashing).
  private mutating func text(_ value: String, slot: Int = 3) {
    if let last = recent[slot], last.text == value {
      unsigned(UInt64(last.number + 1))
      return
    }
    if let known = texts[value] {
      unsigned(UInt64(known + 1))
      recent[slot] = (value, known)
      return
    }
    unsigned(0)
    var bytes = value
    bytes.withUTF8 { bytes in
      unsigned(UInt64(bytes.count))
      buffer.append(contentsOf: bytes)
    }
    if texts.count < SampleSpill.maxTexts {
      recent[slot] = (value, texts.count)
      texts[value] = texts.count
    }
  }

  private mutating func time(_ time: CollectionTime) {
    let local = time.local
    signed(local.year)
    buffer.append(contentsOf: [
      UInt8(local.month), UInt8(local.day), UInt8(local.hour), UInt8(local.minute),
    ])
    number(local.second)
    if let offset = time.utcOffsetSeconds {
      buffer.append(1)
      signed(offset)
    } else {
      buffer.append(0)
    }
  }
}

/// Reads back the samples a ``SpillWriter`` wrote, in the order written.
struct SpillReader {
  let path: String
  private let descriptor: Int32
  private var buffer: [UInt8] = []
  private var offset = 0
  private var atEnd = false
  private var texts: [String] = []

  /// Opens the file at `path`.
  init(path: String) throws(OutputError) {
    self.path = path
    switch FileSystem.open(path, O_RDONLY | O_CLOEXEC) {
    case .success(let opened): descriptor = opened
    case .failure(let failure): throw OutputError(path: path, failure)
    }
  }

  /// Closes the file.
  func close() { FileSystem.close(descriptor) }

  /// The next sample and its place in the run's read order, or `nil` at the end.
  mutating func next() throws(OutputError) -> (sequence: Int, sample: Sample)? {
    guard try available(4) else { return nil }
    var length = 0
    for index in 0..<4 { length |= Int(buffer[offset + index]) << (8 * index) }
    offset += 4
    guard try available(length) else { throw corrupt("a record is cut short") }
    let end = offset + length
    var cursor = Cursor(bytes: buffer, at: offset, end: end)
    offset = end
    do throws(Damaged) {
      let decoded = try decode(&cursor)
      guard cursor.index == end else { throw Damaged() }
      return decoded
    } catch {
      throw corrupt("a record does not decode")
    }
  }

  private func corrupt(_ what: String) -> OutputError {
    OutputError(path: path, message: "the partition's scratch file is damaged: \(what)")
  }

  /// Whether `count` bytes from `offset` are in the buffer, reading more as needed; `false`
  /// only at the end of the file with nothing left.
  private mutating func available(_ count: Int) throws(OutputError) -> Bool {
    while buffer.count - offset < count {
      if atEnd {
        guard buffer.count == offset else { throw corrupt("the file ends inside a record") }
        return false
      }
      // What is left, then as much as the file gives up to a chunk (or the record).
      let left = buffer.count - offset
      let chunk = max(SampleSpill.chunk, count)
      var read = 0
      var failure: FileSystem.Failure?
      buffer = buffer.withUnsafeBufferPointer { old in
        [UInt8](unsafeUninitializedCapacity: left + chunk) { bytes, initialized in
          if left > 0 {
            UnsafeMutableRawPointer(bytes.baseAddress!).copyMemory(
              from: old.baseAddress! + offset, byteCount: left)
          }
          switch FileSystem.read(descriptor, into: bytes.baseAddress! + left, chunk) {
          case .success(let count): read = count
          case .failure(let error): failure = error
          }
          initialized = left + read
        }
      }
      offset = 0
      if let failure { throw OutputError(path: path, failure) }
      if read == 0 { atEnd = true }
    }
    return true
  }

  /// A record that does not decode.
  private struct Damaged: Error {}

  /// The bytes of one record, read field by field; reading past its end throws.
  private struct Cursor {
    let bytes: [UInt8]
    var index: Int
    let end: Int

    init(bytes: [UInt8], at index: Int, end: Int) {
      self.bytes = bytes
      self.index = index
      self.end = end
    }

    mutating func byte() throws(Damaged) -> UInt8 {
      guard index < end else { throw Damaged() }
      defer { index += 1 }
      return bytes[index]
    }

    mutating func unsigned() throws(Damaged) -> UInt64 {
      var value: UInt64 = 0
      var shift: UInt64 = 0
      while true {
        let byte = try byte()
        value |= UInt64(byte & 0x7F) << shift
        if byte < 0x80 { return value }
        shift += 7
        if shift > 63 { throw Damaged() }
      }
    }

    mutating func signed() throws(Damaged) -> Int {
      let raw = try unsigned()
      return Int(bitPattern: UInt(raw >> 1)) ^ -Int(raw & 1)
    }

    mutating func number() throws(Damaged) -> Double {
      guard end - index >= 8 else { throw Damaged() }
      var bits: UInt64 = 0
      for shift in 0..<8 { bits |= UInt64(bytes[index + shift]) << (8 * shift) }
      index += 8
      return Double(bitPattern: bits)
    }

    mutating func utf8(_ count: UInt64) throws(Damaged) -> String {
      guard count <= UInt64(end - index) else { throw Damaged() }
      let count = Int(count)
      defer { index += count }
      return bytes.withUnsafeBufferPointer {
        String(decoding: UnsafeBufferPointer(rebasing: $0[index..<(index + count)]), as: UTF8.self)
      }
    }

    mutating func code<Value>(_ values: [Value]) throws(Damaged) -> Value {
      let byte = Int(try byte())
      guard byte < values.count else { throw Damaged() }
      return values[byte]
    }

    mutating func time() throws(Damaged) -> CollectionTime {
      let year = try signed()
      let month = Int(try byte())
      let day = Int(try byte())
      let hour = Int(try byte())
      let minute = Int(try byte())
      let second = try number()
      let offset = try byte() == 1 ? try signed() : nil
      return CollectionTime(
        local: LocalDateTime(
          year: year, month: month, day: day, hour: hour, minute: minute, second: second),
        utcOffsetSeconds: offset)
    }
  }

  /// A text: by its number, or written out (and numbered).
  private mutating func text(_ cursor: inout Cursor) throws(Damaged) -> String {
    let tag = try cursor.unsigned()
    if tag > 0 {
      guard tag <= UInt64(texts.count) else { throw Damaged() }
      return texts[Int(tag - 1)]
    }
    let value = try cursor.utf8(try cursor.unsigned())
    if texts.count < SampleSpill.maxTexts { texts.append(value) }
    return value
  }

  private mutating func decode(_ cursor: inout Cursor) throws(Damaged) -> (
    sequence: Int, sample: Sample
  ) {
    let sequence = Int(try cursor.unsigned())
    let present = UInt16(try cursor.byte()) | UInt16(try cursor.byte()) << 8
    func has(_ field: SampleSpill.Present) -> Bool { present & field.rawValue != 0 }
    let subject = try text(&cursor)
    let analyte = try cursor.code(SampleSpill.analytes)
    let specimen = try cursor.code(SampleSpill.specimens)
    let quantity = Quantity(
      value: try cursor.number(), unit: try cursor.code(SampleSpill.units),
      censoring: try cursor.code(SampleSpill.censorings))
    let collected = has(.collected) ? try cursor.time() : nil
    let timeZone = has(.timeZone) ? try text(&cursor) : nil
    let wake = has(.wake) ? try cursor.time() : nil
    var relative: RelativeTime?
    if has(.relativeTime) {
      let minutes = try cursor.number()
      switch try cursor.byte() {
      case 0: relative = RelativeTime(minutes: minutes, anchor: .waking)
      case 1: relative = RelativeTime(minutes: minutes, anchor: .event(try text(&cursor)))
      default: throw Damaged()
      }
    }
    let day = has(.day) ? try cursor.signed() : nil
    let label = has(.label) ? try text(&cursor) : nil
    var range: ReferenceRange?
    if has(.referenceRange) {
      let parts = try cursor.byte()
      range = ReferenceRange(
        low: parts & 1 != 0 ? try cursor.number() : nil,
        high: parts & 2 != 0 ? try cursor.number() : nil,
        unit: parts & 4 != 0 ? try cursor.code(SampleSpill.units) : nil)
    }
    let testCode = has(.testCode) ? try text(&cursor) : nil
    let qualifier = has(.qualifier) ? try text(&cursor) : nil
    let attributeCount = try cursor.unsigned()
    guard attributeCount <= UInt64(cursor.end - cursor.index) else { throw Damaged() }
    var attributes: [String: String] = [:]
    for _ in 0..<attributeCount {
      let key = try text(&cursor)
      attributes[key] = try text(&cursor)
    }
    let file = try text(&cursor)
    let record = has(.record) ? try cursor.signed() : nil
    let column = has(.column) ? try text(&cursor) : nil
    let line = has(.line) ? try cursor.signed() : nil
    let path = has(.path) ? try text(&cursor) : nil
    let sample = Sample(
      subjectID: subject, analyte: analyte, specimen: specimen, quantity: quantity,
      collected: collected, timeZone: timeZone, wake: wake, relativeTime: relative, day: day,
      label: label, referenceRange: range, testCode: testCode, qualifier: qualifier,
      attributes: attributes,
      provenance: InputLocation(file: file, record: record, column: column, line: line, path: path))
    return (sequence, sample)
  }
}

/// The samples of several spill files in the run's read order (each file holds its samples
/// in that order): a partition made of several buckets reads them as one.
struct SpillMerge {
  private var readers: [SpillReader]
  private var heap = MinHeap<(sequence: Int, reader: Int, sample: Sample)> {
    $0.sequence < $1.sequence
  }

  /// Opens the files at `paths`.
  init(paths: [String]) throws(OutputError) {
    readers = []
    do throws(OutputError) {
      for path in paths { readers.append(try SpillReader(path: path)) }
      for index in readers.indices {
        if let (sequence, sample) = try readers[index].next() {
          heap.push((sequence, index, sample))
        }
      }
    } catch {
      close()
      throw error
    }
  }

  /// Closes the files.
  func close() { for reader in readers { reader.close() } }

  /// The next sample in read order and its place in it, or `nil` after the last.
  mutating func next() throws(OutputError) -> (sequence: Int, sample: Sample)? {
    guard let smallest = heap.pop() else { return nil }
    if let (sequence, sample) = try readers[smallest.reader].next() {
      heap.push((sequence, smallest.reader, sample))
    }
    return (smallest.sequence, smallest.sample)
  }
}
