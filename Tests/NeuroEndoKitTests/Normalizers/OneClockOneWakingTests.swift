import Foundation
import Testing

@testable import NeuroEndoKit

/// `2026-03-15T06:30` with the offset, or local when `offset` is nil.
private func time(_ day: Int, _ hour: Int, _ minute: Int, offset: Int? = 3600) -> CollectionTime {
  CollectionTime(
    local: LocalDateTime(year: 2026, month: 3, day: day, hour: hour, minute: minute),
    utcOffsetSeconds: offset)
}

private func sample(
  _ value: Double, at collected: CollectionTime?, analyte: Analyte = .cortisol,
  unit: LabUnit = .nanomolePerLiter, specimen: Specimen = .saliva, wake: CollectionTime? = nil,
  minutes: Double? = nil, label: String? = nil, subject: String = "s1", record: Int = 1
) -> Sample {
  Sample(
    subjectID: subject, analyte: analyte, specimen: specimen,
    quantity: Quantity(value: value, unit: unit), collected: collected, wake: wake,
    relativeTime: minutes.map { RelativeTime(minutes: $0, anchor: .waking) }, label: label,
    provenance: InputLocation(file: "clock.csv", record: record))
}

private func codes(_ sample: NormalizedSample) -> [String] { sample.flags.map(\.code) }

@Suite("One clock, one waking")
struct OneClockOneWakingTests {
  let plain = Normalizer(settings: NormalizerSettings())!

  // MARK: 5. One clock

