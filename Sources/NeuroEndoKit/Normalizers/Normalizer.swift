import Foundation

/// Settings of the normalizer stage (`settings.normalize` in a pipeline file).
public struct NormalizerSettings: Sendable, Hashable {
  /// The IANA time zone that local times without a UTC offset are read in; `nil` leaves
  /// them local (alignment then works on the wall clock).
  public var timeZone: String?
  /// The protocol and plausibility screens' thresholds.
  public var screens = ScreenSettings()
  /// Sample labels that mark a sample taken at awakening (compared without case); such a
  /// sample's collection time is the waking when no wake time or diary gives one.
  public var awakeningLabels: Set<String> = ["awakening", "waking", "wake"]
  /// Waking times from different sources this many minutes apart or less are one waking;
  /// the preferred source's time is kept and the other noted (`wake-reconciled`). Sources
  /// further apart but within half a day are still one waking, flagged `wake-conflict`.
  public var wakeProximityMinutes: Double = 60
  /// Without any waking information, a sample taken after midnight and before this clock
  /// hour stays on the previous day's curve.
  public var dayStartHour: Double = 4

  /// Creates settings.
  public init(timeZone: String? = nil, screens: ScreenSettings = ScreenSettings()) {
    self.timeZone = timeZone
    self.screens = screens
  }
}

/// What normalizing gave: the samples, the ones refused, and what the screens counted.
public struct NormalizationResult: Sendable {
  /// The normalized samples, in the order read (duplicates removed).
  public var samples: [NormalizedSample] = []
  /// Samples refused (a unit that does not fit the analyte).
  public var rejections: [Rejection] = []
  /// Identical records delivered more than once: each counted once, the copies dropped.
  public var duplicates = 0
  /// Samples flagged `conflict`: another value for the same subject, analyte and time.
  public var conflicts = 0
  /// Draws re-delivered with another value in a later file (a correction).
  public var corrections = 0
  /// Samples flagged `mixed-clock`: a local time without an offset, for a subject whose
  /// other times carry one, and no zone known to place it.
  public var mixedClock = 0
}

/// Brings samples from every reader to one footing: canonical units (Methods: Unit factors),
/// times on the time line, duplicates and conflicts found, and each sample placed in its
/// subject's circadian day (a day runs from one waking to the next).
///
/// Works on all samples of a run at once, since alignment needs a subject's whole record.
public struct Normalizer: Sendable {
  /// The settings.
  public let settings: NormalizerSettings
  private let resolver: LocalTimeResolver?

  /// Creates a normalizer.
  ///
  /// - Returns: `nil` when the time zone is not a known IANA name.
  public init?(settings: NormalizerSettings) {
    self.settings = settings
    if let zone = settings.timeZone {
      guard let resolver = LocalTimeResolver(identifier: zone) else { return nil }
      self.resolver = resolver
    } else {
      resolver = nil
    }
  }

