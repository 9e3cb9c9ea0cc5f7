import Foundation
import Synchronization

/// What a partitioned read spilled: its runs' scratch files, each up to
/// ``SubjectRunSpill/runRows`` samples in a row of the run's read order written sorted by
/// subject (each subject's samples in read order), and every subject's samples.
struct SubjectRuns: Sendable {
  /// The runs' files, in read order.
  var paths: [String] = []
  /// The samples of each subject (one entry for ids Swift holds equal).
  var samples: [String: Int] = [:]
}

/// Writes the samples of a run in partitions to scratch files in runs sorted by subject, on
/// threads of their own (reading the inputs takes two): the readers' batches of columns
/// gather as they are and, every ``runRows``, their rows are sorted by subject and written
/// as a run (``SubjectRuns``) while the next run gathers. A partition, a range of subjects,
/// then takes a stretch of each run (``SubjectRunDealer``).
final class SubjectRunSpill: @unchecked Sendable {
  let directory: String
  /// The samples a run holds: the rows gathered before they are sorted and written.
  let runRows: Int
  /// Gathers the samples; a few batches wait at most, then the caller waits too.
  private let queue = DispatchQueue(label: "neuroendo.subject-runs")
  private let waiting = DispatchSemaphore(value: 4)
  /// Sorts and writes the runs, one at a time: a run gathered waits for the one before.
  private let writing = DispatchQueue(label: "neuroendo.subject-runs.write")
  private let writeSlot = DispatchSemaphore(value: 1)
  /// The samples being batched, by the caller's thread only.
  private var batch: [(sample: Sample, sequence: Int)] = []
  /// The run being gathered (batches of columns, each with the rows of this run: a batch
  /// may end one run and start the next), its rows, and the runs gathered: on `queue` only
  /// until ``finish()``.
  private var pieces: [Piece] = []
  private var gatheredRows = 0
  private var gathered = 0
  /// The runs written and the first failure: on `writing` only until ``finish()``.
  private var runs = SubjectRuns()
  private var failure: OutputError?
  static let batchSize = 4096

  /// Rows of a batch of columns.
  typealias Piece = (columns: SampleColumns, rows: Range<Int>)

  /// Runs of `runRows` samples; 0 (a run never partitioned by size, asked for partitions):
  /// ``Pipeline/defaultPartitionSamples``.
  init(directory: String, runRows: Int) {
    self.directory = directory
    self.runRows = runRows > 0 ? runRows : Pipeline.defaultPartitionSamples
    batch.reserveCapacity(Self.batchSize)
  }

  /// Queues a sample and its place in the run's read order.
  func add(_ sample: Sample, sequence: Int) {
    batch.append((sample, sequence))
    if batch.count >= Self.batchSize { send() }
  }

  /// Queues a reader's batch of samples in columns (their places in read order set), kept
  /// as it is until its rows are written.
  func add(columns: SampleColumns) {
    send()  // the samples queued before these go first
    waiting.wait()
    queue.async { [self] in
      defer { waiting.signal() }
      gather(columns)
    }
  }

  private func send() {
    guard !batch.isEmpty else { return }
    let full = batch
    batch.removeAll(keepingCapacity: true)
    waiting.wait()
    queue.async { [self] in
      defer { waiting.signal() }
      var columns = SampleColumns()
      columns.reserve(full.count)
      for item in full { columns.append(item.sample.allFields, sequence: item.sequence) }
      gather(columns)
    }
  }

  /// Adds a batch's rows to the run, writing each run once it is full (on `queue`).
  private func gather(_ columns: SampleColumns) {
    var start = 0
    while start < columns.count {
      let taken = min(columns.count - start, runRows - gatheredRows)
      pieces.append((columns, start..<(start + taken)))
      gatheredRows += taken
      start += taken
      if gatheredRows >= runRows { writeRun() }
    }
  }

  /// Writes what is queued and the last run; the runs, or the first failure.
  func finish() throws(OutputError) -> SubjectRuns {
    send()
    queue.sync { writeRun() }
    writing.sync {}
    if let failure { throw failure }
    return runs
  }

