/// Protocol and plausibility screens (Methods: Protocol and plausibility screens). Each raises a ``SampleFlag``
/// naming its rule and thresholds; none removes a sample. Thresholds are settings
/// (`settings.normalize.screens`), with the documented defaults below.
public struct ScreenSettings: Sendable, Hashable {
  /// Limits of one analyte in one specimen, in the canonical unit.
  public struct Limits: Sendable, Hashable {
    /// Below this a value is treated as below detection.
    public var detection: Double?
    /// Outside this range a value is left out of the rhythm features as a data-cleaning
    /// rule (`outside-cleaning-range`). It is not judged impossible, and the clinical
    /// judgement still reads it: the physiological bounds (``ScreenSettings/impossibleAbove``)
    /// say what is impossible.
    public var plausible: ClosedRange<Double>?
    /// Above this a value is a physiological outlier.
    public var outlierAbove: Double?

    /// Creates limits.
    public init(
      detection: Double? = nil, plausible: ClosedRange<Double>? = nil, outlierAbove: Double? = nil
    ) {
      self.detection = detection
      self.plausible = plausible
      self.outlierAbove = outlierAbove
    }
  }

  /// Bounds of the waking-sample delay bins in minutes: <= 3 none, 3-6 short, 6-15
  /// moderate, > 15 high (Smyth 2013, 2016).
  public var wakingDelayBins: [Double] = [3, 6, 15]
  /// A waking sample later than this (minutes) is not adherent.
  public var wakingAdherence: Double = 5
  /// The CAR sampling schedule, minutes after waking.
  public var carSchedule: [Double] = [0, 15, 30, 45, 60]
  /// A CAR sample further than this (minutes) from its scheduled time is off schedule.
  public var carTolerance: Double = 5
  /// Limits by `analyte/specimen` (e.g. `cortisol/saliva`); published cleaning scripts:
  /// salivary cortisol below 0.75 nmol/L below detection, outside 0.33-82.8 left out of
  /// the rhythm features, above 70 a physiological outlier. Other analytes have no fixed
  /// numbers: none by default.
  public var limits: [String: Limits] = [
    "cortisol/saliva": Limits(detection: 0.75, plausible: 0.33...82.8, outlierAbove: 70)
  ]
  /// A value is a suspected unit mix-up when it is this many times off the median of the
  /// subject's comparable values of the analyte (at least two, taken within
  /// ``unitMixupWindow`` of it in time since waking, as cortisol falls tenfold over a day),
  /// and close to that median once read in the other common unit. For analytes whose two
  /// units differ by a factor F under 14 (ACTH 4.5, estradiol 3.7, free T4 12.9) the
  /// ratio is lowered to 0.7 F and "close" is within the smaller of 2 and sqrt(F); analytes whose
  /// units differ by less than 2 (free T3, 1.536) or not at all (TSH, LH, FSH) are not
  /// screened.
  public var unitMixupRatio: Double = 10
  /// Minutes either side in time since waking within which values are compared; also the
  /// minutes either side in clock time within which two values are "at the same time of
  /// day" for the pair rule (``unitMixupDays``).
  public var unitMixupWindow: Double = 90
  /// A value with fewer than two comparable others is still compared with one taken at
  /// the same time of day (``unitMixupWindow``) within this many days of it: one pair is
  /// enough to see a unit factor. No published rule; a setting.
  public var unitMixupDays: Double = 7
  /// Upper bounds by `analyte/specimen` beyond which a value is physiologically impossible
  /// (Methods: Plausibility bounds), in the canonical unit. Every analyte has one for every
  /// specimen; `screens.impossible_above` changes single entries.
  public var impossibleAbove: [String: Double] = PlausibilityBounds.defaults
  /// A sample this many minutes or more before waking (a negative time since waking) is
  /// flagged `before-waking`: a protocol's pre-waking sample is minutes before, not hours,
  /// and hours point to a wrong day or a wrong waking time.
  public var minimumMinutesSinceWaking: Double = -120

