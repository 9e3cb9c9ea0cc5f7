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
  @Test("analyze syncs the files it wrote and their folders, and never syncfs or sync")
  func scopedSyncs() throws {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent(
      "neuroendo-sync-\(UUID())"
    ).path
    defer { try? FileManager.default.removeItem(atPath: base) }
    try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
    let trace = base + "/trace"
    let process = Process()
    process.executableURL = URL(fileURLWithPath: strace!)
    process.arguments = [
      "-f", "-qq", "-e", "trace=syncfs,sync,fsync,fdatasync", "-o", trace,
      try executable().path, "analyze", "SampleData/fhir/hospital-export-2026-03-15.json",
      "--patient-reports", "--out", base + "/out",
    ]
    process.currentDirectoryURL = root
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0 || process.terminationStatus == 1)
    let calls = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n")
    #expect(!calls.contains { $0.contains("syncfs(") || $0.contains(" sync()") })
    let fsyncs = calls.filter { $0.contains("fsync(") }.count
    // Every published file once at least, and the folders.
    let written = try #require(FileManager.default.subpaths(atPath: base + "/out")).count
    #expect(fsyncs >= written, "\(fsyncs) fsync calls for \(written) entries")
  }
}
