import Foundation

/// Reads each endocrine axis as a loop (analyzers `hpa_feedback`, `hpt_feedback`,
/// `hpg_feedback`, `dexamethasone_suppression`, `late_night_cortisol`): pairs the regulating
/// and the regulated hormone of a subject, judges both against their ranges, and says which
/// pattern of DOMAIN.md section 7 they fit, with the values, ranges, rule and context.
public struct FeedbackAnalyzer: Sendable {
  /// The settings.
  public var settings: FeedbackSettings
  /// Samples with one of these normalizer flags are left out (conflicts, implausible values).
  public var excludeFlags: Set<String>

  /// Creates the analyzer.
  public init(
    settings: FeedbackSettings = FeedbackSettings(),
    excludeFlags: Set<String> = AnalyzerSettings().excludeFlags
  ) {
    self.settings = settings
    self.excludeFlags = excludeFlags
  }

  /// The findings of every subject, by subject and time.
  public func analyze(_ samples: [NormalizedSample]) -> [Finding] {
    var bySubject: [String: [NormalizedSample]] = [:]
    for sample in samples where sample.sample.analyte != .dheas {
      guard !sample.flags.contains(where: { excludeFlags.contains($0.code) }) else { continue }
      bySubject[sample.sample.subjectID, default: []].append(sample)
    }
    var findings: [Finding] = []
    for subject in bySubject.keys.sorted() {
      findings += analyzeSubject(subject, bySubject[subject]!)
    }
    return findings
  }

