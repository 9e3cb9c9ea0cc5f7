import Foundation

/// What a shard run (`--shard K/N`, or a partition of a run) leaves for `neuroendo merge`,
/// in the `shard/` folder of its output directory: this manifest, each table with a keys
/// file beside it (`TableSink`), the cohort's inputs, and each patient's report model and
/// FHIR bundle in `patients/` (a partition given the cohort's band: its finished pages).
/// The merge reads this format, never the reports a run publishes, and renders once; a
/// format it does not know is refused by its version.
public struct ShardManifest: Sendable, Codable, Hashable {
  /// The format's name and the version this build writes and reads.
  public static let formatName = "neuroendo-shard"
  public static let currentVersion = 1
  /// The manifest's file name inside the shard folder.
  public static let fileName = "manifest.json"

  public var format = ShardManifest.formatName
  public var version = ShardManifest.currentVersion
  /// The NeuroEndo version that wrote it: a run's shards come from one.
  public var generator = NeuroEndoVersion.current
  /// `K/N`.
  public var shard: String
  /// The shard run's id and start, and the pipeline's name.
  public var run: String
  public var started: Date
  public var pipeline: String
  /// Whether the run only read and audited.
  public var auditOnly: Bool
  /// The effective settings (as the audit lists them) and whether patient reports are
  /// written: a run's shards share them.
  public var settings: [String: String]
  public var patientReports: Bool
  /// Every input file as read (every shard reads them all), the inputs' problems and the
  /// entries passed over.
  public var files: [FileReadSummary]
  public var inputProblems: [String]
  public var skippedEntries: [SkippedEntry]
  /// The counts of this shard's subjects, merged by their own `add`.
  public var normalization: NormalizationCounts
  public var analysis: RunSummary.AnalysisSummary
  public var dataset: AuditReport.Dataset
  /// Subjects whose reports could not be made.
  public var quarantinedSubjects: [String]
  /// Their ids, when there are any (the descriptions cut long ids short): the merged cohort
  /// report lists them without a link to pages that were not written.
  public var quarantinedIDs: [String]?
  /// The outputs the merged run writes, by role: file names (the tables are in the shard
  /// folder, each with its `.keys`), the reports folder, the audit and the summary.
  public var outputs: [String: String]
  /// The tables, by role, whose rows the merge interleaves by their keys.
  public var tables: [String: String]
  /// What the merged run does not write, with how to get it.
  public var notWritten: [String] = []

  /// The manifest in a shard's output directory: `nil` when there is none (not a shard's
  /// output), or a problem when it cannot be used.
  static func read(in directory: String) -> Result<ShardManifest, ManifestProblem>? {
    let path = "\(directory)/\(OutputWriter.shardFolder)/\(fileName)"
    guard FileSystem.status(path, following: false)?.kind == .regular,
      let data = FileManager.default.contents(atPath: path)
    else { return nil }
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      object["format"] as? String == formatName, let version = object["version"] as? Int
    else { return .failure(ManifestProblem(path: path, message: "not a shard manifest")) }
    guard version == currentVersion else {
      return .failure(
        ManifestProblem(
          path: path,
          message:
            "shard format version \(version); this NeuroEndo merges version \(currentVersion) (run the shards and the merge with one release)"
        ))
    }
    do {
      return .success(try decoder.decode(ShardManifest.self, from: data))
    } catch {
      return .failure(ManifestProblem(path: path, message: "unreadable (\(error))"))
    }
  }

  /// The manifest as written: JSON with sorted keys and ISO 8601 dates.
  var json: String { JSONDocument.text(self) }
}

/// Why a shard's manifest cannot be used.
struct ManifestProblem: Error, Sendable, CustomStringConvertible {
  var path: String
  var message: String
  var description: String { "\(path): \(message)" }
}
