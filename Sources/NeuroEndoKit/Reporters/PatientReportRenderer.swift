import Foundation

/// Renders a ``PatientReport`` as JSON, Markdown and one self-contained HTML page (inline CSS
/// and SVG, no script, nothing loaded from elsewhere; legible printed in black and white on
/// A4).
public enum PatientReportRenderer {
  /// The report as pretty-printed JSON with sorted keys.
  public static func json(_ report: PatientReport) -> String { report.prettyJSON }

  // MARK: Markdown

  /// The report as Markdown.
  public static func markdown(_ report: PatientReport) -> String {
    // Every text from the inputs or the run goes through `m`: no HTML, link or row break
    // from an id or a label reaches the page.
    let m = MarkdownText.inline
    var lines = ["# Patient \(m(report.subjectID))", ""]
    lines.append("\(m(report.generator)), run \(m(report.run)).")
    if !report.context.isEmpty {
      lines.append("Context: " + m(report.context.joined(separator: "; ")))
    }
    lines.append("")
    if !report.days.isEmpty {
      lines.append("## Cortisol rhythm")
      lines.append("")
      if let verdict = report.flattened {
        lines.append("Flattened slope: **\(m(verdict.outcome))** (\(m(verdict.rule))).")
        lines.append("")
      }
      for day in report.days {
        lines.append("### Day \(day.day)")
        lines.append("")
        lines.append("Waking: \(m(day.wake ?? "not known as a time")) (\(m(day.wakeSource))).")
        lines.append("")
        lines.append("| min since waking | clock | label | nmol/L | flags | left out |")
        lines.append("|---:|---|---|---:|---|---|")
        for point in day.samples {
          lines.append(
            "| \(NumberText.short(point.minutes)) | \(m(point.clock ?? "")) | \(m(point.label ?? "")) | "
              + "\(m(point.censoring))\(NumberText.short(point.value)) | \(m(point.flags.joined(separator: ", "))) | "
              + "\(m(point.excluded ?? "")) |")
        }
        lines.append("")
        if !day.features.isEmpty {
          lines.append("| feature | value | unit |")
          lines.append("|---|---:|---|")
          for feature in day.features {
            lines.append(
              "| \(m(feature.name)) | \(NumberText.short(feature.value)) | \(m(feature.unit)) |")
          }
          lines.append("")
        }
        for reason in day.reasons + day.notes { lines.append("- \(m(reason))") }
        if !(day.reasons + day.notes).isEmpty { lines.append("") }
      }
    }
    if !report.findings.isEmpty {
      lines.append("## Feedback findings")
      lines.append("")
      for finding in report.findings {
        let history =
          finding.history.map { " (\(m($0))\(finding.historyNote.map { ", \(m($0))" } ?? ""))" }
          ?? ""
        lines.append(
          "- **\(m(finding.axis)), \(m(finding.severity))**: \(m(finding.message))\(history)")
        lines.append("  - rule: \(m(finding.rule))")
        if let first = finding.firstReported, first != report.run {
          lines.append("  - first reported in run \(m(first))")
        }
        for value in finding.values { lines.append("  - range: \(m(value.range))") }
        for index in finding.indices { lines.append("  - \(m(indexText(index)))") }
        for context in finding.context { lines.append("  - \(m(context))") }
      }
      lines.append("")
    }
    if !report.notJudged.isEmpty || !report.flags.isEmpty {
      lines.append("## Data quality")
      lines.append("")
      for item in report.notJudged {
        lines.append("- not judged (\(m(item.axis))): \(m(item.reason))")
      }
      for (code, count) in report.flags.sorted(by: { $0.key < $1.key }) {
        lines.append("- flag \(m(code)): \(count) sample\(count == 1 ? "" : "s")")
      }
      lines.append("")
    }
    lines.append("Findings describe patterns in the numbers; they are not diagnoses.")
    return lines.joined(separator: "\n") + "\n"
  }

  /// `SPINA-GT (thyroid secretory capacity): 3.55 pmol/s (reference 1.41-8.67; Dietrich et
  /// al. 2016)`.
  static func indexText(_ index: PatientReport.Index) -> String {
    "\(index.name): \(index.value)\(index.unit.isEmpty ? "" : " " + index.unit) (reference \(index.reference); \(index.source))"
  }

  // MARK: HTML