  /// The defaults above.
  public init() {}
}

/// Applies the screens to normalized samples.
struct SampleScreens {
  let settings: ScreenSettings

  /// The common alternative unit of each analyte, as the factor between it and the canonical unit.
  static let alternativeFactor: [Analyte: (factor: Double, unit: String)] = [
    .cortisol: (27.59, "ug/dL"), .freeCortisol: (27.59, "ug/dL"), .acth: (0.2202, "pg/mL"),
    .freeT4: (12.87, "ng/dL"),
    .freeT3: (1.536, "pg/mL"), .testosterone: (0.03467, "ng/dL"), .estradiol: (3.671, "pg/mL"),
    .dheas: (0.02714, "ug/dL"),
  ]

  /// ``alternativeFactor`` by the analyte's place among its cases (looked up per sample).
  private static let alternatives = Analyte.allCases.map { alternativeFactor[$0] }

  /// A value for each analyte and specimen, worked out once from their `analyte/specimen`
  /// key and then found by the cases' places, without hashing a text per sample.
  private struct KindTable<Value> {
    private var values = [Value?](
      repeating: nil, count: Analyte.allCases.count * Specimen.allCases.count)

    mutating func value(
      _ analyte: Analyte, _ specimen: Specimen, _ make: (String) -> Value
    ) -> Value {
      let index = Int(analyte.caseCode) * Specimen.allCases.count + Int(specimen.caseCode)
      if let known = values[index] { return known }
      let made = make("\(analyte.rawValue)/\(specimen.rawValue)")
      values[index] = made
      return made
    }
  }

  /// Applies every screen. `subjects`: each sample's subject by number
  /// (``SubjectNumbers``), or `nil` to number them here.
  func apply(_ samples: inout [NormalizedSample], subjects given: [Int32]? = nil) {
    let subjects =
      given
      ?? {
        var numbers = SubjectNumbers()
        return samples.map { Int32(numbers.number($0.sample.subjectID)) }
      }()
    // Impossible values first: they would skew the medians the mix-up screen compares
    // with. Then mix-ups: a value written in the wrong unit can look below detection.
    impossible(&samples)
    unitMixups(&samples, subjects)
    limits(&samples)
    wakingDelay(&samples, subjects)
    schedule(&samples)
    beforeWaking(&samples)
  }

  private func limits(_ samples: inout [NormalizedSample]) {
    var table = KindTable<(key: String, limits: ScreenSettings.Limits?)>()
    for index in samples.indices {
      let sample = samples[index]
      let (key, found) = table.value(sample.sample.analyte, sample.sample.specimen) {
        ($0, settings.limits[$0])
      }
      guard let limits = found else { continue }
      let value = sample.value.value
      let unit = sample.value.unit.ucum
      // An impossible value has its own flag already (and no outlier flag on top).
      if sample.flags.contains(where: { $0.code == "implausible" }) { continue }
      // Detection first: a value under the detection limit is censored there, whatever a
      // cleaning range says of it (one true level, one treatment).
      let belowDetection =
        limits.detection.map {
          value < $0 || sample.value.censoring == .below || sample.value.censoring == .atOrBelow
        } ?? false
      if belowDetection, let detection = limits.detection {
        // As if the lab had written "<limit" (the value as written stays on the sample).
        var message =
          "\(sample.value.censoring.rawValue)\(format(value)) \(unit) < \(format(detection)) \(unit) (detection limit for \(key))"
        if sample.value.censoring == .none,
          !sample.flags.contains(where: {
            $0.code == "suspected-unit-mixup" || $0.code == "possible-unit-mixup"
          })
        {
          samples[index].value = Quantity(
            value: detection, unit: sample.value.unit, censoring: .below)
          message += "; treated as <\(format(detection)), like a censored value"
        }
        samples[index].flags.append(SampleFlag(code: "below-detection", message: message))
      } else if let plausible = limits.plausible, !plausible.contains(value),
        sample.value.censoring == .none
      {
        samples[index].flags.append(
          SampleFlag(
            code: "outside-cleaning-range",
            message:
              "\(format(value)) \(unit) outside the data-cleaning range \(format(plausible.lowerBound))-\(format(plausible.upperBound)) \(unit) for \(key); left out of the rhythm features, still read by the clinical judgement"
          ))
      }
      if let above = limits.outlierAbove, value > above,
        limits.plausible.map({ $0.contains(value) }) ?? true
      {
        samples[index].flags.append(
          SampleFlag(
            code: "physiological-outlier",
            message: "\(format(value)) \(unit) > \(format(above)) \(unit) for \(key)"))
      }
    }
  }

