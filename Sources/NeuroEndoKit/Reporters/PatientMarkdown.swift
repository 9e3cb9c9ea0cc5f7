/// A patient's Markdown page (``PatientReportRenderer/markdown(_:)``) written straight into
/// bytes, line by line, without a text per line or the lines joined at the end. The page
/// as it was written as a text, line by line, is the reference the page tests compare it
/// with, byte for byte, over every sample patient and variants with texts to escape.
struct PatientMarkdown {
  private typealias Renderer = PatientReportRenderer
  private var out: [UInt8] = []
  /// Each day's features' values as the page writes them (``PatientReportRenderer/featureValues(_:)``).
  private let values: [[String]]

  /// The Markdown page of `report`; `values`: its features' values, when the caller has them.
  static func bytes(_ report: PatientReport, values: [[String]]? = nil) -> [UInt8] {
    var page = PatientMarkdown(values: values ?? Renderer.featureValues(report))
    page.out.reserveCapacity(32 * 1024)
    page.write(report)
    return page.out
  }

  private init(values: [[String]]) { self.values = values }

  /// Text as it is: the page's own words and numbers.
  private mutating func raw(_ literal: StaticString) { out.append(literal: literal) }

  private mutating func raw(_ text: String) {
    var text = text
    text.withUTF8 { out.append(contentsOf: $0) }
  }

  /// A text from the inputs or the run, as ``MarkdownText/inline(_:)`` escapes it.
  private mutating func m(_ text: String) { MarkdownText.appendInline(text, to: &out) }

  private mutating func write(_ report: PatientReport) {
    raw("# Endocrine laboratory report: patient ")
    m(report.subjectID)
    raw("\n\n")
    for (name, value) in Renderer.header(report) {
      raw("- ")
      raw(name)
      raw(": ")
      m(value)
      raw("\n")
    }
    raw("\n")
    if !report.summary.isEmpty {
      raw("## Summary\n\n")
      for line in report.summary {
        raw("- **")
        m(line.topic)
        raw("** (")
        m(line.severity)
        raw("): ")
        m(line.text)
        raw("\n")
      }
      raw("\n")
    }
    if !report.collections.isEmpty { collections(report) }
    if !report.cumulative.isEmpty { cumulative(report) }
    if !report.days.isEmpty { days(report) }
    if !report.findings.isEmpty { findings(report) }
    raw("## Glossary\n\n")
    for (term, meaning) in Renderer.terms(report) {
      raw("- **")
      m(term)
      raw("**: ")
      m(meaning)
      raw("\n")
    }
    raw("\n")
    let decided = Renderer.decisions(report)
    if !decided.isEmpty {
      raw("## How this was decided\n\n")
      for item in decided {
        raw("- ")
        m(item.title)
        raw("\n")
        for detail in item.details {
          raw("  - ")
          m(detail)
          raw("\n")
        }
      }
      raw("\n")
    }
    m(report.generator)
    raw(", run ")
    m(report.run)
    raw(". Findings describe patterns in the numbers; they are not diagnoses.\n")
  }

  private mutating func collections(_ report: PatientReport) {
    raw("## Results\n\n")
    for collection in report.collections {
      raw("### ")
      m(collection.time)
      raw(", ")
      m(collection.specimen)
      raw(
        "\n\n| test | result | SI | reference range | flag | note |\n|---|---:|---:|---|---|---|\n")
      for row in collection.results {
        raw("| ")
        m(row.analyte)
        raw(" | ")
        if let previous = row.previous {
          raw("~~")
          m(previous)
          raw("~~ ")
        }
        m(row.reported)
        raw(" | ")
        m(row.si)
        raw(" | ")
        m(row.range)
        raw(" | ")
        m(row.flag)
        raw(" | ")
        m(row.note ?? "")
        raw(" |\n")
      }
      raw("\n")
    }
  }

  private mutating func cumulative(_ report: PatientReport) {
    raw("## Cumulative results\n\n")
    for series in report.cumulative {
      raw("### ")
      m(series.analyte)
      raw(" (")
      m(series.unit)
      raw(")\n\n| collected | value | flag |\n|---|---:|---|\n")
      for point in series.points {
        raw("| ")
        m(point.time)
        raw(" | ")
        m(point.text)
        raw(" | ")
        m(point.flag)
        raw(" |\n")
      }
      raw("\n")
    }
  }

  private mutating func days(_ report: PatientReport) {
    raw("## Cortisol rhythm\n\n")
    if let verdict = report.flattened {
      raw("Flattened diurnal slope: **")
      m(Renderer.flattenedWords(verdict.outcome))
      raw("**.\n\n")
    }
    for (index, day) in report.days.enumerated() {
      raw("### Day ")
      raw(String(day.day))
      raw("\n\nWaking: ")
      m(day.wake ?? "not known as a time")
      raw(" (")
      m(day.wakeSource)
      raw(").\n\n| min since waking | clock | label | nmol/L | flags | left out |\n")
      raw("|---:|---|---|---:|---|---|\n")
      for point in day.samples {
        raw("| ")
        raw(NumberText.short(point.minutes))
        raw(" | ")
        m(point.clock ?? "")
        raw(" | ")
        m(point.label ?? "")
        raw(" | ")
        m(point.censoring)
        raw(NumberText.short(point.value))
        raw(" | ")
        m(point.flags.joined(separator: ", "))
        raw(" | ")
        m(point.excluded ?? "")
        raw(" |\n")
      }
      raw("\n")
      if !day.features.isEmpty {
        raw("| feature | value | unit |\n|---|---:|---|\n")
        for (feature, value) in zip(day.features, values[index]) {
          raw("| ")
          m(feature.label)
          raw(" | ")
          m(value)
          raw(" | ")
          m(feature.unit)
          raw(" |\n")
        }
        raw("\n")
      }
      for reason in day.reasons + day.notes {
        raw("- ")
        m(Renderer.withoutSettingKeys(reason))
        raw("\n")
      }
      if !day.reasons.isEmpty || !day.notes.isEmpty { raw("\n") }
    }
  }

  private mutating func findings(_ report: PatientReport) {
    raw("## Findings\n\n")
    for finding in report.findings {
      raw("- **")
      m(finding.axis)
      raw(", ")
      m(finding.severity)
      raw("**: ")
      m(finding.message)
      m(Renderer.historyText(finding))
      raw("\n")
      if !finding.dates.isEmpty {
        raw("  - results of ")
        m(finding.dates.joined(separator: ", "))
        raw("\n")
      }
      for index in finding.indices {
        raw("  - ")
        m(Renderer.indexText(index))
        raw("\n")
      }
      for context in finding.context where Renderer.showsBeside(context) {
        raw("  - ")
        m(context)
        raw("\n")
      }
    }
    raw("\n")
  }
}
