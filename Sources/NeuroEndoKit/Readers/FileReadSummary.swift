import Foundation

/// What reading one file gave: every record accounted for as accepted, partly accepted or rejected.
///
/// A record in a long export holds one value; in research and wide exports it holds one
/// value per value column; in JSON it is a bundle entry, array item or NDJSON line. A record is *accepted* when all its values became samples,
/// *partial* when some did and others were rejected, and *rejected* when none did.
/// Empty value cells (a sample not taken) are counted apart and are not rejections.
public struct FileReadSummary: Sendable, Hashable, Codable {
  /// The file as given.
  public var file: String
  /// The profile used, or the reason none could be chosen.
  public var profile: String
  /// Data records read (the header is not counted).
  public var records = 0
  /// Records whose every value became a sample.
  public var acceptedRecords = 0
  /// Records of which some values became samples and others were rejected.
  public var partialRecords = 0
  /// Records of which no value became a sample.
  public var rejectedRecords = 0
  /// Records that are not lab results of ours and were passed over (FHIR resources of
  /// other types, Observations with other codes); not rejections.
  public var skippedRecords = 0
  /// Skipped records by what they were, e.g. `Patient` or `Observation 2345-7`.
  public var skipped: [String: Int] = [:]
  /// Samples produced.
  public var samples = 0
  /// Rejections reported (one per rejected value, or one per record for record-wide problems).
  public var rejections = 0
  /// Value cells left empty (`""`, `NA`, `NaN`): samples not taken, not rejections.
  public var emptyCells = 0
  /// Where the first empty value cells are.
  public var emptyCellLocations: [InputLocation] = []
  /// Empty value cells by column name: the missing samples of each slot.
  public var emptyCellsByColumn: [String: Int] = [:]
  /// The file's size in bytes and SHA-256 (hexadecimal), when the run recorded them.
  public var bytes: Int?
  public var sha256: String?
  /// Where the first records of each skipped kind are.
  public var skippedLocations: [String: [InputLocation]] = [:]
  /// Samples by analyte and specimen, keyed `analyte/specimen`.
  public var samplesByKind: [String: Int] = [:]
  /// Rejections by reason code, with a message and the first locations.
  public var rejectionsByReason: [String: ReasonTally] = [:]
  /// Why the file could not be read, or stopped being read; `nil` when it was read to the end.
  public var failure: String?
  /// Things a person should know that lost no data (an empty file, a header without records).
  public var warnings: [String] = []
  /// What the reader assumed where the export was silent, in one line each (cortisol of a
  /// research export without a specimen read as saliva).
  public var notices: [String] = []

  /// How many locations each reason keeps for display (the audit says how many more).
  public static let locationsKept = 20
  /// How a CSV file was read: what the audit shows per file.
  public var dialect: Dialect?
  /// The header's columns the profile did not read.
  public var ignoredColumns: [String] = []

  /// A CSV file's dialect, as detected or as its profile set it.
  public struct Dialect: Sendable, Codable, Hashable {
    public var encoding: String
    public var byteOrderMark: Bool
    public var delimiter: String
    public var delimiterDetected: Bool
    public var decimal: String
    /// The header's line (1: the first).
    public var headerLine: Int
  }

  /// Creates an empty summary for a file.
  public init(file: String, profile: String) {
    self.file = file
    self.profile = profile
  }

  /// Whether the counts add up: records = accepted + partial + rejected + skipped.
  public var isBalanced: Bool {
    records == acceptedRecords + partialRecords + rejectedRecords + skippedRecords
  }

  /// Adds what one record became: its samples and rejections (passed on to
  /// `onRejection`), and whether it was accepted, partly accepted or rejected.
  mutating func tally(_ output: borrowing RecordOutput, onRejection: (Rejection) -> Void) {
    for rejection in output.rejections {
      count(rejection)
      onRejection(rejection)
    }
    samples += output.samples
    emptyCells += output.emptyCells
    if let (what, location) = output.skipped, output.samples == 0, output.rejections.isEmpty {
      skip(what, at: location)
      return
    }
    switch (output.samples == 0, output.rejections.isEmpty) {
    case (false, true): acceptedRecords += 1
    case (false, false): partialRecords += 1
    case (true, _): rejectedRecords += 1
    }
  }

  /// Counts a record that was passed over, under what it was, keeping the first locations.
  mutating func skip(_ what: String, at location: InputLocation) {
    skippedRecords += 1
    skipped[what, default: 0] += 1
    if skippedLocations[what, default: []].count < Self.locationsKept {
      skippedLocations[what, default: []].append(location)
    }
  }

  /// Adds the file's samples by analyte and specimen.
  mutating func addKinds(_ output: RecordOutput) {
    emptyCellLocations = output.firstEmptyCells
    for (index, count) in output.kindCounts.enumerated() where count > 0 {
      let (analyte, specimen) = RecordOutput.kinds[index]
      samplesByKind["\(analyte.rawValue)/\(specimen.rawValue)"] = count
    }
  }

