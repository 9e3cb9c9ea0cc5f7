import Foundation
import Testing

@testable import NeuroEndoKit

@Suite("Cortisol awakening response and diurnal slopes")
struct RhythmAnalyzerTests {
  /// P-10234 in the sample LIS export: waking 06:30, samples at +2, +17, +32, +47 min.
  let car = points([(2, 14.2), (17, 21.5), (32, 24.8), (47, 19.1)])

  @Test("CAR features of a subject-day, worked by hand")
  func awakeningByHand() {
    let result = AwakeningResponseAnalyzer().analyze(car, wakeSource: .wakeColumn)
    // AUCg = 15 (14.2 + 21.5)/2 + 15 (21.5 + 24.8)/2 + 15 (24.8 + 19.1)/2 = 944.25;
    // AUCi = 944.25 - 14.2 x 45 = 305.25; increase 24.8 - 14.2; R30 = m(+32) - m(+2).
    #expect(abs(result.aucG! - 944.25) < 1e-12)
    #expect(abs(result.aucI! - 305.25) < 1e-12)
    #expect(abs(result.increase! - 10.6) < 1e-12)
    #expect(abs(result.increasePercent! - 100 * 10.6 / 14.2) < 1e-12)
    #expect(abs(result.r30! - 10.6) < 1e-12)
    #expect(result.timeToPeak == 32)
    #expect(result.used == 4 && result.reasons.isEmpty)
  }

