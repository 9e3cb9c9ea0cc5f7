import Foundation

/// Everything a per-patient report shows, built once and rendered as JSON, Markdown and
/// HTML, in the order a lab report reads: a header (subject, sex, age, sources, report date,
/// period), a summary line per axis and for the cortisol rhythm, the results per collection
/// (newest first) with reported and SI values, ranges and H/L/N flags, the cumulative view
/// of every analyte with two or more results, the cortisol days with their features, the
/// findings with the dates of the results they rest on, and at the end how each finding was
/// decided. It holds this subject's data only.
///
/// The JSON form follows `patient-report.schema.json` (shipped beside this file), version
/// `schemaVersion`.
public struct PatientReport: Sendable, Hashable, Codable {
  /// The version of the JSON schema this report follows.
  public static let schemaVersion = "2.0"

  /// Always `neuroendo-patient-report`.
  public var schema = "neuroendo-patient-report"
  /// The schema version.
  public var schemaVersion = PatientReport.schemaVersion
  /// The NeuroEndo version and the run that wrote the report.
  public var generator: String
  public var run: String
  /// When the run started, ISO 8601 UTC (`SOURCE_DATE_EPOCH` when set).
  public var reportDate = ""
  /// The subject.
  public var subjectID: String
  /// Sex and age (years, at the latest result) as the exports gave them.
  public var sex: String?
  public var age: Int?
  /// The files the results came from (names, no folders).
  public var sources: [String] = []
  /// The first and last collection dates (`2026-03-18`).
  public var period: Period?
  /// Sex, age and medication the exports gave, as findings show them.
  public var context: [String]
  /// One plain-language line per axis with results, and for the cortisol rhythm.
  public var summary: [SummaryLine] = []
  /// The results per collection, newest first (the cortisol days' samples are in `days`).
  public var collections: [Collection] = []
  /// Every analyte with two or more results, in time order.
  public var cumulative: [Series] = []
  /// The cortisol days (two samples or more), in order.
  public var days: [Day]
  /// The flattened-slope verdict over the subject's days, when there were days.
  public var flattened: Verdict?
  /// The feedback findings, by time.
  public var findings: [FindingEntry]
  /// Results the feedback analyzers could not pair or judge, with the reason.
  public var notJudged: [NotJudged]
  /// The flags the normalizer raised on the subject's samples, by code.
  public var flags: [String: Int]
  /// The cohort's interquartile band of cortisol by time since waking, drawn behind each
  /// day's curve: only bins with values of more than ``CohortBand/minimumSubjects``
  /// subjects, so that at least that many others stand behind it and no other patient's
  /// values can be read from it.
  public var cohortBand: [CohortBand]

  /// The dates a report covers.
  public struct Period: Sendable, Hashable, Codable {
    public var first: String
    public var last: String
  }

  /// A line of the summary box: `HPT`, `notable`, `pattern consistent with ... (2026-03-18)`.
  public struct SummaryLine: Sendable, Hashable, Codable {
    public var topic: String
    public var severity: String
    public var text: String
  }

  /// The results of one collection (one draw time and specimen).
  public struct Collection: Sendable, Hashable, Codable {
    /// `2026-03-18 08:10`, or `time not given`.
    public var time: String
    public var specimen: String
    public var results: [Result]
  }

  /// One result as a lab report lists it.
  public struct Result: Sendable, Hashable, Codable {
    /// The analyte in words (`TSH (thyrotropin)`).
    public var analyte: String
    /// As the lab reported it (`0.36 µg/dL`) and in SI units (`9.93 nmol/L`).
    public var reported: String
    public var si: String
    /// The range at the lab's precision, in the lab's unit (`6.2-19.4 µg/dL`), or the
    /// default range applied (`0.3-4.2 mIU/L (default)`); empty when none applied.
    public var range: String
    /// `H`, `L`, `N`, or empty when the value could not be placed.
    public var flag: String
    /// What else a reader must know: a note of the lab, a caution or a flag in words.
    public var note: String?
    /// A correction: the value (or values) first delivered for this draw, as reported, and
    /// the date the corrected value was delivered.
    public var previous: String?
    public var correctedOn: String?
  }

