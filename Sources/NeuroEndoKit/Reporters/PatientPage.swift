/// A patient's HTML page written straight into bytes, element by element as the template
/// ``PatientReportRenderer/page`` lays it out: the same bytes (the page tests render the
/// template with swift-mustache over ``PatientReportRenderer/context(_:)`` for every
/// sample patient, and a cohort's pages were compared whole), without a dictionary of
/// values per page, day and row, or a template interpreted for each of them.
struct PatientPage {
  private typealias Renderer = PatientReportRenderer
  private var out: [UInt8] = []
  /// Each day's features' values as the page writes them (``PatientReportRenderer/featureValues(_:)``).
  private let values: [[String]]

  /// The page of `report`; `values`: its features' values, when the caller has them.
  static func bytes(_ report: PatientReport, values: [[String]]? = nil) -> [UInt8] {
    var page = PatientPage(values: values ?? Renderer.featureValues(report))
    page.out.reserveCapacity(64 * 1024)
    page.write(report)
    return page.out
  }

  private init(values: [[String]]) { self.values = values }

  /// Markup as it is.
  private mutating func markup(_ literal: StaticString) { out.append(literal: literal) }

  /// A text, escaped as the template's `{{name}}` escapes it.
  private mutating func text(_ value: String) { PageTemplate.escape(value, into: &out) }

  private mutating func write(_ report: PatientReport) {
    out.append(contentsOf: Self.head)
    text(report.subjectID)
    out.append(contentsOf: Self.style)
    for (name, value) in Renderer.header(report) {
      markup("<tr><td class=\"name\">")
      text(name)
      markup("</td><td>")
      text(value)
      markup("</td></tr>")
    }
    markup("</table>\n")
    if !report.summary.isEmpty { summary(report) }
    if !report.collections.isEmpty { collections(report) }
    if !report.cumulative.isEmpty { cumulative(report) }
    if !report.findings.isEmpty { findings(report) }
    if !report.days.isEmpty { days(report) }
    markup("\n<section class=\"glossary\"><h2>Glossary</h2><dl>\n")
    for (term, meaning) in Renderer.terms(report) {
      markup("<dt>")
      text(term)
      markup("</dt><dd>")
      text(meaning)
      markup("</dd>\n")
    }
    markup(
      "</dl></section>\n<section class=\"decided\"><h2>How this was decided</h2><ul class=\"meta\">\n"
    )
    for (title, details) in Renderer.decisions(report) {
      markup("<li>")
      text(title)
      markup("<ul>")
      for detail in details {
        markup("<li>")
        text(detail)
        markup("</li>")
      }
      markup("</ul></li>\n")
    }
    markup("</ul></section>\n<p class=\"meta\">")
    text(report.generator)
    markup(", run ")
    text(report.run)
    markup(
      ". Findings describe patterns in the numbers; they are not diagnoses.</p>\n</body>\n</html>\n"
    )
  }

  private mutating func summary(_ report: PatientReport) {
    markup("<div class=\"summary\"><h2>Summary</h2><ul>\n")
    for item in Renderer.summaryOrder(report.summary) {
      markup("<li class=\"")
      text(item.severity)
      markup("\"><strong>")
      text(item.topic)
      markup("</strong> (")
      text(item.severity)
      markup("): ")
      text(item.text)
      markup("</li>\n")
    }
    markup("</ul></div>\n")
  }

  private mutating func collections(_ report: PatientReport) {
    markup("<section class=\"results\"><h2>Results</h2>\n")
    for collection in report.collections {
      markup("<h3>")
      text(collection.time)
      markup(", ")
      text(collection.specimen)
      markup(
        "</h3>\n<table><tr><th>Test</th><th>Result</th><th>SI</th><th>Reference range</th><th>Flag</th><th>Note</th></tr>\n"
      )
      for row in collection.results {
        markup("<tr><td>")
        text(row.analyte)
        markup("</td><td class=\"n\">")
        if let previous = row.previous {
          markup("<del>")
          text(previous)
          markup("</del> ")
        }
        text(row.reported)
        markup("</td><td class=\"n\">")
        text(row.si)
        markup("</td><td>")
        text(row.range)
        markup("</td><td class=\"flag\">")
        let flagged = row.flag == "H" || row.flag == "L"
        if flagged { markup("<strong>") }
        text(row.flag)
        if flagged { markup("</strong>") }
        markup("</td><td>")
        text(row.note ?? "")
        markup("</td></tr>\n")
      }
      markup("</table>\n")
    }
    markup("</section>\n")
  }

