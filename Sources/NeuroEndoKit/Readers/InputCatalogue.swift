import Foundation

/// One input: a file, or a directory with a glob.
public struct InputSource: Sendable {
  /// The input's name in summaries (defaults to its path).
  public var name: String
  /// The file or directory, resolved against the pipeline file.
  public var path: String
  /// For a directory, the file-name pattern (`*.csv`); `*` by default.
  public var glob: String
  /// The format of the files, or `nil` to guess it from each file's name
  /// (``InputFormat/guess(file:hasProfile:)``).
  public var format: InputFormat?
  /// The profile, or `nil` to recognise the built-in layouts.
  public var profile: CSVProfile?
  /// The IANA zone of this input's local times, overriding `settings.normalize.time_zone`.
  public var timeZone: String?
  /// For a directory, file-name patterns not to read even when `glob` matches them
  /// (`exclude: ["labnord-*.csv"]` beside another input that reads those).
  public var exclude: [String] = []

  /// Creates an input.
  public init(
    name: String, path: String, glob: String = "*", format: InputFormat? = nil,
    profile: CSVProfile?
  ) {
    self.name = name
    self.path = path
    self.glob = glob
    self.format = format
    self.profile = profile
  }
}

/// How the files of an inbox are chosen (`settings.read`).
public struct ReadSettings: Sendable, Hashable {
  /// Which symbolic links in an inbox are followed.
  public enum LinkPolicy: String, Sendable, Hashable, CaseIterable {
    /// Only links whose target lies inside the input's directory (the default).
    case inside
    /// Any link (targets outside the inbox are read too).
    case anywhere
  }

  /// Files larger than this are skipped (`file-too-large`), bytes; default 8 GiB.
  public var maxFileBytes: Int = 8 << 30
  /// Which symbolic links are followed.
  public var followLinks = LinkPolicy.inside

  /// The defaults.
  public init() {}
}

/// The input catalogue: which files an input stands for, and the entries of an inbox that
/// are passed over, with why (the file policy).
public enum InputCatalogue {
  /// An absolute path with `.`, `..` and symbolic links resolved (as far as it exists).
  static func canonical(_ path: String) -> String {
    URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
  }

  /// The bytes of every file the inputs stand for (what a run without state reads).
  static func bytes(of inputs: [InputSource], reading: ReadSettings) -> Int {
    var total = 0
    for input in inputs {
      guard case .success(let entries) = entries(of: input, reading: reading) else { continue }
      for file in entries.files { total += FileSystem.size(file) ?? 0 }
    }
    return total
  }

  /// The files an input stands for, sorted by path, or the problem that left it with none.
  public static func files(of input: InputSource, reading: ReadSettings = ReadSettings())
    -> Result<[String], InputProblem>
  {
    entries(of: input, reading: reading).map(\.files)
  }

  /// The files an input stands for, and the entries of its directory that are not read:
  /// only regular files are (FIFOs, sockets and devices are skipped, so that none can hang
  /// the run); a symbolic link only when its target lies inside the input's directory
  /// (unless `reading.followLinks` is `anywhere`); a file only up to `reading.maxFileBytes`.
  /// Sub-directories and hidden files are passed over; a dangling link is kept, so that
  /// reading it fails aloud.
  public static func entries(of input: InputSource, reading: ReadSettings = ReadSettings())
    -> Result<InputEntries, InputProblem>
  {
    var isDirectory: ObjCBool = false
    var entries = InputEntries()
    guard FileManager.default.fileExists(atPath: input.path, isDirectory: &isDirectory) else {
      // A dangling link named as the input: kept, so that reading it fails aloud.
      if (try? FileManager.default.destinationOfSymbolicLink(atPath: input.path)) != nil {
        entries.files = [input.path]
        return .success(entries)
      }
      return .failure(InputProblem(input: input.name, message: "\(input.path) does not exist"))
    }
    guard isDirectory.boolValue else {
      // A file named on its own: links are followed (the user named it), the kind checked.
      if let skip = skipReason(input.path, following: true, inside: nil, reading) {
        entries.skipped.append(skip)
      } else {
        entries.files = [input.path]
      }
      return .success(entries)
    }
    let names: [String]
    do {
      names = try FileManager.default.contentsOfDirectory(atPath: input.path)
    } catch {
      return .failure(
        InputProblem(
          input: input.name, message: "cannot list \(input.path): \(error.localizedDescription)"))
    }
    let directory = InputCatalogue.canonical(input.path)
    let matching = names.filter { name in
      !name.hasPrefix(".") && FileSystem.matches(glob: input.glob, name: name)
        && !input.exclude.contains { FileSystem.matches(glob: $0, name: name) }
    }.sorted().map { input.path.hasSuffix("/") ? input.path + $0 : input.path + "/" + $0 }
    for path in matching {
      if let skip = skipReason(path, following: false, inside: directory, reading) {
        if skip.reason != "directory" { entries.skipped.append(skip) }
      } else {
        entries.files.append(path)
      }
    }
    guard !entries.files.isEmpty || !entries.skipped.isEmpty else {
      return .failure(
        InputProblem(input: input.name, message: "no file in \(input.path) matches '\(input.glob)'")
      )
    }
    return .success(entries)
  }

  /// Why an entry is not read, or `nil` when it is a regular file to read (or a dangling
  /// link, whose reading fails aloud).
  private static func skipReason(
    _ path: String, following: Bool, inside directory: String?, _ reading: ReadSettings
  ) -> SkippedEntry? {
    guard var status = FileSystem.status(path, following: false) else { return nil }
    if status.kind == .link {
      // Dangling: fails aloud when read.
      guard let target = FileSystem.status(path, following: true) else { return nil }
      if target.kind == .directory {
        return SkippedEntry(path: path, reason: "directory", detail: "a link to a directory")
      }
      let resolved = InputCatalogue.canonical(path)
      if !following, reading.followLinks == .inside, let directory,
        !resolved.hasPrefix(directory.hasSuffix("/") ? directory : directory + "/")
      {
        return SkippedEntry(
          path: path, reason: "link-outside-input",
          detail:
            "a symbolic link to \(resolved), outside \(directory) (settings.read.follow_links: anywhere reads it)"
        )
      }
      status = target
    }
    switch status.kind {
    case .regular:
      guard status.bytes <= reading.maxFileBytes else {
        return SkippedEntry(
          path: path, reason: "file-too-large",
          detail:
            "\(status.bytes) bytes, over settings.read.max_file_bytes (\(reading.maxFileBytes))")
      }
      return nil
    case .directory: return SkippedEntry(path: path, reason: "directory", detail: "a directory")
    case .fifo:
      return SkippedEntry(path: path, reason: "not-a-regular-file", detail: "a FIFO (named pipe)")
    case .socket: return SkippedEntry(path: path, reason: "not-a-regular-file", detail: "a socket")
    case .link, .device:
      return SkippedEntry(path: path, reason: "not-a-regular-file", detail: "a device")
    }
  }
}

/// What an input stands for: the files to read and the entries passed over, with why.
public struct InputEntries: Sendable, Hashable {
  /// The files to read, sorted by path.
  public var files: [String] = []
  /// Entries that are not read.
  public var skipped: [SkippedEntry] = []
}

/// An input of a pipeline that gave no file to read.
public struct InputProblem: Error, Sendable, Hashable, CustomStringConvertible {
  /// The input's name.
  public var input: String
  /// What is wrong.
  public var message: String

  public var description: String { "\(input): \(message)" }
}
