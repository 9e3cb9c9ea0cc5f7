import Foundation

/// Everything a per-patient report shows, built once and rendered as JSON, Markdown and
/// HTML: the subject's cortisol days (samples, features, what was left out and why), the
/// flattened-slope verdict with its rule, the feedback findings per axis with values, ranges
/// and their sources, and what could not be judged. It holds this subject's data only.
///
/// The JSON form follows `patient-report.schema.json` (shipped beside this file), version
/// ``schemaVersion``.
public struct PatientReport: Sendable, Hashable, Codable {
  /// The version of the JSON schema this report follows.
  public static let schemaVersion = "1.0"

  /// Always `neuroendo-patient-report`.
  public var schema = "neuroendo-patient-report"
  /// The schema version.
  public var schemaVersion = PatientReport.schemaVersion
  /// The NeuroEndo version and the run that wrote the report.
  public var generator: String
  public var run: String
  /// The subject.
  public var subjectID: String
  /// Sex, age and medication the exports gave, as findings show them.
  public var context: [String]
  /// The cortisol days, in order.
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
  }

  /// A feature value with its unit.
  public struct Feature: Sendable, Hashable, Codable {
    public var name: String
    public var value: Double
    public var unit: String
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
    band: [CohortBand]? = nil
  ) -> [PatientReport] {
    var cortisolByDay: [String: [Int: [NormalizedSample]]] = [:]
    var flags: [String: [String: Int]] = [:]
    for sample in samples {
      let subject = sample.sample.subjectID
      for flag in sample.flags { flags[subject, default: [:]][flag.code, default: 0] += 1 }
      guard sample.sample.analyte == .cortisol,
        settings.specimens.contains(sample.sample.specimen), let position = sample.circadian
      else { continue }
      cortisolByDay[subject, default: [:]][position.day, default: []].append(sample)
    }
    let days = Dictionary(grouping: features.days, by: \.subjectID)
    let verdicts = Dictionary(features.subjects.map { ($0.subjectID, $0) }) { first, _ in first }
    let findings = Dictionary(grouping: feedback.findings, by: \.subjectID)
    let notJudged = Dictionary(grouping: feedback.notJudged, by: \.subjectID)
    let subjects = Set(days.keys).union(findings.keys).union(notJudged.keys).sorted()
    // The cohort's band, once for all (or as given: the whole cohort's, for a shard).
    let band = band ?? CohortBand.band(CohortBand.values(samples, settings: settings))
    return subjects.map { subject in
      let subjectFindings = findings[subject] ?? []
      return PatientReport(
        generator: "NeuroEndo \(NeuroEndoVersion.current)", run: run, subjectID: subject,
        context: (subjectFindings.first ?? notJudged[subject]?.first)?.context ?? [],
        days: (days[subject] ?? []).map { day in
          Self.day(day, samples: cortisolByDay[subject]?[day.day] ?? [])
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
        flags: (flags[subject] ?? [:]).filter {
          days[subject] != nil || !Self.dayFlags.contains($0.key)
        },
        cohortBand: days[subject] == nil ? [] : band)
    }
  }

  private static func day(_ day: SubjectDayFeatures, samples: [NormalizedSample]) -> Day {
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
        excluded: excluded.first { $0.sample == name }?.reason)
    }.sorted { $0.minutes < $1.minutes }
    let car = day.awakening
    let slope = day.slope
    let fit = day.cosinor.fit
    let candidates: [(String, Double?, String)] = [
      ("car_auc_g", car.aucG, "nmol/L x min"), ("car_auc_i", car.aucI, "nmol/L x min"),
      ("car_increase", car.increase, "nmol/L"), ("car_increase_percent", car.increasePercent, "%"),
      ("car_r30", car.r30, "nmol/L"), ("car_time_to_peak", car.timeToPeak, "min"),
      ("slope_wake_bed", slope.wakeToBed, "nmol/L per h"),
      ("slope_peak_bed", slope.peakToBed, "nmol/L per h"),
      ("slope_log", slope.logSlope, "ln(nmol/L) per h"),
      ("slope_log_se", slope.logSlopeStandardError, "ln(nmol/L) per h"),
      ("cosinor_mesor", fit?.mesor, "nmol/L"), ("cosinor_amplitude", fit?.amplitude, "nmol/L"),
      ("cosinor_acrophase_h", day.cosinor.acrophaseClockHours, "clock h"),
      ("cosinor_acrophase_since_waking_h", fit?.peakHours, "h since waking"),
      ("cosinor_p", fit?.pValue, ""),
    ]
    return Day(
      day: day.day, wakeSource: day.wakeSource.rawValue,
      wake: samples.first?.circadian?.wake?.description, samples: points,
      features: candidates.compactMap { name, value, unit in
        value.map { Feature(name: name, value: $0, unit: unit) }
      },
      reasons: day.reasons, notes: day.notes)
  }

  private static func entry(_ finding: Finding) -> FindingEntry {
    FindingEntry(
      axis: finding.axis.rawValue, analyzer: finding.analyzer, pattern: finding.pattern,
      severity: finding.severity.rawValue, message: finding.message, rule: finding.rule,
      time: finding.time?.description, history: finding.history?.rawValue,
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
  /// number patients: `C-501`, `W101`) of at most ``plainNameLimit`` characters is its own
  /// name. Any other id gets a readable prefix (the id with other characters as `_`, at
  /// most ``plainNameLimit``) and `~` with 24 hex digits of the SHA-256 of the exact id:
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
  /// The bins: quarter hours through the first hour after waking (the CAR), then hours to a
  /// day. `nil` outside.
  static func bin(_ minutes: Double) -> Int? {
    guard minutes >= 0, minutes < 24 * 60 else { return nil }
    return minutes < 60 ? Int(minutes / 15) : 3 + Int(minutes / 60)
  }

  /// The minutes a bin spans.
  static func span(_ bin: Int) -> (from: Double, to: Double) {
    bin < 4
      ? (Double(bin) * 15, Double(bin + 1) * 15) : (Double(bin - 3) * 60, Double(bin - 2) * 60)
  }

  /// The values of one bin, and how many subjects they come from.
  public struct Values: Sendable, Hashable, Codable {
    public var values: [Double]
    public var subjects: Int
  }

  /// The values of each bin: the analysed specimens' cortisol on circadian days, uncensored,
  /// without an excluding flag.
  public static func values(_ samples: [NormalizedSample], settings: AnalyzerSettings)
    -> [Int: Values]
  {
    var binned: [Int: Values] = [:]
    var binsOfSubject: [String: Set<Int>] = [:]
    for sample in samples {
      guard sample.sample.analyte == .cortisol,
        settings.specimens.contains(sample.sample.specimen), let position = sample.circadian,
        sample.value.censoring == .none,
        !sample.flags.contains(where: { settings.excludeFlags.contains($0.code) }),
        let bin = bin(position.minutesSinceWaking)
      else { continue }
      binned[bin, default: Values(values: [], subjects: 0)].values.append(sample.value.value)
      binsOfSubject[sample.sample.subjectID, default: []].insert(bin)
    }
    for bins in binsOfSubject.values {
      for bin in bins { binned[bin]!.subjects += 1 }
    }
    return binned
  }

  /// Adds the values of other subjects' bins to `values` (shards and partitions are of
  /// different subjects, so their subject counts add up).
  public static func pool(_ values: inout [Int: Values], _ other: [Int: Values]) {
    for (bin, part) in other {
      values[bin, default: Values(values: [], subjects: 0)].values += part.values
      values[bin]!.subjects += part.subjects
    }
  }

  /// The cohort's band: the quartiles of each bin with more than ``minimumSubjects``
  /// subjects.
  public static func band(_ binned: [Int: Values]) -> [Self] {
    binned.keys.sorted().compactMap { bin in
      let values = binned[bin]!.values
      let subjects = binned[bin]!.subjects
      guard subjects > minimumSubjects, let summary = CohortReport.summary("", "", values)
      else { return nil }
      let (from, to) = span(bin)
      return Self(from: from, to: to, q1: summary.q1, q3: summary.q3, subjects: subjects)
    }
  }
}
