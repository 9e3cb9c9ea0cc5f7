import Foundation

/// Writes a file so that readers see either the old file or the whole new one, never a part.
///
/// Text goes to a hidden temporary file beside the target, buffered; ``commit()`` flushes,
/// syncs and renames it into place. A writer dropped without commit removes its temporary file.
public final class AtomicFileWriter {
  /// The file being written.
  public let path: String
  private let temporaryPath: String
  private let stream: FileSystem.Stream
  private var done = false
  /// Whether ``commit()`` syncs the file to disk before the rename; `false` for files
  /// staged in bulk, which ``OutputPublisher/publish(_:last:)`` syncs all at once.
  private let durable: Bool
  /// A file of the run's own scratch (a partition's), read back and removed before the
  /// run ends: neither synced nor sent to the disk early.
  private let scratch: Bool

  /// Opens a temporary file beside `path`.
  ///
  /// - Parameters:
  ///   - path: the file to write.
  ///   - durable: sync the file at commit (`false`: the publisher syncs it).
  /// - Throws: ``OutputError`` when the directory cannot be written.
  public convenience init(path: String, durable: Bool = true) throws(OutputError) {
    try self.init(path: path, durable: durable, scratch: false)
  }

  /// Opens a temporary file beside `path`; a `scratch` file (a partition's table, read back
  /// and removed by the run's merge) is not synced, and its write-back is not started at
  /// commit.
  init(path: String, durable: Bool, scratch: Bool) throws(OutputError) {
    self.path = path
    self.durable = durable && !scratch
    self.scratch = scratch
    // Beside the target, from the path's text: Foundation's `URL` cost more than writing a
    // patient's page.
    let (directory, name) = FileSystem.split(path)
    temporaryPath = "\(directory).\(name).\(FileSystem.processID).tmp"
    // Never through a link planted at the temporary name; owner-only whatever the umask.
    let mode = FileModes.file
    let descriptor: Int32
    switch FileSystem.open(
      temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode)
    {
    case .success(let opened): descriptor = opened
    case .failure(let failure): throw OutputError(path: path, failure)
    }
    FileSystem.setMode(of: descriptor, mode)
    guard let stream = FileSystem.Stream(descriptor: descriptor) else {
      let failure = FileSystem.lastFailure
      FileSystem.close(descriptor)
      FileSystem.remove(temporaryPath)
      throw OutputError(path: path, failure)
    }
    self.stream = stream
  }

  deinit {
    if !done {
      stream.discard()
      FileSystem.remove(temporaryPath)
    }
  }

  /// Appends text.
  public func write(_ text: String) {
    var text = text
    text.withUTF8 { stream.write(UnsafeRawBufferPointer($0)) }
  }

  /// Appends bytes.
  public func write(_ bytes: UnsafeRawBufferPointer) {
    stream.write(bytes)
  }

  /// Flushes, syncs and renames the file into place.
  ///
  /// - Throws: ``OutputError`` when a write failed or the rename is refused.
  public func commit() throws(OutputError) {
    done = true
    if let failure = stream.close(durable: durable, startWriteBack: !scratch) {
      FileSystem.remove(temporaryPath)
      throw OutputError(path: path, failure)
    }
    if let failure = FileSystem.rename(temporaryPath, path) {
      FileSystem.remove(temporaryPath)
      throw OutputError(path: path, failure)
    }
  }

  /// Writes a whole file at once.
  public static func write(_ text: String, to path: String, durable: Bool = true)
    throws(OutputError)
  {
    let writer = try AtomicFileWriter(path: path, durable: durable)
    writer.write(text)
    try writer.commit()
  }

  /// Writes `bytes` to `path` atomically (``write(_:to:durable:)`` for bytes).
  static func write(bytes: [UInt8], to path: String, durable: Bool = true) throws(OutputError) {
    let writer = try AtomicFileWriter(path: path, durable: durable, scratch: false)
    bytes.withUnsafeBytes { writer.write($0) }
    try writer.commit()
  }
}

/// An output file that could not be written.
public struct OutputError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The file.
  public var path: String
  /// The system's reason.
  public var message: String
  /// When another run holds the output directory: its process id (0 when unknown).
  public var lockHolder: Int32?

  /// Creates an error.
  public init(path: String, message: String, lockHolder: Int32? = nil) {
    self.path = path
    self.message = message
    self.lockHolder = lockHolder
  }

  /// Whether the directory holds files NeuroEndo did not write, so that nothing was done.
  public var foreign = false

  /// A directory that holds files NeuroEndo did not write: a run writes nothing there.
  public static func foreign(directory: String, entries: [String]) -> OutputError {
    var error = OutputError(
      path: directory,
      message:
        "it holds files NeuroEndo did not write (\(entries.joined(separator: ", "))); a run writes only into an empty directory or one an earlier run wrote (marked by \(OutputPublisher.markerName)): choose another output directory, or empty this one"
    )
    error.foreign = true
    return error
  }

  /// An error of the system, by its number.
  init(path: String, _ failure: FileSystem.Failure) {
    self.init(path: path, message: failure.description)
    self.code = failure.code
  }

  /// The system's error number, when there was one.
  public var code: Int32?

  /// Whether the failure is about this file's name alone (too long, not valid in the file
  /// system's encoding), so that other files can still be written.
  public var isAboutTheName: Bool {
    code == ENAMETOOLONG || code == EILSEQ || code == EINVAL
  }

  public var description: String { "cannot write \(path): \(message)" }
}
