import Foundation

/// Every call the library makes into the C library's file-system and process interface,
/// behind one small wrapper (as swift-system's `Internals/Syscalls.swift` keeps its own):
/// the rest of the code asks in Swift terms, and never handles `stat` buffers, `errno` or
/// an interrupted call. `StageDependencyTests` holds the other files to it.
enum FileSystem {
  /// A failed call's error number.
  struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
    var code: Int32
    /// The C library's message for it (`No such file or directory`).
    var description: String { String(cString: strerror(code)) }
    /// Whether the entry was not there.
    var isMissing: Bool { code == ENOENT }
    /// Whether it was already there.
    var exists: Bool { code == EEXIST }
  }

  /// The failure of the call just made (its `errno`).
  static var lastFailure: Failure { Failure(code: errno) }

  // MARK: - Entries by path

  /// What an entry of a directory is.
  enum Kind: Sendable, Hashable {
    case regular, directory, link, fifo, socket, device
  }

  fileprivate static func kind(_ mode: mode_t) -> Kind {
    switch mode & S_IFMT {
    case S_IFREG: .regular
    case S_IFDIR: .directory
    case S_IFLNK: .link
    case S_IFIFO: .fifo
    case S_IFSOCK: .socket
    default: .device
    }
  }

  /// An entry's kind and size: of the entry itself (`following: false`, a link is a link)
  /// or of what it points to; `nil` when there is none (a dangling link, when followed).
  static func status(_ path: String, following: Bool) -> (kind: Kind, bytes: Int)? {
    try? lookUp(path, following: following).get()
  }

  /// An entry's kind and size, or why there is none (`isMissing`: nothing there).
  static func lookUp(_ path: String, following: Bool) -> Result<(kind: Kind, bytes: Int), Failure> {
    var status = stat()
    guard (following ? stat(path, &status) : lstat(path, &status)) == 0 else {
      return .failure(lastFailure)
    }
    return .success((kind(status.st_mode), Int(status.st_size)))
  }

  /// Whether there is an entry at `path` (a dangling link counts).
  static func exists(_ path: String) -> Bool { status(path, following: false) != nil }

  /// A file's size in bytes, links followed.
  static func size(_ path: String) -> Int? { status(path, following: true)?.bytes }

  /// A file's modification time, seconds since 1970, links followed.
  static func modificationTime(_ path: String) -> Double? {
    var status = stat()
    guard stat(path, &status) == 0 else { return nil }
    return Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec) / 1e9
  }

  /// Makes a directory with `mode`; the failure (`exists` when it was there).
  static func makeDirectory(_ path: String, _ mode: mode_t) -> Failure? {
    mkdir(path, mode) == 0 ? nil : lastFailure
  }

  /// Removes a file (not a directory); whether it was there to remove.
  @discardableResult
  static func remove(_ path: String) -> Bool { unlink(path) == 0 }

  /// A file's path cut after its last `/`: the directory with its slash (empty for a bare
  /// name) and the name. By the text alone, as `open` reads it (no `URL`, which costs more
  /// than a small file's write).
  static func split(_ path: String) -> (directory: String, name: String) {
    guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return ("", path) }
    let after = path.utf8.index(after: slash)
    return (String(path[..<after]), String(path[after...]))
  }

  /// Renames an entry within one file system; the failure, if any.
  @discardableResult
  static func rename(_ from: String, _ to: String) -> Failure? {
    Glibc.rename(from, to) == 0 ? nil : lastFailure
  }

  /// Sets an entry's permission bits; whether they were set.
  @discardableResult
  static func setMode(_ path: String, _ mode: mode_t) -> Bool { chmod(path, mode) == 0 }

  /// Whether a file name matches a shell pattern (`*.csv`, `labnord-*`).
  static func matches(glob pattern: String, name: String) -> Bool {
    fnmatch(pattern, name, 0) == 0
  }

  // MARK: - Descriptors

  /// Opens `path` (`O_` flags; `mode` for a file created); the descriptor, or why not.
  static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0) -> Result<Int32, Failure> {
    while true {
      let descriptor = Glibc.open(path, flags, mode)
      if descriptor >= 0 { return .success(descriptor) }
      if errno != EINTR { return .failure(lastFailure) }
    }
  }

  /// Closes a descriptor.
  static func close(_ descriptor: Int32) { _ = Glibc.close(descriptor) }

  /// Closes a descriptor of a file written; the failure (a write error the file system
  /// reports only then, on a network or quota-bound volume).
  static func closeWritten(_ descriptor: Int32) -> Failure? {
    Glibc.close(descriptor) == 0 || errno == EINTR ? nil : lastFailure
  }

  /// Reads up to `count` bytes (an interrupted read is tried again): how many (0 at the
  /// end), or why not.
  static func read(_ descriptor: Int32, into buffer: UnsafeMutableRawPointer?, _ count: Int)
    -> Result<Int, Failure>
  {
    while true {
      let read = Glibc.read(descriptor, buffer, count)
      if read >= 0 { return .success(read) }
      if errno != EINTR { return .failure(lastFailure) }
    }
  }

  /// Reads up to `count` bytes at `offset`, without moving the descriptor's position.
  static func read(
    _ descriptor: Int32, into buffer: UnsafeMutableRawPointer?, _ count: Int, at offset: Int
  )
    -> Int
  {
    pread(descriptor, buffer, count, off_t(offset))
  }

  /// Writes all of `bytes` (short and interrupted writes are continued); the failure.
  static func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Failure? {
    var offset = 0
    while offset < bytes.count {
      let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
      if written < 0 {
        if errno == EINTR { continue }
        return lastFailure
      }
      offset += written
    }
    return nil
  }

  /// Writes `bytes` at `offset`, without moving the descriptor's position.
  static func write(_ descriptor: Int32, _ bytes: [UInt8], at offset: Int) {
    _ = pwrite(descriptor, bytes, bytes.count, off_t(offset))
  }

  /// Moves the descriptor back to the start of its file; whether it moved.
  static func rewind(_ descriptor: Int32) -> Bool { lseek(descriptor, 0, SEEK_SET) == 0 }

  /// The kind of the open file (the check is on the file, not a name that may change).
  static func kind(of descriptor: Int32) -> Kind? {
    var status = stat()
    guard fstat(descriptor, &status) == 0 else { return nil }
    return kind(status.st_mode)
  }

  /// Sets the open file's permission bits.
  static func setMode(of descriptor: Int32, _ mode: mode_t) { _ = fchmod(descriptor, mode) }

  /// Empties the open file.
  static func truncate(_ descriptor: Int32) { _ = ftruncate(descriptor, 0) }

  /// Writes the open file's data to the disk; the failure.
  static func sync(_ descriptor: Int32) -> Failure? { fsync(descriptor) == 0 ? nil : lastFailure }

  /// Writes `files` to the disk, then the folders that name them, `folders` included:
  /// durability for what one run wrote, never a sync of the whole volume. Where the kernel
  /// has `sync_file_range(2)`, each file's write-back (started when it was written, see
  /// ``Stream/close(durable:)``; started here otherwise) is waited for, and the folders'
  /// fsync commits the journal that holds the files' sizes and names once; elsewhere each
  /// file is fsynced. The first file that failed, with why.
  static func sync(files: [String], folders: [String]) -> (String, Failure)? {
    let parents = Set(files.map { ($0 as NSString).deletingLastPathComponent })
    if let range = syncFileRangeFunction {
      // SYNC_FILE_RANGE_WAIT_BEFORE | WRITE | WAIT_AFTER: what was started is waited for,
      // what was not is written first.
      let results = ParallelMap.map(ArraySlice(files)) { path in
        withOpened(path, flags: O_RDONLY) { range($0, 0, 0, 1 | 2 | 4) == 0 ? nil : lastFailure }
      }
      if let index = results.firstIndex(where: { $0 != nil }) {
        return (files[index], results[index]!)
      }
    } else {
      let results = ParallelMap.map(ArraySlice(files)) { path in
        withOpened(path, flags: O_RDONLY) { sync($0) }
      }
      if let index = results.firstIndex(where: { $0 != nil }) {
        return (files[index], results[index]!)
      }
    }
    for folder in parents.union(folders).sorted() {
      if let failure = withOpened(folder, flags: O_RDONLY | O_DIRECTORY, { sync($0) }) {
        return (folder, failure)
      }
    }
    return nil
  }

  /// Starts writing the open file's data to the disk without waiting for it
  /// (`SYNC_FILE_RANGE_WRITE`), where the kernel has `sync_file_range`: a failure shows when
  /// the publication waits for it (``sync(files:folders:)``).
  static func startWriteBack(_ descriptor: Int32) {
    _ = syncFileRangeFunction?(descriptor, 0, 0, 2)
  }

  /// `sync_file_range(2)`, which Glibc's module leaves out: looked up once.
  static let syncFileRangeFunction: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32)? = {
    guard let symbol = dlsym(nil, "sync_file_range") else { return nil }
    return unsafeBitCast(
      symbol, to: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32).self)
  }()

  /// Opens an entry, runs `body` on it and closes it; the failure (a file gone since, or a
  /// link, is none: links are never followed).
  private static func withOpened(
    _ path: String, flags: Int32, _ body: (Int32) -> Failure?
  ) -> Failure? {
    switch open(path, flags | O_CLOEXEC | O_NOFOLLOW) {
    case .failure(let failure): return failure.isMissing || failure.code == ELOOP ? nil : failure
    case .success(let descriptor):
      defer { close(descriptor) }
      return body(descriptor)
    }
  }

  /// Takes the open file's exclusive lock without waiting; whether it was free.
  static func lock(_ descriptor: Int32) -> Bool { flock(descriptor, LOCK_EX | LOCK_NB) == 0 }

  /// Releases the open file's lock.
  static func unlock(_ descriptor: Int32) { _ = flock(descriptor, LOCK_UN) }

  // MARK: - Streams

  /// A file read line by line and in blocks, through the C library's buffered streams.
  final class LineReader {
    private let file: UnsafeMutablePointer<FILE>
    private var line: UnsafeMutablePointer<CChar>?
    private var capacity = 0

    /// Opens `path` for reading; `nil` when it cannot be.
    init?(_ path: String) {
      guard let file = fopen(path, "r") else { return nil }
      self.file = file
    }

    deinit {
      fclose(file)
      free(line)
    }

    /// The next line, its newline left out, valid until the next call; `nil` at the end.
    func nextLine() -> UnsafeBufferPointer<UInt8>? {
      let read = getline(&line, &capacity, file)
      guard read > 0, let line else { return nil }
      return UnsafeBufferPointer(
        start: UnsafeRawPointer(line).assumingMemoryBound(to: UInt8.self),
        count: line[read - 1] == 0x0A ? read - 1 : read)
    }

    /// Reads exactly `count` bytes into `buffer`; whether they were there.
    func read(into buffer: UnsafeMutableRawBufferPointer, _ count: Int) -> Bool {
      fread(buffer.baseAddress, 1, count, file) == count
    }

    /// Reads what comes next, up to the buffer's size; how many bytes (0 at the end).
    func read(some buffer: UnsafeMutableRawBufferPointer) -> Int {
      fread(buffer.baseAddress, 1, buffer.count, file)
    }

    /// Whether a read failed (not the end of the file).
    var failed: Bool { ferror(file) != 0 }
  }

  /// A file written through a buffered stream, from an open descriptor.
  final class Stream {
    private let file: UnsafeMutablePointer<FILE>
    /// The stream's buffer: larger than stdio's default (the file system's block, 4 KiB on
    /// tmpfs and ext4), so that a 50 MB table is about 800 writes, not 13,000.
    private let buffer: UnsafeMutableRawPointer
    static let bufferSize = 64 * 1024

    /// Takes over `descriptor` (closed with the stream); `nil` when it cannot.
    init?(descriptor: Int32) {
      guard let file = fdopen(descriptor, "w") else { return nil }
      self.file = file
      buffer = UnsafeMutableRawPointer.allocate(byteCount: Self.bufferSize, alignment: 64)
      _ = setvbuf(file, buffer.assumingMemoryBound(to: CChar.self), _IOFBF, Self.bufferSize)
    }

    private var open = true

    // The buffer outlives the stream: a stream neither closed nor discarded is discarded
    // first.
    deinit {
      if open { fclose(file) }
      buffer.deallocate()
    }

    /// Appends bytes (none once the stream is closed).
    func write(_ bytes: UnsafeRawBufferPointer) {
      guard open else { return }
      _ = fwrite(bytes.baseAddress, 1, bytes.count, file)
    }

    /// Flushes what is buffered and, when `durable`, syncs it to the disk (otherwise starts
    /// its write-back, which the publication's sync then waits for: the disk writes while
    /// the run goes on, and the file need not be opened for it again); then closes the
    /// stream. The failure of any write, the flush or the sync.
    func close(durable: Bool, startWriteBack: Bool = true) -> Failure? {
      // Closed already: a second close is refused, not the FILE closed twice.
      guard open else { return Failure(code: EBADF) }
      let failed = ferror(file) != 0 || fflush(file) != 0 || (durable && fsync(fileno(file)) != 0)
      let failure = failed ? FileSystem.lastFailure : nil
      if !failed, !durable, startWriteBack { FileSystem.startWriteBack(fileno(file)) }
      fclose(file)
      open = false
      return failure
    }

    /// Closes the stream, discarding what it could not write.
    func discard() {
      guard open else { return }
      fclose(file)
      open = false
    }
  }

  // MARK: - Processes and memory

  /// This process's id.
  static var processID: Int32 { getpid() }

  /// Whether process `pid` still runs (a signal 0 reaches it).
  static func isRunning(_ pid: Int32) -> Bool { kill(pid, 0) == 0 }

  /// Hands the memory a phase freed back to the system between phases. glibc's malloc
  /// keeps freed memory in the arena of the thread that used it (the spill's thread, the
  /// partitions' threads), so the next phase's threads would otherwise add to it: 6 MB
  /// more at the merge on the 900,000-row cohort. `malloc_trim` is looked up at run time
  /// (it is glibc's, outside the C library's Swift module); elsewhere this does nothing.
  static func releaseFreeMemory() {
    typealias Trim = @convention(c) (Int) -> Int32
    guard let symbol = dlsym(nil, "malloc_trim") else { return }
    _ = unsafeBitCast(symbol, to: Trim.self)(0)
  }

  /// Asks the allocator for at most `count` memory arenas (glibc's `mallopt(M_ARENA_MAX)`,
  /// looked up at run time; elsewhere this does nothing). Each thread that allocates
  /// otherwise gets an arena of its own, up to eight per core, and memory freed in one is
  /// not reused by the others: a run in partitions, whose reading, spilling, partitions and
  /// merge run on different threads, then held a fifth more at 9 million rows. Takes effect
  /// for arenas made after it.
  static func limitMemoryArenas(_ count: Int32) {
    typealias Option = @convention(c) (Int32, Int32) -> Int32
    guard let symbol = dlsym(nil, "mallopt") else { return }
    let arenaMaximum: Int32 = -8  // M_ARENA_MAX
    _ = unsafeBitCast(symbol, to: Option.self)(arenaMaximum, count)
  }

  /// Raises the process's limit of open files to what the system allows it (the soft limit
  /// to the hard one, at most `most`): merging hundreds of partitions' tables by key holds
  /// two files of each open. The limit now.
  @discardableResult
  static func raiseOpenFileLimit(to most: Int = 1 << 16) -> Int {
    #if canImport(Glibc)
      let resource = Int32(RLIMIT_NOFILE.rawValue)
    #else
      let resource = RLIMIT_NOFILE  // Darwin: at most OPEN_MAX
      let most = min(most, Int(OPEN_MAX))
    #endif
    var limit = rlimit()
    guard getrlimit(resource, &limit) == 0 else { return 0 }
    let wanted = min(limit.rlim_max, rlim_t(most))
    if limit.rlim_cur < wanted {
      var raised = limit
      raised.rlim_cur = wanted
      if setrlimit(resource, &raised) == 0 { limit = raised }
    }
    return Int(limit.rlim_cur)
  }

}

extension FileSystem {
  /// Makes reads of the open file wait for data again (it was opened without blocking, so
  /// that a FIFO without a writer could not hang the open).
  static func setBlocking(_ descriptor: Int32) {
    _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
  }
}

extension FileSystem {
  /// An entry's kind and permission bits (`0o600`), links followed, or why there is none.
  static func permissions(_ path: String) -> Result<(kind: Kind, mode: mode_t), Failure> {
    var status = stat()
    guard stat(path, &status) == 0 else { return .failure(lastFailure) }
    return .success((kind(status.st_mode), status.st_mode & 0o7777))
  }
}
