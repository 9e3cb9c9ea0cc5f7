import Foundation
import Testing

@testable import NeuroEndoKit

private func saliva(
  _ value: Double, at minutes: Double, censoring: Censoring = .none, specimen: Specimen = .saliva,
  subject: String = "s1", date: Int = 15
) -> Sample {
  let wake = LocalDateTime(year: 2026, month: 3, day: date, hour: 6, minute: 30)
  let collected = LocalDateTime(
    wallClockSeconds: wake.secondsSinceEpochWallClock + minutes * 60)
  return Sample(
    subjectID: subject, analyte: .cortisol, specimen: specimen,
    quantity: Quantity(value: value, unit: .nanomolePerLiter, censoring: censoring),
    collected: CollectionTime(local: collected, utcOffsetSeconds: 3600),
    wake: CollectionTime(local: wake, utcOffsetSeconds: 3600),
    provenance: InputLocation(file: "screens.csv", record: Int(minutes)))
}

private func flags(_ samples: [Sample], _ settings: ScreenSettings = ScreenSettings()) -> [[String]]
{
  Normalizer(settings: NormalizerSettings(screens: settings))!.normalize(samples).samples.map {
    $0.flags.map(\.code)
  }
}

/// A blood result of `analyte` at 2026-03-`day` `hour`:`minute` (+01:00), as written.
private func draw(
  _ value: Double, _ unit: LabUnit, of analyte: Analyte = .cortisol, day: Int, hour: Int = 8,
  minute: Int = 0, censoring: Censoring = .none, range: ReferenceRange? = nil,
  specimen: Specimen = .serum
) -> Sample {
  Sample(
    subjectID: "p1", analyte: analyte, specimen: specimen,
    quantity: Quantity(value: value, unit: unit, censoring: censoring),
    collected: CollectionTime(
      local: LocalDateTime(year: 2026, month: 3, day: day, hour: hour, minute: minute),
      utcOffsetSeconds: 3600),
    referenceRange: range, provenance: InputLocation(file: "lis.csv", record: day * 100 + hour))
}

private func normalize(_ samples: [Sample], _ settings: ScreenSettings = ScreenSettings())
  -> [NormalizedSample]
{
  Normalizer(settings: NormalizerSettings(screens: settings))!.normalize(samples).samples
}

/// The flags of the plausibility screens (not the waking estimates every blood draw has).
private func screened(_ samples: [NormalizedSample]) -> [[String]] {
  samples.map {
    $0.flags.map(\.code).filter {
      $0 == "implausible" || $0 == "suspected-unit-mixup" || $0 == "possible-unit-mixup"
    }
  }
}

private func message(_ sample: NormalizedSample, _ code: String) -> String? {
  sample.flags.first { $0.code == code }?.message
}

