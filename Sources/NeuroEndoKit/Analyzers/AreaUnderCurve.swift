/// Areas under a hormone curve by the trapezoidal rule on the actual sampling times
/// (Pruessner et al. 2003, doi 10.1016/S0306-4530(02)00108-7).
///
/// With m_i the i-th value and t_i the time between samples i and i+1:
/// AUCg = sum (m_i + m_{i+1}) * t_i / 2 and AUCi = the same area above the first value
/// (AUCg - m_1 * sum t_i, which may be negative). The sums run in the order numpy's
/// `trapezoid` uses, so results agree with BioPsyKit's saliva module to rounding.
public enum AreaUnderCurve {
  /// The area with respect to ground, in value units times time units.
  ///
  /// - Parameters:
  ///   - values: the values, in time order.
  ///   - times: the sampling times, rising, as many as `values`.
  /// - Returns: `nil` when fewer than two points are given.
  public static func ground(_ values: [Double], times: [Double]) -> Double? {
    guard values.count >= 2, values.count == times.count else { return nil }
    var sum = 0.0
    for index in 0..<(values.count - 1) {
      sum += (times[index + 1] - times[index]) * (values[index + 1] + values[index]) / 2
    }
    return sum
  }

  /// The area with respect to increase: the area above (or below) the first value.
  ///
  /// - Returns: `nil` when fewer than two points are given.
  public static func increase(_ values: [Double], times: [Double]) -> Double? {
    guard let first = values.first else { return nil }
    return ground(values.map { $0 - first }, times: times)
  }

  /// The area of curve points (time order) above `base`, read in place: the kernel the
  /// analyzers run on a day's slice of points. Its sums are the ones above, term for term
  /// (a value less 0 is the value itself), so the results are the same to the last bit.
  ///
  /// - Returns: `nil` when fewer than two points are given.
  static func area(_ points: ArraySlice<CurvePoint>, above base: Double = 0) -> Double? {
    guard points.count >= 2 else { return nil }
    var sum = 0.0
    var index = points.startIndex
    while index + 1 < points.endIndex {
      let (this, next) = (points[index], points[index + 1])
      sum += (next.minutes - this.minutes) * ((next.value - base) + (this.value - base)) / 2
      index += 1
    }
    return sum
  }
}