  private func analyzeSubject(_ subject: String, _ samples: [NormalizedSample]) -> [Finding] {
    let context = SubjectContext(samples, settings: settings)
    let judge = ResultJudge(settings: settings)
    func judged(_ sample: NormalizedSample) -> JudgedResult {
      judge.judge(sample, sex: context.sex, age: context.age(at: sample.collected))
    }
    var findings: [Finding] = []
    func finding(
      _ axis: Axis, _ analyzer: String, _ pattern: String, _ severity: Finding.Severity,
      _ message: String, _ values: [JudgedResult], _ rule: String, time: CollectionTime?
    ) {
      findings.append(
        Finding(
          subjectID: subject, axis: axis, analyzer: analyzer, pattern: pattern,
          severity: severity, message: message, values: values, rule: rule, time: time,
          context: context.lines(for: axis, at: time)))
    }
    func of(_ analyte: Analyte) -> [NormalizedSample] {
      samples.filter { $0.sample.analyte == analyte }
    }
    let cortisol = of(.cortisol)
    let dexamethasone = cortisol.filter(isAfterDexamethasone)
    let lateNight = cortisol.filter { !isAfterDexamethasone($0) && isLateNight($0) }
    let serumCortisol = cortisol.filter {
      $0.sample.specimen != .saliva && !isAfterDexamethasone($0) && !isLateNight($0)
    }
    let window = settings.pairingWindowHours

    // HPA: ACTH x cortisol.
    let hpaPairs = pairs(
      regulated: serumCortisol, regulators: [of(.acth)], window: settings.acthCortisolWindowHours)
    for pair in hpaPairs {
      guard let acth = pair.regulators[0] else {
        unpaired(
          pair.regulated, partner: "ACTH", window: settings.acthCortisolWindowHours,
          setting: "acth_cortisol_window_hours", .hpa, "hpa_feedback", judged, finding)
        continue
      }
      let values = [judged(acth), judged(pair.regulated)]
      let pattern = FeedbackPatterns.hpa(acth: values[0].status, cortisol: values[1].status)
      grid(
        .hpa, "hpa_feedback", pattern, values, pair.hours, settings.acthCortisolWindowHours,
        "acth_cortisol_window_hours", pair.regulated.collected, finding)
    }
    for acth in unusedRegulators(of(.acth), in: hpaPairs) {
      unpaired(
        acth, partner: "cortisol", window: settings.acthCortisolWindowHours,
        setting: "acth_cortisol_window_hours", .hpa, "hpa_feedback", judged, finding)
    }

    // HPT: TSH x FT4, with FT3 where present.
    let ft3 = of(.freeT3)
    let hptPairs = pairs(regulated: of(.freeT4), regulators: [of(.tsh)], window: window)
    for pair in hptPairs {
      guard let tsh = pair.regulators[0] else {
        unpaired(
          pair.regulated, partner: "TSH", window: window, setting: "pairing_window_hours", .hpt,
          "hpt_feedback", judged, finding)
        continue
      }
      var values = [judged(tsh), judged(pair.regulated)]
      var pattern = FeedbackPatterns.hpt(tsh: values[0].status, ft4: values[1].status)
      if let t3 = nearest(to: pair.regulated, in: ft3, window: window) {
        values.append(judged(t3.sample))
        if pattern?.id == "subclinical-hyperthyroidism" && values[2].status == .high {
          pattern = FeedbackPatterns.Pattern(
            id: "t3-thyrotoxicosis", text: "T3 thyrotoxicosis: low TSH, FT4 within range, high FT3",
            severity: .marked)
        }
      }
      grid(
        .hpt, "hpt_feedback", pattern, values, pair.hours, window, "pairing_window_hours",
        pair.regulated.collected, finding)
      findings[findings.count - 1].indices = thyroidIndices(tsh: values[0], ft4: values[1])
    }
    for tsh in unusedRegulators(of(.tsh), in: hptPairs) {
      unpaired(
        tsh, partner: "FT4", window: window, setting: "pairing_window_hours", .hpt, "hpt_feedback",
        judged, finding)
    }

    // HPG: LH/FSH x testosterone, and x estradiol in women.
    var hormones = of(.testosterone)
    if context.sex == .female { hormones += of(.estradiol) }
    if context.sex == nil {
      // Estradiol is read against LH/FSH by sex: without it, say so rather than skip it.
      for sample in of(.estradiol) {
        let result = judged(sample)
        finding(
          .hpg, "hpg_feedback", "undetermined", .info,
          "\(result.phrase) not judged against LH/FSH: the subject's sex is unknown", [result],
          "estradiol is judged with LH/FSH in women (feedback.sex_attributes)",
          time: sample.collected)
      }
    }
    let hpgPairs = pairs(regulated: hormones, regulators: [of(.lh), of(.fsh)], window: window)
    for pair in hpgPairs {
      let gonadotropins = pair.regulators.compactMap { $0 }.map(judged)
      guard !gonadotropins.isEmpty else {
        unpaired(
          pair.regulated, partner: "LH or FSH", window: window, setting: "pairing_window_hours",
          .hpg, "hpg_feedback", judged, finding)
        continue
      }
      let hormone = judged(pair.regulated)
      let statuses = gonadotropins.map(\.status)
      let combined: JudgedResult.Status =
        statuses.contains(.high)
        ? .high
        : statuses.allSatisfy { $0 == .low }
          ? .low : statuses.allSatisfy { $0 == .normal || $0 == .low } ? .normal : .unknown
      let pattern = FeedbackPatterns.hpg(
        gonadotropins: combined, hormone: hormone.status,
        estradiol: pair.regulated.sample.analyte == .estradiol)
      grid(
        .hpg, "hpg_feedback", pattern, gonadotropins + [hormone], pair.hours, window,
        "pairing_window_hours", pair.regulated.collected, finding)
    }
    for gonadotropin in unusedRegulators(of(.lh) + of(.fsh), in: hpgPairs) {
      unpaired(
        gonadotropin,
        partner: context.sex == .female ? "testosterone or estradiol" : "testosterone",
        window: window, setting: "pairing_window_hours", .hpg, "hpg_feedback", judged, finding)
    }

    // Dexamethasone suppression and late-night salivary cortisol.
    for sample in dexamethasone {
      let result = judged(sample)
      let cutoff = settings.dexamethasoneCutoff
      let suppressed =
        sample.value.censoring == .below ? result.value <= cutoff : result.value < cutoff
      let cortisolText =
        "cortisol \(sample.value.censoring.rawValue)\(SampleTable.short(result.value)) nmol/L"
      finding(
        .hpa, "dexamethasone_suppression", suppressed ? "normal-suppression" : "failed-suppression",
        suppressed ? .info : .marked,
        suppressed
          ? "normal suppression after dexamethasone: \(cortisolText) < \(SampleTable.short(cutoff))"
          : "pattern consistent with failed dexamethasone suppression: \(cortisolText) >= \(SampleTable.short(cutoff))",
        [result],
        "1 mg overnight dexamethasone test: cortisol < \(SampleTable.short(cutoff)) nmol/L is normal suppression (feedback.dexamethasone_cutoff)",
        time: sample.collected)
    }
    for sample in lateNight {
      var result = judged(sample)
      let labLimit = result.rangeSource == "lab" ? result.range?.high : nil
      let limit = labLimit ?? settings.lateNightLimit
      if labLimit == nil {
        result.range = ReferenceRange(low: nil, high: limit)
        result.rangeSource = "late-night limit (feedback.late_night_limit)"
      }
      let source =
        labLimit != nil
        ? "the lab's upper limit" : "the configured assay limit (feedback.late_night_limit)"
      let above =
        sample.value.censoring == .above || sample.value.censoring == .atOrAbove
        ? result.value >= limit : result.value > limit
      result.status =
        above
        ? .high
        : (sample.value.censoring == .none || result.value <= limit ? .normal : .indeterminate)
      finding(
        .hpa, "late_night_cortisol", above ? "above-limit" : "within-limit",
        above ? .marked : .info,
        above
          ? "pattern consistent with loss of the late-night cortisol nadir: \(result.phrase)"
          : "late-night salivary cortisol at or below the limit: \(result.phrase)",
        [result],
        "late-night salivary cortisol above \(SampleTable.short(limit)) nmol/L, \(source)",
        time: sample.collected)
    }
    return withHistory(findings)
  }

