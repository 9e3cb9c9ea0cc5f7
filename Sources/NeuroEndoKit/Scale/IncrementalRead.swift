import Foundation

extension IncrementalRun {
  /// Locks and opens the state; `nil` when it cannot be used (the summary says why). A state
  /// that is gone while the outputs say they were published from one (an unmounted share, a
  /// deleted folder) is not started over silently: the data of files no longer in the inbox
  /// would be lost without a word.
  func open(
    _ statePath: String, rebuild: Bool, outputs directory: String, lock: inout DirectoryLock?,
    into summary: inout RunSummary
  ) -> StateStore? {
    let store: StateStore
    do {
      try FileModes.makeDirectory(statePath)
      lock = try DirectoryLock(directory: statePath)
      if !FileSystem.exists(StateStore.file(in: statePath)), !rebuild,
        OutputPublisher.manifest(in: directory)?.fromState == true
      {
        throw StateProblem(
          file: StateStore.file(in: statePath), kind: .missing,
          detail: "the outputs in \(directory) were published from a state")
      }
      store = try StateStore(directory: statePath)
      if rebuild {
        try store.reset()
        summary.notes.append("rebuilt: the ledger was cleared and every input still present read")
      }
    } catch let error as OutputError {
      summary.fail(error.lockHolder != nil ? .locked(error) : .output(error))
      return nil
    } catch let problem as StateProblem {
      summary.fail(.stateUnusable(problem.description))
      return nil
    } catch {
      summary.fail(.state("state \(statePath): \(error)"))
      return nil
    }
    if let previous = lock?.takenOverFrom {
      summary.notes.append("took over the state lock left by pid \(previous), which no longer runs")
    }
    return store
  }

  /// Reads the files that are new or changed since the ledger saw them, records each with
  /// its samples in one transaction, and takes the others' data from the ledger; a file
  /// that vanished keeps its data. `nil` when the state cannot be used (the summary says why).
  func read(_ store: StateStore, progress: (String) -> Void, into summary: inout RunSummary)
    -> Ledger?
  {
    let statePath = pipeline.state ?? ""
    var scan = Scan(
      pipeline: pipeline, ledger: Ledger(store: store, statePath: statePath),
      now: LocalDateTime.iso(summary.started))
    do {
      scan.entries = try store.entries()
      for (index, input) in pipeline.inputs.enumerated() {
        for file in scan.files(of: input, index, into: &summary) {
          progress("checking \(file)")
          try scan.check(file, input: input, index, into: &summary)
        }
      }
      scan.keepVanished(into: &summary)
      try scan.finish(run: summary.run, into: &summary)
    } catch {
      summary.fail(.state("state \(statePath): \(error)"))
      return nil
    }
    var ledger = scan.ledger
    ledger.files.sort { ($0.input, $0.path) < ($1.input, $1.path) }
    summary.incremental = RunSummary.IncrementalCounts(
      new: ledger.new, changed: ledger.changed, unchanged: ledger.unchanged,
      vanished: ledger.vanished)
    return ledger
  }

  /// One night's look at the inboxes against the ledger.
  struct Scan {
    var pipeline: Pipeline
    var ledger: Ledger
    /// The run's start, as the ledger writes times.
    var now: String
    var entries: [String: StateStore.Entry] = [:]
    var seen = Set<String>()
    var readOnce = Set<String>()
    var unchanged: [String] = []
    var vanished: [String] = []
    /// Inputs that are not there (an unmounted share): their files are not vanished.
    var unreachable = Set<Int>()
    /// Files back in the inbox after they vanished (a share mounted again, a file moved
    /// back): read or quarantined again.
    var returned: (read: [String], quarantined: [String]) = ([], [])

    /// The files of an input tonight, each once (one file, one reader).
    mutating func files(of input: InputSource, _ index: Int, into summary: inout RunSummary)
      -> [String]
    {
      switch InputRead.files(of: input, pipeline.reading, readOnce: &readOnce, into: &summary) {
      case .success(let files): return files
      case .failure(let problem):
        // An inbox that holds no file tonight is normal for a nightly run; one that is not
        // there says nothing of its files: they are not vanished, their data stay.
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: input.path, isDirectory: &isDirectory)
        if !(exists && isDirectory.boolValue) { summary.inputIssues.append(.unavailable(problem)) }
        if !exists { unreachable.insert(index) }
        return []
      }
    }