  /// Values above their analyte's physiological bound in their specimen (Methods:
  /// Plausibility bounds): flagged `implausible`, with the unit in which the number as
  /// written would be a possible value. A censored `<x` is never impossible; `>x` is when
  /// x already is.
  private func impossible(_ samples: inout [NormalizedSample]) {
    var bounds = KindTable<Double?>()
    for index in samples.indices {
      let sample = samples[index]
      switch sample.value.censoring {
      case .below, .atOrBelow: continue
      case .none, .above, .atOrAbove: break
      }
      let bound = bounds.value(sample.sample.analyte, sample.sample.specimen) {
        settings.impossibleAbove[$0]
      }
      guard let bound, sample.value.value > bound else { continue }
      samples[index].flags.append(
        SampleFlag(code: "implausible", message: Self.impossibleMessage(sample, bound: bound)))
    }
  }

  /// "420 µg/dL = 11590 nmol/L is impossible for cortisol in serum (above 9000 nmol/L);
  /// read as nmol/L it would be 420 nmol/L".
  static func impossibleMessage(_ sample: NormalizedSample, bound: Double) -> String {
    let analyte = sample.sample.analyte
    let written = sample.sample.quantity
    let canonical = sample.value
    let unit = canonical.unit.display
    let sign = canonical.censoring.rawValue
    var text = "\(sign)\(significant(written.value)) \(written.unit.display)"
    if written.unit != canonical.unit {
      text += " = \(sign)\(significant(canonical.value)) \(unit)"
    }
    text +=
      " is impossible for \(analyte.rawValue) in \(sample.sample.specimen.rawValue) (above \(significant(bound)) \(unit), Methods: Plausibility bounds)"
    if let (other, reading) = fittingReading(written, of: analyte, below: bound) {
      text +=
        "; read as \(other.display) it would be \(sign)\(significant(reading)) \(unit), a possible value: check the unit"
    } else {
      text += "; neither \(analyte.rawValue) unit in common use makes it possible: check the value"
    }
    return text + "; left out of features and findings"
  }

  /// The unit next to the one written in which the number as written is a possible value,
  /// and that value in the canonical unit: the canonical unit when another was written,
  /// else the analyte's common other unit.
  static func fittingReading(_ written: Quantity, of analyte: Analyte, below bound: Double)
    -> (LabUnit, Double)?
  {
    let alternative = UnitConverter.units(of: analyte).first {
      $0 != analyte.canonicalUnit
        && UnitConverter.factor(from: $0, to: analyte) == alternativeFactor[analyte]?.factor
    }
    let writtenFactor = UnitConverter.factor(from: written.unit, to: analyte)
    for unit in [analyte.canonicalUnit, alternative].compactMap({ $0 }) where unit != written.unit {
      guard let factor = UnitConverter.factor(from: unit, to: analyte), factor != writtenFactor
      else { continue }
      let reading = written.value * factor
      if reading > 0, reading <= bound { return (unit, reading) }
    }
    return nil
  }

