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
///
/// Sendable: its one stored property is a GRDB queue, which serializes every access.
public final class StateStore: Sendable {
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
    /// How the file was read (``Fingerprint/reading(_:input:)``); empty before v4.
    public var readKey = ""
  }

  private let database: DatabaseQueue

  /// The database file of the state in `directory`.
  public static func file(in directory: String) -> String {
    directory + "/" + databaseName
  }

  /// Opens the state in `directory`, checked, and brings its schema up to date (or, for
  /// tests of the migrations, only up to the migration `version`). A state that is not
  /// there yet is made, whole, under a temporary name and then moved into place, so that a
  /// kill never leaves a half-made database.
  ///
  /// - Throws: ``StateProblem`` when the file is empty, truncated, corrupt or not a
  ///   database, or was written by a newer NeuroEndo (its schema names migrations this
  ///   build does not know); other errors when the directory cannot be used.
  public init(directory: String, upTo version: String? = nil) throws {
    try FileModes.makeDirectory(directory)
    let path = Self.file(in: directory)
    switch FileSystem.lookUp(path, following: false) {
    case .failure(let failure):
      guard failure.isMissing else { throw OutputError(path: path, failure) }
      try Self.create(path, upTo: version)
    case .success(let status) where status.kind != .regular:
      throw StateProblem(
        file: path, kind: .damaged,
        detail: "it is not a regular file (a link or a directory is in its place)")
    case .success(let status) where status.bytes == 0:
      throw StateProblem(file: path, kind: .damaged, detail: "the file is empty (0 bytes)")
    case .success: break
    }
    var configuration = Configuration()
    configuration.busyMode = .timeout(10)
    do {
      database = try DatabaseQueue(path: path, configuration: configuration)
      try Self.check(database, path: path)
      if let version {
        try Self.migrator.migrate(database, upTo: version)
      } else {
        try Self.migrator.migrate(database)
      }
    } catch let problem as StateProblem {
      throw problem
    } catch let error as DatabaseError
      where error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB
    {
      throw StateProblem(file: path, kind: .damaged, detail: "\(error.message ?? "\(error)")")
    }
    // Other failures (busy, read-only, full, I/O) are not damage: they reach the run as
    // they are, and the state is left for the next run.
    // The state is NeuroEndo's: its folder and files take the modes of health data.
    FileSystem.setMode(directory, FileModes.directory)
    for suffix in ["", "-wal", "-shm", "-journal"] {
      FileSystem.setMode(path + suffix, FileModes.file)
    }
  }

  /// Makes a new state at `path`: written and migrated under a temporary name, synced,
  /// then renamed into place; owner-only (``FileModes``).
  private static func create(_ path: String, upTo version: String?) throws {
    let temporary = path + ".new"
    for suffix in ["", "-wal", "-shm", "-journal"] { FileSystem.remove(temporary + suffix) }
    switch FileSystem.open(
      temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, FileModes.file)
    {
    case .success(let descriptor):
      FileSystem.setMode(of: descriptor, FileModes.file)
      FileSystem.close(descriptor)
    case .failure(let failure): throw OutputError(path: temporary, failure)
    }
    do {
      let queue = try DatabaseQueue(path: temporary)
      if let version {
        try migrator.migrate(queue, upTo: version)
      } else {
        try migrator.migrate(queue)
      }
      try queue.close()
    }
    if case .success(let file) = FileSystem.open(temporary, O_RDONLY | O_CLOEXEC) {
      _ = FileSystem.sync(file)
      FileSystem.close(file)
    }
    if let failure = FileSystem.rename(temporary, path) { throw OutputError(path: path, failure) }
  }

  /// Refuses a database that SQLite finds damaged, or whose schema is newer than this
  /// build's.
  private static func check(_ database: DatabaseQueue, path: String) throws {
    try database.read { db in
      let result = try String.fetchAll(db, sql: "PRAGMA quick_check")
      guard result == ["ok"] else {
        throw StateProblem(
          file: path, kind: .damaged,
          detail: "SQLite's check failed: " + result.prefix(3).joined(separator: "; "))
      }
      let known = Set(migrator.migrations)
      let applied = try migrator.appliedIdentifiers(db)
      let unknown = applied.subtracting(known).sorted()
      if !unknown.isEmpty {
        throw StateProblem(
          file: path, kind: .newer,
          detail:
            "its schema has migrations this build (NeuroEndo \(NeuroEndoVersion.current), schema \(schemaVersion)) does not know: \(unknown.joined(separator: ", "))"
        )
      }
    }
  }

  /// Sets the state in `directory` aside for `neuroendo state rebuild`: the database (with
  /// its journal files) is renamed `<name>.damaged-<time>` beside it, never deleted, and
  /// the paths of the files its ledger had seen are read from it as far as it can be read.
  /// Takes the state's lock for the move.
  ///
  /// - Returns: the name the database was kept under (`nil` when there was none), and the
  ///   paths its ledger lists (`nil` when it could not be read).
  public static func setAside(directory: String, at time: Date = Date()) throws -> (
    kept: String?, seen: [String]?
  ) {
    try FileModes.makeDirectory(directory)
    let lock = try DirectoryLock(directory: directory)
    defer { withExtendedLifetime(lock) {} }
    let path = file(in: directory)
    guard let status = FileSystem.status(path, following: false) else { return (nil, []) }
    var seen: [String]?
    if status.kind == .regular, status.bytes > 0 {
      var configuration = Configuration()
      configuration.readonly = true
      seen = try? DatabaseQueue(path: path, configuration: configuration).read { db in
        try String.fetchAll(db, sql: "SELECT path FROM inputFile ORDER BY path")
      }
    }
    let stamp = LocalDateTime.iso(time).replacingOccurrences(of: ":", with: "")
    let kept = path + ".damaged-" + stamp
    for suffix in ["", "-wal", "-shm", "-journal"] where FileSystem.exists(path + suffix) {
      if let failure = FileSystem.rename(path + suffix, kept + suffix) {
        throw OutputError(path: path + suffix, failure)
      }
    }
    return (kept, seen)
  }

  /// The newest migration this build knows: the state's schema version.
  public static var schemaVersion: String { migrator.migrations.last ?? "" }

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
    migrator.registerMigration("v4: publication") { db in
      // How each file was read (its input's format, profile and read settings): a file
      // read another way is read again.
      try db.alter(table: "inputFile") { table in
        table.add(column: "readKey", .text).notNull().defaults(to: "")
      }
      // `generation` counts changes to the files' data; the last publication records the
      // generation, the run and the analysis fingerprint it was made from.
      try db.create(table: "meta") { table in
        table.primaryKey("key", .text)
        table.column("value", .text).notNull()
      }
    }
    return migrator
  }

  /// The run that first reported each finding, by ``Finding/identity``: a run that
  /// published it before, or `run` for a finding new in this run. Reads only: a run records
  /// its findings once its outputs are published (``record(normalized:days:findings:run:publication:)``),
  /// so a run stopped before then never counts as having reported one.
  public func firstReported(_ findings: [Finding], run: String) throws -> [String: String] {
    try database.read { db in
      var first: [String: String] = [:]
      for finding in findings {
        let key = finding.identity
        first[key] =
          try String.fetchOne(
            db, sql: "SELECT firstRun FROM finding WHERE key = ?", arguments: [key])
          ?? run
      }
      return first
    }
  }

  /// Keeps a published run's results, with the publication, in one transaction: the
  /// normalized samples and features it made (replacing the previous run's, as they are made
  /// from all the data), and its findings, each with the run that first reported it.
  /// Returns the first run of each finding, by ``Finding/identity``.
  @discardableResult
  public func record(
    normalized: [NormalizedSample], days: [SubjectDayFeatures], findings: [Finding], run: String,
    publication: Publication? = nil
  ) throws -> [String: String] {
    let encoder = JSONLines.makeEncoder()
    return try database.write { db in
      if let publication { try Self.write(publication, db) }
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
      try Self.advance(db)
    }
  }

  /// Counts a change to the files' data, in the transaction that makes it: outputs
  /// published from an older generation are out of date.
  private static func advance(_ db: Database) throws {
    try db.execute(
      sql: """
        INSERT INTO meta (key, value) VALUES ('generation', '1')
        ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)
        """)
  }

  /// The generation of the files' data: how many changes were recorded.
  public func generation() throws -> Int {
    try database.read { db in
      Int(try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'generation'") ?? "")
        ?? 0
    }
  }

  /// What the last publication was made from: the generation of the data, the analysis
  /// fingerprint (``Fingerprint/analysis(_:)``) and the run that published it.
  public struct Publication: Sendable, Hashable {
    public var generation: Int
    public var fingerprint: String
    public var run: String
  }

  /// The last publication recorded, when there was one.
  public func publication() throws -> Publication? {
    try database.read { db in
      let rows = try Row.fetchAll(
        db, sql: "SELECT key, value FROM meta WHERE key LIKE 'published.%'")
      var values: [String: String] = [:]
      for row in rows { values[row["key"]] = row["value"] }
      guard let generation = values["published.generation"].flatMap({ Int($0) }),
        let fingerprint = values["published.fingerprint"], let run = values["published.run"]
      else { return nil }
      return Publication(generation: generation, fingerprint: fingerprint, run: run)
    }
  }

  /// Records that a run published the outputs of `publication`, in the transaction that
  /// keeps its results (``record(normalized:days:findings:run:publication:)``), after the
  /// outputs are in place: a run killed before never counts as published.
  private static func write(_ publication: Publication, _ db: Database) throws {
    for (key, value) in [
      ("published.generation", String(publication.generation)),
      ("published.fingerprint", publication.fingerprint), ("published.run", publication.run),
    ] {
      try db.execute(
        sql: """
          INSERT INTO meta (key, value) VALUES (?, ?)
          ON CONFLICT(key) DO UPDATE SET value = excluded.value
          """, arguments: [key, value])
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
          summary: summary, readKey: row["readKey"])
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
          INSERT INTO inputFile
            (path, input, bytes, sha256, firstSeen, lastSeen, outcome, summary, readKey)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
          ON CONFLICT(path) DO UPDATE SET input = excluded.input, bytes = excluded.bytes,
            sha256 = excluded.sha256, lastSeen = excluded.lastSeen, outcome = excluded.outcome,
            summary = excluded.summary, readKey = excluded.readKey
          """,
        arguments: [
          entry.path, entry.input, entry.bytes, entry.sha256, entry.firstSeen, entry.lastSeen,
          entry.outcome, summary, entry.readKey,
        ])
      try Self.advance(db)
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
    guard !paths.isEmpty else { return }
    try database.write { db in
      if outcome != nil { try Self.advance(db) }
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

/// A state database that cannot be used as it is: damaged (empty, truncated, corrupt, not
/// a database) or written by a newer NeuroEndo. Never recreated silently: the message says
/// how to recover.
public struct StateProblem: Error, Sendable, Hashable, CustomStringConvertible {
  public enum Kind: String, Sendable, Hashable {
    case damaged, newer, missing
  }
  /// The database file.
  public var file: String
  public var kind: Kind
  /// What is wrong, in words.
  public var detail: String

  public var description: String {
    switch kind {
    case .damaged:
      "the state \(file) is damaged: \(detail). Nothing was read or written. To recover: neuroendo state rebuild PIPELINE keeps the damaged file beside it (.damaged-<time>), lists the files it had seen that are no longer in the inbox (their data cannot be recovered), and rebuilds from the inputs present (documentation: the ScaleOut article, \"When the state is damaged\")"
    case .missing:
      "the state \(file) is missing, but \(detail). Nothing was read or written. Restore the state directory (an unmounted share?), or run neuroendo state rebuild PIPELINE to start a new one from the inputs present (the data of files no longer in the inbox are then lost)"
    case .newer:
      "the state \(file) was written by a newer NeuroEndo: \(detail). Nothing was read or written: run that version, or neuroendo state rebuild PIPELINE to start a new state from the inputs present (the old one is kept beside it)"
    }
  }
}
