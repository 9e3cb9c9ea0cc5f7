import Foundation

/// The C library's file-system and process calls the library makes, behind one small
/// wrapper (as swift-system's `Internals/Syscalls.swift` keeps its own): the rest of the
/// code asks questions in Swift terms and never handles `stat` buffers or `errno`.
enum FileSystem {
  /// What an entry of a directory is.
  enum Kind: Sendable, Hashable {
    case regular, directory, link, fifo, socket, device
  }

  /// An entry's kind and size: of the entry itself (`following: false`, a link is a link)
  /// or of what it points to; `nil` when there is none (a dangling link, when followed).
  static func status(_ path: String, following: Bool) -> (kind: Kind, bytes: Int)? {
    var status = stat()
    guard (following ? stat(path, &status) : lstat(path, &status)) == 0 else { return nil }
    let kind: Kind
    switch status.st_mode & S_IFMT {
    case S_IFREG: kind = .regular
    case S_IFDIR: kind = .directory
    case S_IFLNK: kind = .link
    case S_IFIFO: kind = .fifo
    case S_IFSOCK: kind = .socket
    default: kind = .device
    }
    return (kind, Int(status.st_size))
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

  /// Removes a file (not a directory); whether it was there to remove.
  @discardableResult
  static func remove(_ path: String) -> Bool { unlink(path) == 0 }

  /// This process's id.
  static var processID: Int32 { getpid() }

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
}

extension FileSystem {
  /// Renames an entry within one file system; whether it was renamed.
  @discardableResult
  static func rename(_ from: String, _ to: String) -> Bool { Glibc.rename(from, to) == 0 }

  /// Sets an entry's permission bits; whether they were set.
  @discardableResult
  static func setMode(_ path: String, _ mode: mode_t) -> Bool { chmod(path, mode) == 0 }
}
