@testable import NeuroEndoKit

/// The Markdown page as a text, line by line: the layout `PatientMarkdown` writes as bytes,
/// kept here as the reference its tests compare with byte for byte.
enum MarkdownReference {
  /// The report as Markdown, as the product wrote it as a text before `PatientMarkdown`.
  static func markdown(_ report: PatientReport) -> String {
    typealias R = PatientReportRenderer
    // Every text from the inputs or the run goes through `m`: no HTML, link or row break
    // from an id or a label reaches the page.
    let m = MarkdownText.inline
    var lines = ["# Endocrine laboratory report: patient \(m(report.subjectID))", ""]
    for (name, value) in R.header(report) { lines.append("- \(name): \(m(value))") }
    lines.append("")
    if !report.summary.isEmpty {
      lines.append("## Summary")
      lines.append("")
      for line in report.summary {
        lines.append("- **\(m(line.topic))** (\(m(line.severity))): \(m(line.text))")
      }
      lines.append("")
    }
    if !report.collections.isEmpty {
      lines.append("## Results")
      lines.append("")
      for collection in report.collections {
        lines.append("### \(m(collection.time)), \(m(collection.specimen))")
        lines.append("")
        lines.append("| test | result | SI | reference range | flag | note |")
        lines.append("|---|---:|---:|---|---|---|")
        for row in collection.results {
          lines.append(
            "| \(m(row.analyte)) | \(row.previous.map { "~~\(m($0))~~ " } ?? "")\(m(row.reported)) | \(m(row.si)) | \(m(row.range)) | \(m(row.flag)) | \(m(row.note ?? "")) |"
          )
        }
        lines.append("")
      }
    }
    if !report.cumulative.isEmpty {
      lines.append("## Cumulative results")
      lines.append("")
      for series in report.cumulative {
        lines.append("### \(m(series.analyte)) (\(m(series.unit)))")
        lines.append("")
        lines.append("| collected | value | flag |")
        lines.append("|---|---:|---|")
        for point in series.points {
          lines.append("| \(m(point.time)) | \(m(point.text)) | \(m(point.flag)) |")
        }
        lines.append("")
      }
    }
    if !report.days.isEmpty {
      lines.append("## Cortisol rhythm")
      lines.append("")
      if let verdict = report.flattened {
        lines.append("Flattened diurnal slope: **\(m(R.flattenedWords(verdict.outcome)))**.")
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
              "| \(m(feature.label)) | \(m(R.featureValue(feature))) | \(m(feature.unit)) |")
          }
          lines.append("")
        }
        for reason in day.reasons + day.notes {
          lines.append("- \(m(R.withoutSettingKeys(reason)))")
        }
        if !(day.reasons + day.notes).isEmpty { lines.append("") }
      }
    }
    if !report.findings.isEmpty {
      lines.append("## Findings")
      lines.append("")
      for finding in report.findings {
        lines.append(
          "- **\(m(finding.axis)), \(m(finding.severity))**: \(m(finding.message))\(m(R.historyText(finding)))"
        )
        if !finding.dates.isEmpty {
          lines.append("  - results of \(m(finding.dates.joined(separator: ", ")))")
        }
        for index in finding.indices { lines.append("  - \(m(R.indexText(index)))") }
        for context in finding.context where R.showsBeside(context) {
          lines.append("  - \(m(context))")
        }
      }
      lines.append("")
    }
    lines.append("## Glossary")
    lines.append("")
    for (term, meaning) in R.terms(report) { lines.append("- **\(m(term))**: \(m(meaning))") }
    lines.append("")
    let decided = R.decisions(report)
    if !decided.isEmpty {
      lines.append("## How this was decided")
      lines.append("")
      for item in decided {
        lines.append("- \(m(item.title))")
        for detail in item.details { lines.append("  - \(m(detail))") }
      }
      lines.append("")
    }
    lines.append(
      "\(m(report.generator)), run \(m(report.run)). Findings describe patterns in the numbers; they are not diagnoses."
    )
    return lines.joined(separator: "\n") + "\n"
  }
}
