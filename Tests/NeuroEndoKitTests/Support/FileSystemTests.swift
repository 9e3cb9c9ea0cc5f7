import Foundation
import Testing

@testable import NeuroEndoKit

@Suite("The file-system wrapper")
struct FileSystemTests {
  @Test("kinds and sizes, links followed or not, a dangling link, a FIFO")
  func kinds() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent(
      "neuroendo-fs-\(UUID())"
    ).path
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: root) }
    try "12345".write(toFile: root + "/f", atomically: false, encoding: .utf8)
    try FileManager.default.createSymbolicLink(atPath: root + "/l", withDestinationPath: "f")
    try FileManager.default.createSymbolicLink(atPath: root + "/d", withDestinationPath: "gone")
    #expect(mkfifo(root + "/p", 0o600) == 0)
    #expect(FileSystem.status(root + "/f", following: false)! == (.regular, 5))
    #expect(FileSystem.status(root + "/l", following: false)?.kind == .link)
    #expect(FileSystem.status(root + "/l", following: true)! == (.regular, 5))
    #expect(FileSystem.status(root + "/d", following: true) == nil)
    #expect(FileSystem.exists(root + "/d"))
    #expect(FileSystem.status(root + "/p", following: false)?.kind == .fifo)
    #expect(FileSystem.status(root, following: false)?.kind == .directory)
    #expect(FileSystem.size(root + "/l") == 5)
    #expect(try FileSystem.permissions(root + "/f").get().mode & 0o777 != 0)
    guard case .failure(let failure) = FileSystem.lookUp(root + "/none", following: false) else {
      Issue.record("a missing entry was found")
      return
    }
    #expect(failure.isMissing && failure.description == "No such file or directory")
  }

  @Test("descriptors: a write read back whole, a rename, a directory made once")
  func descriptors() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent(
      "neuroendo-fs-\(UUID())"
    ).path
    #expect(FileSystem.makeDirectory(root, 0o700) == nil)
    #expect(FileSystem.makeDirectory(root, 0o700)?.exists == true)
    defer { try? FileManager.default.removeItem(atPath: root) }
    let written = try FileSystem.open(root + "/a", O_WRONLY | O_CREAT, 0o600).get()
    let text = Array(repeating: UInt8(ascii: "x"), count: 100_000)
    #expect(text.withUnsafeBytes { FileSystem.write(written, $0) } == nil)
    FileSystem.close(written)
    #expect(FileSystem.rename(root + "/a", root + "/b") == nil)
    #expect(FileSystem.rename(root + "/a", root + "/c")?.isMissing == true)
    let reading = try FileSystem.open(root + "/b", O_RDONLY).get()
    defer { FileSystem.close(reading) }
    #expect(FileSystem.kind(of: reading) == .regular)
    var buffer = [UInt8](repeating: 0, count: 200_000)
    var total = 0
    while true {
      let count = try buffer.withUnsafeMutableBytes {
        try FileSystem.read(reading, into: $0.baseAddress! + total, $0.count - total).get()
      }
      if count == 0 { break }
      total += count
    }
    #expect(total == 100_000)
    #expect(FileSystem.rewind(reading))
  }

  #if canImport(Glibc)
    @Test("the open-file limit is raised to the hard limit, at most the cap, never lowered")
    func openFileLimit() {
      var limit = rlimit()
      #expect(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0)
      let original = limit
      defer {
        var back = original
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &back)
      }
      // Lowered first (not so low that tests running beside this one run out), so that a
      // raise is seen even where the soft limit is already the hard one.
      limit.rlim_cur = min(limit.rlim_cur, 2048)
      #expect(setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0)
      let before = Int(limit.rlim_cur)
      let hard = limit.rlim_max > rlim_t(Int.max) ? Int.max : Int(limit.rlim_max)
      let now = FileSystem.raiseOpenFileLimit(to: 1 << 16)
      #expect(now == max(before, min(hard, 1 << 16)))
      #expect(hard <= 2048 || now > before)
      // A lower cap never lowers it.
      #expect(FileSystem.raiseOpenFileLimit(to: 16) == now)
    }
  #endif

  @Test("a path cut into its directory and name, as URL cuts a file's path")
  func split() {
    let cases: [(String, String, String)] = [
      ("/out/reports/patients/s1.html", "/out/reports/patients/", "s1.html"),
      ("relative/a b.json", "relative/", "a b.json"), ("bare.csv", "", "bare.csv"),
      ("/top", "/", "top"), ("dir//two", "dir//", "two"), ("/é/ü.md", "/é/", "ü.md"),
    ]
    for (path, directory, name) in cases {
      #expect(FileSystem.split(path) == (directory, name), "\(path)")
    }
    for path in ["/out/reports/patients/s1.html", "/é/ü.md", "/top"] {
      #expect(FileSystem.split(path).name == URL(fileURLWithPath: path).lastPathComponent)
    }
  }

  @Test("file names match shell patterns as fnmatch does")
  func patterns() {
    #expect(FileSystem.matches(glob: "labnord-*.csv", name: "labnord-2026.csv"))
    #expect(!FileSystem.matches(glob: "labnord-*.csv", name: "stmary-2026.csv"))
    #expect(FileSystem.matches(glob: "*.*json", name: "bulk.ndjson"))
    #expect(FileSystem.isRunning(FileSystem.processID))
  }
}
