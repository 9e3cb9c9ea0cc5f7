import Foundation

/// A single-component cosinor fitted by least squares: y(t) = M + beta cos(2 pi t / P) +
/// gamma sin(2 pi t / P) (Cornelissen 2014, Theor Biol Med Model 11:16).
///
/// MESOR = M, amplitude = sqrt(beta^2 + gamma^2), acrophase phi = atan2(-gamma, beta), so that
/// y(t) = M + A cos(2 pi t / P + phi) and the peak falls at t = -phi P / (2 pi) (modulo P).
/// Confidence intervals come from the delta method with Student's t on n - 3 degrees of
/// freedom; the rhythm test is the F-test of the zero-amplitude hypothesis (2, n - 3).
public struct CosinorFit: Sendable, Hashable {
  /// The period in hours (24 for the circadian rhythm).
  public var period: Double
  /// The number of points fitted.
  public var count: Int
  /// The rhythm-adjusted mean (MESOR), in the values' unit.
  public var mesor: Double
  /// The cosine coefficient beta.
  public var beta: Double
  /// The sine coefficient gamma.
  public var gamma: Double
  /// Half the peak-to-trough difference of the fitted curve, in the values' unit.
  public var amplitude: Double
  /// The acrophase phi = atan2(-gamma, beta) in radians, in (-pi, pi].
  public var acrophase: Double
  /// The time of the fitted peak in the hours the fit was given, in [0, period).
  public var peakHours: Double
  /// Confidence intervals (level ``confidence``); `nil` when n = 3 leaves no degrees of freedom.
  public var mesorInterval: ClosedRange<Double>?
  public var amplitudeInterval: ClosedRange<Double>?
  /// The peak time's interval in hours, `peakHours -+ half width`; the ends may pass 0 or
  /// the period (read them modulo the period).
  public var peakInterval: ClosedRange<Double>?
  /// The p-value of the F-test of no rhythm (amplitude 0); `nil` when n = 3.
  public var pValue: Double?
  /// The confidence level of the intervals.
  public var confidence: Double

  /// Fits the cosinor.
  ///
  /// - Parameters:
  ///   - hours: the sampling times in hours.
  ///   - values: the values.
  ///   - period: the period in hours.
  ///   - confidence: the level of the intervals, 0.95 by default.
  /// - Returns: `nil` for fewer than three points, or when the times do not separate the
  ///   three coefficients (e.g. all samples at one phase).
  public init?(hours: [Double], values: [Double], period: Double = 24, confidence: Double = 0.95) {
    var scratch = CurveScratch()
    self.init(
      hours: hours, values: values, period: period, confidence: confidence,
      tQuantile: { Distributions.studentTQuantile(1 - (1 - confidence) / 2, degrees: Double($0)) },
      scratch: &scratch)
  }