  /// One analyte's results over time.
  public struct Series: Sendable, Hashable, Codable {
    /// The analyte in words and the SI unit.
    public var analyte: String
    public var unit: String
    public var points: [SeriesPoint]
    /// The range drawn behind the trend, in the SI unit, when the results share one.
    public var low: Double?
    public var high: Double?
  }

  /// One result of a series.
  public struct SeriesPoint: Sendable, Hashable, Codable {
    public var time: String
    public var value: Double
    public var text: String
    public var flag: String
  }

  /// The cohort's middle half of cortisol values in one bin of time since waking.
  public struct CohortBand: Sendable, Hashable, Codable {
    /// A bin needs more subjects than this (so this many besides the patient) for a band.
    public static let minimumSubjects = 5
    /// The bin, minutes since waking `[from, to)`.
    public var from: Double
    public var to: Double
    /// The 25th and 75th percentiles of the values in it, nmol/L, and how many subjects.
    public var q1: Double
    public var q3: Double
    public var subjects: Int
  }

  /// One subject-day.
  public struct Day: Sendable, Hashable, Codable {
    public var day: Int
    /// Where the waking came from, and when it was (ISO 8601), when known as a time.
    public var wakeSource: String
    public var wake: String?
    public var samples: [Point]
    public var features: [Feature]
    /// Why a feature is missing, by feature or analyzer.
    public var reasons: [String]
    /// Censored values taken at a substitute.
    public var notes: [String]
  }

  /// One cortisol sample of a day.
  public struct Point: Sendable, Hashable, Codable {
    /// Minutes since waking, and the clock time (`07:32`) when the sample has one.
    public var minutes: Double
    public var clock: String?
    /// The value in nmol/L (the bound for a censored value), with its censoring.
    public var value: Double
    public var censoring: String
    public var label: String?
    /// The normalizer's flags, by code.
    public var flags: [String]
    /// Why no feature used it, when none did.
    public var excluded: String?
    /// Whether the value is a measurement the curve passes through (uncensored, no flag
    /// that leaves it out); a sample one feature did not use still is.
    public var valid = true
  }

  /// A feature with its human name and unit; `value` is nil where the analyzer could not
  /// estimate it, and `note` says why.
  public struct Feature: Sendable, Hashable, Codable {
    /// The column name in the features table (`car_auc_g`).
    public var name: String
    /// The name a reader knows (`CAR area under the curve from ground (AUCg)`).
    public var label: String = ""
    public var value: Double?
    public var unit: String
    public var note: String?
  }

  /// The flattened-slope verdict.
  public struct Verdict: Sendable, Hashable, Codable {
    /// `yes`, `no` or `insufficient-data`.
    public var outcome: String
    public var rule: String
    public var validDays: Int
    public var slopeLogMean: Double?
  }

  /// A finding as the report shows it.
  public struct FindingEntry: Sendable, Hashable, Codable {
    public var axis: String
    public var analyzer: String
    public var pattern: String
    public var severity: String
    public var message: String
    public var rule: String
    public var time: String?
    /// The collection times of the results it rests on (`2026-03-18 08:10`).
    public var dates: [String] = []
    public var history: String?
    public var historyNote: String?
    /// With incremental runs: the run that first reported this finding.
    public var firstReported: String?
    public var values: [Value]
    public var context: [String]
    /// Thyroid indices of a TSH-FT4 pair, with their units and reference intervals.
    public var indices: [Index] = []
  }

  /// A calculated index of a finding (thyroid indices), with its reference interval and
  /// source.
  public struct Index: Sendable, Hashable, Codable {
    public var name: String
    public var value: String
    public var unit: String
    public var reference: String
    public var source: String
  }

  /// One value of a finding: as written at its reporting precision, its status, and the
  /// range with its source.
  public struct Value: Sendable, Hashable, Codable {
    public var analyte: String
    public var value: String
    public var unit: String
    public var status: String
    public var range: String
    public var source: String
  }

  /// A result that could not be judged.
  public struct NotJudged: Sendable, Hashable, Codable {
    public var axis: String
    public var analyzer: String
    public var reason: String
    public var message: String
  }
}

