import Foundation

/// Samples kept on disk between the read and a later partition of a run (`--partitions`),
/// read back equal: the inputs are read once, each sample goes to its partition's file,
/// and each partition then reads its own file instead of the inputs.
///
/// The files are scratch, written and read by the same run (inside its staging directory),
/// so the form needs no version and may hold memory as it is. A file is a series of
/// chunks, each its length (8 bytes, little-endian) and up to ``chunkRows`` samples in
/// columns (``SampleColumns``, with each sample's place in the run's read order): a chunk
/// numbers its own texts, so that a subject's id, the file name and the column are written
/// once per chunk and the reader shares one copy of each.
enum SampleSpill {
  /// The samples a writer gathers before it writes them as a chunk: small, since a run in
  /// partitions writes to hundreds of files at once (about 50 KB a file).
  static let chunkRows = 512
  /// The bytes before a chunk's columns: their length and their checksum.
  static let headerBytes = 16

  /// A checksum of a chunk's bytes, so that damage to a scratch file is found before its
  /// numbers are read (a damaged time or count could decode and trap later): each 64-bit
  /// word mixed into the state in turn by a bijection, so any change within one word always
  /// changes the result, then the length. Not a defence against a forger, who would need
  /// the run's own user and could as well write the outputs.
  static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    func mix(_ word: UInt64) {
      state = (state ^ word) &* 0xFF51_AFD7_ED55_8CCD
      state ^= state >> 29
    }
    let words = bytes.count / 8
    for index in 0..<words {
      mix(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * index, as: UInt64.self)))
    }
    var tail: UInt64 = 0
    for index in (8 * words)..<bytes.count { tail |= UInt64(bytes[index]) << (8 * (index % 8)) }
    mix(tail)
    mix(UInt64(bytes.count))
    return state
  }
}

/// Writes samples to a spill file, a chunk of columns at a time.
final class SpillWriter {
  let path: String
  private let descriptor: Int32
  private var columns = SampleColumns()
  private var buffer: [UInt8] = []

  /// Creates (or empties) the file at `path`.
  init(path: String) throws(OutputError) {
    self.path = path
    switch FileSystem.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600) {
    case .success(let opened): descriptor = opened
    case .failure(let failure): throw OutputError(path: path, failure)
    }
    columns.reserve(SampleSpill.chunkRows)
  }

  deinit { FileSystem.close(descriptor) }

  /// Appends one sample and its place in the run's read order.
  func write(_ sample: Sample, sequence: Int) throws(OutputError) {
    try write(sample.allFields, sequence: sequence)
  }

  /// Appends one sample's fields and its place in the run's read order.
  func write(_ fields: Sample.Fields, sequence: Int) throws(OutputError) {
    columns.append(fields, sequence: sequence)
    if columns.count >= SampleSpill.chunkRows { try flush() }
  }

  /// Appends the samples at `rows` (in order; each a source and its row) of several
  /// readers' `sources`, their texts numbered in this chunk once each (and again at each
  /// chunk written: its texts go with it).
  func write(rows: [(piece: Int32, row: Int32)], of sources: [SampleColumns])
    throws(OutputError)
  {
    var maps = [SampleColumns.TextMap](repeating: SampleColumns.TextMap(), count: sources.count)
    func reset() {
      for index in sources.indices { maps[index].reset(count: sources[index].texts.count) }
    }
    reset()
    var next = 0
    while next < rows.count {
      let source = Int(rows[next].piece)
      next = Self.append(rows, from: next, of: sources[source], map: &maps[source], to: &columns)
      if columns.count >= SampleSpill.chunkRows {
        try flush()
        reset()
      }
    }
  }

  /// Appends the rows from `start` on while they are of one source and the chunk has room;
  /// where it stopped. (The source is a parameter: read from an array for each row, it was
  /// copied first, a retain and release of each of its columns.)
  private static func append(
    _ rows: [(piece: Int32, row: Int32)], from start: Int, of source: SampleColumns,
    map: inout SampleColumns.TextMap, to chunk: inout SampleColumns
  ) -> Int {
    let piece = rows[start].piece
    var index = start
    while index < rows.count, rows[index].piece == piece, chunk.count < SampleSpill.chunkRows {
      let row = Int(rows[index].row)
      chunk.append(row: row, of: source, map: &map, sequence: source.sequence[row])
      index += 1
    }
    return index
  }

  /// Writes the samples gathered as a chunk.
  func flush() throws(OutputError) {
    guard columns.count > 0 else { return }
    buffer.removeAll(keepingCapacity: true)
    buffer.append(contentsOf: repeatElement(0, count: SampleSpill.headerBytes))
    columns.encoded(into: &buffer)
    let length = UInt64(buffer.count - SampleSpill.headerBytes)
    let checksum = buffer.withUnsafeBytes {
      SampleSpill.checksum(UnsafeRawBufferPointer(rebasing: $0[SampleSpill.headerBytes...]))
    }
    for index in 0..<8 {
      buffer[index] = UInt8(truncatingIfNeeded: length >> (8 * index))
      buffer[8 + index] = UInt8(truncatingIfNeeded: checksum >> (8 * index))
    }
    columns.removeAll()
    if let failure = buffer.withUnsafeBytes({ FileSystem.write(descriptor, $0) }) {
      throw OutputError(path: path, failure)
    }
  }
}

