/// Reads wide exports: one row per subject (or subject-day), one column per sample, with
/// the sample times, analyte, specimen and unit declared in the profile.
struct WideMapper: RecordMapper {
  private let context: MappingContext
  private let subject: Int
  private let day: Int?
  private let columns: [(index: Int, sample: CSVProfile.WideColumn)]
  private let kept: [(name: String, index: Int)]
  private let zone: Int?
  private let analyte: Analyte
  private let unit: LabUnit

  init(_ context: MappingContext) throws(HeaderProblem) {
    self.context = context
    let profile = context.profile
    // ProfileLoader guarantees these for wide profiles; a hand-made profile may lack them.
    guard let analyte = profile.analyte else {
      throw HeaderProblem(column: "analyte", reason: .unknownAnalyte("(profile has no analyte)"))
    }
    guard let unit = profile.unit else {
      throw HeaderProblem(column: "unit", reason: .unknownUnit("(profile has no unit)"))
    }
    self.analyte = analyte
    self.unit = unit
    subject = try context.required(.subject)
    day = context.optional(.day)
    columns = try profile.samples.map { sample throws(HeaderProblem) in
      guard let index = context.index(of: sample.column) else {
        throw HeaderProblem(column: sample.column, reason: .missingColumn(sample.column))
      }
      return (index, sample)
    }
    kept = try context.keptColumns()
    zone = try context.timeZoneColumn()
  }

  mutating func map(_ record: CSVRecord, into output: inout RecordOutput) {
    do throws(Rejection) {
      let subjectID = try context.requiredText(record, subject)
      let day = try context.integer(record, day)
      let attributes = try context.attributes(record, kept)
      let timeZone = try context.timeZone(record, zone)
      for (index, sample) in columns {
        context.valueCell(record, index, into: &output, unit: unit) { quantity in
          let time = RelativeTime(minutes: sample.minutes, anchor: context.profile.anchor)
          return Sample.Fields(
            subjectID: subjectID, analyte: analyte,
            specimen: context.researchSpecimen(analyte, time), quantity: quantity,
            collected: nil, timeZone: timeZone, wake: nil, relativeTime: time, day: day,
            label: sample.label, referenceRange: nil, testCode: nil, qualifier: nil,
            attributes: attributes, provenance: context.location(record, index))
        }
      }
      context.rejectIfEmpty(record, &output)
    } catch {
      output.reject(error)
    }
  }
}