  // MARK: Pairing

  private struct Pair {
    var regulated: NormalizedSample
    /// The nearest result of each regulator within the window, or `nil`.
    var regulators: [NormalizedSample?]
    /// Hours between the regulated result and the farthest regulator paired.
    var hours: Double
  }

  private func pairs(
    regulated: [NormalizedSample], regulators: [[NormalizedSample]], window: Double
  )
    -> [Pair]
  {
    regulated.map { sample in
      let found = regulators.map { nearest(to: sample, in: $0, window: window) }
      return Pair(
        regulated: sample, regulators: found.map { $0?.sample },
        hours: found.compactMap { $0?.hours }.max() ?? 0)
    }
  }

  /// The result nearest in time to `sample` within `window` hours (the first of equals).
  private func nearest(
    to sample: NormalizedSample, in candidates: [NormalizedSample], window: Double
  )
    -> (sample: NormalizedSample, hours: Double)?
  {
    guard let time = sample.collected else { return nil }
    let seconds = Normalizer.seconds(time)
    var best: (sample: NormalizedSample, hours: Double)?
    for candidate in candidates {
      guard let other = candidate.collected else { continue }
      let hours = abs(Normalizer.seconds(other) - seconds) / 3600
      if hours <= window && hours < (best?.hours ?? .infinity) { best = (candidate, hours) }
    }
    return best
  }

  /// Regulator results that are no regulated result's nearest partner.
  private func unusedRegulators(_ regulators: [NormalizedSample], in pairs: [Pair])
    -> [NormalizedSample]
  {
    let used = Set(pairs.flatMap { $0.regulators.compactMap { $0 } })
    return regulators.filter { !used.contains($0) }
  }

  /// Adds a finding: axis, analyzer, pattern, severity, message, values, rule, time.
  private typealias Emit = (
    Axis, String, String, Finding.Severity, String, [JudgedResult], String, CollectionTime?
  ) -> Void

  private func unpaired(
    _ sample: NormalizedSample, partner: String, window: Double, setting: String, _ axis: Axis,
    _ analyzer: String, _ judged: (NormalizedSample) -> JudgedResult,
    _ finding: Emit
  ) {
    let result = judged(sample)
    let why =
      sample.collected == nil
      ? "has no collection time to pair by"
      : "has no \(partner) within \(SampleTable.short(window)) h"
    finding(
      axis, analyzer, "unpaired", .info,
      "\(result.phrase) \(why): the \(axis.rawValue) loop could not be checked", [result],
      "pairing: the nearest \(partner) within \(SampleTable.short(window)) h (feedback.\(setting))",
      sample.collected)
  }

  private func grid(
    _ axis: Axis, _ analyzer: String, _ pattern: FeedbackPatterns.Pattern?,
    _ values: [JudgedResult],
    _ hours: Double, _ window: Double, _ setting: String, _ time: CollectionTime?,
    _ finding: Emit
  ) {
    let phrases = values.map(\.phrase).joined(separator: ", ")
    let pairing =
      "paired \(SampleTable.short(hours)) h apart (window \(SampleTable.short(window)) h, feedback.\(setting))"
    guard let pattern else {
      let unclear = values.filter { $0.status == .unknown || $0.status == .indeterminate }.map(
        \.name)
      finding(
        axis, analyzer, "undetermined", .info,
        "the \(axis.rawValue) loop could not be judged (\(unclear.joined(separator: ", ")) without a range or censored across it): \(phrases)",
        values, "\(analyzer) grid needs each result low, normal or high; \(pairing)", time)
      return
    }
    let statuses = values.map { "\($0.name) \($0.status.rawValue)" }.joined(separator: " x ")
    let message =
      pattern.id == "balanced"
      ? "\(axis.rawValue) feedback balanced: \(phrases)"
      : "pattern consistent with \(pattern.text): \(phrases)"
    finding(
      axis, analyzer, pattern.id, pattern.severity, message, values,
      "\(analyzer) grid (DOMAIN.md 7): \(statuses) -> \(pattern.id); \(pairing)", time)
  }