  /// The report as one self-contained HTML page.
  public static func html(_ report: PatientReport) -> String {
    var body = "<h1>Patient \(escape(report.subjectID))</h1>\n"
    body += "<p class=\"meta\">\(escape(report.generator)), run \(escape(report.run))"
    if !report.context.isEmpty {
      body += "<br>Context: \(escape(report.context.joined(separator: "; ")))"
    }
    body += "</p>\n"
    if !report.days.isEmpty {
      body += "<h2>Cortisol rhythm</h2>\n"
      if let verdict = report.flattened {
        body +=
          "<p>Flattened slope: <strong>\(escape(verdict.outcome))</strong> (\(escape(verdict.rule))).</p>\n"
      }
      if !report.cohortBand.isEmpty {
        body +=
          "<p class=\"meta\">Hatched: the middle half (25th-75th percentile) of the cohort's cortisol at each time since waking, where more than \(PatientReport.CohortBand.minimumSubjects) subjects have values.</p>\n"
      }
      for day in report.days { body += dayHTML(day, band: report.cohortBand) }
    }
    if !report.findings.isEmpty {
      body += "<h2>Feedback findings</h2>\n"
      for axis in ["HPA", "HPT", "HPG"] {
        let findings = report.findings.filter { $0.axis == axis }
        guard !findings.isEmpty else { continue }
        body += "<h3>\(axis)</h3>\n<ul>\n"
        for finding in findings {
          let history =
            finding.history.map {
              " <span class=\"history\">(\(escape($0))\(finding.historyNote.map { ", \(escape($0))" } ?? ""))</span>"
            } ?? ""
          body +=
            "<li class=\"\(escape(finding.severity))\"><strong>\(escape(finding.severity))</strong>: \(escape(finding.message))\(history)"
          body += "<br><small>Rule: \(escape(finding.rule))"
          if let first = finding.firstReported, first != report.run {
            body += "<br>First reported in run \(escape(first))"
          }
          for value in finding.values { body += "<br>Range: \(escape(value.range))" }
          for index in finding.indices { body += "<br>\(escape(indexText(index)))" }
          for context in finding.context { body += "<br>\(escape(context))" }
          body += "</small></li>\n"
        }
        body += "</ul>\n"
      }
    }
    if !report.notJudged.isEmpty || !report.flags.isEmpty {
      body += "<h2>Data quality</h2>\n<ul>\n"
      for item in report.notJudged {
        body += "<li>Not judged (\(escape(item.axis))): \(escape(item.reason))</li>\n"
      }
      for (code, count) in report.flags.sorted(by: { $0.key < $1.key }) {
        body +=
          "<li>Flag <code>\(escape(code))</code>: \(count) sample\(count == 1 ? "" : "s")</li>\n"
      }
      body += "</ul>\n"
    }
    body +=
      "<p class=\"meta\">Findings describe patterns in the numbers; they are not diagnoses.</p>\n"
    return """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <title>NeuroEndo report: \(escape(report.subjectID))</title>
      <style>
      @page { size: A4; margin: 15mm; }
      body { font-family: sans-serif; font-size: 10.5pt; color: #000; background: #fff; max-width: 180mm; margin: auto; }
      h1 { font-size: 16pt; } h2 { font-size: 13pt; border-bottom: 1px solid #000; } h3 { font-size: 11pt; }
      table { border-collapse: collapse; margin: 4px 0 8px; } th, td { border: 1px solid #555; padding: 2px 5px; text-align: left; }
      td.n { text-align: right; } .meta { color: #333; font-size: 9pt; }
      li.marked { font-weight: bold; } small { font-weight: normal; }
      svg { width: 100%; height: auto; break-inside: avoid; }
      section.day { break-inside: avoid; }
      </style>
      </head>
      <body>
      \(body)</body>
      </html>

      """
  }

  private static func dayHTML(_ day: PatientReport.Day, band: [PatientReport.CohortBand])
    -> String
  {
    var html = "<section class=\"day\">\n<h3>Day \(day.day)</h3>\n"
    html +=
      "<p>Waking: \(escape(day.wake ?? "not known as a time")) (\(escape(day.wakeSource))).</p>\n"
    html += CortisolChart(day: day, band: band).svg
    html +=
      "<table><tr><th>min since waking</th><th>clock</th><th>label</th><th>nmol/L</th><th>flags</th><th>left out</th></tr>\n"
    for point in day.samples {
      html +=
        "<tr><td class=\"n\">\(NumberText.short(point.minutes))</td><td>\(escape(point.clock ?? ""))</td>"
        + "<td>\(escape(point.label ?? ""))</td><td class=\"n\">\(escape(point.censoring))\(NumberText.short(point.value))</td>"
        + "<td>\(escape(point.flags.joined(separator: ", ")))</td><td>\(escape(point.excluded ?? ""))</td></tr>\n"
    }
    html += "</table>\n"
    if !day.features.isEmpty {
      html += "<table><tr><th>feature</th><th>value</th><th>unit</th></tr>\n"
      for feature in day.features {
        html +=
          "<tr><td>\(escape(feature.name))</td><td class=\"n\">\(NumberText.short(feature.value))</td><td>\(escape(feature.unit))</td></tr>\n"
      }
      html += "</table>\n"
    }
    let notes = day.reasons + day.notes
    if !notes.isEmpty {
      html += "<ul>\n" + notes.map { "<li>\(escape($0))</li>\n" }.joined() + "</ul>\n"
    }
    return html + "</section>\n"
  }

