import Foundation

/// The few distribution functions the analyzers need: Student's t quantiles for
/// confidence intervals and the F distribution's upper tail for the cosinor rhythm test.
public enum Distributions {
  /// The regularized incomplete beta function I_x(a, b) (continued fraction, Lentz's method).
  public static func incompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
    if x <= 0 { return 0 }
    if x >= 1 { return 1 }
    let logGamma: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
    let logFront: Double = logGamma + a * log(x) + b * log(1 - x)
    // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use symmetry otherwise.
    if x > (a + 1) / (a + b + 2) {
      return 1 - exp(logFront) * continuedFraction(1 - x, a: b, b: a) / b
    }
    return exp(logFront) * continuedFraction(x, a: a, b: b) / a
  }

  private static func continuedFraction(_ x: Double, a: Double, b: Double) -> Double {
    let tiny = 1e-300
    var c = 1.0
    var d = 1 - (a + b) * x / (a + 1)
    if abs(d) < tiny { d = tiny }
    d = 1 / d
    var result = d
    for m in 1...300 {
      let m = Double(m)
      let even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
      d = 1 + even * d
      if abs(d) < tiny { d = tiny }
      c = 1 + even / c
      if abs(c) < tiny { c = tiny }
      d = 1 / d
      result *= d * c
      let odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
      d = 1 + odd * d
      if abs(d) < tiny { d = tiny }
      c = 1 + odd / c
      if abs(c) < tiny { c = tiny }
      d = 1 / d
      let step = d * c
      result *= step
      if abs(step - 1) < 1e-16 { break }
    }
    return result
  }

  /// P(T <= t) for Student's t with `degrees` degrees of freedom.
  public static func studentTCDF(_ t: Double, degrees: Double) -> Double {
    let tail = 0.5 * incompleteBeta(degrees / (degrees + t * t), a: degrees / 2, b: 0.5)
    return t >= 0 ? 1 - tail : tail
  }

  /// The p-quantile of Student's t (bisection on the distribution function, to 1e-12).
  public static func studentTQuantile(_ p: Double, degrees: Double) -> Double {
    precondition(p > 0 && p < 1 && degrees > 0)
    if p == 0.5 { return 0 }
    if p < 0.5 { return -studentTQuantile(1 - p, degrees: degrees) }
    var low = 0.0
    var high = 1.0
    while studentTCDF(high, degrees: degrees) < p { high *= 2 }
    for _ in 0..<200 {
      let middle = (low + high) / 2
      if studentTCDF(middle, degrees: degrees) < p { low = middle } else { high = middle }
      if high - low <= 1e-12 * max(1, high) { break }
    }
    return (low + high) / 2
  }

  /// P(F > f) for the F distribution with (d1, d2) degrees of freedom.
  public static func fUpperTail(_ f: Double, d1: Double, d2: Double) -> Double {
    guard f > 0 else { return 1 }
    guard f.isFinite else { return 0 }
    return incompleteBeta(d2 / (d2 + d1 * f), a: d2 / 2, b: d1 / 2)
  }
}
