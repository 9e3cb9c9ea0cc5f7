import Foundation

/// Reads LIS long exports: one row per result with subject, test code, value, unit and
/// collection time, and optionally specimen, wake time and reference range.
struct LISLongMapper: RecordMapper {
  private let context: MappingContext
  private let subject: Int
  private let code: Int
  private let value: Int
  private let unit: Int
  private let collected: Int
  private let specimen: Int?
  private let wake: Int?
  private let label: Int?
  private let referenceRange: Int?
  private let referenceLow: Int?
  private let referenceHigh: Int?
  private let hasRange: Bool
  private let kept: [(name: String, index: Int)]
  // Subject ids come in runs; codes, units and specimens are few per file.
  private let zone: Int?
  private var subjects = ByteKeyCache<String>(limit: 1)
  private var codes = ByteKeyCache<(text: String, code: TestCode)>(limit: 64)
  private var units = ByteKeyCache<LabUnit>(limit: 32)
  private var specimens = ByteKeyCache<Specimen>(limit: 16)

  init(_ context: MappingContext) throws(HeaderProblem) {
    self.context = context
    subject = try context.required(.subject)
    code = try context.required(.code)
    value = try context.required(.value)
    unit = try context.required(.unit)
    collected = try context.required(.collected)
    specimen = context.optional(.specimen)
    wake = context.optional(.wake)
    label = context.optional(.sample)
    referenceRange = context.optional(.referenceRange)
    referenceLow = context.optional(.referenceLow)
    referenceHigh = context.optional(.referenceHigh)
    hasRange = referenceRange != nil || referenceLow != nil || referenceHigh != nil
    kept = try context.keptColumns()
    zone = try context.timeZoneColumn()
  }

  mutating func map(_ record: CSVRecord, into output: inout RecordOutput) {
    do throws(Rejection) {
      try sample(record, into: &output)
    } catch {
      output.reject(error)
    }
  }

  /// Reads the record's sample and hands it to `output`, built in place rather than
  /// returned (a returned `Sample` is copied once more).
  private mutating func sample(_ record: CSVRecord, into output: inout RecordOutput)
    throws(Rejection)
  {
    let subjectID = try lookUpSubject(record)
    let testCode = try lookUpCode(record)
    // A value not measured (empty, `n.a.`, `-`: the profile's missing tokens) is an empty
    // cell, and its row a sample not taken: passed over, not rejected.
    if context.isMissing(record, value) {
      let location = InputLocation(
        file: context.file, record: record.number, column: context.header[value])
      output.empty(column: value, at: location)
      output.skip("no value (empty or a missing-value token)", at: location)
      return
    }
    let unit = try lookUpUnit(record)
    let quantity = try context.quantity(record, value, unit: unit)
    let collectedAt = try time(record, collected, onDateOf: nil)!
    let wakeAt = try wake.flatMap { column throws(Rejection) in
      context.isMissing(record, column)
        ? nil : try time(record, column, onDateOf: collectedAt)
    }
    var attributes = try context.attributes(record, kept)
    let referenceRange = hasRange ? try range(record, unparsed: &attributes) : nil
    // Fields, not a sample: a run in partitions takes them straight into columns.
    output.accept(
      fields: Sample.Fields(
        subjectID: subjectID, analyte: testCode.code.analyte,
        specimen: try lookUpSpecimen(record, implied: testCode.code.specimen),
        quantity: quantity, collected: collectedAt,
        timeZone: try context.timeZone(record, zone), wake: wakeAt, relativeTime: nil,
        day: nil,
        label: try label.flatMap { column throws(Rejection) in
          context.isMissing(record, column) ? nil : try context.text(record, column)
        },
        referenceRange: referenceRange, testCode: testCode.text,
        qualifier: testCode.code.qualifier, attributes: attributes,
        provenance: context.location(record, nil)))
  }

  private mutating func lookUpSubject(_ record: CSVRecord) throws(Rejection) -> String {
    let bytes = record.trimmedBytes(subject)
    if let known = subjects.value(for: bytes) { return known }
    let text = try context.requiredText(record, subject)
    subjects.insert(text, for: bytes)
    return text
  }