/// Reads back the samples a ``SpillWriter`` wrote, in the order written.
struct SpillReader {
  let path: String
  private let descriptor: Int32
  private var buffer: [UInt8] = []
  private var columns = SampleColumns()
  private var position = 0

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
    guard let sequence = try nextSequence() else { return nil }
    return (sequence, take())
  }

  /// The place in the run's read order of the next sample (a chunk is read when the last
  /// one is done), or `nil` at the end.
  mutating func nextSequence() throws(OutputError) -> Int? {
    if position == columns.count {
      guard try readChunk() else { return nil }
    }
    return columns.sequence[position]
  }

  /// The next sample, once ``nextSequence()`` said there is one.
  mutating func take() -> Sample {
    defer { position += 1 }
    return columns.sample(at: position)
  }

  /// The next chunk's samples, in the order written, or `nil` at the end of the file.
  mutating func nextChunk() throws(OutputError) -> SampleColumns? {
    guard try readChunk() else { return nil }
    position = columns.count
    return columns
  }

  private func corrupt(_ what: String) -> OutputError {
    OutputError(path: path, message: "the partition's scratch file is damaged: \(what)")
  }

  /// Reads and decodes the next chunk; `false` at the end of the file.
  private mutating func readChunk() throws(OutputError) -> Bool {
    var header = [UInt8](repeating: 0, count: SampleSpill.headerBytes)
    let (descriptor, path) = (self.descriptor, self.path)
    let got = try header.withUnsafeMutableBytes { Self.fill($0, descriptor, path) }.get()
    if got == 0 { return false }
    guard got == header.count else { throw corrupt("the file ends inside a chunk") }
    var length: UInt64 = 0
    var checksum: UInt64 = 0
    for index in 0..<8 {
      length |= UInt64(header[index]) << (8 * index)
      checksum |= UInt64(header[8 + index]) << (8 * index)
    }
    guard length <= UInt64(Int32.max) else { throw corrupt("a chunk does not decode") }
    // Room for what the file gives, a megabyte at a time: a damaged length cannot make the
    // reader allocate more than the file holds.
    buffer.removeAll(keepingCapacity: true)
    while buffer.count < Int(length) {
      let start = buffer.count
      let step = min(Int(length) - start, 1 << 20)
      buffer.append(contentsOf: repeatElement(0, count: step))
      let read = try buffer.withUnsafeMutableBytes {
        Self.fill(UnsafeMutableRawBufferPointer(rebasing: $0[start...]), descriptor, path)
      }.get()
      guard read == step else { throw corrupt("the file ends inside a chunk") }
    }
    let decoded = buffer.withUnsafeBytes { bytes -> SampleColumns? in
      guard SampleSpill.checksum(bytes) == checksum else { return nil }
      return try? SampleColumns(bytes: bytes)
    }
    guard let decoded, decoded.count > 0 else { throw corrupt("a chunk does not decode") }
    // Not kept until the next chunk: a run in partitions holds a reader open per run.
    buffer = []
    columns = decoded
    position = 0
    return true
  }

  /// Reads into `bytes` until they are full or the file ends; the bytes read.
  private static func fill(
    _ bytes: UnsafeMutableRawBufferPointer, _ descriptor: Int32, _ path: String
  ) -> Result<Int, OutputError> {
    var filled = 0
    while filled < bytes.count {
      switch FileSystem.read(descriptor, into: bytes.baseAddress! + filled, bytes.count - filled) {
      case .success(0): return .success(filled)
      case .success(let count): filled += count
      case .failure(let failure): return .failure(OutputError(path: path, failure))
      }
    }
    return .success(filled)
  }
}
