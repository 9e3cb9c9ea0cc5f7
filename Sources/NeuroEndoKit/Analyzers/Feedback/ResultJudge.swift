import Foundation

/// Places results against reference ranges: the lab's range first (converted to the
/// canonical unit), else the first default of the settings that fits the analyte,
/// specimen, sex and age, and that holds at the result's time of day. A value on a limit
/// is inside the range; a censored value is placed only where its bound decides.
struct ResultJudge {
  let settings: FeedbackSettings

  /// The result judged, for a subject of the given sex and age (years) at the time.
  func judge(_ sample: NormalizedSample, sex: FeedbackSettings.Sex?, age: Double?) -> JudgedResult {
    let analyte = sample.sample.analyte
    // The file by its name: reports and FHIR bundles leave the machine's folders behind.
    var location = sample.sample.provenance
    location.file = location.fileName
    var result = JudgedResult(
      analyte: analyte, specimen: sample.sample.specimen, value: sample.value.value,
      censoring: sample.value.censoring, valueText: Self.reported(sample),
      unit: sample.value.unit.ucum, time: sample.collected, range: nil, rangeSource: nil,
      status: .unknown, reason: nil, source: location.description)
    result.caution = sample.flags.first { $0.code == "possible-unit-mixup" }?.message
    result.correction = sample.flags.first { $0.code == "corrected" }?.message
    if let lab = sample.sample.referenceRange,
      let factor = UnitConverter.factor(from: lab.unit ?? sample.sample.quantity.unit, to: analyte)
    {
      result.range = ReferenceRange(
        low: lab.low.map { $0 * factor }, high: lab.high.map { $0 * factor })
      result.rangeSource = "lab"
      if factor != 1 {
        // The limits are compared at full precision; they are printed at the lab's.
        func printed(_ limit: Double?) -> String? {
          limit.map {
            NumberText.significant(
              $0 * factor, min(max(NumberText.significantDigits(of: $0), 3), 6))
          }
        }
        result.lowText = printed(lab.low)
        result.highText = printed(lab.high)
      }
    } else if let fitting = settings.ranges.first(where: { fits($0, sample, sex: sex, age: age) }) {
      result.rangeSource = "default (\(fitting.scope)): \(fitting.source)"
      if fitting.timeOfDay == .morning,
        let why = outside(settings.morningWindow, sample.collected)
      {
        result.reason = why
        return result
      }
      result.range = ReferenceRange(low: fitting.low, high: fitting.high)
    }
    // Testosterone falls through the day: only a morning value is judged (Bhasin 2018).
    if analyte == .testosterone, let why = outside(settings.testosteroneWindow, sample.collected) {
      result.reason = why.replacingOccurrences(
        of: "range applies", with: "testosterone is judged only")
      return result
    }
    if let range = result.range {
      (result.status, result.reason) = Self.status(sample.value, range)
    }
    return result
  }

  /// Why a result collected at `time` is outside a clock window, or `nil` when inside.
  func outside(_ window: ClosedRange<Double>, _ time: CollectionTime?) -> String? {
    let span =
      "\(NumberText.clock(hours: window.lowerBound))-\(NumberText.clock(hours: window.upperBound))"
    guard let hours = time?.local.hourOfDay else {
      return "range applies \(span); the result has no collection time"
    }
    return Self.contains(window, hours)
      ? nil : "range applies \(span); collected at \(NumberText.clock(hours: hours))"
  }

  /// Whether a clock hour lies in a window; windows past 24 wrap to the next morning.
  static func contains(_ window: ClosedRange<Double>, _ hours: Double) -> Bool {
    window.contains(hours) || window.contains(hours + 24)
  }

  private func fits(
    _ range: FeedbackSettings.DefaultRange, _ sample: NormalizedSample, sex: FeedbackSettings.Sex?,
    age: Double?
  ) -> Bool {
    guard range.analyte == sample.sample.analyte else { return false }
    if let specimens = range.specimens, !specimens.contains(sample.sample.specimen) { return false }
    if let wanted = range.sex, wanted != sex { return false }
    if let ages = range.ages, !(age.map { ages.contains($0) } ?? false) { return false }
    return true
  }

