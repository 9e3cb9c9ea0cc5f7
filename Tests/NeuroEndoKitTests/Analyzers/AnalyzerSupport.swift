import Foundation

@testable import NeuroEndoKit

/// Curve points from (minutes, value) pairs, labelled S0, S1, ...
func points(_ pairs: [(Double, Double)]) -> [CurvePoint] {
  pairs.enumerated().map { CurvePoint(minutes: $1.0, value: $1.1, label: "S\($0)") }
}

/// A salivary cortisol sample in nmol/L placed `minutes` after the subject's waking on `day`.
func cortisol(
  _ subject: String, day: Int, minutes: Double, value: Double, label: String? = nil,
  censoring: Censoring = .none, flags: [SampleFlag] = [], wakeSource: WakeSource = .export
) -> NormalizedSample {
  let quantity = Quantity(value: value, unit: .nanomolePerLiter, censoring: censoring)
  let sample = Sample(
    subjectID: subject, analyte: .cortisol, specimen: .saliva, quantity: quantity,
    relativeTime: RelativeTime(minutes: minutes, anchor: .waking), day: day, label: label,
    provenance: InputLocation(file: "synthetic.csv"))
  return NormalizedSample(
    sample: sample, value: quantity, collected: nil, timeResolution: nil,
    circadian: CircadianPosition(
      minutesSinceWaking: minutes, day: day, wakeSource: wakeSource, wake: nil),
    flags: flags)
}

/// A day whose ln(cortisol) falls by exactly `slope` per hour from 15 nmol/L at waking,
/// sampled at waking and every 3 hours to +15 h, with a CAR at +15, +30 and +45 min on top.
func exponentialDay(_ subject: String, day: Int, slope: Double) -> [NormalizedSample] {
  let car = [(15.0, 21.0), (30, 24), (45, 19)].map {
    cortisol(subject, day: day, minutes: $0.0, value: $0.1)
  }
  let diurnal = stride(from: 0.0, through: 15, by: 3).map { hours in
    cortisol(subject, day: day, minutes: hours * 60, value: 15 * exp(slope * hours))
  }
  return diurnal + car
}

/// A lab result as a reader gives it, collected on `day` of March 2026 at `hour:minute`
/// (+01:00), recorded from `file`.
func labResult(
  _ subject: String, _ analyte: Analyte, _ value: Double, _ unit: LabUnit,
  specimen: Specimen, hour: Int, minute: Int, day: Int, censoring: Censoring,
  range: ReferenceRange?, label: String?, testCode: String? = nil, qualifier: String?,
  attributes: [String: String], file: String
) -> Sample {
  Sample(
    subjectID: subject, analyte: analyte, specimen: specimen,
    quantity: Quantity(value: value, unit: unit, censoring: censoring),
    collected: CollectionTime(
      local: LocalDateTime(year: 2026, month: 3, day: day, hour: hour, minute: minute),
      utcOffsetSeconds: 3600),
    label: label, referenceRange: range, testCode: testCode, qualifier: qualifier,
    attributes: attributes, provenance: InputLocation(file: file, record: 2))
}

/// The samples normalized with default settings, then evaluated by the feedback analyzer.
func feedback(_ samples: [Sample], _ settings: FeedbackSettings = FeedbackSettings())
  -> FeedbackResult
{
  let normalized = Normalizer(settings: NormalizerSettings())!.normalize(samples).samples
  return FeedbackAnalyzer(settings: settings).evaluate(normalized)
}