  /// Hands the gathered samples over to be sorted by subject and written as the next run
  /// (from `queue`).
  private func writeRun() {
    guard gatheredRows > 0 else { return }
    let run = pieces
    (pieces, gatheredRows) = ([], 0)
    gathered += 1
    let path = "\(directory)/run-\(gathered).spill"
    writeSlot.wait()
    writing.async { [self] in
      defer { writeSlot.signal() }
      guard failure == nil else { return }
      let (rows, subjects, counts) = Self.subjectOrder(run)
      do throws(OutputError) {
        let writer = try SpillWriter(path: path)
        try writer.write(rows: rows, of: run.map(\.columns))
        try writer.flush()
        runs.paths.append(path)
        // Counted as they come: a run's subjects are not kept (a lab export in time order
        // holds most subjects in every run).
        for (subject, count) in zip(subjects, counts) { runs.samples[subject, default: 0] += count }
      } catch {
        failure = error
      }
    }
  }

  /// The rows of `pieces` in subject order, each subject's in read order (a counting sort
  /// by the subjects' ranks), as piece and row; the subjects in that order, and their rows.
  /// Ids Swift holds equal (a composed and a decomposed "é") are one subject, as in a whole
  /// run.
  static func subjectOrder(_ pieces: [Piece]) -> (
    rows: [(piece: Int32, row: Int32)], subjects: [String], counts: [Int]
  ) {
    // Each piece's subject texts numbered among the run's subjects, once per text.
    var numbers: [String: Int32] = [:]
    var ids: [String] = []
    var numberOf: [[Int32]] = []
    var total = 0
    for piece in pieces {
      let columns = piece.columns
      var mine = [Int32](repeating: -1, count: columns.texts.count)
      for row in piece.rows where mine[Int(columns.subject[row])] < 0 {
        let id = columns.texts[Int(columns.subject[row])]
        if let known = numbers[id] {
          mine[Int(columns.subject[row])] = known
        } else {
          mine[Int(columns.subject[row])] = Int32(ids.count)
          numbers[id] = Int32(ids.count)
          ids.append(id)
        }
      }
      numberOf.append(mine)
      total += piece.rows.count
    }
    let order = ids.indices.sorted { ids[$0] < ids[$1] }
    var rank = [Int32](repeating: 0, count: ids.count)
    for (place, number) in order.enumerated() { rank[number] = Int32(place) }
    // Each row's rank, found once, in the pieces' order.
    var places: [Int32] = []
    places.reserveCapacity(total)
    var starts = [Int](repeating: 0, count: ids.count + 1)
    for (index, piece) in pieces.enumerated() {
      for row in piece.rows {
        let place = rank[Int(numberOf[index][Int(piece.columns.subject[row])])]
        places.append(place)
        starts[Int(place) + 1] += 1
      }
    }
    for place in ids.indices { starts[place + 1] += starts[place] }
    let counts = ids.indices.map { starts[$0 + 1] - starts[$0] }
    var rows = [(piece: Int32, row: Int32)](repeating: (0, 0), count: total)
    var next = 0
    for (index, piece) in pieces.enumerated() {
      for row in piece.rows {
        let place = Int(places[next])
        next += 1
        rows[starts[place]] = (Int32(index), Int32(row))
        starts[place] += 1
      }
    }
    return (rows, order.map { ids[$0] }, counts)
  }
}

/// The subjects of a run in partitions in id order, and its partitions as ranges of them:
/// each partition's subjects all come before the next partition's, so that its tables in
/// subject order are a stretch of the run's (the merge concatenates them).
struct SubjectRanges: Sendable {
  /// The subjects in id order.
  private(set) var ids: [String] = []
  /// Each subject's samples, in id order.
  private(set) var counts: [Int] = []
  /// The end (exclusive) of each partition's subjects, in order: one partition of every
  /// subject until split.
  private(set) var ends: [Int] = []

  /// The subjects of a run, one partition of them all.
  init(samples: [String: Int]) {
    ids = samples.keys.sorted()
    counts = ids.map { samples[$0]! }
    ends = [ids.count]
  }

  /// The partitions.
  var count: Int { ends.count }
  /// The samples in all.
  var total: Int { counts.reduce(0, +) }

  /// The subjects of partition `index` (1-based), by their places in id order.
  func range(_ index: Int) -> Range<Int> {
    (index == 1 ? 0 : ends[index - 2])..<ends[index - 1]
  }

