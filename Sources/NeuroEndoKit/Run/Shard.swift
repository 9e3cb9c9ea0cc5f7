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

  /// Appends the keys file's line for a row of `length` bytes: `length P phase a b` or
  /// `length S subject` (backslashes and line breaks escaped), and a line break.
  func appendLine(length: Int, to bytes: inout [UInt8]) {
    func number(_ value: Int) { bytes.appendDecimal(value) }
    number(length)
    switch self {
    case .position(let phase, let first, let second):
      bytes.append(contentsOf: [0x20, 0x50, 0x20])  // " P "
      number(phase)
      bytes.append(0x20)
      number(first)
      bytes.append(0x20)
      number(second)
    case .subject(let subject):
      bytes.append(contentsOf: [0x20, 0x53, 0x20])  // " S "
      for byte in subject.utf8 {
        switch byte {
        case 0x5C: bytes.append(contentsOf: [0x5C, 0x5C])
        case 0x0A: bytes.append(contentsOf: [0x5C, 0x6E])
        case 0x0D: bytes.append(contentsOf: [0x5C, 0x72])
        default: bytes.append(byte)
        }
      }
    }
    bytes.append(0x0A)
  }

  /// Reads a line of ``appendLine(length:to:)`` (without its line break): the row's length
  /// and its key, `nil` for the header's key (`length H`); `nil` when it is not such a line.
  static func parse(line: UnsafeBufferPointer<UInt8>) -> (length: Int, key: ShardKey?)? {
    var index = 0
    func number() -> Int? {
      let negative = index < line.count && line[index] == 0x2D
      if negative { index += 1 }
      let start = index
      var value = 0
      while index < line.count, line[index] >= 0x30, line[index] <= 0x39 {
        let (times, overflow) = value.multipliedReportingOverflow(by: 10)
        guard !overflow else { return nil }
        value = times + Int(line[index] - 0x30)
        index += 1
      }
      return index > start ? (negative ? -value : value) : nil
    }
    func space() -> Bool {
      guard index < line.count, line[index] == 0x20 else { return false }
      index += 1
      return true
    }
    guard let length = number(), length >= 0, space(), index < line.count else { return nil }
    let kind = line[index]
    index += 1
    switch kind {
    case 0x48:  // H
      return index == line.count ? (length, nil) : nil
    case 0x50:  // P
      guard space(), let phase = number(), space(), let first = number(), space(),
        let second = number(), index == line.count
      else { return nil }
      return (length, .position(phase, first, second))
    case 0x53:  // S
      guard space() else { return nil }
      var subject: [UInt8] = []
      subject.reserveCapacity(line.count - index)
      var escaped = false
      for byte in line[index...] {
        if escaped {
          subject.append(byte == 0x6E ? 0x0A : byte == 0x72 ? 0x0D : byte)
          escaped = false
        } else if byte == 0x5C {
          escaped = true
        } else {
          subject.append(byte)
        }
      }
      return (length, .subject(String(decoding: subject, as: UTF8.self)))
    default: return nil
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
    guard let keys else { return }
    line.removeAll(keepingCapacity: true)
    key().appendLine(length: text.utf8.count, to: &line)
    line.withUnsafeBytes { keys.write($0) }
  }

  /// One row given as bytes (``CSVRow``) and its key.
  func row(_ bytes: [UInt8], _ key: @autoclosure () -> ShardKey) {
    bytes.withUnsafeBytes { file.write($0) }
    guard let keys else { return }
    line.removeAll(keepingCapacity: true)
    key().appendLine(length: bytes.count, to: &line)
    line.withUnsafeBytes { keys.write($0) }
  }

  /// The keys line being written.
  private var line: [UInt8] = []

  /// Commits the keys, then the table.
  func commit() throws(OutputError) {
    try keys?.commit()
    try file.commit()
  }
}
