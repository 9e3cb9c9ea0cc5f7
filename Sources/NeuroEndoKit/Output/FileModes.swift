import Foundation
import Synchronization

/// The modes of what a run creates. Health data are private by default: files are created
/// owner-only (0600) and directories 0700, whatever the umask; a pipeline whose outputs a
/// service group reads sets `settings.run.group_read: true` for 0640 and 0750. Files and
/// directories that were there before a run keep their modes.
public enum FileModes {
  private static let groupReadable = Atomic(false)

  /// Whether what runs create from now on is readable by the owner's group; the runner
  /// sets it from its pipeline at the start of each run.
  public static func set(groupReadable: Bool) {
    Self.groupReadable.store(groupReadable, ordering: .relaxed)
  }

  /// The mode of a file a run creates: 0600, or 0640 with group read.
  public static var file: mode_t { groupReadable.load(ordering: .relaxed) ? 0o640 : 0o600 }

  /// The mode of a directory a run creates: 0700, or 0750 with group read.
  public static var directory: mode_t {
    groupReadable.load(ordering: .relaxed) ? 0o750 : 0o700
  }

  /// Makes a directory and its missing parents with ``directory`` (set exactly, past the
  /// umask); a directory that exists is left as it is.
  ///
  /// - Throws: ``OutputError`` naming the part that could not be made.
  public static func makeDirectory(_ path: String) throws(OutputError) {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
      guard isDirectory.boolValue else {
        throw OutputError(path: path, message: "a file is in the way of a directory")
      }
      return
    }
    let parent = (path as NSString).deletingLastPathComponent
    if !parent.isEmpty, parent != path { try makeDirectory(parent) }
    let mode = directory
    if let failure = FileSystem.makeDirectory(path, mode), !failure.exists {
      throw OutputError(path: path, failure)
    }
    FileSystem.setMode(path, mode)
  }
}