  /// The samples of each partition.
  var sizes: [Int] { (1...count).map { counts[range($0)].reduce(0, +) } }

  /// Splits the subjects into `count` partitions of about as many samples each: a subject
  /// goes to the partition its first sample's place among all falls in. Partitions may be
  /// empty (fewer subjects than partitions, or one subject of most samples).
  mutating func split(into count: Int) {
    let total = self.total
    let parts = max(1, count)
    var ends = [Int](repeating: counts.count, count: parts)
    var before = 0
    var part = 0
    for (rank, samples) in counts.enumerated() {
      let mine = total == 0 ? 0 : min(parts - 1, before * parts / total)
      while part < mine {
        ends[part] = rank
        part += 1
      }
      before += samples
    }
    self.ends = ends
  }

  /// Splits the subjects into the fewest partitions of at most `limit` samples each; a
  /// subject's samples stay together, so a subject of more is a partition of its own.
  mutating func split(atMost limit: Int) {
    var ends: [Int] = []
    var size = 0
    for (rank, samples) in counts.enumerated() {
      if size > 0, size + samples > limit {
        ends.append(rank)
        size = 0
      }
      size += samples
    }
    ends.append(counts.count)
    self.ends = ends
  }

  /// The first subject of each partition after the first, in order (`nil`: none, that
  /// partition and the later ones are empty).
  var bounds: [String?] { ends.dropLast().map { $0 < ids.count ? ids[$0] : nil } }

  /// The partition (1-based) of a subject id given the ``bounds``: one after those at or
  /// below it.
  static func partition(of id: String, bounds: [String?]) -> Int {
    var (low, high) = (0, bounds.count)
    while low < high {
      let middle = (low + high) / 2
      if let bound = bounds[middle], bound <= id { low = middle + 1 } else { high = middle }
    }
    return low + 1
  }
}

/// Hands each partition its subjects' samples from every run, in columns: the runs are
/// sorted by subject, so a partition's are the next stretch of each, and each run is read
/// once through, a chunk at a time, whichever thread asks. Partitions are dealt in order;
/// one asked for before an earlier one waits dealt until taken (as many as threads ask at
/// once).
final class SubjectRunDealer: Sendable {
  /// Where the partitions after the first begin (``SubjectRanges/bounds``).
  private let bounds: [String?]
  /// The samples of each partition, checked as it is dealt.
  private let sizes: [Int]
  /// Whether a run's file goes once read through (nothing reads it again).
  let removesFiles: Bool
  private let state: Mutex<State>

  /// Where a run's file is read to: the chunk at hand, the partitions of its subjects.
  private struct Cursor: Sendable {
    var path: String
    /// The file, open from the first partition that reads it until read through: opening
    /// it for every partition cost a second at 9 million rows (180 runs, 361 partitions).
    var reader: SpillReader?
    var chunk = SampleColumns()
    var position = 0
    /// The partition of each of the chunk's texts that is a subject, once found (0: not yet).
    var partitions: [Int32] = []
    var finished = false
  }

  private struct State: Sendable {
    var cursors: [Cursor]
    var dealt = 0
    var waiting: [Int: [Stretch]] = [:]
    var failure: OutputError?
  }

  /// Rows of a chunk of a run's file, as read (the chunk's columns are shared, not copied).
  struct Stretch: Sendable {
    var columns: SampleColumns
    var rows: Range<Int>
  }

  init(runs: [String], ranges: SubjectRanges, removesFiles: Bool) {
    bounds = ranges.bounds
    sizes = ranges.sizes
    self.removesFiles = removesFiles
    state = Mutex(State(cursors: runs.map { Cursor(path: $0) }))
  }

  deinit {
    // Files not read through (a partition failed, or was never asked for).
    state.withLock { state in for cursor in state.cursors { cursor.reader?.close() } }
  }

  /// The samples of partition `index` (1-based), each taken once: every run's stretch of
  /// its subjects, in run order (each run's by subject, then read order).
  func take(_ index: Int) throws(OutputError) -> [Stretch] {
    try state.withLock { state -> Result<[Stretch], OutputError> in
      while state.dealt < index, state.failure == nil {
        state.dealt += 1
        do throws(OutputError) {
          state.waiting[state.dealt] = try deal(state.dealt, &state.cursors)
        } catch {
          state.failure = error
        }
      }
      if let stretches = state.waiting.removeValue(forKey: index) { return .success(stretches) }
      return .failure(
        state.failure
          ?? OutputError(path: "", message: "partition \(index) of the run was taken twice"))
    }.get()
  }

