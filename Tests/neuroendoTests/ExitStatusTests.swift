import ArgumentParser
import Foundation
import NeuroEndoKit
import Testing

@testable import neuroendo

/// The exit code of a run is worked out in one place from its typed failures (issue 25,
/// point 4).
@Suite("Exit codes from typed failures")
struct ExitStatusTests {
  private func summary(_ failures: [RunFailure]) -> RunSummary {
    var summary = RunSummary(pipeline: "p", started: Date(), finished: Date(), files: [])
    for failure in failures { summary.fail(failure) }
    return summary
  }

  @Test("a lock is 75, an unusable state 70, a refused plan 64, any other failure 1, none 0")
  func outcomes() {
    let locked = OutputError(path: "/out", message: "busy", lockHolder: 4242)
    let written = OutputError(path: "/out/a.csv", message: "No space left on device")
    #expect(exitStatus(of: summary([])) == .done)
    #expect(exitStatus(of: summary([.output(written)])) == .incomplete)
    #expect(exitStatus(of: summary([.output(written), .locked(locked)])) == .busy(holder: 4242))
    #expect(exitStatus(of: summary([.stateUnusable("damaged")])) == .stateUnusable("damaged"))
    #expect(
      exitStatus(of: summary([.refused("a shard keeps no state")]))
        == .refused("a shard keeps no state"))
    #expect(RunOutcome.refused("x").code.rawValue == 64 && RunOutcome.rejected.code.rawValue == 3)
    // An audit whose files were read whole, with rejected records: 3; the same run: 0.
    var audit = summary([])
    var file = FileReadSummary(file: "a.csv", profile: "lis-long")
    file.records = 2
    file.acceptedRecords = 1
    file.rejectedRecords = 1
    audit.files = [file]
    #expect(exitStatus(of: audit) == .done)
    audit.auditOnly = true
    #expect(exitStatus(of: audit) == .rejected)
    #expect(ExitStatus.busy.rawValue == 75 && RunOutcome.busy(holder: 1).code.rawValue == 75)
    #expect(RunOutcome.stateUnusable("x").code.rawValue == 70)
    #expect(RunOutcome.incomplete.code.rawValue == 1 && RunOutcome.done.code.rawValue == 0)
    // The summary says them in its own fields too, as run-summary.json has them.
    #expect(summary([.locked(locked)]).lockedBy == 4242)
    #expect(summary([.stateUnusable("damaged")]).stateProblem == "damaged")
    #expect(summary([.output(written)]).outputFailures == [written.description])
  }
}