extension PatientReport {
  /// The reports of every subject of a run, by subject id: subjects with cortisol days,
  /// findings or results that could not be judged.
  public static func build(
    samples: [NormalizedSample], features: CortisolRhythmFeatures, feedback: FeedbackResult,
    settings: AnalyzerSettings, run: String, firstReported: [String: String] = [:],
    band: [CohortBand]? = nil, reportDate: Date? = nil
  ) -> [PatientReport] {
    var bySubject: [String: [NormalizedSample]] = [:]
    for sample in samples { bySubject[sample.sample.subjectID, default: []].append(sample) }
    // Days of two samples or more are drawn; a single sample is a result like any other.
    let days = Dictionary(grouping: features.days.filter { $0.samples >= 2 }, by: \.subjectID)
    let verdicts = Dictionary(features.subjects.map { ($0.subjectID, $0) }) { first, _ in first }
    let findings = Dictionary(grouping: feedback.findings, by: \.subjectID)
    let notJudged = Dictionary(grouping: feedback.notJudged, by: \.subjectID)
    let subjects = Set(days.keys).union(findings.keys).union(notJudged.keys).sorted()
    // The cohort's band, once for all (or as given: the whole cohort's, for a shard).
    let band = band ?? CohortBand.band(CohortBandValues.collect(samples, settings: settings))
    let date = reportDate.map(LocalDateTime.iso) ?? ""
    let feedbackAnalyzer = FeedbackAnalyzer(
      settings: settings.feedback, excludeFlags: settings.excludeFlags)
    return subjects.map { subject in
      let subjectFindings = findings[subject] ?? []
      let subjectDays = days[subject] ?? []
      let own = bySubject[subject] ?? []
      var cortisolByDay: [Int: [NormalizedSample]] = [:]
      for sample in own {
        guard sample.sample.analyte == .cortisol,
          settings.specimens.contains(sample.sample.specimen), let position = sample.circadian
        else { continue }
        cortisolByDay[position.day, default: []].append(sample)
      }
      let drawnDays = Set(subjectDays.map(\.day))
      let results = own.filter { sample in
        // A superseded value is shown with the value that corrected it, not as a row.
        if sample.flags.contains(where: { $0.code == "superseded" }) { return false }
        guard sample.sample.analyte == .cortisol,
          settings.specimens.contains(sample.sample.specimen), let day = sample.circadian?.day
        else { return true }
        // A late-night or post-dexamethasone sample is a clinical result even on a drawn day.
        return !drawnDays.contains(day) || feedbackAnalyzer.isLateNight(sample)
          || feedbackAnalyzer.isAfterDexamethasone(sample)
      }
      let context = SubjectContext(own, settings: settings.feedback)
      let judge = ResultJudge(settings: settings.feedback)
      let judged = results.map { sample -> (NormalizedSample, JudgedResult) in
        var result = judge.judge(sample, sex: context.sex, age: context.age(at: sample.collected))
        // After dexamethasone the limit is the suppression cut-off, not the morning range
        // (Nieman et al. 2008).
        if feedbackAnalyzer.isAfterDexamethasone(sample), sample.sample.analyte == .cortisol,
          sample.sample.specimen != .saliva
        {
          result.range = ReferenceRange(low: nil, high: settings.feedback.dexamethasoneCutoff)
          result.lowText = nil
          result.highText = nil
          result.rangeSource = Self.afterDexamethasone
          (result.status, result.reason) = ResultJudge.status(sample.value, result.range!)
        }
        return (sample, result)
      }
      let superseded = own.filter { $0.flags.contains { $0.code == "superseded" } }
      let latest = own.compactMap(\.collected).max { $0.local < $1.local }
      var report = PatientReport(
        generator: "NeuroEndo \(NeuroEndoVersion.current)", run: run, reportDate: date,
        subjectID: subject, sex: context.sex?.rawValue,
        age: context.age(at: latest).map { Int($0.rounded(.down)) },
        // Each file's name once, not a path split per sample.
        sources: Set(Set(own.map(\.sample.provenance.file)).map(InputLocation.fileName(of:)))
          .sorted(),
        period: Self.period(own),
        context: (subjectFindings.first ?? notJudged[subject]?.first)?.context ?? [],
        collections: Self.collections(judged, superseded: superseded),
        cumulative: Self.cumulative(judged),
        days: subjectDays.map { day in
          Self.day(day, samples: cortisolByDay[day.day] ?? [], settings: settings)
        },
        flattened: verdicts[subject].map {
          Verdict(
            outcome: $0.outcome.rawValue, rule: $0.rule, validDays: $0.validDays,
            slopeLogMean: $0.slopeLogMean)
        },
        findings: subjectFindings.map {
          var entry = Self.entry($0)
          entry.firstReported = firstReported[$0.identity]
          return entry
        },
        notJudged: (notJudged[subject] ?? []).map {
          NotJudged(
            axis: $0.axis.rawValue, analyzer: $0.analyzer, reason: $0.reason ?? $0.pattern,
            message: $0.message)
        },
        // Waking and CAR flags say nothing of a patient without cortisol days.
        flags: own.reduce(into: [String: Int]()) { counts, sample in
          for flag in sample.flags where !subjectDays.isEmpty || !Self.dayFlags.contains(flag.code)
          {
            counts[flag.code, default: 0] += 1
          }
        },
        cohortBand: subjectDays.isEmpty ? [] : band)
      report.summary = Self.summary(report)
      return report
    }
  }