@Suite("Protocol and plausibility screens")
struct SampleScreensTests {
  @Test(
    "salivary cortisol limits: below detection, outside the cleaning range, physiological outlier")
  func limits() {
    let result = Normalizer(settings: NormalizerSettings())!.normalize([
      saliva(0.5, at: 300), saliva(90, at: 360), saliva(75, at: 420),
      saliva(0.5, at: 480, specimen: .serum),
      saliva(0.75, at: 540, censoring: .below),
    ])
    #expect(
      result.samples.map { $0.flags.map(\.code) } == [
        ["below-detection"], ["outside-cleaning-range"], ["physiological-outlier"], [],
        ["below-detection"],
      ])
    #expect(
      result.samples[1].flags[0].message
        == "90 nmol/L outside the data-cleaning range 0.33-82.8 nmol/L for cortisol/saliva; left out of the rhythm features, still read by the clinical judgement"
    )
  }

  @Test(
    "waking-sample delay bins: <=3 none, 3-6 short, 6-15 moderate, >15 high; >5 not adherent",
    arguments: [
      (1.0, "none", false), (4.0, "short", false), (6.0, "short", true), (8.0, "moderate", true),
      (20.0, "high", true),
    ])
  func wakingDelay(minutes: Double, bin: String, late: Bool) throws {
    let result = Normalizer(settings: NormalizerSettings())!.normalize([saliva(12, at: minutes)])
    let flag = try #require(result.samples.first?.flags.first { $0.code.hasPrefix("waking-delay") })
    #expect(flag.code == "waking-delay-\(bin)")
    #expect(flag.message.contains("not adherent (> 5 min)") == late)
  }

  @Test(
    "each subject-day's earliest sample carries the delay, the first read on a tie, however the subjects' samples interleave"
  )
  func wakingDelayPicksEachDaysFirst() {
    let result = flags([
      saliva(30, at: 30, subject: "s1"), saliva(9, at: 8, subject: "s2"),
      saliva(11, at: 4, subject: "s1"), saliva(12, at: 4, subject: "s1"),
      saliva(10, at: 2, subject: "s2"), saliva(14, at: 60, subject: "s1"),
      // s3's days interleaved: each day has its own first sample.
      saliva(15, at: 20, subject: "s3", date: 15), saliva(16, at: 1, subject: "s3", date: 16),
      saliva(17, at: 10, subject: "s3", date: 15), saliva(18, at: 30, subject: "s3", date: 16),
    ])
    #expect(
      result.map { $0.filter { $0.hasPrefix("waking-delay") } } == [
        [], [], ["waking-delay-short"], [], ["waking-delay-none"], [],
        [], ["waking-delay-none"], ["waking-delay-moderate"], [],
      ])
  }

  @Test(
    "mix-ups are judged among a subject's values of like conditions, however the subjects' samples interleave"
  )
  func unitMixupGroups() {
    var noted = saliva(0.45, at: 30, subject: "s3")
    noted.attributes = ["note": "after 1 mg dexamethasone"]
    var notedToo = saliva(0.45, at: 10, subject: "s4")
    notedToo.attributes = ["note": "after 1 mg dexamethasone"]
    let samples = [
      saliva(12, at: 0, subject: "s1"), saliva(13, at: 15, subject: "s1"),
      saliva(12, at: 0, subject: "s2"), saliva(13, at: 15, subject: "s2"),
      saliva(12, at: 0, subject: "s3"), saliva(13, at: 15, subject: "s3"), noted,
      saliva(0.45, at: 30, subject: "s1"), saliva(14, at: 30, subject: "s2"),
      // s4: a noted value and a serum one between its plain salivary values.
      saliva(12, at: 0, subject: "s4"), notedToo,
      saliva(400, at: 20, specimen: .serum, subject: "s4"),
      saliva(13, at: 30, subject: "s4"), saliva(0.45, at: 40, subject: "s4"),
    ]
    // s1's low value is read against its own two; s3's, under other conditions, against
    // none; s2 has none off; s4's plain low value against its plain two, not its noted one
    // or its serum.
    #expect(
      screened(normalize(samples)).map { $0.contains("suspected-unit-mixup") } == [
        false, false, false, false, false, false, false, true, false,
        false, false, false, false, true,
      ])
  }

  @Test("a CAR sample more than 5 minutes from its schedule is flagged")
  func offSchedule() {
    let result = flags([
      saliva(12, at: 0), saliva(18, at: 15), saliva(20, at: 38), saliva(16, at: 45),
    ])
    #expect(result.map { $0.contains("off-schedule") } == [false, false, true, false])
  }

  @Test(
    "a value that fits only in the other unit is a suspected unit mix-up; a low night value is not")
  func unitMixup() {
    let result = Normalizer(settings: NormalizerSettings())!.normalize([
      saliva(12, at: 0), saliva(13, at: 15), saliva(0.45, at: 30), saliva(1.2, at: 960),
    ])
    #expect(
      result.samples.map { $0.flags.map(\.code).contains("suspected-unit-mixup") } == [
        false, false, true, false,
      ])
    #expect(
      result.samples[2].flags.first { $0.code == "suspected-unit-mixup" }?.message
        == "0.45 nmol/L is 27.8x off (>= 10) the median 12.5 nmol/L of this subject's comparable values; read with the µg/dL factor 27.59 it would be 12.42 nmol/L"
    )
    // Below detection too, but a suspected mix-up is not censored at the limit: the value
    // stays as written (the mix-up screen's mark, read by the limits screen in the same run).
    #expect(result.samples[2].flags.map(\.code) == ["suspected-unit-mixup", "below-detection"])
    #expect(result.samples[2].value == Quantity(value: 0.45, unit: .nanomolePerLiter))
    #expect(
      result.samples[2].flags.last?.message
        == "0.45 nmol/L < 0.75 nmol/L (detection limit for cortisol/saliva)")
  }

  @Test(
    "the mix-up medians slide over the day and equal the median of every comparable other value")
  func mixupMediansEqualPairwise() {
    // The definition, pair by pair: a timed value's others are the timed values within the
    // window of it; an untimed value's others are all the rest.
    func pairwise(_ values: [Double], _ minutes: [Double?], _ window: Double) -> [Double?] {
      values.indices.map { position in
        var others: [Double] = []
        for other in values.indices where other != position {
          guard let mine = minutes[position], let theirs = minutes[other] else {
            if minutes[position] == nil { others.append(values[other]) }
            continue
          }
          if abs(theirs - mine) <= window { others.append(values[other]) }
        }
        guard others.count >= 2 else { return nil }
        others.sort()
        let middle = others.count / 2
        return others.count % 2 == 1 ? others[middle] : (others[middle - 1] + others[middle]) / 2
      }
    }
    var generator = SplitMix64(seed: 229)
    var compared = 0
    for round in 0..<400 {
      let count = 1 + Int(generator.next() % 60)
      // Few distinct values and times, so that ties and window edges come up often.
      let values = (0..<count).map { _ in Double(generator.next() % 12) * 1.5 + 0.25 }
      let minutes: [Double?] = (0..<count).map { _ in
        generator.next() % 7 == 0 ? nil : Double(generator.next() % 40) * 15 - 60
      }
      let window = [0, 15, 90, 1e9][round % 4]
      let expected = pairwise(values, minutes, Double(window))
      #expect(
        SampleScreens.mediansOfOthers(values: values, minutes: minutes, window: Double(window))
          == expected)
      compared += expected.compactMap { $0 }.count
    }
    #expect(compared > 5_000)
  }

  @Test("one median scratch over groups that shrink and grow gives each group's own medians")
  func mixupMediansScratchReused() {
    var generator = SplitMix64(seed: 31)
    var scratch = SampleScreens.MedianScratch()
    // A large group first, so that the buffers hold stale values for the smaller ones.
    for count in [60, 3, 1, 45, 2, 59, 7, 60, 4] {
      let values = (0..<count).map { _ in Double(generator.next() % 12) * 1.5 + 0.25 }
      let minutes: [Double?] = (0..<count).map { _ in
        switch generator.next() % 9 {
        case 0: return nil
        case 1: return .nan
        default: return Double(generator.next() % 40) * 15 - 60
        }
      }
      SampleScreens.mediansOfOthers(values: values, minutes: minutes, window: 90, into: &scratch)
      let fresh = SampleScreens.mediansOfOthers(values: values, minutes: minutes, window: 90)
      #expect(scratch.medians.count == count)
      #expect(scratch.medians == fresh, "group of \(count)")
      // A NaN time has no window and no median; an untimed value is compared with all.
      for position in minutes.indices where minutes[position]?.isNaN == true {
        #expect(scratch.medians[position] == nil)
      }
    }
  }

  @Test("the screens' columns: kinds, places in the day, and the flags later screens ask about")
  func screenColumns() {
    var samples = normalize([
      saliva(12, at: 30), draw(420, .microgramPerDeciliter, day: 10),
      draw(10, .picomolePerLiter, of: .acth, day: 11),
    ])
    // A sample not placed in a day reads as no waking, minutes and day 0.
    samples[2].circadian = nil
    let columns = ScreenColumns(samples)
    #expect(columns.kind[0] == ScreenColumns.salivaryCortisol)
    #expect(ScreenColumns.key(columns.kind[0]) == "cortisol/saliva")
    #expect(ScreenColumns.key(columns.kind[1]) == "cortisol/serum")
    #expect(ScreenColumns.key(columns.kind[2]) == "acth/serum")
    #expect(ScreenColumns.analyte(columns.kind[2]) == Int(Analyte.acth.caseCode))
    #expect(columns.minutes[0] == 30 && columns.day[0] == 1 && columns.wake[0] == .wakeColumn)
    #expect(columns.wake[2] == nil && columns.minutes[2] == 0 && columns.day[2] == 0)
    #expect(columns.value[1] == samples[1].value.value && columns.censoring[1] == .none)
    #expect(columns.marks == [[], [.implausible], []])
    // Flags raised before the screens count as the screens' own: an implausible salivary
    // value is not also judged below detection, a suspected mix-up is not censored.
    var flagged = [saliva(0.5, at: 300), saliva(0.5, at: 360)].map {
      NormalizedSample(
        sample: $0, value: $0.quantity, collected: $0.collected, timeResolution: nil,
        circadian: CircadianPosition(
          minutesSinceWaking: Double($0.provenance.record!), day: 1, wakeSource: .wakeColumn,
          wake: $0.wake))
    }
    flagged[0].flags.append(SampleFlag(code: "implausible", message: "set by hand"))
    flagged[1].flags.append(SampleFlag(code: "possible-unit-mixup", message: "set by hand"))
    SampleScreens(settings: ScreenSettings()).apply(&flagged)
    #expect(flagged[0].flags.map(\.code) == ["implausible"])
    #expect(flagged[1].flags.map(\.code) == ["possible-unit-mixup", "below-detection"])
    #expect(flagged[1].value.value == 0.5 && flagged[1].value.censoring == .none)
  }

  // MARK: Issue 22, point 6: impossible values and unit mix-ups in pairs

  @Test("every analyte has an impossibility bound in every specimen")
  func everyAnalyteBounded() {
    let bounds = ScreenSettings().impossibleAbove
    for analyte in Analyte.allCases {
      for specimen in Specimen.allCases {
        let bound = bounds["\(analyte.rawValue)/\(specimen.rawValue)"]
        #expect(bound.map { $0 > 0 && $0.isFinite } == true, "\(analyte)/\(specimen)")
      }
    }
  }

  @Test("420 µg/dL of serum cortisol is impossible and says it fits as nmol/L")
  func impossibleCortisol() throws {
    let result = normalize([
      draw(420, .microgramPerDeciliter, day: 10),
      // 88 µg/dL after dexamethasone in ectopic ACTH (Mayo Clinic 2018): real.
      draw(88, .microgramPerDeciliter, day: 11),
      draw(20_000, .nanomolePerLiter, day: 12, censoring: .below),
      draw(20_000, .nanomolePerLiter, day: 13, censoring: .above),
    ])
    #expect(
      result.map { $0.flags.contains { $0.code == "implausible" } } == [true, false, false, true])
    #expect(
      message(result[0], "implausible")
        == "420 µg/dL = 11590 nmol/L is impossible for cortisol in serum (above 9000 nmol/L, Methods: Plausibility bounds); read as nmol/L it would be 420 nmol/L, a possible value: check the unit; left out of features and findings"
    )
    // A number written in nmol/L is too high in µg/dL too; a censored one keeps its sign.
    let high = try #require(
      message(normalize([draw(11_590, .nanomolePerLiter, day: 10)])[0], "implausible"))
    #expect(
      high.contains("neither cortisol unit in common use makes it possible: check the value"))
    let censored = try #require(
      message(
        normalize([draw(1750, .microgramPerDeciliter, day: 10, censoring: .above)])[0],
        "implausible"))
    #expect(censored.hasPrefix(">1750 µg/dL = >48280 nmol/L is impossible"))
    #expect(censored.contains("read as nmol/L it would be >1750 nmol/L"))
    // No unit of TSH makes 6000 possible; 5000 is the bound itself, possible.
    let tsh = try #require(
      message(normalize([draw(6_000, .milliIUPerLiter, of: .tsh, day: 10)])[0], "implausible"))
    #expect(screened(normalize([draw(5_000, .milliIUPerLiter, of: .tsh, day: 10)])) == [[]])
    #expect(tsh.hasPrefix("6000 mIU/L is impossible for tsh in serum (above 5000 mIU/L"))
    #expect(tsh.contains("neither tsh unit in common use makes it possible: check the value"))
  }

  @Test("an impossible value feeds no median: the others are not called mix-ups")
  func impossibleLeftOutOfMedians() {
    let result = normalize([
      draw(15, .nanomolePerLiter, day: 10), draw(16, .nanomolePerLiter, day: 11),
      draw(14_000, .nanomolePerLiter, day: 12),
    ])
    #expect(screened(result) == [[], [], ["implausible"]])
  }

  @Test("two morning values a unit factor apart: a caution on the one outside its lab range")
  func pairWithRanges() throws {
    let range = ReferenceRange(low: 140, high: 690)
    let result = normalize([
      draw(520, .nanomolePerLiter, day: 9, range: range),
      draw(18.8, .nanomolePerLiter, day: 11, minute: 20, range: range),
    ])
    #expect(screened(result) == [[], ["possible-unit-mixup"]])
    #expect(
      message(result[1], "possible-unit-mixup")
        == "18.8 nmol/L and the 520 nmol/L of 2026-03-09T08:00:00 (same time of day within 7 days) differ 27.7-fold, about the µg/dL factor 27.59: one may be in the wrong unit (read in the other unit it would be 518.7 nmol/L); judged as written, with this caution"
    )
    // Both inside their own ranges (one range in its own unit): no caution at all.
    let inside = normalize([
      draw(10, .nanomolePerLiter, day: 9, range: ReferenceRange(low: 5, high: 700)),
      draw(
        0.36, .microgramPerDeciliter, day: 11,
        range: ReferenceRange(low: 0.2, high: 25, unit: .microgramPerDeciliter)),
    ])
    #expect(screened(inside) == [[], []])
  }

  @Test("a pair no range decides: both carry the caution, neither is left out")
  func pairWithoutRanges() throws {
    let result = normalize([
      draw(520, .nanomolePerLiter, day: 9), draw(18.8, .nanomolePerLiter, day: 11, minute: 20),
    ])
    #expect(screened(result) == [["possible-unit-mixup"], ["possible-unit-mixup"]])
    let text = try #require(message(result[0], "possible-unit-mixup"))
    #expect(text.hasPrefix("520 nmol/L and the 18.8 nmol/L of 2026-03-11T08:20:00"))
    #expect(text.contains("it would be 18.85 nmol/L"))
    let excluded = AnalyzerSettings().excludeFlags
    #expect(result.allSatisfy { !$0.flags.contains { excluded.contains($0.code) } })
  }

  @Test(
    "no pair: another time of day, more than the days apart, the same day, no unit's factor",
    arguments: [
      (draw(18.8, .nanomolePerLiter, day: 11, hour: 16), ScreenSettings()),
      (draw(18.8, .nanomolePerLiter, day: 17), ScreenSettings()),
      (
        draw(18.8, .nanomolePerLiter, day: 11),
        {
          var s = ScreenSettings()
          s.unitMixupDays = 1
          return s
        }()
      ),
      (draw(18.8, .nanomolePerLiter, day: 9, hour: 9), ScreenSettings()),
      (draw(60, .nanomolePerLiter, day: 11), ScreenSettings()),
    ])
  func noPair(second: Sample, settings: ScreenSettings) {
    let result = normalize([draw(520, .nanomolePerLiter, day: 9), second], settings)
    #expect(screened(result) == [[], []], "\(result.map(\.flags))")
  }

  @Test("ACTH (units 4.5 apart) changes that much from day to day: no pair rule under 10")
  func noPairUnderTen() {
    let acth = normalize([
      draw(2.0, .picomolePerLiter, of: .acth, day: 9),
      draw(9.0, .picomolePerLiter, of: .acth, day: 10),
    ])
    #expect(screened(acth) == [[], []])
  }

  @Test(
    "a result under other conditions (after dexamethasone) is meant to differ: no pair, no median")
  func otherConditionsNotCompared() {
    var suppressed = draw(16, .nanomolePerLiter, day: 10)
    suppressed.attributes = ["Comment": "after 1 mg Dexamethasone"]
    var plain = draw(15, .nanomolePerLiter, day: 12)
    plain.attributes = ["comment": " "]
    let result = normalize([
      draw(450, .nanomolePerLiter, day: 9), suppressed, draw(470, .nanomolePerLiter, day: 11),
      draw(440, .nanomolePerLiter, day: 13),
    ])
    #expect(screened(result) == [[], [], [], []])
    // A blank comment is no condition: 15 among 450-470 is still a mix-up.
    let blank = normalize([
      draw(450, .nanomolePerLiter, day: 9), plain, draw(470, .nanomolePerLiter, day: 11),
    ])
    #expect(screened(blank) == [[], ["suspected-unit-mixup"], []])
  }

  @Test("TSH 4 and 40 mIU/L are a real change, not a unit: TSH has one unit")
  func tshPairNotAMixup() {
    let result = normalize([
      draw(4, .milliIUPerLiter, of: .tsh, day: 9), draw(40, .milliIUPerLiter, of: .tsh, day: 11),
    ])
    #expect(screened(result) == [[], []])
  }

  @Test("thresholds come from the pipeline file; mistakes are reported with their line")
  func settings() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "neuroendo-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    try "a,b\n".write(
      to: directory.appendingPathComponent("in.csv"), atomically: true, encoding: .utf8)
    let yaml = """
      version: 1
      inputs:
        - path: in.csv
      settings:
        normalize:
          screens:
            waking_delay_minutes: [2, 5, 10]
            car_tolerance_minutes: 3
            limits:
              cortisol/saliva: {detection: 1.0, plausible: [0.5, 60]}
            impossible_above:
              cortisol/serum: 5000
            unit_mixup_days: 3
      outputs:
        directory: out
      """
    let pipeline = try PipelineLoader.parse(
      yaml, file: directory.appendingPathComponent("p.yml").path)
    let screens = pipeline.normalizer.screens
    #expect(screens.wakingDelayBins == [2, 5, 10])
    #expect(screens.carTolerance == 3)
    #expect(
      screens.limits == [
        "cortisol/saliva": ScreenSettings.Limits(detection: 1.0, plausible: 0.5...60)
      ])
    // One bound changed; the others keep their published defaults.
    #expect(screens.impossibleAbove["cortisol/serum"] == 5000)
    #expect(screens.impossibleAbove["cortisol/plasma"] == 9000)
    #expect(screens.impossibleAbove.count == ScreenSettings().impossibleAbove.count)
    #expect(screens.unitMixupDays == 3)
    for broken in [
      yaml.replacingOccurrences(of: "[2, 5, 10]", with: "[5, 2]"),
      yaml.replacingOccurrences(of: "cortisol/serum: 5000", with: "cortisol/hair: 5000"),
      yaml.replacingOccurrences(of: "cortisol/serum: 5000", with: "cortisol/serum: -1"),
      yaml.replacingOccurrences(of: "unit_mixup_days: 3", with: "unit_mixup_days: -3"),
    ] {
      #expect(throws: ConfigIssues.self) {
        try PipelineLoader.parse(broken, file: directory.appendingPathComponent("p.yml").path)
      }
    }
  }
}
