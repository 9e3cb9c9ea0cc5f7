import Foundation
import Testing

@testable import NeuroEndoKit

private func time(_ text: String) -> CollectionTime {
  Array(text.utf8).withUnsafeBufferPointer { FieldParser.time($0, order: .ymd)! }.collectionTime()!
}

private func sample(
  _ subject: String, _ value: Double, _ unit: LabUnit = .nanomolePerLiter,
  analyte: Analyte = .cortisol, at collected: String? = nil, wake: String? = nil,
  minutes: Double? = nil, day: Int? = nil, record: Int = 1
) -> Sample {
  Sample(
    subjectID: subject, analyte: analyte, specimen: .saliva,
    quantity: Quantity(value: value, unit: unit), collected: collected.map(time),
    wake: wake.map(time), relativeTime: minutes.map { RelativeTime(minutes: $0, anchor: .waking) },
    day: day, provenance: InputLocation(file: "test.csv", record: record))
}

@Suite("Normalizer")
struct NormalizerTests {
  @Test("the duplicate screen's table finds the first of each identity, as a dictionary does")
  func firstIdentities() {
    var texts = Normalizer.IdentityTexts()
    var identities: [Normalizer.Identity] = []
    var generator = SystemRandomNumberGenerator()
    // Few subjects, days and labels, both zeros and a NaN: many equal identities.
    for _ in 0..<20_000 {
      let timed = Bool.random(using: &generator)
      let label = ["S1", "S2", "", "S\u{301}"][Int.random(in: 0..<4, using: &generator)]
      let sample = Sample(
        subjectID: "s", analyte: [.cortisol, .tsh][Int.random(in: 0..<2, using: &generator)],
        specimen: .saliva, quantity: Quantity(value: 1, unit: .nanomolePerLiter),
        relativeTime: Bool.random(using: &generator)
          ? RelativeTime(minutes: [0, -0.0, 15, .nan][Int.random(in: 0..<4)], anchor: .waking)
          : nil,
        day: Int.random(in: 0..<3, using: &generator), label: label,
        provenance: InputLocation(file: "f"))
      let collected =
        timed
        ? CollectionTime(
          local: LocalDateTime(year: 2026, month: 3, day: 1, hour: Int.random(in: 6..<9)),
          utcOffsetSeconds: Bool.random(using: &generator) ? 3600 : nil) : nil
      identities.append(
        Normalizer.Identity(
          sample, collected: collected, subject: Int.random(in: 0..<5, using: &generator),
          texts: &texts))
    }
    var table = Normalizer.FirstIdentities(capacity: identities.count)
    var reference: [Normalizer.Identity: Int] = [:]
    for index in identities.indices {
      let expected = reference[identities[index]]
      if expected == nil { reference[identities[index]] = index }
      #expect(table.first(index, of: identities) == expected)
    }
    #expect(reference.count < identities.count / 10)
    // Crafted minutes that differ only in their high bits (sign and exponent) spread over
    // the table's slots like any others, whatever the process's seed.
    var crafted: [Normalizer.Identity] = []
    for exponent in -1000..<1000 {
      for sign in [1.0, -1.0] {
        let sample = Sample(
          subjectID: "s", analyte: .cortisol, specimen: .saliva,
          quantity: Quantity(value: 1, unit: .nanomolePerLiter),
          relativeTime: RelativeTime(minutes: sign * pow(2, Double(exponent)), anchor: .waking),
          day: 1, provenance: InputLocation(file: "f"))
        crafted.append(
          Normalizer.Identity(sample, collected: nil, subject: 0, texts: &texts))
      }
    }
    let slots = Set(crafted.map { Normalizer.FirstIdentities.mix($0) & 0xFFFF })
    #expect(slots.count > 3_500)
  }

  let plain = Normalizer(settings: NormalizerSettings())!

  @Test("values are converted to the canonical unit; the sample as read stays whole")
  func units() throws {
    let result = plain.normalize([
      sample("s1", 18.2, .microgramPerDeciliter, at: "2026-03-16T08:05:00-04:00")
    ])
    let normalized = try #require(result.samples.first)
    #expect(abs(normalized.value.value - 502.138) < 1e-9)
    #expect(normalized.value.unit == .nanomolePerLiter)
    #expect(normalized.sample.quantity == Quantity(value: 18.2, unit: .microgramPerDeciliter))
  }