  /// `2026-03-18 08:10`.
  static func minute(_ time: LocalDateTime) -> String {
    String(time.description.prefix(16)).replacingOccurrences(of: "T", with: " ")
  }

  private static func period(_ samples: [NormalizedSample]) -> Period? {
    let times = samples.compactMap { $0.collected?.local }
    guard let first = times.min(), let last = times.max() else { return nil }
    return Period(
      first: String(first.description.prefix(10)), last: String(last.description.prefix(10)))
  }

  /// The results per collection (draw time), newest first; untimed results last.
  private static func collections(
    _ judged: [(NormalizedSample, JudgedResult)], superseded: [NormalizedSample]
  ) -> [Collection] {
    var groups: [String: [(NormalizedSample, JudgedResult)]] = [:]
    var order: [String: Double] = [:]
    for item in judged {
      let local = item.0.collected?.local
      let key = local.map(minute) ?? "time not given"
      groups[key, default: []].append(item)
      order[key] = local?.secondsSinceEpochWallClock ?? -.infinity
    }
    return groups.keys.sorted { (order[$0]!, $0) > (order[$1]!, $1) }.map { key in
      let items = groups[key]!.sorted {
        ($0.0.sample.analyte, $0.0.sample.specimen) < ($1.0.sample.analyte, $1.0.sample.specimen)
      }
      return Collection(
        time: key,
        specimen: Set(
          items.map { $0.0.sample.specimen.rawValue.replacingOccurrences(of: "-", with: " ") }
        )
        .sorted().joined(separator: ", "),
        results: items.map { item in
          var row = result(item)
          guard let flag = item.0.flags.first(where: { $0.code == "corrected" }) else { return row }
          // The values it corrected: the same draw's superseded ones.
          let draw = item.0
          let earlier = superseded.filter {
            $0.sample.analyte == draw.sample.analyte && $0.sample.specimen == draw.sample.specimen
              && $0.collected == draw.collected
          }
          row.previous = earlier.map {
            "\($0.sample.quantity.censoring.rawValue)\(NumberText.plain($0.sample.quantity.value)) \($0.sample.quantity.unit.display)"
          }.joined(separator: ", ")
          row.correctedOn = String(flag.message.dropFirst("corrected on ".count).prefix(10))
          row.note = ["corrected on \(row.correctedOn!)", row.note].compactMap { $0 }.joined(
            separator: "; ")
          return row
        })
    }
  }

