/// Writes JSON as the reports' JSONEncoder does (pretty-printed, two spaces, `"key" : value`,
/// slashes unescaped, integral numbers without `.0`), value by value, for documents written
/// by the thousand: Foundation's encoder boxes every value and was a fifth of a cohort run.
/// The caller writes an object's keys in sorted order.
struct PrettyJSON {
  /// The UTF-8 written so far (appending bytes is cheaper than growing a String).
  private var bytes: [UInt8] = []
  /// For each open container: whether it has no element yet.
  private var empty: [Bool] = []
  private var afterKey = false

  /// Without line breaks and indentation (`"key":value`), for files only programs read.
  private let compact: Bool

  init(capacity: Int = 4096, compact: Bool = false) {
    bytes.reserveCapacity(capacity)
    self.compact = compact
  }

  /// The document written so far.
  var text: String { String(decoding: bytes, as: UTF8.self) }

  /// The document with a final line break, as `JSONDocument.text` ends it.
  mutating func document() -> String {
    write(UInt8(ascii: "\n"))
    return text
  }

  private mutating func write(_ text: String) { bytes.append(contentsOf: text.utf8) }

  private mutating func write(_ byte: UInt8) { bytes.append(byte) }

  /// The place of a new value: after its key, or on a new line in its container.
  private mutating func place() {
    if afterKey {
      afterKey = false
      return
    }
    guard let last = empty.indices.last else { return }
    if !empty[last] { write(UInt8(ascii: ",")) }
    empty[last] = false
    guard !compact else { return }
    write(UInt8(ascii: "\n"))
    indent(empty.count)
  }

  private mutating func indent(_ depth: Int) {
    for _ in 0..<(2 * depth) { write(UInt8(ascii: " ")) }
  }

  mutating func beginObject() {
    place()
    write(UInt8(ascii: "{"))
    empty.append(true)
  }

  mutating func endObject() { close(UInt8(ascii: "}")) }

  mutating func beginArray() {
    place()
    write(UInt8(ascii: "["))
    empty.append(true)
  }

  mutating func endArray() { close(UInt8(ascii: "]")) }

  private mutating func close(_ bracket: UInt8) {
    let wasEmpty = empty.removeLast()
    if compact {
      write(bracket)
      return
    }
    write(UInt8(ascii: "\n"))
    if wasEmpty { write(UInt8(ascii: "\n")) }
    indent(empty.count)
    write(bracket)
  }

  mutating func key(_ name: String) {
    place()
    quote(name)
    write(compact ? ":" : " : ")
    afterKey = true
  }

  mutating func string(_ value: String) {
    place()
    quote(value)
  }

  mutating func number(_ value: Double) {
    place()
    // Swift's shortest round-trip text, as the encoder writes it: `12`, `0.1`, `1e-07`.
    let written = value.description
    write(written.hasSuffix(".0") ? String(written.dropLast(2)) : written)
  }

  mutating func number(_ value: Int) {
    place()
    write(String(value))
  }

  mutating func bool(_ value: Bool) {
    place()
    write(value ? "true" : "false")
  }

  /// `"key" : "value"`, or nothing when the value is `nil` (as the encoder leaves it out).
  mutating func field(_ name: String, _ value: String?) {
    guard let value else { return }
    key(name)
    string(value)
  }

  mutating func field(_ name: String, _ value: Double?) {
    guard let value else { return }
    key(name)
    number(value)
  }

  mutating func field(_ name: String, _ value: Int) {
    key(name)
    number(value)
  }

  mutating func field(_ name: String, _ value: Int?) {
    guard let value else { return }
    key(name)
    number(value)
  }

  mutating func field(_ name: String, _ value: Bool) {
    key(name)
    bool(value)
  }

  mutating func field(_ name: String, _ values: [String]) {
    key(name)
    beginArray()
    for value in values { string(value) }
    endArray()
  }

  /// A JSON string literal: quotes, backslashes and control characters escaped.
  private mutating func quote(_ value: String) {
    write(UInt8(ascii: "\""))
    let plain = !value.utf8.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }
    if plain {
      write(value)
    } else {
      var text = ""
      for scalar in value.unicodeScalars {
        switch scalar {
        case "\"": text += "\\\""
        case "\\": text += "\\\\"
        case "\n": text += "\\n"
        case "\r": text += "\\r"
        case "\t": text += "\\t"
        case "\u{8}": text += "\\b"
        case "\u{C}": text += "\\f"
        case _ where scalar.value < 0x20:
          let hex = String(scalar.value, radix: 16)
          text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: text.unicodeScalars.append(scalar)
        }
      }
      write(text)
    }
    write(UInt8(ascii: "\""))
  }
}

extension PatientReport {
  /// The report as `JSONDocument.text` writes it (keys sorted, same layout), without
  /// Foundation's encoder; `PatientReportJSONTests` holds the two to the same bytes.
  var prettyJSON: String {
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
    return json.document()
  }
}

extension CohortReport {
  /// The report as `JSONDocument.text` writes it (keys sorted, same layout), without
  /// Foundation's encoder, which boxed each of a large cohort's patients (a cohort of
  /// 200,000 subjects held a hundred megabytes for it); `CohortReportJSONTests` holds the
  /// two to the same bytes.
  var prettyJSON: String {
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
    return json.document()
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
