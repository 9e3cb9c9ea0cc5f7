import Foundation

/// A pipeline definition: which exports to read with which profiles, and where results go.
///
/// Pipelines are YAML files in `Pipelines/` (format and every key: the Configuration article). Paths in them are
/// relative to the pipeline file.
public struct Pipeline: Sendable {
  /// The pipeline format version this build reads.
  public static let version = 1

  /// One input: a file, or a directory with a glob (``InputSource``).
  public typealias Input = InputSource

  /// Where results are written.
  public struct Outputs: Sendable {
    /// The folder of a shard's keys and cohort inputs, inside the output directory.
    static let shardFolder = "shard"

    /// The output directory, resolved against the pipeline file.
    public var directory: String

    /// The name of every output a run may write, the shard folder included.
    public var names: [String] {
      [
        summary, samples, rejections, normalized, normalizedJSON, featuresSubjectDay,
        featuresSubject, featuresResponse, findings, findingsJSON, reports, audit,
        auditMarkdown, Outputs.shardFolder,
      ]
    }
    /// The run summary file name (JSON).
    public var summary: String = "run-summary.json"
    /// The samples as read (CSV), before any normalization. A copy of the inputs in one
    /// shape, as large as they are: written only when ``writeSamples`` is set.
    public var samples: String = "samples.csv"
    /// Whether the samples as read are written (`outputs.samples` in a pipeline, or
    /// `--all-tables`).
    public var writeSamples = false
    /// The rejections file name (CSV): every rejected value with location and reason.
    public var rejections: String = "rejections.csv"
    /// The normalized samples (CSV): canonical units, placed times, circadian position,
    /// flags. An intermediate table as large as the inputs: written only when
    /// ``writeNormalized`` is set.
    public var normalized: String = "normalized-samples.csv"
    /// Whether the normalized samples are written (`outputs.normalized` in a pipeline, or
    /// `--all-tables`).
    public var writeNormalized = false
    /// The normalized samples as NDJSON, one JSON object per sample (the whole sample as
    /// read, flag messages): written only when ``writeNormalizedJSON`` is set.
    public var normalizedJSON: String = "normalized-samples.ndjson"
    /// Whether the NDJSON copy of the normalized samples is written
    /// (`outputs.normalized_ndjson` in a pipeline, or `--all-tables`).
    public var writeNormalizedJSON = false
    /// The cortisol rhythm features per subject-day (CSV).
    public var featuresSubjectDay: String = "features-subject-day.csv"
    /// The flattened-slope verdict per subject (CSV).
    public var featuresSubject: String = "features-subject.csv"
    /// The response features per subject (CSV).
    public var featuresResponse: String = "features-response.csv"
    /// The feedback findings (CSV).
    public var findings: String = "findings.csv"
    /// The feedback findings as NDJSON, a copy of `findings.csv` for programs: written only
    /// when ``writeFindingsJSON`` is set.
    public var findingsJSON: String = "findings.ndjson"
    /// Whether the NDJSON copy of the findings is written (`outputs.findings_ndjson` in a
    /// pipeline, or `--all-tables`).
    public var writeFindingsJSON = false
    /// The folder of the reports: `patients/<subject>.{html,md,json}` inside it.
    public var reports: String = "reports"
    /// The data-quality audit, as JSON and Markdown.
    public var audit: String = "audit.json"
    public var auditMarkdown: String = "audit.md"

    /// Creates outputs in a directory.
    public init(directory: String) { self.directory = directory }

    /// Writes the intermediate tables too: the samples as read, the normalized samples and
    /// the NDJSON copies (`--all-tables`).
    public mutating func writeAllTables() {
      for key in Self.intermediates { setIntermediate(key, true) }
    }

    /// The `outputs:` keys of the intermediate tables, written when named or `true`.
    static let intermediates = ["samples", "normalized", "normalized_ndjson", "findings_ndjson"]

    mutating func setIntermediate(_ key: String, _ enabled: Bool) {
      switch key {
      case "samples": writeSamples = enabled
      case "normalized": writeNormalized = enabled
      case "normalized_ndjson": writeNormalizedJSON = enabled
      default: writeFindingsJSON = enabled
      }
    }