  /// One row of a collection.
  static func result(_ item: (NormalizedSample, JudgedResult)) -> Result {
    let (sample, judged) = item
    let written = sample.sample.quantity
    let sign = written.censoring.rawValue
    let unit = written.unit.display
    var range = ""
    if judged.rangeSource == afterDexamethasone, let high = judged.range?.high {
      range = "<= \(NumberText.plain(high)) \(judged.displayUnit) after dexamethasone (Nieman 2008)"
    } else if let lab = sample.sample.referenceRange {
      range = Self.rangeText(lab.low, lab.high, unit: (lab.unit ?? written.unit).display)
      if judged.highExclusive, lab.low == nil { range = "<" + range.dropFirst(2) }
    } else if let applied = judged.range {
      range = Self.rangeText(applied.low, applied.high, unit: judged.displayUnit) + " (default)"
    }
    let flag: String =
      switch judged.status {
      case .high: "H"
      case .low: "L"
      case .normal: "N"
      case .indeterminate, .unknown: ""
      }
    var notes: [String] = []
    for (key, value) in sample.sample.attributes.sorted(by: { $0.key < $1.key })
    where Sample.noteAttributes.contains(key.lowercased()) && key.lowercased() != "test_name"
      && key.lowercased() != "testname"
    {
      let text = value.trimmingCharacters(in: .whitespaces)
      if !text.isEmpty { notes.append(text) }
    }
    for flag in sample.flags {
      if let words = Self.flagWords[flag.code] { notes.append(words) }
    }
    if judged.rangeSource == afterDexamethasone,
      !notes.contains(where: { $0.lowercased().contains("dexa") })
    {
      notes.insert("taken after dexamethasone", at: 0)
    }
    if judged.status == .unknown || judged.status == .indeterminate, let reason = judged.reason {
      notes.append("not placed: \(reason)")
    }
    return Result(
      analyte: sample.sample.analyte.words
        + (sample.sample.specimen == .saliva
          ? ", saliva" : sample.sample.specimen == .urine ? ", urine" : ""),
      reported: "\(sign)\(NumberText.plain(written.value)) \(unit)",
      si: "\(sign)\(judged.valueText) \(judged.displayUnit)", range: range, flag: flag,
      note: notes.isEmpty ? nil : notes.joined(separator: "; "))
  }

  /// The range source of a cortisol judged as a suppression test.
  static let afterDexamethasone = "after dexamethasone"

  /// What a flag means to a reader of the results table.
  static let flagWords: [String: String] = [
    "implausible": "impossible value: not judged, check the unit",
    "suspected-unit-mixup": "suspected unit mix-up: not judged",
    "possible-unit-mixup": "possible unit mix-up: check the unit",
    "conflict": "conflicting results for the same draw",
    "below-detection": "below the detection limit",
  ]

  /// `6.2-19.4 µg/dL`, `>= 2 IU/L`, `<= 2.8 nmol/L`.
  static func rangeText(_ low: Double?, _ high: Double?, unit: String) -> String {
    switch (low, high) {
    case (let low?, let high?): "\(NumberText.plain(low))-\(NumberText.plain(high)) \(unit)"
    case (let low?, nil): ">= \(NumberText.plain(low)) \(unit)"
    case (nil, let high?): "<= \(NumberText.plain(high)) \(unit)"
    case (nil, nil): ""
    }
  }

  /// Every analyte with two or more timed results, oldest first, in SI units.
  private static func cumulative(_ judged: [(NormalizedSample, JudgedResult)]) -> [Series] {
    struct Key: Hashable, Comparable {
      var analyte: Analyte
      var specimen: Specimen
      static func < (a: Key, b: Key) -> Bool { (a.analyte, a.specimen) < (b.analyte, b.specimen) }
    }
    let groups = Dictionary(grouping: judged.filter { $0.0.collected != nil }) {
      Key(analyte: $0.0.sample.analyte, specimen: $0.0.sample.specimen)
    }
    return groups.keys.sorted().compactMap { key in
      let items = groups[key]!.sorted { $0.0.collected!.local < $1.0.collected!.local }
      guard items.count >= 2 else { return nil }
      let ranges = Set(items.compactMap(\.1.range))
      let shared = ranges.count == 1 ? ranges.first : nil
      return Series(
        analyte: items[0].1.name, unit: items[0].1.displayUnit,
        points: items.map { sample, judged in
          let row = result((sample, judged))
          return SeriesPoint(
            time: minute(sample.collected!.local), value: sample.value.value, text: row.si,
            flag: row.flag)
        }, low: shared?.low, high: shared?.high)
    }
  }

