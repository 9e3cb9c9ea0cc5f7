import Foundation
import Synchronization

/// Renders a ``PatientReport`` as JSON, Markdown and one self-contained HTML page (inline CSS
/// and SVG, no script, nothing loaded from elsewhere; legible printed in black and white on
/// A4). The page comes from a Mustache template, which escapes every text it is given; the
/// charts come from `SVGElement`, which escapes its own.
public enum PatientReportRenderer {
  /// The report as pretty-printed JSON with sorted keys.
  public static func json(_ report: PatientReport) -> String { report.prettyJSON }

  /// Terms a reader of the report may not know, as the glossary explains them.
  static let glossary: [(term: String, meaning: String)] = [
    ("H / L / N", "above, below or within the reference range applied"),
    ("SI", "the International System of Units; hormones in nmol/L, pmol/L or µmol/L"),
    (
      "CAR",
      "cortisol awakening response: the rise of cortisol in the first 30-45 minutes after waking"
    ),
    ("AUCg", "area under the curve from ground: the total cortisol over the samples"),
    ("AUCi", "area under the curve above the waking value: the rise alone"),
    ("CAR increase", "the highest value after waking minus the waking value"),
    ("diurnal slope", "how fast cortisol falls from morning to evening; flatter is less negative"),
    ("cosinor", "a 24-hour wave fitted to the samples: mean (MESOR), amplitude, peak time"),
  ]

  // MARK: Markdown

  /// The report as Markdown.
  public static func markdown(_ report: PatientReport) -> String {
    String(decoding: PatientMarkdown.bytes(report), as: UTF8.self)
  }

  /// `SPINA-GT (thyroid secretory capacity): 3.55 pmol/s (reference 1.41-8.67; Dietrich et
  /// al. 2016)`.
  static func indexText(_ index: PatientReport.Index) -> String {
    "\(index.name): \(index.value)\(index.unit.isEmpty ? "" : " " + index.unit) (reference \(index.reference); \(index.source))"
  }

  /// The thyroid indices' terms.
  static let indexGlossary: [(term: String, meaning: String)] = [
    (
      "SPINA-GT", "the thyroid's secretory capacity calculated from TSH and free T4 (Dietrich 2016)"
    ),
    ("SPINA-GD", "the activity of the deiodinases that turn T4 into T3, from free T4 and free T3"),
    ("TSHI, sTSHI", "the TSH index: TSH for the free T4, raw and standardised (Jostel 2009)"),
    ("TTSI", "the thyrotroph's sensitivity to thyroid hormone (Pilo 1990)"),
  ]

  /// The glossary's terms this report uses: the rhythm's only where it has cortisol days,
  /// the thyroid indices' where a finding has them.
  static func terms(_ report: PatientReport) -> [(term: String, meaning: String)] {
    var terms = report.days.isEmpty ? Array(glossary.prefix(2)) : glossary
    if report.findings.contains(where: { !$0.indices.isEmpty }) { terms += indexGlossary }
    return terms
  }

  /// `yes`, `no`, or `too few valid days to tell`.
  static func flattenedWords(_ outcome: String) -> String {
    outcome == "insufficient-data" ? "too few valid days to tell" : outcome
  }

  /// A text without the setting keys it names (`fewer than 6, cosinor.min_samples` reads
  /// `fewer than 6`): the keys are in "How this was decided".
  /// A reason that starts with a feature's column name starts with its human name.
  static func withoutSettingKeys(_ text: String) -> String {
    // The same texts come back on every patient's page: each is rewritten once.
    if let known = settingKeysCache.withLock({ $0[text] }) { return known }
    let rewritten = rewriteSettingKeys(text)
    settingKeysCache.withLock { cache in
      if cache.count >= 4096 { cache.removeAll(keepingCapacity: true) }
      cache[text] = rewritten
    }
    return rewritten
  }

  /// The texts ``withoutSettingKeys(_:)`` rewrote, by text (at most 4,096).
  private static let settingKeysCache = Mutex<[String: String]>([:])

