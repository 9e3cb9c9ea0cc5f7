import Foundation

/// Reads a sleep diary: one row per waking, with the subject and the date and time of
/// waking (profile `shape: diary`, columns `subject` and `wake`). Times without an offset
/// are placed by the normalizer, in the subject's or the pipeline's zone.
public struct WakeDiaryReader: Sendable {
  /// The diary's profile.
  public var profile: CSVProfile

  /// Creates a reader.
  public init(profile: CSVProfile) { self.profile = profile }

  /// The wakings by subject, and the rows that could not be read.
  public struct Diary: Sendable {
    /// Waking times by subject id, in file order.
    public var wakes: [String: [CollectionTime]] = [:]
    /// Rows rejected, with location and reason.
    public var rejections: [Rejection] = []
    /// Why the file could not be read, when it could not.
    public var failure: String?
    /// The diary's accounting, like any input file's: every row accepted (a waking) or
    /// rejected, so that the run's totals count it.
    public var summary: FileReadSummary
  }

  /// Reads a diary file.
  public func read(file path: String) -> Diary {
    var diary = Diary(summary: FileReadSummary(file: path, profile: profile.name))
    defer { diary.summary.failure = diary.failure }
    // Only a regular file: a FIFO named as the diary must not hang the run.
    guard FileSystem.status(path, following: true).map({ $0.kind == .regular }) ?? true else {
      diary.failure =
        "\(path) is not a regular file (a FIFO, socket, device or directory); not read"
      return diary
    }
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      diary.failure = "cannot read \(path): \(error.localizedDescription)"
      return diary
    }
    // The size and digest of the bytes read, for the audit.
    diary.summary.bytes = data.count
    diary.summary.sha256 = SHA256.hex(Array(data))
    var context: MappingContext?
    var columns: (subject: Int, wake: Int)?
    func handle(_ record: CSVRecord) {
      guard let context, let columns else {
        let names = (0..<record.count).map { String(decoding: record.bytes($0), as: UTF8.self) }
        let mapping = MappingContext(file: path, profile: profile, header: names)
        context = mapping
        do throws(HeaderProblem) {
          columns = (try mapping.required(.subject), try mapping.required(.wake))
        } catch {
          diary.failure = "\(path): \(error.reason)"
        }
        return
      }
      diary.summary.records += 1
      do throws(Rejection) {
        if let oversized = record.oversized {
          throw Rejection(
            location: InputLocation(file: path, record: record.number),
            reason: ReadSession.reason(oversized, profile))
        }
        let subject = try context.requiredText(record, columns.subject)
        guard
          let parsed = FieldParser.time(record.bytes(columns.wake), order: profile.dateOrder),
          parsed.date != nil, let wake = parsed.collectionTime()
        else {
          throw context.reject(
            record, columns.wake, .unparsableTime(record.string(columns.wake) ?? "<binary>"))
        }
        diary.wakes[subject, default: []].append(wake)
        diary.summary.acceptedRecords += 1
      } catch {
        diary.rejections.append(error)
        diary.summary.rejectedRecords += 1
        diary.summary.count(error)
      }
    }
    let parser = CSVParser(
      delimiter: profile.delimiter ?? data.withUnsafeBytes { CSVReader.detectDelimiter($0) },
      strict: profile.strict, maxFieldBytes: profile.maxFieldBytes,
      maxLineBytes: profile.maxLineBytes)
    do {
      try data.withUnsafeBytes { bytes in try parser.feed(bytes, handler: handle) }
      try parser.finish(handler: handle)
    } catch {
      diary.failure = "\(path): malformed CSV (\(error)); the rest of the diary was not read"
    }
    if diary.failure == nil && columns == nil { diary.failure = "\(path): the diary is empty" }
    let wakes = diary.wakes.values.reduce(0) { $0 + $1.count }
    diary.summary.notices.append("sleep diary: \(wakes) waking\(wakes == 1 ? "" : "s") read")
    return diary
  }
}
