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
  public var record: Int?
  /// The column name (or JSON key), when one column is at fault.
  public var column: String?
  /// The 1-based line a JSON record starts on.
  public var line: Int?
  /// The JSON path of the value at fault, e.g. `entry[3].resource.valueQuantity.value`.
  public var path: String?

  /// Creates a location.
  public init(
    file: String, record: Int? = nil, column: String? = nil, line: Int? = nil, path: String? = nil
  ) {
    self.file = file
    self.record = record
    self.column = column
    self.line = line
    self.path = path
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
}
