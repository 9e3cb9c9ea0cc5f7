/// The features of one subject's response to a protocol event (a stress test): the same
/// definitions as BioPsyKit's saliva module (`auc`, `max_increase`, `slope`).
public struct ResponseFeatures: Sendable, Hashable {
  /// A two-point slope between two named samples.
  public struct Slope: Sendable, Hashable {
    /// The first sample's label.
    public var from: String
    /// The second sample's label.
    public var to: String
    /// (m_to - m_from) / (t_to - t_from), nmol/L per minute, when both samples are usable.
    public var value: Double?
  }

  /// The subject.
  public var subjectID: String
  /// The study day, when the export gave one.
  public var day: Int?
  /// The event the times count from.
  public var anchor: String
  /// Columns the profile kept (condition, ...), as `key=value` pairs.
  public var attributes: [String: String] = [:]
  /// The samples used.
  public var used = 0
  /// AUC with respect to ground over all samples, nmol/L x min.
  public var aucG: Double?
  /// AUC with respect to increase over all samples, nmol/L x min.
  public var aucI: Double?
  /// AUC with respect to increase over the samples at t >= 0 (after the event), nmol/L x min.
  public var aucIPost: Double?
  /// max(m_2..m_n) - m_1, nmol/L.
  public var maxIncrease: Double?
  /// ``maxIncrease`` as a percentage of |m_1|.
  public var maxIncreasePercent: Double?
  /// The slopes the settings ask for.
  public var slopes: [Slope] = []
  /// Samples left out, with the reason.
  public var excluded: [Exclusion] = []
  /// Censored values taken at a substitute.
  public var notes: [String] = []
  /// Why features are missing, each prefixed by the feature.
  public var reasons: [FeatureReason] = []
  /// The usable samples the features were computed from: minutes from the event and nmol/L
  /// (the cohort report's response curves).
  public var points: [Point] = []

  /// One usable sample of the response.
  public struct Point: Sendable, Hashable {
    public var minutes: Double
    public var value: Double
  }
}

/// Computes response features (analyzer `response`) for samples timed relative to a
/// protocol event, e.g. -30, -1, +30 ... min around a stressor.
public struct ResponseAnalyzer: Sendable {
  /// The analyzer's key in pipeline files and outputs.
  public static let identifier = "response"
  /// The settings.
  public var settings: ResponseSettings

  /// Creates the analyzer.
  public init(settings: ResponseSettings = ResponseSettings()) { self.settings = settings }

  /// Computes the features from one subject's usable samples in time order.
  public func analyze(_ points: [CurvePoint], into features: inout ResponseFeatures) {
    var points = points
    if settings.removeFirst, let first = points.first {
      features.excluded.append(
        Exclusion(sample: first.name, reason: "first sample left out (response.remove_first)"))
      points.removeFirst()
    }
    features.used = points.count
    features.points = points.map { ResponseFeatures.Point(minutes: $0.minutes, value: $0.value) }
    for pair in settings.slopes where pair.count == 2 {
      var slope = ResponseFeatures.Slope(from: pair[0], to: pair[1])
      let from = points.first { $0.label == pair[0] }
      let to = points.first { $0.label == pair[1] }
      if let from, let to, to.minutes != from.minutes {
        slope.value = (to.value - from.value) / (to.minutes - from.minutes)
      } else {
        let missing = [from == nil ? pair[0] : nil, to == nil ? pair[1] : nil].compactMap { $0 }
        features.reasons.append(
          FeatureReason(
            missing.isEmpty ? .responseSlopeOneTime : .responseSlopeMissingSample,
            "response_slope_\(pair[0])_\(pair[1]): "
              + (missing.isEmpty
                ? "both samples at one time"
                : "no usable sample \(missing.joined(separator: " or "))")))
      }
      features.slopes.append(slope)
    }
    guard points.count >= 2 else {
      features.reasons.append(
        FeatureReason(
          .responseTooFewSamples,
          "response: \(points.count) usable sample\(points.count == 1 ? "" : "s") (needs 2)"))
      return
    }
    let values = points.map(\.value)
    let times = points.map(\.minutes)
    features.aucG = AreaUnderCurve.ground(values, times: times)
    features.aucI = AreaUnderCurve.increase(values, times: times)
    let post = points.filter { $0.minutes >= 0 }
    if post.count >= 2 {
      features.aucIPost = AreaUnderCurve.increase(post.map(\.value), times: post.map(\.minutes))
    } else {
      features.reasons.append(
        FeatureReason(
          .responsePostTooFewSamples,
          "response_auc_i_post: \(post.count) usable sample\(post.count == 1 ? "" : "s") at t >= 0 (needs 2)"
        ))
    }
    let increase = values.dropFirst().max()! - values[0]
    features.maxIncrease = increase
    if values[0] != 0 {
      features.maxIncreasePercent = 100 * increase / abs(values[0])
    } else {
      features.reasons.append(
        FeatureReason(.responseFirstZero, "response_max_increase_percent: first value is 0"))
    }
  }
}