  /// Whether a sample lies outside the range its lab reported with it; `nil` without one.
  static func outsideLabRange(_ sample: NormalizedSample) -> Bool? {
    guard let range = sample.sample.referenceRange else { return nil }
    let written = sample.sample.quantity
    var value = written.value
    var scale = 1.0
    if let unit = range.unit, unit != written.unit {
      guard let factor = UnitConverter.factor(from: unit, to: sample.sample.analyte) else {
        return nil
      }
      value = sample.value.value
      scale = factor
    }
    if let low = range.low, value < low * scale { return true }
    if let high = range.high, value > high * scale { return true }
    return range.low == nil && range.high == nil ? nil : false
  }

  /// Whether a sample is salivary cortisol, the only kind the CAR protocol screens apply to.
  private static func isSalivaryCortisol(_ sample: NormalizedSample) -> Bool {
    sample.sample.analyte == .cortisol && sample.sample.specimen == .saliva
  }

  /// The first salivary cortisol sample of each subject-day: how long after waking it was
  /// taken (Smyth 2013, 2016). When the waking was taken from a sample itself (an
  /// awakening-labelled sample, or the first sample standing in), the delay is unknown.
  private func wakingDelay(_ samples: inout [NormalizedSample], _ subjects: [Int32]) {
    // The days' samples by one sort of their places (subject, day, then read order), not a
    // dictionary of days: each day's first sample is the earliest, the first read on a tie.
    var places: [(subject: Int32, day: Int, index: Int)] = []
    for index in samples.indices where Self.isSalivaryCortisol(samples[index]) {
      guard let position = samples[index].circadian else { continue }
      places.append((subjects[index], position.day, index))
    }
    places.sort { ($0.subject, $0.day, $0.index) < ($1.subject, $1.day, $1.index) }
    var firstOfDay: [Int] = []
    var start = 0
    while start < places.count {
      var first = places[start].index
      var end = start + 1
      while end < places.count, places[end].subject == places[start].subject,
        places[end].day == places[start].day
      {
        // As a scan in read order keeps the sample it has unless this one is earlier.
        let index = places[end].index
        if !(samples[first].circadian!.minutesSinceWaking
          <= samples[index].circadian!.minutesSinceWaking)
        {
          first = index
        }
        end += 1
      }
      firstOfDay.append(first)
      start = end
    }
    let bins = settings.wakingDelayBins
    guard bins.count == 3 else { return }
    // A cohort's waking delays are few: each delay's flag is written once.
    var flags: [UInt64: SampleFlag] = [:]
    for index in firstOfDay {
      let position = samples[index].circadian!
      let delay = position.minutesSinceWaking
      guard delay >= 0, delay <= 120 else { continue }  // not a waking sample
      if position.wakeSource == .awakeningSample || position.wakeSource == .firstSampleEstimated {
        samples[index].flags.append(
          SampleFlag(
            code: "waking-delay-unknown",
            message:
              "the waking time was taken from a sample (\(position.wakeSource.rawValue)), so the sampling delay after waking is unknown, not zero (Stalder et al. 2016)"
          ))
        continue
      }
      if let known = flags[delay.bitPattern] {
        samples[index].flags.append(known)
        continue
      }
      let (bin, range): (String, String) =
        delay <= bins[0]
        ? ("none", "<= \(format(bins[0]))")
        : delay <= bins[1]
          ? ("short", "\(format(bins[0]))-\(format(bins[1]))")
          : delay <= bins[2]
            ? ("moderate", "\(format(bins[1]))-\(format(bins[2]))")
            : ("high", "> \(format(bins[2]))")
      var message = "waking sample \(format(delay)) min after waking: delay \(bin) (\(range) min)"
      if delay > settings.wakingAdherence {
        message += "; not adherent (> \(format(settings.wakingAdherence)) min)"
      }
      let flag = SampleFlag(code: "waking-delay-\(bin)", message: message)
      flags[delay.bitPattern] = flag
      samples[index].flags.append(flag)
    }
  }

