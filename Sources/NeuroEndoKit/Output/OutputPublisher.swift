import Foundation

/// Publishes a run's output files together, so that the directory never holds files of two
/// runs side by side, and touches nothing it did not write.
///
/// Outputs are written into a hidden staging directory inside the output directory
/// (`.neuroendo-staging-<run>`). Publishing writes the manifest of every file published
/// (`.neuroendo-outputs`, which also marks the directory as NeuroEndo's), a journal naming
/// the files (`.neuroendo-publish`), renames each into place (the summary last) and removes
/// the journal. A run killed while staging leaves the published set untouched, and the next
/// run removes its staging; a run killed while publishing leaves the journal, and the next
/// run finishes the renames first. An exclusive lock on `.neuroendo.lock` (released by the
/// system when a process dies) keeps two runs from writing one directory at once.
///
/// A run writes only into a directory that is empty, carries the marker of an earlier run,
/// or holds nothing but this pipeline's output names (outputs of a version before the
/// marker). It deletes only what it wrote: staging directories and temporary files of its
/// own names, and, when the reports folder is replaced, the files the previous manifest
/// lists (a file put there by someone else is carried over into the new folder).
public final class OutputPublisher {
  /// The output directory.
  public let directory: String
  /// Where this run's files are written until they are published.
  public let staging: String
  /// The run the staging directory is named after.
  public let run: String
  /// What taking the lock found: the process id a run killed earlier left in it.
  public let takenOverFrom: Int32?
  /// What recovering from an interrupted run found wrong, for the run's notes.
  public private(set) var recoveryNotes: [String] = []
  /// Whether the outputs are published from a state (`state:`): the manifest says so, so
  /// that a later run whose state is missing does not start over silently.
  public var fromState = false
  /// Whether publication waits for the staged files and folders to reach the disk: not
  /// when the directory is the run's own scratch (a partition's, inside the run's staging),
  /// whose files the run's publication syncs where they end up.
  var syncsStaged = true
  private let lock: DirectoryLock

  static let journalName = ".neuroendo-publish"
  static let stagingPrefix = ".neuroendo-staging-"
  /// The manifest of the last publication, and the mark of a directory NeuroEndo writes.
  public static let markerName = ".neuroendo-outputs"
  /// The first line of a manifest.
  static let manifestHeader = "neuroendo-outputs 1"

  /// Creates the directory if needed, checks that it is NeuroEndo's, takes its lock,
  /// completes or removes what an interrupted run left, and makes this run's staging
  /// directory.
  ///
  /// - Parameters:
  ///   - directory: the output directory.
  ///   - run: the run's id, which names its staging directory.
  ///   - outputNames: the names the pipeline writes (``Pipeline/Outputs/names``): a
  ///     directory without the marker that holds only these is taken as an earlier run's.
  /// - Throws: ``OutputError`` when the directory cannot be written, holds files NeuroEndo
  ///   did not write (``OutputError/foreign``), or another run holds it.
  public init(directory: String, run: String, outputNames: [String]) throws(OutputError) {
    self.directory = directory
    self.run = run
    try FileModes.makeDirectory(directory)
    let foreign = Self.foreignEntries(in: directory, outputNames: outputNames)
    guard foreign.isEmpty else {
      throw OutputError.foreign(directory: directory, entries: foreign)
    }
    lock = try DirectoryLock(directory: directory)
    takenOverFrom = lock.takenOverFrom
    staging = directory + "/" + Self.stagingPrefix + run
    recoveryNotes = Self.recover(directory, outputNames: outputNames)
    // NeuroEndo's directory (marked, or made just now) takes the mode of health data.
    FileSystem.setMode(directory, FileModes.directory)
    // This run's own staging directory, made here: never one that is already there.
    if let failure = FileSystem.makeDirectory(staging, FileModes.directory) {
      throw OutputError(path: staging, failure)
    }
    FileSystem.setMode(staging, FileModes.directory)
  }

