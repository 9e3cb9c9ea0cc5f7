/// Reads `settings.analyze` of a pipeline file into ``AnalyzerSettings``; every key is
/// checked, and a mistake is reported with its line and key path.
enum AnalyzerSettingsLoader {
  static func settings(_ node: ConfigNode) -> AnalyzerSettings {
    var settings = AnalyzerSettings()
    let keys = [
      "specimens", "exclude_flags", "censored", AwakeningResponseAnalyzer.identifier,
      ResponseAnalyzer.identifier, DiurnalSlopeAnalyzer.identifier, CosinorAnalyzer.identifier,
      FlattenedSlopeAnalyzer.identifier, "feedback",
    ]
    guard let map = node.mapping(allowed: keys) else { return settings }
    if let specimens = map["specimens"]?.specimens() { settings.specimens = specimens }
    if let flags = map["exclude_flags"]?.strings() { settings.excludeFlags = Set(flags) }
    if let policy = map["censored"]?.choice(AnalyzerSettings.CensoredPolicy.self) {
      settings.censored = policy
    }
    if let car = map[AwakeningResponseAnalyzer.identifier]?.mapping(allowed: [
      "window_minutes", "min_samples", "max_waking_delay_minutes", "require_known_wake",
      "refuse_off_schedule", "tolerance_minutes",
    ]) {
      set(&settings.car.windowMinutes, car["window_minutes"], positive: true)
      set(&settings.car.minimumSamples, car["min_samples"], least: 2)
      set(&settings.car.maximumWakingDelayMinutes, car["max_waking_delay_minutes"])
      if let value = car["require_known_wake"]?.bool() { settings.car.requireKnownWake = value }
      if let value = car["refuse_off_schedule"]?.bool() { settings.car.refuseOffSchedule = value }
      set(&settings.car.toleranceMinutes, car["tolerance_minutes"])
    }
    if let response = map[ResponseAnalyzer.identifier]?.mapping(allowed: [
      "anchor", "slopes", "remove_first",
    ]) {
      if let anchor = response["anchor"]?.string() { settings.response.anchor = anchor }
      if let value = response["remove_first"]?.bool() { settings.response.removeFirst = value }
      if let slopes = response["slopes"], let pairs = slopes.sequence() {
        var parsed: [[String]] = []
        for pair in pairs {
          if let labels = pair.strings(), labels.count == 2 {
            parsed.append(labels)
          } else {
            pair.report("expected a pair of sample labels, e.g. [S1, S4]")
          }
        }
        settings.response.slopes = parsed
      }
    }
    if let slope = map[DiurnalSlopeAnalyzer.identifier]?.mapping(allowed: [
      "wake_sample_minutes", "peak_minutes", "peak_tolerance_minutes", "min_span_hours",
      "exclude_car", "min_samples",
    ]) {
      set(&settings.slope.wakeSampleMinutes, slope["wake_sample_minutes"])
      set(&settings.slope.peakMinutes, slope["peak_minutes"])
      set(&settings.slope.peakToleranceMinutes, slope["peak_tolerance_minutes"])
      set(&settings.slope.minimumSpanHours, slope["min_span_hours"])
      if let value = slope["exclude_car"]?.bool() {
        settings.slope.excludeAwakeningResponse = value
      }
      set(&settings.slope.minimumSamples, slope["min_samples"], least: 2)
    }
    if let cosinor = map[CosinorAnalyzer.identifier]?.mapping(allowed: [
      "period_hours", "min_samples", "min_coverage_hours", "confidence",
    ]) {
      set(&settings.cosinor.periodHours, cosinor["period_hours"], positive: true)
      set(&settings.cosinor.minimumSamples, cosinor["min_samples"], least: 3)
      set(&settings.cosinor.minimumCoverageHours, cosinor["min_coverage_hours"])
      if let entry = cosinor["confidence"], let value = entry.double() {
        if value > 0 && value < 1 {
          settings.cosinor.confidence = value
        } else {
          entry.report("expected a level between 0 and 1, e.g. 0.95")
        }
      }
    }
    if let flattened = map[FlattenedSlopeAnalyzer.identifier]?.mapping(allowed: [
      "threshold", "min_valid_days", "cohort", "z_score", "percentile", "cohort_min_subjects",
    ]) {
      if let value = flattened["threshold"]?.double() { settings.flattened.threshold = value }
      set(&settings.flattened.minimumValidDays, flattened["min_valid_days"], least: 1)
      if let rule = flattened["cohort"]?.choice(FlattenedSlopeSettings.CohortRule.self) {
        settings.flattened.cohort = rule
      }
      if let value = flattened["z_score"]?.double(in: 0..., strictly: true, "expected SDs above 0")
      {
        settings.flattened.zScore = value
      }
      if let entry = flattened["percentile"], let value = entry.double() {
        if value > 0 && value <= 100 {
          settings.flattened.percentile = value
        } else {
          entry.report("expected a percentile in (0, 100]")
        }
      }
      set(&settings.flattened.minimumCohortSubjects, flattened["cohort_min_subjects"], least: 2)
    }
    if let feedback = map["feedback"] { settings.feedback = feedbackSettings(feedback) }
    return settings
  }

