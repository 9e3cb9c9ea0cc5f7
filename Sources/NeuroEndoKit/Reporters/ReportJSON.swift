import Foundation

extension PatientReport {
  /// The report as `JSONDocument.text` writes it (keys sorted, same layout), without
  /// Foundation's encoder; `PatientReportJSONTests` holds the two to the same bytes.
  var prettyJSON: String { String(decoding: prettyJSONBytes, as: UTF8.self) }

  /// ``prettyJSON``'s bytes, for a file.
  var prettyJSONBytes: [UInt8] {
    var json = PrettyJSON(capacity: 16_384)
    json.beginObject()
    json.field("age", age)
    json.key("cohortBand")
    json.beginArray()
    for bin in cohortBand {
      json.beginObject()
      json.field("from", bin.from)
      json.field("q1", bin.q1)
      json.field("q3", bin.q3)
      json.field("subjects", bin.subjects)
      json.field("to", bin.to)
      json.endObject()
    }
    json.endArray()
    json.key("collections")
    json.beginArray()
    for collection in collections {
      json.beginObject()
      json.key("results")
      json.beginArray()
      for row in collection.results {
        json.beginObject()
        json.field("analyte", row.analyte)
        json.field("correctedOn", row.correctedOn)
        json.field("flag", row.flag)
        json.field("note", row.note)
        json.field("previous", row.previous)
        json.field("range", row.range)
        json.field("reported", row.reported)
        json.field("si", row.si)
        json.endObject()
      }
      json.endArray()
      json.field("specimen", collection.specimen)
      json.field("time", collection.time)
      json.endObject()
    }
    json.endArray()
    json.field("context", context)
    json.key("cumulative")
    json.beginArray()
    for series in cumulative {
      json.beginObject()
      json.field("analyte", series.analyte)
      json.field("high", series.high)
      json.field("low", series.low)
      json.key("points")
      json.beginArray()
      for point in series.points {
        json.beginObject()
        json.field("flag", point.flag)
        json.field("text", point.text)
        json.field("time", point.time)
        json.field("value", point.value)
        json.endObject()
      }
      json.endArray()
      json.field("unit", series.unit)
      json.endObject()
    }
    json.endArray()
    json.key("days")
    json.beginArray()
    for day in days {
      json.beginObject()
      json.field("day", day.day)
      json.key("features")
      json.beginArray()
      for feature in day.features {
        json.beginObject()
        json.field("label", feature.label)
        json.field("name", feature.name)
        json.field("note", feature.note)
        json.field("unit", feature.unit)
        json.field("value", feature.value)
        json.endObject()
      }
      json.endArray()
      json.field("notes", day.notes)
      json.field("reasons", day.reasons)
      json.key("samples")
      json.beginArray()
      for point in day.samples {
        json.beginObject()
        json.field("censoring", point.censoring)
        json.field("clock", point.clock)
        json.field("excluded", point.excluded)
        json.field("flags", point.flags)
        json.field("label", point.label)
        json.field("minutes", point.minutes)
        json.field("valid", point.valid)
        json.field("value", point.value)
        json.endObject()
      }
      json.endArray()
      json.field("wake", day.wake)
      json.field("wakeSource", day.wakeSource)
      json.endObject()
    }
    json.endArray()
    json.key("findings")
    json.beginArray()
    for finding in findings {
      json.beginObject()
      json.field("analyzer", finding.analyzer)
      json.field("axis", finding.axis)
      json.field("context", finding.context)
      json.field("dates", finding.dates)
      json.field("firstReported", finding.firstReported)
      json.field("history", finding.history)
      json.field("historyNote", finding.historyNote)
      json.key("indices")
      json.beginArray()
      for index in finding.indices {
        json.beginObject()
        json.field("name", index.name)
        json.field("reference", index.reference)
        json.field("source", index.source)
        json.field("unit", index.unit)
        json.field("value", index.value)
        json.endObject()
      }
      json.endArray()
      json.field("message", finding.message)
      json.field("pattern", finding.pattern)
      json.field("rule", finding.rule)
      json.field("severity", finding.severity)
      json.field("time", finding.time)
      json.key("values")
      json.beginArray()
      for value in finding.values {
        json.beginObject()
        json.field("analyte", value.analyte)
        json.field("range", value.range)
        json.field("source", value.source)
        json.field("status", value.status)
        json.field("unit", value.unit)
        json.field("value", value.value)
        json.endObject()
      }
      json.endArray()
      json.endObject()
    }
    json.endArray()
    json.key("flags")
    json.beginObject()
    for (code, count) in flags.sorted(by: { $0.key < $1.key }) { json.field(code, count) }
    json.endObject()
    if let flattened {
      json.key("flattened")
      json.beginObject()
      json.field("outcome", flattened.outcome)
      json.field("rule", flattened.rule)
      json.field("slopeLogMean", flattened.slopeLogMean)
      json.field("validDays", flattened.validDays)
      json.endObject()
    }
    json.field("generator", generator)
    json.key("notJudged")
    json.beginArray()
    for entry in notJudged {
      json.beginObject()
      json.field("analyzer", entry.analyzer)
      json.field("axis", entry.axis)
      json.field("message", entry.message)
      json.field("reason", entry.reason)
      json.endObject()
    }
    json.endArray()
    if let period {
      json.key("period")
      json.beginObject()
      json.field("first", period.first)
      json.field("last", period.last)
      json.endObject()
    }
    json.field("reportDate", reportDate)
    json.field("run", run)
    json.field("schema", schema)
    json.field("schemaVersion", schemaVersion)
    json.field("sex", sex)
    json.field("sources", sources)
    json.field("subjectID", subjectID)
    json.key("summary")
    json.beginArray()
    for line in summary {
      json.beginObject()
      json.field("severity", line.severity)
      json.field("text", line.text)
      json.field("topic", line.topic)
      json.endObject()
    }
    json.endArray()
    json.endObject()
    return json.documentBytes()
  }
}

