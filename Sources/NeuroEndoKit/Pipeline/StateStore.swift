import Foundation
import GRDB

/// The state of incremental runs (pipeline key `state: DIR`): a SQLite database (GRDB) with a
/// ledger of every input file seen — path, size, SHA-256, first and last seen, outcome and
/// the reader's counts — and, per file, the samples and rejections its latest content gave.
///
/// An unchanged file is not read again; a changed one is read and its earlier samples are
/// replaced, in one transaction with its ledger row; a file that vanished keeps its data.
/// So the tables a run writes equal those of a full run over the latest content of every
/// file seen. The schema is versioned with GRDB's migrator.
public final class StateStore {
  /// The database file inside the state directory.
  public static let databaseName = "neuroendo-state.sqlite"

  /// One ledger row.
  public struct Entry: Sendable, Hashable {
    public var path: String
    public var input: Int
    public var bytes: Int
    public var sha256: String
    public var firstSeen: String
    public var lastSeen: String
    /// `read`, `quarantined` (could not be read; retried when its content changes) or
    /// `vanished` (gone from the inbox; its data kept).
    public var outcome: String
    public var summary: FileReadSummary
  }

  private let database: DatabaseQueue

  /// Opens (or creates) the state in `directory` and brings its schema up to date (or, for
  /// tests of the migrations, only up to the migration `version`).
  public init(directory: String, upTo version: String? = nil) throws {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    database = try DatabaseQueue(path: directory + "/" + Self.databaseName)
    if let version {
      try Self.migrator.migrate(database, upTo: version)
    } else {
      try Self.migrator.migrate(database)
    }
  }

  /// Whether the database has a table (tests of the migrations).
  func hasTable(_ name: String) throws -> Bool {
    try database.read { try $0.tableExists(name) }
  }

