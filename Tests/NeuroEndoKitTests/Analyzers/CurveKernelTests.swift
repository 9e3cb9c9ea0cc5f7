import Foundation
import Testing

@testable import NeuroEndoKit

/// The kernels the rhythm analyzer runs on a day's points in place, with buffers reused from
/// day to day, against the array functions they stand for: equal to the last bit, and no
/// day's result depends on the day before it.
@Suite("Curve kernels: in-place slices and reused buffers")
struct CurveKernelTests {
  static func points(_ values: [Double], at times: [Double]) -> [CurvePoint] {
    zip(times, values).map { CurvePoint(minutes: $0.0, value: $0.1) }
  }

  @Test(
    "the area of a slice is AUCg and AUCi of its arrays, bit for bit",
    arguments: CurveMathTests.pruessner)
  func areaOfSlice(_ vector: CurveMathTests.Vector) throws {
    let points = Self.points(vector.values, at: vector.times)
    #expect(AreaUnderCurve.area(points[...]) == vector.aucG)
    #expect(AreaUnderCurve.area(points[...], above: vector.values[0]) == vector.aucI)
    // A slice in the middle of a longer day: its own indices, not the array's.
    let longer = Self.points([99] + vector.values + [-5], at: [-50] + vector.times + [500])
    let middle = longer[1..<(longer.count - 1)]
    let sliceG = try #require(AreaUnderCurve.area(middle))
    #expect(sliceG.bitPattern == vector.aucG.bitPattern)
    #expect(AreaUnderCurve.area(longer[1..<2]) == nil)
  }

  @Test("sums that round: the kernel adds the same terms in the same order as the arrays")
  func roundingIsTheArrays() throws {
    let values = [9.0, 13.89, 17.07, 16.2, 14.01, 0.1 + 0.2, 1e-17]
    let times = [0.0, 15, 30, 45, 60, 61.3, 1e9]
    let points = Self.points(values, at: times)
    let ground = try #require(AreaUnderCurve.ground(values, times: times))
    let increase = try #require(AreaUnderCurve.increase(values, times: times))
    #expect(AreaUnderCurve.area(points[...])?.bitPattern == ground.bitPattern)
    #expect(AreaUnderCurve.area(points[...], above: 9)?.bitPattern == increase.bitPattern)
  }

