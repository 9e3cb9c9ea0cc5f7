/// The formats of lab exports.
public enum InputFormat: String, Sendable, Hashable, Codable, CaseIterable {
  /// Comma-, semicolon- or tab-separated text, read through libcsv.
  case csv
  /// JSON result objects (an array or NDJSON), their keys mapped by a `lis-long` profile.
  case json
  /// FHIR R4: a Bundle, a single resource, an array of resources, or bulk-export NDJSON.
  case fhir

  /// The format a file name suggests: `.json`, `.ndjson` and `.jsonl` are FHIR unless a
  /// profile maps their keys (then generic JSON); anything else is CSV.
  public static func guess(file: String, hasProfile: Bool) -> InputFormat {
    let name = file.lowercased()
    guard name.hasSuffix(".json") || name.hasSuffix(".ndjson") || name.hasSuffix(".jsonl") else {
      return .csv
    }
    return hasProfile ? .json : .fhir
  }
}

/// Reads one export file in any format; the one entry point the pipeline and the command
/// line use.
public struct ExportReader: Sendable {
  /// The file format.
  public var format: InputFormat
  /// The profile (CSV and generic JSON); `nil` to use the built-in layouts.
  public var profile: CSVProfile?

  /// Creates a reader.
  public init(format: InputFormat, profile: CSVProfile?) {
    self.format = format
    self.profile = profile
  }

  /// Reads a file, handing out samples and rejections in file order; never throws.
  public func read(
    file path: String, onSample: (Sample) -> Void, onRejection: (Rejection) -> Void = { _ in }
  ) -> FileReadSummary {
    read(file: path, onSample: onSample, onRejection: onRejection, onColumns: nil)
  }

  /// Reads a file; `onColumns`, when given, takes a CSV export's samples in
  /// columns (``SampleColumns``), a batch at a time, instead of `onSample`.
  func read(
    file path: String, onSample: (Sample) -> Void, onRejection: (Rejection) -> Void,
    onColumns: ((inout SampleColumns) -> Void)?
  ) -> FileReadSummary {
    switch format {
    case .csv:
      CSVReader(profile: profile).read(
        file: path, onSample: onSample, onRejection: onRejection, onColumns: onColumns)
    case .json:
      JSONRecordsReader(profile: profile ?? .lisLong).read(
        file: path, onSample: onSample, onRejection: onRejection)
    case .fhir: FHIRReader().read(file: path, onSample: onSample, onRejection: onRejection)
    }
  }
}