  /// Text made safe for HTML content and attribute values.
  static func escape(_ text: String) -> String {
    // Most texts (numbers, codes, labels) need nothing: one pass over the bytes tells.
    guard
      text.utf8.contains(where: {
        $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27
      })
    else { return text }
    var escaped = ""
    escaped.reserveCapacity(text.utf8.count)
    for character in text {
      switch character {
      case "&": escaped += "&amp;"
      case "<": escaped += "&lt;"
      case ">": escaped += "&gt;"
      case "\"": escaped += "&quot;"
      case "'": escaped += "&#39;"
      default: escaped.append(character)
      }
    }
    return escaped
  }
}

/// The cortisol curve of one subject-day as an inline SVG chart: value against minutes
/// since waking (hours since waking and clock time on the axis), the waking marked, the CAR
/// window (0-60 min) shaded, samples a feature used as filled circles, samples left out as
/// open squares and censored ones as open triangles, so that it reads in black and white.
struct CortisolChart {
  let day: PatientReport.Day
  let band: [PatientReport.CohortBand]
  /// The minutes shown: from before the first sample (or waking) to after the last.
  let minuteRange: ClosedRange<Double>
  /// The top of the value axis: a round number above the highest value.
  let valueTop: Double
  static let width = 640.0
  static let height = 260.0
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

  func x(_ minutes: Double) -> Double {
    let range = minuteRange
    let span = max(range.upperBound - range.lowerBound, 1)
    return Self.left + (minutes - range.lowerBound) / span
      * (Self.width - Self.left - Self.right)
  }

  func y(_ value: Double) -> Double {
    Self.top + (1 - value / valueTop) * (Self.height - Self.top - Self.bottom)
  }

  private func f(_ value: Double) -> String { NumberText.oneDecimal(value) }

