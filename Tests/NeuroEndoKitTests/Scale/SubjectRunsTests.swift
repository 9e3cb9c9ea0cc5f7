import Foundation
import Testing

@testable import NeuroEndoKit

@Suite(
  "subject runs (a run in partitions: its scratch files sorted by subject, its partitions ranges of subjects)"
)
struct SubjectRunsTests {
  private func scratchFolder() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
      "neuroendo-runs-\(UUID())"
    ).path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    return path
  }

  /// The subjects of runs of the given subjects and samples, counted as the spill counts
  /// them.
  private func ranges(_ runs: [[(String, Int)]]) -> SubjectRanges {
    var samples: [String: Int] = [:]
    for run in runs { for (id, count) in run { samples[id, default: 0] += count } }
    return SubjectRanges(samples: samples)
  }

  /// Partition of `id`, as the dealer finds it.
  private func partition(_ id: String, _ plan: SubjectRanges) -> Int {
    SubjectRanges.partition(of: id, bounds: plan.bounds)
  }

  @Test(
    "partitions: the fewest ranges within a limit, or N of about equal samples; a subject is never split"
  )
  func splits() {
    // a 10, b 20 (in two runs), c 10, d 50, e to h 10 each: 130 samples.
    var plan = ranges([
      [("b", 10), ("d", 50)],
      [("a", 10), ("b", 10), ("c", 10), ("e", 10), ("f", 10), ("g", 10), ("h", 10)],
    ])
    #expect(plan.total == 130)
    #expect(plan.count == 1 && plan.range(1) == 0..<8)
    plan.split(atMost: 130)
    #expect(plan.sizes == [130])
    plan.split(atMost: 60)
    #expect(plan.sizes == [40, 60, 30])  // a-c, d-e, f-h
    #expect(plan.range(2) == 3..<5)
    plan.split(atMost: 40)
    #expect(plan.sizes == [40, 50, 40])  // d alone, over the limit
    // By the place of each subject's first sample among the 130: 0, 10, 30 | 40 | 90 | 100...
    plan.split(into: 4)
    #expect(plan.sizes == [40, 50, 10, 30])
    #expect((1...4).map(plan.range) == [0..<3, 3..<4, 4..<5, 5..<8])
    #expect(plan.bounds == ["d", "e", "f"])
    #expect(
      ["a", "c", "d", "e", "f", "h", "z", ""].map { partition($0, plan) } == [
        1, 1, 2, 3, 4, 4, 4, 1,
      ])
    // More partitions than subjects: some are empty, every subject in one.
    var two = ranges([[("x", 1), ("y", 1)]])
    two.split(into: 5)
    #expect(two.sizes.reduce(0, +) == 2 && two.sizes.count == 5)
    #expect(two.sizes.filter { $0 == 1 }.count == 2)
    // Each subject's partition is the one whose range holds it, empty ones skipped.
    #expect(two.sizes[partition("x", two) - 1] >= 1 && two.sizes[partition("y", two) - 1] >= 1)
    #expect(partition("x", two) < partition("y", two))
    var none = ranges([])
    none.split(into: 3)
    #expect(none.sizes == [0, 0, 0])
    none.split(atMost: 10)
    #expect(none.sizes == [0])
    // Ids Swift holds equal are one subject (as in a whole run): composed and decomposed.
    let accents = ranges([[("\u{E9}", 2)], [("e\u{301}", 3), ("f", 1)]])
    #expect(accents.counts == [1, 3 + 2])  // "f" sorts before "é"
    var split = accents
    split.split(atMost: 3)
    #expect(split.sizes == [1, 5])  // f; é in both spellings, over the limit
    #expect(partition("e\u{301}", split) == 2 && partition("\u{E9}", split) == 2)
  }

  @Test(
    "every sample reaches the partition of its subject's range once, in read order, from samples and columns alike"
  )
  func dealt() throws {
    let folder = try scratchFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let all = try SampleColumnsTests.samples()
    // Runs of 50: several runs, some cut inside a batch of columns.
    let spill = SubjectRunSpill(directory: folder, runRows: 50)
    var expected: [Int: Sample] = [:]
    var sequence = 0
    let ids = ["S03", "S10", "\u{E9}", "S01", "e\u{301}", "S2", "S02", "A", "S11", "S00"]
    for round in 0..<6 {
      var batch = SampleColumns()
      for (index, original) in all.enumerated() {
        sequence += 1
        var sample = original
        sample.subjectID = ids[(index * 7 + round) % ids.count]
        expected[sequence] = sample
        if round % 2 == 0 {
          spill.add(sample, sequence: sequence)
        } else {
          batch.append(sample, sequence: sequence)
        }
      }
      if round % 2 == 1 { spill.add(columns: batch) }
    }
    let runs = try spill.finish()
    #expect(runs.paths.count == (sequence + 49) / 50)
    #expect(runs.samples.values.reduce(0, +) == sequence)
    var plan = SubjectRanges(samples: runs.samples)
    #expect(plan.counts.count == ids.count - 1)  // the two spellings of é are one subject
    plan.split(into: 4)
    let dealer = SubjectRunDealer(runs: runs.paths, ranges: plan, removesFiles: true)
    var seen: [Int: Sample] = [:]
    // Asked out of order, as threads may: the earlier partitions wait, dealt.
    for partition in [3, 1, 4, 2] {
      let stretches = try dealer.take(partition)
      #expect(stretches.map(\.rows.count).reduce(0, +) == plan.sizes[partition - 1])
      for stretch in stretches {
        for row in stretch.rows {
          let sample = stretch.columns.sample(at: row)
          #expect(self.partition(sample.subjectID, plan) == partition)
          #expect(plan.range(partition).contains(plan.ids.firstIndex(of: sample.subjectID)!))
          #expect(seen.updateValue(sample, forKey: stretch.columns.sequence[row]) == nil)
        }
      }
    }
    #expect(seen.count == expected.count)
    for (place, sample) in expected where seen[place] != sample {
      Issue.record("sample \(place) differs: \(String(describing: seen[place]))")
    }
    // The very bytes of each spelling, not merely an equal id.
    for (place, sample) in expected
    where Array(seen[place]?.subjectID.utf8 ?? "".utf8) != Array(sample.subjectID.utf8) {
      Issue.record("sample \(place): its id's bytes changed")
    }
    // Each file went once read through; a partition is taken once.
    #expect(runs.paths.allSatisfy { !FileManager.default.fileExists(atPath: $0) })
    #expect(throws: OutputError.self) { try dealer.take(2) }
  }

  @Test(
    "a partition's source hands out its samples in read order; a damaged run is an error naming it")
  func sourceAndDamage() throws {
    let folder = try scratchFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let spill = SubjectRunSpill(directory: folder, runRows: 1000)
    var sample = SampleColumnsTests.everyField
    for index in 0..<700 {
      sample.subjectID = "S\(index % 17)"
      sample.quantity.value = Double(index)
      spill.add(sample, sequence: index + 1)
    }
    let runs = try spill.finish()
    var plan = SubjectRanges(samples: runs.samples)
    plan.split(into: 2)
    let read = PartitionedRun.ReadOnce(runs: runs.paths, subjects: plan)
    let source = RangeSource(
      read: read, dealer: SubjectRunDealer(runs: runs.paths, ranges: plan, removesFiles: false),
      partition: 2)
    var summary = RunSummary(pipeline: "p", started: Date(), finished: Date(), files: [])
    var zones: [String: String] = [:]
    var places: [Int] = []
    try source.read(
      into: &summary, zones: &zones, progress: { _ in },
      onSample: { sample, place in
        places.append(place!)
        #expect(sample.quantity.value == Double(place! - 1))
      }, onRejection: { _ in })
    #expect(places == places.sorted() && places.count == plan.sizes[1] && places.count > 0)
    // One byte changed in the run's file: its checksum fails, and the error names it.
    let path = runs.paths[0]
    let whole = try Data(contentsOf: URL(fileURLWithPath: path))
    var bytes = whole
    bytes[bytes.count / 2] ^= 0x01
    try bytes.write(to: URL(fileURLWithPath: path))
    let damaged = SubjectRunDealer(runs: runs.paths, ranges: plan, removesFiles: false)
    do throws(OutputError) {
      _ = try damaged.take(1)
      Issue.record("a damaged run went unnoticed")
    } catch {
      #expect(error.path == path && error.message.contains("damaged"))
    }
    // Every later partition is refused too: the runs' places are no longer known.
    #expect(throws: OutputError.self) { try damaged.take(2) }
    // Cut at a chunk's end, the file reads as whole: the samples counted when it was
    // written tell.
    let chunk = Int(whole.prefix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    try whole.prefix(SampleSpill.headerBytes + chunk).write(to: URL(fileURLWithPath: path))
    let cut = SubjectRunDealer(runs: runs.paths, ranges: plan, removesFiles: false)
    do throws(OutputError) {
      _ = try cut.take(1)
      _ = try cut.take(2)
      Issue.record("a run cut short went unnoticed")
    } catch {
      #expect(error.message.contains("not the"), "\(error)")
    }
  }

  @Test(
    "a run that cannot be written is an error naming its file; runs of 0 samples are the default size"
  )
  func spillFailures() throws {
    let missing = FileManager.default.temporaryDirectory.path + "/neuroendo-absent-\(UUID())"
    let spill = SubjectRunSpill(directory: missing, runRows: 10)
    for index in 0..<25 { spill.add(SampleColumnsTests.everyField, sequence: index + 1) }
    do throws(OutputError) {
      _ = try spill.finish()
      Issue.record("an unwritable run went unnoticed")
    } catch {
      #expect(error.path == missing + "/run-1.spill")
    }
    #expect(
      SubjectRunSpill(directory: missing, runRows: 0).runRows == Pipeline.defaultPartitionSamples)
  }
}