  /// Normalizes the samples of a run.
  ///
  /// - Parameters:
  ///   - samples: the samples, in the order read.
  ///   - zonesByFile: IANA zones for the local times of particular files (an input's own
  ///     `time_zone`), overriding the settings' zone; names that are not zones are ignored.
  ///   - diary: waking times from a sleep diary, by subject id (``WakeDiaryReader``).
  ///   - deliveries: when each file was delivered (seconds since 1970, its modification
  ///     time): a value re-delivered for the same draw in a later file corrects the earlier.
  public func normalize(
    _ samples: [Sample], zonesByFile: [String: String] = [:],
    diary: [String: [CollectionTime]] = [:], deliveries: [String: Double] = [:]
  ) -> NormalizationResult {
    var resolvers = zonesByFile.compactMapValues(LocalTimeResolver.init(identifier:))
    // Subjects' own zones (a `time_zone` column), looked up once per name as they come.
    var knownZones = Set<String>()
    var unknownZones = Set<String>()
    var result = NormalizationResult()
    var normalized: [NormalizedSample] = []
    normalized.reserveCapacity(samples.count)
    // What the screens compare, taken while each sample is at hand: its subject's number
    // and the identity of its draw (a later pass over the records would read each again).
    var subjects = SubjectNumbers()
    var numbers: [Int32] = []
    var identities: [Identity] = []
    var identityTexts = IdentityTexts()
    numbers.reserveCapacity(samples.count)
    identities.reserveCapacity(samples.count)
    for sample in samples {
      do throws(UnitMismatch) {
        let value = try UnitConverter.canonical(sample.quantity, for: sample.analyte)
        guard value.value.isFinite else {
          result.rejections.append(
            Rejection(
              location: sample.provenance,
              reason: .valueOverflow(
                NumberText.plain(sample.quantity.value) + " " + sample.quantity.unit.ucum)))
          continue
        }
        if let zone = sample.timeZone, !knownZones.contains(zone), !unknownZones.contains(zone) {
          if let resolver = LocalTimeResolver(identifier: zone) {
            resolvers[Self.zoneKey(zone)] = resolver
            knownZones.insert(zone)
          } else {
            unknownZones.insert(zone)
          }
        }
        let resolver = self.resolver(for: sample, resolvers)
        let (collected, resolution) = Self.place(sample.collected, resolver)
        var flags: [SampleFlag] = []
        if let zone = sample.timeZone,
          unknownZones.contains(zone)
        {
          flags.append(
            SampleFlag(
              code: "unknown-time-zone",
              message:
                "'\(zone)' is not an IANA time zone; the input's or the pipeline's zone was used"))
        }
        let number = subjects.number(sample.subjectID)
        numbers.append(Int32(number))
        identities.append(
          Identity(sample, collected: collected, subject: number, texts: &identityTexts))
        normalized.append(
          NormalizedSample(
            sample: sample, value: value, collected: collected, timeResolution: resolution,
            flags: flags))
      } catch {
        result.rejections.append(
          Rejection(
            location: sample.provenance,
            reason: .unitMismatch(unit: error.unit.ucum, analyte: error.analyte.rawValue)))
      }
    }
    result.mixedClock = flagMixedClocks(&normalized, subjects: numbers, count: subjects.ids.count)
    screenDuplicates(&normalized, &numbers, identities, &result, deliveries: deliveries)
    align(&normalized, numbers, subjects.ids, resolvers, diary)
    SampleScreens(settings: settings.screens).apply(&normalized, subjects: numbers)
    result.samples = normalized
    return result
  }

  /// The zone of a sample's local times: the subject's (a `time_zone` column), else its
  /// input's, else the settings'.
  private func resolver(for sample: Sample, _ byFile: [String: LocalTimeResolver])
    -> LocalTimeResolver?
  {
    if let zone = sample.timeZone,
      let resolver = byFile[Self.zoneKey(zone)]
    {
      return resolver
    }
    return byFile[sample.provenance.file] ?? resolver
  }

  /// The key of a subject's zone among the resolvers keyed by file (no file has it).
  private static func zoneKey(_ zone: String) -> String { "\u{0}zone:\(zone)" }

  /// The time with its offset: as given, or placed in the zone.
  private static func place(_ time: CollectionTime?, _ resolver: LocalTimeResolver?) -> (
    CollectionTime?, LocalTimeResolver.Resolution?
  ) {
    guard let time, time.utcOffsetSeconds == nil, let resolver else { return (time, nil) }
    let placed = resolver.resolve(time.local)
    return (placed.time, placed.resolution)
  }

  /// One clock per subject: where a subject has times with a UTC offset, its local times
  /// that no zone placed cannot be compared with them. Such samples are flagged
  /// `mixed-clock` and left out of waking alignment and pairing.
  ///
  /// - Returns: the number of samples flagged.
  private func flagMixedClocks(
    _ samples: inout [NormalizedSample], subjects: [Int32], count: Int
  ) -> Int {
    var withOffset = [Bool](repeating: false, count: count)
    for index in samples.indices where samples[index].collected?.utcOffsetSeconds != nil {
      withOffset[Int(subjects[index])] = true
    }
    var count = 0
    for index in samples.indices {
      guard withOffset[Int(subjects[index])], let time = samples[index].collected,
        time.utcOffsetSeconds == nil
      else { continue }
      samples[index].flags.append(
        SampleFlag(
          code: Self.mixedClock,
          message:
            "collected \(time) has no UTC offset while this subject's other times have one, and no time zone is known to place it (set normalize.time_zone or the input's time_zone); left out of waking alignment and pairing"
        ))
      count += 1
    }
    return count
  }