  private static func feedbackSettings(_ node: ConfigNode) -> FeedbackSettings {
    var settings = FeedbackSettings()
    guard
      let map = node.mapping(allowed: [
        "pairing_window_hours", "acth_cortisol_window_hours", "dexamethasone_cutoff",
        "dexamethasone_saliva_cutoff", "dexamethasone_markers", "late_night_limit",
        "late_night_serum_limit", "morning_window", "late_night_window", "ranges",
        "documented_ranges",
        "sex_attributes", "birth_attributes", "age_attributes", "medication_attributes",
        "late_night_screen_nights", "acth_independent_below", "acth_dependent_above",
        "adrenal_insufficiency_below", "adrenal_insufficiency_unlikely_from",
        "testosterone_window", "testosterone_confirmations", "menopause_age",
        "premature_ovarian_insufficiency_before", "early_menopause_before",
      ])
    else { return settings }
    clockWindow(&settings.testosteroneWindow, map["testosterone_window"])
    set(&settings.testosteroneConfirmations, map["testosterone_confirmations"], least: 1)
    set(&settings.menopauseAge, map["menopause_age"], positive: true)
    set(
      &settings.prematureOvarianInsufficiencyBefore, map["premature_ovarian_insufficiency_before"],
      positive: true)
    set(&settings.earlyMenopauseBefore, map["early_menopause_before"], positive: true)
    set(&settings.lateNightScreenNights, map["late_night_screen_nights"], least: 1)
    set(&settings.acthIndependentBelow, map["acth_independent_below"], positive: true)
    set(&settings.acthDependentAbove, map["acth_dependent_above"], positive: true)
    set(&settings.adrenalInsufficiencyBelow, map["adrenal_insufficiency_below"], positive: true)
    set(
      &settings.adrenalInsufficiencyUnlikelyFrom, map["adrenal_insufficiency_unlikely_from"],
      positive: true)
    if settings.acthIndependentBelow > settings.acthDependentAbove {
      map["acth_independent_below"]?.report(
        "acth_independent_below must not be above acth_dependent_above")
    }
    if settings.adrenalInsufficiencyBelow > settings.adrenalInsufficiencyUnlikelyFrom {
      map["adrenal_insufficiency_below"]?.report(
        "adrenal_insufficiency_below must not be above adrenal_insufficiency_unlikely_from")
    }
    set(&settings.pairingWindowHours, map["pairing_window_hours"])
    set(&settings.acthCortisolWindowHours, map["acth_cortisol_window_hours"])
    set(&settings.dexamethasoneCutoff, map["dexamethasone_cutoff"], positive: true)
    set(&settings.lateNightLimit, map["late_night_limit"], positive: true)
    optional(&settings.lateNightSerumLimit, map["late_night_serum_limit"])
    optional(&settings.dexamethasoneSalivaCutoff, map["dexamethasone_saliva_cutoff"])
    clockWindow(&settings.morningWindow, map["morning_window"])
    clockWindow(&settings.lateNightWindow, map["late_night_window"])
    if let markers = map["dexamethasone_markers"]?.strings() {
      settings.dexamethasoneMarkers = markers
    }
    for (key, path) in [
      ("sex_attributes", \FeedbackSettings.sexAttributes), ("birth_attributes", \.birthAttributes),
      ("age_attributes", \.ageAttributes), ("medication_attributes", \.medicationAttributes),
    ] {
      if let names = map[key]?.strings() { settings[keyPath: path] = names.map { $0.lowercased() } }
    }
    var ranges: [FeedbackSettings.DefaultRange] = []
    for entry in map["ranges"]?.sequence() ?? [] {
      if let range = defaultRange(entry) { ranges.append(range) }
    }
    let documented = map["documented_ranges"]?.bool() ?? true
    settings.ranges = ranges + (documented ? FeedbackSettings.documentedRanges : [])
    return settings
  }