  private static func rewriteSettingKeys(_ text: String) -> String {
    var text =
      text
      .replacingOccurrences(of: #",\s*[a-z_]+\.[a-z_]+\b"#, with: "", options: .regularExpression)
      .replacingOccurrences(of: #"\s*\([a-z_]+\.[a-z_]+\)"#, with: "", options: .regularExpression)
      .replacingOccurrences(of: #"\([a-z_]+\.[a-z_]+;\s*"#, with: "(", options: .regularExpression)
    if let colon = text.range(of: ": "),
      let name = PatientReport.featureNames.first(where: {
        $0.key == text[..<colon.lowerBound]
      })?.label
    {
      text = name + text[colon.lowerBound...]
    }
    return text
  }

  /// Whether a context line of a finding is shown beside it (sex and age are in the header).
  static func showsBeside(_ context: String) -> Bool {
    !context.hasPrefix("sex: ") && !context.hasPrefix("age: ")
  }

  /// Each day's features' values (``featureValue(_:)``), for the report's Markdown and HTML
  /// pages: formatted once for both.
  static func featureValues(_ report: PatientReport) -> [[String]] {
    report.days.map { $0.features.map(featureValue) }
  }

  /// The Markdown and HTML pages of `report`, as files' bytes: ``markdown(_:)`` and
  /// ``html(_:)`` written straight into bytes, its features' values formatted once.
  static func pageBytes(_ report: PatientReport) -> (markdown: [UInt8], html: [UInt8]) {
    let values = featureValues(report)
    return (
      PatientMarkdown.bytes(report, values: values), PatientPage.bytes(report, values: values)
    )
  }

  /// A feature's value for the page: the number, or "not estimable" with the reason.
  static func featureValue(_ feature: PatientReport.Feature) -> String {
    guard let value = feature.value else { return feature.note ?? "not estimable" }
    if feature.name == "cosinor_acrophase_h" { return NumberText.clock(hours: value) }
    return NumberText.significant(value, 3)
  }

  /// ` (resolved, was primary-hypothyroidism on 2025-09-02)`.
  static func historyText(_ finding: PatientReport.FindingEntry) -> String {
    guard let history = finding.history, history != "first" else { return "" }
    return " (\(history)\(finding.historyNote.map { ", \($0)" } ?? ""))"
  }

  /// The header's fields in reading order.
  static func header(_ report: PatientReport) -> [(String, String)] {
    var fields: [(String, String)] = [("Patient", report.subjectID)]
    fields.append(("Sex", report.sex ?? "not given"))
    fields.append(("Age", report.age.map { "\($0) years" } ?? "not given"))
    fields.append(
      ("Source", report.sources.isEmpty ? "not given" : report.sources.joined(separator: ", ")))
    fields.append(("Report date", report.reportDate.isEmpty ? "not given" : report.reportDate))
    if let period = report.period {
      fields.append(
        ("Period", period.first == period.last ? period.first : "\(period.first) to \(period.last)")
      )
    }
    return fields
  }

  /// What the end of the report says of how each finding was decided: its rule, the ranges
  /// and their sources, when it was first reported, what could not be judged, and the flags.
  static func decisions(_ report: PatientReport) -> [(title: String, details: [String])] {
    var items: [(String, [String])] = []
    for finding in report.findings {
      var details = ["rule: " + finding.rule]
      details += finding.values.map { "range: \($0.range) (from \($0.source))" }
      if let first = finding.firstReported, first != report.run {
        details.append("first reported in run \(first)")
      }
      items.append(
        (
          "\(finding.axis) \(finding.pattern)\(finding.dates.last.map { ", \($0)" } ?? "")",
          details
        ))
    }
    if let verdict = report.flattened {
      items.append(("flattened slope: \(verdict.outcome)", ["rule: " + verdict.rule]))
    }
    for day in report.days {
      let why =
        day.features.compactMap { $0.value == nil ? "\($0.label): \($0.note ?? "")" : nil }
        + day.reasons
      if !why.isEmpty { items.append(("cortisol day \(day.day): features not computed", why)) }
    }
    for item in report.notJudged {
      items.append(("not judged (\(item.axis), \(item.analyzer))", [item.reason]))
    }
    if !report.flags.isEmpty {
      items.append(
        (
          "flags the normalizer raised",
          report.flags.sorted { $0.key < $1.key }.map {
            "\($0.key): \($0.value) sample\($0.value == 1 ? "" : "s")"
          }
        ))
    }
    return items
  }

  // MARK: HTML

  /// The report as one self-contained HTML page.
  public static func html(_ report: PatientReport) -> String {
    String(decoding: htmlBytes(report), as: UTF8.self)
  }

  /// ``html(_:)``'s bytes, for a file.
  static func htmlBytes(_ report: PatientReport) -> [UInt8] { PatientPage.bytes(report) }

  /// The summary's items, the most severe first.
  static func summaryOrder(_ items: [PatientReport.SummaryLine]) -> [PatientReport.SummaryLine] {
    let severities = ["marked": 0, "notable": 1, "info": 2, "not judged": 3]
    return items.sorted { (severities[$0.severity] ?? 4) < (severities[$1.severity] ?? 4) }
  }

  /// The lines under a finding: its indices, and the context it changes (medication).
  static func extraLines(_ finding: PatientReport.FindingEntry) -> [String] {
    finding.indices.map(indexText) + finding.context.filter(showsBeside)
  }

  /// The line on the flattened verdict, empty without one.
  static func flattenedLine(_ report: PatientReport) -> String {
    report.flattened.map { "Flattened diurnal slope: \(flattenedWords($0.outcome))." } ?? ""
  }

  /// A day's notes under its tables: why a feature could not be estimated, the reasons and
  /// the notes, in words (the setting keys are at the end of the report).
  static func dayNotes(_ day: PatientReport.Day) -> [String] {
    (day.features.compactMap { $0.value == nil ? "\($0.label): \($0.note ?? "")" : nil }
      + day.reasons + day.notes).map(withoutSettingKeys)
  }

  /// The values the template shows, every text as it is (the template escapes it) and the
  /// charts as markup from ``SVGElement``: the page's tests render the template over them
  /// with swift-mustache, the reference that ``PatientPage`` writes the same bytes as.
  static func context(_ report: PatientReport) -> [String: Any] {
    [
      "subject": report.subjectID,
      "header": header(report).map { ["name": $0.0, "value": $0.1] },
      "hasSummary": !report.summary.isEmpty,
      "summary": summaryOrder(report.summary).map {
        ["topic": $0.topic, "severity": $0.severity, "text": $0.text]
      },
      "hasCollections": !report.collections.isEmpty,
      "collections": report.collections.map { collection in
        [
          "time": collection.time, "specimen": collection.specimen,
          "rows": collection.results.map {
            [
              "analyte": $0.analyte, "reported": $0.reported, "si": $0.si, "range": $0.range,
              "flag": $0.flag, "flagged": $0.flag == "H" || $0.flag == "L",
              "note": $0.note ?? "", "hasPrevious": $0.previous != nil,
              "previous": $0.previous ?? "",
            ] as [String: Any]
          },
        ] as [String: Any]
      },
      "hasCumulative": !report.cumulative.isEmpty,
      "cumulative": report.cumulative.map { series in
        [
          "analyte": series.analyte, "unit": series.unit,
          "trend": TrendChart(series: series).svg,
          "points": series.points.map { ["time": $0.time, "text": $0.text, "flag": $0.flag] },
        ] as [String: Any]
      },
      "hasDays": !report.days.isEmpty,
      "flattened": flattenedLine(report),
      "hasBand": !report.cohortBand.isEmpty,
      "bandSubjects": String(PatientReport.CohortBand.minimumSubjects),
      "days": report.days.map { day in
        [
          "day": String(day.day), "wake": day.wake ?? "not known as a time",
          "wakeSource": day.wakeSource,
          "chart": CortisolChart(day: day, band: report.cohortBand).svg,
          "samples": day.samples.map {
            [
              "minutes": NumberText.short($0.minutes), "clock": $0.clock ?? "",
              "label": $0.label ?? "",
              "value": $0.censoring + NumberText.short($0.value),
              "flags": $0.flags.filter { !CortisolChart.quietFlags.contains($0) }
                .joined(separator: ", "),
              "excluded": $0.excluded.map(withoutSettingKeys) ?? "",
            ]
          },
          "hasFeatures": !day.features.isEmpty,
          "features": day.features.map {
            [
              "label": $0.label, "value": $0.value == nil ? "not estimable" : featureValue($0),
              "unit": $0.unit,
            ] as [String: Any]
          },
          "notes": dayNotes(day),
        ] as [String: Any]
      },
      "hasFindings": !report.findings.isEmpty,
      "findings": report.findings.map { finding in
        [
          "axis": finding.axis, "severity": finding.severity, "message": finding.message,
          "history": historyText(finding),
          "dates": finding.dates.joined(separator: ", "), "hasDates": !finding.dates.isEmpty,
          // Sex and age are in the header; medication stays with each finding it changes.
          "extra": extraLines(finding),
        ] as [String: Any]
      },
      "glossary": terms(report).map { ["term": $0.term, "meaning": $0.meaning] },
      "decisions": decisions(report).map { ["title": $0.title, "details": $0.details] },
      "generator": report.generator, "run": report.run,
    ]
  }

  /// The page's template: the layout ``PatientPage`` writes, and the reference its tests
  /// render with swift-mustache. `{{x}}` is escaped; `{{{x}}}` holds the charts.
  static let page = """
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <title>NeuroEndo report: {{subject}}</title>
    <style>
    @page { size: A4; margin: 12mm; }
    body { font-family: sans-serif; font-size: 9.5pt; color: #000; background: #fff; max-width: 186mm; margin: auto; }
    h1 { font-size: 14pt; margin: 0 0 4px; } h2 { font-size: 11.5pt; border-bottom: 1px solid #000; margin: 10px 0 4px; }
    h3 { font-size: 10pt; margin: 6px 0 2px; }
    table { border-collapse: collapse; margin: 2px 0 6px; } th, td { border: 1px solid #777; padding: 1px 4px; text-align: left; vertical-align: top; }
    td.n { text-align: right; white-space: nowrap; } td.flag { font-weight: bold; text-align: center; }
    table.header td { border: none; padding: 0 10px 0 0; } table.header td.name { color: #333; }
    .summary { border: 2px solid #000; padding: 4px 8px; margin: 6px 0; }
    .summary ul { margin: 0; padding-left: 16px; }
    .meta { color: #333; font-size: 8.5pt; } li.marked { font-weight: bold; } small { font-weight: normal; }
    svg { width: 100%; height: auto; break-inside: avoid; } svg.trend { width: 70mm; }
    .series, .summary, table, li { break-inside: avoid; } h2, h3 { break-after: avoid; }
    .tables { display: flex; gap: 5mm; align-items: flex-start; }
    td.unit { white-space: nowrap; }
    .series { display: inline-block; vertical-align: top; margin-right: 6mm; }
    dl { column-count: 2; font-size: 8.5pt; } dt { font-weight: bold; } dd { margin: 0 0 3px 8px; }
    </style>
    </head>
    <body>
    <h1>Endocrine laboratory report</h1>
    <table class="header">{{#header}}<tr><td class="name">{{name}}</td><td>{{value}}</td></tr>{{/header}}</table>
    {{#hasSummary}}
    <div class="summary"><h2>Summary</h2><ul>
    {{#summary}}<li class="{{severity}}"><strong>{{topic}}</strong> ({{severity}}): {{text}}</li>
    {{/summary}}</ul></div>
    {{/hasSummary}}
    {{#hasCollections}}
    <section class="results"><h2>Results</h2>
    {{#collections}}<h3>{{time}}, {{specimen}}</h3>
    <table><tr><th>Test</th><th>Result</th><th>SI</th><th>Reference range</th><th>Flag</th><th>Note</th></tr>
    {{#rows}}<tr><td>{{analyte}}</td><td class="n">{{#hasPrevious}}<del>{{previous}}</del> {{/hasPrevious}}{{reported}}</td><td class="n">{{si}}</td><td>{{range}}</td><td class="flag">{{#flagged}}<strong>{{/flagged}}{{flag}}{{#flagged}}</strong>{{/flagged}}</td><td>{{note}}</td></tr>
    {{/rows}}</table>
    {{/collections}}</section>
    {{/hasCollections}}
    {{#hasCumulative}}
    <section class="cumulative"><h2>Cumulative results</h2>
    {{#cumulative}}<div class="series"><h3>{{analyte}} ({{unit}})</h3>
    {{{trend}}}
    <table><tr><th>Collected</th><th>Value</th><th>Flag</th></tr>
    {{#points}}<tr><td>{{time}}</td><td class="n">{{text}}</td><td class="flag">{{flag}}</td></tr>
    {{/points}}</table></div>
    {{/cumulative}}</section>
    {{/hasCumulative}}
    {{#hasFindings}}
    <section class="findings"><h2>Findings</h2><ul>
    {{#findings}}<li class="{{severity}}"><strong>{{axis}}, {{severity}}</strong>: {{message}}{{history}}{{#hasDates}}<br><small>Results of {{dates}}</small>{{/hasDates}}{{#extra}}<br><small>{{.}}</small>{{/extra}}</li>
    {{/findings}}</ul></section>
    {{/hasFindings}}
    {{#hasDays}}
    <h2>Cortisol rhythm</h2>
    <p>{{flattened}}</p>
    {{#hasBand}}<p class="meta">Hatched: the middle half (25th-75th percentile) of the cohort's cortisol at each time since waking, where more than {{bandSubjects}} subjects have values.</p>{{/hasBand}}
    {{#days}}<section class="day"><h3>Day {{day}}</h3>
    <p>Waking: {{wake}} ({{wakeSource}}).</p>
    {{{chart}}}
    <div class="tables"><table><tr><th>min since waking</th><th>clock</th><th>label</th><th>nmol/L</th><th>flags</th><th>left out</th></tr>
    {{#samples}}<tr><td class="n">{{minutes}}</td><td>{{clock}}</td><td>{{label}}</td><td class="n">{{value}}</td><td>{{flags}}</td><td>{{excluded}}</td></tr>
    {{/samples}}</table>
    {{#hasFeatures}}<table><tr><th>Feature</th><th>Value</th><th>Unit</th></tr>
    {{#features}}<tr><td class="label">{{label}}</td><td class="n">{{value}}</td><td class="unit">{{unit}}</td></tr>
    {{/features}}</table>{{/hasFeatures}}</div>
    <ul class="meta">{{#notes}}<li>{{.}}</li>{{/notes}}</ul>
    </section>
    {{/days}}
    {{/hasDays}}
    <section class="glossary"><h2>Glossary</h2><dl>
    {{#glossary}}<dt>{{term}}</dt><dd>{{meaning}}</dd>
    {{/glossary}}</dl></section>
    <section class="decided"><h2>How this was decided</h2><ul class="meta">
    {{#decisions}}<li>{{title}}<ul>{{#details}}<li>{{.}}</li>{{/details}}</ul></li>
    {{/decisions}}</ul></section>
    <p class="meta">{{generator}}, run {{run}}. Findings describe patterns in the numbers; they are not diagnoses.</p>
    </body>
    </html>

    """
}

/// The cortisol curve of one subject-day as an inline SVG chart: value against minutes
/// since waking (clock time beside it), the waking marked, the CAR window (0-60 min)
/// shaded, valid samples as filled circles joined by the curve, samples left out for a flag
/// as open squares and censored ones as open triangles, so that it reads in black and white.
/// A window of two hours or less gets minute ticks.
struct CortisolChart {
  let day: PatientReport.Day
  let band: [PatientReport.CohortBand]
  /// The minutes shown: from before the first sample (or waking) to after the last.
  let minuteRange: ClosedRange<Double>
  /// The top of the value axis: a round number above the highest value.
  let valueTop: Double
  static let width = 640.0
  static let height = 170.0
  static let left = 52.0
  static let right = 34.0
  static let top = 14.0
  static let bottom = 46.0
  /// Flags that say something of the whole day, not of one sample: in the tooltip and the
  /// table, not written beside each point.
  static let quietFlags: Set<String> = ["wake-estimated", "wake-reconciled", "waking-delay-none"]

  /// The chart of a day, its axes fitted once (every point's place uses them).
  init(day: PatientReport.Day, band: [PatientReport.CohortBand] = []) {
    self.day = day
    self.band = band
    let minutes = day.samples.map(\.minutes)
    let range = min(0, minutes.min() ?? 0)...max(60, minutes.max() ?? 60)
    minuteRange = range
    let bandTop =
      band.filter { $0.from < range.upperBound && $0.to > range.lowerBound }
      .map(\.q3).max() ?? 0
    let highest = max(day.samples.map(\.value).max() ?? 1, bandTop, 1)
    let step = Self.step(highest / 4)
    valueTop = (highest / step).rounded(.up) * step
  }

  /// A round step (1, 2 or 5 times a power of ten) of at least `raw`.
  static func step(_ raw: Double) -> Double {
    let power = pow(10, (log10(max(raw, 1e-9))).rounded(.down))
    for factor in [1.0, 2, 5, 10] where factor * power >= raw { return factor * power }
    return 10 * power
  }

  /// The ticks of the time axis, in minutes: every 5, 10, 15 or 30 minutes for a window of
  /// two hours or less, else a round number of hours.
  var ticks: [Double] {
    let span = minuteRange.upperBound - minuteRange.lowerBound
    let step: Double
    if span <= 120 {
      step = [5.0, 10, 15, 30].first { span / $0 <= 9 } ?? 30
    } else {
      step = Self.step(span / 60 / 8) * 60
    }
    var tick = (minuteRange.lowerBound / step).rounded(.up) * step
    var ticks: [Double] = []
    while tick <= minuteRange.upperBound {
      ticks.append(tick)
      tick += step
    }
    return ticks
  }

  func x(_ minutes: Double) -> Double {
    let range = minuteRange
    let span = max(range.upperBound - range.lowerBound, 1)
    return Self.left + (minutes - range.lowerBound) / span
      * (Self.width - Self.left - Self.right)
  }

  func y(_ value: Double) -> Double {
    Self.top + (1 - value / valueTop) * (Self.height - Self.top - Self.bottom)
  }

  /// A line of the axes: `<line x1 y1 x2 y2 stroke="#000"/>`.
  private func line(
    _ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, into svg: inout SVGBytes
  ) {
    svg.newLine()
    svg.start("line")
    svg.attribute("x1", tenths: x1)
    svg.attribute("y1", tenths: y1)
    svg.attribute("x2", tenths: x2)
    svg.attribute("y2", tenths: y2)
    svg.attribute("stroke", literal: "#000")
    svg.empty()
  }

  /// A label on its own line: `<text x y font-size [text-anchor]>content</text>`.
  private func text(
    _ x: Double, _ y: Double, _ size: StaticString, _ content: String,
    anchor: StaticString? = nil,
    into svg: inout SVGBytes
  ) {
    svg.newLine()
    svg.start("text")
    svg.attribute("x", tenths: x)
    svg.attribute("y", tenths: y)
    svg.attribute("font-size", literal: size)
    if let anchor { svg.attribute("text-anchor", literal: anchor) }
    svg.open()
    svg.text(content)
    svg.end("text")
  }

  /// A tooltip: `<title>text</title>`.
  private func title(_ text: String, into svg: inout SVGBytes) {
    svg.start("title")
    svg.open()
    svg.text(text)
    svg.end("title")
  }

  /// The chart's markup, each element on its own line, written as bytes.
  var svg: String {
    var svg = SVGBytes(capacity: 8192)
    write(into: &svg)
    return svg.markup
  }

  /// Appends the chart's markup (``svg``) to `svg`.
  func write(into svg: inout SVGBytes) {
    let base = Self.height - Self.bottom
    svg.start("svg")
    svg.attribute("xmlns", literal: "http://www.w3.org/2000/svg")
    svg.attribute("viewBox", "0 0 \(Int(Self.width)) \(Int(Self.height))")
    svg.attribute("role", literal: "img")
    svg.attribute("aria-label", "Cortisol, day \(day.day)")
    svg.open()
    svg.newLine()
    svg.start("rect")
    svg.attribute("class", literal: "car-window")
    svg.attribute("x", tenths: x(0))
    svg.attribute("y", tenths: Self.top)
    svg.attribute("width", tenths: x(60) - x(0))
    svg.attribute("height", tenths: base - Self.top)
    svg.attribute("fill", literal: "#e6e6e6")
    svg.empty()
    text(x(0) + 3, Self.top + 10, "9", "CAR window", into: &svg)
    // The cohort's band, hatched, over the CAR window's shade.
    let range = minuteRange
    if !band.isEmpty {
      let hatch = "hatch-\(day.day)"
      svg.newLine()
      svg.start("defs")
      svg.open()
      svg.start("pattern")
      svg.attribute("id", hatch)
      svg.attribute("width", literal: "6")
      svg.attribute("height", literal: "6")
      svg.attribute("patternUnits", literal: "userSpaceOnUse")
      svg.attribute("patternTransform", literal: "rotate(45)")
      svg.open()
      svg.start("line")
      svg.attribute("x1", literal: "0")
      svg.attribute("y1", literal: "0")
      svg.attribute("x2", literal: "0")
      svg.attribute("y2", literal: "6")
      svg.attribute("stroke", literal: "#888")
      svg.attribute("stroke-width", literal: "1")
      svg.empty()
      svg.end("pattern")
      svg.end("defs")
      for bin in band where bin.from < range.upperBound && bin.to > range.lowerBound {
        let from = max(bin.from, range.lowerBound)
        let to = min(bin.to, range.upperBound)
        svg.newLine()
        svg.start("rect")
        svg.attribute("class", literal: "cohort-band")
        svg.attribute("x", tenths: x(from))
        svg.attribute("y", tenths: y(bin.q3))
        svg.attribute("width", tenths: x(to) - x(from))
        svg.attribute("height", tenths: y(bin.q1) - y(bin.q3))
        svg.attribute("fill", "url(#\(hatch))")
        svg.open()
        title(
          "cohort \(NumberText.short(bin.q1))-\(NumberText.short(bin.q3)) nmol/L, \(bin.subjects) subjects",
          into: &svg)
        svg.end("rect")
      }
    }
    svg.newLine()
    svg.start("line")
    svg.attribute("class", literal: "waking")
    svg.attribute("x1", tenths: x(0))
    svg.attribute("y1", tenths: Self.top)
    svg.attribute("x2", tenths: x(0))
    svg.attribute("y2", tenths: base)
    svg.attribute("stroke", literal: "#000")
    svg.attribute("stroke-dasharray", literal: "4 3")
    svg.empty()
    // Axes with ticks: time since waking (and clock time) below, nmol/L at the left.
    line(Self.left, base, Self.width - Self.right, base, into: &svg)
    line(Self.left, Self.top, Self.left, base, into: &svg)
    let wake = day.wake.flatMap(CollectionTime.init(iso8601:))
    let span = range.upperBound - range.lowerBound
    for tick in ticks {
      let position = x(tick)
      line(position, base, position, base + 4, into: &svg)
      var label =
        span <= 120
        ? "\(tick >= 0 ? "+" : "")\(NumberText.short(tick)) min"
        : "\(tick >= 0 ? "+" : "")\(NumberText.short(tick / 60)) h"
      if let wake {
        label +=
          " "
          + NumberText.clock(
            hours: (wake.local.hourOfDay + tick / 60 + 48).truncatingRemainder(dividingBy: 24))
      }
      text(position, base + 16, "9", label, anchor: "middle", into: &svg)
    }
    text(
      (Self.left + Self.width - Self.right) / 2, Self.height - 6, "10",
      "time since waking (clock time)", anchor: "middle", into: &svg)
    let valueStep = valueTop / 4
    for index in 0...4 {
      let value = valueStep * Double(index)
      text(Self.left - 6, y(value) + 3, "9", NumberText.short(value), anchor: "end", into: &svg)
    }
    let middle = NumberText.oneDecimal((Self.top + base) / 2)
    svg.newLine()
    svg.start("text")
    svg.attribute("x", literal: "12")
    svg.attribute("y", middle)
    svg.attribute("font-size", literal: "10")
    svg.attribute("text-anchor", literal: "middle")
    svg.attribute("transform", "rotate(-90 12 \(middle))")
    svg.open()
    svg.text("nmol/L")
    svg.end("text")
    // The curve through every valid measurement (a sample one feature did not use is still
    // one), then every sample with its mark.
    let used = day.samples.filter(\.valid)
    if used.count > 1 {
      svg.newLine()
      svg.start("polyline")
      svg.attribute("class", literal: "curve")
      svg.attribute("points", points: used.count) { (x(used[$0].minutes), y(used[$0].value)) }
      svg.attribute("fill", literal: "none")
      svg.attribute("stroke", literal: "#000")
      svg.attribute("stroke-width", literal: "1.5")
      svg.empty()
    }
    for point in day.samples {
      let cx = x(point.minutes)
      let cy = y(point.value)
      var title =
        "\(point.label.map { "\($0): " } ?? "")\(point.censoring)\(NumberText.short(point.value)) nmol/L at +\(NumberText.short(point.minutes)) min"
      if !point.flags.isEmpty { title += "; flags: " + point.flags.joined(separator: ", ") }
      if let excluded = point.excluded {
        title += "; left out: " + PatientReportRenderer.withoutSettingKeys(excluded)
      }
      svg.newLine()
      let mark: StaticString
      if !point.censoring.isEmpty {
        mark = "polygon"
        svg.start(mark)
        svg.attribute("class", literal: "censored")
        // The corners: top, bottom left, bottom right.
        svg.attribute("points", points: 3) {
          $0 == 0 ? (cx, cy - 5) : (cx + ($0 == 1 ? -5 : 5), cy + 4)
        }
        svg.attribute("fill", literal: "#fff")
        svg.attribute("stroke", literal: "#000")
      } else if !point.valid {
        mark = "rect"
        svg.start(mark)
        svg.attribute("class", literal: "left-out")
        svg.attribute("x", tenths: cx - 4)
        svg.attribute("y", tenths: cy - 4)
        svg.attribute("width", literal: "8")
        svg.attribute("height", literal: "8")
        svg.attribute("fill", literal: "#fff")
        svg.attribute("stroke", literal: "#000")
      } else {
        mark = "circle"
        svg.start(mark)
        svg.attribute("class", literal: "sample")
        svg.attribute("cx", tenths: cx)
        svg.attribute("cy", tenths: cy)
        svg.attribute("r", literal: "3.5")
        svg.attribute("fill", literal: "#000")
      }
      svg.open()
      self.title(title, into: &svg)
      svg.end(mark)
      let shown = point.flags.filter { !Self.quietFlags.contains($0) }
      if !shown.isEmpty {
        text(cx + 6, cy - 5, "8", shown.joined(separator: ", "), into: &svg)
      }
    }
    svg.newLine()
    svg.end("svg")
    svg.newLine()
  }
}

/// A small trend chart of one analyte's results in time order: the reference range shaded
/// when the results share one, the values joined, high and low ones as open marks.
struct TrendChart {
  let series: PatientReport.Series
  static let width = 260.0
  static let height = 80.0
  static let margin = 14.0

  var svg: String {
    let values = series.points.map(\.value)
    let top = max(values.max() ?? 1, series.high ?? 0) * 1.1
    let bottom = min(values.min() ?? 0, series.low ?? .infinity, 0)
    func f(_ value: Double) -> String { NumberText.oneDecimal(value) }
    // Points at their times: a year's gap is wider than a day's.
    let times = series.points.enumerated().map { index, point in
      CollectionTime(iso8601: point.time.replacingOccurrences(of: " ", with: "T") + ":00")?
        .local.secondsSinceEpochWallClock ?? Double(index)
    }
    let first = times.min() ?? 0
    let span = max((times.max() ?? 0) - first, 1)
    func x(_ index: Int) -> Double {
      Self.margin + (times[index] - first) / span * (Self.width - 2 * Self.margin)
    }
    func y(_ value: Double) -> Double {
      Self.height - Self.margin
        - (value - bottom) / max(top - bottom, 1e-9) * (Self.height - 2 * Self.margin)
    }
    var parts: [SVGElement] = []
    if let low = series.low, let high = series.high {
      parts.append(
        SVGElement(
          "rect",
          [
            ("class", "range"), ("x", f(Self.margin)), ("y", f(y(high))),
            ("width", f(Self.width - 2 * Self.margin)), ("height", f(y(low) - y(high))),
            ("fill", "#e6e6e6"),
          ]))
    }
    parts.append(
      SVGElement(
        "polyline",
        [
          ("class", "trend-line"),
          (
            "points",
            values.indices.map { "\(f(x($0))),\(f(y(values[$0])))" }.joined(separator: " ")
          ),
          ("fill", "none"), ("stroke", "#000"), ("stroke-width", "1.2"),
        ]))
    for (index, point) in series.points.enumerated() {
      let abnormal = point.flag == "H" || point.flag == "L"
      parts.append(
        SVGElement(
          "circle",
          [
            ("class", abnormal ? "trend-abnormal" : "trend-point"), ("cx", f(x(index))),
            ("cy", f(y(point.value))), ("r", "3"), ("fill", abnormal ? "#fff" : "#000"),
            ("stroke", "#000"),
          ], children: [SVGElement("title", text: "\(point.time): \(point.text) \(point.flag)")]))
    }
    // The value scale: the bottom and top of the axis.
    for value in [bottom, top] {
      parts.append(
        SVGElement(
          "text", [("x", "2"), ("y", f(y(value) + 3)), ("font-size", "8")],
          text: NumberText.significant(value, 2)))
    }
    if let first = series.points.first, let last = series.points.last {
      parts.append(
        SVGElement(
          "text", [("x", f(Self.margin)), ("y", f(Self.height - 2)), ("font-size", "8")],
          text: String(first.time.prefix(10))))
      parts.append(
        SVGElement(
          "text",
          [
            ("x", f(Self.width - Self.margin)), ("y", f(Self.height - 2)), ("font-size", "8"),
            ("text-anchor", "end"),
          ], text: String(last.time.prefix(10))))
    }
    return SVGElement(
      "svg",
      [
        ("xmlns", "http://www.w3.org/2000/svg"), ("class", "trend"),
        ("viewBox", "0 0 \(Int(Self.width)) \(Int(Self.height))"), ("role", "img"),
        ("aria-label", "\(series.analyte) over time"),
      ], children: parts
    ).markup
  }
}
