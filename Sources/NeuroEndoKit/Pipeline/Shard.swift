import Foundation

/// One of N shards of a run (`--shard K/N`): the subjects whose id hashes to it.
///
/// Every shard reads all inputs and keeps the samples of its subjects, so that N processes
/// (a Slurm job array, a Kubernetes Indexed Job) share the work; `neuroendo merge` combines
/// their outputs into the outputs one run writes (``ShardMerger``). The hash is FNV-1a
/// (64 bits) of the subject id's UTF-8 bytes (in Unicode NFC), modulo N: the same on every
/// machine and in every release, so a subject stays in its shard.
public struct Shard: Sendable, Hashable, Codable, CustomStringConvertible {
  /// The shard's number, 1 to ``count``.
  public var index: Int
  /// How many shards the run is split into.
  public var count: Int

  /// Shard `index` of `count` (1-based), or `nil` when not 1 <= index <= count.
  public init?(index: Int, count: Int) {
    guard count >= 1, (1...count).contains(index) else { return nil }
    self.index = index
    self.count = count
  }

  /// `K/N` as on the command line, or `nil` when it is not two whole numbers with
  /// 1 <= K <= N.
  public init?(_ text: String) {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
      return nil
    }
    self.init(index: index, count: count)
  }

  /// `K/N`.
  public var description: String { "\(index)/\(count)" }

  /// Whether the subject belongs to this shard.
  public func contains(subject: String) -> Bool {
    Self.bucket(of: subject, count: count) == index - 1
  }

  /// Whether this shard carries what belongs to no subject (rejected records, sleep-diary
  /// rejections): the first.
  public var carriesUnattributed: Bool { index == 1 }

  /// The 0-based bucket of a subject among `count`: FNV-1a 64 of its UTF-8 bytes in
  /// Unicode NFC, so that ids Swift holds equal ("é" composed or not) share a shard, as
  /// they share a subject in one run.
  public static func bucket(of subject: String, count: Int) -> Int {
    let canonical =
      subject.utf8.allSatisfy { $0 < 0x80 }
      ? subject : subject.precomposedStringWithCanonicalMapping
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in canonical.utf8 {
      hash ^= UInt64(byte)
      hash = hash &* 0x0000_0100_0000_01b3
    }
    return Int(hash % UInt64(count))
  }
}

/// The sort key of one row of a shard's table, kept beside the table (`shard/<table>.keys`)
/// so that `neuroendo merge` interleaves the shards' rows in the order one run writes them.
enum ShardKey: Sendable, Hashable, Comparable {
  /// Rows in read order: a phase (read, diary, normalization) and a position in it.
  case position(Int, Int, Int)
  /// Rows in subject order (feature tables, findings).
  case subject(String)

  /// `P phase a b` or `S subject` (backslashes and line breaks escaped).
  var text: String {
    switch self {
    case .position(let phase, let first, let second): return "P \(phase) \(first) \(second)"
    case .subject(let subject):
      return "S "
        + subject.replacingOccurrences(of: "\\", with: "\\\\")
        .replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\r", with: "\\r")
    }
  }

  /// Reads the text of ``text``.
  init?(text: Substring) {
    if text.hasPrefix("P ") {
      let numbers = text.dropFirst(2).split(separator: " ").compactMap { Int($0) }
      guard numbers.count == 3 else { return nil }
      self = .position(numbers[0], numbers[1], numbers[2])
    } else if text.hasPrefix("S ") {
      var subject = ""
      var escaped = false
      for character in text.dropFirst(2) {
        if escaped {
          subject.append(character == "n" ? "\n" : character == "r" ? "\r" : character)
          escaped = false
        } else if character == "\\" {
          escaped = true
        } else {
          subject.append(character)
        }
      }
      self = .subject(subject)
    } else {
      return nil
    }
  }

  static func < (lhs: ShardKey, rhs: ShardKey) -> Bool {
    switch (lhs, rhs) {
    case (.position(let a, let b, let c), .position(let d, let e, let f)):
      return (a, b, c) < (d, e, f)
    case (.subject(let a), .subject(let b)): return a < b
    case (.position, .subject): return true
    case (.subject, .position): return false
    }
  }
}

/// Writes one table's rows and, in a shard run, each row's byte length and sort key to the
/// keys file beside it.
final class TableSink {
  let file: AtomicFileWriter
  private let keys: AtomicFileWriter?

  init(file: AtomicFileWriter, keys: AtomicFileWriter?) {
    self.file = file
    self.keys = keys
  }

  /// The header row (or any leading text that every shard writes alike).
  func header(_ text: String) {
    file.write(text)
    keys?.write("\(text.utf8.count) H\n")
  }

  /// One row and its key.
  func row(_ text: String, _ key: @autoclosure () -> ShardKey) {
    file.write(text)
    if let keys { keys.write("\(text.utf8.count) \(key().text)\n") }
  }

  /// Commits the keys, then the table.
  func commit() throws(OutputError) {
    try keys?.commit()
    try file.commit()
  }
}