    /// What this run leaves out that a reader may want, each with how to get it, for the
    /// run's last line.
    func notWritten(patientReports: Bool, pipelineFile: String?) -> [String] {
      var missing: [String] = []
      if !patientReports {
        // A pipeline file's run can have some patients' pages later; exports named on the
        // command line, with --patient-reports.
        missing.append(
          pipelineFile.map {
            "patient pages (--patient-reports, or neuroendo report \($0) SUBJECT... --out DIR)"
          } ?? "patient pages (--patient-reports)")
      }
      let tables = [
        (writeSamples, samples), (writeNormalized, normalized),
        (writeNormalizedJSON, normalizedJSON), (writeFindingsJSON, findingsJSON),
      ].filter { !$0.0 }.map(\.1)
      if !tables.isEmpty {
        missing.append("\(tables.joined(separator: ", ")) (--all-tables)")
      }
      return missing
    }
  }

  /// The pipeline's name.
  public var name: String
  /// The file it was read from, when it was.
  public var file: String?
  /// The inputs, read in order.
  public var inputs: [Input]
  /// The outputs.
  public var outputs: Outputs
  /// Settings of the normalizer stage (`settings.normalize`).
  public var normalizer: NormalizerSettings
  /// How inboxes are read (`settings.read`).
  public var reading = ReadSettings()
  /// The state directory of incremental runs (`state:`), when the pipeline has one.
  public var state: String?
  /// Whether what a run creates is readable by the owner's group (`settings.run.group_read`,
  /// default `false`: files 0600 and directories 0700; `true`: 0640 and 0750).
  public var groupReadable = false
  /// Settings of earlier versions that no longer do anything, for the run's notes.
  public var retiredSettings: [String] = []
  /// Whether each patient's report is written (`settings.reports.patients`, default `true`);
  /// the cohort report is written either way. A research cohort of thousands of subjects
  /// may want only the tables and the cohort report (`--no-patient-reports`).
  public var patientReports = false
  /// A sleep diary of waking times (`settings.normalize.wake_diary`), when there is one.
  public var wakeDiary: (path: String, profile: CSVProfile)?
  /// Settings of the analyzers (`settings.analyze`).
  public var analyzers = AnalyzerSettings()
  /// Subject ids replaced by pseudonyms as the samples are read
  /// (`--pseudonymize-key-file`): no output holds a real id. `nil`: ids as exported. Part
  /// of the definition, not of the run's plan: like a setting it changes every output (its
  /// fingerprint is in ``Fingerprint``), where a shard or partitions change only how a run
  /// runs (``RunPlan``).
  public var pseudonymizer: Pseudonymizer?
  /// The most samples a run holds in memory at once (`settings.run.partition_samples`,
  /// default 50,000): a run over more is run in partitions, ranges of subjects, as many at
  /// once as there are cores, together within it.
  /// 0: always all at once. Shard runs are always run whole; a night with `state:` over
  /// more runs in partitions from its ledger (`--partitions` is refused with `state:`).
  public var partitionSamples = Pipeline.defaultPartitionSamples
  /// The default of ``partitionSamples``: partitions of 25,000 samples on two cores (a
  /// 900,000-sample run holds about 80 MB at most).
  public static let defaultPartitionSamples = 50_000

  /// Creates a pipeline.
  public init(
    name: String, file: String? = nil, inputs: [Input], outputs: Outputs,
    normalizer: NormalizerSettings = NormalizerSettings()
  ) {
    self.name = name
    self.file = file
    self.inputs = inputs
    self.outputs = outputs
    self.normalizer = normalizer
  }

  /// Inputs and the wake diary whose paths do not exist now, one line each. A run reports
  /// them as input problems (exit 1); `neuroendo validate` shows them as warnings.
  public var absentPaths: [String] {
    var absent = inputs.filter { !FileManager.default.fileExists(atPath: $0.path) }.map {
      "input '\($0.name)': \($0.path) does not exist"
    }
    if let diary = wakeDiary, !FileManager.default.fileExists(atPath: diary.path) {
      absent.append("wake diary: \(diary.path) does not exist")
    }
    return absent
  }
}

