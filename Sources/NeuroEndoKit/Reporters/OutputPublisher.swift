import Foundation

/// Publishes a run's output files together, so that the directory never holds files of two
/// runs side by side.
///
/// Outputs are written into a hidden staging directory inside the output directory
/// (`.neuroendo-staging-<run>`). Publishing writes a journal naming the files
/// (`.neuroendo-publish`), renames each into place (the summary last) and removes the
/// journal. A run killed while staging leaves the published set untouched, and the next run
/// removes its staging; a run killed while publishing leaves the journal, and the next run
/// finishes the renames first. An exclusive lock on `.neuroendo.lock` (released by the
/// system when a process dies) keeps two runs from writing one directory at once.
public final class OutputPublisher {
  /// The output directory.
  public let directory: String
  /// Where this run's files are written until they are published.
  public let staging: String
  /// The run the staging directory is named after.
  public let run: String
  /// What taking the lock found: the process id a run killed earlier left in it.
  public let takenOverFrom: Int32?
  private let lock: DirectoryLock

  static let journalName = ".neuroendo-publish"
  static let stagingPrefix = ".neuroendo-staging-"

  /// Creates the directory if needed, takes its lock, completes or removes what an
  /// interrupted run left, and makes this run's staging directory.
  ///
  /// - Throws: ``OutputError`` when the directory cannot be written, or another run holds it.
  public init(directory: String, run: String) throws(OutputError) {
    self.directory = directory
    self.run = run
    do {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw OutputError(path: directory, message: error.localizedDescription)
    }
    lock = try DirectoryLock(directory: directory)
    takenOverFrom = lock.takenOverFrom
    staging = directory + "/" + Self.stagingPrefix + run
    Self.recover(directory)
    do {
      try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
    } catch {
      throw OutputError(path: staging, message: error.localizedDescription)
    }
  }

  deinit {
    // Unpublished staging (a failed run) goes; the published set stays as it was.
    try? FileManager.default.removeItem(atPath: staging)
  }

  /// Where an output file is written while staged.
  public func stagedPath(_ name: String) -> String { staging + "/" + name }

  /// Where an output file ends up.
  public func publishedPath(_ name: String) -> String { directory + "/" + name }

  /// `syncfs(2)` of the file system holding `descriptor` (Glibc's module leaves the GNU
  /// function out; it is looked up once), or `sync(2)` where it is missing.
  private static func syncFileSystem(_ descriptor: Int32) -> Int32 {
    guard let syncfs = syncfsFunction else {
      sync()
      return 0
    }
    return syncfs(descriptor)
  }

  private static let syncfsFunction: (@convention(c) (Int32) -> Int32)? = {
    guard let symbol = dlsym(nil, "syncfs") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (Int32) -> Int32).self)
  }()

  /// Moves the staged files into place, `last` after all others (the summary, which names
  /// them); nothing is moved when a target is a directory.
  ///
  /// - Throws: ``OutputError`` when a file cannot be moved; the journal stays, and the next
  ///   run finishes the move.
  public func publish(_ names: [String], last: String) throws(OutputError) {
    let order = names.filter { $0 != last } + [last]
    for name in order {
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
    // Files staged without a sync of their own (the many report files) reach the disk
    // here, all at once, before anything is published.
    let descriptor = open(staging, O_RDONLY | O_DIRECTORY)
    if descriptor >= 0 {
      let synced = Self.syncFileSystem(descriptor)
      let error = errno
      close(descriptor)
      if synced != 0 {
        throw OutputError(path: staging, message: String(cString: strerror(error)))
      }
    }
    let journal = ([staging] + order).joined(separator: "\n") + "\n"
    try AtomicFileWriter.write(journal, to: directory + "/" + Self.journalName)
    try Self.move(order, from: staging, to: directory)
    unlink(directory + "/" + Self.journalName)
  }

  /// Renames staged files into the directory; a file already moved is passed over. A
  /// staged directory (`reports`) replaces the published one whole: the old one is moved
  /// into the staging directory first, and goes with it.
  private static func move(_ names: [String], from staging: String, to directory: String)
    throws(OutputError)
  {
    for name in names {
      let source = staging + "/" + name
      let target = directory + "/" + name
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) else {
        continue
      }
      if isDirectory.boolValue, FileManager.default.fileExists(atPath: target) {
        let previous = staging + "/" + name + ".previous"
        try? FileManager.default.removeItem(atPath: previous)
        guard rename(target, previous) == 0 else {
          throw OutputError(path: target, message: String(cString: strerror(errno)))
        }
      }
      guard rename(source, target) == 0 else {
        throw OutputError(path: target, message: String(cString: strerror(errno)))
      }
    }
  }

  /// What an interrupted run left in `directory`: a publication half done is finished,
  /// then staging directories and temporary files of dead runs are removed. Called with the
  /// lock held.
  static func recover(_ directory: String) {
    let journalPath = directory + "/" + journalName
    if let journal = try? String(contentsOfFile: journalPath, encoding: .utf8) {
      let lines = journal.split(separator: "\n").map(String.init)
      if let staging = lines.first {
        try? move(Array(lines.dropFirst()), from: staging, to: directory)
      }
      unlink(journalPath)
    }
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    for name in names where name.hasPrefix(stagingPrefix) || isTemporary(name) {
      try? FileManager.default.removeItem(atPath: directory + "/" + name)
    }
  }

  /// An ``AtomicFileWriter`` temporary file: `.<name>.<pid>.tmp`.
  static func isTemporary(_ name: String) -> Bool {
    name.hasPrefix(".") && name.hasSuffix(".tmp")
  }
}

/// An exclusive lock on a directory (`.neuroendo.lock`, `flock`), released by the system
/// when its process dies, and held until the lock is dropped. The file records the
/// holder's pid for people: a second run is told whom it waits for, and a run that finds
/// the pid of a process that no longer runs notes that it took over.
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
    descriptor = open(path, O_RDWR | O_CREAT, 0o644)
    guard descriptor >= 0 else {
      throw OutputError(path: path, message: String(cString: strerror(errno)))
    }
    guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
      let holder = Self.holder(descriptor)
      close(descriptor)
      throw OutputError(
        path: directory,
        message:
          "another run\(holder.map { " (pid \($0))" } ?? "") is writing to this directory; try again later",
        lockHolder: holder ?? 0)
    }
    if let previous = Self.holder(descriptor), previous != getpid(), kill(previous, 0) != 0 {
      takenOverFrom = previous
    } else {
      takenOverFrom = nil
    }
    let pid = Array("\(getpid())\n".utf8)
    _ = ftruncate(descriptor, 0)
    _ = pwrite(descriptor, pid, pid.count, 0)
  }

  deinit {
    flock(descriptor, LOCK_UN)
    close(descriptor)
  }

  /// The process id written in a lock file, when there is one.
  private static func holder(_ descriptor: Int32) -> Int32? {
    var buffer = [UInt8](repeating: 0, count: 32)
    let count = pread(descriptor, &buffer, buffer.count, 0)
    guard count > 0 else { return nil }
    let text = String(decoding: buffer[0..<count], as: UTF8.self)
    return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
  }
}