  /// Salivary cortisol CAR samples further from their scheduled time than the tolerance.
  private func schedule(_ samples: inout [NormalizedSample]) {
    guard let last = settings.carSchedule.max() else { return }
    for index in samples.indices {
      guard let position = samples[index].circadian, position.wakeSource != .firstSampleEstimated,
        Self.isSalivaryCortisol(samples[index])
      else { continue }
      let minutes = position.minutesSinceWaking
      guard minutes >= 0, minutes <= last + settings.carTolerance else { continue }
      let nearest = settings.carSchedule.min { abs($0 - minutes) < abs($1 - minutes) }!
      let gap = abs(nearest - minutes)
      guard gap > settings.carTolerance else { continue }
      samples[index].flags.append(
        SampleFlag(
          code: "off-schedule",
          message:
            "CAR sample at +\(format(minutes)) min, \(format(gap)) min from the scheduled +\(format(nearest)) (tolerance \(format(settings.carTolerance)) min)"
        ))
    }
  }

  /// Samples long before the waking that starts their day.
  private func beforeWaking(_ samples: inout [NormalizedSample]) {
    let bound = settings.minimumMinutesSinceWaking
    for index in samples.indices {
      guard let minutes = samples[index].circadian?.minutesSinceWaking, minutes < bound else {
        continue
      }
      samples[index].flags.append(
        SampleFlag(
          code: "before-waking",
          message:
            "\(format(minutes)) min since waking, before \(format(bound)) (normalize.screens.min_minutes_since_waking): check the day and the waking time"
        ))
    }
  }

