/// Reads research long exports: `subject_id,day,sample,minutes_since_waking` plus value
/// columns named `<analyte>_<unit>` (`cortisol_nmol_l`, `tsh_miu_l`), found without configuration.
///
/// Columns that name no analyte are kept as attributes; a column that names an analyte
/// with an unknown unit (`cortisol_mg_furlong`) rejects each of its values.
struct ResearchLongMapper: RecordMapper {
  private let context: MappingContext
  private let subject: Int
  private let day: Int?
  private let sample: Int?
  private let minutes: Int?
  private let values: [(index: Int, analyte: Analyte, unit: LabUnit)]
  private let badUnits: [(index: Int, unit: String)]
  private let kept: [(name: String, index: Int)]
  private let zone: Int?
  /// The last subject ids and labels read.
  private var subjects = RecentTexts()
  private var labels = RecentTexts()

  init(_ context: MappingContext) throws(HeaderProblem) {
    self.context = context
    subject = try context.required(.subject)
    day = context.optional(.day)
    sample = context.optional(.sample)
    minutes = context.optional(.minutesSinceWaking)
    let roles = Set([subject, day, sample, minutes].compactMap { $0 })
    var values: [(Int, Analyte, LabUnit)] = []
    var badUnits: [(Int, String)] = []
    var kept = try context.keptColumns()
    let keptIndices = Set(kept.map(\.index))
    for (index, name) in context.header.enumerated()
    where !roles.contains(index) && !keptIndices.contains(index) {
      switch ResearchLongMapper.valueColumn(name) {
      case .value(let analyte, let unit): values.append((index, analyte, unit))
      case .unknownUnit(let unit): badUnits.append((index, unit))
      case nil: kept.append((name, index))
      }
    }
    guard !values.isEmpty || !badUnits.isEmpty else {
      throw HeaderProblem(column: "<analyte>_<unit>", reason: .missingColumn("<analyte>_<unit>"))
    }
    self.values = values
    self.badUnits = badUnits
    let zone = try context.timeZoneColumn()
    self.zone = zone
    self.kept = kept.filter { $0.index != zone }
  }

  enum ValueColumn: Equatable {
    case value(Analyte, LabUnit)
    case unknownUnit(String)
  }

  /// Splits a column name into analyte and unit at the first `_` that gives both
  /// (`dhea_s_umol_l` is DHEA-S in umol/L).
  static func valueColumn(_ name: String) -> ValueColumn? {
    let name = name.trimmingCharacters(in: .whitespaces)
    var analyteOnly: String?
    for split in name.indices where name[split] == "_" {
      guard let analyte = Analyte(name: String(name[..<split])) else { continue }
      let unitText = String(name[name.index(after: split)...])
      if let unit = LabUnit(text: unitText) { return .value(analyte, unit) }
      if analyteOnly == nil { analyteOnly = unitText }
    }
    return analyteOnly.map { .unknownUnit($0) }
  }

  mutating func map(_ record: CSVRecord, into output: inout RecordOutput) {
    do throws(Rejection) {
      let subjectID = try subjects.requiredText(record, subject, context)
      let day = try context.integer(record, day)
      var label: String?
      if let sample, !context.isMissing(record, sample) {
        label = try labels.text(record, sample, context)
      }
      let minutes = try context.number(record, minutes)
      let attributes = try context.attributes(record, kept)
      let timeZone = try context.timeZone(record, zone)
      let relativeTime = minutes.map { RelativeTime(minutes: $0, anchor: .waking) }
      // A run in partitions takes the values straight into columns, the record's texts
      // numbered once: no sample, nor its fields, is made.
      let intoColumns = output.takesColumnsForRecord()
      var texts: SampleColumns.RecordTexts?
      for (index, analyte, unit) in values {
        guard let quantity = context.value(record, index, into: &output, unit: unit) else {
          continue
        }
        let specimen = context.researchSpecimen(analyte, relativeTime)
        guard intoColumns else {
          output.accept(
            fields: Sample.Fields(
              subjectID: subjectID, analyte: analyte, specimen: specimen, quantity: quantity,
              collected: nil, timeZone: timeZone, wake: nil, relativeTime: relativeTime,
              day: day, label: label, referenceRange: nil, testCode: nil, qualifier: nil,
              attributes: attributes, provenance: context.location(record, index)))
          continue
        }
        guard output.accepts(subjectID, analyte, specimen, at: context.location(record, index))
        else { continue }
        if texts == nil {
          texts = output.appendColumns {
            $0.recordTexts(
              subject: subjectID, file: context.file, label: label, attributes: attributes,
              timeZone: timeZone)
          }
        }
        output.appendColumns {
          $0.append(
            value: quantity, analyte: analyte, specimen: specimen, column: context.header[index],
            record: record.number, minutes: minutes, day: day, texts: texts!)
        }
      }
      for (index, unit) in badUnits where !context.isMissing(record, index) {
        output.reject(context.reject(record, index, .unknownUnit(unit)))
      }
      context.rejectIfEmpty(record, &output)
    } catch {
      output.reject(error)
    }
  }
}
