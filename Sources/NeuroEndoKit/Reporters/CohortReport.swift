import Foundation

/// What a run found across its subjects, for the study team: counts per finding pattern and
/// per flattened verdict, the distribution of the subjects' mean ln slopes against the
/// flattened threshold, the CAR and slope features summarised (n, median, IQR), and the
/// patient reports. Written as `reports/cohort.json` and `reports/cohort.html`.
public struct CohortReport: Sendable, Hashable, Codable {
  /// The version of the cohort report's JSON shape.
  public static let schemaVersion = "1.0"

  public var schema = "neuroendo-cohort-report"
  public var schemaVersion = CohortReport.schemaVersion
  public var generator: String
  public var run: String
  public var subjects: Int
  public var subjectDays: Int
  /// Findings by axis, pattern and severity.
  public var patterns: [PatternCount]
  /// Subjects by flattened verdict (`yes`, `no`, `insufficient-data`).
  public var verdicts: [String: Int]
  /// The threshold of the absolute rule and the subjects' mean ln slopes (per hour).
  public var flattenedThreshold: Double
  public var slopes: Summary?
  public var slopeHistogram: [Bin]
  /// Feature summaries over the subject-days that have the feature.
  public var features: [Summary]
  /// Each subject's report, with what it holds.
  public var patients: [Patient]

  /// Findings of one pattern.
  public struct PatternCount: Sendable, Hashable, Codable {
    public var axis: String
    public var pattern: String
    public var severity: String
    public var count: Int
  }

  /// n, median and quartiles (linear interpolation between order statistics, as numpy's
  /// default) of one feature.
  public struct Summary: Sendable, Hashable, Codable {
    public var name: String
    public var unit: String
    public var n: Int
    public var median: Double
    public var q1: Double
    public var q3: Double
  }

  /// One bar of a histogram: `[low, high)`.
  public struct Bin: Sendable, Hashable, Codable {
    public var low: Double
    public var high: Double
    public var count: Int
  }

  /// A patient report and its headline.
  public struct Patient: Sendable, Hashable, Codable {
    public var subjectID: String
    /// The report's file name without extension, in `patients/`; `nil` when the run wrote
    /// no patient reports (`settings.reports.patients: false`).
    public var file: String?
    public var days: Int
    public var findings: Int
    public var marked: Int
    public var flattened: String?
  }

  /// The features the cohort report summarises over the subject-days, with their units.
  static let summarised: [(name: String, unit: String)] = [
    ("car_auc_g", "nmol/L x min"), ("car_auc_i", "nmol/L x min"), ("car_increase", "nmol/L"),
    ("car_r30", "nmol/L"), ("slope_log", "ln(nmol/L) per h"), ("cosinor_amplitude", "nmol/L"),
  ]

  /// The cohort of a run, from what its subjects (or the shards' subjects) contribute.
  public static func build(inputs: Inputs, run: String) -> CohortReport {
    CohortReport(
      generator: "NeuroEndo \(NeuroEndoVersion.current)", run: run,
      subjects: inputs.patients.count, subjectDays: inputs.subjectDays,
      patterns: inputs.patterns.sorted {
        ($0.axis, $0.pattern, $0.severity) < ($1.axis, $1.pattern, $1.severity)
      },
      verdicts: inputs.verdicts, flattenedThreshold: inputs.flattenedThreshold,
      slopes: summary("slope_log_mean", "ln(nmol/L) per h", inputs.slopes),
      slopeHistogram: histogram(inputs.slopes, around: inputs.flattenedThreshold),
      features: summarised.compactMap { summary($0.name, $0.unit, inputs.features[$0.name] ?? []) },
      patients: inputs.patients)
  }

