import Foundation

/// Places results against reference ranges: the lab's range first (converted to the
/// canonical unit), else the first default of the settings that fits the analyte,
/// specimen, sex and age. A value on a limit is inside the range.
struct ResultJudge {
  let settings: FeedbackSettings

  /// The result judged, for a subject of the given sex and age (years) at the time.
  func judge(_ sample: NormalizedSample, sex: FeedbackSettings.Sex?, age: Double?) -> JudgedResult {
    let analyte = sample.sample.analyte
    var range: ReferenceRange?
    var source: String?
    if let lab = sample.sample.referenceRange,
      let factor = UnitConverter.factor(from: sample.sample.quantity.unit, to: analyte)
    {
      range = ReferenceRange(low: lab.low.map { $0 * factor }, high: lab.high.map { $0 * factor })
      source = "lab"
    } else if let fitting = settings.ranges.first(where: { fits($0, sample, sex: sex, age: age) }) {
      range = ReferenceRange(low: fitting.low, high: fitting.high)
      source = "default (\(fitting.scope)): \(fitting.source)"
    }
    return JudgedResult(
      analyte: analyte, specimen: sample.sample.specimen, value: sample.value.value,
      censoring: sample.value.censoring, unit: sample.value.unit.ucum, time: sample.collected,
      range: range, rangeSource: source,
      status: range.map { Self.status(sample.value.value, sample.value.censoring, $0) } ?? .unknown,
      source: sample.sample.provenance.description)
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

  /// Where a value stands. A censored value is low or high only when its limit settles it
  /// (`<0.5` against a low limit of 8.3 is low); otherwise it is indeterminate.
  static func status(_ value: Double, _ censoring: Censoring, _ range: ReferenceRange)
    -> JudgedResult.Status
  {
    let low = range.low
    let high = range.high
    switch censoring {
    case .none:
      if let low, value < low { return .low }
      if let high, value > high { return .high }
      return .normal
    case .below, .atOrBelow:
      // The true value is below (or at) the limit.
      if let low, censoring == .below ? value <= low : value < low { return .low }
      if let high, value > high { return .indeterminate }
      return low == nil ? .normal : .indeterminate
    case .above, .atOrAbove:
      if let high, censoring == .above ? value >= high : value > high { return .high }
      if let low, value < low { return .indeterminate }
      return high == nil ? .normal : .indeterminate
    }
  }
}

extension JudgedResult {
  /// The analyte as clinicians write it.
  var name: String {
    switch analyte {
    case .cortisol: specimen == .saliva ? "salivary cortisol" : "cortisol"
    case .acth: "ACTH"
    case .dheas: "DHEA-S"
    case .tsh: "TSH"
    case .freeT4: "FT4"
    case .freeT3: "FT3"
    case .lh: "LH"
    case .fsh: "FSH"
    case .testosterone: "testosterone"
    case .estradiol: "estradiol"
    }
  }

  /// `TSH 9.1 mIU/L > 4.2`, `FT4 16.9 pmol/L within 11.6-21.9`, `LH 5 IU/L (no range)`.
  var phrase: String {
    let unit = self.unit == "m[IU]/L" ? "mIU/L" : self.unit == "[IU]/L" ? "IU/L" : self.unit
    let number = "\(name) \(censoring.rawValue)\(SampleTable.short(value)) \(unit)"
    guard let range else { return number + " (no range)" }
    let low = range.low.map(SampleTable.short)
    let high = range.high.map(SampleTable.short)
    switch status {
    case .low: return number + " < \(low ?? "?")"
    case .high: return number + " > \(high ?? "?")"
    case .normal, .indeterminate, .unknown:
      let span =
        low != nil && high != nil ? "\(low!)-\(high!)" : low.map { ">= \($0)" } ?? "<= \(high!)"
      return number + (status == .indeterminate ? " (censored, range \(span))" : " within \(span)")
    }
  }

  /// `TSH lab 0.3-4.2 m[IU]/L`.
  var rangeText: String {
    guard let range else { return "\(name): no range" }
    let low = range.low.map(SampleTable.short) ?? ""
    let high = range.high.map(SampleTable.short) ?? ""
    return "\(name) \(low)-\(high) \(unit) [\(rangeSource ?? "")]"
  }
}