  /// The flag of a local time that cannot be placed beside times with offsets.
  public static let mixedClock = "mixed-clock"

  /// Drops records delivered twice and flags different values for the same subject,
  /// analyte, specimen and time (or protocol sample) as conflicts, unless a later file
  /// re-delivered the draw with one value: that is a correction, which supersedes the
  /// earlier values (`corrected` on the current one, `superseded` on each earlier one).
  ///
  /// In place: copies are removed from `samples` at the end, the others keep their order
  /// (no sample is copied into a second array, which cost a retain and a release each).
  private func screenDuplicates(
    _ samples: inout [NormalizedSample], _ subjects: inout [Int32], _ identities: [Identity],
    _ result: inout NormalizationResult, deliveries: [String: Double] = [:]
  ) {
    var firstByKey = FirstIdentities(capacity: samples.count)
    var copies: [Int] = []
    // Groups of different values for one measurement, in the order found.
    var conflicts: [Identity: [Int]] = [:]
    var conflicted: [Identity] = []
    for index in samples.indices {
      let key = identities[index]
      // One lookup for a new key (nearly all): the earlier index comes back only for a key
      // seen before.
      guard let first = firstByKey.first(index, of: identities) else { continue }
      if samples[first].value == samples[index].value {
        result.duplicates += 1
        copies.append(index)
        continue
      }
      if conflicts[key] == nil {
        conflicted.append(key)
        conflicts[key] = [first]
      }
      conflicts[key]!.append(index)
    }
    for key in conflicted {
      let same = conflicts[key]!
      if correct(same, in: &samples, deliveries: deliveries) {
        result.corrections += 1
        continue
      }
      let values = same.map { NumberText.plain(samples[$0].value.value) }.joined(separator: ", ")
      for index in same {
        samples[index].flags.append(
          SampleFlag(
            code: "conflict",
            message:
              "\(same.count) values for the same subject, analyte and time (\(values) \(samples[index].value.unit.ucum)); kept out of the features"
          ))
      }
      result.conflicts += same.count
    }
    guard !copies.isEmpty else { return }
    // The copies out, the others moved down in order.
    var kept = copies[0]
    var next = 0
    for index in copies[0]..<samples.count {
      if next < copies.count, copies[next] == index {
        next += 1
        continue
      }
      samples.swapAt(kept, index)
      subjects.swapAt(kept, index)
      kept += 1
    }
    samples.removeLast(samples.count - kept)
    subjects.removeLast(subjects.count - kept)
  }

  /// Marks a group of different values for one draw as a correction when its values come
  /// from files delivered at different times and the latest delivery holds one value; false
  /// (a conflict) otherwise.
  private func correct(
    _ group: [Int], in samples: inout [NormalizedSample], deliveries: [String: Double]
  ) -> Bool {
    let times = group.map { deliveries[samples[$0].sample.provenance.file] }
    guard times.allSatisfy({ $0 != nil }) else { return false }
    let latest = times.map { $0! }.max()!
    let current = group.indices.filter { times[$0]! == latest }.map { group[$0] }
    let earlier = group.filter { !current.contains($0) }
    guard !earlier.isEmpty,
      Set(current.map { samples[$0].value }).count == 1
    else { return false }
    func date(_ seconds: Double) -> String {
      String(LocalDateTime(wallClockSeconds: seconds.rounded(.down)).description.prefix(10))
    }
    func written(_ index: Int) -> String {
      let quantity = samples[index].sample.quantity
      return
        "\(quantity.censoring.rawValue)\(NumberText.plain(quantity.value)) \(quantity.unit.display)"
    }
    let now = current[0]
    func file(_ index: Int) -> String { samples[index].sample.provenance.fileName }
    let previous = earlier.sorted {
      deliveries[samples[$0].sample.provenance.file]! < deliveries[
        samples[$1].sample.provenance.file]!
    }
    for index in current {
      samples[index].flags.append(
        SampleFlag(
          code: "corrected",
          message:
            "corrected on \(date(latest)) (\(file(index))): was \(previous.map { "\(written($0)) (\(file($0)), \(date(deliveries[samples[$0].sample.provenance.file]!)))" }.joined(separator: ", then "))"
        ))
    }
    for index in earlier {
      samples[index].flags.append(
        SampleFlag(
          code: "superseded",
          message:
            "superseded on \(date(latest)) by \(written(now)) (\(file(now))); left out of features and findings"
        ))
    }
    return true
  }