  deinit {
    // Unpublished staging (a failed run) goes; the published set stays as it was. A
    // publication that stopped half-way keeps its staging: the journal names it, and the
    // next run finishes the renames.
    let journal = try? String(contentsOfFile: directory + "/" + Self.journalName, encoding: .utf8)
    if journal?.split(separator: "\n").first.map(String.init) != Self.stagingPrefix + run {
      try? FileManager.default.removeItem(atPath: staging)
    }
  }

  /// The entries of `directory` that show it is not NeuroEndo's: none when it is empty or
  /// missing, carries the marker, or holds only `outputNames` and NeuroEndo's own hidden
  /// files. At most 5 are named.
  public static func foreignEntries(in directory: String, outputNames: [String]) -> [String] {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
      return []
    }
    if names.contains(markerName) { return [] }
    let known = Set(outputNames.map { $0.split(separator: "/").first.map(String.init) ?? $0 })
    var foreign = names.filter { name in
      !known.contains(name) && name != DirectoryLock.name && name != journalName
        && !name.hasPrefix(stagingPrefix) && !isTemporary(name, of: outputNames)
    }
    // Outputs of a version before the marker come with their run summary (the first
    // output name); output names alone (a `reports` folder of one's own) are not enough.
    let visible = names.filter { known.contains($0) }
    if foreign.isEmpty, !visible.isEmpty, let summary = outputNames.first,
      !isSummaryFile(directory + "/" + summary)
    {
      foreign = visible
    }
    return Array(foreign.sorted().prefix(5))
  }

  /// Whether `path` is a regular file holding a NeuroEndo run summary.
  private static func isSummaryFile(_ path: String) -> Bool {
    guard FileSystem.status(path, following: false)?.kind == .regular,
      let data = FileManager.default.contents(atPath: path),
      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    else { return false }
    return object["pipeline"] is String && object["files"] is [Any]
      && object["outputFailures"] is [Any]
  }

  /// The publisher a caller holds already (a run in partitions passes its own to the pass
  /// and the merge), or a new one of `directory`.
  static func holding(
    _ given: OutputPublisher?, directory: String, run: String, outputNames: [String]
  ) throws(OutputError) -> OutputPublisher {
    if let given { return given }
    return try OutputPublisher(directory: directory, run: run, outputNames: outputNames)
  }

  /// Where an output file is written while staged.
  public func stagedPath(_ name: String) -> String { staging + "/" + name }

  /// Where an output file ends up.
  public func publishedPath(_ name: String) -> String { directory + "/" + name }

  /// Moves the staged files into place, `last` after all others (the summary, which names
  /// them), with the manifest of everything published just before it; nothing is moved
  /// when a target is a directory.
  ///
  /// - Throws: ``OutputError`` when a file cannot be moved; the journal stays, and the next
  ///   run finishes the move.
  public func publish(_ names: [String], last: String) throws(OutputError) {
    let order = names.filter { $0 != last && $0 != Self.markerName } + [Self.markerName, last]
    for name in order {
      if FileSystem.status(publishedPath(name), following: false)?.kind == .link {
        throw OutputError(path: publishedPath(name), message: "a symbolic link is in the way")
      }
      var staged: ObjCBool = false
      var published: ObjCBool = false
      if FileManager.default.fileExists(atPath: stagedPath(name), isDirectory: &staged),
        FileManager.default.fileExists(atPath: publishedPath(name), isDirectory: &published),
        staged.boolValue != published.boolValue
      {
        throw OutputError(
          path: publishedPath(name),
          message: published.boolValue ? "a directory is in the way" : "a file is in the way")
      }
    }
    let staged = Self.files(order, under: staging)
    try AtomicFileWriter.write(
      Self.manifest(run: run, fromState: fromState, files: staged),
      to: stagedPath(Self.markerName), durable: false)
    // Files staged without a sync of their own (the many report files) reach the disk
    // here, before anything is published, with the folders that name them: the files this
    // run wrote and nothing else on the volume (no syncfs of every process's data).
    let paths = staged.map { stagedPath($0.path) } + [stagedPath(Self.markerName)]
    if syncsStaged, let (path, failure) = FileSystem.sync(files: paths, folders: [staging]) {
      throw OutputError(path: path, failure)
    }
    let owned = Self.manifestFiles(in: directory)
    let journal =
      ([staging.split(separator: "/").last.map(String.init) ?? ""] + order)
      .joined(separator: "\n") + "\n"
    try AtomicFileWriter.write(
      journal, to: directory + "/" + Self.journalName, durable: syncsStaged)
    try Self.move(order, from: staging, to: directory, owned: owned)
    // Files the last publication held at the top level that this one does not (an
    // intermediate table no longer asked for) go: the set is this run's, never a mix.
    for name in owned ?? [] where !name.contains("/") && !order.contains(name) {
      if FileSystem.status(directory + "/" + name, following: false)?.kind == .regular {
        FileSystem.remove(directory + "/" + name)
      }
    }
    FileSystem.remove(directory + "/" + Self.journalName)
    // The renames reach the disk: the output folder names the files now.
    if syncsStaged { _ = FileSystem.sync(files: [], folders: [directory]) }
  }

  /// Whether `directory` holds the outputs run `run` published: its manifest names that
  /// run, and every file it lists is there, of the size it had.
  public static func isPublished(run: String, in directory: String) -> Bool {
    guard let manifest = manifest(in: directory), manifest.run == run else { return false }
    return manifest.sizes.allSatisfy { path, size in
      guard let status = FileSystem.status(directory + "/" + path, following: false) else {
        return false
      }
      return status.kind == .regular && status.bytes == size
    }
  }

  /// What a manifest says: the run, whether it published from a state, and the size of
  /// every file published, by path relative to the output directory.
  public struct Manifest: Sendable, Hashable {
    public var run: String
    public var fromState: Bool
    public var sizes: [String: Int]
    public var files: Set<String> { Set(sizes.keys) }
  }

  /// The manifest's text: a header, the run, `state` when published from a state, then
  /// every file published with its size, one `<bytes> <path>` a line.
  static func manifest(run: String, fromState: Bool = false, files: [(path: String, bytes: Int)])
    -> String
  {
    ([manifestHeader, "run " + run] + (fromState ? ["state"] : [])
      + files.map { "\($0.bytes) \($0.path)" }).joined(separator: "\n") + "\n"
  }

  /// The files a manifest in `directory` lists, or `nil` when there is none (or it cannot
  /// be read): a directory of a version before the manifest.
  static func manifestFiles(in directory: String) -> Set<String>? {
    manifest(in: directory)?.files
  }

  /// The manifest in `directory`, when there is one that can be read.
  public static func manifest(in directory: String) -> Manifest? {
    guard let text = try? String(contentsOfFile: directory + "/" + markerName, encoding: .utf8)
    else { return nil }
    let lines = text.split(separator: "\n").map(String.init)
    guard lines.count >= 2, lines[0] == manifestHeader, lines[1].hasPrefix("run ") else {
      return nil
    }
    var manifest = Manifest(run: String(lines[1].dropFirst(4)), fromState: false, sizes: [:])
    for line in lines.dropFirst(2) {
      if line == "state" {
        manifest.fromState = true
        continue
      }
      guard let space = line.firstIndex(of: " "), let bytes = Int(line[..<space]) else {
        return nil
      }
      manifest.sizes[String(line[line.index(after: space)...])] = bytes
    }
    return manifest
  }

  /// Every file (or link) under the named entries of `base`, with its size, as paths
  /// relative to it, sorted; links are listed, never followed.
  static func files(_ names: [String], under base: String) -> [(path: String, bytes: Int)] {
    var files: [(path: String, bytes: Int)] = []
    var pending = names
    while let relative = pending.popLast() {
      let path = relative.isEmpty ? base : base + "/" + relative
      guard let status = FileSystem.status(path, following: false) else { continue }
      if status.kind == .directory {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
          pending.append(relative.isEmpty ? name : relative + "/" + name)
        }
      } else {
        files.append((relative, status.bytes))
      }
    }
    return files.sorted { $0.path < $1.path }
  }

  /// Renames staged files into the directory; a file already moved is passed over. A
  /// staged directory (`reports`) replaces the published one whole: files in the old one
  /// that `owned` (the previous manifest) does not list are carried into the new one, the
  /// old one is moved into the staging directory, and goes with it.
  private static func move(
    _ names: [String], from staging: String, to directory: String, owned: Set<String>?
  ) throws(OutputError) {
    for name in names {
      let source = staging + "/" + name
      let target = directory + "/" + name
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) else {
        continue
      }
      if isDirectory.boolValue, let status = FileSystem.status(target, following: false) {
        guard status.kind == .directory else {
          throw OutputError(path: target, message: "something other than a folder is in the way")
        }
        carryForeign(from: target, to: source, name: name, owned: owned)
        let previous = staging + "/" + name + ".previous"
        try? FileManager.default.removeItem(atPath: previous)
        if let failure = FileSystem.rename(target, previous) {
          throw OutputError(path: target, failure)
        }
      }
      if let failure = FileSystem.rename(source, target) {
        throw OutputError(path: target, failure)
      }
    }
  }

  /// Moves the files (and links) of the published folder `old` that are not NeuroEndo's
  /// into the staged folder `new`, at the same place (unless the run wrote a file there).
  /// NeuroEndo's are those the previous manifest lists; without one (outputs of a version
  /// before it), the report files it names (`cohort.*`, `patients/<name>.*`).
  private static func carryForeign(
    from old: String, to new: String, name: String, owned: Set<String>?
  ) {
    func ours(_ relative: String) -> Bool {
      if let owned { return owned.contains(name + "/" + relative) }
      let parts = relative.split(separator: "/")
      let report = [".json", ".md", ".html"].contains { relative.hasSuffix($0) }
      return (parts.count == 1 && relative.hasPrefix("cohort."))
        || (parts.count == 2 && parts[0] == "patients" && report)
    }
    for (relative, _) in files([""], under: old) where !ours(relative) {
      let target = new + "/" + relative
      guard !FileManager.default.fileExists(atPath: target) else { continue }
      try? FileModes.makeDirectory((target as NSString).deletingLastPathComponent)
      FileSystem.rename(old + "/" + relative, target)
    }
  }

  /// What an interrupted run left in `directory`: a publication half done is finished,
  /// then staging directories and temporary files of dead runs are removed. Called with the
  /// lock held. A journal is followed only when it names a staging directory of ours and
  /// files that directory's manifest lists; any other journal is set aside. Returns what
  /// it found wrong.
  @discardableResult
  static func recover(_ directory: String, outputNames: [String] = []) -> [String] {
    var notes: [String] = []
    let journalPath = directory + "/" + journalName
    if let journal = try? String(contentsOfFile: journalPath, encoding: .utf8) {
      let lines = journal.split(separator: "\n").map(String.init)
      // The run's manifest: still staged, or already moved into place.
      let run = lines.first.map { String($0.dropFirst(stagingPrefix.count)) } ?? ""
      let listed =
        lines.first.flatMap { manifestFiles(in: directory + "/" + $0) }
        ?? manifest(in: directory).flatMap { $0.run == run ? $0.files : nil }
      if let name = lines.first, isPlainName(name), name.hasPrefix(stagingPrefix),
        let listed,
        lines.dropFirst().allSatisfy({ entry in
          isPlainName(entry)
            && (entry == markerName || listed.contains(entry)
              || listed.contains { $0.hasPrefix(entry + "/") })
        })
      {
        try? move(
          Array(lines.dropFirst()), from: directory + "/" + name, to: directory,
          owned: manifestFiles(in: directory))
      } else {
        notes.append(
          "a publication journal that names files outside this run's staging was not followed, and removed"
        )
      }
      FileSystem.remove(journalPath)
    }
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    for name in names
    where (name.hasPrefix(stagingPrefix) && isPlainName(name))
      || isTemporary(name, of: outputNames + [markerName, journalName])
    {
      try? FileManager.default.removeItem(atPath: directory + "/" + name)
    }
    return notes
  }

  /// A name of one entry: not empty, no `/`, not `.` or `..`, no NUL.
  static func isPlainName(_ name: String) -> Bool {
    !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.contains("\0")
  }

  /// Whether `name` is an ``AtomicFileWriter`` temporary file of one of `names`:
  /// `.<name>.<pid>.tmp`.
  static func isTemporary(_ name: String, of names: [String]) -> Bool {
    guard name.hasPrefix("."), name.hasSuffix(".tmp") else { return false }
    let inner = name.dropFirst().dropLast(4)
    guard let dot = inner.lastIndex(of: "."),
      inner[inner.index(after: dot)...].allSatisfy(\.isNumber)
    else { return false }
    return names.contains(String(inner[..<dot]))
  }
}