  @Test("a unit that does not fit the analyte is a rejection at the sample's location")
  func unitMismatch() {
    let result = plain.normalize([
      sample("s1", 1.2, .nanogramPerDeciliter, analyte: .tsh, at: "2026-03-16T08:05:00Z", record: 7)
    ])
    #expect(result.samples.isEmpty)
    #expect(
      result.rejections.map(\.description) == [
        "test.csv, record 7: unit 'ng/dL' does not fit tsh; it is not converted by guessing"
      ])
  }

  @Test("local times are placed in the pipeline's zone, with the DST rule recorded")
  func timeZone() throws {
    let berlin = try #require(Normalizer(settings: NormalizerSettings(timeZone: "Europe/Berlin")))
    let result = berlin.normalize([
      sample("s1", 12, at: "2026-03-14T08:12:00"), sample("s1", 13, at: "2026-03-29T02:30:00"),
      sample("s1", 14, at: "2026-03-16T08:00:00-04:00"),
    ])
    #expect(
      result.samples.map { $0.collected!.description } == [
        "2026-03-14T08:12:00+01:00", "2026-03-29T03:30:00+02:00", "2026-03-16T08:00:00-04:00",
      ])
    #expect(result.samples.map(\.timeResolution) == [.exact, .shiftedOverGap, nil])
    #expect(Normalizer(settings: NormalizerSettings(timeZone: "Europe/Atlantis")) == nil)
  }

  @Test("an identical record twice counts once; two values for one time are conflicts")
  func duplicates() {
    let result = plain.normalize([
      sample("s1", 12.0, at: "2026-03-14T08:00:00Z", record: 2),
      sample("s1", 12.0, at: "2026-03-14T08:00:00Z", record: 3),
      sample("s1", 15.0, at: "2026-03-14T09:00:00Z", record: 4),
      sample("s1", 16.5, at: "2026-03-14T09:00:00Z", record: 5),
      sample("s2", 12.0, at: "2026-03-14T08:00:00Z", record: 6),
    ])
    #expect(result.duplicates == 1)
    #expect(result.conflicts == 2)
    #expect(result.samples.map(\.sample.provenance.record) == [2, 4, 5, 6])
    #expect(
      result.samples.map { $0.flags.map(\.code).contains("conflict") } == [
        false, true, true, false,
      ])
    #expect(result.samples[1].flags.first?.message.contains("15, 16.5 nmol/L") == true)
  }

  @Test("minutes since waking from the wake column; a day runs from one waking to the next")
  func wakeColumn() {
    let result = plain.normalize([
      sample("s1", 14.2, at: "2026-03-15T06:32:00+01:00", wake: "2026-03-15T06:30:00+01:00"),
      sample("s1", 21.5, at: "2026-03-15T06:47:00+01:00", wake: "2026-03-15T06:30:00+01:00"),
      sample("s1", 3.1, at: "2026-03-15T18:00:00+01:00", wake: "2026-03-15T06:30:00+01:00"),
      sample("s1", 12.0, at: "2026-03-16T07:10:00+01:00", wake: "2026-03-16T07:00:00+01:00"),
    ])
    #expect(result.samples.map { $0.circadian?.minutesSinceWaking } == [2, 17, 690, 10])
    #expect(result.samples.map { $0.circadian?.day } == [1, 1, 1, 2])
    #expect(result.samples.allSatisfy { $0.circadian?.wakeSource == .wakeColumn })
  }

  @Test("a night-shift worker who wakes at 15:00 and samples until 03:00 keeps one day")
  func nightShift() {
    let wake = "2026-03-15T15:00:00+01:00"
    let result = plain.normalize([
      sample("n1", 16.0, at: "2026-03-15T15:10:00+01:00", wake: wake),
      sample("n1", 6.0, at: "2026-03-15T23:00:00+01:00", wake: wake),
      sample("n1", 3.0, at: "2026-03-16T03:00:00+01:00", wake: wake),
    ])
    #expect(result.samples.map { $0.circadian?.minutesSinceWaking } == [10, 480, 720])
    #expect(result.samples.map { $0.circadian?.day } == [1, 1, 1])
  }

  @Test("without a waking time the first sample of the day stands in, flagged as estimated")
  func estimatedWake() {
    let result = plain.normalize([
      sample("e1", 14, at: "2026-03-16T08:05:00-04:00"),
      sample("e1", 6, at: "2026-03-16T12:05:00-04:00"),
    ])
    #expect(result.samples.map { $0.circadian?.minutesSinceWaking } == [0, 240])
    #expect(result.samples.allSatisfy { $0.circadian?.wakeSource == .firstSampleEstimated })
    // The waking is the first sample itself, so its sampling delay is unknown, not zero.
    #expect(
      result.samples.map { $0.flags.map(\.code) } == [
        ["wake-estimated", "waking-delay-unknown"], ["wake-estimated"],
      ])
  }

  @Test("exports that give minutes since waking pass through unchanged")
  func researchPassThrough() {
    let result = plain.normalize([
      sample("r1", 11.8, minutes: 0, day: 2), sample("r1", 16.9, minutes: 15, day: 2),
    ])
    #expect(result.samples.map { $0.circadian?.minutesSinceWaking } == [0, 15])
    #expect(result.samples.map { $0.circadian?.day } == [2, 2])
    #expect(result.samples.allSatisfy { $0.circadian?.wakeSource == .export })
  }

  @Test("the Labor Nord saliva profile: minutes since the 06:30 waking, hand-checked")
  func labnordSaliva() throws {
    let profile = try ProfileLoader.load(
      file: Repository.path("Pipelines/profiles/labnord-lis.yml"))
    let samples = read(
      Repository.path("SampleData/lis/labnord-results-2026-03-15.csv"), profile: profile
    ).samples
    let result = Normalizer(settings: NormalizerSettings(timeZone: "Europe/Berlin"))!.normalize(
      samples)
    let saliva = result.samples.filter { $0.sample.subjectID == "P-10234" }
    // 06:32, 06:47, 07:02, 07:17, 12:00, 18:00, 22:30 after waking at 06:30
    #expect(saliva.map { $0.circadian?.minutesSinceWaking } == [2, 17, 32, 47, 330, 690, 960])
    let acth = try #require(result.samples.first { $0.sample.analyte == .acth })
    #expect(abs(acth.value.value - 1.101) < 1e-9)  // 5 pg/mL x 0.2202
    #expect(acth.collected?.description == "2026-03-14T08:40:00+01:00")
  }
}