  /// What makes two records the same measurement: subject, analyte, specimen, qualifier
  /// (timed, late-night ...), and the time on its clock (or, without one, the protocol day,
  /// label and relative time). Free and total cortisol are different analytes.
  ///
  /// Numbers only (texts by their number in ``IdentityTexts``): a run keeps one per sample
  /// and a dictionary of them, and a copy is then a few words, not a dozen references.
  struct Identity: Hashable {
    /// The subject, numbered once per run of its samples (``SubjectNumbers``).
    var subject: Int32
    /// The analyte's and specimen's places among their cases.
    var kind: UInt16
    /// The qualifier's number, -1 for none.
    var qualifier: Int32 = -1
    /// Whether the draw has a time on a clock, and whether that clock has an offset.
    var timed = false
    var offset = false
    var seconds = 0.0
    /// Without a time: the protocol day (0 for none), the label's number (none is ""), and
    /// the time relative to an anchor (-1 waking, else the event's number).
    var day = 0
    var label: Int32 = -1
    var relative = false
    var minutes = 0.0
    var anchor: Int32 = -1

    /// The fields that tell draws apart, hashed (a subset of those equality compares, so
    /// equal identities hash alike): the subject's number, the analyte and specimen, and
    /// the time, or without a time the day and the relative time or else the label, which
    /// tells apart a panel's or an untimed export's results.
    func hash(into hasher: inout Hasher) {
      hasher.combine(subject)
      hasher.combine(kind)
      if timed {
        hasher.combine(seconds)
      } else {
        hasher.combine(day)
        if relative { hasher.combine(minutes) } else { hasher.combine(label) }
      }
    }

    /// The identity of a sample whose collection time is `collected` (as placed).
    init(
      _ sample: Sample, collected: CollectionTime?, subject: Int, texts: inout IdentityTexts
    ) {
      self.subject = Int32(subject)
      kind = UInt16(sample.analyte.caseCode) << 8 | UInt16(sample.specimen.caseCode)
      if let qualifier = sample.qualifier { self.qualifier = texts.number(qualifier) }
      if let time = collected {
        timed = true
        seconds = Normalizer.seconds(time)
        offset = time.utcOffsetSeconds != nil
      } else {
        day = sample.day ?? 0
        label = texts.label(sample.label ?? "")
        if let time = sample.relativeTime {
          relative = true
          minutes = time.minutes
          if case .event(let name) = time.anchor { anchor = texts.number(name) }
        }
      }
    }
  }

  /// The first sample of each identity, by open addressing on a mix of the identity's
  /// numbers: a `Dictionary` hashes each key with SipHash, which was most of the duplicate
  /// screen. The mix is seeded per process, so that crafted inputs cannot aim at one slot.
  struct FirstIdentities {
    private var slots: [Int32]
    private let mask: Int
    private static let seed = UInt64.random(in: 0...UInt64.max) | 1

    init(capacity: Int) {
      var size = 16
      while size < 2 * capacity { size *= 2 }
      slots = Array(repeating: -1, count: size)
      mask = size - 1
    }

    /// The first sample with the identity of sample `index`, or `nil` when it is the first
    /// (it is then recorded as such).
    mutating func first(_ index: Int, of identities: [Identity]) -> Int? {
      let identity = identities[index]
      var slot = Int(truncatingIfNeeded: Self.mix(identity)) & mask
      while true {
        let held = slots[slot]
        if held < 0 {
          slots[slot] = Int32(index)
          return nil
        }
        if identities[Int(held)] == identity { return Int(held) }
        slot = (slot + 1) & mask
      }
    }

