/// The cortisol awakening response of one subject-day: the samples of the first hour after
/// waking (Methods: Protocol and plausibility screens).
public struct AwakeningResponse: Sendable, Hashable {
  /// The CAR samples used.
  public var used = 0
  /// Area under the curve with respect to ground (Pruessner 2003), nmol/L x min.
  public var aucG: Double?
  /// Area under the curve with respect to increase (Pruessner 2003), nmol/L x min; may be negative.
  public var aucI: Double?
  /// Increase to peak: max(m_2..m_n) - m_1, nmol/L.
  public var increase: Double?
  /// The increase as a percentage of the waking value m_1.
  public var increasePercent: Double?
  /// R30 = m(+30) - m(0), nmol/L.
  public var r30: Double?
  /// Minutes after waking of the highest CAR value.
  public var timeToPeak: Double?
  /// Why features are missing, each prefixed by the feature or `car` for all of them.
  public var reasons: [FeatureReason] = []
}

/// Computes the CAR (analyzer `car`) from the samples of one subject-day, when the
/// compliance rules of the settings allow; otherwise says why it computed nothing.
public struct AwakeningResponseAnalyzer: Sendable {
  /// The analyzer's key in pipeline files and outputs.
  public static let identifier = "car"
  /// The settings.
  public var settings: AwakeningResponseSettings

  /// Creates the analyzer.
  public init(settings: AwakeningResponseSettings = AwakeningResponseSettings()) {
    self.settings = settings
  }

  /// Computes the CAR.
  ///
  /// - Parameters:
  ///   - points: the day's usable samples in time order, minutes since waking.
  ///   - wakeSource: where the day's waking time came from.
  public func analyze(_ points: [CurvePoint], wakeSource: WakeSource?) -> AwakeningResponse {
    var result = AwakeningResponse()
    let window = settings.windowMinutes
    let car = Self.within(points, from: 0, through: window)
    result.used = car.count
    func refuse(_ code: FeatureReason.Code, _ reason: String) -> AwakeningResponse {
      var refused = AwakeningResponse()
      refused.reasons = [FeatureReason(code, "car: \(reason)")]
      return refused
    }
    if settings.requireKnownWake && wakeSource == .firstSampleEstimated {
      return refuse(
        .carWakeEstimated,
        "waking time unknown, estimated from the first sample (car.require_known_wake)")
    }
    if settings.requireKnownWake,
      let doubt = car.first(where: { $0.flags.contains("wake-conflict") })
    {
      return refuse(
        .carWakeConflict,
        "the waking sources of this day disagree (\(doubt.name) flagged wake-conflict), so the waking time is uncertain (car.require_known_wake)"
      )
    }
    guard let first = car.first else {
      return refuse(
        .carNoSample, "no sample in the first \(NumberText.short(window)) min after waking")
    }
    if first.minutes > settings.maximumWakingDelayMinutes {
      return refuse(
        .carLateWakingSample,
        "waking sample \(first.name) taken \(NumberText.short(first.minutes)) min after waking > \(NumberText.short(settings.maximumWakingDelayMinutes)) min (car.max_waking_delay_minutes; Smyth 2013)"
      )
    }
    if settings.refuseOffSchedule, let off = car.first(where: { $0.flags.contains("off-schedule") })
    {
      return refuse(.carOffSchedule, "\(off.name) is off schedule (car.refuse_off_schedule)")
    }
    guard car.count >= settings.minimumSamples else {
      return refuse(
        .carTooFewSamples,
        "\(car.count) sample\(car.count == 1 ? "" : "s") in the first \(NumberText.short(window)) min after waking (needs \(settings.minimumSamples), car.min_samples)"
      )
    }
    let base = first.value
    result.aucG = AreaUnderCurve.area(car)
    result.aucI = AreaUnderCurve.area(car, above: base)
    let increase = car.dropFirst().lazy.map(\.value).max()! - base
    result.increase = increase
    if base > 0 {
      result.increasePercent = 100 * increase / base
    } else {
      result.reasons.append(
        FeatureReason(
          .carIncreasePercentBase,
          "car_increase_percent: waking value \(NumberText.short(base)) is not above 0"))
    }
    var peak = first
    for point in car where point.value > peak.value { peak = point }
    result.timeToPeak = peak.minutes
    let tolerance = settings.toleranceMinutes
    if first.minutes > tolerance {
      result.reasons.append(
        FeatureReason(
          .carR30LateWakingSample,
          "car_r30: waking sample \(first.name) more than \(NumberText.short(tolerance)) min after waking (car.tolerance_minutes)"
        ))
    } else if let at30 = car.dropFirst().lazy.filter({ abs($0.minutes - 30) <= tolerance })
      .min(by: { abs($0.minutes - 30) < abs($1.minutes - 30) })
    {
      result.r30 = at30.value - first.value
    } else {
      result.reasons.append(
        FeatureReason(
          .carR30NoSample,
          "car_r30: no sample within \(NumberText.short(tolerance)) min of +30 min (car.tolerance_minutes)"
        ))
    }
    return result
  }

  /// The points whose minutes lie from `lower` through `upper`, in their order: a slice of
  /// `points` read in place when they are in time order (the window's points are then one
  /// run of them), a filtered copy otherwise. A window of no minutes (`upper` below
  /// `lower`, or not a number) holds no point.
  static func within(_ points: [CurvePoint], from lower: Double, through upper: Double)
    -> ArraySlice<CurvePoint>
  {
    func inside(_ point: CurvePoint) -> Bool { point.minutes >= lower && point.minutes <= upper }
    guard let start = points.firstIndex(where: inside) else { return [] }
    var end = start
    while end < points.count, inside(points[end]) { end += 1 }
    guard points[end...].contains(where: inside) else { return points[start..<end] }
    return ArraySlice(points.filter(inside))
  }
}
