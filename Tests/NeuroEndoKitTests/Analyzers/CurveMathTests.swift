import Foundation
import Testing

@testable import NeuroEndoKit

@Suite("Areas, regression, distributions and cosinor")
struct CurveMathTests {
  struct Vector: Sendable, CustomTestStringConvertible {
    var values: [Double]
    var times: [Double]
    var aucG: Double
    var aucI: Double
    var testDescription: String { "\(values) at \(times)" }
  }

  /// Pruessner et al. 2003 test vectors, confirmed by hand (Methods).
  static let pruessner = [
    Vector(values: [3.5, 7, 14, 7, 10], times: [1, 2, 3, 4, 5], aucG: 34.75, aucI: 20.75),
    Vector(values: [3.5, 7, 14, 7, 10], times: [0, 10, 15, 30, 45], aucG: 390, aucI: 232.5),
    Vector(values: [10, 2, 4, 4, 6], times: [-10, 0, 10, 20, 30], aucG: 180, aucI: -220),
    Vector(values: [2, 4, 4, 6], times: [0, 10, 20, 30], aucG: 120, aucI: 60),
  ]

  @Test("AUCg and AUCi reproduce the published test vectors", arguments: pruessner)
  func pruessnerVectors(_ vector: Vector) {
    #expect(AreaUnderCurve.ground(vector.values, times: vector.times) == vector.aucG)
    #expect(AreaUnderCurve.increase(vector.values, times: vector.times) == vector.aucI)
  }

  @Test("an area needs two points")
  func areaNeedsTwoPoints() {
    #expect(AreaUnderCurve.ground([3], times: [0]) == nil)
    #expect(AreaUnderCurve.increase([], times: []) == nil)
  }

  @Test("least squares: hand-worked slope, intercept and standard error")
  func regressionByHand() throws {
    // mean x 1.5, mean y 2.75, Sxy 5.5, Sxx 5: slope 1.1, intercept 1.1;
    // residuals -0.1, 0.8, -1.3, 0.6: RSS 2.7, SE = sqrt(2.7 / 2 / 5).
    let fit = try #require(LeastSquares(x: [0, 1, 2, 3], y: [1, 3, 2, 5]))
    #expect(abs(fit.slope - 1.1) < 1e-15)
    #expect(abs(fit.intercept - 1.1) < 1e-15)
    #expect(abs(fit.slopeStandardError! - 0.27.squareRoot()) < 1e-15)
    #expect(LeastSquares(x: [0, 5], y: [1, 2])?.slopeStandardError == nil)
    #expect(LeastSquares(x: [2, 2, 2], y: [1, 2, 3]) == nil)
  }

  @Test("Student's t quantiles and tails match published tables (scipy.stats)")
  func distributions() {
    #expect(abs(Distributions.studentTQuantile(0.975, degrees: 1) - 12.706204736174694) < 1e-9)
    #expect(abs(Distributions.studentTQuantile(0.975, degrees: 10) - 2.228138851986274) < 1e-9)
    #expect(abs(Distributions.studentTQuantile(0.995, degrees: 3) - 5.840909309733355) < 1e-9)
    #expect(abs(Distributions.studentTCDF(-1.3, degrees: 4) - 0.13172579823561206) < 1e-12)
    #expect(abs(Distributions.fUpperTail(3.7, d1: 2, d2: 5) - 0.10324542062320376) < 1e-12)
    #expect(abs(Distributions.fUpperTail(2.2, d1: 3, d2: 7) - 0.175891373765553) < 1e-12)
    // With d1 = 2 the tail has a closed form: (1 + 2f / d2)^(-d2 / 2).
    #expect(abs(Distributions.fUpperTail(4, d1: 2, d2: 6) - pow(1 + 8.0 / 6, -3)) < 1e-14)
  }

  @Test(
    "a noiseless cosine returns its own MESOR, amplitude and acrophase in every quadrant",
    arguments: [0.5, 2, 7.25, 11.9, 13, 17.5, 21, 23.75])
  func noiselessCosine(peak: Double) throws {
    let hours = stride(from: 0.0, to: 24, by: 2.5).map { $0 }
    let values = hours.map { 10 + 4 * cos(2 * Double.pi * ($0 - peak) / 24) }
    let fit = try #require(CosinorFit(hours: hours, values: values))
    #expect(abs(fit.mesor - 10) < 1e-9)
    #expect(abs(fit.amplitude - 4) < 1e-9)
    #expect(abs(fit.peakHours - peak) < 1e-9)
    // phi = atan2(-gamma, beta) = -2 pi peak / 24, in (-pi, pi].
    var phi = -2 * Double.pi * peak / 24
    if phi <= -Double.pi { phi += 2 * Double.pi }
    #expect(abs(fit.acrophase - phi) < 1e-9)
    #expect(fit.pValue == 0)
  }

  @Test("a noisy cosinor agrees with a least-squares fit and scipy's t and F (delta method)")
  func noisyCosinor() throws {
    let fit = try #require(
      CosinorFit(
        hours: [0, 3, 6, 9, 12, 15, 18, 21], values: [12.1, 15.3, 11.2, 8.4, 5.0, 4.9, 6.1, 8.8]))
    #expect(abs(fit.mesor - 8.974999999999998) < 1e-12)
    #expect(abs(fit.amplitude - 4.778250121931384) < 1e-12)
    #expect(abs(fit.peakHours - 2.6368841268832837) < 1e-12)
    #expect(abs(fit.pValue! - 0.0004599278341602749) < 1e-12)
    #expect(abs(fit.mesorInterval!.lowerBound - 8.119696778753848) < 1e-9)
    #expect(abs(fit.amplitudeInterval!.lowerBound - 3.5686687065036837) < 1e-9)
    #expect(abs(fit.amplitudeInterval!.upperBound - 5.987831537359084) < 1e-9)
    #expect(abs(fit.peakHours - fit.peakInterval!.lowerBound - 0.9669357095585263) < 1e-9)

    let uneven = try #require(
      CosinorFit(hours: [0.5, 1, 2, 5, 9, 14], values: [18, 21, 17, 10, 6, 3]))
    #expect(abs(uneven.mesor - 10.680541255764274) < 1e-9)
    #expect(abs(uneven.amplitude - 8.402170613574953) < 1e-9)
    #expect(abs(uneven.peakHours - 23.624322530972528) < 1e-9)
    #expect(abs(uneven.pValue! - 0.014085705287608517) < 1e-12)
    #expect(abs(uneven.amplitudeInterval!.upperBound - 12.444002587342055) < 1e-9)
  }

  @Test("three points fit exactly without intervals; samples at one phase do not fit")
  func degenerateCosinor() throws {
    let exact = try #require(CosinorFit(hours: [0, 8, 16], values: [3, 9, 6]))
    #expect(exact.pValue == nil && exact.mesorInterval == nil)
    #expect(abs(exact.mesor - 6) < 1e-12)
    #expect(CosinorFit(hours: [1, 1, 25, 49], values: [3, 4, 5, 6]) == nil)
    #expect(CosinorFit(hours: [1, 2], values: [3, 4]) == nil)
  }
}