  @Test("the CAR is refused, with the rule, when compliance fails")
  func awakeningRefusals() {
    let analyzer = AwakeningResponseAnalyzer()
    let estimated = analyzer.analyze(car, wakeSource: .firstSampleEstimated)
    #expect(estimated.aucG == nil)
    #expect(
      estimated.reasons.map(\.text) == [
        "car: waking time unknown, estimated from the first sample (car.require_known_wake)"
      ])
    let late = analyzer.analyze(points([(12, 14), (27, 20), (42, 18)]), wakeSource: .diary)
    #expect(late.aucG == nil)
    #expect(late.reasons.first?.text.contains("taken 12 min after waking > 5 min") == true)
    let few = analyzer.analyze(points([(0, 14), (30, 20), (600, 5)]), wakeSource: .diary)
    #expect(
      few.reasons.first?.text.contains("2 samples in the first 60 min after waking (needs 3")
        == true)
    var strict = AwakeningResponseSettings()
    strict.refuseOffSchedule = true
    var offSchedule = points([(0, 10), (15, 14), (38, 16)])
    offSchedule[2].flags = ["off-schedule"]
    #expect(
      AwakeningResponseAnalyzer(settings: strict).analyze(offSchedule, wakeSource: .export).aucG
        == nil)
    #expect(AwakeningResponseAnalyzer().analyze(offSchedule, wakeSource: .export).aucG != nil)
  }

  @Test("single CAR features are missing with their own reason")
  func awakeningPartial() {
    let result = AwakeningResponseAnalyzer().analyze(
      points([(0, 0), (15, 4), (45, 6)]), wakeSource: .export)
    // 15 (0 + 4)/2 + 30 (4 + 6)/2 = 180; the waking value 0 leaves AUCi equal.
    #expect(result.aucG == 180 && result.aucI == 180)
    #expect(result.increasePercent == nil && result.r30 == nil)
    #expect(result.reasons.count == 2)
    #expect(result.reasons[0].text.hasPrefix("car_increase_percent: "))
    #expect(
      result.reasons.map(\.code) == [
        "car_increase_percent:waking-value-not-positive", "car_r30:no-30-min-sample",
      ])
    #expect(result.reasons[1].text.hasPrefix("car_r30: no sample within 5 min of +30"))
  }

  @Test("wake-to-bed and peak-to-bed slopes, worked by hand")
  func twoPointSlopes() {
    let day = car + points([(330, 6.3), (690, 3.1), (960, 1.4)])
    let result = DiurnalSlopeAnalyzer().analyze(day.sorted { $0.minutes < $1.minutes })
    // (1.4 - 14.2) / ((960 - 2) / 60 h) and (1.4 - 24.8) / ((960 - 32) / 60 h).
    #expect(abs(result.wakeToBed! - -12.8 / (958.0 / 60)) < 1e-12)
    #expect(abs(result.peakToBed! - -23.4 / (928.0 / 60)) < 1e-12)
    #expect(result.logCount == 4)
  }

  @Test("the regression returns the slope of an exact exponential decay and leaves the CAR out")
  func logSlopeOfExponential() throws {
    let day = exponentialDay("x", day: 1, slope: -0.15)
    let selection = CurveSelection(
      day, minutes: { $0.circadian!.minutesSinceWaking }, settings: AnalyzerSettings())
    let result = DiurnalSlopeAnalyzer().analyze(selection.points)
    #expect(abs(result.logSlope! - -0.15) < 1e-12)
    #expect(result.logSlopeStandardError! < 1e-12)
    #expect(result.logCount == 6)
    #expect(
      result.excluded.map(\.sample) == ["sample (+15 min), sample (+30 min), sample (+45 min)"])
    var keepCAR = DiurnalSlopeSettings()
    keepCAR.excludeAwakeningResponse = false
    let withCAR = DiurnalSlopeAnalyzer(settings: keepCAR).analyze(selection.points)
    #expect(withCAR.logCount == 9 && withCAR.logSlope! != result.logSlope!)
  }

  @Test("a morning-only day has no regression slope, and says why")
  func morningOnly() {
    let result = DiurnalSlopeAnalyzer().analyze(points([(0, 10), (30, 16), (120, 9), (240, 7)]))
    #expect(result.logSlope == nil && result.wakeToBed == nil)
    #expect(
      result.reasons.contains {
        $0.text.hasPrefix("slope_log: samples cover 4 h of the day (needs 8 h")
      }
    )
  }

  @Test("cosinor of a day: the acrophase as clock time and since waking; weak fits are warned")
  func cosinorDay() throws {
    // Waking 06:30; a noiseless cosine peaking at 08:00 (1.5 h after waking), sampled every
    // 2 h from waking to +16 h with clock times.
    let hours = stride(from: 0.0, through: 16, by: 2).map { $0 }
    let day = hours.map { hour in
      CurvePoint(
        minutes: hour * 60, value: 8 + 5 * cos(2 * Double.pi * (hour - 1.5) / 24),
        clockHours: (6.5 + hour).truncatingRemainder(dividingBy: 24))
    }
    let rhythm = CosinorAnalyzer().analyze(day)
    let fit = try #require(rhythm.fit)
    #expect(abs(fit.peakHours - 1.5) < 1e-9)
    #expect(abs(rhythm.acrophaseClockHours! - 8) < 1e-9)
    #expect(abs(fit.mesor - 8) < 1e-9 && abs(fit.amplitude - 5) < 1e-9)
    // 9 samples over 16 h: no warning.
    #expect(rhythm.warnings.isEmpty && rhythm.reasons.isEmpty)
    // Four samples within the first hour: too few and bunched.
    let morning = CosinorAnalyzer().analyze(points([(0, 10), (15, 14), (30, 16), (45, 13)]))
    #expect(morning.warnings.count == 3)
    #expect(morning.warnings[0] == "weak fit: 4 samples (fewer than 6, cosinor.min_samples)")
    #expect(morning.warnings[1].hasPrefix("bunched: samples cover 0.75 h of the 24 h cycle"))
    #expect(
      morning.reasons.map(\.text) == [
        "cosinor_acrophase_h: the samples have no clock time (minutes since waking only)"
      ])
    #expect(CosinorAnalyzer.coverage([23, 1, 2], period: 24) == 3)
    #expect(
      CosinorAnalyzer().analyze(points([(0, 10), (600, 4)])).reasons.map(\.text) == [
        "cosinor: 2 samples (a fit needs 3)"
      ])
  }

  @Test("censored values follow the policy: excluded by default, or at the limit or half of it")
  func censoredPolicy() {
    let day = [
      cortisol("c", day: 1, minutes: 0, value: 12), cortisol("c", day: 1, minutes: 600, value: 4),
      cortisol("c", day: 1, minutes: 900, value: 0.5, label: "S6", censoring: .below),
    ]
    var settings = AnalyzerSettings()
    let excluded = CurveSelection(
      day, minutes: { $0.circadian!.minutesSinceWaking }, settings: settings)
    #expect(excluded.points.count == 2)
    #expect(
      excluded.excluded.map(\.description) == [
        "S6 (+900 min): censored <0.5 nmol/L (censored: exclude)"
      ])
    settings.censored = .halfLimit
    let half = CurveSelection(
      day, minutes: { $0.circadian!.minutesSinceWaking }, settings: settings)
    #expect(half.points.last?.value == 0.25)
    #expect(
      half.notes == ["S6 (+900 min): censored <0.5 nmol/L taken as 0.25 (censored: half-limit)"])
    settings.censored = .limit
    #expect(
      CurveSelection(day, minutes: { $0.circadian!.minutesSinceWaking }, settings: settings).points
        .last?.value == 0.5)
  }

  @Test("flagged samples are left out of every feature with the flag's message")
  func flaggedSamples() {
    let flag = SampleFlag(code: "implausible", message: "95 nmol/L outside the plausible 0.33-82.8")
    let day = [
      cortisol("f", day: 1, minutes: 0, value: 12),
      cortisol("f", day: 1, minutes: 15, value: 95, label: "S2", flags: [flag]),
    ]
    let selection = CurveSelection(
      day, minutes: { $0.circadian!.minutesSinceWaking }, settings: AnalyzerSettings())
    #expect(selection.points.count == 1)
    #expect(
      selection.excluded.first?.reason
        == "flagged implausible (95 nmol/L outside the plausible 0.33-82.8)")
  }
}