    /// Takes an unchanged file's data from the ledger, or reads a new or changed one and
    /// records it with its samples (a file that cannot be read is quarantined).
    mutating func check(
      _ file: String, input: InputSource, _ index: Int, into summary: inout RunSummary
    ) throws {
      seen.insert(file)
      if let zone = input.timeZone { ledger.zones[file] = zone }
      let digest = SHA256.file(file)
      let readKey = Fingerprint.reading(pipeline, input: index)
      let known = entries[file]
      if let digest, let entry = known, entry.sha256 == digest.sha256, entry.readKey == readKey {
        keepUnchanged(file, entry, index, into: &summary)
        return
      }
      var samples: [Sample] = []
      var rejections: [Rejection] = []
      var fileSummary = pipeline.read(
        file, of: input, onSample: { samples.append($0) }, onRejection: { rejections.append($0) })
      // The ledger keeps the digest of the bytes read (the file may have changed since it
      // was checked).
      fileSummary.bytes = fileSummary.bytes ?? digest?.bytes
      fileSummary.sha256 = fileSummary.sha256 ?? digest?.sha256
      let quarantined = fileSummary.failure != nil
      if quarantined {
        fileSummary.notices.append(
          "quarantined in the ledger: read again only when its content changes")
        summary.quarantinedFiles.append(
          .init(
            path: file, since: known?.firstSeen ?? now,
            why: fileSummary.failure ?? "it could not be read"))
      }
      let entry = StateStore.Entry(
        path: file, input: index, bytes: fileSummary.bytes ?? 0, sha256: fileSummary.sha256 ?? "",
        firstSeen: known?.firstSeen ?? now, lastSeen: now,
        outcome: quarantined ? "quarantined" : "read", summary: fileSummary, readKey: readKey)
      try ledger.store.record(entry, samples: samples, rejections: rejections)
      if known == nil { ledger.new += 1 } else { ledger.changed += 1 }
      if let known, known.sha256 == digest?.sha256 {
        // Said in this run's summary only: the ledger keeps what a read gives.
        ledger.reread += 1
        fileSummary.notices.append(
          "read again: its content is unchanged, but how its input is read changed (format, profile or read settings)"
        )
      }
      ledger.files.append(.init(input: index, path: file, summary: fileSummary))
    }

    /// An unchanged file: its data from the ledger; back in the inbox when it had vanished.
    private mutating func keepUnchanged(
      _ file: String, _ entry: StateStore.Entry, _ index: Int, into summary: inout RunSummary
    ) {
      ledger.files.append(.init(input: index, path: file, summary: entry.summary))
      unchanged.append(file)
      let failed = entry.summary.failure != nil
      if entry.outcome == "vanished" {
        if failed { returned.quarantined.append(file) } else { returned.read.append(file) }
        summary.notes.append("\(file): back in the inbox, unchanged")
      }
      if entry.outcome == "quarantined" || (entry.outcome == "vanished" && failed) {
        summary.quarantinedFiles.append(
          .init(
            path: file, since: entry.firstSeen, why: entry.summary.failure ?? "it could not be read"
          ))
      }
    }

    /// Files the ledger saw that are gone: their data stay in every table.
    mutating func keepVanished(into summary: inout RunSummary) {
      for (path, entry) in entries where !seen.contains(path) {
        if unreachable.contains(entry.input) {
          // Not seen because its inbox is not there: kept as it was, not vanished.
          if entry.outcome != "quarantined" && entry.outcome != "vanished" {
            var fileSummary = entry.summary
            fileSummary.notices.append(
              "its input was not there (last seen \(entry.lastSeen)); its data are kept as they were"
            )
            ledger.files.append(.init(input: entry.input, path: path, summary: fileSummary))
          }
          continue
        }
        // Its input's time zone still applies to its local times.
        if pipeline.inputs.indices.contains(entry.input),
          let zone = pipeline.inputs[entry.input].timeZone
        {
          ledger.zones[path] = zone
        }
        // A quarantined file that is gone held no data: its quarantine ends with it.
        if entry.outcome == "quarantined"
          || (entry.outcome == "vanished" && entry.summary.failure != nil)
        {
          if entry.outcome != "vanished" {
            vanished.append(path)
            summary.notes.append(
              "\(path): the quarantined file is gone from the inbox; its quarantine ends")
          }
          continue
        }
        var fileSummary = entry.summary
        fileSummary.notices.append(
          "vanished from the inbox (last seen \(entry.lastSeen)); the data of its last content are kept"
        )
        ledger.files.append(.init(input: entry.input, path: path, summary: fileSummary))
        if entry.outcome != "vanished" { vanished.append(path) }
      }
    }

    /// Marks what the night saw in the ledger and records the run.
    mutating func finish(run: String, into summary: inout RunSummary) throws {
      let store = ledger.store
      try store.mark(unchanged, outcome: nil, seen: now)
      try store.mark(vanished, outcome: "vanished", seen: now)
      try store.mark(returned.read, outcome: "read", seen: now)
      try store.mark(returned.quarantined, outcome: "quarantined", seen: now)
      ledger.unchanged = unchanged.count
      ledger.vanished = vanished.count
      ledger.generation = try store.generation()
      ledger.published = try store.publication()
      if ledger.reread > 0 {
        summary.notes.append(
          "\(ledger.reread) file\(ledger.reread == 1 ? "" : "s") read again: how their input is read (format, profile or read settings) changed since the ledger read them"
        )
      }
      summary.unchangedSince = try store.lastRun()
      try store.recordRun(
        id: run, started: now, new: ledger.new, changed: ledger.changed,
        vanished: vanished.count)
    }
  }
}
