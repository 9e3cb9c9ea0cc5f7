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

  /// A value for each analyte and specimen (a ``ScreenColumns/kind``), worked out once from
  /// their `analyte/specimen` key and then found by the kind's number, without hashing a
  /// text per sample.
  private struct KindTable<Value> {
    private var values = [Value?](repeating: nil, count: ScreenColumns.kinds)

    mutating func value(_ kind: Int32, _ make: (String) -> Value) -> Value {
      if let known = values[Int(kind)] { return known }
      let made = make(ScreenColumns.key(kind))
      values[Int(kind)] = made
      return made
    }
  }

  /// Applies every screen. `subjects`: each sample's subject by number
  /// (``SubjectNumbers``), or `nil` to number them here.
  ///
  /// The screens read the fields they compare from ``ScreenColumns``, taken from the
  /// samples in one pass; a sample itself is touched only to flag it (or to censor a value
  /// below detection).
  func apply(_ samples: inout [NormalizedSample], subjects given: [Int32]? = nil) {
    let subjects =
      given
      ?? {
        var numbers = SubjectNumbers()
        return samples.map { Int32(numbers.number($0.sample.subjectID)) }
      }()
    var columns = ScreenColumns(samples)
    // Impossible values first: they would skew the medians the mix-up screen compares
    // with. Then mix-ups: a value written in the wrong unit can look below detection.
    impossible(&samples, &columns)
    unitMixups(&samples, &columns, subjects)
    limits(&samples, &columns)
    wakingDelay(&samples, columns, subjects)
    schedule(&samples, columns)
    beforeWaking(&samples, columns)
  }

  private func limits(_ samples: inout [NormalizedSample], _ columns: inout ScreenColumns) {
    var table = KindTable<ScreenSettings.Limits?>()
    for index in columns.value.indices {
      let kind = columns.kind[index]
      guard let limits = table.value(kind, { settings.limits[$0] }) else { continue }
      // An impossible value has its own flag already (and no outlier flag on top).
      if columns.marks[index].contains(.implausible) { continue }
      let value = columns.value[index]
      let censoring = columns.censoring[index]
      // Detection first: a value under the detection limit is censored there, whatever a
      // cleaning range says of it (one true level, one treatment).
      let belowDetection =
        limits.detection.map {
          value < $0 || censoring == .below || censoring == .atOrBelow
        } ?? false
      if belowDetection, let detection = limits.detection {
        // As if the lab had written "<limit" (the value as written stays on the sample).
        let unit = samples[index].value.unit
        var message =
          "\(censoring.rawValue)\(format(value)) \(unit.ucum) < \(format(detection)) \(unit.ucum) (detection limit for \(ScreenColumns.key(kind)))"
        if censoring == .none, !columns.marks[index].contains(.mixup) {
          samples[index].value = Quantity(value: detection, unit: unit, censoring: .below)
          columns.value[index] = detection
          columns.censoring[index] = .below
          message += "; treated as <\(format(detection)), like a censored value"
        }
        samples[index].flags.append(SampleFlag(code: "below-detection", message: message))
      } else if let plausible = limits.plausible, !plausible.contains(value), censoring == .none {
        let unit = samples[index].value.unit.ucum
        samples[index].flags.append(
          SampleFlag(
            code: "outside-cleaning-range",
            message:
              "\(format(value)) \(unit) outside the data-cleaning range \(format(plausible.lowerBound))-\(format(plausible.upperBound)) \(unit) for \(ScreenColumns.key(kind)); left out of the rhythm features, still read by the clinical judgement"
          ))
      }
      if let above = limits.outlierAbove, value > above,
        limits.plausible.map({ $0.contains(value) }) ?? true
      {
        let unit = samples[index].value.unit.ucum
        samples[index].flags.append(
          SampleFlag(
            code: "physiological-outlier",
            message:
              "\(format(value)) \(unit) > \(format(above)) \(unit) for \(ScreenColumns.key(kind))"))
      }
    }
  }

  /// Values above their analyte's physiological bound in their specimen (Methods:
  /// Plausibility bounds): flagged `implausible`, with the unit in which the number as
  /// written would be a possible value. A censored `<x` is never impossible; `>x` is when
  /// x already is.
  private func impossible(_ samples: inout [NormalizedSample], _ columns: inout ScreenColumns) {
    var bounds = KindTable<Double?>()
    for index in columns.value.indices {
      switch columns.censoring[index] {
      case .below, .atOrBelow: continue
      case .none, .above, .atOrAbove: break
      }
      guard let bound = bounds.value(columns.kind[index], { settings.impossibleAbove[$0] }),
        columns.value[index] > bound
      else { continue }
      samples[index].flags.append(
        SampleFlag(
          code: "implausible", message: Self.impossibleMessage(samples[index], bound: bound)))
      columns.marks[index].insert(.implausible)
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

  /// The first salivary cortisol sample of each subject-day: how long after waking it was
  /// taken (Smyth 2013, 2016). When the waking was taken from a sample itself (an
  /// awakening-labelled sample, or the first sample standing in), the delay is unknown.
  private func wakingDelay(
    _ samples: inout [NormalizedSample], _ columns: ScreenColumns, _ subjects: [Int32]
  ) {
    // The days' samples by one sort of their places (subject, day, then read order), not a
    // dictionary of days: each day's first sample is the earliest, the first read on a tie.
    var places: [(subject: Int32, day: Int, index: Int)] = []
    for index in columns.value.indices
    where columns.kind[index] == ScreenColumns.salivaryCortisol && columns.wake[index] != nil {
      places.append((subjects[index], columns.day[index], index))
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
        if !(columns.minutes[first] <= columns.minutes[index]) { first = index }
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
      let delay = columns.minutes[index]
      // Not a waking sample.
      guard delay >= 0, delay <= 120, let source = columns.wake[index] else { continue }
      if source == .awakeningSample || source == .firstSampleEstimated {
        samples[index].flags.append(
          SampleFlag(
            code: "waking-delay-unknown",
            message:
              "the waking time was taken from a sample (\(source.rawValue)), so the sampling delay after waking is unknown, not zero (Stalder et al. 2016)"
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
  private func schedule(_ samples: inout [NormalizedSample], _ columns: ScreenColumns) {
    guard let last = settings.carSchedule.max() else { return }
    for index in columns.value.indices {
      guard let source = columns.wake[index], source != .firstSampleEstimated,
        columns.kind[index] == ScreenColumns.salivaryCortisol
      else { continue }
      let minutes = columns.minutes[index]
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
  private func beforeWaking(_ samples: inout [NormalizedSample], _ columns: ScreenColumns) {
    let bound = settings.minimumMinutesSinceWaking
    for index in columns.value.indices {
      guard columns.wake[index] != nil else { continue }
      let minutes = columns.minutes[index]
      guard minutes < bound else { continue }
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
  private func unitMixups(
    _ samples: inout [NormalizedSample], _ columns: inout ScreenColumns, _ subjects: [Int32]
  ) {
    // Results taken under other conditions (a note "after 1 mg dexamethasone", a test
    // name "60 min after Synacthen") are meant to differ: a suppressed cortisol of 16
    // nmol/L the morning after a 450 is the test working, not a unit. A group is a subject's
    // results of one analyte, specimen and conditions.
    // The groups by one sort of their samples' places, not a dictionary of groups: each
    // group's conditions are numbered (most are none), the places sorted by group, then
    // read order.
    var conditionNumbers: [String: Int32] = ["": 0]
    var places: [(subject: Int32, kind: Int32, conditions: Int32, index: Int)] = []
    for index in columns.value.indices where columns.censoring[index] == .none {
      let kind = columns.kind[index]
      guard Self.alternatives[ScreenColumns.analyte(kind)] != nil,
        !columns.marks[index].contains(.implausible)
      else { continue }
      let text = Self.conditions(samples[index].sample)
      let conditions: Int32
      if text.isEmpty {
        conditions = 0
      } else if let known = conditionNumbers[text] {
        conditions = known
      } else {
        conditions = Int32(conditionNumbers.count)
        conditionNumbers[text] = conditions
      }
      places.append((subjects[index], kind, conditions, index))
    }
    places.sort {
      ($0.subject, $0.kind, $0.conditions, $0.index) < (
        $1.subject, $1.kind, $1.conditions, $1.index
      )
    }
    // One group's places, values and times since waking, and the medians' buffers, reused
    // from group to group.
    var indices: [Int] = []
    var values: [Double] = []
    var minutes: [Double?] = []
    var scratch = MedianScratch()
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
      let alternative = Self.alternatives[ScreenColumns.analyte(places[start - 1].kind)]!
      let spread = max(alternative.factor, 1 / alternative.factor)
      guard spread >= 2 else { continue }
      values.removeAll(keepingCapacity: true)
      for index in indices { values.append(columns.value[index]) }
      if indices.count >= 3 {
        minutes.removeAll(keepingCapacity: true)
        for index in indices {
          minutes.append(columns.wake[index] != nil ? columns.minutes[index] : nil)
        }
        Self.mediansOfOthers(
          values: values, minutes: minutes, window: settings.unitMixupWindow, into: &scratch)
      } else {
        scratch.medians.removeAll(keepingCapacity: true)
        scratch.medians.append(contentsOf: repeatElement(nil, count: indices.count))
      }
      judgeGroup(indices, values, scratch.medians, alternative, spread, &samples, &columns)
    }
  }

  /// Flags the values of one group (``unitMixups(_:_:_:)``) that are off its medians
  /// (`medians`, by position), then, where a value has no median, off a value at the same
  /// time of day: `spread` is the larger of the alternative unit's factor and its inverse.
  private func judgeGroup(
    _ indices: [Int], _ values: [Double], _ medians: [Double?],
    _ alternative: (factor: Double, unit: String), _ spread: Double,
    _ samples: inout [NormalizedSample], _ columns: inout ScreenColumns
  ) {
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
      func near(_ reading: Double) -> Bool {
        max(reading / reference, reference / reading) <= closeness
      }
      let multiplied = value * alternative.factor
      if near(multiplied) { return (off, multiplied) }
      let divided = value / alternative.factor
      return near(divided) ? (off, divided) : nil
    }
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
      columns.marks[index].insert(.mixup)
      flagged.insert(position)
    }
    // The pair rule, for values the medians could not judge. Two values alone cannot
    // tell a unit from a dexamethasone test, a cure or a new treatment, which look the
    // same: the flag is a caution on the value, which is still judged. Only for units at
    // least 10 apart (below, a day's or a cycle's variation is as large), and never on
    // the same day (a stimulation test) or for a value inside its own lab range.
    guard spread >= 10,
      medians.indices.contains(where: { medians[$0] == nil && !flagged.contains($0) })
    else { return }
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
      columns.marks[indices[position]].insert(.mixup)
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
    var scratch = MedianScratch()
    mediansOfOthers(values: values, minutes: minutes, window: window, into: &scratch)
    return scratch.medians
  }

  /// The buffers of ``mediansOfOthers(values:minutes:window:into:)``, reused from group to
  /// group: the medians come out in ``medians``.
  struct MedianScratch {
    var medians: [Double?] = []
    fileprivate var sorted: [Double] = []
    /// The timed values' times and places, in time order.
    fileprivate var timed: [(minutes: Double, position: Int)] = []
    fileprivate var inWindow: [Double] = []
  }

  /// ``mediansOfOthers(values:minutes:window:)`` into `scratch.medians`, with no array
  /// allocated once the buffers have grown to the largest group.
  static func mediansOfOthers(
    values: [Double], minutes: [Double?], window: Double, into scratch: inout MedianScratch
  ) {
    scratch.medians.removeAll(keepingCapacity: true)
    scratch.medians.append(contentsOf: repeatElement(nil, count: values.count))
    scratch.timed.removeAll(keepingCapacity: true)
    var untimed = false
    for position in values.indices {
      if let mine = minutes[position] {
        if !mine.isNaN { scratch.timed.append((mine, position)) }
      } else {
        untimed = true
      }
    }
    if untimed {
      scratch.sorted.removeAll(keepingCapacity: true)
      scratch.sorted.append(contentsOf: values)
      scratch.sorted.sort()
      for position in values.indices where minutes[position] == nil {
        scratch.medians[position] = medianExcluding(values[position], in: scratch.sorted)
      }
    }
    // By time; the order of equal times changes no window (they come in and go out
    // together).
    scratch.timed.sort { $0.minutes < $1.minutes }
    scratch.inWindow.removeAll(keepingCapacity: true)
    var lower = 0
    var upper = 0
    let timed = scratch.timed
    for (mine, position) in timed {
      // The same test as |theirs - mine| <= window, from each side.
      while upper < timed.count, timed[upper].minutes - mine <= window {
        let value = values[timed[upper].position]
        scratch.inWindow.insert(value, at: lowerBound(value, in: scratch.inWindow))
        upper += 1
      }
      while lower < upper, mine - timed[lower].minutes > window {
        let value = values[timed[lower].position]
        scratch.inWindow.remove(at: lowerBound(value, in: scratch.inWindow))
        lower += 1
      }
      scratch.medians[position] = medianExcluding(values[position], in: scratch.inWindow)
    }
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

/// The fields the screens compare, one array each, taken from normalized samples in one
/// pass (``SampleScreens/apply(_:subjects:)``): a screen then reads numbers in order instead
/// of following each sample's references.
struct ScreenColumns {
  /// Flags a screen raised that a later screen asks about, one bit each.
  struct Marks: OptionSet {
    let rawValue: UInt8
    /// `implausible`.
    static let implausible = Marks(rawValue: 1)
    /// `suspected-unit-mixup` or `possible-unit-mixup`.
    static let mixup = Marks(rawValue: 2)
  }

  /// The analyte and specimen as one number, `analyte * specimens + specimen` (their
  /// places among their cases).
  var kind: [Int32] = []
  /// The value in the canonical unit, and its censoring.
  var value: [Double] = []
  var censoring: [Censoring] = []
  /// Minutes since waking, the day, and where the waking came from: `wake` is nil for a
  /// sample not placed in a day (its minutes and day are then 0).
  var minutes: [Double] = []
  var day: [Int] = []
  var wake: [WakeSource?] = []
  var marks: [Marks] = []

  /// The number of kinds.
  static let kinds = Analyte.allCases.count * Specimen.allCases.count
  /// Salivary cortisol's kind, the only one the CAR protocol screens apply to.
  static let salivaryCortisol = kind(.cortisol, .saliva)

  /// The kind of an analyte in a specimen.
  static func kind(_ analyte: Analyte, _ specimen: Specimen) -> Int32 {
    Int32(analyte.caseCode) * Int32(Specimen.allCases.count) + Int32(specimen.caseCode)
  }

  /// The analyte's place among its cases.
  static func analyte(_ kind: Int32) -> Int { Int(kind) / Specimen.allCases.count }

  /// The settings' key of a kind: `analyte/specimen`.
  static func key(_ kind: Int32) -> String {
    let analyte = Analyte.allCases[Self.analyte(kind)]
    let specimen = Specimen.allCases[Int(kind) % Specimen.allCases.count]
    return "\(analyte.rawValue)/\(specimen.rawValue)"
  }

  /// The columns of `samples`, with the marks of the flags they already carry.
  init(_ samples: [NormalizedSample]) {
    kind.reserveCapacity(samples.count)
    value.reserveCapacity(samples.count)
    censoring.reserveCapacity(samples.count)
    minutes.reserveCapacity(samples.count)
    day.reserveCapacity(samples.count)
    wake.reserveCapacity(samples.count)
    marks.reserveCapacity(samples.count)
    for sample in samples {
      kind.append(Self.kind(sample.sample.analyte, sample.sample.specimen))
      value.append(sample.value.value)
      censoring.append(sample.value.censoring)
      let position = sample.circadian
      minutes.append(position?.minutesSinceWaking ?? 0)
      day.append(position?.day ?? 0)
      wake.append(position?.wakeSource)
      var marked: Marks = []
      for flag in sample.flags {
        switch flag.code {
        case "implausible": marked.insert(.implausible)
        case "suspected-unit-mixup", "possible-unit-mixup": marked.insert(.mixup)
        default: break
        }
      }
      marks.append(marked)
    }
  }
}
