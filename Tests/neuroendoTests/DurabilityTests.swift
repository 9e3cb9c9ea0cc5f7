import Foundation
import Testing

/// `strace`, when this machine has it.
private let strace = ["/usr/bin/strace", "/bin/strace"].first {
  FileManager.default.isExecutableFile(atPath: $0)
}

/// A run's durability is scoped to its own files (issue 26, point 3): it syncs each file and
/// folder it wrote, and never the whole volume (`syncfs`, `sync`), which flushes every
/// process's dirty data.
@Suite("Durability scoped to the run's own files", .enabled(if: strace != nil))
struct DurabilityTests {
  /// A new folder for a traced run.
  private func scratchFolder() throws -> String {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent(
      "neuroendo-sync-\(UUID())"
    ).path
    try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
    return base
  }

  /// The regular files under `folder`, by path relative to it.
  private func filesWritten(in folder: String) throws -> [String] {
    try #require(FileManager.default.enumerator(atPath: folder)).allObjects
      .compactMap { $0 as? String }.filter { name in
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: folder + "/" + name, isDirectory: &isFolder)
          && !isFolder.boolValue
      }
  }

  /// The calls `syscalls` of `neuroendo analyze arguments --out base/out`, with the paths
  /// of their descriptors (`strace -y`); the run completes (exit 0, or 1 for rejections).
  private func traced(_ syscalls: String, in base: String, _ arguments: [String]) throws
    -> [Substring]
  {
    let trace = base + "/trace"
    let process = Process()
    process.executableURL = URL(fileURLWithPath: strace!)
    process.arguments =
      ["-f", "-qq", "-y", "-e", "trace=\(syscalls)", "-o", trace, try executable().path, "analyze"]
      + arguments + ["--out", base + "/out"]
    process.currentDirectoryURL = root
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0 || process.terminationStatus == 1)
    return try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n")
  }

  @Test("analyze syncs the files it wrote and their folders, and never syncfs or sync")
  func scopedSyncs() throws {
    let base = try scratchFolder()
    defer { try? FileManager.default.removeItem(atPath: base) }
    let calls = try traced(
      "syncfs,sync,fsync,fdatasync,sync_file_range", in: base,
      ["SampleData/fhir/hospital-export-2026-03-15.json", "--patient-reports"])
    #expect(!calls.contains { $0.contains("syncfs(") || $0.contains(" sync()") })
    // Every published file's data written and waited for (sync_file_range, or fsync where
    // the kernel lacks it), and the folders fsynced.
    let waited = calls.filter {
      $0.contains("sync_file_range(") && $0.contains("SYNC_FILE_RANGE_WAIT_AFTER")
    }.count
    let fsyncs = calls.filter { $0.contains("fsync(") }.count
    let files = try filesWritten(in: base + "/out").count
    #expect(waited + fsyncs >= files, "\(waited) waits and \(fsyncs) fsyncs for \(files) files")
    // With sync_file_range, each page's write-back starts as it is written (written once,
    // under its own name in the staging folder), and the publication only waits for it:
    // no file is started twice, by a pass of its own at publication.
    if waited > 0 {
      func path(_ call: Substring) -> Substring? {
        guard let open = call.firstIndex(of: "<"), let close = call.firstIndex(of: ">") else {
          return nil
        }
        return call[call.index(after: open)..<close]
      }
      let calls = calls.filter { $0.contains("sync_file_range(") }
      let started = calls.filter { !$0.contains("WAIT") }.compactMap(path)
      let waitedFor = Set(calls.filter { $0.contains("WAIT_AFTER") }.compactMap(path))
      let pages = started.filter { $0.hasSuffix(".html") }
      #expect(!pages.isEmpty)
      #expect(pages.allSatisfy { waitedFor.contains($0) }, "every page is waited for")
      let twice = Dictionary(grouping: started, by: { $0 }).filter { $0.value.count > 1 }.keys
      #expect(twice.isEmpty, "started more than once: \(twice.sorted())")
    }
    #expect(fsyncs >= 2, "the folders: \(fsyncs) fsync calls")
  }

  @Test(
    "a run in partitions waits for its files once, where they are published: a partition's scratch publication does not"
  )
  func partitionsWaitOnce() throws {
    let base = try scratchFolder()
    defer { try? FileManager.default.removeItem(atPath: base) }
    let calls = try traced(
      "fsync,fdatasync,sync_file_range", in: base,
      [
        "SampleData/research/car-diary-long.csv", "SampleData/wide/car-wide-2026.csv",
        "--partitions", "4", "--patient-reports",
      ])
    let waits = calls.filter {
      ($0.contains("sync_file_range(") && $0.contains("WAIT_AFTER")) || $0.contains("fsync(")
    }
    // Waited for: every published file where it was staged, never a partition's scratch.
    let published = try filesWritten(in: base + "/out").filter { $0 != ".neuroendo.lock" }
    #expect(published.contains { $0.hasSuffix(".html") })
    let unwaited = published.filter { name in
      !waits.contains { $0.contains(".neuroendo-staging") && $0.contains("/" + name + ">") }
    }
    #expect(unwaited.isEmpty, "published, never waited for: \(unwaited.sorted())")
    let scratch = waits.filter { $0.contains("/.partitions") }
    #expect(
      scratch.isEmpty, "\(scratch.count) waits in the partitions' scratch: \(scratch.prefix(3))")
    // The partitions' tables, read back and removed by the merge, are not even sent to the
    // disk.
    let sent = calls.filter {
      $0.contains("sync_file_range(") && $0.contains("/.partitions")
        && ($0.contains(".csv.") || $0.contains(".keys."))
    }
    #expect(sent.isEmpty, "partition tables sent to the disk: \(sent.prefix(3))")
  }
}