extension Pipeline {
  /// A pipeline over files named on the command line (`neuroendo analyze`): every file read
  /// with the same format and profile, every output in `outputDirectory`.
  ///
  /// - Parameters:
  ///   - files: files or directories (all files in a directory are read).
  ///   - format: the files' format, or `nil` to guess it from each name.
  ///   - profile: the profile, or `nil` to recognise the built-in layouts.
  ///   - outputDirectory: where every output goes.
  ///   - settings: a pipeline whose normalizer and analyzer settings (and wake diary) to use.
  public static func adHoc(
    files: [String], format: InputFormat?, profile: CSVProfile?, outputDirectory: String,
    settings: Pipeline? = nil
  ) -> Pipeline {
    var pipeline = Pipeline(
      name: "analyze",
      inputs: files.map { Input(name: $0, path: $0, format: format, profile: profile) },
      outputs: Outputs(directory: outputDirectory),
      normalizer: settings?.normalizer ?? NormalizerSettings())
    pipeline.analyzers = settings?.analyzers ?? AnalyzerSettings()
    pipeline.wakeDiary = settings?.wakeDiary
    pipeline.reading = settings?.reading ?? ReadSettings()
    pipeline.patientReports = settings?.patientReports ?? false
    pipeline.partitionSamples = settings?.partitionSamples ?? pipeline.partitionSamples
    pipeline.groupReadable = settings?.groupReadable ?? false
    return pipeline
  }

  /// Files that two inputs would both read (the same file by its real path, links
  /// followed), each with the two inputs: one file, one reader, so a pipeline with any is
  /// refused (`validate`, `run`, `analyze`: exit 64) until an input's `exclude:` or `glob:`
  /// leaves it to one.
  public func filesReadTwice() -> [String] {
    var firstReader: [String: String] = [:]
    var problems: [String] = []
    for input in inputs {
      guard case .success(let entries) = InputCatalogue.entries(of: input, reading: reading) else {
        continue
      }
      for file in entries.files {
        let real = InputCatalogue.canonical(file)
        if let other = firstReader[real] {
          problems.append(
            "\(real) is matched by input '\(other)' and by input '\(input.name)': one file, one reader; give one of them an exclude: pattern (or a narrower glob:)"
          )
        } else {
          firstReader[real] = input.name
        }
      }
    }
    return problems
  }

  /// Why writing to `outputDirectory` (the pipeline's own when `nil`) could touch an input:
  /// an input (or the wake diary) that lies inside the output directory, or an output file
  /// that is an input. Inputs are never written; a run with any of these writes nothing.
  public func inputOutputOverlaps(outputDirectory: String? = nil) -> [String] {
    let directory = InputCatalogue.canonical(outputDirectory ?? outputs.directory)
    let files = Set(outputs.names.map { InputCatalogue.canonical(directory + "/" + $0) })
    var inputs = self.inputs.map { ($0.name, $0.path) }
    if let diary = wakeDiary { inputs.append(("wake diary", diary.path)) }
    var overlaps: [String] = []
    if let state {
      let stateDirectory = InputCatalogue.canonical(state)
      if stateDirectory == directory {
        overlaps.append("the state directory \(stateDirectory) is the output directory")
      } else if stateDirectory.hasPrefix(directory.hasSuffix("/") ? directory : directory + "/") {
        overlaps.append(
          "the state directory \(stateDirectory) lies inside the output directory \(directory): publishing would replace it"
        )
      }
      for (name, path) in inputs {
        let input = InputCatalogue.canonical(path)
        if input == stateDirectory || input.hasPrefix(stateDirectory + "/") {
          overlaps.append(
            "input '\(name)' (\(input)) lies inside the state directory \(stateDirectory)")
        }
      }
    }
    for (name, path) in inputs {
      let input = InputCatalogue.canonical(path)
      if files.contains(input) {
        overlaps.append("output file \(input) is the input '\(name)'; inputs are never written")
      } else if input == directory
        || input.hasPrefix(directory.hasSuffix("/") ? directory : directory + "/")
      {
        overlaps.append(
          "input '\(name)' (\(input)) lies inside the output directory \(directory): a run would read its own outputs or replace an input"
        )
      }
    }
    return overlaps
  }

}

/// Loads pipeline files and the profiles they name, reporting every mistake with line and key.
public enum PipelineLoader {
  private static let keys = [
    "version", "name", "description", "state", "inputs", "settings", "outputs",
  ]