  /// Values that fit the subject's others only when read in the other common unit: against
  /// the median of at least two comparable others, or, where there are fewer, against one
  /// value taken at the same time of day within a few days (the pair rule). A pair alone
  /// cannot say which of its two values is the odd one: the lab's reference ranges decide,
  /// and where they do not, both are flagged.
  private func unitMixups(_ samples: inout [NormalizedSample], _ subjects: [Int32]) {
    // Results taken under other conditions (a note "after 1 mg dexamethasone", a test
    // name "60 min after Synacthen") are meant to differ: a suppressed cortisol of 16
    // nmol/L the morning after a 450 is the test working, not a unit. A group is a subject's
    // results of one analyte, specimen and conditions.
    // The groups by one sort of their samples' places, not a dictionary of groups: each
    // group's conditions are numbered (most are none), the places sorted by group, then
    // read order.
    var conditionNumbers: [String: Int32] = ["": 0]
    var places: [(subject: Int32, kind: Int32, conditions: Int32, index: Int)] = []
    for index in samples.indices where samples[index].value.censoring == .none {
      let sample = samples[index].sample
      guard Self.alternatives[Int(sample.analyte.caseCode)] != nil,
        !samples[index].flags.contains(where: { $0.code == "implausible" })
      else { continue }
      let text = Self.conditions(sample)
      let conditions: Int32
      if text.isEmpty {
        conditions = 0
      } else if let known = conditionNumbers[text] {
        conditions = known
      } else {
        conditions = Int32(conditionNumbers.count)
        conditionNumbers[text] = conditions
      }
      let kind = Int32(sample.analyte.caseCode) << 8 | Int32(sample.specimen.caseCode)
      places.append((subjects[index], kind, conditions, index))
    }
    places.sort {
      ($0.subject, $0.kind, $0.conditions, $0.index) < (
        $1.subject, $1.kind, $1.conditions, $1.index
      )
    }
    var indices: [Int] = []
    var start = 0
    while start < places.count {
      indices.removeAll(keepingCapacity: true)
      var end = start
      while end < places.count, places[end].subject == places[start].subject,
        places[end].kind == places[start].kind, places[end].conditions == places[start].conditions
      {
        indices.append(places[end].index)
        end += 1
      }
      start = end
      guard indices.count >= 2 else { continue }
      let values = indices.map { samples[$0].value.value }
      let alternative = Self.alternatives[Int(samples[indices[0]].sample.analyte.caseCode)]!
      let spread = max(alternative.factor, 1 / alternative.factor)
      guard spread >= 2 else { continue }
      let ratio = min(settings.unitMixupRatio, spread / 2.0.squareRoot())
      let closeness = min(2, spread.squareRoot())
      /// The other-unit reading of `value` that lies close to `reference`, when `value` is
      /// far enough off it; with how far off.
      func misfit(_ value: Double, against reference: Double) -> (off: Double, fitting: Double)? {
        guard reference > 0, value > 0 else { return nil }
        let off = max(value / reference, reference / value)
        guard off >= ratio else { return nil }
        // Read in the other unit: multiplied (value was in the alternative unit but
        // labelled canonical) or divided (the other way round).
        let candidates = [value * alternative.factor, value / alternative.factor]
        guard
          let fitting = candidates.first(where: { max($0 / reference, reference / $0) <= closeness }
          )
        else { return nil }
        return (off, fitting)
      }
      let medians =
        indices.count >= 3
        ? Self.mediansOfOthers(
          values: values, minutes: indices.map { samples[$0].circadian?.minutesSinceWaking },
          window: settings.unitMixupWindow)
        : [Double?](repeating: nil, count: indices.count)
      var flagged = Set<Int>()
      for (position, index) in indices.enumerated() {
        guard let median = medians[position],
          let (off, fitting) = misfit(values[position], against: median)
        else { continue }
        let unit = samples[index].value.unit.display
        samples[index].flags.append(
          SampleFlag(
            code: "suspected-unit-mixup",
            message:
              "\(Self.written(samples[index])) is \(format((off * 10).rounded() / 10))x off (>= \(format(ratio))) the median \(Self.significant(median)) \(unit) of this subject's comparable values; read with the \(LabUnit(rawValue: alternative.unit)?.display ?? alternative.unit) factor \(format(alternative.factor)) it would be \(Self.significant(fitting)) \(unit)"
          ))
        flagged.insert(position)
      }
      // The pair rule, for values the medians could not judge. Two values alone cannot
      // tell a unit from a dexamethasone test, a cure or a new treatment, which look the
      // same: the flag is a caution on the value, which is still judged. Only for units at
      // least 10 apart (below, a day's or a cycle's variation is as large), and never on
      // the same day (a stimulation test) or for a value inside its own lab range.
      guard spread >= 10 else { continue }
      let clock = indices.map { samples[$0].collected?.local }
      func partners(of position: Int) -> [Int] {
        guard let mine = clock[position] else { return [] }
        return indices.indices.filter { other in
          guard other != position, !flagged.contains(other), let theirs = clock[other],
            (theirs.year, theirs.month, theirs.day) != (mine.year, mine.month, mine.day)
          else { return false }
          let apart = abs(theirs.secondsSinceEpochWallClock - mine.secondsSinceEpochWallClock)
          var minutes = abs(theirs.hourOfDay - mine.hourOfDay) * 60
          minutes = min(minutes, 1440 - minutes)
          return apart <= settings.unitMixupDays * 86_400 && minutes <= settings.unitMixupWindow
        }
      }
      for position in indices.indices where medians[position] == nil {
        guard !flagged.contains(position) else { continue }
        let others = partners(of: position)
        guard !others.isEmpty else { continue }
        let reference = Self.median(of: others.map { values[$0] })
        guard let (off, fitting) = misfit(values[position], against: reference),
          Self.outsideLabRange(samples[indices[position]]) != false
        else { continue }
        let unit = samples[indices[position]].value.unit.display
        let theirs =
          others.count == 1
          ? "the \(Self.significant(values[others[0]])) \(unit) of \(clock[others[0]]!)"
          : "the median \(Self.significant(reference)) \(unit) of \(others.count) values"
        samples[indices[position]].flags.append(
          SampleFlag(
            code: "possible-unit-mixup",
            message:
              "\(Self.written(samples[indices[position]])) and \(theirs) (same time of day within \(format(settings.unitMixupDays)) days) differ \(NumberText.significant(off, 3))-fold, about the \(LabUnit(rawValue: alternative.unit)?.display ?? alternative.unit) factor \(format(alternative.factor)): one may be in the wrong unit (read in the other unit it would be \(Self.significant(fitting)) \(unit)); judged as written, with this caution"
          ))
      }
    }
  }