  /// The summary: for each axis, the weightiest finding of its latest day of results (the
  /// current state, with what it resolved), what could not be judged where nothing was
  /// found, and the cortisol rhythm.
  static func summary(_ report: PatientReport) -> [SummaryLine] {
    let weight = ["info": 0, "notable": 1, "marked": 2]
    var lines: [SummaryLine] = []
    for axis in ["HPA", "HPT", "HPG"] {
      let found = report.findings.filter { $0.axis == axis }
      let lastDay = found.compactMap { $0.dates.last?.prefix(10) }.max()
      let current = found.filter { $0.dates.last?.prefix(10) == lastDay }
      if let top = current.enumerated().max(by: {
        (weight[$0.element.severity] ?? 0, $0.offset) < (
          weight[$1.element.severity] ?? 0, $1.offset
        )
      })?.element {
        var text = Self.headline(top.message)
        if top.message.contains("; caution: ") || top.message.contains("caution:") {
          text =
            text.replacingOccurrences(of: "; caution", with: "")
            + ", with a caution (see Findings)"
        }
        if let date = top.dates.last { text += " (\(date))" }
        if top.history == "resolved", let note = top.historyNote {
          text += ", \(Self.words(note))"
        }
        if found.count > 1 {
          text += "; \(found.count - 1) other finding\(found.count == 2 ? "" : "s") below"
        }
        lines.append(SummaryLine(topic: axis, severity: top.severity, text: text))
      } else if let first = report.notJudged.first(where: { $0.axis == axis }) {
        // The reason without its setting keys: those are at the end of the report. A result
        // outside its range is said first: not judged is not normal.
        let reason = Self.headline(first.reason.replacingOccurrences(of: ": ", with: " - "))
          .replacingOccurrences(of: " - ", with: ": ")
        let outside = report.collections.flatMap { collection in
          collection.results.filter {
            ($0.flag == "H" || $0.flag == "L") && Self.axis(of: $0.analyte) == axis
          }.map {
            "\($0.analyte.components(separatedBy: " (").first ?? $0.analyte) \($0.si) \($0.flag == "H" ? "high" : "low") (\(collection.time))"
          }
        }
        let text =
          outside.isEmpty
          ? "not judged: \(reason)"
          : outside.prefix(3).joined(separator: ", ") + "; not judged as a pair: \(reason)"
        lines.append(SummaryLine(topic: axis, severity: "not judged", text: text))
      }
    }
    if !report.days.isEmpty {
      var text =
        "\(report.days.count) day\(report.days.count == 1 ? "" : "s") of cortisol samples"
      if let verdict = report.flattened {
        text +=
          "; diurnal slope flattened: "
          + (verdict.outcome == "insufficient-data"
            ? "too few valid days to tell" : verdict.outcome)
      }
      lines.append(SummaryLine(topic: "Cortisol rhythm", severity: "info", text: text))
    }
    return lines
  }

  /// The axis of a results-table analyte (its name in words).
  static func axis(of words: String) -> String? {
    Analyte.allCases.first { words.hasPrefix($0.words) }?.axis.rawValue
  }

  /// Pattern codes in words: `was primary-hypothyroidism on 2025-09-02` reads `was primary
  /// hypothyroidism on 2025-09-02`.
  static func words(_ text: String) -> String {
    text.replacingOccurrences(
      of: #"([a-z])-([a-z])"#, with: "$1 $2", options: .regularExpression)
  }

  /// A finding's message up to its values: `pattern consistent with primary
  /// hypothyroidism`.
  /// The cut is at the first ": " outside parentheses, and a parenthesis is left out.
  static func headline(_ message: String) -> String {
    var depth = 0
    var text = ""
    var previous: Character = " "
    for character in message {
      if character == "(" { depth += 1 }
      if character == ")" { depth = max(0, depth - 1) }
      if character == " ", previous == ":", depth == 0 { return tidy(String(text.dropLast())) }
      if depth == 0 && character != ")" { text.append(character) }
      previous = character
    }
    return tidy(text)
  }

  /// One space between words, none before a punctuation mark.
  private static func tidy(_ text: String) -> String {
    text.split(separator: " ").joined(separator: " ")
      .replacingOccurrences(of: " ,", with: ",").replacingOccurrences(of: " ;", with: ";")
  }

  /// The features of a day with their names, units and, where the analyzer could not
  /// estimate one, why.
  static let featureNames: [(key: String, label: String, unit: String)] = [
    ("car_auc_g", "CAR area under the curve from ground (AUCg)", "nmol/L × min"),
    ("car_auc_i", "CAR area under the curve above the waking value (AUCi)", "nmol/L × min"),
    ("car_increase", "CAR increase (peak minus waking value)", "nmol/L"),
    ("car_increase_percent", "CAR increase in % of the waking value", "%"),
    ("car_r30", "rise at +30 min (R30)", "nmol/L"),
    ("car_time_to_peak", "time to the CAR peak", "min"),
    ("slope_wake_bed", "diurnal slope, waking to bedtime", "nmol/L per h"),
    ("slope_peak_bed", "diurnal slope, CAR peak to bedtime", "nmol/L per h"),
    ("slope_log", "diurnal slope of ln cortisol (regression)", "ln(nmol/L) per h"),
    ("slope_log_se", "its standard error", "ln(nmol/L) per h"),
    ("cosinor_mesor", "cosinor MESOR (rhythm-adjusted mean)", "nmol/L"),
    ("cosinor_amplitude", "cosinor amplitude", "nmol/L"),
    ("cosinor_acrophase_h", "cosinor acrophase (clock time of the peak)", "clock h"),
    ("cosinor_acrophase_since_waking_h", "cosinor acrophase relative to waking", "h"),
    ("cosinor_p", "cosinor p (zero-amplitude test)", ""),
  ]

  private static func day(
    _ day: SubjectDayFeatures, samples: [NormalizedSample], settings: AnalyzerSettings
  ) -> Day {
    // (A day's own samples: no other subject's data goes into it.)
    let excluded = day.excluded + day.slope.excluded
    let points = samples.map { sample -> Point in
      let minutes = sample.circadian!.minutesSinceWaking
      let name = CurvePoint(
        minutes: minutes, value: sample.value.value, label: sample.sample.label,
        clockHours: sample.collected?.local.hourOfDay
      ).name
      return Point(
        minutes: minutes,
        clock: sample.collected.map { NumberText.clock(hours: $0.local.hourOfDay) },
        value: sample.value.value, censoring: sample.value.censoring.rawValue,
        label: sample.sample.label, flags: sample.flags.map(\.code),
        excluded: excluded.first { $0.sample == name }?.reason,
        valid: sample.value.censoring == .none
          && !sample.flags.contains { settings.excludeFlags.contains($0.code) })
    }.sorted { $0.minutes < $1.minutes }
    let car = day.awakening
    let slope = day.slope
    let fit = day.cosinor.fit
    // A fit the analyzer calls weak (too few samples, bunched, no rhythm) or that puts the
    // mean below zero is no estimate: its numbers are not shown.
    var weak = day.cosinor.warnings
    if let mesor = fit?.mesor, mesor < 0 {
      weak.append("the fitted mean is below zero")
    }
    // In ``featureNames``' order (a dictionary by name hashed 15 texts a day).
    let values: [Double?] = [
      car.aucG, car.aucI, car.increase, car.increasePercent, car.r30, car.timeToPeak,
      slope.wakeToBed, slope.peakToBed, slope.logSlope, slope.logSlopeStandardError, fit?.mesor,
      fit?.amplitude, day.cosinor.acrophaseClockHours, fit?.peakHours, fit?.pValue,
    ]
    assert(values.count == featureNames.count, "a value for each feature name")
    var features: [Feature] = []
    for ((key, label, unit), value) in zip(featureNames, values) {
      guard let value else { continue }
      if key.hasPrefix("cosinor_"), !weak.isEmpty {
        // One line for the whole fit.
        if key == "cosinor_mesor" {
          features.append(
            Feature(
              name: "cosinor", label: "cosinor rhythm", value: nil, unit: "",
              note: "not estimable: " + weak.joined(separator: "; ")))
        }
        continue
      }
      // A peak after waking past half a day is one shortly before waking.
      let shown = key == "cosinor_acrophase_since_waking_h" && value > 12 ? value - 24 : value
      features.append(Feature(name: key, label: label, value: shown, unit: unit))
    }
    return Day(
      day: day.day, wakeSource: day.wakeSource.rawValue,
      wake: samples.first?.circadian?.wake?.description, samples: points,
      features: features, reasons: day.reasons.map(\.text), notes: day.notes)
  }

  private static func entry(_ finding: Finding) -> FindingEntry {
    FindingEntry(
      axis: finding.axis.rawValue, analyzer: finding.analyzer, pattern: finding.pattern,
      severity: finding.severity.rawValue, message: finding.message, rule: finding.rule,
      time: finding.time?.description,
      dates: Array(Set(finding.values.compactMap { $0.time.map { minute($0.local) } })).sorted(),
      history: finding.history?.rawValue,
      historyNote: finding.historyNote,
      values: finding.values.map {
        Value(
          analyte: $0.analyte.rawValue, value: $0.censoring.rawValue + $0.valueText,
          unit: $0.displayUnit, status: $0.status.rawValue, range: $0.rangeText,
          source: $0.source)
      }, context: finding.context, indices: indices(finding.indices))
  }

  /// The thyroid indices of a finding in reading order, each with its unit, reference
  /// interval and source (Methods: Feedback patterns).
  static func indices(_ values: [String: Double]) -> [Index] {
    let known: [(key: String, name: String, unit: String, reference: String, source: String)] = [
      (
        "spina_gt", "SPINA-GT (thyroid secretory capacity)", "pmol/s",
        "\(NumberText.plain(Spina.gtReference.lowerBound))-\(NumberText.plain(Spina.gtReference.upperBound))",
        "Dietrich et al. 2016"
      ),
      (
        "spina_gd", "SPINA-GD (deiodinase activity)", "nmol/s",
        "\(NumberText.plain(Spina.gdReference.lowerBound))-\(NumberText.plain(Spina.gdReference.upperBound))",
        "Dietrich et al. 2016"
      ),
      ("tshi", "TSH index (TSHI)", "", "1.3-4.1", "Jostel et al. 2009"),
      ("stshi", "standardised TSH index (sTSHI)", "", "-2 to 2", "Jostel et al. 2009"),
      (
        "ttsi", "thyrotroph thyroid hormone sensitivity index (TTSI)", "", "100-150",
        "Pilo et al. 1990"
      ),
    ]
    return known.compactMap { index in
      values[index.key].map {
        Index(
          name: index.name, value: NumberText.significant($0, 3), unit: index.unit,
          reference: index.reference, source: index.source)
      }
    }
  }

  /// Flags of the circadian day and the CAR protocol.
  static let dayFlags: Set<String> = [
    "wake-estimated", "wake-reconciled", "wake-conflict", "waking-delay-none",
    "waking-delay-short", "waking-delay-moderate", "waking-delay-high", "waking-delay-unknown",
    "off-schedule", "before-waking",
  ]

  /// The longest subject id kept as it is in a file name, and the longest readable part of
  /// one that is not.
  static let plainNameLimit = 64

  /// A file name for a subject id, bounded and collision-free, also on case-insensitive
  /// file systems. An id of upper-case ASCII letters, digits, `_` and `-` (as clinics
  /// number patients: `C-501`, `W101`) of at most `plainNameLimit` characters is its own
  /// name. Any other id gets a readable prefix (the id with other characters as `_`, at
  /// most `plainNameLimit`) and `~` with 24 hex digits of the SHA-256 of the exact id:
  /// `s01~…`, `x.fhir~…`. No plain name holds a `~` or a lower-case letter, so no plain
  /// name meets a hashed one, and two hashed names meet only when their ids' digests do;
  /// a name is never hidden, never empty, never a path, and at most 89 bytes before its
  /// suffix (`.fhir.json`).
  public static func fileName(_ subject: String) -> String {
    func plain(_ scalar: Unicode.Scalar) -> Bool {
      ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "_"
        || scalar == "-"
    }
    if !subject.isEmpty, subject.utf8.count <= plainNameLimit,
      subject.unicodeScalars.allSatisfy(plain)
    {
      return subject
    }
    let readable = subject.unicodeScalars.prefix(plainNameLimit).map { scalar -> Character in
      let kept = plain(scalar) || ("a"..."z").contains(scalar) || scalar == "."
      return kept ? Character(scalar) : "_"
    }
    var prefix = String(readable)
    if prefix.hasPrefix(".") { prefix = "_" + prefix.dropFirst() }
    return prefix + "~" + SHA256.hex(Array(subject.utf8)).prefix(24)
  }
}

extension PatientReport.CohortBand {
  /// The values of one bin (``CohortBandValues``, counted by the analyzers).
  public typealias Values = CohortBandValues

  /// The cohort's band: the quartiles of each bin with more than ``minimumSubjects``
  /// subjects.
  public static func band(_ binned: [Int: Values]) -> [Self] {
    binned.keys.sorted().compactMap { bin in
      let values = binned[bin]!.values
      let subjects = binned[bin]!.subjects
      guard subjects > minimumSubjects, let summary = CohortReport.summary("", "", values)
      else { return nil }
      let (from, to) = CohortBandValues.span(bin)
      return Self(from: from, to: to, q1: summary.q1, q3: summary.q3, subjects: subjects)
    }
  }
}