  /// `{analyte: tsh, specimens: [serum], sex: female, ages: [18, 50], low: 0.4, high: 4.0}`.
  private static func defaultRange(_ node: ConfigNode) -> FeedbackSettings.DefaultRange? {
    guard
      let map = node.mapping(allowed: [
        "analyte", "specimens", "sex", "ages", "low", "high", "source", "time_of_day",
      ]),
      let analyteNode = map.required("analyte"), let name = analyteNode.string()
    else { return nil }
    guard let analyte = Analyte(rawValue: name) else {
      analyteNode.report(
        "'\(name)' is not one of: \(Analyte.allCases.map(\.rawValue).joined(separator: ", "))")
      return nil
    }
    var range = FeedbackSettings.DefaultRange(
      analyte: analyte, low: map["low"]?.double(in: 0..., "expected a concentration, 0 or more"),
      high: map["high"]?.double(in: 0..., "expected a concentration, 0 or more"),
      source: map["source"]?.string() ?? "pipeline \(node.path)")
    if range.low == nil && range.high == nil { node.report("give low, high or both") }
    if let low = range.low, let high = range.high, low > high {
      node.report("low \(low) is above high \(high)")
    }
    range.specimens = map["specimens"]?.specimens()
    if let sex = map["sex"]?.choice(FeedbackSettings.Sex.self) { range.sex = sex }
    range.ages = map["ages"]?.closedRange(expected: "expected [from, to] in years")
    if let time = map["time_of_day"]?.choice(FeedbackSettings.TimeOfDay.self) {
      range.timeOfDay = time
    }
    return range
  }

  private static func set(_ target: inout Double, _ node: ConfigNode?, positive: Bool = false) {
    guard let node, let value = node.double() else { return }
    if value < 0 || (positive && value == 0) {
      node.report(positive ? "expected a number above 0" : "expected a number of 0 or more")
    } else {
      target = value
    }
  }

  /// A limit above 0, or `null` to turn the judgement off.
  private static func optional(_ target: inout Double?, _ node: ConfigNode?) {
    guard let node else { return }
    if case .scalar(let scalar) = node.node, ["null", "~", "none"].contains(scalar.string) {
      target = nil
      return
    }
    var value = 0.0
    set(&value, node, positive: true)
    if value > 0 { target = value }
  }

  /// `[from, to]` in clock hours: 7.5 is 07:30; a window past midnight ends after 24
  /// (`[23, 25]` is 23:00-01:00).
  private static func clockWindow(_ target: inout ClosedRange<Double>, _ node: ConfigNode?) {
    guard let node,
      let window = node.closedRange(expected: "expected [from, to] in clock hours, e.g. [7, 10]")
    else { return }
    guard window.lowerBound >= 0, window.lowerBound < 24, window.upperBound - window.lowerBound < 24
    else {
      node.report("expected [from, to] with from in 0..<24 and less than 24 hours between them")
      return
    }
    target = window
  }

  private static func set(_ target: inout Int, _ node: ConfigNode?, least: Int) {
    guard let node, let value = node.int() else { return }
    if value < least { node.report("expected \(least) or more") } else { target = value }
  }
}
