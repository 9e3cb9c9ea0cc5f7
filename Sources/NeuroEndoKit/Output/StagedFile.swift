import Foundation

/// A file written once, whole, under its own name in a run's staging directory, which no
/// one reads before the run publishes it: no temporary name and no rename (a patient's
/// three pages were two renames each, one more for a partition's). Created exclusively and
/// never through a link, owner-only whatever the umask; its write-back starts as it is
/// closed, and the publication waits for it with the rest of the staged files.
enum StagedFile {
  /// Writes `bytes` to a new file at `path`.
  ///
  /// - Throws: ``OutputError`` when the file cannot be created (one already there, which
  ///   is left alone, included) or written whole (what was written is removed).
  static func write(_ bytes: [UInt8], to path: String) throws(OutputError) {
    let mode = FileModes.file
    let descriptor: Int32
    switch FileSystem.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode) {
    case .success(let opened): descriptor = opened
    case .failure(let failure): throw OutputError(path: path, failure)
    }
    FileSystem.setMode(of: descriptor, mode)
    var failure = bytes.withUnsafeBytes { FileSystem.write(descriptor, $0) }
    if failure == nil { FileSystem.startWriteBack(descriptor) }
    if let closing = FileSystem.closeWritten(descriptor), failure == nil { failure = closing }
    if let failure {
      FileSystem.remove(path)
      throw OutputError(path: path, failure)
    }
  }
}
