import Foundation

/// Reads a file and parses it with libcsv on a second thread, handing complete records to
/// the reading thread in batches, so that parsing overlaps with mapping records to samples.
///
/// At most ``depth`` parsed batches wait at a time, so memory stays bounded by a few chunks
/// whatever the file's size. The consumer must take batches with ``next()`` until one has
/// an ``RecordBatch/ending``: only then has the thread stopped using the parser and the
/// file descriptor.
final class ParsingThread: @unchecked Sendable {
  // Used by the parsing thread only, once started.
  private let parser: CSVParser
  private let firstBytes: [UInt8]
  private let descriptor: InputFile
  private let chunkSize: Int

  // Shared between the threads, guarded by `condition`.
  private let condition = NSCondition()
  private var ready: [RecordBatch] = []
  private var spare: [RecordBatch] = []

  /// Parsed batches that may wait for the consumer at once.
  static let depth = 2

  /// Prepares a thread that parses `firstBytes`, then the rest of the file.
  init(parser: CSVParser, firstBytes: [UInt8], descriptor: InputFile, chunkSize: Int) {
    self.parser = parser
    self.firstBytes = firstBytes
    self.descriptor = descriptor
    self.chunkSize = chunkSize
  }

  /// Starts parsing.
  func start() {
    let thread = Thread { [self] in run() }
    thread.name = "neuroendo.csv-parser"
    thread.start()
  }

  /// The next batch of records, waiting until the thread has one.
  func next() -> RecordBatch {
    condition.lock()
    defer { condition.unlock() }
    while ready.isEmpty { condition.wait() }
    let batch = ready.removeFirst()
    condition.broadcast()
    return batch
  }

  /// Gives a consumed batch back, so that its memory is used again.
  func recycle(_ batch: RecordBatch) {
    condition.lock()
    defer { condition.unlock() }
    if spare.count < Self.depth + 1 { spare.append(batch) }
  }

  private func put(_ batch: RecordBatch) {
    condition.lock()
    defer { condition.unlock() }
    while ready.count >= Self.depth { condition.wait() }
    ready.append(batch)
    condition.broadcast()
  }

  private func emptyBatch() -> RecordBatch {
    condition.lock()
    defer { condition.unlock() }
    var batch = spare.popLast() ?? RecordBatch()
    batch.removeAll()
    return batch
  }

  private func run() {
    var batch = emptyBatch()
    /// Moves the parsed records into the batch and sends it when it ends the file or is full.
    func send(ending: RecordBatch.Ending? = nil) -> Bool {
      parser.moveRecords(into: &batch)
      batch.ending = ending
      guard ending != nil || batch.bytes.count >= chunkSize else { return true }
      put(batch)
      batch = emptyBatch()
      return ending == nil
    }
    if let error = firstBytes.withUnsafeBytes({ parser.parse($0) }) {
      _ = send(ending: .syntax(error))
      return
    }
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
    defer { buffer.deallocate() }
    while true {
      let count = descriptor.read(into: buffer.baseAddress, chunkSize)
      if count < 0 {
        _ = send(ending: .readFailure("read error: \(descriptor.failure)"))
        return
      }
      if count == 0 {
        let error = parser.finish()
        _ = send(ending: error.map { .syntax($0) } ?? .endOfFile)
        return
      }
      if let error = parser.parse(UnsafeRawBufferPointer(rebasing: buffer[..<count])) {
        _ = send(ending: .syntax(error))
        return
      }
      _ = send()
    }
  }
}