    /// The fields ``Identity/hash(into:)`` hashes, mixed: equal identities mix alike (a
    /// zero of either sign mixes as +0).
    static func mix(_ identity: Identity) -> UInt64 {
      func bits(_ value: Double) -> UInt64 { value == 0 ? 0 : value.bitPattern }
      var state = seed
      func add(_ word: UInt64) {
        state = (state ^ word) &* 0x9E37_79B9_7F4A_7C15
        state ^= state >> 32
      }
      add(UInt64(UInt32(bitPattern: identity.subject)) << 16 | UInt64(identity.kind))
      if identity.timed {
        add(bits(identity.seconds))
      } else {
        add(UInt64(bitPattern: Int64(identity.day)))
        add(identity.relative ? bits(identity.minutes) : UInt64(UInt32(bitPattern: identity.label)))
      }
      // A full avalanche (MurmurHash3's fmix64) last: the slot is the low bits, which the
      // multiplications alone take from the low bits of the last word only, so values that
      // differ in their high bits (minutes of 2^-1000 ... 2^999) would share one slot.
      state ^= state >> 33
      state &*= 0xFF51_AFD7_ED55_8CCD
      state ^= state >> 33
      state &*= 0xC4CE_B9FE_1A85_EC53
      state ^= state >> 33
      return state
    }
  }

  /// The texts of identities by number: equal texts (as `String` compares them) get one.
  struct IdentityTexts {
    private var numbers: [String: Int32] = [:]
    /// The last labels numbered: a protocol's few labels recur in turn.
    private var recentLabels: [(text: String, number: Int32)] = []

    mutating func number(_ text: String) -> Int32 {
      if let known = numbers[text] { return known }
      let number = Int32(numbers.count)
      numbers[text] = number
      return number
    }

    mutating func label(_ text: String) -> Int32 {
      if let known = recentLabels.first(where: { $0.text == text }) { return known.number }
      let number = number(text)
      if recentLabels.count == 16 { recentLabels.removeFirst() }
      recentLabels.append((text, number))
      return number
    }
  }

  /// Seconds on the time line when the offset is known, else on the wall clock.
  static func seconds(_ time: CollectionTime) -> Double {
    time.instant?.timeIntervalSince1970 ?? time.local.secondsSinceEpochWallClock
  }

  /// Places every sample in its subject's day. Exports that give only minutes since
  /// waking keep them; timed samples count from the latest waking before them (within 24
  /// hours), one waking per morning from every source (``WakingReconciler``); failing all,
  /// the first sample of the day stands in for the waking and the samples of that day are
  /// flagged `wake-estimated`.
  private func align(
    _ samples: inout [NormalizedSample], _ subjects: [Int32], _ ids: [String],
    _ resolvers: [String: LocalTimeResolver], _ diary: [String: [CollectionTime]]
  ) {
    // Each subject's timed samples, by the subject's number (in order of first appearance).
    var timedBySubject = [[Int]](repeating: [], count: ids.count)
    for index in samples.indices {
      let timed =
        samples[index].collected != nil
        && !samples[index].flags.contains(where: { $0.code == Self.mixedClock })
      if timed {
        timedBySubject[Int(subjects[index])].append(index)
      } else if let relative = samples[index].sample.relativeTime, relative.anchor == .waking {
        samples[index].circadian = CircadianPosition(
          minutesSinceWaking: relative.minutes, day: samples[index].sample.day ?? 1,
          wakeSource: .export, wake: nil)
      }
    }
    for (number, indices) in timedBySubject.enumerated() where !indices.isEmpty {
      alignSubject(indices, &samples, resolvers, diary[ids[number]] ?? [])
    }
  }