  /// Loads and checks a pipeline file and every profile it names.
  ///
  /// - Throws: ``ConfigIssues`` with every mistake found in the pipeline and its profiles.
  public static func load(file path: String) throws(ConfigIssues) -> Pipeline {
    try parse(ConfigReader.text(of: path, what: "pipeline"), file: path)
  }

  /// Parses pipeline YAML; relative paths resolve against the directory of `file`.
  public static func parse(_ text: String, file: String) throws(ConfigIssues) -> Pipeline {
    let reader = ConfigReader(file: file)
    var profileIssues: [ConfigIssue] = []
    var pipeline: Pipeline?
    if let root = reader.root(text) {
      pipeline = Self.pipeline(root, profileIssues: &profileIssues)
    }
    let all = reader.issues + profileIssues
    if !all.isEmpty { throw ConfigIssues(all) }
    return pipeline!
  }

  private static func pipeline(_ root: ConfigNode, profileIssues: inout [ConfigIssue]) -> Pipeline?
  {
    guard let map = root.mapping(allowed: keys) else { return nil }
    if let version = map.required("version"), let number = version.int(), number != Pipeline.version
    {
      version.report("this build reads pipeline version \(Pipeline.version), not \(number)")
    }
    let file = root.reader.file
    let base = URL(fileURLWithPath: file).deletingLastPathComponent()
    let name =
      map["name"]?.string() ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
    _ = map["description"]?.string()
    // Each stage has its key under settings; analyzers add theirs.
    var normalizer = NormalizerSettings()
    var wakeDiary: (path: String, profile: CSVProfile)?
    var analyzers = AnalyzerSettings()
    let settings = map["settings"]?.mapping(allowed: [
      "read", "normalize", "analyze", "reports", "run",
    ])
    var partitionSamples = Pipeline.defaultPartitionSamples
    var groupReadable = false
    let run = settings?["run"]?.mapping(allowed: ["partition_samples", "group_read"])
    if let entry = run?["partition_samples"], let samples = entry.int() {
      if samples >= 0 {
        partitionSamples = samples
      } else {
        entry.report("expected a number of samples, 0 or more (0: never in partitions)")
      }
    }
    if let entry = run?["group_read"], let value = entry.bool() { groupReadable = value }
    var retired: [String] = []
    var patientReports = false
    let reports = settings?["reports"]?.mapping(allowed: ["rewrite", "patients"])
    if let entry = reports?["rewrite"], let text = entry.string() {
      switch text {
      case "touched", "all":
        retired.append(
          "settings.reports.rewrite is no longer used: every run writes every patient's report from its own data (a run never reads its published outputs back); the key can go"
        )
      default: entry.report("'\(text)' is not one of: touched, all")
      }
    }
    if let entry = reports?["patients"], let write = entry.bool() { patientReports = write }
    var reading = ReadSettings()
    if let read = settings?["read"]?.mapping(allowed: ["max_file_bytes", "follow_links"]) {
      if let entry = read["max_file_bytes"], let bytes = entry.int() {
        if bytes > 0 {
          reading.maxFileBytes = bytes
        } else {
          entry.report("expected bytes above 0")
        }
      }
      if let policy = read["follow_links"]?.choice(ReadSettings.LinkPolicy.self) {
        reading.followLinks = policy
      }
    }
    if let analyze = settings?["analyze"] { analyzers = AnalyzerSettingsLoader.settings(analyze) }
    if let normalize = settings?["normalize"] {
      normalizer = normalizerSettings(normalize)
      if case .mapping = normalize.node, let diaryNode = normalize.node["wake_diary"] {
        let entry = ConfigNode(
          reader: root.reader, node: diaryNode, path: normalize.child("wake_diary"))
        wakeDiary = diarySettings(entry, base: base, profileIssues: &profileIssues)
      }
    }
    var inputs: [Pipeline.Input] = []
    for node in map.required("inputs")?.sequence() ?? [] {
      if let input = input(node, base: base, profileIssues: &profileIssues) { inputs.append(input) }
    }
    if let node = map["inputs"], case .sequence(let list) = node.node, list.isEmpty {
      node.report("list at least one input")
    }
    guard let outputs = map.required("outputs").flatMap({ outputs($0, base: base) }) else {
      return nil
    }
    var pipeline = Pipeline(
      name: name, file: file, inputs: inputs, outputs: outputs, normalizer: normalizer)
    pipeline.wakeDiary = wakeDiary
    pipeline.analyzers = analyzers
    pipeline.reading = reading
    pipeline.groupReadable = groupReadable
    pipeline.retiredSettings = retired
    pipeline.patientReports = patientReports
    pipeline.partitionSamples = partitionSamples
    if let node = map["state"], let path = node.string() {
      pipeline.state = resolve(path, against: base)
    }
    return pipeline
  }

