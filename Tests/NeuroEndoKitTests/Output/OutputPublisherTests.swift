import Foundation
import Testing

@testable import NeuroEndoKit

private func scratch() throws -> String {
  let path = FileManager.default.temporaryDirectory.appendingPathComponent(
    "neuroendo-output-\(UUID())"
  ).path
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

private func mode(_ path: String) throws -> Int {
  try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
}

@Suite("Output: atomic files, one run at a time, publication all or nothing")
struct OutputPublisherTests {
  @Test("a file is there whole after commit, owner-only; a writer dropped leaves nothing")
  func atomicFiles() throws {
    let root = try scratch()
    defer { try? FileManager.default.removeItem(atPath: root) }
    let writer = try AtomicFileWriter(path: root + "/a.csv")
    writer.write("x,y\n")
    #expect(!FileManager.default.fileExists(atPath: root + "/a.csv"))
    try writer.commit()
    #expect(try String(contentsOfFile: root + "/a.csv", encoding: .utf8) == "x,y\n")
    #expect(try mode(root + "/a.csv") == 0o600)
    do {
      let dropped = try AtomicFileWriter(path: root + "/b.csv")
      dropped.write("half")
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: root) == ["a.csv"])
    // A directory that is not there: the failure names the file and the system's reason.
    #expect {
      try AtomicFileWriter.write("x", to: root + "/missing/c.csv")
    } throws: { error in
      (error as? OutputError)?.description.contains("No such file or directory") == true
    }
  }

  @Test("bytes written in pieces of every size, across the stream's buffer, come back whole")
  func bufferedPieces() throws {
    let root = try scratch()
    defer { try? FileManager.default.removeItem(atPath: root) }
    // 3 times the buffer and a remainder, in pieces from 1 byte to more than a buffer.
    let size = 3 * FileSystem.Stream.bufferSize + 12_345
    let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
    let writer = try AtomicFileWriter(path: root + "/big.bin")
    var start = 0
    var piece = 1
    while start < size {
      let end = min(size, start + piece)
      bytes[start..<end].withUnsafeBytes { writer.write($0) }
      start = end
      piece = piece * 7 % (FileSystem.Stream.bufferSize + 9_001) + 1
    }
    try writer.commit()
    #expect(try Data(contentsOf: URL(fileURLWithPath: root + "/big.bin")) == Data(bytes))
    // Bytes after the commit go nowhere, and a second commit is refused: the file stays.
    bytes.withUnsafeBytes { writer.write($0) }
    #expect(throws: OutputError.self) { try writer.commit() }
    #expect(try Data(contentsOf: URL(fileURLWithPath: root + "/big.bin")) == Data(bytes))
    // A writer dropped after more than a buffer (some of it already on the disk) still
    // leaves nothing under the file's name.
    do {
      let dropped = try AtomicFileWriter(path: root + "/dropped.bin")
      bytes.withUnsafeBytes { dropped.write($0) }
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: root) == ["big.bin"])
  }

  @Test(
    "a second run on the directory is refused with the first's pid; a clean release says nothing")
  func oneRunAtATime() throws {
    let root = try scratch()
    defer { try? FileManager.default.removeItem(atPath: root) }
    var first: OutputPublisher? = try OutputPublisher(
      directory: root + "/out", run: "r1", outputNames: ["a.csv"])
    #expect(first?.takenOverFrom == nil)
    #expect {
      _ = try OutputPublisher(directory: root + "/out", run: "r2", outputNames: ["a.csv"])
    } throws: { error in
      (error as? OutputError)?.lockHolder == getpid()
    }
    first = nil
    let second = try OutputPublisher(directory: root + "/out", run: "r3", outputNames: ["a.csv"])
    #expect(second.takenOverFrom == nil)
    #expect(try mode(root + "/out") == 0o700)
  }

  @Test("staged files appear only when published, with a manifest of their sizes")
  func publication() throws {
    let root = try scratch()
    defer { try? FileManager.default.removeItem(atPath: root) }
    let out = root + "/out"
    let publisher = try OutputPublisher(
      directory: out, run: "r1", outputNames: ["a.csv", "s.json"])
    try AtomicFileWriter.write("1\n", to: publisher.stagedPath("a.csv"))
    try AtomicFileWriter.write("{}\n", to: publisher.stagedPath("s.json"))
    #expect(!FileManager.default.fileExists(atPath: out + "/a.csv"))
    try publisher.publish(["a.csv", "s.json"], last: "s.json")
    #expect(try String(contentsOfFile: out + "/a.csv", encoding: .utf8) == "1\n")
    #expect(OutputPublisher.isPublished(run: "r1", in: out))
    #expect(!OutputPublisher.isPublished(run: "r0", in: out))
    // A published file changed since: the publication is no longer intact.
    try "12\n".write(toFile: out + "/a.csv", atomically: false, encoding: .utf8)
    #expect(!OutputPublisher.isPublished(run: "r1", in: out))
  }
}
