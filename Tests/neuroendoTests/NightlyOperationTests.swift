import Foundation
import Testing

@Suite("Five nights of a lab's inbox (issue 24, points 2, 3 and 4)", .serialized)
struct NightlyOperationTests {
  let base = FileManager.default.temporaryDirectory.appendingPathComponent(
    "neuroendo-nights-\(UUID())")
  var inbox: URL { base.appendingPathComponent("inbox") }

  func put(_ name: String, _ lines: [String]) throws {
    try lines.joined(separator: "\n").write(
      to: inbox.appendingPathComponent(name), atomically: true, encoding: .utf8)
  }

  func night() throws -> Invocation {
    try neuroendo(["run", base.appendingPathComponent("nightly.yml").path])
  }

  /// The lock file's bytes after a run.
  func lock(_ folder: String) -> Int {
    (try? Data(contentsOf: base.appendingPathComponent("\(folder)/.neuroendo.lock")))?.count ?? -1
  }

  @Test("a quarantine stays visible and keeps exit 1 every night; a missing inbox exits 1")
  func fiveNights() throws {
    defer { try? FileManager.default.removeItem(at: base) }
    try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
    try """
    version: 1
    state: state
    inputs:
      - path: inbox
        glob: "*.csv"
    outputs:
      directory: out
    """.write(to: base.appendingPathComponent("nightly.yml"), atomically: true, encoding: .utf8)
    let header = "patient_id,test_code,value,unit,collected_at"
    try put("lab-1.csv", [header, "A-1,3016-3,2.1,mIU/L,2026-03-14T08:00:00+01:00"])
    // A spreadsheet export no layout reads: quarantined.
    try put("export.csv", ["Ergebnisliste Labor", "foo;bar", "1;2"])
    let stamp = #/^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z /#

    // Night 1: the quarantine is new.
    let first = try night()
    #expect(first.status == 1)
    #expect(first.output.firstMatch(of: stamp) != nil, "\(first.output)")
    #expect(
      first.output.contains("1 new") == false
        && first.output.contains("2 new, 0 changed, 0 unchanged, 0 vanished, 1 quarantined"))
    #expect(
      first.error.contains("quarantined file: ") && first.error.contains("export.csv (since "))
    #expect(first.error.contains("to clear it: fix or replace the file"))
    // Night 2: nothing new, the quarantine still there: said, and exit 1.
    let second = try night()
    #expect(second.status == 1, "\(second.output)")
    #expect(second.output.firstMatch(of: stamp) != nil)
    #expect(second.output.contains("nothing new: 0 new, 0 changed, 2 unchanged"))
    #expect(second.output.contains("1 quarantined"))
    #expect(second.error.contains("quarantined file: "))
    // Night 3: a new file beside the quarantine: exit 1.
    try put("lab-2.csv", [header, "B-2,3016-3,2.4,mIU/L,2026-03-15T08:00:00+01:00"])
    let third = try night()
    #expect(third.status == 1)
    #expect(third.output.contains("1 new, 0 changed, 2 unchanged, 0 vanished, 1 quarantined"))
    // Night 4: the export is moved out: its quarantine ends, the night is complete.
    try FileManager.default.removeItem(at: inbox.appendingPathComponent("export.csv"))
    let fourth = try night()
    #expect(fourth.status == 0, "\(fourth.output)\(fourth.error)")
    #expect(
      fourth.output.contains(", 0 quarantined") && !fourth.error.contains("quarantined file: "))
    #expect(fourth.error.contains("its quarantine ends"))
    // Night 5: the inbox is gone (an unmounted share): exit 1, with or without news.
    try FileManager.default.moveItem(at: inbox, to: base.appendingPathComponent("unmounted"))
    let fifth = try night()
    #expect(fifth.status == 1, "\(fifth.output)")
    #expect(fifth.error.contains("does not exist"))
    let sixth = try night()
    #expect(sixth.status == 1, "\(sixth.output)")
    // Its files were not counted as vanished: the inbox was not there, not empty.
    #expect(fifth.output.contains("0 vanished") && sixth.output.contains("0 vanished"))
    // Night 7: the share is back: nothing new, a complete night.
    try FileManager.default.moveItem(at: base.appendingPathComponent("unmounted"), to: inbox)
    let seventh = try night()
    #expect(seventh.status == 0, "\(seventh.output)\(seventh.error)")
    #expect(seventh.output.contains("nothing new: 0 new, 0 changed, 2 unchanged"))
    // Night 8: the unreadable export is put back unchanged: its quarantine is back.
    try put("export.csv", ["Ergebnisliste Labor", "foo;bar", "1;2"])
    let eighth = try night()
    #expect(eighth.status == 1, "\(eighth.output)")
    #expect(eighth.error.contains("quarantined file: "), "\(eighth.error)")
    // No night ended with a stale holder, and none said it took a lock over.
    for run in [first, second, third, fourth, fifth, sixth, seventh, eighth] {
      #expect(!(run.output + run.error).contains("took over"))
    }
    #expect(lock("out") == 0 && lock("state") == 0)
  }

  @Test("a run in partitions (a large inbox) lists its quarantines too")
  func partitionedQuarantine() throws {
    defer { try? FileManager.default.removeItem(at: base) }
    try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
    try """
    version: 1
    state: state
    inputs:
      - path: inbox
        glob: "*.csv"
    settings:
      run:
        partition_samples: 1
    outputs:
      directory: out
    """.write(to: base.appendingPathComponent("nightly.yml"), atomically: true, encoding: .utf8)
    let header = "patient_id,test_code,value,unit,collected_at"
    try put(
      "lab-1.csv",
      [
        header, "A-1,3016-3,2.1,mIU/L,2026-03-14T08:00:00+01:00",
        "B-2,3016-3,2.4,mIU/L,2026-03-14T08:00:00+01:00",
      ])
    try put("export.csv", ["Ergebnisliste Labor", "foo;bar", "1;2"])
    for _ in 0..<2 {
      let run = try night()
      #expect(run.status == 1, "\(run.output)\(run.error)")
      #expect(run.output.contains(", 1 quarantined"), "\(run.output)")
      #expect(run.error.contains("quarantined file: "), "\(run.error)")
    }
  }

  @Test("a lock left by a run that died is taken over, and said once")
  func crashed() throws {
    defer { try? FileManager.default.removeItem(at: base) }
    try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
    try """
    version: 1
    inputs:
      - path: inbox
    outputs:
      directory: out
    """.write(to: base.appendingPathComponent("nightly.yml"), atomically: true, encoding: .utf8)
    try put(
      "lab-1.csv",
      [
        "patient_id,test_code,value,unit,collected_at",
        "A-1,3016-3,2.1,mIU/L,2026-03-14T08:00:00+01:00",
      ])
    #expect(try night().status == 0)
    // A run killed with SIGKILL leaves its pid in the lock: a process that no longer runs.
    let dead = Process()
    dead.executableURL = URL(fileURLWithPath: "/bin/true")
    try dead.run()
    dead.waitUntilExit()
    try "\(dead.processIdentifier)\n".write(
      to: base.appendingPathComponent("out/.neuroendo.lock"), atomically: false, encoding: .utf8)
    let after = try night()
    #expect(after.status == 0)
    #expect(
      (after.output + after.error).contains(
        "took over the output lock left by pid \(dead.processIdentifier)"))
    let again = try night()
    #expect(!(again.output + again.error).contains("took over"))
  }
}