  private static func diarySettings(
    _ node: ConfigNode, base: URL, profileIssues: inout [ConfigIssue]
  ) -> (path: String, profile: CSVProfile)? {
    guard let map = node.mapping(allowed: ["path", "profile"]),
      let pathNode = map.required("path"), let path = pathNode.string()
    else { return nil }
    // A diary that is missing now is an input problem of the run (exit 1), not a mistake
    // of the file: see ``Pipeline/absentPaths``.
    let resolved = resolve(path, against: base)
    var profile = CSVProfile(name: "built-in diary", shape: .diary)
    if let profileNode = map["profile"], let name = profileNode.string() {
      do throws(ConfigIssues) {
        profile = try ProfileLoader.load(file: resolve(name, against: base))
        if profile.shape != .diary { profileNode.report("the profile's shape must be 'diary'") }
      } catch {
        profileNode.report("profile '\(name)' has mistakes (listed below)")
        profileIssues += error.issues
      }
    }
    return (resolved, profile)
  }

  private static func screenSettings(_ node: ConfigNode) -> ScreenSettings {
    var screens = ScreenSettings()
    let keys = [
      "waking_delay_minutes", "waking_adherence_minutes", "car_schedule_minutes",
      "car_tolerance_minutes", "unit_mixup_ratio", "unit_mixup_window_minutes", "limits",
      "min_minutes_since_waking", "unit_mixup_days", "impossible_above",
    ]
    guard let map = node.mapping(allowed: keys) else { return screens }
    func numbers(_ key: String) -> [Double]? {
      guard let list = map[key]?.sequence() else { return nil }
      let values = list.compactMap { $0.double() }
      return values.count == list.count ? values : nil
    }
    if let bins = numbers("waking_delay_minutes") {
      if bins.count == 3 && bins == bins.sorted() && bins[0] >= 0 {
        screens.wakingDelayBins = bins
      } else {
        map["waking_delay_minutes"]!.report(
          "expected three rising bounds of 0 minutes or more, e.g. [3, 6, 15]")
      }
    }
    let minutes = "expected minutes, 0 or more"
    if let value = map["waking_adherence_minutes"]?.double(in: 0..., minutes) {
      screens.wakingAdherence = value
    }
    if let schedule = numbers("car_schedule_minutes") { screens.carSchedule = schedule }
    if let value = map["car_tolerance_minutes"]?.double(in: 0..., minutes) {
      screens.carTolerance = value
    }
    if let value = map["unit_mixup_ratio"]?.double(
      in: 1..., strictly: true, "expected a ratio above 1")
    {
      screens.unitMixupRatio = value
    }
    if let value = map["unit_mixup_window_minutes"]?.double(in: 0..., minutes) {
      screens.unitMixupWindow = value
    }
    if let value = map["min_minutes_since_waking"]?.double() {
      screens.minimumMinutesSinceWaking = value
    }
    if let value = map["unit_mixup_days"]?.double(in: 0..., "expected days, 0 or more") {
      screens.unitMixupDays = value
    }
    if let bounds = map["impossible_above"] {
      // Single entries change; the others keep their published defaults.
      if case .mapping(let mapping) = bounds.node {
        for (key, value) in mapping {
          let name = key.string ?? "\(key)"
          let entry = ConfigNode(reader: bounds.reader, node: value, path: bounds.child(name))
          guard screens.impossibleAbove[name] != nil else {
            entry.report("expected analyte/specimen, e.g. cortisol/serum")
            continue
          }
          if let bound = entry.double(in: 0..., strictly: true, "expected a concentration above 0")
          {
            screens.impossibleAbove[name] = bound
          }
        }
      } else {
        bounds.report("expected a mapping of analyte/specimen to an upper bound")
      }
    }
    if let limits = map["limits"] {
      guard case .mapping(let mapping) = limits.node else {
        limits.report("expected a mapping of analyte/specimen to limits")
        return screens
      }
      screens.limits = [:]
      for (key, value) in mapping {
        let name = key.string ?? "\(key)"
        let entry = ConfigNode(reader: limits.reader, node: value, path: limits.child(name))
        let parts = name.split(separator: "/").map(String.init)
        guard parts.count == 2, Analyte(rawValue: parts[0]) != nil,
          Specimen(rawValue: parts[1]) != nil
        else {
          entry.report("expected analyte/specimen, e.g. cortisol/saliva")
          continue
        }
        guard let fields = entry.mapping(allowed: ["detection", "plausible", "outlier_above"])
        else {
          continue
        }
        var limit = ScreenSettings.Limits()
        let positive = "expected a concentration above 0"
        limit.detection = fields["detection"]?.double(in: 0..., strictly: true, positive)
        limit.outlierAbove = fields["outlier_above"]?.double(in: 0..., strictly: true, positive)
        limit.plausible = fields["plausible"]?.closedRange(expected: "expected [low, high]")
        if let plausible = limit.plausible, plausible.lowerBound < 0 {
          fields["plausible"]!.report("expected [low, high] with low 0 or more")
        }
        screens.limits[name] = limit
      }
    }
    return screens
  }