  private mutating func lookUpCode(_ record: CSVRecord) throws(Rejection) -> (
    text: String, code: TestCode
  ) {
    let bytes = record.trimmedBytes(code)
    if let known = codes.value(for: bytes) { return known }
    let text = try context.requiredText(record, code)
    guard let mapped = context.profile.codes[text] ?? LOINC.codes[text] else {
      throw context.reject(record, code, .unknownTestCode(text))
    }
    codes.insert((text, mapped), for: bytes)
    return (text, mapped)
  }

  private mutating func lookUpUnit(_ record: CSVRecord) throws(Rejection) -> LabUnit {
    let bytes = record.trimmedBytes(unit)
    if let known = units.value(for: bytes) { return known }
    let text = try context.requiredText(record, unit)
    guard let parsed = LabUnit(text: text) else {
      throw context.reject(record, unit, .unknownUnit(text))
    }
    units.insert(parsed, for: bytes)
    return parsed
  }

  private mutating func lookUpSpecimen(_ record: CSVRecord, implied: Specimen?) throws(Rejection)
    -> Specimen
  {
    guard let specimen, !context.isMissing(record, specimen) else {
      return implied ?? context.profile.specimen ?? .unspecified
    }
    let bytes = record.trimmedBytes(specimen)
    if let known = specimens.value(for: bytes) { return known }
    let text = try context.text(record, specimen)
    guard let named = context.profile.specimens[text] ?? Specimen(name: text) else {
      throw context.reject(record, specimen, .unknownSpecimen(text))
    }
    specimens.insert(named, for: bytes)
    return named
  }

  private func time(_ record: CSVRecord, _ column: Int, onDateOf date: CollectionTime?)
    throws(Rejection) -> CollectionTime?
  {
    guard
      let parsed = FieldParser.time(record.bytes(column), order: context.profile.dateOrder),
      let time = parsed.collectionTime(onDateOf: date)
    else {
      if context.isMissing(record, column) { throw context.reject(record, column, .missingValue) }
      throw context.reject(record, column, .unparsableTime(record.string(column) ?? "<binary>"))
    }
    return time
  }

  /// The reference range from `reference_range` ("0.3-4.2", "<5", ">2") or from the
  /// low/high columns. A range that does not parse is kept as the attribute
  /// `reference_range` rather than dropped.
  private func range(_ record: CSVRecord, unparsed: inout [String: String]) throws(Rejection)
    -> ReferenceRange?
  {
    if let referenceRange, !context.isMissing(record, referenceRange) {
      let text = try context.text(record, referenceRange)
      guard let range = ReferenceRangeParser.parse(text, decimalComma: context.profile.decimalComma)
      else {
        unparsed[context.header[referenceRange]] = text
        return nil
      }
      return range
    }
    let low = try context.number(record, referenceLow)
    let high = try context.number(record, referenceHigh)
    guard low != nil || high != nil else { return nil }
    return ReferenceRange(low: low, high: high)
  }
}

/// Reads reference ranges as labs write them: `0.3-4.2`, `0,3 - 4,2`, `<5`, `> 2`, `11.6 to 21.9`.
enum ReferenceRangeParser {
  static func parse(_ text: String, decimalComma: Bool) -> ReferenceRange? {
    func number(_ part: Substring) -> Double? {
      Array(part.utf8).withUnsafeBufferPointer { FieldParser.decimal($0, decimalComma) }
    }
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    guard !trimmed.isEmpty else { return nil }
    if let first = trimmed.first, first == "<" || first == ">" {
      var rest = trimmed.dropFirst()
      if rest.first == "=" { rest = rest.dropFirst() }
      guard let limit = number(rest) else { return nil }
      return first == "<"
        ? ReferenceRange(low: nil, high: limit) : ReferenceRange(low: limit, high: nil)
    }
    let separators = [" to ", " - ", "–", "-"]
    for separator in separators {
      // Split at the separator that is not a leading minus sign.
      guard
        let range = trimmed.range(
          of: separator, range: trimmed.index(after: trimmed.startIndex)..<trimmed.endIndex)
      else { continue }
      if let low = number(trimmed[..<range.lowerBound]),
        let high = number(trimmed[range.upperBound...]),
        low <= high
      {
        return ReferenceRange(low: low, high: high)
      }
    }
    return nil
  }
}
