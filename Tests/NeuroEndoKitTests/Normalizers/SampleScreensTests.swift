import Foundation
import Testing

@testable import NeuroEndoKit

private func saliva(
  _ value: Double, at minutes: Double, censoring: Censoring = .none, specimen: Specimen = .saliva,
  subject: String = "s1"
) -> Sample {
  let wake = LocalDateTime(year: 2026, month: 3, day: 15, hour: 6, minute: 30)
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

@Suite("Protocol and plausibility screens")
struct SampleScreensTests {
  @Test("salivary cortisol limits: below detection, implausible, physiological outlier")
  func limits() {
    let result = Normalizer(settings: NormalizerSettings())!.normalize([
      saliva(0.5, at: 300), saliva(90, at: 360), saliva(75, at: 420),
      saliva(0.5, at: 480, specimen: .serum),
      saliva(0.75, at: 540, censoring: .below),
    ])
    #expect(
      result.samples.map { $0.flags.map(\.code) } == [
        ["below-detection"], ["implausible"], ["physiological-outlier"], [], ["below-detection"],
      ])
    #expect(
      result.samples[1].flags[0].message
        == "90 nmol/L outside the plausible 0.33-82.8 nmol/L for cortisol/saliva; excluded from features"
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
        == "0.45 nmol/L is 27.8x off (>= 10) the median 12.5 nmol/L of this subject's other values; read with the ug/dL factor 27.59 it would be 12.416 nmol/L"
    )
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
    let broken = yaml.replacingOccurrences(of: "[2, 5, 10]", with: "[5, 2]")
    #expect(throws: ConfigIssues.self) {
      try PipelineLoader.parse(broken, file: directory.appendingPathComponent("p.yml").path)
    }
  }
}