  private static func normalizerSettings(_ node: ConfigNode) -> NormalizerSettings {
    var settings = NormalizerSettings()
    guard
      let map = node.mapping(allowed: [
        "time_zone", "screens", "wake_diary", "awakening_labels", "wake_proximity_minutes",
        "day_start_hour",
      ])
    else { return settings }
    if let entry = map["wake_proximity_minutes"], let value = entry.double() {
      if value >= 0 && value.isFinite {
        settings.wakeProximityMinutes = value
      } else {
        entry.report("expected minutes, 0 or more")
      }
    }
    if let entry = map["day_start_hour"], let value = entry.double() {
      if value >= 0 && value < 12 {
        settings.dayStartHour = value
      } else {
        entry.report("expected a clock hour from 0 to under 12, e.g. 4")
      }
    }
    if let labels = map["awakening_labels"]?.strings() {
      settings.awakeningLabels = Set(labels.map { $0.lowercased() })
    }
    if let screens = map["screens"] { settings.screens = screenSettings(screens) }
    if let zone = map["time_zone"], let name = zone.string() {
      if TimeZone(identifier: name) == nil {
        zone.report("'\(name)' is not an IANA time zone (such as Europe/Berlin)")
      } else {
        settings.timeZone = name
      }
    }
    return settings
  }

  private static func input(_ node: ConfigNode, base: URL, profileIssues: inout [ConfigIssue])
    -> Pipeline.Input?
  {
    guard
      let map = node.mapping(allowed: [
        "name", "path", "glob", "exclude", "format", "profile", "time_zone",
      ]),
      let pathNode = map.required("path"), let path = pathNode.string()
    else { return nil }
    // A path that is missing now (an unmounted inbox) is an input problem of the run, like
    // a missing file: exit 1 with the summary saying so; `validate` warns.
    let resolved = resolve(path, against: base)
    let format = map["format"]?.choice(InputFormat.self)
    var profile: CSVProfile?
    if let profileNode = map["profile"], let name = profileNode.string() {
      switch name {
      case "lis-long": profile = .lisLong
      case "research-long": profile = .researchLong
      default:
        let profilePath = resolve(name, against: base)
        do throws(ConfigIssues) {
          profile = try ProfileLoader.load(file: profilePath)
        } catch {
          profileNode.report("profile '\(name)' has mistakes (listed below)")
          profileIssues += error.issues
        }
      }
    }
    var input = Pipeline.Input(
      name: map["name"]?.string() ?? path, path: resolved, glob: map["glob"]?.string() ?? "*",
      format: format, profile: profile)
    if let exclude = map["exclude"] {
      if let one = exclude.node.scalar?.string {
        input.exclude = [one]
      } else if let list = exclude.sequence(), list.allSatisfy({ $0.string() != nil }) {
        input.exclude = list.compactMap { $0.string() }
      } else {
        exclude.report("expected a file-name pattern or a list of them, e.g. [\"labnord-*.csv\"]")
      }
    }
    if let exclude = map["exclude"] {
      // One pattern or a list of them.
      if case .scalar = exclude.node, let one = exclude.string() {
        input.exclude = [one]
      } else if let list = exclude.strings() {
        input.exclude = list
      }
    }
    if let zone = map["time_zone"], let name = zone.string() {
      if TimeZone(identifier: name) == nil {
        zone.report("'\(name)' is not an IANA time zone (such as America/New_York)")
      } else {
        input.timeZone = name
      }
    }
    return input
  }