  /// What the cohort report is computed from, per subject-day and subject; the parts of
  /// shards add up to the whole run's (``add(_:)``), which `neuroendo merge` relies on.
  public struct Inputs: Sendable, Hashable, Codable {
    /// Findings by axis, pattern and severity.
    public var patterns: [PatternCount] = []
    /// Subjects by flattened verdict.
    public var verdicts: [String: Int] = [:]
    /// The subjects' mean ln slopes.
    public var slopes: [Double] = []
    /// Subject-days with cortisol features.
    public var subjectDays = 0
    /// The values of each summarised feature over the subject-days (``summarised``).
    public var features: [String: [Double]] = [:]
    /// The patients, by subject id.
    public var patients: [Patient] = []
    /// The cortisol values of the patients' cohort band, by bin.
    public var band: [Int: PatientReport.CohortBand.Values] = [:]
    /// The flattened-slope threshold of the run (ln(nmol/L) per hour).
    public var flattenedThreshold: Double

    /// The contributions of a run's features and findings: the patients are the subjects
    /// that have a patient report (a subject-day, a finding or a result not judged).
    public init(
      features: CortisolRhythmFeatures, feedback: FeedbackResult, threshold: Double,
      band: [Int: PatientReport.CohortBand.Values] = [:], patientReports: Bool = true
    ) {
      flattenedThreshold = threshold
      var counts: [String: PatternCount] = [:]
      for finding in feedback.findings {
        let pattern = PatternCount(
          axis: finding.axis.rawValue, pattern: finding.pattern,
          severity: finding.severity.rawValue, count: 0)
        counts["\(pattern.axis)|\(pattern.pattern)|\(pattern.severity)", default: pattern].count +=
          1
      }
      patterns = Array(counts.values)
      for verdict in features.subjects { verdicts[verdict.outcome.rawValue, default: 0] += 1 }
      slopes = features.subjects.compactMap(\.slopeLogMean)
      let days = features.days
      subjectDays = days.count
      self.features = [
        "car_auc_g": days.compactMap(\.awakening.aucG),
        "car_auc_i": days.compactMap(\.awakening.aucI),
        "car_increase": days.compactMap(\.awakening.increase),
        "car_r30": days.compactMap(\.awakening.r30),
        "slope_log": days.compactMap(\.slope.logSlope),
        // Only fits without a weak-fit warning: a CAR-only day gives no rhythm amplitude.
        "cosinor_amplitude": days.compactMap {
          $0.cosinor.warnings.isEmpty ? $0.cosinor.fit?.amplitude : nil
        },
      ]
      let daysOf = Dictionary(grouping: days, by: \.subjectID).mapValues(\.count)
      let findingsOf = Dictionary(grouping: feedback.findings, by: \.subjectID)
      let verdicts = Dictionary(features.subjects.map { ($0.subjectID, $0) }) { first, _ in first }
      let subjects = Set(daysOf.keys).union(findingsOf.keys).union(
        feedback.notJudged.map(\.subjectID))
      patients = subjects.sorted().map { subject in
        let found = findingsOf[subject] ?? []
        return Patient(
          subjectID: subject, file: patientReports ? PatientReport.fileName(subject) : nil,
          days: daysOf[subject] ?? 0, findings: found.count,
          marked: found.filter { $0.severity == .marked }.count,
          flattened: verdicts[subject]?.outcome.rawValue)
      }
      self.band = band
    }

    /// Makes room for the values of `subjectDays` subject-days in all.
    public mutating func reserve(subjectDays: Int) {
      for name in features.keys { features[name]!.reserveCapacity(subjectDays) }
    }

    /// Adds another part's contributions (of other subjects), in place: values are pooled
    /// (every summary sorts them); the patients are appended, and put back in subject order
    /// by the caller once every part is added.
    public mutating func add(_ other: Inputs) {
      var counts = Dictionary(
        patterns.map { ("\($0.axis)|\($0.pattern)|\($0.severity)", $0) },
        uniquingKeysWith: { first, _ in first })
      for pattern in other.patterns {
        let key = "\(pattern.axis)|\(pattern.pattern)|\(pattern.severity)"
        if counts[key] == nil { counts[key] = pattern } else { counts[key]!.count += pattern.count }
      }
      patterns = Array(counts.values)
      verdicts.merge(other.verdicts, uniquingKeysWith: +)
      slopes += other.slopes
      subjectDays += other.subjectDays
      for (name, values) in other.features { features[name, default: []] += values }
      patients += other.patients
      PatientReport.CohortBand.pool(&band, other.band)
    }
  }