  private mutating func cumulative(_ report: PatientReport) {
    markup("<section class=\"cumulative\"><h2>Cumulative results</h2>\n")
    for series in report.cumulative {
      markup("<div class=\"series\"><h3>")
      text(series.analyte)
      markup(" (")
      text(series.unit)
      markup(")</h3>\n")
      PageTemplate.append(TrendChart(series: series).svg, to: &out)
      markup("\n<table><tr><th>Collected</th><th>Value</th><th>Flag</th></tr>\n")
      for point in series.points {
        markup("<tr><td>")
        text(point.time)
        markup("</td><td class=\"n\">")
        text(point.text)
        markup("</td><td class=\"flag\">")
        text(point.flag)
        markup("</td></tr>\n")
      }
      markup("</table></div>\n")
    }
    markup("</section>\n")
  }

  private mutating func findings(_ report: PatientReport) {
    markup("<section class=\"findings\"><h2>Findings</h2><ul>\n")
    for finding in report.findings {
      markup("<li class=\"")
      text(finding.severity)
      markup("\"><strong>")
      text(finding.axis)
      markup(", ")
      text(finding.severity)
      markup("</strong>: ")
      text(finding.message)
      text(Renderer.historyText(finding))
      if !finding.dates.isEmpty {
        markup("<br><small>Results of ")
        text(finding.dates.joined(separator: ", "))
        markup("</small>")
      }
      for extra in Renderer.extraLines(finding) {
        markup("<br><small>")
        text(extra)
        markup("</small>")
      }
      markup("</li>\n")
    }
    markup("</ul></section>\n")
  }

  private mutating func days(_ report: PatientReport) {
    markup("<h2>Cortisol rhythm</h2>\n<p>")
    text(Renderer.flattenedLine(report))
    markup("</p>\n")
    if !report.cohortBand.isEmpty {
      markup(
        "<p class=\"meta\">Hatched: the middle half (25th-75th percentile) of the cohort's cortisol at each time since waking, where more than "
      )
      text(String(PatientReport.CohortBand.minimumSubjects))
      markup(" subjects have values.</p>")
    }
    markup("\n")
    for (index, day) in report.days.enumerated() {
      markup("<section class=\"day\"><h3>Day ")
      out.appendDecimal(day.day)
      markup("</h3>\n<p>Waking: ")
      text(day.wake ?? "not known as a time")
      markup(" (")
      text(day.wakeSource)
      markup(").</p>\n")
      // The chart goes straight into the page's bytes.
      var svg = SVGBytes(capacity: 0)
      swap(&svg.out, &out)
      CortisolChart(day: day, band: report.cohortBand).write(into: &svg)
      swap(&svg.out, &out)
      markup(
        "\n<div class=\"tables\"><table><tr><th>min since waking</th><th>clock</th><th>label</th><th>nmol/L</th><th>flags</th><th>left out</th></tr>\n"
      )
      for sample in day.samples {
        markup("<tr><td class=\"n\">")
        text(NumberText.short(sample.minutes))
        markup("</td><td>")
        text(sample.clock ?? "")
        markup("</td><td>")
        text(sample.label ?? "")
        markup("</td><td class=\"n\">")
        text(sample.censoring)
        text(NumberText.short(sample.value))
        markup("</td><td>")
        var first = true
        for flag in sample.flags where !CortisolChart.quietFlags.contains(flag) {
          if !first { markup(", ") }
          first = false
          text(flag)
        }
        markup("</td><td>")
        if let excluded = sample.excluded { text(Renderer.withoutSettingKeys(excluded)) }
        markup("</td></tr>\n")
      }
      markup("</table>\n")
      if !day.features.isEmpty {
        markup("<table><tr><th>Feature</th><th>Value</th><th>Unit</th></tr>\n")
        for (feature, value) in zip(day.features, values[index]) {
          markup("<tr><td class=\"label\">")
          text(feature.label)
          markup("</td><td class=\"n\">")
          text(feature.value == nil ? "not estimable" : value)
          markup("</td><td class=\"unit\">")
          text(feature.unit)
          markup("</td></tr>\n")
        }
        markup("</table>")
      }
      markup("</div>\n<ul class=\"meta\">")
      for note in Renderer.dayNotes(day) {
        markup("<li>")
        text(note)
        markup("</li>")
      }
      markup("</ul>\n</section>\n")
    }
  }

  /// The template's text up to the subject in its title, and from there to the header's
  /// rows: taken from the template itself, whose head and style they are.
  private static let (head, style): ([UInt8], [UInt8]) = {
    let page = PatientReportRenderer.page
    let subject = page.range(of: "{{subject}}")!
    let header = page.range(of: "{{#header}}")!
    return (
      Array(page[..<subject.lowerBound].utf8),
      Array(page[subject.upperBound..<header.lowerBound].utf8)
    )
  }()
}