  /// The keys of `outputs:` that name a file, with the field each sets.
  private static var outputKeys: [(key: String, path: WritableKeyPath<Pipeline.Outputs, String>)] {
    [
      ("summary", \.summary), ("samples", \.samples), ("rejections", \.rejections),
      ("normalized", \.normalized), ("normalized_ndjson", \.normalizedJSON),
      ("features_subject_day", \.featuresSubjectDay), ("features_subject", \.featuresSubject),
      ("features_response", \.featuresResponse), ("findings", \.findings),
      ("findings_ndjson", \.findingsJSON), ("reports", \.reports), ("audit", \.audit),
      ("audit_md", \.auditMarkdown),
    ]
  }

  private static func outputs(_ node: ConfigNode, base: URL) -> Pipeline.Outputs? {
    guard
      let map = node.mapping(allowed: ["directory"] + outputKeys.map(\.key)),
      let directory = map.required("directory")?.string()
    else { return nil }
    var outputs = Pipeline.Outputs(directory: resolve(directory, against: base))
    for (key, path) in outputKeys {
      guard let entry = map[key] else { continue }
      // The large intermediate tables are written when named, or with `true`.
      let optional = Pipeline.Outputs.intermediates.contains(key)
      if optional, let enabled = entry.node.bool {
        outputs.setIntermediate(key, enabled)
        continue
      }
      guard let name = entry.string() else { continue }
      if name.isEmpty || name.contains("/") || name == "." || name == ".." {
        entry.report(
          optional
            ? "expected a file name inside the output directory, or true/false"
            : "expected a file name inside the output directory")
      } else if name.hasPrefix(".neuroendo") || name == Pipeline.Outputs.shardFolder {
        entry.report(
          "'\(name)' is a name NeuroEndo keeps for itself (its lock, manifest, journal, staging or shard folder)"
        )
      } else {
        outputs[keyPath: path] = name
        if optional { outputs.setIntermediate(key, true) }
      }
    }
    // Two outputs of one name (also when only their case differs, as on macOS and Windows
    // file systems) would overwrite each other.
    var seen: [String: String] = [:]
    for (key, path) in outputKeys {
      let folded = outputs[keyPath: path].lowercased()
      if let other = seen[folded] {
        (map[key] ?? map[other] ?? node).report(
          "outputs \(other) and \(key) are both '\(outputs[keyPath: path])': each output needs a name of its own"
        )
      } else {
        seen[folded] = key
      }
    }
    return outputs
  }

  /// Resolves a path of the pipeline file; the result is relative to the working directory
  /// when it lies below it, so that summaries and provenance stay short and portable.
  static func resolve(_ path: String, against base: URL) -> String {
    if path.hasPrefix("/") { return path }
    let absolute = base.appendingPathComponent(path).standardizedFileURL.path
    let current = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL
      .path
    if absolute.hasPrefix(current + "/") { return String(absolute.dropFirst(current.count + 1)) }
    return absolute
  }
}