  /// Counts a rejection under its reason.
  public mutating func count(_ rejection: Rejection) {
    rejections += 1
    rejectionsByReason[
      rejection.reason.code, default: ReasonTally(example: rejection.reason.description)
    ]
    .add(rejection.location)
  }
}

/// How often one rejection reason occurred, and where first.
public struct ReasonTally: Sendable, Hashable, Codable {
  /// How many rejections had this reason.
  public var count = 0
  /// The message of the first one.
  public var example: String
  /// The first few locations.
  public var locations: [InputLocation] = []

  /// Creates a tally with the first message.
  public init(example: String) { self.example = example }

  mutating func add(_ location: InputLocation) {
    count += 1
    if locations.count < FileReadSummary.locationsKept { locations.append(location) }
  }
}

/// An open input file whose bytes are counted and hashed (SHA-256) as a reader reads them,
/// so that the audit's size and digest describe the bytes that were read, not a second
/// look at a file that may have changed in between. Used by one thread at a time.
final class InputFile: @unchecked Sendable {
  let descriptor: Int32
  private var hasher = SHA256.Hasher()
  private var count = 0

  init(descriptor: Int32) { self.descriptor = descriptor }

  /// Why the last read failed.
  private(set) var failure = FileSystem.Failure(code: 0)

  /// Reads up to `size` bytes into `buffer`, counting and hashing them; -1 on an error
  /// (``failure`` says which), 0 at the end.
  func read(into buffer: UnsafeMutableRawPointer?, _ size: Int) -> Int {
    let read: Int
    switch FileSystem.read(descriptor, into: buffer, size) {
    case .success(let count): read = count
    case .failure(let failure):
      self.failure = failure
      return -1
    }
    if read > 0 {
      hasher.update(UnsafeRawBufferPointer(start: buffer, count: read))
      count += read
    }
    return read
  }

  /// Back to the start, for a reader that reads the file twice: the count and digest start
  /// over, so that they describe the last pass.
  func rewind() -> Bool {
    guard FileSystem.rewind(descriptor) else {
      failure = FileSystem.lastFailure
      return false
    }
    hasher = SHA256.Hasher()
    count = 0
    return true
  }

  /// Reads what the reader left unread (a file cut short by malformed JSON) and gives the
  /// size and digest of every byte read through this descriptor; `nil` on a read error.
  func finish() -> (bytes: Int, sha256: String)? {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
    defer { buffer.deallocate() }
    while true {
      let read = read(into: buffer.baseAddress, buffer.count)
      if read < 0 { return nil }
      if read == 0 { break }
    }
    return (count, hasher.finish())
  }
}

/// Opens a file for one of the readers and closes it after `body`; a file that cannot be
/// opened gives a summary whose failure says why, so that no reader throws. The summary's
/// size and SHA-256 are those of the bytes read (``InputFile``).
func withOpenFile(
  _ path: String, profile: String, _ body: (InputFile) -> FileReadSummary
) -> FileReadSummary {
  // Opened without blocking, so that a FIFO without a writer cannot hang the run; only a
  // regular file is read (the check is on the open file, not a name that may change).
  let descriptor: Int32
  switch FileSystem.open(path, O_RDONLY | O_NONBLOCK) {
  case .success(let opened): descriptor = opened
  case .failure(let failure):
    var summary = FileReadSummary(file: path, profile: profile)
    summary.failure = "cannot open: \(failure)"
    return summary
  }
  defer { FileSystem.close(descriptor) }
  guard FileSystem.kind(of: descriptor) == .regular else {
    var summary = FileReadSummary(file: path, profile: profile)
    summary.failure = "not a regular file (a FIFO, socket, device or directory); not read"
    return summary
  }
  FileSystem.setBlocking(descriptor)
  let file = InputFile(descriptor: descriptor)
  var summary = body(file)
  if let digest = file.finish() {
    summary.bytes = digest.bytes
    summary.sha256 = digest.sha256
  }
  return summary
}

extension Quantity {
  /// Why a parsed lab value cannot be a concentration: below zero, or written with non-zero
  /// digits that read back as zero (`1e-400`). `nil` for a usable number (0 included).
  static func implausibleNumber(_ value: Double, written: UnsafeBufferPointer<UInt8>)
    -> RejectionReason?
  {
    let text = { String(decoding: written, as: UTF8.self) }
    if value < 0 { return .negativeValue(text()) }
    if value == 0 {
      // Digits 1-9 before any exponent: the writer meant a number other than zero.
      for byte in written {
        if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") { break }
        if byte >= UInt8(ascii: "1") && byte <= UInt8(ascii: "9") {
          return .valueUnderflow(text())
        }
      }
    }
    return nil
  }
}

/// An entry of an inbox that is not read, and why.
public struct SkippedEntry: Sendable, Hashable, Codable {
  /// The path as listed.
  public var path: String
  /// `not-a-regular-file`, `link-outside-input`, `file-too-large` (or `directory`, not reported).
  public var reason: String
  /// What the entry is, in words.
  public var detail: String
}