/// An exclusive lock on a directory (`.neuroendo.lock`, `flock`), released by the system
/// when its process dies, and held until the lock is dropped. The file records the
/// holder's pid for people while it runs (emptied when it ends cleanly): a second run is
/// told whom it waits for, and a run that finds the pid of a process that no longer runs
/// (one that died) notes that it took over.
final class DirectoryLock {
  static let name = ".neuroendo.lock"
  /// The pid of a dead run found in the lock file.
  let takenOverFrom: Int32?
  private let descriptor: Int32

  /// Takes the lock of `directory`, which must exist.
  ///
  /// - Throws: ``OutputError`` with ``OutputError/lockHolder`` when another run holds it.
  init(directory: String) throws(OutputError) {
    let path = directory + "/" + Self.name
    // A link planted at the lock's name is refused, never followed to truncate its target.
    switch FileSystem.open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, FileModes.file) {
    case .success(let opened): descriptor = opened
    case .failure(let failure): throw OutputError(path: path, failure)
    }
    guard FileSystem.lock(descriptor) else {
      let holder = Self.holder(descriptor)
      FileSystem.close(descriptor)
      throw OutputError(
        path: directory,
        message:
          "another run\(holder.map { " (pid \($0))" } ?? "") is writing to this directory; try again later",
        lockHolder: holder ?? 0)
    }
    if let previous = Self.holder(descriptor), previous != FileSystem.processID,
      !FileSystem.isRunning(previous)
    {
      takenOverFrom = previous
    } else {
      takenOverFrom = nil
    }
    FileSystem.truncate(descriptor)
    FileSystem.write(descriptor, Array("\(FileSystem.processID)\n".utf8), at: 0)
  }

  /// A clean release empties the file first: only a run that died leaves its pid behind,
  /// so "took over" is said after a crash and never after a clean night.
  deinit {
    FileSystem.truncate(descriptor)
    FileSystem.unlock(descriptor)
    FileSystem.close(descriptor)
  }

  /// The process id written in a lock file, when there is one.
  private static func holder(_ descriptor: Int32) -> Int32? {
    var buffer = [UInt8](repeating: 0, count: 32)
    let count = buffer.withUnsafeMutableBytes {
      FileSystem.read(descriptor, into: $0.baseAddress, $0.count, at: 0)
    }
    guard count > 0 else { return nil }
    let text = String(decoding: buffer[0..<count], as: UTF8.self)
    return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
  }
}