  /// n, median and quartiles, or `nil` without values.
  static func summary(_ name: String, _ unit: String, _ values: [Double]) -> Summary? {
    guard !values.isEmpty else { return nil }
    let sorted = values.sorted()
    func quantile(_ p: Double) -> Double {
      let position = p * Double(sorted.count - 1)
      let below = Int(position.rounded(.down))
      let above = min(below + 1, sorted.count - 1)
      return sorted[below] + (position - Double(below)) * (sorted[above] - sorted[below])
    }
    return Summary(
      name: name, unit: unit, n: sorted.count, median: quantile(0.5), q1: quantile(0.25),
      q3: quantile(0.75))
  }

  /// Bins of 0.025 per hour covering the values and the threshold, so that the threshold
  /// falls on a bin edge.
  static func histogram(_ values: [Double], around threshold: Double) -> [Bin] {
    guard !values.isEmpty else { return [] }
    let width = 0.025
    let low = (min(values.min()!, threshold) - threshold) / width
    let high = (max(values.max()!, threshold) - threshold) / width
    let first = Int(low.rounded(.down))
    let last = max(Int(high.rounded(.down)), first)
    var bins = (first...last).map {
      Bin(
        low: threshold + Double($0) * width, high: threshold + Double($0 + 1) * width, count: 0)
    }
    for value in values {
      let index = min(Int(((value - threshold) / width).rounded(.down)) - first, bins.count - 1)
      bins[max(index, 0)].count += 1
    }
    return bins
  }
}

extension CohortReport {
  /// The cohort report as pretty-printed JSON with sorted keys (``prettyJSON``).
  public var json: String { prettyJSON }