  /// Fits the cosinor with the two-sided t quantile of `confidence` given by degrees of
  /// freedom (``CosinorAnalyzer`` looks them up in a table made once), keeping each time's
  /// cosine and sine in `scratch` (reused from day to day) for the residuals: each is
  /// computed once, by the same expression, so the fit is the same to the last bit as
  /// computing them twice.
  init?(
    hours: [Double], values: [Double], period: Double, confidence: Double,
    tQuantile: (Int) -> Double, scratch: inout CurveScratch
  ) {
    let n = hours.count
    guard n >= 3, values.count == n, period > 0 else { return nil }
    let omega = 2 * Double.pi / period
    scratch.cosines.removeAll(keepingCapacity: true)
    scratch.sines.removeAll(keepingCapacity: true)
    // Normal equations X'X b = X'y with X = [1, cos, sin], in fixed-size storage (the sums
    // are the same, term by term, as with arrays); with a scratch reused from day to day,
    // a day's fit allocates nothing.
    var xtx = InlineArray<9, Double>(repeating: 0)
    var xty = InlineArray<3, Double>(repeating: 0)
    for index in 0..<n {
      let row: InlineArray<3, Double> = [1, cos(omega * hours[index]), sin(omega * hours[index])]
      scratch.cosines.append(row[1])
      scratch.sines.append(row[2])
      for i in 0..<3 {
        xty[i] += row[i] * values[index]
        for j in 0..<3 { xtx[3 * i + j] += row[i] * row[j] }
      }
    }
    guard let inverse = Self.invert(xtx) else { return nil }
    var b = InlineArray<3, Double>(repeating: 0)
    for i in 0..<3 {
      var sum = 0.0
      for j in 0..<3 { sum = sum + inverse[3 * i + j] * xty[j] }
      b[i] = sum
    }
    self.period = period
    self.confidence = confidence
    count = n
    mesor = b[0]
    beta = b[1]
    gamma = b[2]
    amplitude = (beta * beta + gamma * gamma).squareRoot()
    acrophase = atan2(-gamma, beta)
    var peak = (-acrophase / omega).truncatingRemainder(dividingBy: period)
    if peak < 0 { peak += period }
    if peak >= period { peak -= period }
    peakHours = peak
    guard n > 3 else { return }
    let meanY = values.reduce(0, +) / Double(n)
    var rss = 0.0
    var tss = 0.0
    for index in 0..<n {
      let fitted = b[0] + b[1] * scratch.cosines[index] + b[2] * scratch.sines[index]
      rss += (values[index] - fitted) * (values[index] - fitted)
      tss += (values[index] - meanY) * (values[index] - meanY)
    }
    let degrees = Double(n - 3)
    let variance = rss / degrees
    let t = tQuantile(n - 3)
    let seMesor = (variance * inverse[0]).squareRoot()
    mesorInterval = (mesor - t * seMesor)...(mesor + t * seMesor)
    if amplitude > 0 {
      let (vbb, vbg, vgg) = (
        variance * inverse[4], variance * inverse[5], variance * inverse[8]
      )
      let a2 = amplitude * amplitude
      let seAmplitude = max(
        0, (beta * beta * vbb + 2 * beta * gamma * vbg + gamma * gamma * vgg) / a2
      )
      .squareRoot()
      let sePhase = max(
        0, (gamma * gamma * vbb - 2 * beta * gamma * vbg + beta * beta * vgg) / (a2 * a2)
      )
      .squareRoot()
      amplitudeInterval = (amplitude - t * seAmplitude)...(amplitude + t * seAmplitude)
      let halfWidth = t * sePhase / omega
      peakInterval = (peakHours - halfWidth)...(peakHours + halfWidth)
    }
    if rss <= 1e-24 * max(1, tss) {
      pValue = tss > 0 ? 0 : 1
    } else {
      let f = ((tss - rss) / 2) / variance
      pValue = Distributions.fUpperTail(max(0, f), d1: 2, d2: degrees)
    }
  }

  /// The inverse of a symmetric 3 x 3 matrix (row by row) by cofactors, or `nil` when it is
  /// (nearly) singular.
  private static func invert(_ matrix: InlineArray<9, Double>) -> InlineArray<9, Double>? {
    func m(_ i: Int, _ j: Int) -> Double { matrix[3 * i + j] }
    let c00 = m(1, 1) * m(2, 2) - m(1, 2) * m(2, 1)
    let c01 = m(1, 2) * m(2, 0) - m(1, 0) * m(2, 2)
    let c02 = m(1, 0) * m(2, 1) - m(1, 1) * m(2, 0)
    let determinant = m(0, 0) * c00 + m(0, 1) * c01 + m(0, 2) * c02
    let scale = m(0, 0) * m(1, 1) * m(2, 2)
    guard determinant.isFinite, abs(determinant) > 1e-9 * max(scale, 1e-300) else { return nil }
    let c10 = m(0, 2) * m(2, 1) - m(0, 1) * m(2, 2)
    let c11 = m(0, 0) * m(2, 2) - m(0, 2) * m(2, 0)
    let c12 = m(0, 1) * m(2, 0) - m(0, 0) * m(2, 1)
    let c20 = m(0, 1) * m(1, 2) - m(0, 2) * m(1, 1)
    let c21 = m(0, 2) * m(1, 0) - m(0, 0) * m(1, 2)
    let c22 = m(0, 0) * m(1, 1) - m(0, 1) * m(1, 0)
    return [
      c00 / determinant, c10 / determinant, c20 / determinant,
      c01 / determinant, c11 / determinant, c21 / determinant,
      c02 / determinant, c12 / determinant, c22 / determinant,
    ]
  }
}