@Suite("Normalizer: subjects' time zones")
struct SubjectTimeZoneTests {
  @Test("a time_zone column places each subject's local times in the subject's zone")
  func subjectZones() throws {
    var profile = CSVProfile.lisLong
    profile.columns[.timeZone] = "tz"
    let samples = read(Repository.fixture("subject-time-zones.csv"), profile: profile).samples
    #expect(
      samples.map(\.timeZone) == [
        "Europe/Berlin", "America/New_York", "Mars/Olympus", nil,
      ])
    let result = try #require(Normalizer(settings: NormalizerSettings(timeZone: "Europe/London")))
      .normalize(samples)
    #expect(
      result.samples.map { $0.collected!.description } == [
        "2026-03-14T07:00:00+01:00", "2026-03-16T07:00:00-04:00",
        "2026-03-16T07:00:00Z", "2026-03-16T07:00:00Z",
      ])
    #expect(result.samples[2].flags.map(\.code).contains("unknown-time-zone"))
    // The traveller's two mornings are 53 hours apart on the time line.
    let hours =
      (Normalizer.seconds(result.samples[1].collected!)
        - Normalizer.seconds(result.samples[0].collected!)) / 3600
    #expect(hours == 53)
  }
}

@Suite("Normalizer: waking from a diary and from awakening samples")
struct WakeSourceTests {
  @Test("the sleep diary gives wakings to subjects whose exports have none; bad rows are rejected")
  func diary() throws {
    let profile = try ProfileLoader.load(
      file: Repository.path("Pipelines/profiles/sleep-diary.yml"))
    let diary = WakeDiaryReader(profile: profile).read(
      file: Repository.path("SampleData/diary/sleep-diary-2026-03.csv"))
    #expect(diary.failure == nil)
    #expect(diary.wakes["pt-1003"]?.map(\.description) == ["2026-03-15T06:30:00"])
    #expect(diary.rejections.map(\.reason) == [.unparsableTime("16.03.2026 0715")])
    let samples = [
      sample("pt-1003", 14.2, at: "2026-03-15T06:32:00+01:00"),
      sample("pt-1003", 24.8, at: "2026-03-15T07:02:00+01:00"),
    ]
    let normalizer = Normalizer(settings: NormalizerSettings(timeZone: "Europe/Berlin"))!
    let result = normalizer.normalize(samples, diary: diary.wakes)
    #expect(result.samples.map { $0.circadian?.minutesSinceWaking } == [2, 32])
    #expect(result.samples.allSatisfy { $0.circadian?.wakeSource == .diary })
  }

  @Test("a sample labelled 'awakening' marks the waking when nothing else does")
  func awakeningSample() {
    var first = sample("a1", 9.0, at: "2026-03-15T07:05:00+01:00")
    first.label = "Awakening"
    let result = Normalizer(settings: NormalizerSettings())!.normalize([
      first, sample("a1", 15.0, at: "2026-03-15T07:35:00+01:00"),
    ])
    #expect(result.samples.map { $0.circadian?.minutesSinceWaking } == [0, 30])
    #expect(result.samples.allSatisfy { $0.circadian?.wakeSource == .awakeningSample })
    #expect(result.samples.allSatisfy { !$0.flags.map(\.code).contains("wake-estimated") })
  }
}