  @Test("the CAR window is a slice of points in time order, and filtered when they are not")
  func carWindow() {
    let sorted = Self.points([1, 2, 3, 4, 5, 6], at: [-10, 0, 15, 30, 60, 61])
    let window = AwakeningResponseAnalyzer.within(sorted, from: 0, through: 60)
    #expect(window.map(\.minutes) == [0, 15, 30, 60])
    #expect(window.startIndex == 1)  // read in place
    let unsorted = Self.points([1, 2, 3, 4], at: [30, 90, 0, -5])
    #expect(
      AwakeningResponseAnalyzer.within(unsorted, from: 0, through: 60).map(\.minutes) == [30, 0])
    #expect(AwakeningResponseAnalyzer.within(sorted, from: 200, through: 300).isEmpty)
    #expect(AwakeningResponseAnalyzer.within([], from: 0, through: 60).isEmpty)
    // A window of no minutes holds no point, as the filter it replaces found none.
    #expect(AwakeningResponseAnalyzer.within(sorted, from: 0, through: -5).isEmpty)
    #expect(AwakeningResponseAnalyzer.within(sorted, from: 0, through: .nan).isEmpty)
  }

  @Test("a CAR window of no minutes refuses the CAR, as before, instead of stopping the run")
  func carWindowOfNoMinutes() {
    var settings = AwakeningResponseSettings()
    let day = Self.points([9, 14, 17], at: [0, 15, 30])
    for window in [-10.0, .nan] {
      settings.windowMinutes = window
      let car = AwakeningResponseAnalyzer(settings: settings).analyze(day, wakeSource: .export)
      #expect(
        car.aucG == nil && car.reasons.map(\.code) == [FeatureReason.Code.carNoSample.rawValue],
        "\(window)")
    }
  }

  @Test("a CAR from points out of time order is the one from the filtered points")
  func carOutOfOrder() {
    let analyzer = AwakeningResponseAnalyzer()
    let unsorted = Self.points([4, 9, 7, 12, 3], at: [0, 200, 15, 30, 45])
    let filtered = unsorted.filter { (0...60).contains($0.minutes) }
    #expect(
      analyzer.analyze(unsorted, wakeSource: .export)
        == analyzer.analyze(filtered, wakeSource: .export))
    // 15 x (4 + 7) / 2 + 15 x (7 + 12) / 2 + 15 x (12 + 3) / 2.
    #expect(analyzer.analyze(filtered, wakeSource: .export).aucG == 337.5)
  }

  @Test("slopes and cosinor with one scratch over many days equal each day analysed alone")
  func scratchCarriesNothing() {
    let slope = DiurnalSlopeAnalyzer()
    let cosinor = CosinorAnalyzer()
    var scratch = CurveScratch()
    // Days of falling then rising sizes, so a reused buffer is longer or shorter than the day.
    let days: [[CurvePoint]] = [
      Self.points([9, 14, 17, 16, 14, 8, 5, 3, 2], at: [0, 15, 30, 45, 60, 240, 480, 720, 960]),
      Self.points([12, 6, 2], at: [5, 400, 900]),
      Self.points([8, 11, 4, 3], at: [0, 30, 600, 840]),
      Self.points(
        [10, 18, 15, 12, 7, 6, 4, 3, 2, 1.5, 1], at: stride(from: 0.0, to: 1100, by: 100).map { $0 }
      ),
      Self.points([3, 0, 5], at: [0, 300, 600]),
    ]
    for day in days {
      #expect(slope.analyze(day, scratch: &scratch) == slope.analyze(day))
      #expect(cosinor.analyze(day, scratch: &scratch) == cosinor.analyze(day))
    }
  }

  @Test(
    "the samples a day's slope leaves out are listed as each day wrote them, not as the day before")
  func leftOutListedPerDay() {
    let slope = DiurnalSlopeAnalyzer()
    var scratch = CurveScratch()
    /// A day with CAR samples at +15, +30 and `third` min, labelled, then a bedtime sample.
    func day(_ labels: [String?], third: Double = 45, clock: Double? = nil) -> [CurvePoint] {
      zip([0, 15, 30, third, 900], [9, 14, 17, 16, 3]).enumerated().map { index, point in
        CurvePoint(
          minutes: point.0, value: point.1, label: index < labels.count ? labels[index] : "S5",
          clockHours: clock.map { $0 + point.0 / 60 })
      }
    }
    let composed = "S\u{E9}"
    let decomposed = "Se\u{301}"
    let days = [
      day(["S1", "S2", "S3", "S4"]),
      day(["S1", "S2", "S3", "S4"]),
      day(["S1", "S2", "S3", composed]),
      day(["S1", "S2", "S3", decomposed]),
      day(["S1", "S2", "S3", "S4"], third: 46),
      day(["S1", nil, nil, nil], clock: 7),
      day(["S1", nil, nil, nil], clock: 7.5),
      day(["S1", "S2", "S3", "S4"], third: 45),
      day(["S1", "S2"]),
    ]
    for points in days {
      let reused = slope.analyze(points, scratch: &scratch).excluded.map { Array($0.sample.utf8) }
      let alone = slope.analyze(points).excluded.map { Array($0.sample.utf8) }
      #expect(reused == alone)
      #expect(reused.count == 1)
    }
    #expect(
      slope.analyze(days[2], scratch: &scratch).excluded.first?.sample
        == "S2 (+15 min), S3 (+30 min), S\u{E9} (+45 min)")
    let listed = slope.analyze(days[6], scratch: &scratch).excluded.first?.sample
    #expect(listed == "07:45 (+15 min), 08:00 (+30 min), 08:15 (+45 min)")
  }

  @Test("a cosinor fit with its cosines kept equals one that computes them twice")
  func cosinorScratchIsExact() throws {
    let hours = [0.1, 0.6, 1.1, 4, 8, 12.5, 15, 16.25]
    let values = [9.0, 14.2, 16.9, 10.1, 6.3, 4.4, 3.2, 2.9]
    let fit = try #require(CosinorFit(hours: hours, values: values))
    // The p-value from sums with cos and sin called again, as the fit did before.
    let omega = 2 * Double.pi / 24
    let mean = values.reduce(0, +) / Double(values.count)
    var (rss, tss) = (0.0, 0.0)
    for index in hours.indices {
      let fitted =
        fit.mesor + fit.beta * cos(omega * hours[index]) + fit.gamma * sin(omega * hours[index])
      rss += (values[index] - fitted) * (values[index] - fitted)
      tss += (values[index] - mean) * (values[index] - mean)
    }
    let f = ((tss - rss) / 2) / (rss / 5)
    #expect(fit.pValue == Distributions.fUpperTail(max(0, f), d1: 2, d2: 5))
    var scratch = CurveScratch()
    scratch.cosines = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    let again = try #require(
      CosinorFit(
        hours: hours, values: values, period: 24, confidence: 0.95,
        tQuantile: { Distributions.studentTQuantile(0.975, degrees: Double($0)) },
        scratch: &scratch))
    #expect(again == fit)
    #expect(scratch.cosines.count == hours.count)
  }

  @Test("a selection reused for the next day keeps nothing of the day before")
  func selectionReuse() {
    let settings = AnalyzerSettings()
    // The first day has a flagged and a censored sample: exclusions and a note to clear.
    var first = exponentialDay("a", day: 1, slope: -0.2)
    first.append(
      cortisol(
        "a", day: 1, minutes: 120, value: 90,
        flags: [SampleFlag(code: "implausible", message: "above 82.8")]))
    first.append(cortisol("a", day: 1, minutes: 600, value: 0.5, censoring: .below))
    var limit = settings
    limit.censored = .limit
    let second = Array(exponentialDay("a", day: 2, slope: -0.1).prefix(3))
    for policy in [settings, limit] {
      var selection = CurveSelection()
      selection.select(first, minutes: { $0.circadian!.minutesSinceWaking }, settings: policy)
      #expect(!selection.excluded.isEmpty)
      #expect(selection.points.count + selection.excluded.count == first.count)
      #expect(policy.censored == .limit ? selection.notes.count == 1 : selection.notes.isEmpty)
      selection.select(second, minutes: { $0.circadian!.minutesSinceWaking }, settings: policy)
      let fresh = CurveSelection(
        second, minutes: { $0.circadian!.minutesSinceWaking }, settings: policy)
      #expect(selection.points == fresh.points)
      #expect(selection.excluded.isEmpty && selection.notes.isEmpty)
      #expect(selection.excluded == fresh.excluded && selection.notes == fresh.notes)
    }
  }
}