extension CohortReport {
  /// The report as `JSONDocument.text` writes it (keys sorted, same layout), without
  /// Foundation's encoder, which boxed each of a large cohort's patients (a cohort of
  /// 200,000 subjects held a hundred megabytes for it); `CohortReportJSONTests` holds the
  /// two to the same bytes.
  var prettyJSON: String { String(decoding: prettyJSONBytes, as: UTF8.self) }

  /// ``prettyJSON``'s bytes, for a file: a large cohort's document is tens of megabytes,
  /// which a text would hold a second time.
  var prettyJSONBytes: [UInt8] {
    var json = PrettyJSON(capacity: 4096 + 160 * patients.count)
    func summary(_ summary: Summary) {
      json.beginObject()
      json.field("median", summary.median)
      json.field("n", summary.n)
      json.field("name", summary.name)
      json.field("q1", summary.q1)
      json.field("q3", summary.q3)
      json.field("unit", summary.unit)
      json.endObject()
    }
    json.beginObject()
    json.key("features")
    json.beginArray()
    for feature in features { summary(feature) }
    json.endArray()
    json.field("flattenedThreshold", flattenedThreshold)
    json.field("generator", generator)
    json.cohortRows(patients: patients, patterns: patterns)
    json.key("responses")
    json.beginArray()
    for curve in responses {
      json.beginObject()
      json.field("condition", curve.condition)
      json.key("points")
      json.beginArray()
      for point in curve.points {
        json.beginObject()
        json.field("mean", point.mean)
        json.field("minutes", point.minutes)
        json.field("n", point.n)
        json.field("se", point.se)
        json.endObject()
      }
      json.endArray()
      json.endObject()
    }
    json.endArray()
    json.field("run", run)
    json.field("schema", schema)
    json.field("schemaVersion", schemaVersion)
    json.key("slopeHistogram")
    json.beginArray()
    for bin in slopeHistogram {
      json.beginObject()
      json.field("count", bin.count)
      json.field("high", bin.high)
      json.field("low", bin.low)
      json.endObject()
    }
    json.endArray()
    if let slopes {
      json.key("slopes")
      summary(slopes)
    }
    json.field("subjectDays", subjectDays)
    json.field("subjects", subjects)
    json.counts("verdicts", verdicts)
    json.endObject()
    return json.documentBytes()
  }
}

extension CohortReport.Inputs {
  /// The contributions as one line of compact JSON (what `JSONLines.line` writes, read back
  /// by JSONDecoder to equal values), without Foundation's encoder: a shard's or partition's
  /// file of them holds every subject-day's feature values.
  var compactJSON: String {
    var json = PrettyJSON(capacity: 4096 + 20 * subjectDays * features.count, compact: true)
    json.beginObject()
    json.key("band")
    json.beginObject()
    // Keys in the encoder's order: as texts ("10" before "2").
    for (bin, values) in band.map({ (String($0.key), $0.value) }).sorted(by: { $0.0 < $1.0 }) {
      json.key(bin)
      json.beginObject()
      json.field("subjects", values.subjects)
      json.key("values")
      json.beginArray()
      for value in values.values { json.number(value) }
      json.endArray()
      json.endObject()
    }
    json.endObject()
    json.key("features")
    json.beginObject()
    for (name, values) in features.sorted(by: { $0.key < $1.key }) {
      json.key(name)
      json.beginArray()
      for value in values { json.number(value) }
      json.endArray()
    }
    json.endObject()
    json.field("flattenedThreshold", flattenedThreshold)
    json.cohortRows(patients: patients, patterns: patterns)
    json.key("responses")
    json.beginObject()
    for (key, values) in responses.sorted(by: { $0.key < $1.key }) {
      json.key(key)
      json.beginArray()
      for value in values { json.number(value) }
      json.endArray()
    }
    json.endObject()
    json.key("slopes")
    json.beginArray()
    for slope in slopes { json.number(slope) }
    json.endArray()
    json.field("subjectDays", subjectDays)
    json.counts("verdicts", verdicts)
    json.endObject()
    return json.document()
  }
}

extension PrettyJSON {
  /// The `patients` and `patterns` keys the cohort report and its inputs share.
  mutating func cohortRows(
    patients: [CohortReport.Patient], patterns: [CohortReport.PatternCount]
  ) {
    key("patients")
    beginArray()
    for patient in patients {
      beginObject()
      field("days", patient.days)
      field("file", patient.file)
      field("findings", patient.findings)
      field("flattened", patient.flattened)
      field("marked", patient.marked)
      field("responses", patient.responses)
      field("subjectID", patient.subjectID)
      endObject()
    }
    endArray()
    key("patterns")
    beginArray()
    for pattern in patterns {
      beginObject()
      field("axis", pattern.axis)
      field("count", pattern.count)
      field("pattern", pattern.pattern)
      field("severity", pattern.severity)
      endObject()
    }
    endArray()
  }

  /// `"name" : {counts by key, keys sorted}`.
  mutating func counts(_ name: String, _ counts: [String: Int]) {
    key(name)
    beginObject()
    for (name, count) in counts.sorted(by: { $0.key < $1.key }) { field(name, count) }
    endObject()
  }
}