  /// The cohort report as one self-contained HTML page.
  public var html: String {
    let e = PatientReportRenderer.escape
    var body = "<h1>Cohort report</h1>\n<p class=\"meta\">\(e(generator)), run \(e(run)): "
    body += "\(subjects) subjects, \(subjectDays) subject-days.</p>\n"
    body += "<h2>Feedback findings by pattern</h2>\n"
    if patterns.isEmpty {
      body += "<p>No findings.</p>\n"
    } else {
      body += "<table><tr><th>axis</th><th>pattern</th><th>severity</th><th>findings</th></tr>\n"
      for count in patterns {
        body +=
          "<tr><td>\(e(count.axis))</td><td>\(e(count.pattern))</td><td>\(e(count.severity))</td><td class=\"n\">\(count.count)</td></tr>\n"
      }
      body += "</table>\n"
    }
    body += "<h2>Flattened diurnal slope</h2>\n<p>"
    body += ["yes", "no", "insufficient-data"].map { "\($0): \(verdicts[$0] ?? 0)" }.joined(
      separator: "; ")
    body +=
      ". Threshold \(NumberText.short(flattenedThreshold)) ln(nmol/L) per h (flattened_slope.threshold).</p>\n"
    body += histogramSVG()
    if !features.isEmpty {
      body += "<h2>Features over subject-days</h2>\n"
      body += "<table><tr><th>feature</th><th>unit</th><th>n</th><th>median</th><th>IQR</th></tr>\n"
      for summary in features {
        body +=
          "<tr><td>\(e(summary.name))</td><td>\(e(summary.unit))</td><td class=\"n\">\(summary.n)</td><td class=\"n\">\(NumberText.short(summary.median))</td><td class=\"n\">\(NumberText.short(summary.q1)) to \(NumberText.short(summary.q3))</td></tr>\n"
      }
      body += "</table>\n"
    }
    body +=
      "<h2>Patients</h2>\n<table><tr><th>subject</th><th>days</th><th>findings</th><th>marked</th><th>flattened</th></tr>\n"
    for patient in patients {
      body +=
        "<tr><td>\(patient.file.map { "<a href=\"patients/\(e($0)).html\">\(e(patient.subjectID))</a>" } ?? e(patient.subjectID))</td><td class=\"n\">\(patient.days)</td><td class=\"n\">\(patient.findings)</td><td class=\"n\">\(patient.marked)</td><td>\(e(patient.flattened ?? ""))</td></tr>\n"
    }
    body += "</table>\n"
    return """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <title>NeuroEndo cohort report</title>
      <style>
      @page { size: A4; margin: 15mm; }
      body { font-family: sans-serif; font-size: 10.5pt; color: #000; background: #fff; max-width: 180mm; margin: auto; }
      h1 { font-size: 16pt; } h2 { font-size: 13pt; border-bottom: 1px solid #000; }
      table { border-collapse: collapse; margin: 4px 0 8px; } th, td { border: 1px solid #555; padding: 2px 5px; text-align: left; }
      td.n { text-align: right; } .meta { color: #333; font-size: 9pt; } a { color: #000; }
      svg { width: 100%; height: auto; }
      </style>
      </head>
      <body>
      \(body)</body>
      </html>

      """
  }

  /// The histogram of the subjects' mean ln slopes, the threshold drawn as a dashed line.
  func histogramSVG() -> String {
    guard let first = slopeHistogram.first, let last = slopeHistogram.last else {
      return "<p>No subject has a mean ln slope.</p>\n"
    }
    let (width, height, left, bottom, top) = (600.0, 200.0, 40.0, 36.0, 12.0)
    let span = max(last.high - first.low, 1e-9)
    let tallest = Double(max(slopeHistogram.map(\.count).max() ?? 1, 1))
    func x(_ value: Double) -> Double { left + (value - first.low) / span * (width - left - 10) }
    func y(_ count: Double) -> Double { top + (1 - count / tallest) * (height - top - bottom) }
    func f(_ value: Double) -> String { NumberText.oneDecimal(value) }
    var parts = [
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"Mean ln slopes\">"
    ]
    for bin in slopeHistogram where bin.count > 0 {
      parts.append(
        "<rect class=\"bin\" x=\"\(f(x(bin.low)))\" y=\"\(f(y(Double(bin.count))))\" width=\"\(f(x(bin.high) - x(bin.low)))\" height=\"\(f(height - bottom - y(Double(bin.count))))\" fill=\"#bbb\" stroke=\"#000\"><title>\(NumberText.short(bin.low)) to \(NumberText.short(bin.high)): \(bin.count)</title></rect>"
      )
    }
    parts.append(
      "<line x1=\"\(f(left))\" y1=\"\(f(height - bottom))\" x2=\"\(f(width - 10))\" y2=\"\(f(height - bottom))\" stroke=\"#000\"/>"
    )
    parts.append(
      "<line class=\"threshold\" x1=\"\(f(x(flattenedThreshold)))\" y1=\"\(f(top))\" x2=\"\(f(x(flattenedThreshold)))\" y2=\"\(f(height - bottom))\" stroke=\"#000\" stroke-dasharray=\"5 3\"/>"
    )
    parts.append(
      "<text x=\"\(f(x(flattenedThreshold) + 4))\" y=\"\(f(top + 10))\" font-size=\"9\">flattened above \(NumberText.short(flattenedThreshold))</text>"
    )
    for edge in [first.low, flattenedThreshold, last.high] {
      parts.append(
        "<text x=\"\(f(x(edge)))\" y=\"\(f(height - bottom + 14))\" font-size=\"9\" text-anchor=\"middle\">\(NumberText.short(edge))</text>"
      )
    }
    parts.append(
      "<text x=\"\(f((left + width) / 2))\" y=\"\(f(height - 6))\" font-size=\"10\" text-anchor=\"middle\">mean ln slope per subject (per h)</text>"
    )
    parts.append("</svg>")
    return parts.joined(separator: "\n") + "\n"
  }
}
