import Foundation

/// A straight line fitted by ordinary least squares, with the slope's standard error.
public struct LeastSquares: Sendable, Hashable {
  /// The slope (change of y per unit of x).
  public var slope: Double
  /// The intercept (y at x = 0).
  public var intercept: Double
  /// The standard error of the slope, sqrt(RSS / (n - 2) / Sxx); `nil` for n = 2.
  public var slopeStandardError: Double?
  /// The number of points.
  public var count: Int

  /// Fits y = intercept + slope * x.
  ///
  /// - Returns: `nil` for fewer than two points or when all x are equal.
  public init?(x: [Double], y: [Double]) {
    let n = x.count
    guard n >= 2, y.count == n else { return nil }
    let meanX = x.reduce(0, +) / Double(n)
    let meanY = y.reduce(0, +) / Double(n)
    var sxx = 0.0
    var sxy = 0.0
    for index in 0..<n {
      sxx += (x[index] - meanX) * (x[index] - meanX)
      sxy += (x[index] - meanX) * (y[index] - meanY)
    }
    guard sxx > 0 else { return nil }
    slope = sxy / sxx
    intercept = meanY - slope * meanX
    count = n
    if n > 2 {
      var rss = 0.0
      for index in 0..<n {
        let residual = y[index] - intercept - slope * x[index]
        rss += residual * residual
      }
      slopeStandardError = (rss / Double(n - 2) / sxx).squareRoot()
    } else {
      slopeStandardError = nil
    }
  }
}

/// Buffers the rhythm kernels reuse from one day to the next (``CortisolRhythmAnalyzer``
/// keeps one for a run): a day's regression and cosinor then allocate no arrays of their
/// own. Each kernel empties the buffers it uses before filling them.
struct CurveScratch {
  /// The points' times in hours.
  var hours: [Double] = []
  /// The points' values, or their logarithms.
  var values: [Double] = []
  /// Cosines and sines of the times' phases (the cosinor's design matrix).
  var cosines: [Double] = []
  var sines: [Double] = []
  /// The times' phases in the cycle, sorted (the cosinor's coverage).
  var phases: [Double] = []
  /// The points a day's regression leaves out.
  var leftOut: [CurvePoint] = []
  /// The last points left out and their names in words: a protocol's days leave out the
  /// same samples, and their names are written once, not once per day.
  private var listed: (points: [CurvePoint], text: String) = ([], "")

  /// The names of ``leftOut`` in a list, `S2 (+15 min), S3 (+30 min)`: the last list when
  /// each point has the last one's label (the same bytes: two spellings of one accent are
  /// listed as each was written), minutes and clock time, of which its name is made.
  mutating func leftOutList() -> String {
    func named(_ point: CurvePoint, as other: CurvePoint) -> Bool {
      SampleColumns.ExactText.same(point.label, other.label)
        && point.minutes.bitPattern == other.minutes.bitPattern
        && point.clockHours?.bitPattern == other.clockHours?.bitPattern
    }
    let same =
      leftOut.count == listed.points.count
      && zip(leftOut, listed.points).allSatisfy { named($0, as: $1) }
    if !same { listed = (leftOut, leftOut.map(\.name).joined(separator: ", ")) }
    return listed.text
  }
}