  private func alignSubject(
    _ indices: [Int], _ samples: inout [NormalizedSample],
    _ resolvers: [String: LocalTimeResolver], _ diary: [CollectionTime]
  ) {
    // Every source of a waking, placed like collection times, on the subject's one clock.
    let offsetClock = samples[indices[0]].collected?.utcOffsetSeconds != nil
    var reconciler = WakingReconciler(proximityMinutes: settings.wakeProximityMinutes)
    let zone = resolver(for: samples[indices[0]].sample, resolvers)
    for index in indices {
      let sample = samples[index].sample
      if let wake = Self.place(sample.wake, resolver(for: sample, resolvers)).0 {
        if (wake.utcOffsetSeconds != nil) == offsetClock {
          reconciler.add(wake, .wakeColumn)
        } else {
          samples[index].flags.append(
            SampleFlag(
              code: Self.mixedClock,
              message:
                "wake time \(wake) and collection time \(samples[index].collected!) are on different clocks (one has a UTC offset) and no time zone places them; the wake time was not used"
            ))
        }
      }
      if let relative = sample.relativeTime, relative.anchor == .waking,
        let time = samples[index].collected
      {
        // Minutes since waking beside a clock time: the waking they count from.
        reconciler.add(time.adding(minutes: -relative.minutes), .export)
      }
    }
    for wake in diary {
      if let placed = Self.place(wake, zone).0, (placed.utcOffsetSeconds != nil) == offsetClock {
        reconciler.add(placed, .diary)
      }
    }
    for index in indices {
      guard let label = samples[index].sample.label?.lowercased(),
        settings.awakeningLabels.contains(label), let time = samples[index].collected
      else { continue }
      reconciler.add(time, .awakeningSample)
    }
    var wakes = reconciler.wakings()
    // Samples no waking covers: the first sample of their day (which starts at
    // `dayStartHour`, so that a sample after midnight stays on the evening's curve) stands in.
    let day: Double = 86_400
    func anchor(_ seconds: Double) -> Int? {
      wakes.lastIndex { $0.seconds <= seconds && seconds - $0.seconds < day }
    }
    var estimatedDays: [Int: (seconds: Double, time: CollectionTime)] = [:]
    for index in indices {
      let time = samples[index].collected!
      let seconds = Self.seconds(time)
      guard anchor(seconds) == nil else { continue }
      let date = LocalDateTime.daysFromCivil(
        year: time.local.year, month: time.local.month, day: time.local.day)
      let key = time.local.hourOfDay < settings.dayStartHour ? date - 1 : date
      if let first = estimatedDays[key], first.seconds <= seconds { continue }
      estimatedDays[key] = (seconds, time)
    }
    wakes += estimatedDays.values.map {
      WakingReconciler.Waking(seconds: $0.seconds, time: $0.time, source: .firstSampleEstimated)
    }
    wakes.sort { $0.seconds < $1.seconds }
    for index in indices {
      let time = samples[index].collected!
      let seconds = Self.seconds(time)
      guard let anchorIndex = anchor(seconds) else { continue }
      let wake = wakes[anchorIndex]
      samples[index].circadian = CircadianPosition(
        minutesSinceWaking: (seconds - wake.seconds) / 60, day: anchorIndex + 1,
        wakeSource: wake.source, wake: wake.time)
      // Only cortisol's features depend on the waking; a thyroid result is not flagged.
      if wake.source == .firstSampleEstimated && samples[index].sample.analyte == .cortisol {
        samples[index].flags.append(
          SampleFlag(
            code: "wake-estimated",
            message:
              "no waking time for this day: the first sample (\(wake.time)) stands in for it"))
      }
      samples[index].flags += wake.notes
    }
  }
}

/// Numbers subjects as they come: samples come by subject, so the id is looked up once
/// per run of a subject's samples, not once per sample.
struct SubjectNumbers {
  private var numbers: [String: Int] = [:]
  private var last: (subject: String, number: Int)?
  /// The subjects by number.
  private(set) var ids: [String] = []

  /// The subject's number (0, 1, … in order of first appearance).
  mutating func number(_ subject: String) -> Int {
    if let last, last.subject == subject { return last.number }
    let number: Int
    if let known = numbers[subject] {
      number = known
    } else {
      number = ids.count
      numbers[subject] = number
      ids.append(subject)
    }
    last = (subject, number)
    return number
  }
}