  /// Where a value stands, with the reason when its censoring leaves it open. A censored
  /// value is low or high only when its bound settles it (`<0.5` against a low limit of 8.3
  /// is low); `<5` against 3-10 is indeterminate.
  static func status(_ value: Quantity, _ range: ReferenceRange) -> (JudgedResult.Status, String?) {
    let below = range.low.map { value.falls(below: $0, inclusive: false) } ?? false
    let above = range.high.map { value.exceeds($0, inclusive: false) } ?? false
    if below == true { return (.low, nil) }
    if above == true { return (.high, nil) }
    if below == false && above == false { return (.normal, nil) }
    let limits = [below == nil ? range.low : nil, above == nil ? range.high : nil]
      .compactMap { $0 }.map(NumberText.short).joined(separator: " or ")
    return (.indeterminate, "\(value.written) cannot be placed against \(limits)")
  }

  /// The status alone (tests and callers that need no reason).
  static func status(_ value: Double, _ censoring: Censoring, _ range: ReferenceRange)
    -> JudgedResult.Status
  {
    status(Quantity(value: value, unit: .nanomolePerLiter, censoring: censoring), range).0
  }

  /// The value at its reporting precision (``JudgedResult/valueText``).
  static func reported(_ sample: NormalizedSample) -> String {
    let written = sample.sample.quantity
    if written.unit == sample.value.unit && written.value == sample.value.value {
      return NumberText.plain(sample.value.value)
    }
    let digits = min(max(NumberText.significantDigits(of: written.value), 3), 6)
    return NumberText.significant(sample.value.value, digits)
  }
}

extension JudgedResult {
  /// The analyte as clinicians write it.
  var name: String { analyte.name(in: specimen) }

  /// The unit as clinicians write it (`mIU/L` for UCUM `m[IU]/L`).
  var displayUnit: String { LabUnit(rawValue: unit)?.display ?? unit }

  /// `TSH 9.1 mIU/L > 4.2`, `FT4 16.9 pmol/L within 11.6-21.9`, `LH 5 IU/L (no range)`,
  /// `cortisol 160 nmol/L (not judged: range applies 07:00-10:00; collected at 14:30)`.
  /// A value is never printed so that it reads as equal to the limit it crosses.
  var phrase: String {
    func shown(against limit: Double?) -> String {
      limit.map { NumberText.distinct(value, from: $0, text: valueText) } ?? valueText
    }
    func number(_ text: String) -> String { "\(name) \(censoring.rawValue)\(text) \(displayUnit)" }
    guard let range else {
      return number(valueText) + " (\(reason ?? "no range"))"
    }
    // A limit is printed at the lab's precision unless that would put the printed value
    // on the other side of it; then at full precision.
    func limit(
      _ text: String?, _ exact: Double?, keeps order: (Double, Double) -> Bool, _ shown: String
    )
      -> String?
    {
      guard let exact else { return nil }
      guard let text, let printed = Double(text), let value = Double(shown) else {
        return NumberText.short(exact)
      }
      return order(value, printed) ? text : NumberText.short(exact)
    }
    switch status {
    case .low:
      let value = shown(against: range.low)
      return number(value) + " < \(limit(lowText, range.low, keeps: <, value) ?? "?")"
    case .high:
      let value = shown(against: range.high)
      return number(value) + " > \(limit(highText, range.high, keeps: >, value) ?? "?")"
    case .normal, .indeterminate, .unknown:
      let low = limit(lowText, range.low, keeps: >=, valueText)
      let high = limit(highText, range.high, keeps: <=, valueText)
      let span =
        low != nil && high != nil ? "\(low!)-\(high!)" : low.map { ">= \($0)" } ?? "<= \(high!)"
      if status == .indeterminate {
        return number(valueText) + " (indeterminate: \(reason ?? "censored"), range \(span))"
      }
      return number(valueText) + " within \(span)"
    }
  }

  /// `TSH 0.3-4.2 m[IU]/L [lab]`, or why no range was applied.
  var rangeText: String {
    guard let range else {
      return "\(name): no range applied\(reason.map { " (\($0))" } ?? "")"
        + (rangeSource.map { " [\($0)]" } ?? "")
    }
    let low = lowText ?? range.low.map(NumberText.short)
    let high = highText ?? range.high.map(NumberText.short)
    let span =
      low != nil && high != nil
      ? "\(low!)-\(high!)"
      : low.map { ">= \($0)" } ?? "\(highExclusive ? "<" : "<=") \(high ?? "?")"
    return "\(name) \(span) \(displayUnit) [\(rangeSource ?? "")]"
  }
}