  /// The schema, version by version; a database of an older version is migrated on open.
  static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("v1: ledger and file data") { db in
      try db.create(table: "inputFile") { table in
        table.primaryKey("path", .text)
        table.column("input", .integer).notNull()
        table.column("bytes", .integer).notNull()
        table.column("sha256", .text).notNull()
        table.column("firstSeen", .text).notNull()
        table.column("lastSeen", .text).notNull()
        table.column("outcome", .text).notNull()
        table.column("summary", .blob).notNull()
      }
      try db.create(table: "fileData") { table in
        table.primaryKey("path", .text).references("inputFile", onDelete: .cascade)
        table.column("samples", .blob).notNull()
        table.column("rejections", .blob).notNull()
      }
    }
    migrator.registerMigration("v2: runs") { db in
      try db.create(table: "run") { table in
        table.primaryKey("id", .text)
        table.column("started", .text).notNull()
        table.column("newFiles", .integer).notNull()
        table.column("changedFiles", .integer).notNull()
        table.column("vanishedFiles", .integer).notNull()
      }
    }
    migrator.registerMigration("v3: results") { db in
      try db.create(table: "normalizedSample") { table in
        table.column("subject", .text).notNull().indexed()
        table.column("json", .blob).notNull()
      }
      try db.create(table: "feature") { table in
        table.column("subject", .text).notNull()
        table.column("day", .integer).notNull()
        table.column("json", .blob).notNull()
        table.primaryKey(["subject", "day"])
      }
      try db.create(table: "finding") { table in
        table.primaryKey("key", .text)
        table.column("subject", .text).notNull().indexed()
        table.column("analyzer", .text).notNull()
        table.column("pattern", .text).notNull()
        table.column("time", .text)
        table.column("firstRun", .text).notNull()
        table.column("lastRun", .text).notNull()
        table.column("json", .blob).notNull()
      }
    }
    return migrator
  }

  /// Keeps a run's results: the normalized samples and features it made (replacing the
  /// previous run's, as they are made from all the data), and its findings, each with the
  /// run that first reported it. Returns the first run of each finding, by ``Finding/identity``.
  @discardableResult
  public func record(
    normalized: [NormalizedSample], days: [SubjectDayFeatures], findings: [Finding], run: String
  ) throws -> [String: String] {
    let encoder = JSONLines.makeEncoder()
    return try database.write { db in
      try db.execute(sql: "DELETE FROM normalizedSample")
      for sample in normalized {
        try db.execute(
          sql: "INSERT INTO normalizedSample (subject, json) VALUES (?, ?)",
          arguments: [sample.sample.subjectID, try encoder.encode(sample)])
      }
      try db.execute(sql: "DELETE FROM feature")
      for day in days {
        try db.execute(
          sql: "INSERT INTO feature (subject, day, json) VALUES (?, ?, ?)",
          arguments: [
            day.subjectID, day.day, Data(FeatureTables.row(day).joined(separator: "\t").utf8),
          ])
      }
      var first: [String: String] = [:]
      for finding in findings {
        let key = finding.identity
        try db.execute(
          sql: """
            INSERT INTO finding (key, subject, analyzer, pattern, time, firstRun, lastRun, json)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(key) DO UPDATE SET lastRun = excluded.lastRun, json = excluded.json
            """,
          arguments: [
            key, finding.subjectID, finding.analyzer, finding.pattern, finding.time?.description,
            run, run, try encoder.encode(finding),
          ])
        first[key] = try String.fetchOne(
          db, sql: "SELECT firstRun FROM finding WHERE key = ?", arguments: [key])
      }
      return first
    }
  }

  /// How many rows a table holds (tests).
  func count(_ table: String) throws -> Int {
    try database.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
  }

  /// Forgets every file (`neuroendo run --rebuild`): the next run reads the inputs still
  /// present as new; the runs recorded stay.
  public func reset() throws {
    try database.write { db in
      try db.execute(sql: "DELETE FROM fileData")
      try db.execute(sql: "DELETE FROM inputFile")
    }
  }

  /// Every ledger row, by path.
  public func entries() throws -> [String: Entry] {
    try database.read { db in
      var entries: [String: Entry] = [:]
      for row in try Row.fetchAll(db, sql: "SELECT * FROM inputFile") {
        let summary = try JSONDecoder().decode(
          FileReadSummary.self, from: row["summary"] as Data)
        let entry = Entry(
          path: row["path"], input: row["input"], bytes: row["bytes"], sha256: row["sha256"],
          firstSeen: row["firstSeen"], lastSeen: row["lastSeen"], outcome: row["outcome"],
          summary: summary)
        entries[entry.path] = entry
      }
      return entries
    }
  }

  /// The samples and rejections the file's latest content gave.
  public func data(of path: String) throws -> (samples: [Sample], rejections: [Rejection]) {
    try database.read { db in
      guard
        let row = try Row.fetchOne(
          db, sql: "SELECT samples, rejections FROM fileData WHERE path = ?", arguments: [path])
      else { return ([], []) }
      return (try Self.decode(row["samples"]), try Self.decode(row["rejections"]))
    }
  }

  /// Records a file read (or quarantined) with what it gave, replacing its earlier data, in
  /// one transaction.
  public func record(_ entry: Entry, samples: [Sample], rejections: [Rejection]) throws {
    let encoder = JSONLines.makeEncoder()
    let summary = try encoder.encode(entry.summary)
    let sampleLines = Data(samples.map { JSONLines.line($0, encoder: encoder) }.joined().utf8)
    let rejectionLines = Data(
      rejections.map { JSONLines.line($0, encoder: encoder) }.joined().utf8)
    try database.write { db in
      try db.execute(
        sql: """
          INSERT INTO inputFile (path, input, bytes, sha256, firstSeen, lastSeen, outcome, summary)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?)
          ON CONFLICT(path) DO UPDATE SET input = excluded.input, bytes = excluded.bytes,
            sha256 = excluded.sha256, lastSeen = excluded.lastSeen, outcome = excluded.outcome,
            summary = excluded.summary
          """,
        arguments: [
          entry.path, entry.input, entry.bytes, entry.sha256, entry.firstSeen, entry.lastSeen,
          entry.outcome, summary,
        ])
      try db.execute(
        sql: """
          INSERT INTO fileData (path, samples, rejections) VALUES (?, ?, ?)
          ON CONFLICT(path) DO UPDATE SET samples = excluded.samples,
            rejections = excluded.rejections
          """, arguments: [entry.path, sampleLines, rejectionLines])
    }
  }

  /// Marks files seen again (unchanged) or vanished, without touching their data.
  public func mark(_ paths: [String], outcome: String?, seen: String) throws {
    try database.write { db in
      for path in paths {
        if let outcome {
          try db.execute(
            sql: "UPDATE inputFile SET outcome = ? WHERE path = ?", arguments: [outcome, path])
        } else {
          try db.execute(
            sql: "UPDATE inputFile SET lastSeen = ? WHERE path = ?", arguments: [seen, path])
        }
      }
    }
  }

  /// Records a run and what it found.
  public func recordRun(id: String, started: String, new: Int, changed: Int, vanished: Int)
    throws
  {
    try database.write { db in
      try db.execute(
        sql:
          "INSERT OR REPLACE INTO run (id, started, newFiles, changedFiles, vanishedFiles) VALUES (?, ?, ?, ?, ?)",
        arguments: [id, started, new, changed, vanished])
    }
  }

  /// The start of the last run recorded, when there is one.
  public func lastRun() throws -> String? {
    try database.read { db in
      try String.fetchOne(db, sql: "SELECT started FROM run ORDER BY started DESC LIMIT 1")
    }
  }

  private static func decode<Value: Decodable>(_ data: Data) throws -> [Value] {
    let decoder = JSONDecoder()
    return try data.split(separator: UInt8(ascii: "\n")).map {
      try decoder.decode(Value.self, from: Data($0))
    }
  }
}