  var svg: String {
    let base = Self.height - Self.bottom
    var parts: [String] = []
    parts.append(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(Self.width)) \(Int(Self.height))\" role=\"img\" aria-label=\"Cortisol, day \(day.day)\">"
    )
    parts.append(
      "<rect class=\"car-window\" x=\"\(f(x(0)))\" y=\"\(f(Self.top))\" width=\"\(f(x(60) - x(0)))\" height=\"\(f(base - Self.top))\" fill=\"#e6e6e6\"/>"
    )
    parts.append(
      "<text x=\"\(f(x(0) + 3))\" y=\"\(f(Self.top + 10))\" font-size=\"9\">CAR window</text>")
    // The cohort's band, hatched, over the CAR window's shade.
    let range = minuteRange
    if !band.isEmpty {
      parts.append(
        "<defs><pattern id=\"hatch-\(day.day)\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#888\" stroke-width=\"1\"/></pattern></defs>"
      )
      for bin in band where bin.from < range.upperBound && bin.to > range.lowerBound {
        let from = max(bin.from, range.lowerBound)
        let to = min(bin.to, range.upperBound)
        parts.append(
          "<rect class=\"cohort-band\" x=\"\(f(x(from)))\" y=\"\(f(y(bin.q3)))\" width=\"\(f(x(to) - x(from)))\" height=\"\(f(y(bin.q1) - y(bin.q3)))\" fill=\"url(#hatch-\(day.day))\"><title>cohort \(NumberText.short(bin.q1))-\(NumberText.short(bin.q3)) nmol/L, \(bin.subjects) subjects</title></rect>"
        )
      }
    }
    parts.append(
      "<line class=\"waking\" x1=\"\(f(x(0)))\" y1=\"\(f(Self.top))\" x2=\"\(f(x(0)))\" y2=\"\(f(base))\" stroke=\"#000\" stroke-dasharray=\"4 3\"/>"
    )
    // Axes with ticks: hours since waking (and clock time) below, nmol/L at the left.
    parts.append(
      "<line x1=\"\(f(Self.left))\" y1=\"\(f(base))\" x2=\"\(f(Self.width - Self.right))\" y2=\"\(f(base))\" stroke=\"#000\"/>"
    )
    parts.append(
      "<line x1=\"\(f(Self.left))\" y1=\"\(f(Self.top))\" x2=\"\(f(Self.left))\" y2=\"\(f(base))\" stroke=\"#000\"/>"
    )
    let hourStep = Self.step((range.upperBound - range.lowerBound) / 60 / 8)
    var hour = (range.lowerBound / 60 / hourStep).rounded(.up) * hourStep
    let wake = day.wake.flatMap(CollectionTime.init(iso8601:))
    while hour * 60 <= range.upperBound {
      let position = x(hour * 60)
      parts.append(
        "<line x1=\"\(f(position))\" y1=\"\(f(base))\" x2=\"\(f(position))\" y2=\"\(f(base + 4))\" stroke=\"#000\"/>"
      )
      var label = "\(hour >= 0 ? "+" : "")\(NumberText.short(hour)) h"
      if let wake {
        label +=
          " "
          + NumberText.clock(
            hours: (wake.local.hourOfDay + hour + 48).truncatingRemainder(dividingBy: 24))
      }
      parts.append(
        "<text x=\"\(f(position))\" y=\"\(f(base + 16))\" font-size=\"9\" text-anchor=\"middle\">\(PatientReportRenderer.escape(label))</text>"
      )
      hour += hourStep
    }
    parts.append(
      "<text x=\"\(f((Self.left + Self.width - Self.right) / 2))\" y=\"\(f(Self.height - 6))\" font-size=\"10\" text-anchor=\"middle\">time since waking (clock time)</text>"
    )
    let valueStep = valueTop / 4
    for index in 0...4 {
      let value = valueStep * Double(index)
      parts.append(
        "<text x=\"\(f(Self.left - 6))\" y=\"\(f(y(value) + 3))\" font-size=\"9\" text-anchor=\"end\">\(NumberText.short(value))</text>"
      )
    }
    parts.append(
      "<text x=\"12\" y=\"\(f((Self.top + base) / 2))\" font-size=\"10\" text-anchor=\"middle\" transform=\"rotate(-90 12 \(f((Self.top + base) / 2)))\">nmol/L</text>"
    )
    // The curve through the samples a feature used, then every sample with its mark.
    let used = day.samples.filter { $0.excluded == nil && $0.censoring.isEmpty }
    if used.count > 1 {
      let points = used.map { "\(f(x($0.minutes))),\(f(y($0.value)))" }.joined(separator: " ")
      parts.append(
        "<polyline class=\"curve\" points=\"\(points)\" fill=\"none\" stroke=\"#000\" stroke-width=\"1.5\"/>"
      )
    }
    for point in day.samples {
      let cx = x(point.minutes)
      let cy = y(point.value)
      var title =
        "\(point.label.map { "\($0): " } ?? "")\(point.censoring)\(NumberText.short(point.value)) nmol/L at +\(NumberText.short(point.minutes)) min"
      if !point.flags.isEmpty { title += "; flags: " + point.flags.joined(separator: ", ") }
      if let excluded = point.excluded { title += "; left out: " + excluded }
      let tooltip = "<title>\(PatientReportRenderer.escape(title))</title>"
      if point.excluded != nil {
        parts.append(
          "<rect class=\"left-out\" x=\"\(f(cx - 4))\" y=\"\(f(cy - 4))\" width=\"8\" height=\"8\" fill=\"#fff\" stroke=\"#000\">\(tooltip)</rect>"
        )
      } else if !point.censoring.isEmpty {
        parts.append(
          "<polygon class=\"censored\" points=\"\(f(cx)),\(f(cy - 5)) \(f(cx - 5)),\(f(cy + 4)) \(f(cx + 5)),\(f(cy + 4))\" fill=\"#fff\" stroke=\"#000\">\(tooltip)</polygon>"
        )
      } else {
        parts.append(
          "<circle class=\"sample\" cx=\"\(f(cx))\" cy=\"\(f(cy))\" r=\"3.5\" fill=\"#000\">\(tooltip)</circle>"
        )
      }
      let shown = point.flags.filter { !Self.quietFlags.contains($0) }
      if !shown.isEmpty {
        parts.append(
          "<text x=\"\(f(cx + 6))\" y=\"\(f(cy - 5))\" font-size=\"8\">\(PatientReportRenderer.escape(shown.joined(separator: ", ")))</text>"
        )
      }
    }
    parts.append("</svg>")
    return parts.joined(separator: "\n") + "\n"
  }
}