  /// A value as the lab wrote it, with its canonical value when the unit differs:
  /// `0.58 µg/dL (16 nmol/L)`, `16 nmol/L`.
  static func written(_ sample: NormalizedSample) -> String {
    let written = sample.sample.quantity
    let sign = written.censoring.rawValue
    var text = "\(sign)\(significant(written.value)) \(written.unit.display)"
    if written.unit != sample.value.unit {
      text += " (\(sign)\(significant(sample.value.value)) \(sample.value.unit.display))"
    }
    return text
  }

  /// Four significant digits: `11590`, `420`, `17.34`.
  static func significant(_ value: Double) -> String { NumberText.significant(value, 4) }

  /// What a result's conditions are, for comparing like with like: its notes (comment,
  /// test name), and for blood also its label and test code ("post-dex", a local code of a
  /// suppression test). Salivary labels name a day's protocol slots (S1, +30), not
  /// conditions.
  private static func conditions(_ sample: Sample) -> String {
    let notes = sample.attributes.isEmpty ? "" : sample.conditions
    guard sample.specimen != .saliva else { return notes }
    return "\(sample.label?.lowercased() ?? "")|\(sample.testCode ?? "")|\(notes)"
  }

  /// The median of values in any order (at least one).
  private static func median(of values: [Double]) -> Double {
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
  }

  /// For each value, the median of the other values it is compared with: those within
  /// `window` minutes of it in time since waking, or, for a value without a place in the day,
  /// all the others (a value with one is not compared with those without). Nil where fewer
  /// than two. The windows slide over the values sorted by time, so a subject with many
  /// samples costs n log n plus the window's moves, not n squared.
  static func mediansOfOthers(values: [Double], minutes: [Double?], window: Double) -> [Double?] {
    var medians = [Double?](repeating: nil, count: values.count)
    let untimed = values.indices.filter { minutes[$0] == nil }
    if !untimed.isEmpty {
      let all = values.sorted()
      for position in untimed { medians[position] = medianExcluding(values[position], in: all) }
    }
    let timed = values.indices.filter { minutes[$0].map { !$0.isNaN } ?? false }
      .sorted { minutes[$0]! < minutes[$1]! }
    var inWindow: [Double] = []
    var lower = 0
    var upper = 0
    for position in timed {
      let mine = minutes[position]!
      // The same test as |theirs - mine| <= window, from each side.
      while upper < timed.count, minutes[timed[upper]]! - mine <= window {
        let value = values[timed[upper]]
        inWindow.insert(value, at: lowerBound(value, in: inWindow))
        upper += 1
      }
      while lower < upper, mine - minutes[timed[lower]]! > window {
        inWindow.remove(at: lowerBound(values[timed[lower]], in: inWindow))
        lower += 1
      }
      medians[position] = medianExcluding(values[position], in: inWindow)
    }
    return medians
  }

  /// The median of sorted values without one occurrence of `value` (which they hold).
  private static func medianExcluding(_ value: Double, in sorted: [Double]) -> Double? {
    let count = sorted.count - 1
    guard count >= 2 else { return nil }
    let skipped = lowerBound(value, in: sorted)
    func element(_ rank: Int) -> Double { sorted[rank < skipped ? rank : rank + 1] }
    let middle = count / 2
    return count % 2 == 1 ? element(middle) : (element(middle - 1) + element(middle)) / 2
  }

  /// The first index of sorted values not below `value`.
  private static func lowerBound(_ value: Double, in sorted: [Double]) -> Int {
    var low = 0
    var high = sorted.count
    while low < high {
      let middle = (low + high) / 2
      if sorted[middle] < value { low = middle + 1 } else { high = middle }
    }
    return low
  }

  private func format(_ value: Double) -> String { NumberText.short(value) }
}