  // MARK: Markers, indices, history

  private func isAfterDexamethasone(_ sample: NormalizedSample) -> Bool {
    for (key, value) in sample.sample.attributes {
      let name = key.lowercased()
      if settings.dexamethasoneMarkers.contains(name),
        SubjectContext.isYes(value)
      {
        return true
      }
      if Self.mentions(value, settings.dexamethasoneMarkers) { return true }
    }
    return Self.mentions(sample.sample.label ?? "", settings.dexamethasoneMarkers)
  }

  private func isLateNight(_ sample: NormalizedSample) -> Bool {
    guard sample.sample.specimen == .saliva else { return false }
    if sample.sample.qualifier == "late-night" { return true }
    let markers = ["late-night", "late night", "midnight", "spätabends"]
    return Self.mentions(sample.sample.label ?? "", markers)
      || sample.sample.attributes.values.contains { Self.mentions($0, markers) }
  }

  /// Whether `text` holds one of the phrases as whole words (case ignored).
  static func mentions(_ text: String, _ phrases: [String]) -> Bool {
    func words(_ text: String) -> String {
      " "
        + String(text.lowercased().map { $0.isLetter || $0.isNumber ? $0 : " " })
        .split(separator: " ").joined(separator: " ") + " "
    }
    let haystack = words(text)
    return phrases.contains { haystack.contains(words($0)) }
  }

  /// SPINA-Thyr: TSHI = ln(TSH) + 0.1345 FT4; sTSHI = (TSHI - 2.7) / 0.676;
  /// TTSI = 100 TSH FT4 / the upper limit of FT4 (DOMAIN.md section 7).
  func thyroidIndices(tsh: JudgedResult, ft4: JudgedResult) -> [String: Double] {
    guard tsh.censoring == .none, ft4.censoring == .none, tsh.value > 0 else { return [:] }
    let tshi = log(tsh.value) + 0.1345 * ft4.value
    var indices = ["tshi": tshi, "stshi": (tshi - 2.7) / 0.676]
    if let upper = ft4.range?.high, upper > 0 {
      indices["ttsi"] = 100 * tsh.value * ft4.value / upper
    }
    return indices
  }

  private static let normalPatterns: Set<String> = [
    "balanced", "normal-suppression", "within-limit",
  ]

  /// Marks each finding new, persisting, resolved or stable against the subject's earlier
  /// finding of the same check, in time order.
  private func withHistory(_ findings: [Finding]) -> [Finding] {
    func key(_ finding: Finding) -> String {
      let hormone =
        finding.analyzer == "hpg_feedback" ? finding.values.last?.analyte.rawValue ?? "" : ""
      return finding.analyzer + hormone
    }
    func seconds(_ finding: Finding) -> Double { finding.time.map(Normalizer.seconds) ?? .infinity }
    var ordered = findings.enumerated().sorted {
      (seconds($0.element), $0.offset) < (seconds($1.element), $1.offset)
    }.map(\.element)
    var last: [String: Finding] = [:]
    for index in ordered.indices {
      let finding = ordered[index]
      guard finding.pattern != "unpaired", finding.pattern != "undetermined" else { continue }
      ordered[index].history = .first
      if let previous = last[key(finding)] {
        let wasNormal = Self.normalPatterns.contains(previous.pattern)
        let isNormal = Self.normalPatterns.contains(finding.pattern)
        ordered[index].history =
          previous.pattern == finding.pattern
          ? (isNormal ? .stable : .persisting) : (isNormal && !wasNormal ? .resolved : .new)
        let date =
          previous.time.map { String($0.local.description.prefix(10)) }
          ?? "an undated result"
        ordered[index].historyNote = "was \(previous.pattern) on \(date)"
      }
      last[key(finding)] = finding
    }
    return ordered
  }
}
