import Foundation

/// Reads generic JSON lab exports, an array of result objects or NDJSON with one object per
/// line, whose keys a `lis-long` profile maps (`columns:` name keys, dotted for nested ones:
/// `result.value`).
///
/// Each object becomes a record with the profile's columns, so that the checks, messages
/// and counts are those of the LIS long CSV reader; a record's number is its position in
/// the file, and a rejection names the key at fault.
public struct JSONRecordsReader: Sendable {
  /// The profile; its shape must be `lis-long`.
  public var profile: CSVProfile
  /// Bytes read at a time.
  public var chunkSize: Int

  /// Creates a reader.
  public init(profile: CSVProfile, chunkSize: Int = 1 << 18) {
    self.profile = profile
    self.chunkSize = chunkSize
  }

  /// Reads a file; never throws.
  public func read(
    file path: String, onSample: (Sample) -> Void, onRejection: (Rejection) -> Void = { _ in }
  ) -> FileReadSummary {
    withOpenFile(path, profile: profile.name) { file in
      read(.file(file), name: path, onSample, onRejection)
    }
  }

  /// Reads bytes already in memory, as if they were the file `name`.
  public func read(
    bytes: UnsafeRawBufferPointer, name: String, onSample: (Sample) -> Void,
    onRejection: (Rejection) -> Void = { _ in }
  ) -> FileReadSummary {
    read(.bytes(bytes), name: name, onSample, onRejection)
  }

  /// The keys read from each object: the profile's columns for the LIS long roles, then
  /// the kept ones.
  var keys: [String] {
    let roles: [CSVProfile.Role] = [
      .subject, .code, .value, .unit, .collected, .specimen, .wake, .referenceRange,
      .referenceLow, .referenceHigh,
    ]
    return roles.map(profile.column) + profile.keep
  }

  private func read(
    _ source: ChunkSource, name: String, _ onSample: (Sample) -> Void,
    _ onRejection: (Rejection) -> Void
  ) -> FileReadSummary {
    var profile = self.profile
    profile.shape = .lisLong
    let reader = CSVReader(profile: profile)
    return withoutActuallyEscaping(onSample) { onSample in
      withoutActuallyEscaping(onRejection) { onRejection in
        var session = ReadSession(
          reader: reader, file: name, onSample: onSample, onRejection: onRejection)
        let keys = self.keys
        var header = RecordBatch()
        header.firstRecord = 0
        header.append(fields: keys)
        session.consume(header)
        var scanner = JSONElementScanner()
        var record = 0
        var duplicates = DuplicateKeyNotes()
        func handle(_ element: JSONElement) {
          record += 1
          let shape = JSONShapeCheck(
            element.bytes, base: element.path, limit: profile.maxFieldBytes)
          duplicates.add(shape.duplicateKeys)
          if let long = shape.longString {
            session.reject(
              record: Rejection(
                location: InputLocation(
                  file: name, record: record, line: element.line, path: long.path),
                reason: .fieldTooLong(bytes: long.bytes, limit: profile.maxFieldBytes)))
            return
          }
          do throws(Rejection) {
            var batch = RecordBatch()
            batch.firstRecord = record
            batch.append(fields: try fields(element, keys: keys, record: record, file: name))
            session.consume(batch)
          } catch {
            session.reject(record: error)
          }
        }
        if let error = source.scan(chunkSize, with: &scanner, emit: handle) {
          switch error {
          case .read(let message): session.fail(message)
          case .scan(let scanError):
            session.fail("malformed JSON at \(scanError); the rest of the file was not read")
            session.reject(
              record: Rejection(
                location: InputLocation(file: name, record: record + 1, line: scanError.line),
                reason: .invalidJSON(scanError.message)))
          }
        }
        session.summary.warnings += duplicates.warnings
        return session.summarize()
      }
    }
  }

  /// The text of each key of one object, `""` for absent ones.
  private func fields(_ element: JSONElement, keys: [String], record: Int, file: String)
    throws(Rejection) -> [String]
  {
    let location = InputLocation(file: file, record: record, line: element.line, path: element.path)
    let node: JSONNode
    do throws(JSONParseError) {
      node = try JSONNode.parse(element.bytes, path: element.path)
    } catch {
      throw Rejection(location: location, reason: .invalidJSON(error.message))
    }
    guard node.value is [String: Any] else {
      throw Rejection(
        location: location,
        reason: .wrongType(
          field: element.path.isEmpty ? "record" : element.path, expected: "an object",
          found: node.kind))
    }
    return keys.map { key in
      let value = key.split(separator: ".").reduce(node) { $0[String($1)] }
      return JSONRecordsReader.text(value.value)
    }
  }

  /// A JSON value as the text a CSV cell would hold.
  static func text(_ value: Any?) -> String {
    switch value {
    case nil, is NSNull: return ""
    case let text as String: return text
    case let number as NSNumber:
      if JSONNode.isBoolean(number) { return number.boolValue ? "true" : "false" }
      let type = String(cString: number.objCType)
      return type == "d" || type == "f" ? "\(number.doubleValue)" : number.stringValue
    default:
      guard let data = try? JSONSerialization.data(withJSONObject: value!, options: [.sortedKeys])
      else { return "" }
      return String(decoding: data, as: UTF8.self)
    }
  }
}