  @Test("a local time beside times with offsets, and no zone: flagged mixed-clock, left out")
  func mixedClock() throws {
    let result = plain.normalize([
      sample(2, at: time(16, 9, 15), analyte: .tsh, unit: .milliIUPerLiter, specimen: .serum),
      sample(
        15, at: time(16, 9, 15, offset: nil), analyte: .freeT4, unit: .picomolePerLiter,
        specimen: .serum, record: 2),
    ])
    #expect(result.mixedClock == 1)
    #expect(codes(result.samples[1]).contains("mixed-clock"))
    #expect(!codes(result.samples[0]).contains("mixed-clock"))
    #expect(result.samples[1].circadian == nil)
    let summary = RunSummary.NormalizationSummary(result, samplesIn: 2)
    #expect(summary.mixedClock == 1)
    // Never paired as if both were UTC.
    let found = FeedbackAnalyzer().evaluate(result.samples)
    #expect(found.findings.isEmpty)
    #expect(
      found.notJudged.contains {
        $0.reason == "FT4: a local time beside times with offsets (mixed-clock)"
      })
  }

  @Test("with a zone the same local time is placed and paired")
  func zonePlaces() {
    var settings = NormalizerSettings()
    settings.timeZone = "Europe/Berlin"
    let result = Normalizer(settings: settings)!.normalize([
      sample(2, at: time(16, 9, 15), analyte: .tsh, unit: .milliIUPerLiter, specimen: .serum),
      sample(
        15, at: time(16, 9, 15, offset: nil), analyte: .freeT4, unit: .picomolePerLiter,
        specimen: .serum),
    ])
    #expect(result.mixedClock == 0)
    #expect(FeedbackAnalyzer().analyze(result.samples).map(\.pattern) == ["balanced"])
  }

  @Test("a local wake time is not used against collection times with offsets")
  func mixedWake() {
    let result = plain.normalize([
      sample(12, at: time(15, 6, 50), wake: time(15, 6, 30, offset: nil)),
      sample(18, at: time(15, 7, 20), wake: time(15, 6, 30, offset: nil)),
    ])
    #expect(result.samples.allSatisfy { $0.circadian?.wakeSource == .firstSampleEstimated })
    #expect(result.samples.allSatisfy { codes($0).contains("mixed-clock") })
  }

  // MARK: 6. One waking per morning

  @Test("wake column 06:30 and diary 06:50: one waking, the wake column kept, the diary noted")
  func reconciled() throws {
    let result = plain.normalize(
      [
        sample(12, at: time(15, 6, 35), wake: time(15, 6, 30)),
        sample(19, at: time(15, 7, 5), wake: time(15, 6, 30)),
      ], diary: ["s1": [time(15, 6, 50)]])
    #expect(result.samples.map { $0.circadian?.minutesSinceWaking } == [5, 35])
    #expect(result.samples.allSatisfy { $0.circadian?.wakeSource == .wakeColumn })
    let note = try #require(result.samples[0].flags.first { $0.code == "wake-reconciled" })
    #expect(note.message.contains("20 min apart (within 60"))
    #expect(note.message.contains("wake-column kept"))
  }

  @Test("sources 100 min apart: still one day, flagged wake-conflict, and the CAR is refused")
  func conflicting() throws {
    let wake = time(15, 6, 30)
    let result = plain.normalize(
      [
        sample(9, at: time(15, 6, 32), wake: wake),
        sample(14, at: time(15, 6, 47), wake: wake, record: 2),
        sample(16, at: time(15, 7, 2), wake: wake, record: 3),
        sample(6, at: time(15, 15, 40), wake: wake, record: 4),
      ], diary: ["s1": [time(15, 8, 10)]])
    #expect(result.samples.map { $0.circadian?.day } == [1, 1, 1, 1])
    #expect(result.samples.allSatisfy { $0.circadian?.wakeSource == .wakeColumn })
    let flag = try #require(result.samples[0].flags.first { $0.code == "wake-conflict" })
    #expect(flag.message.contains("100 min apart (more than 60"))
    let days = CortisolRhythmAnalyzer().analyze(result.samples).days
    #expect(days.count == 1)
    #expect(days.first?.awakening.aucG == nil)
    #expect(days.first?.awakening.reasons.first?.text.contains("wake-conflict") == true)
  }

  @Test("minutes since waking beside clock times outrank the diary")
  func exportOutranksDiary() {
    let result = plain.normalize(
      [
        sample(11, at: time(15, 7, 0), minutes: 0), sample(17, at: time(15, 7, 30), minutes: 30),
      ], diary: ["s1": [time(15, 7, 20)]])
    #expect(result.samples.map { $0.circadian?.minutesSinceWaking } == [0, 30])
    #expect(result.samples.allSatisfy { $0.circadian?.wakeSource == .export })
    #expect(result.samples.allSatisfy { codes($0).contains("wake-reconciled") })
  }

  @Test("the proximity is a setting: 20 min apart is a conflict at 15")
  func proximitySetting() {
    var settings = NormalizerSettings()
    settings.wakeProximityMinutes = 15
    let result = Normalizer(settings: settings)!.normalize(
      [sample(12, at: time(15, 6, 35), wake: time(15, 6, 30))],
      diary: ["s1": [time(15, 6, 50)]])
    #expect(codes(result.samples[0]).contains("wake-conflict"))
  }

  // MARK: 7. Screens apply where they mean something

  @Test("serum results get no waking-delay or CAR-schedule flags; saliva does")
  func screensForSaliva() {
    let wake = time(15, 6, 0)
    let result = plain.normalize([
      sample(400, at: time(15, 6, 20), specimen: .serum, wake: wake),
      sample(450, at: time(15, 6, 38), specimen: .serum, wake: wake, record: 2),
      sample(12, at: time(15, 6, 20), wake: wake, subject: "s2", record: 3),
      sample(18, at: time(15, 6, 38), wake: wake, subject: "s2", record: 4),
    ])
    #expect(codes(result.samples[0]) == [])
    #expect(codes(result.samples[1]) == [])
    #expect(codes(result.samples[2]) == ["waking-delay-high"])
    #expect(codes(result.samples[3]) == ["off-schedule"])
  }

  @Test("a waking taken from the awakening sample itself has an unknown delay, not none")
  func delayUnknown() {
    let result = plain.normalize([
      sample(10, at: time(15, 5, 45), label: "awakening"),
      sample(15, at: time(15, 6, 15), record: 2),
    ])
    #expect(result.samples[0].circadian?.wakeSource == .awakeningSample)
    #expect(codes(result.samples[0]) == ["waking-delay-unknown"])
  }

  @Test("without waking information a sample after midnight stays on the evening's curve")
  func afterMidnight() {
    let result = plain.normalize([
      sample(15, at: time(15, 9, 0)), sample(6, at: time(15, 16, 0), record: 2),
      sample(3, at: time(15, 22, 30), record: 3), sample(2, at: time(16, 1, 30), record: 4),
      sample(14, at: time(16, 9, 30), record: 5),
    ])
    #expect(result.samples.map { $0.circadian?.day } == [1, 1, 1, 1, 2])
    #expect(result.samples.map { $0.circadian?.minutesSinceWaking } == [0, 420, 810, 990, 0])
    var early = NormalizerSettings()
    early.dayStartHour = 1
    let split = Normalizer(settings: early)!.normalize([
      sample(15, at: time(15, 9, 0)), sample(2, at: time(16, 1, 30), record: 2),
    ])
    // With the day starting at 01:00, 01:30 opens the next day.
    #expect(split.samples.map { $0.circadian?.day } == [1, 2])
  }

  // MARK: 8. Unit mix-ups wherever the units differ by 2 or more

  @Test("an ACTH written in pg/mL but labelled pmol/L is a suspected mix-up (factor 4.5)")
  func acthMixup() throws {
    let result = plain.normalize([
      sample(6.0, at: time(16, 8, 0), analyte: .acth, unit: .picomolePerLiter, specimen: .plasma),
      sample(6.5, at: time(17, 8, 10), analyte: .acth, unit: .picomolePerLiter, specimen: .plasma),
      sample(28.0, at: time(18, 8, 5), analyte: .acth, unit: .picomolePerLiter, specimen: .plasma),
    ])
    let flag = try #require(result.samples[2].flags.first { $0.code == "suspected-unit-mixup" })
    // 28 / median(6, 6.5) = 28 / 6.25 = 4.5 >= 4.54 / sqrt 2 = 3.21; 28 x 0.2202 = 6.166,
    // within sqrt 4.54 = 2.13 of 6.25. The 6.0 is no mix-up: the median of 6.5 and 28 is 17.25.
    #expect(flag.message.contains("read with the pg/mL factor 0.22 it would be 6.166 pmol/L"))
    #expect(flag.message.hasPrefix("28 pmol/L is 4.5x off"))
    #expect(!codes(result.samples[0]).contains("suspected-unit-mixup"))
  }

  @Test("free T3 (units 1.5 apart) is not screened: a 1.5-fold value is no mix-up")
  func ft3NotScreened() {
    let result = plain.normalize([
      sample(4.6, at: time(16, 8, 0), analyte: .freeT3, unit: .picomolePerLiter, specimen: .serum),
      sample(4.8, at: time(17, 8, 0), analyte: .freeT3, unit: .picomolePerLiter, specimen: .serum),
      sample(7.2, at: time(18, 8, 0), analyte: .freeT3, unit: .picomolePerLiter, specimen: .serum),
    ])
    #expect(result.samples.allSatisfy { !codes($0).contains("suspected-unit-mixup") })
  }
}
