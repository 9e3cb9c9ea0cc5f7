import Foundation
import Testing

@testable import NeuroEndoKit

@Suite("sample spill (the scratch files of a run in partitions)")
struct SampleSpillTests {
  private func scratchFile() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("neuroendo-spill-\(UUID())").path
  }

  /// A sample with every optional field set (the column store's).
  private var everyField: Sample { SampleColumnsTests.everyField }

  @Test("every sample of the sample pipeline, and one with every field, read back equal")
  func roundTrip() throws {
    let pipeline = try PipelineLoader.load(file: Repository.path("Pipelines/sample.yml"))
    var samples: [Sample] = []
    let summary = PipelineRunner(pipeline: pipeline).run(
      outputDirectory: FileManager.default.temporaryDirectory.appendingPathComponent(
        "neuroendo-spill-run-\(UUID())"
      ).path, auditOnly: true, onSample: { samples.append($0) })
    #expect(summary.outputFailures.isEmpty)
    #expect(samples.count > 100)
    samples.append(everyField)
    var bare = everyField
    bare.collected = nil
    bare.referenceRange = ReferenceRange(low: -3, high: nil)
    bare.relativeTime = RelativeTime(minutes: 0, anchor: .waking)
    bare.attributes = [:]
    bare.provenance = InputLocation(file: "/in/bündel.ndjson")
    samples.append(bare)
    samples.append(everyField)  // its texts now by number

    let path = scratchFile()
    defer { try? FileManager.default.removeItem(atPath: path) }
    let writer = try SpillWriter(path: path)
    for (index, sample) in samples.enumerated() {
      try writer.write(sample, sequence: index * 3 + 1)
    }
    try writer.flush()
    var reader = try SpillReader(path: path)
    defer { reader.close() }
    var back: [(sequence: Int, sample: Sample)] = []
    while let next = try reader.next() { back.append(next) }
    #expect(back.count == samples.count)
    #expect(back.map(\.sequence) == samples.indices.map { $0 * 3 + 1 })
    for (index, sample) in samples.enumerated() where back[index].sample != sample {
      Issue.record("sample \(index) differs: \(back[index].sample) != \(sample)")
    }
    // The same bits, not merely equal numbers.
    #expect(back.last?.sample.quantity.value.bitPattern == (0.1 + 0.2).bitPattern)
  }

  @Test("more than a chunk of samples reads back whole; a cut file is an error, not a crash")
  func largeAndDamaged() throws {
    let path = scratchFile()
    defer { try? FileManager.default.removeItem(atPath: path) }
    let writer = try SpillWriter(path: path)
    var sample = everyField
    let count = 40_000  // 79 chunks, the last one part full
    for index in 0..<count {
      sample.subjectID = "S\(index % 997)"
      sample.quantity.value = Double(index) / 7
      try writer.write(sample, sequence: index + 1)
    }
    try writer.flush()
    var reader = try SpillReader(path: path)
    var read = 0
    while let (sequence, back) = try reader.next() {
      #expect(sequence == read + 1)
      if back.subjectID != "S\(read % 997)" || back.quantity.value != Double(read) / 7 {
        Issue.record("sample \(read) differs")
      }
      read += 1
    }
    reader.close()
    #expect(read == count)

    let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
    #expect(truncate(path, off_t(size - 5)) == 0)
    var cut = try SpillReader(path: path)
    defer { cut.close() }
    var before = 0
    #expect(throws: OutputError.self) {
      while try cut.next() != nil { before += 1 }
    }
    // Every whole chunk before the cut one.
    #expect(count % SampleSpill.chunkRows != 0)
    #expect(before == count - count % SampleSpill.chunkRows)

    // A chunk whose bytes are garbage: an error naming the file, not a crash.
    let garbage = scratchFile()
    defer { try? FileManager.default.removeItem(atPath: garbage) }
    let one = try SpillWriter(path: garbage)
    try one.write(everyField, sequence: 1)
    try one.flush()
    var bytes = try Data(contentsOf: URL(fileURLWithPath: garbage))
    for index in 4..<bytes.count { bytes[index] = 0xFF }
    try bytes.write(to: URL(fileURLWithPath: garbage))
    var damaged = try SpillReader(path: garbage)
    defer { damaged.close() }
    do {
      _ = try damaged.next()
      Issue.record("garbage decoded")
    } catch {
      #expect(error.path == garbage && error.message.contains("does not decode"))
    }
  }

  @Test("any byte of a scratch file changed is an error naming the file, never other samples")
  func everyByteChanged() throws {
    let path = scratchFile()
    defer { try? FileManager.default.removeItem(atPath: path) }
    let writer = try SpillWriter(path: path)
    var sample = everyField
    for index in 0..<30 {
      sample.subjectID = "S\(index % 4)"
      sample.quantity.value = Double(index) / 7
      try writer.write(sample, sequence: index + 1)
    }
    try writer.flush()
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    let damaged = scratchFile()
    defer { try? FileManager.default.removeItem(atPath: damaged) }
    for position in bytes.indices {
      for poison: UInt8 in [0xFF, bytes[position] ^ 0x01] where poison != bytes[position] {
        var changed = bytes
        changed[position] = poison
        try Data(changed).write(to: URL(fileURLWithPath: damaged))
        var reader = try SpillReader(path: damaged)
        defer { reader.close() }
        do {
          while try reader.next() != nil {}
          Issue.record("byte \(position) set to \(poison) went unnoticed")
        } catch {
          #expect(error.path == damaged)
        }
      }
    }
    // A length of two gigabytes in a small file: said, not allocated.
    var huge = bytes
    huge.replaceSubrange(0..<8, with: [0xFF, 0xFF, 0xFF, 0x7F, 0, 0, 0, 0])
    try Data(huge).write(to: URL(fileURLWithPath: damaged))
    var reader = try SpillReader(path: damaged)
    defer { reader.close() }
    #expect(throws: OutputError.self) { try reader.next() }
  }
}