  private func deal(_ partition: Int, _ cursors: inout [Cursor]) throws(OutputError) -> [Stretch] {
    var stretches: [Stretch] = []
    for index in cursors.indices where !cursors[index].finished {
      try take(upTo: partition, from: &cursors[index], into: &stretches)
    }
    // The runs as counted when written: a file cut short at a chunk's end reads as a whole.
    let dealt = stretches.reduce(0) { $0 + $1.rows.count }
    guard dealt == sizes[partition - 1] else {
      throw OutputError(
        path: FileSystem.split(cursors.first?.path ?? "").directory,
        message:
          "the partition's scratch files hold \(dealt) samples of partition \(partition), not the \(sizes[partition - 1]) written"
      )
    }
    return stretches
  }

  /// Appends the cursor's samples of partitions up to `partition`, reading its file on as
  /// needed.
  private func take(upTo partition: Int, from cursor: inout Cursor, into stretches: inout [Stretch])
    throws(OutputError)
  {
    while true {
      if cursor.position == cursor.chunk.count {
        if cursor.reader == nil { cursor.reader = try SpillReader(path: cursor.path) }
        guard let next = try cursor.reader!.nextChunk() else {
          cursor.reader!.close()
          cursor.reader = nil
          cursor.finished = true
          cursor.chunk = SampleColumns()
          if removesFiles { _ = FileSystem.remove(cursor.path) }
          return
        }
        (cursor.chunk, cursor.position) = (next, 0)
        cursor.partitions = [Int32](repeating: 0, count: next.texts.count)
      }
      let start = cursor.position
      while cursor.position < cursor.chunk.count {
        let number = Int(cursor.chunk.subject[cursor.position])
        if cursor.partitions[number] == 0 {
          cursor.partitions[number] = Int32(
            SubjectRanges.partition(of: cursor.chunk.texts[number], bounds: bounds))
        }
        guard cursor.partitions[number] <= partition else { break }
        cursor.position += 1
      }
      if cursor.position > start {
        stretches.append(Stretch(columns: cursor.chunk, rows: start..<cursor.position))
      }
      guard cursor.position == cursor.chunk.count else { return }
    }
  }
}

/// The samples of one partition of a run in partitions (``SubjectRunDealer``), handed out in
/// the run's read order with their places, after the files' summaries and the rejections
/// (which only the first partition writes).
struct RangeSource: SampleSource {
  var read: PartitionedRun.ReadOnce
  var dealer: SubjectRunDealer
  /// The partition (1-based).
  var partition: Int

  func read(
    into summary: inout RunSummary, zones: inout [String: String], progress: (String) -> Void,
    onSample: (Sample, _ sequence: Int?) -> Void, onRejection: (Rejection) -> Void
  ) throws(RunFailure) {
    summary.files = read.files
    summary.inputIssues += read.inputIssues
    summary.skippedEntries += read.skippedEntries
    zones = read.zonesByFile
    for rejection in read.rejections { onRejection(rejection) }
    let stretches: [SubjectRunDealer.Stretch]
    do throws(OutputError) {
      stretches = try dealer.take(partition)
    } catch {
      throw .output(error)
    }
    for (sequence, sample) in Self.inReadOrder(stretches) { onSample(sample, sequence) }
  }

  /// The samples of `stretches` in read order, with their places: made a stretch at a time
  /// (one stretch's columns at hand for all its rows), then sorted.
  static func inReadOrder(_ stretches: [SubjectRunDealer.Stretch]) -> [(
    sequence: Int, sample: Sample
  )] {
    var samples: [(sequence: Int, sample: Sample)] = []
    samples.reserveCapacity(stretches.reduce(0) { $0 + $1.rows.count })
    for stretch in stretches {
      let columns = stretch.columns
      for row in stretch.rows { samples.append((columns.sequence[row], columns.sample(at: row))) }
    }
    samples.sort { $0.sequence < $1.sequence }
    return samples
  }
}
