import Foundation
import Testing

@testable import NeuroEndoKit

@Suite("Parallel map keeps the single-threaded order")
struct ParallelMapTests {
  @Test("each slice maps to what a sequential map gives", arguments: [0, 1, 2, 3, 7, 4097])
  func sameAsSequential(count: Int) {
    let values = (0..<(count + 5)).map { "value-\($0 * 7919 % 1009)" }
    // A slice that does not start at zero, as the batches are.
    let slice = values[5...]
    let transform: @Sendable (String) -> String = { $0.uppercased() + "|\($0.count)" }
    #expect(ParallelMap.map(slice, transform) == slice.map(transform))
  }

  @Test("batches come in order, no larger than asked, and together are the whole map")
  func batches() {
    let values = Array(0..<10_000)
    var seen: [Int] = []
    var sizes: [Int] = []
    ParallelMap.forEachBatch(values, batch: 4096, { $0 * $0 - 3 }) { batch in
      sizes.append(batch.count)
      seen += batch
    }
    #expect(sizes == [4096, 4096, 1808])
    #expect(seen == values.map { $0 * $0 - 3 })
  }

  @Test("an empty input calls nothing")
  func empty() {
    var calls = 0
    ParallelMap.forEachBatch([Int](), batch: 8, { $0 }) { _ in calls += 1 }
    #expect(calls == 0)
  }

  @Test(
    "jobs taken as threads come free: results in order, never more than the width at once",
    arguments: [1, 2, 3])
  func eachJob(width: Int) {
    final class Gauge: @unchecked Sendable {
      let lock = NSLock()
      var running = 0
      var most = 0
      func enter() {
        lock.withLock {
          running += 1; most = max(most, running)
        }
      }
      func leave() { lock.withLock { running -= 1 } }
    }
    let gauge = Gauge()
    // Unequal jobs, longest first, as the merge gives them.
    let jobs = [40, 30, 5, 5, 5, 1, 1, 0]
    let results = ParallelMap.each(jobs, width: width) { milliseconds -> String in
      gauge.enter()
      defer { gauge.leave() }
      usleep(useconds_t(milliseconds * 1000))
      return "job \(milliseconds)"
    }
    #expect(results == jobs.map { "job \($0)" })
    #expect(gauge.most <= width && gauge.running == 0)
    #expect(ParallelMap.each([Int](), width: width) { $0 }.isEmpty)
  }
}