extension Pipeline {
  /// The settings in force, by their pipeline key, for the audit.
  public var effectiveSettings: [String: String] {
    func n(_ value: Double) -> String { NumberText.plain(value) }
    func list(_ values: [Double]) -> String { "[" + values.map(n).joined(separator: ", ") + "]" }
    let screens = normalizer.screens
    let analyze = analyzers
    let feedback = analyze.feedback
    var settings: [String: String] = [
      "read.max_file_bytes": String(reading.maxFileBytes),
      "read.follow_links": reading.followLinks.rawValue,
      "normalize.time_zone": normalizer.timeZone ?? "(none: local times stay local)",
      "normalize.wake_proximity_minutes": n(normalizer.wakeProximityMinutes),
      "normalize.day_start_hour": n(normalizer.dayStartHour),
      "normalize.awakening_labels": normalizer.awakeningLabels.sorted().joined(separator: ", "),
      "normalize.screens.waking_delay_minutes": list(screens.wakingDelayBins),
      "normalize.screens.waking_adherence_minutes": n(screens.wakingAdherence),
      "normalize.screens.car_schedule_minutes": list(screens.carSchedule),
      "normalize.screens.car_tolerance_minutes": n(screens.carTolerance),
      "normalize.screens.unit_mixup_ratio": n(screens.unitMixupRatio),
      "normalize.screens.unit_mixup_window_minutes": n(screens.unitMixupWindow),
      "normalize.screens.min_minutes_since_waking": n(screens.minimumMinutesSinceWaking),
      "analyze.specimens": analyze.specimens.map(\.rawValue).sorted().joined(separator: ", "),
      "analyze.exclude_flags": analyze.excludeFlags.sorted().joined(separator: ", "),
      "analyze.censored": analyze.censored.rawValue,
      "analyze.car.window_minutes": n(analyze.car.windowMinutes),
      "analyze.car.max_waking_delay_minutes": n(analyze.car.maximumWakingDelayMinutes),
      "analyze.car.require_known_wake": String(analyze.car.requireKnownWake),
      "analyze.response.anchor": analyze.response.anchor,
      "analyze.flattened_slope.threshold": n(analyze.flattened.threshold),
      "analyze.flattened_slope.min_valid_days": String(analyze.flattened.minimumValidDays),
      "analyze.feedback.pairing_window_hours": n(feedback.pairingWindowHours),
      "analyze.feedback.acth_cortisol_window_hours": n(feedback.acthCortisolWindowHours),
      "analyze.feedback.morning_window": list([
        feedback.morningWindow.lowerBound, feedback.morningWindow.upperBound,
      ]),
      "analyze.feedback.late_night_window": list([
        feedback.lateNightWindow.lowerBound, feedback.lateNightWindow.upperBound,
      ]),
      "analyze.feedback.dexamethasone_cutoff": n(feedback.dexamethasoneCutoff),
      "analyze.feedback.dexamethasone_saliva_cutoff": feedback.dexamethasoneSalivaCutoff.map(n)
        ?? "none",
      "analyze.feedback.late_night_limit": n(feedback.lateNightLimit),
      "analyze.feedback.late_night_serum_limit": feedback.lateNightSerumLimit.map(n) ?? "none",
      "analyze.feedback.late_night_screen_nights": String(feedback.lateNightScreenNights),
      "analyze.feedback.acth_independent_below": n(feedback.acthIndependentBelow),
      "analyze.feedback.acth_dependent_above": n(feedback.acthDependentAbove),
      "analyze.feedback.adrenal_insufficiency_below": n(feedback.adrenalInsufficiencyBelow),
      "analyze.feedback.adrenal_insufficiency_unlikely_from": n(
        feedback.adrenalInsufficiencyUnlikelyFrom),
      "analyze.feedback.testosterone_window": list([
        feedback.testosteroneWindow.lowerBound, feedback.testosteroneWindow.upperBound,
      ]),
      "analyze.feedback.testosterone_confirmations": String(feedback.testosteroneConfirmations),
      "analyze.feedback.menopause_age": n(feedback.menopauseAge),
      "analyze.feedback.premature_ovarian_insufficiency_before": n(
        feedback.prematureOvarianInsufficiencyBefore),
      "analyze.feedback.early_menopause_before": n(feedback.earlyMenopauseBefore),
    ]
    for (name, bound) in screens.impossibleAbove
    where bound != PlausibilityBounds.defaults[name] {
      settings["normalize.screens.impossible_above.\(name)"] = n(bound)
    }
    settings["normalize.screens.unit_mixup_days"] = n(screens.unitMixupDays)
    for (name, limits) in screens.limits {
      settings["normalize.screens.limits.\(name)"] =
        "detection \(limits.detection.map(n) ?? "none"), plausible \(limits.plausible.map { "\(n($0.lowerBound))-\(n($0.upperBound))" } ?? "none"), outlier above \(limits.outlierAbove.map(n) ?? "none")"
    }
    return settings
  }
}
