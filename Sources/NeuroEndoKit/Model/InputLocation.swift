/// Where a value came from: the file, the record in it and the column, as a person would look it up.
///
/// CSV record numbers count the header as record 1 and differ from line numbers when
/// quoted fields hold line breaks.
public struct InputLocation: Sendable, Hashable, Codable, CustomStringConvertible {
  /// The file's path as given to the reader.
  public var file: String
  /// The 1-based record number, when the location is inside the file.
  public var record: Int?
  /// The column name (or number, when the file has no header), when one column is at fault.
  public var column: String?

  /// Creates a location.
  public init(file: String, record: Int? = nil, column: String? = nil) {
    self.file = file
    self.record = record
    self.column = column
  }

  /// `file, record 12, column 'unit'`.
  public var description: String {
    var text = file
    if let record { text += ", record \(record)" }
    if let column { text += ", column '\(column)'" }
    return text
  }
}
