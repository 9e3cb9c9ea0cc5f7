/// Where a value came from: the file, the record in it and the column or JSON path, as a
/// person would look it up.
///
/// CSV record numbers count the header as record 1 and differ from line numbers when
/// quoted fields hold line breaks. In JSON files a record is one bundle entry, one item of
/// a top-level array or one NDJSON line, numbered from 1 in file order.
public struct InputLocation: Sendable, Hashable, Codable, CustomStringConvertible {
  /// The file's path as given to the reader.
  public var file: String
  /// The 1-based record number, when the location is inside the file.
  public var record: Int? {
    get { storedRecord < 0 ? nil : Int(storedRecord) }
    set { storedRecord = newValue.map { Int32(clamping: $0) } ?? -1 }
  }
  // A record number in 32 bits (over two billion records a file), -1 for none: with the
  // boxed JSON place below, a location stays at the size of three words.
  private var storedRecord: Int32
  /// The column name (or JSON key), when one column is at fault.
  public var column: String?
  // Line and path of JSON records, boxed: every sample carries a location, and CSV ones
  // have neither; a reference that is nil for them keeps samples small, which `make bench`
  // measured as a tenth of the CSV reader's time.
  private var json: JSONPlace?

  /// The 1-based line a JSON record starts on.
  public var line: Int? {
    get { json?.line }
    set { json = JSONPlace.make(line: newValue, path: path) }
  }

  /// The JSON path of the value at fault, e.g. `entry[3].resource.valueQuantity.value`.
  public var path: String? {
    get { json?.path }
    set { json = JSONPlace.make(line: line, path: newValue) }
  }

  /// Creates a location.
  public init(
    file: String, record: Int? = nil, column: String? = nil, line: Int? = nil, path: String? = nil
  ) {
    self.file = file
    storedRecord = record.map { Int32(clamping: $0) } ?? -1
    self.column = column
    json = JSONPlace.make(line: line, path: path)
  }

  /// The file's name without its folders: what reports and FHIR bundles name, never a folder
  /// of the machine that read it.
  public var fileName: String { Self.fileName(of: file) }

  /// The last component of the path `file` (``fileName``).
  static func fileName(of file: String) -> String {
    file.split(separator: "/").last.map(String.init) ?? file
  }

  /// `file, record 12, column 'unit'` or `file, record 4 (line 9), path 'entry[3].resource'`.
  public var description: String {
    var text = file
    if let record { text += ", record \(record)" }
    if let line { text += " (line \(line))" }
    if let column { text += ", column '\(column)'" }
    if let path, !path.isEmpty { text += ", path '\(path)'" }
    return text
  }

  private enum CodingKeys: String, CodingKey { case file, record, column, line, path }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    self.init(
      file: try container.decode(String.self, forKey: .file),
      record: try container.decodeIfPresent(Int.self, forKey: .record),
      column: try container.decodeIfPresent(String.self, forKey: .column),
      line: try container.decodeIfPresent(Int.self, forKey: .line),
      path: try container.decodeIfPresent(String.self, forKey: .path))
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(file, forKey: .file)
    try container.encodeIfPresent(record, forKey: .record)
    try container.encodeIfPresent(column, forKey: .column)
    try container.encodeIfPresent(line, forKey: .line)
    try container.encodeIfPresent(path, forKey: .path)
  }
}

/// The line and JSON path of a JSON record, compared by value.
private final class JSONPlace: Sendable, Hashable {
  let line: Int?
  let path: String?

  private init(line: Int?, path: String?) {
    self.line = line
    self.path = path
  }

  /// A place, or `nil` when there is neither line nor path (so equal locations compare equal).
  static func make(line: Int?, path: String?) -> JSONPlace? {
    line == nil && path == nil ? nil : JSONPlace(line: line, path: path)
  }

  static func == (lhs: JSONPlace, rhs: JSONPlace) -> Bool {
    lhs.line == rhs.line && lhs.path == rhs.path
  }

  func hash(into hasher: inout Hasher) {
    hasher.combine(line)
    hasher.combine(path)
  }
}

extension InputLocation {
  /// Where in its file, for messages: `record 12 (line 14) column 'Result'`.
  var place: String {
    [
      record.map { "record \($0)" }, line.map { "(line \($0))" },
      column.map { "column '\($0)'" },
      path.flatMap { $0.isEmpty ? nil : "path '\($0)'" },
    ].compactMap { $0 }.joined(separator: " ")
  }
}
