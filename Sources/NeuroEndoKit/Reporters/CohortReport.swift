import Foundation

/// What a run found across its subjects, for the study team: counts per finding pattern and
/// per flattened verdict, the distribution of the subjects' mean ln slopes against the
/// flattened threshold, the CAR and slope features summarised (n, median, IQR), and the
/// patient reports. Written as `reports/cohort.json` and `reports/cohort.html`.
public struct CohortReport: Sendable, Hashable, Codable {
  /// The version of the cohort report's JSON shape.
  public static let schemaVersion = "1.1"

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
  /// The responses to a protocol event (a stress test), by condition: the mean and standard
  /// error of the subjects' values at each time, as BioPsyKit plots them.
  public var responses: [ResponseCurve] = []

  /// One condition's response curve.
  public struct ResponseCurve: Sendable, Hashable, Codable {
    public var condition: String
    public var points: [ResponsePoint]
  }

  /// The subjects' values at one time of a response: n, mean and standard error of the mean
  /// (the sample standard deviation over the square root of n; none for one subject).
  public struct ResponsePoint: Sendable, Hashable, Codable {
    public var minutes: Double
    public var n: Int
    public var mean: Double
    public var se: Double?
  }

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
    /// no patient reports (`settings.reports.patients: false`) or none for this subject
    /// (quarantined: its reports could not be made or named).
    public var file: String?
    public var days: Int
    /// Responses to a protocol event (study days with a stress test).
    public var responses: Int = 0
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
      patients: inputs.patients, responses: curves(inputs.responses))
  }

  /// The curves of the responses' values, `condition|minutes` to the subjects' values.
  static func curves(_ values: [String: [Double]]) -> [ResponseCurve] {
    var byCondition: [String: [ResponsePoint]] = [:]
    for (key, values) in values where !values.isEmpty {
      guard let bar = key.lastIndex(of: "|"), let minutes = Double(key[key.index(after: bar)...])
      else { continue }
      let condition = String(key[..<bar])
      let n = Double(values.count)
      let mean = values.reduce(0, +) / n
      let se =
        values.count > 1
        ? (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / (n - 1)).squareRoot()
          / n.squareRoot() : nil
      byCondition[condition, default: []].append(
        ResponsePoint(minutes: minutes, n: values.count, mean: mean, se: se))
    }
    return byCondition.keys.sorted().map {
      ResponseCurve(condition: $0, points: byCondition[$0]!.sorted { $0.minutes < $1.minutes })
    }
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
    /// The values of each summarised feature over the subject-days (`summarised`).
    public var features: [String: [Double]] = [:]
    /// The patients, by subject id.
    public var patients: [Patient] = []
    /// The cortisol values of the patients' cohort band, by bin.
    public var band: [Int: PatientReport.CohortBand.Values] = [:]
    /// The flattened-slope threshold of the run (ln(nmol/L) per hour).
    public var flattenedThreshold: Double
    /// The response values by `condition|minutes` (the condition column a profile kept, or
    /// `all`), pooled over the subjects.
    public var responses: [String: [Double]] = [:]

    /// The columns that name a study's condition or group.
    static let conditionColumns: Set<String> = ["condition", "group", "arm", "treatment"]

    /// The contributions of a run's features and findings: the patients are the subjects
    /// that have a patient report (a subject-day, a finding or a result not judged), and
    /// those with a response to a protocol event.
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
      // Counted, not grouped: a group holds a copy of every day's features.
      var daysOf: [String: Int] = [:]
      for index in days.indices { daysOf[days[index].subjectID, default: 0] += 1 }
      let findingsOf = Dictionary(grouping: feedback.findings, by: \.subjectID)
      let verdicts = Dictionary(features.subjects.map { ($0.subjectID, $0) }) { first, _ in first }
      // The responses' subjects count too: a stress-test study has no days and no findings.
      for response in features.responses {
        let condition =
          response.attributes.first { Self.conditionColumns.contains($0.key.lowercased()) }?
          .value ?? "all"
        for point in response.points {
          responses["\(condition)|\(NumberText.plain(point.minutes))", default: []].append(
            point.value)
        }
      }
      var respondents: [String: Int] = [:]
      for response in features.responses { respondents[response.subjectID, default: 0] += 1 }
      let subjects = Set(daysOf.keys).union(findingsOf.keys).union(
        feedback.notJudged.map(\.subjectID)
      ).union(respondents.keys)
      // A subject with a response alone has no patient report (nothing a clinic reads): it is
      // counted and listed, without a link.
      let reported = Set(daysOf.keys).union(findingsOf.keys).union(
        feedback.notJudged.map(\.subjectID))
      patients = subjects.sorted().map { subject in
        let found = findingsOf[subject] ?? []
        return Patient(
          subjectID: subject,
          file: patientReports && reported.contains(subject)
            ? PatientReport.fileName(subject) : nil,
          days: daysOf[subject] ?? 0, responses: respondents[subject] ?? 0, findings: found.count,
          marked: found.filter { $0.severity == .marked }.count,
          flattened: verdicts[subject]?.outcome.rawValue)
      }
      self.band = band
    }

    /// Lists `subjects` without a link to their pages (quarantined: their pages were not
    /// written); how many had one.
    @discardableResult
    mutating func dropLinks(of subjects: Set<String>) -> Int {
      guard !subjects.isEmpty else { return 0 }
      var unlinked = 0
      for index in patients.indices
      where patients[index].file != nil && subjects.contains(patients[index].subjectID) {
        patients[index].file = nil
        unlinked += 1
      }
      return unlinked
    }

    /// About how much memory the contributions take: their values and patients (without
    /// the arrays' spare room, so the real figure may be up to twice as much).
    var approximateBytes: Int {
      let values =
        slopes.count + features.values.reduce(0) { $0 + $1.count }
        + responses.values.reduce(0) { $0 + $1.count }
        + band.values.reduce(0) { $0 + $1.values.count }
      return 8 * values + 96 * patients.count
    }

    /// Makes room for the values of `subjectDays` subject-days and `patients` patients in
    /// all (appended one part at a time, the arrays would grow by doubling).
    public mutating func reserve(subjectDays: Int, patients count: Int = 0) {
      for name in features.keys { features[name]!.reserveCapacity(subjectDays) }
      patients.reserveCapacity(count)
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
      CohortBandValues.pool(&band, other.band)
      for (key, values) in other.responses { responses[key, default: []] += values }
    }
  }

  /// n, median and quartiles, or `nil` without values.
  static func summary(_ name: String, _ unit: String, _ values: [Double]) -> Summary? {
    guard !values.isEmpty else { return nil }
    // The values' ranks by selection, not a sort of them all, when every value has one
    // place in the order: finite, and no -0 beside a +0 that a sort could put either side.
    let ranked = values.allSatisfy { $0.isFinite && $0.bitPattern != (-0.0).bitPattern }
    var order = values
    if !ranked { order.sort() }
    /// The value of rank `rank` (from 0) in sorted order.
    func value(_ rank: Int) -> Double {
      guard ranked else { return order[rank] }
      return select(rank, in: &order)
    }
    func quantile(_ p: Double) -> Double {
      let position = p * Double(order.count - 1)
      let below = Int(position.rounded(.down))
      let above = min(below + 1, order.count - 1)
      let low = value(below)
      let high = value(above)
      return low + (position - Double(below)) * (high - low)
    }
    return Summary(
      name: name, unit: unit, n: order.count, median: quantile(0.5), q1: quantile(0.25),
      q3: quantile(0.75))
  }

  /// The value of rank `rank` (from 0) among `values`, which are left partly ordered:
  /// Hoare's selection, each step partitioning around the median of three values; after
  /// `limit` steps (an order that defeats the median of three), the rest is sorted, so
  /// that no order of values costs more than a sort.
  static func select(_ rank: Int, in values: inout [Double], steps limit: Int = 64) -> Double {
    var low = 0
    var high = values.count - 1
    var steps = 0
    while low < high {
      steps += 1
      if steps > limit {
        // Every value of a rank in low...high lies in low...high: sorting them ranks them.
        values[low...high].sort()
        return values[rank]
      }
      let middle = low + (high - low) / 2
      let (first, second, last) = (values[low], values[middle], values[high])
      let pivot = max(min(first, second), min(max(first, second), last))
      var left = low
      var right = high
      while left <= right {
        while values[left] < pivot { left += 1 }
        while values[right] > pivot { right -= 1 }
        if left <= right {
          values.swapAt(left, right)
          left += 1
          right -= 1
        }
      }
      // Now values[low...right] <= pivot <= values[left...high], and between them (if
      // anything) values equal to the pivot.
      if rank <= right {
        high = right
      } else if rank >= left {
        low = left
      } else {
        return values[rank]
      }
    }
    return values[rank]
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
  /// The cohort report as pretty-printed JSON with sorted keys (`prettyJSON`).
  public var json: String { prettyJSON }

  /// The cohort report as one self-contained HTML page, from a Mustache template (which
  /// escapes every text) with charts from `SVGElement`.
  public var html: String { Self.template.render(context) }

  /// ``html``'s bytes, for a file: a large cohort's page is tens of megabytes, which a text
  /// would hold a second time (the JSON's are ``prettyJSONBytes``).
  var htmlBytes: [UInt8] { Self.template.renderBytes(context) }

  /// The verdicts in words, in reading order.
  static let verdictNames = [
    ("yes", "flattened"), ("no", "not flattened"), ("insufficient-data", "too few valid days"),
  ]

  /// The values the template shows.
  var context: [String: Any] {
    [
      "generator": generator, "run": run, "subjects": String(subjects),
      "subjectDays": String(subjectDays),
      "hasPatterns": !patterns.isEmpty,
      "patterns": patterns.map {
        [
          "axis": $0.axis, "pattern": $0.pattern, "severity": $0.severity,
          "count": String($0.count),
        ]
      },
      "hasRhythm": subjectDays > 0 || !slopeHistogram.isEmpty,
      "verdicts": Self.verdictNames.map { "\($0.1): \(verdicts[$0.0] ?? 0)" }.joined(
        separator: "; "),
      "threshold": NumberText.short(flattenedThreshold),
      "histogram": histogramSVG(),
      "hasFeatures": !features.isEmpty,
      "features": features.map { summary in
        [
          "name": PatientReport.featureNames.first(where: { $0.key == summary.name })?.label
            ?? summary.name,
          "unit": summary.unit, "n": String(summary.n),
          "median": NumberText.significant(summary.median, 3),
          "iqr":
            "\(NumberText.significant(summary.q1, 3)) to \(NumberText.significant(summary.q3, 3))",
        ]
      },
      "hasResponses": !responses.isEmpty,
      "responseChart": responseSVG(),
      "responses": responses.flatMap { curve in
        curve.points.map {
          [
            "condition": curve.condition, "minutes": NumberText.plain($0.minutes),
            "n": String($0.n), "mean": NumberText.significant($0.mean, 3),
            "se": $0.se.map { NumberText.significant($0, 2) } ?? "",
          ]
        }
      },
      "nothing": patterns.isEmpty && subjectDays == 0 && responses.isEmpty,
      // Made row by row as the table is written (``PageTemplate/Rows``).
      "patients": PageTemplate.Rows(
        count: patients.count,
        item: { [patients] index in
          let patient = patients[index]
          return [
            "subject": patient.subjectID, "linked": patient.file != nil,
            "href": patient.file.map { "patients/\($0).html" } ?? "",
            "days": String(patient.days), "responses": String(patient.responses),
            "findings": String(patient.findings), "marked": String(patient.marked),
            "flattened": patient.flattened ?? "",
          ]
        },
        write: { [patients] index, out in Self.writeRow(patients[index], into: &out) }),
    ]
  }

  /// A patient's row of the page's table, as the template's `patients` section writes it.
  static func writeRow(_ patient: Patient, into out: inout [UInt8]) {
    out.append(literal: "<tr><td>")
    if let file = patient.file {
      // Escaped byte by byte, the link's parts are escaped as the link would be whole.
      out.append(literal: "<a href=\"patients/")
      PageTemplate.escape(file, into: &out)
      out.append(literal: ".html\">")
      PageTemplate.escape(patient.subjectID, into: &out)
      out.append(literal: "</a>")
    } else {
      PageTemplate.escape(patient.subjectID, into: &out)
    }
    func count(_ value: Int) {
      out.append(literal: "</td><td class=\"n\">")
      out.appendDecimal(value)
    }
    count(patient.days)
    count(patient.responses)
    count(patient.findings)
    count(patient.marked)
    out.append(literal: "</td><td>")
    PageTemplate.escape(patient.flattened ?? "", into: &out)
    out.append(literal: "</td></tr>\n")
  }

  static let template: PageTemplate = {
    do { return try PageTemplate(page) } catch { fatalError("\(error)") }
  }()

  static let page = """
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <title>NeuroEndo cohort report</title>
    <style>
    @page { size: A4; margin: 15mm; }
    body { font-family: sans-serif; font-size: 10pt; color: #000; background: #fff; max-width: 180mm; margin: auto; }
    h1 { font-size: 15pt; } h2 { font-size: 12pt; border-bottom: 1px solid #000; }
    table { border-collapse: collapse; margin: 4px 0 8px; } th, td { border: 1px solid #555; padding: 2px 5px; text-align: left; }
    td.n { text-align: right; } .meta { color: #333; font-size: 9pt; } a { color: #000; }
    svg { width: 100%; height: auto; break-inside: avoid; } h2 { break-after: avoid; }
    </style>
    </head>
    <body>
    <h1>Cohort report</h1>
    <p class="meta">{{generator}}, run {{run}}: {{subjects}} subjects, {{subjectDays}} subject-days.</p>
    {{#nothing}}<p>No findings, no cortisol days and no responses: nothing to summarise.</p>{{/nothing}}
    {{#hasResponses}}
    <h2>Responses to the protocol event</h2>
    <p>Mean and standard error of the subjects' cortisol at each time, by condition (as BioPsyKit plots them).</p>
    {{{responseChart}}}
    <table><tr><th>condition</th><th>min</th><th>n</th><th>mean nmol/L</th><th>SE</th></tr>
    {{#responses}}<tr><td>{{condition}}</td><td class="n">{{minutes}}</td><td class="n">{{n}}</td><td class="n">{{mean}}</td><td class="n">{{se}}</td></tr>
    {{/responses}}</table>
    {{/hasResponses}}
    {{#hasPatterns}}
    <h2>Feedback findings by pattern</h2>
    <table><tr><th>axis</th><th>pattern</th><th>severity</th><th>findings</th></tr>
    {{#patterns}}<tr><td>{{axis}}</td><td>{{pattern}}</td><td>{{severity}}</td><td class="n">{{count}}</td></tr>
    {{/patterns}}</table>
    {{/hasPatterns}}
    {{#hasRhythm}}
    <h2>Flattened diurnal slope</h2>
    <p>{{verdicts}}. Threshold {{threshold}} ln(nmol/L) per h (flattened_slope.threshold).</p>
    {{{histogram}}}
    {{/hasRhythm}}
    {{#hasFeatures}}
    <h2>Features over subject-days</h2>
    <table><tr><th>feature</th><th>unit</th><th>n</th><th>median</th><th>IQR</th></tr>
    {{#features}}<tr><td>{{name}}</td><td>{{unit}}</td><td class="n">{{n}}</td><td class="n">{{median}}</td><td class="n">{{iqr}}</td></tr>
    {{/features}}</table>
    {{/hasFeatures}}
    <h2>Patients</h2>
    <table><tr><th>subject</th><th>days</th><th>responses</th><th>findings</th><th>marked</th><th>flattened</th></tr>
    {{#patients}}<tr><td>{{#linked}}<a href="{{href}}">{{subject}}</a>{{/linked}}{{^linked}}{{subject}}{{/linked}}</td><td class="n">{{days}}</td><td class="n">{{responses}}</td><td class="n">{{findings}}</td><td class="n">{{marked}}</td><td>{{flattened}}</td></tr>
    {{/patients}}</table>
    </body>
    </html>

    """

  /// The histogram of the subjects' mean ln slopes, with a count axis, the threshold drawn
  /// as a dashed line.
  func histogramSVG() -> String {
    guard let first = slopeHistogram.first, let last = slopeHistogram.last else {
      return "<p>No subject has a mean ln slope.</p>\n"
    }
    let (width, height, left, bottom, top) = (600.0, 200.0, 48.0, 36.0, 12.0)
    let span = max(last.high - first.low, 1e-9)
    // Counts are whole: ticks at whole numbers.
    let step = max(
      1, CortisolChart.step(Double(max(slopeHistogram.map(\.count).max() ?? 1, 1)) / 4))
    let tallest = (Double(slopeHistogram.map(\.count).max() ?? 1) / step).rounded(.up) * step
    func x(_ value: Double) -> Double { left + (value - first.low) / span * (width - left - 10) }
    func y(_ count: Double) -> Double { top + (1 - count / tallest) * (height - top - bottom) }
    func f(_ value: Double) -> String { NumberText.oneDecimal(value) }
    var parts: [SVGElement] = []
    for bin in slopeHistogram where bin.count > 0 {
      parts.append(
        SVGElement(
          "rect",
          [
            ("class", "bin"), ("x", f(x(bin.low))), ("y", f(y(Double(bin.count)))),
            ("width", f(x(bin.high) - x(bin.low))),
            ("height", f(height - bottom - y(Double(bin.count)))), ("fill", "#bbb"),
            ("stroke", "#000"),
          ],
          children: [
            SVGElement(
              "title",
              text: "\(NumberText.short(bin.low)) to \(NumberText.short(bin.high)): \(bin.count)")
          ]))
    }
    parts.append(
      SVGElement(
        "line",
        [
          ("x1", f(left)), ("y1", f(height - bottom)), ("x2", f(width - 10)),
          ("y2", f(height - bottom)), ("stroke", "#000"),
        ]))
    // The count axis.
    parts.append(
      SVGElement(
        "line",
        [
          ("class", "y-axis"), ("x1", f(left)), ("y1", f(top)), ("x2", f(left)),
          ("y2", f(height - bottom)), ("stroke", "#000"),
        ]))
    var count = 0.0
    while count <= tallest {
      parts.append(
        SVGElement(
          "line",
          [
            ("x1", f(left - 4)), ("y1", f(y(count))), ("x2", f(left)), ("y2", f(y(count))),
            ("stroke", "#000"),
          ]))
      parts.append(
        SVGElement(
          "text",
          [("x", f(left - 6)), ("y", f(y(count) + 3)), ("font-size", "9"), ("text-anchor", "end")],
          text: NumberText.plain(count)))
      count += step
    }
    let middle = f((top + height - bottom) / 2)
    parts.append(
      SVGElement(
        "text",
        [
          ("x", "12"), ("y", middle), ("font-size", "10"), ("text-anchor", "middle"),
          ("transform", "rotate(-90 12 \(middle))"),
        ], text: "subjects"))
    parts.append(
      SVGElement(
        "line",
        [
          ("class", "threshold"), ("x1", f(x(flattenedThreshold))), ("y1", f(top)),
          ("x2", f(x(flattenedThreshold))), ("y2", f(height - bottom)), ("stroke", "#000"),
          ("stroke-dasharray", "5 3"),
        ]))
    parts.append(
      SVGElement(
        "text", [("x", f(x(flattenedThreshold) + 4)), ("y", f(top + 10)), ("font-size", "9")],
        text: "flattened above \(NumberText.short(flattenedThreshold))"))
    for edge in [first.low, flattenedThreshold, last.high] {
      parts.append(
        SVGElement(
          "text",
          [
            ("x", f(x(edge))), ("y", f(height - bottom + 14)), ("font-size", "9"),
            ("text-anchor", "middle"),
          ], text: NumberText.short(edge)))
    }
    parts.append(
      SVGElement(
        "text",
        [
          ("x", f((left + width) / 2)), ("y", f(height - 6)), ("font-size", "10"),
          ("text-anchor", "middle"),
        ], text: "mean ln slope per subject (per h)"))
    return SVGElement(
      "svg",
      [
        ("xmlns", "http://www.w3.org/2000/svg"), ("viewBox", "0 0 \(Int(width)) \(Int(height))"),
        ("role", "img"), ("aria-label", "Mean ln slopes"),
      ],
      children: parts
    ).markup + "\n"
  }

  /// The response curves: each condition's mean against minutes from the event, with error
  /// bars of one standard error, a dash pattern per condition and a legend, in black and
  /// white.
  func responseSVG() -> String {
    let points = responses.flatMap(\.points)
    guard let earliest = points.map(\.minutes).min(), let latest = points.map(\.minutes).max()
    else {
      return ""
    }
    let (width, height, left, bottom, top, right) = (600.0, 240.0, 52.0, 40.0, 14.0, 120.0)
    let highest = max(points.map { $0.mean + ($0.se ?? 0) }.max() ?? 1, 1)
    let step = CortisolChart.step(highest / 4)
    let valueTop = (highest / step).rounded(.up) * step
    let span = max(latest - earliest, 1)
    func x(_ minutes: Double) -> Double {
      left + (minutes - earliest) / span * (width - left - right)
    }
    func y(_ value: Double) -> Double { top + (1 - value / valueTop) * (height - top - bottom) }
    func f(_ value: Double) -> String { NumberText.oneDecimal(value) }
    let base = height - bottom
    var parts: [SVGElement] = [
      SVGElement(
        "line",
        [
          ("x1", f(left)), ("y1", f(base)), ("x2", f(width - right)), ("y2", f(base)),
          ("stroke", "#000"),
        ]),
      SVGElement(
        "line",
        [("x1", f(left)), ("y1", f(top)), ("x2", f(left)), ("y2", f(base)), ("stroke", "#000")]),
    ]
    if earliest < 0, latest > 0 {
      parts.append(
        SVGElement(
          "line",
          [
            ("class", "event"), ("x1", f(x(0))), ("y1", f(top)), ("x2", f(x(0))), ("y2", f(base)),
            ("stroke", "#000"), ("stroke-dasharray", "2 3"),
          ]))
    }
    for index in 0...4 {
      let value = valueTop / 4 * Double(index)
      parts.append(
        SVGElement(
          "text",
          [("x", f(left - 6)), ("y", f(y(value) + 3)), ("font-size", "9"), ("text-anchor", "end")],
          text: NumberText.short(value)))
    }
    for minutes in Set(points.map(\.minutes)).sorted() {
      parts.append(
        SVGElement(
          "text",
          [
            ("x", f(x(minutes))), ("y", f(base + 14)), ("font-size", "9"),
            ("text-anchor", "middle"),
          ], text: NumberText.plain(minutes)))
    }
    parts.append(
      SVGElement(
        "text",
        [
          ("x", f((left + width - right) / 2)), ("y", f(height - 6)), ("font-size", "10"),
          ("text-anchor", "middle"),
        ], text: "minutes from the event"))
    let middle = f((top + base) / 2)
    parts.append(
      SVGElement(
        "text",
        [
          ("x", "12"), ("y", middle), ("font-size", "10"), ("text-anchor", "middle"),
          ("transform", "rotate(-90 12 \(middle))"),
        ], text: "cortisol, nmol/L (mean ± SE)"))
    let dashes = ["", "6 3", "2 2", "8 3 2 3"]
    for (index, curve) in responses.enumerated() {
      let dash = dashes[index % dashes.count]
      var line: [(String, String)] = [
        ("class", "response"),
        (
          "points",
          curve.points.map { "\(f(x($0.minutes))),\(f(y($0.mean)))" }.joined(separator: " ")
        ),
        ("fill", "none"), ("stroke", "#000"), ("stroke-width", "1.5"),
      ]
      if !dash.isEmpty { line.append(("stroke-dasharray", dash)) }
      parts.append(SVGElement("polyline", line))
      let most = curve.points.map(\.n).max() ?? 0
      for point in curve.points {
        // A time fewer subjects have is said on the chart: its mean is not the others'.
        if point.n < most {
          parts.append(
            SVGElement(
              "text",
              [("x", f(x(point.minutes) + 5)), ("y", f(y(point.mean) - 5)), ("font-size", "8")],
              text: "n=\(point.n)"))
        }
        if let se = point.se {
          parts.append(
            SVGElement(
              "line",
              [
                ("class", "error-bar"), ("x1", f(x(point.minutes))), ("y1", f(y(point.mean - se))),
                ("x2", f(x(point.minutes))), ("y2", f(y(point.mean + se))), ("stroke", "#000"),
              ]))
        }
        parts.append(
          SVGElement(
            "circle",
            [
              ("class", "mean"), ("cx", f(x(point.minutes))), ("cy", f(y(point.mean))), ("r", "3"),
              ("fill", index % 2 == 0 ? "#000" : "#fff"), ("stroke", "#000"),
            ],
            children: [
              SVGElement(
                "title",
                text:
                  "\(curve.condition), \(NumberText.plain(point.minutes)) min: \(NumberText.significant(point.mean, 3)) nmol/L, n \(point.n)"
              )
            ]))
      }
      let legendY = top + 12 + Double(index) * 16
      var sample: [(String, String)] = [
        ("x1", f(width - right + 10)), ("y1", f(legendY)), ("x2", f(width - right + 34)),
        ("y2", f(legendY)), ("stroke", "#000"), ("stroke-width", "1.5"),
      ]
      if !dash.isEmpty { sample.append(("stroke-dasharray", dash)) }
      parts.append(SVGElement("line", sample))
      parts.append(
        SVGElement(
          "text", [("x", f(width - right + 38)), ("y", f(legendY + 3)), ("font-size", "9")],
          text: curve.condition))
    }
    return SVGElement(
      "svg",
      [
        ("xmlns", "http://www.w3.org/2000/svg"), ("viewBox", "0 0 \(Int(width)) \(Int(height))"),
        ("role", "img"), ("aria-label", "Responses by condition"),
      ],
      children: parts
    ).markup + "\n"
  }
}
