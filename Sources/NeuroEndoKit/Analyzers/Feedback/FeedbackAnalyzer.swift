import Foundation
import Synchronization

/// Reads each endocrine axis as a loop (analyzers `hpa_feedback`, `hpt_feedback`,
/// `hpg_feedback`, `dexamethasone_suppression`, `late_night_cortisol`): pairs the regulating
/// and the regulated hormone of a subject, judges both against their ranges, and says which
/// pattern they fit (the Findings article), with the values, ranges, rule and context.
public struct FeedbackAnalyzer: Sendable {
  /// The settings.
  public var settings: FeedbackSettings {
    didSet { dexamethasonePhrases = Phrases(settings.dexamethasoneMarkers) }
  }
  /// The dexamethasone markers of the settings, prepared for matching text.
  private var dexamethasonePhrases: Phrases
  /// Words that mark a salivary cortisol late-night in a label or note; one set of them
  /// (and its cache of answers) per analyzer, as the partitions of a run each make their
  /// own: a cache shared by threads made them wait for its lock at every sample.
  private let lateNightPhrases = Phrases(FeedbackAnalyzer.lateNightWords)
  private static let lateNightWords = ["late-night", "late night", "midnight", "spätabends"]
  /// Samples with one of these normalizer flags are left out (conflicts, impossible values,
  /// suspected unit mix-ups). A research data-cleaning range (`outside-cleaning-range`)
  /// never hides a clinical result: a late-night salivary cortisol of 100 nmol/L is a
  /// positive screen, not noise.
  public var excludeFlags: Set<String> {
    didSet { excludeFlags.remove("outside-cleaning-range") }
  }

  /// Creates the analyzer.
  public init(
    settings: FeedbackSettings = FeedbackSettings(),
    excludeFlags: Set<String> = AnalyzerSettings().excludeFlags
  ) {
    self.settings = settings
    self.excludeFlags = excludeFlags.subtracting(["outside-cleaning-range"])
    dexamethasonePhrases = Phrases(settings.dexamethasoneMarkers)
  }

  /// The findings of every subject, by subject and time (``evaluate(_:)`` without the
  /// results that could not be judged).
  public func analyze(_ samples: [NormalizedSample]) -> [Finding] {
    evaluate(samples).findings
  }

  /// What the analyzers found, and what they could not pair or judge.
  public func evaluate(_ samples: [NormalizedSample]) -> FeedbackResult {
    // Samples come by subject: a subject is numbered once per run of its samples.
    // Salivary cortisol of a day's curve (``isCurve(_:)``) is read by the rhythm analyzers,
    // never by a feedback grid: a subject with nothing else has no finding, and its
    // context (sex, age, medication) is not gathered. Told in a first pass: only the other
    // subjects' samples are gathered (a research cohort's subjects are all such).
    var numbers = SubjectNumbers()
    var read: [Bool] = []
    var places: [(number: Int32, index: Int)] = []
    var curves = CurveAnswers()
    for (index, sample) in samples.enumerated() where sample.sample.analyte != .dheas {
      guard !sample.flags.contains(where: { excludeFlags.contains($0.code) }) else { continue }
      let number = numbers.number(sample.sample.subjectID)
      if number == read.count { read.append(false) }
      if !read[number], !curves.isCurve(sample, self) { read[number] = true }
      places.append((Int32(number), index))
    }
    var group = [Int](repeating: -1, count: read.count)
    var groups: [(subject: String, samples: [NormalizedSample])] = []
    for (number, index) in places where read[Int(number)] {
      if group[Int(number)] < 0 {
        group[Int(number)] = groups.count
        groups.append((samples[index].sample.subjectID, []))
      }
      groups[group[Int(number)]].samples.append(samples[index])
    }
    groups.sort { $0.subject < $1.subject }
    var result = FeedbackResult()
    for (subject, samples) in groups {
      for finding in analyzeSubject(subject, samples) {
        if finding.reason == nil {
          result.findings.append(finding)
        } else {
          result.notJudged.append(finding)
        }
      }
    }
    return result
  }

  private func analyzeSubject(_ subject: String, _ samples: [NormalizedSample]) -> [Finding] {
    let context = SubjectContext(samples, settings: settings)
    let judge = ResultJudge(settings: settings)
    func judged(_ sample: NormalizedSample) -> JudgedResult {
      judge.judge(sample, sex: context.sex, age: context.age(at: sample.collected))
    }
    var findings: [Finding] = []
    // An exogenous glucocorticoid suppresses ACTH and the subject's own cortisol, and
    // prednisolone and others cross-react in cortisol immunoassays: no HPA result can be
    // read (Nieman et al. 2008; Bornstein et al. 2016). Dexamethasone named beside a
    // dexamethasone test is the test's dose.
    let hasDexamethasoneTest = samples.contains(where: isAfterDexamethasone)
    func isGlucocorticoid(_ text: String) -> Bool {
      let lower = text.lowercased()
      // Beside a dexamethasone test, dexamethasone of a test's dose (1 or 2 mg, or no dose
      // written) is the test; a larger dose is a treatment.
      let doses = lower.matches(of: /([0-9]+(?:[.,][0-9]+)?)\s*mg/).compactMap {
        Double($0.output.1.replacingOccurrences(of: ",", with: "."))
      }
      let testDose = hasDexamethasoneTest && doses.allSatisfy { $0 <= 2 }
      let read = testDose ? lower.replacingOccurrences(of: "dexamethason", with: "") : lower
      return SubjectContext.classes(of: read).contains { $0.name == "glucocorticoid" }
    }
    let glucocorticoid = context.medication.first { isGlucocorticoid($0.text) }?.text
    func finding(
      _ axis: Axis, _ analyzer: String, _ pattern: String, _ severity: Finding.Severity,
      _ message: String, _ values: [JudgedResult], _ rule: String, time: CollectionTime?,
      reason: String? = nil
    ) {
      if axis == .hpa, let glucocorticoid {
        findings.append(
          Finding(
            subjectID: subject, axis: axis, analyzer: analyzer, pattern: "not-interpretable",
            severity: .info,
            message:
              "not interpretable (glucocorticoid): \(glucocorticoid) suppresses ACTH and the body's own cortisol, and can cross-react in cortisol assays; \(values.map(\.phrase).joined(separator: ", "))",
            values: values,
            rule:
              "an exogenous glucocorticoid makes HPA results not interpretable (Nieman et al. 2008; Bornstein et al. 2016); \(analyzer) would have said: \(pattern)",
            time: time, reason: "HPA not interpretable: glucocorticoid medication",
            context: context.lines(for: axis, at: time)))
        return
      }
      // A value that may be in the wrong unit is judged, but what rests on it is said with
      // the caution and never marked: a check of the unit comes first.
      var severity = severity
      var message = message
      let cautions = values.compactMap(\.caution)
      if !cautions.isEmpty {
        if severity == .marked { severity = .notable }
        message += "; caution: " + cautions.joined(separator: "; ")
      }
      findings.append(
        Finding(
          subjectID: subject, axis: axis, analyzer: analyzer, pattern: pattern,
          severity: severity, message: message, values: values, rule: rule, time: time,
          reason: reason, context: context.lines(for: axis, at: time)))
    }
    func of(_ analyte: Analyte) -> [NormalizedSample] {
      samples.filter { $0.sample.analyte == analyte }
    }
    // Total cortisol after dexamethasone, late at night (salivary with a late-night marker,
    // or serum in the late-night window without a lab range), and the rest, which the HPA
    // grid pairs with ACTH. Free cortisol is its own measurement; saliva never meets ACTH.
    var dexamethasone: [NormalizedSample] = []
    var lateNight: [NormalizedSample] = []
    var serumCortisol: [NormalizedSample] = []
    var freeCortisol: [NormalizedSample] = []
    for sample in of(.cortisol) + of(.freeCortisol) {
      if isAfterDexamethasone(sample) {
        dexamethasone.append(sample)
      } else if sample.sample.analyte == .freeCortisol {
        freeCortisol.append(sample)
      } else if isLateNight(sample) {
        lateNight.append(sample)
      } else if sample.sample.specimen != .saliva {
        serumCortisol.append(sample)
      }
    }
    serumCortisol += freeCortisol
    let window = settings.pairingWindowHours

    // HPA: ACTH x cortisol. ACTH drawn after dexamethasone belongs to the suppression
    // test (a suppressed ACTH is its expected result), never to the grid.
    let allACTH = of(.acth)
    let acthAfterDexamethasone = allACTH.filter(isAfterDexamethasone)
    let acthSamples = allACTH.filter { !isAfterDexamethasone($0) }
    let estrogen = context.medication(of: "oral contraceptive")
    let screen = hypercortisolismScreen(
      lateNight: lateNight, dexamethasone: estrogen == nil ? dexamethasone : [], judged)
    let hpaPairs = pairs(
      regulated: serumCortisol, regulators: [acthSamples],
      window: settings.acthCortisolWindowHours)
    for pair in hpaPairs {
      guard let acth = pair.regulators[0] else {
        unpaired(
          pair.regulated, partner: "ACTH", window: settings.acthCortisolWindowHours,
          setting: "acth_cortisol_window_hours", .hpa, "hpa_feedback", judged, finding)
        continue
      }
      let values = [judged(acth), judged(pair.regulated)]
      var (pattern, detail) = hpaPattern(
        acth: acth, values[0], cortisol: pair.regulated, values[1], screen: screen)
      if let estrogen, values[1].status == .high, pair.regulated.sample.analyte == .cortisol,
        screen == nil
      {
        // Oral estrogen raises cortisol-binding globulin, and total cortisol with it.
        pattern = FeedbackPatterns.Pattern(
          id: "high-total-cortisol-on-estrogen",
          text:
            "high total cortisol on oral estrogen (\(estrogen)), which raises cortisol-binding globulin; not read as hypercortisolism (late-night salivary cortisol measures the free hormone)",
          severity: .info)
        detail =
          "oral estrogen raises total cortisol through cortisol-binding globulin (Nieman et al. 2008)"
      }
      grid(
        .hpa, "hpa_feedback", pattern, values, pair.hours, settings.acthCortisolWindowHours,
        "acth_cortisol_window_hours", pair.regulated.collected, finding, detail: detail)
    }
    for acth in acthAfterDexamethasone {
      let result = judged(acth)
      let expected =
        result.status == .high || result.status == .normal
        ? "ACTH is expected to be suppressed after dexamethasone (read with the cortisol of the test)"
        : "a suppressed ACTH is the expected result of the test, not adrenal insufficiency"
      finding(
        .hpa, "dexamethasone_suppression", "acth-after-dexamethasone", .info,
        "ACTH after dexamethasone: \(result.phrase); \(expected)",
        [result],
        "ACTH drawn after dexamethasone is read with the suppression test, not the hpa_feedback grid",
        time: acth.collected)
    }
    let cortisolElsewhere =
      dexamethasone.map { ($0, "a dexamethasone test") }
      + lateNight.map { ($0, "a late-night cortisol") }
      + of(.cortisol).filter { $0.sample.specimen == .saliva && !lateNight.contains($0) }
      .map { ($0, "salivary cortisol, which is not paired with plasma ACTH") }
    for acth in unusedRegulators(acthSamples, in: hpaPairs) {
      unpaired(
        acth, partner: "cortisol", window: settings.acthCortisolWindowHours,
        setting: "acth_cortisol_window_hours", .hpa, "hpa_feedback", judged, finding,
        readElsewhere: cortisolElsewhere)
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
      var detail: String?
      if let levothyroxine = context.medication(of: "levothyroxine"), let found = pattern,
        found.id != "balanced"
      {
        // A treated thyroid: the pattern reads the dose, not the gland.
        pattern?.text +=
          " on levothyroxine treatment (\(levothyroxine): the pattern reads the dose, not the gland)"
        detail = "on levothyroxine: a treated thyroid"
      }
      if let biotin = context.medication(of: "biotin"), pattern != nil {
        pattern?.text +=
          "; caution: biotin (\(biotin)) can distort immunoassays (TSH falsely low, FT4 and FT3 falsely high): repeat at least 2 days after the last dose"
        detail = (detail.map { $0 + "; " } ?? "") + "biotin: immunoassay caution"
      }
      grid(
        .hpt, "hpt_feedback", pattern, values, pair.hours, window, "pairing_window_hours",
        pair.regulated.collected, finding, detail: detail)
      findings[findings.count - 1].indices = thyroidIndices(
        tsh: values[0], ft4: values[1], ft3: values.count > 2 ? values[2] : nil,
        onLevothyroxine: context.medication(of: "levothyroxine") != nil)
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
          time: sample.collected, reason: "estradiol of a subject of unknown sex")
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
      var pattern = FeedbackPatterns.hpg(
        gonadotropins: combined, hormone: hormone.status,
        estradiol: pair.regulated.sample.analyte == .estradiol, sex: context.sex)
      var detail: String?
      let age = context.age(at: pair.regulated.collected)
      if pair.regulated.sample.analyte == .estradiol, context.sex == .female, combined == .high {
        // High FSH/LH with low estradiol is what menopause looks like, and so are high
        // FSH/LH at a menopause age; before 40 low estradiol with them is premature ovarian
        // insufficiency (ESHRE 2016).
        let ageText = age.map { " at \(Int($0)) years" } ?? ", age unknown"
        if hormone.status == .low, let age, age < settings.prematureOvarianInsufficiencyBefore {
          pattern = FeedbackPatterns.Pattern(
            id: "premature-ovarian-insufficiency-pattern",
            text:
              "premature ovarian insufficiency\(ageText): high LH/FSH, low estradiol (ESHRE 2016: FSH > 25 IU/L on two occasions 4 weeks apart, with oligo- or amenorrhoea)",
            severity: .notable)
          detail =
            "under \(NumberText.short(settings.prematureOvarianInsufficiencyBefore)) years (feedback.premature_ovarian_insufficiency_before)"
        } else if hormone.status == .low, let age, age < settings.earlyMenopauseBefore {
          // Between 40 and 45 the same numbers are an early menopause: worth a look, not
          // the expected state of the age (ESHRE 2016).
          pattern = FeedbackPatterns.Pattern(
            id: "early-menopause-pattern",
            text:
              "early menopause\(ageText): high LH/FSH, low estradiol (menopause between 40 and 45 years is early, ESHRE 2016)",
            severity: .notable)
          detail =
            "from \(NumberText.short(settings.prematureOvarianInsufficiencyBefore)) to under \(NumberText.short(settings.earlyMenopauseBefore)) years (feedback.early_menopause_before)"
        } else if hormone.status == .low
          || (hormone.status == .normal && age.map({ $0 >= settings.menopauseAge }) == true)
        {
          pattern = FeedbackPatterns.Pattern(
            id: "postmenopausal-pattern",
            text: "the postmenopausal state\(ageText): high LH/FSH (not ovarian failure)",
            severity: .info)
          detail =
            "high LH/FSH with low estradiol, or at or past feedback.menopause_age (\(NumberText.short(settings.menopauseAge)))"
        }
      }
      if pair.regulated.sample.analyte == .testosterone, hormone.status == .low,
        let found = pattern, found.id.hasSuffix("hypogonadism")
      {
        // One low morning value does not make the diagnosis (Bhasin et al. 2018).
        let days = lowMorningTestosteroneDays(of(.testosterone), judged)
        if days < settings.testosteroneConfirmations {
          pattern?.severity = .notable
          pattern?.text +=
            "; one low morning testosterone: a diagnosis needs \(settings.testosteroneConfirmations) morning values on different days (Bhasin et al. 2018)"
        }
        detail =
          "low morning testosterone on \(days) day\(days == 1 ? "" : "s") (feedback.testosterone_confirmations \(settings.testosteroneConfirmations); harmonised lower limit 9.2 nmol/L, Travison et al. 2017)"
      }
      grid(
        .hpg, "hpg_feedback", pattern, gonadotropins + [hormone], pair.hours, window,
        "pairing_window_hours", pair.regulated.collected, finding, detail: detail)
    }
    for gonadotropin in unusedRegulators(of(.lh) + of(.fsh), in: hpgPairs) {
      unpaired(
        gonadotropin,
        partner: context.sex == .female ? "testosterone or estradiol" : "testosterone",
        window: window, setting: "pairing_window_hours", .hpg, "hpg_feedback", judged, finding)
    }

    // Dexamethasone suppression and late-night cortisol.
    for sample in dexamethasone {
      suppression(sample, judged(sample), estrogen: estrogen, finding)
    }
    for sample in lateNight {
      nadir(sample, judged(sample), finding)
    }
    return withHistory(Self.oneStory(findings))
  }

  /// Patterns that cannot hold together within one test episode, by axis: too little and
  /// too much of the same hormone.
  static let opposites: [(Set<String>, Set<String>)] = [
    (
      ["primary-adrenal-insufficiency", "secondary-adrenal-insufficiency"],
      [
        "acth-dependent-hypercortisolism", "acth-independent-hypercortisolism",
        "failed-suppression", "above-limit",
      ]
    ),
    (
      ["primary-hypothyroidism", "central-hypothyroidism"],
      ["primary-hyperthyroidism", "t3-thyrotoxicosis"]
    ),
  ]

  /// One test episode tells one story: marked findings within 48 hours of each other that
  /// contradict (adrenal insufficiency beside failed suppression, hypo- beside
  /// hyperthyroidism) are not both marked; each becomes notable and says why.
  static func oneStory(_ findings: [Finding]) -> [Finding] {
    var result = findings
    func hours(_ a: Finding, _ b: Finding) -> Double? {
      guard let x = a.time, let y = b.time else { return nil }
      return abs(Normalizer.seconds(x) - Normalizer.seconds(y)) / 3600
    }
    for (low, high) in opposites {
      let lows = result.indices.filter {
        result[$0].severity == .marked && low.contains(result[$0].pattern)
      }
      let highs = result.indices.filter {
        result[$0].severity == .marked && high.contains(result[$0].pattern)
      }
      var contradicted: [Int: [Int]] = [:]
      for a in lows {
        for b in highs where hours(result[a], result[b]).map({ $0 <= 48 }) ?? false {
          contradicted[a, default: []].append(b)
          contradicted[b, default: []].append(a)
        }
      }
      for (index, others) in contradicted {
        let named = others.map { other in
          "\(result[other].pattern)\(result[other].time.map { " (\($0.description))" } ?? "")"
        }.joined(separator: ", ")
        result[index].severity = .notable
        result[index].message +=
          "; contradicts \(named) within the same test episode: both cannot hold, so neither is marked (the results need repeating)"
      }
    }
    return result
  }

  /// The 1 mg overnight dexamethasone test: total serum or plasma cortisol against the
  /// serum cut-off, salivary cortisol against its own (no default); other results are
  /// reported as not judged, with the reason.
  /// The cut-off a result after dexamethasone is judged against: total serum or plasma
  /// cortisol against the serum cut-off, salivary cortisol against its own when set.
  private func dexamethasoneCutoff(_ sample: NormalizedSample) -> (value: Double, setting: String)?
  {
    let serum: Set<Specimen> = [.serum, .plasma, .serumOrPlasma]
    switch (sample.sample.analyte, sample.sample.specimen) {
    case (.cortisol, let specimen) where serum.contains(specimen):
      return (settings.dexamethasoneCutoff, "feedback.dexamethasone_cutoff")
    case (.cortisol, .saliva):
      return settings.dexamethasoneSalivaCutoff.map {
        ($0, "feedback.dexamethasone_saliva_cutoff")
      }
    default: return nil
    }
  }

  /// The limit a late-night cortisol is judged against: salivary against the lab's upper
  /// limit, else the configured one; serum against the serum limit, when set.
  private func lateNightLimit(_ sample: NormalizedSample, _ judged: JudgedResult) -> (
    value: Double, lab: Bool
  )? {
    let saliva = sample.sample.specimen == .saliva
    if saliva, judged.rangeSource == "lab", let high = judged.range?.high { return (high, true) }
    return (saliva ? settings.lateNightLimit : settings.lateNightSerumLimit).map { ($0, false) }
  }

  private func suppression(
    _ sample: NormalizedSample, _ judged: JudgedResult, estrogen: String?, _ finding: Emit
  ) {
    var result = judged
    let specimen = sample.sample.specimen
    let serum: Set<Specimen> = [.serum, .plasma, .serumOrPlasma]
    let cutoff: (value: Double, setting: String)?
    let notJudged: (why: String, kind: String)
    switch (sample.sample.analyte, specimen) {
    case (.cortisol, _) where serum.contains(specimen):
      cutoff = (settings.dexamethasoneCutoff, "feedback.dexamethasone_cutoff")
      notJudged = ("", "")
    case (.cortisol, .saliva):
      cutoff = settings.dexamethasoneSalivaCutoff.map {
        ($0, "feedback.dexamethasone_saliva_cutoff")
      }
      notJudged = (
        "salivary cortisol after dexamethasone has no agreed cut-off and the serum cut-offs do not apply to saliva (set feedback.dexamethasone_saliva_cutoff to judge it)",
        "salivary cortisol after dexamethasone: no cut-off (feedback.dexamethasone_saliva_cutoff)"
      )
    case (.freeCortisol, _):
      cutoff = nil
      notJudged = (
        "the dexamethasone cut-offs are for total serum cortisol, not free cortisol",
        "free cortisol after dexamethasone: no cut-off"
      )
    default:
      cutoff = nil
      notJudged = (
        "the serum cut-off applies to serum or plasma cortisol; the specimen is \(specimen.rawValue)",
        "cortisol after dexamethasone of specimen \(specimen.rawValue)"
      )
    }
    guard let cutoff else {
      result.status = .unknown
      result.reason = notJudged.why
      finding(
        .hpa, "dexamethasone_suppression", "not-judged", .info,
        "\(result.name) after dexamethasone not judged: \(notJudged.why)", [result],
        "dexamethasone suppression: \(notJudged.why)", sample.collected, notJudged.kind)
      return
    }
    let limit = NumberText.short(cutoff.value)
    result.range = ReferenceRange(low: nil, high: cutoff.value)
    result.highExclusive = true
    result.rangeSource = "dexamethasone cut-off (\(cutoff.setting)); at or above it is failed"
    let value =
      "\(result.name) \(sample.value.censoring.rawValue)\(NumberText.distinct(sample.value.value, from: cutoff.value, text: result.valueText)) nmol/L"
    let rule =
      "1 mg overnight dexamethasone test: cortisol < \(limit) nmol/L is normal suppression (\(cutoff.setting))"
    switch sample.value.exceeds(cutoff.value, inclusive: true) {
    case false?:
      result.status = .normal
      finding(
        .hpa, "dexamethasone_suppression", "normal-suppression", .info,
        "normal suppression after dexamethasone: \(value) < \(limit)", [result], rule,
        sample.collected, nil)
    case true?:
      result.status = .high
      if let estrogen {
        // Oral estrogen raises cortisol-binding globulin and total cortisol with it: a
        // failed test on it is often a false positive (Nieman et al. 2008).
        finding(
          .hpa, "dexamethasone_suppression", "failed-suppression-on-estrogen", .notable,
          "cortisol not suppressed after dexamethasone on oral estrogen (\(estrogen)): \(value) >= \(limit); estrogen raises total cortisol through its binding globulin, so this is often a false positive (repeated off estrogen, or late-night salivary cortisol, would tell)",
          [result], rule + "; oral estrogen: not a positive screen (Nieman et al. 2008)",
          sample.collected, nil)
        return
      }
      finding(
        .hpa, "dexamethasone_suppression", "failed-suppression", .marked,
        "pattern consistent with failed dexamethasone suppression: \(value) >= \(limit)",
        [result], rule, sample.collected, nil)
    case nil:
      result.status = .indeterminate
      result.reason = "\(sample.value.written) cannot be placed against \(limit)"
      finding(
        .hpa, "dexamethasone_suppression", "indeterminate", .info,
        "suppression after dexamethasone indeterminate: \(value) cannot be placed against the cut-off \(limit)",
        [result], rule, sample.collected,
        "censored cortisol after dexamethasone across the cut-off (\(cutoff.setting))")
    }
  }

  /// Late-night cortisol against its limit: salivary against the lab's upper limit, else
  /// ``FeedbackSettings/lateNightLimit``; serum against
  /// ``FeedbackSettings/lateNightSerumLimit`` (Nieman et al. 2008), or not judged.
  private func nadir(_ sample: NormalizedSample, _ judged: JudgedResult, _ finding: Emit) {
    var result = judged
    let saliva = sample.sample.specimen == .saliva
    let found = lateNightLimit(sample, judged)
    let labLimit = found?.lab == true ? found?.value : nil
    let setting = saliva ? "feedback.late_night_limit" : "feedback.late_night_serum_limit"
    let kind = saliva ? "late-night salivary cortisol" : "late-night serum cortisol"
    guard let limit = found?.value else {
      result.reason = "\(setting) is not set"
      finding(
        .hpa, "late_night_cortisol", "not-judged", .info,
        "\(kind) not judged: no late-night limit (\(setting) is not set)", [result],
        "late-night cortisol is judged against \(setting)", sample.collected,
        "\(kind): no limit (\(setting))")
      return
    }
    if labLimit == nil {
      result.range = ReferenceRange(low: nil, high: limit)
      result.rangeSource =
        saliva
        ? "late-night limit (\(setting))"
        : "late-night serum limit (\(setting); Nieman et al. 2008: > 207 nmol/L awake, > 50 asleep)"
    }
    let source =
      labLimit != nil
      ? "the lab's upper limit"
      : "the configured \(saliva ? "assay " : "")limit (\(setting))"
    let rule = "\(kind) above \(NumberText.short(limit)) nmol/L, \(source)"
    let above = sample.value.exceeds(limit, inclusive: false)
    result.status = above == true ? .high : above == false ? .normal : .indeterminate
    result.reason =
      above == nil
      ? "\(sample.value.written) cannot be placed against \(NumberText.short(limit))" : nil
    switch above {
    case true?:
      finding(
        .hpa, "late_night_cortisol", "above-limit", .marked,
        "pattern consistent with loss of the late-night cortisol nadir: \(result.phrase)", [result],
        rule, sample.collected, nil)
    case false?:
      finding(
        .hpa, "late_night_cortisol", "within-limit", .info,
        "\(kind) at or below the limit: \(result.phrase)", [result], rule, sample.collected, nil)
    case nil:
      finding(
        .hpa, "late_night_cortisol", "indeterminate", .info,
        "\(kind) indeterminate: \(result.phrase)", [result], rule, sample.collected,
        "censored \(kind) across the limit (\(setting))")
    }
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
    guard let time = Self.pairingTime(sample) else { return nil }
    let seconds = Normalizer.seconds(time)
    var best: (sample: NormalizedSample, hours: Double)?
    for candidate in candidates {
      // One clock: a time with an offset is never compared with a local one.
      guard let other = Self.pairingTime(candidate),
        (other.utcOffsetSeconds == nil) == (time.utcOffsetSeconds == nil)
      else { continue }
      let hours = abs(Normalizer.seconds(other) - seconds) / 3600
      if hours <= window && hours < (best?.hours ?? .infinity) { best = (candidate, hours) }
    }
    return best
  }

  /// The time a result is paired by: none for a `mixed-clock` local time.
  private static func pairingTime(_ sample: NormalizedSample) -> CollectionTime? {
    sample.flags.contains { $0.code == Normalizer.mixedClock } ? nil : sample.collected
  }

  /// Regulator results that are no regulated result's nearest partner.
  private func unusedRegulators(_ regulators: [NormalizedSample], in pairs: [Pair])
    -> [NormalizedSample]
  {
    let used = Set(pairs.flatMap { $0.regulators.compactMap { $0 } })
    return regulators.filter { !used.contains($0) }
  }

  /// Adds a finding: axis, analyzer, pattern, severity, message, values, rule, time, and for
  /// a result that could not be judged, the reason.
  private typealias Emit = (
    Axis, String, String, Finding.Severity, String, [JudgedResult], String, CollectionTime?,
    String?
  ) -> Void

  private func unpaired(
    _ sample: NormalizedSample, partner: String, window: Double, setting: String, _ axis: Axis,
    _ analyzer: String, _ judged: (NormalizedSample) -> JudgedResult,
    _ finding: Emit, readElsewhere: [(sample: NormalizedSample, as: String)] = []
  ) {
    let result = judged(sample)
    // A partner within the window that another rule read (after dexamethasone, late at
    // night, saliva) is named: "no cortisol within 1 h" would not be what happened.
    let elsewhere = readElsewhere.first { other in
      guard let a = Self.pairingTime(sample), let b = Self.pairingTime(other.sample) else {
        return false
      }
      return abs(Normalizer.seconds(a) - Normalizer.seconds(b)) / 3600 <= window
    }
    let reason =
      sample.collected == nil
      ? "no collection time to pair by"
      : Self.pairingTime(sample) == nil
        ? "a local time beside times with offsets (mixed-clock)"
        : elsewhere.map { "its \(partner) in the window was read as \($0.as)" }
          ?? "no \(partner) within \(NumberText.short(window)) h (feedback.\(setting))"
    finding(
      axis, analyzer, "unpaired", .info,
      "\(result.phrase) has \(reason): the \(axis.rawValue) loop could not be checked", [result],
      "pairing: the nearest \(partner) within \(NumberText.short(window)) h (feedback.\(setting))",
      sample.collected, "\(result.name): \(reason)")
  }

  private func grid(
    _ axis: Axis, _ analyzer: String, _ pattern: FeedbackPatterns.Pattern?,
    _ values: [JudgedResult],
    _ hours: Double, _ window: Double, _ setting: String, _ time: CollectionTime?,
    _ finding: Emit, detail: String? = nil
  ) {
    let phrases = values.map(\.phrase).joined(separator: ", ")
    let pairing =
      "paired \(NumberText.short(hours)) h apart (window \(NumberText.short(window)) h, feedback.\(setting))"
    guard let pattern else {
      // Each phrase says why its value was not placed (no range, the hour, the censoring).
      finding(
        axis, analyzer, "undetermined", .info,
        "the \(axis.rawValue) loop could not be judged: \(phrases)",
        values, "\(analyzer) grid needs each result low, normal or high; \(pairing)", time,
        Self.unplaced(values))
      return
    }
    let statuses = values.map { "\($0.name) \($0.status.rawValue)" }.joined(separator: " x ")
    let message =
      pattern.id == "balanced"
      ? "\(axis.rawValue) feedback balanced: \(phrases)"
      : "pattern consistent with \(pattern.text): \(phrases)"
    finding(
      axis, analyzer, pattern.id, pattern.severity, message, values,
      "\(analyzer) grid: \(statuses) -> \(pattern.id)\(detail.map { "; \($0)" } ?? ""); \(pairing)",
      time, nil)
  }

  /// The days on which the subject has a low testosterone in the morning window.
  private func lowMorningTestosteroneDays(
    _ samples: [NormalizedSample], _ judged: (NormalizedSample) -> JudgedResult
  ) -> Int {
    Set(
      samples.compactMap { sample -> String? in
        guard judged(sample).status == .low, let time = sample.collected else { return nil }
        return String(time.local.description.prefix(10))
      }
    ).count
  }

  // MARK: HPA by the guidelines

  /// What screens a subject for hypercortisolism: late-night salivary cortisol above its
  /// limit on at least ``FeedbackSettings/lateNightScreenNights`` nights, or a failed 1 mg
  /// overnight dexamethasone test (Nieman et al. 2008). `nil`: no positive screen.
  private func hypercortisolismScreen(
    lateNight: [NormalizedSample], dexamethasone: [NormalizedSample],
    _ judged: (NormalizedSample) -> JudgedResult
  ) -> String? {
    var nights = Set<String>()
    for sample in lateNight where sample.sample.specimen == .saliva {
      guard let limit = lateNightLimit(sample, judged(sample))?.value,
        sample.value.exceeds(limit, inclusive: false) == true,
        let time = sample.collected
      else { continue }
      // A night runs from the evening into the small hours: its date is that of noon before.
      let evening = LocalDateTime(
        wallClockSeconds: time.local.secondsSinceEpochWallClock - 12 * 3600)
      nights.insert(String(evening.description.prefix(10)))
    }
    if nights.count >= settings.lateNightScreenNights {
      return
        "late-night salivary cortisol above its limit on \(nights.count) nights (\(nights.sorted().joined(separator: ", ")))"
    }
    for sample in dexamethasone {
      guard let cutoff = dexamethasoneCutoff(sample),
        sample.value.exceeds(cutoff.value, inclusive: true) == true
      else { continue }
      return
        "failed 1 mg dexamethasone suppression (\(NumberText.short(sample.value.value)) nmol/L >= \(NumberText.short(cutoff.value)), \(sample.collected?.description ?? "time not known"))"
    }
    return nil
  }

  /// The HPA pattern of a morning ACTH and cortisol pair, by the guidelines: a high
  /// cortisol names hypercortisolism only after a positive screen, and then ACTH's value
  /// names the source (ACTH-independent below ``FeedbackSettings/acthIndependentBelow``,
  /// ACTH-dependent above ``FeedbackSettings/acthDependentAbove``, indeterminate between);
  /// a low cortisol names adrenal insufficiency only below
  /// ``FeedbackSettings/adrenalInsufficiencyBelow`` (ACTH then says primary or secondary),
  /// and is indeterminate up to ``FeedbackSettings/adrenalInsufficiencyUnlikelyFrom``.
  /// Returns the pattern and what decided it, for the rule.
  private func hpaPattern(
    acth: NormalizedSample, _ acthResult: JudgedResult, cortisol: NormalizedSample,
    _ cortisolResult: JudgedResult, screen: String?
  ) -> (FeedbackPatterns.Pattern?, String?) {
    let n = NumberText.short
    switch cortisolResult.status {
    case .high:
      guard let screen else {
        return (
          FeedbackPatterns.Pattern(
            id: "high-cortisol-unscreened",
            text:
              "high cortisol without a positive screen (not hypercortisolism by itself: stress, illness and oral estrogen raise total cortisol; late-night salivary cortisol on two nights or a 1 mg dexamethasone test would screen)",
            severity: .notable),
          "no positive screen (late-night salivary cortisol on \(settings.lateNightScreenNights) nights, or a failed dexamethasone test; Nieman et al. 2008)"
        )
      }
      let low = settings.acthIndependentBelow
      let high = settings.acthDependentAbove
      let cutoffs =
        "screen: \(screen); ACTH < \(n(low)) pmol/L independent, > \(n(high)) dependent (feedback.acth_independent_below, feedback.acth_dependent_above; Nieman et al. 2008, Fleseriu et al. 2021)"
      if acth.value.falls(below: low, inclusive: false) == true {
        return (
          FeedbackPatterns.Pattern(
            id: "acth-independent-hypercortisolism",
            text:
              "ACTH-independent hypercortisolism (adrenal source): high cortisol with a positive screen, ACTH below \(n(low)) pmol/L",
            severity: .marked), cutoffs
        )
      }
      if acth.value.exceeds(high, inclusive: false) == true {
        return (
          FeedbackPatterns.Pattern(
            id: "acth-dependent-hypercortisolism",
            text:
              "ACTH-dependent hypercortisolism (pituitary or ectopic source): high cortisol with a positive screen, ACTH above \(n(high)) pmol/L",
            severity: .marked), cutoffs
        )
      }
      return (
        FeedbackPatterns.Pattern(
          id: "hypercortisolism-source-indeterminate",
          text:
            "hypercortisolism of indeterminate source: a positive screen, ACTH between \(n(low)) and \(n(high)) pmol/L (CRH or desmopressin testing would tell)",
          severity: .notable), cutoffs
      )
    case .low where cortisol.sample.analyte == .cortisol:
      // The zones are for a morning total cortisol; a low value later in the day, against a
      // lab's range, says nothing of insufficiency.
      let judge = ResultJudge(settings: settings)
      if let why = judge.outside(settings.morningWindow, cortisol.collected) {
        return (
          FeedbackPatterns.Pattern(
            id: "low-cortisol-outside-morning",
            text:
              "a low cortisol outside the morning window (\(why.replacingOccurrences(of: "range applies ", with: ""))), which says nothing of adrenal insufficiency: that is judged on a morning value",
            severity: .info), nil
        )
      }
      let below = settings.adrenalInsufficiencyBelow
      let unlikely = settings.adrenalInsufficiencyUnlikelyFrom
      let cutoffs =
        "morning cortisol < \(n(below)) nmol/L makes adrenal insufficiency likely, >= \(n(unlikely)) unlikely (feedback.adrenal_insufficiency_below, feedback.adrenal_insufficiency_unlikely_from; Bornstein et al. 2016, Fleseriu et al. 2016)"
      if cortisol.value.falls(below: below, inclusive: false) == true {
        // "<10 pg/mL" may be low or normal, and either says secondary; only a high ACTH
        // says primary.
        var acthStatus = acthResult.status
        if acthStatus == .indeterminate, let high = acthResult.range?.high,
          acth.value.exceeds(high, inclusive: false) == false
        {
          acthStatus = .normal
        }
        return (FeedbackPatterns.hpa(acth: acthStatus, cortisol: .low), cutoffs)
      }
      if cortisol.value.falls(below: unlikely, inclusive: false) == true {
        return (
          FeedbackPatterns.Pattern(
            id: "adrenal-insufficiency-indeterminate",
            text:
              "a morning cortisol in the grey zone (\(n(below))-\(n(unlikely)) nmol/L) that neither shows nor excludes adrenal insufficiency (dynamic testing, ACTH stimulation, would tell)",
            severity: .notable), cutoffs
        )
      }
      return (FeedbackPatterns.hpa(acth: acthResult.status, cortisol: .normal), cutoffs)
    case .low:
      // Free cortisol: the guideline's cut-offs are for total cortisol, so a low free
      // cortisol is read by its range alone, and marks nothing.
      var pattern = FeedbackPatterns.hpa(acth: acthResult.status, cortisol: .low)
      pattern?.severity = .notable
      pattern?.text +=
        " (free cortisol: the guideline's cut-offs are for total cortisol; a morning total cortisol would tell)"
      return (pattern, nil)
    default:
      return (FeedbackPatterns.hpa(acth: acthResult.status, cortisol: cortisolResult.status), nil)
    }
  }

  /// Why values were not placed, alike for alike cases: `cortisol: range applies
  /// 07:00-10:00`, `free cortisol: no range`, `LH: censored across the range`.
  private static func unplaced(_ values: [JudgedResult]) -> String {
    values.filter { $0.status == .unknown || $0.status == .indeterminate }.map { value in
      let why =
        value.status == .indeterminate
        ? "censored across the range"
        : value.reason.map { String($0.prefix { $0 != ";" }) } ?? "no range"
      return "\(value.name): \(why)"
    }.joined(separator: ", ")
  }

  // MARK: Markers, indices, history

  /// Attributes whose text can mark a result as taken after dexamethasone: the test name,
  /// a comment, a FHIR note. A medication list is context, never a marker.
  static let markerTextAttributes = Sample.noteAttributes

  /// Salivary cortisol neither after dexamethasone nor late at night: a sample of a day's
  /// curve, which the rhythm analyzers read and no feedback grid does.
  private func isCurve(_ sample: NormalizedSample) -> Bool {
    sample.sample.analyte == .cortisol && sample.sample.specimen == .saliva
      && !isAfterDexamethasone(sample) && !isLateNight(sample)
  }

  /// ``isCurve(_:)`` of the last few kinds of salivary cortisol sample: whether one is part
  /// of a day's curve is told by its label, test code, qualifier and notes alone, and a
  /// protocol's few labels recur in turn (the texts are matched once per kind, not per
  /// sample).
  struct CurveAnswers {
    private struct Kind {
      var label: String?
      var testCode: String?
      var qualifier: String?
      var attributes: [String: String]
      var curve: Bool
    }
    private var recent: [Kind] = []

    /// Whether two notes have the same names and values, by their exact bytes.
    static func same(_ known: [String: String], _ notes: [String: String]) -> Bool {
      guard known.count == notes.count else { return false }
      for (name, value) in notes {
        // The one name equal as a text, then its bytes and its value's.
        guard let index = known.index(forKey: name),
          SampleColumns.ExactText.same(known[index].key, name),
          SampleColumns.ExactText.same(known[index].value, value)
        else { return false }
      }
      return true
    }

    mutating func isCurve(_ sample: NormalizedSample, _ analyzer: FeedbackAnalyzer) -> Bool {
      guard sample.sample.analyte == .cortisol, sample.sample.specimen == .saliva else {
        return false
      }
      let fields = sample.sample
      typealias Text = SampleColumns.ExactText
      // By index, not by a copy of each kind; every text by its exact bytes (two spellings
      // of one accent are two kinds: the answer is never taken from a text the matching
      // did not read); the label first by its words, the same from sample to sample.
      func holds(_ index: Int, identical: Bool) -> Bool {
        let label = recent[index].label
        return (identical ? Text.identical(label, fields.label) : Text.same(label, fields.label))
          && Text.same(recent[index].testCode, fields.testCode)
          && Text.same(recent[index].qualifier, fields.qualifier)
          && Self.same(recent[index].attributes, fields.attributes)
      }
      if let index = recent.indices.first(where: { holds($0, identical: true) })
        ?? recent.indices.first(where: { holds($0, identical: false) })
      {
        return recent[index].curve
      }
      let curve = analyzer.isCurve(sample)
      if recent.count == 16 { recent.removeFirst() }
      recent.append(
        Kind(
          label: fields.label, testCode: fields.testCode, qualifier: fields.qualifier,
          attributes: fields.attributes, curve: curve))
      return curve
    }
  }

  /// Whether a profile column of a marker's name says yes, or the label, test code, test
  /// name, comment or FHIR note names dexamethasone.
  func isAfterDexamethasone(_ sample: NormalizedSample) -> Bool {
    let markers = settings.dexamethasoneMarkers
    for (key, value) in sample.sample.attributes {
      let name = key.lowercased()
      if markers.contains(name), SubjectContext.isYes(value) { return true }
      if Self.markerTextAttributes.contains(name), dexamethasonePhrases.mentioned(in: value) {
        return true
      }
    }
    return dexamethasonePhrases.mentioned(in: sample.sample.label ?? "")
      || dexamethasonePhrases.mentioned(in: sample.sample.testCode ?? "")
  }

  /// Salivary cortisol marked late-night (LOINC 58643-8, label, note), or serum or plasma
  /// cortisol collected in the late-night window without a lab range of its own.
  func isLateNight(_ sample: NormalizedSample) -> Bool {
    guard sample.sample.specimen == .saliva else {
      return sample.sample.referenceRange == nil && sample.sample.specimen != .unspecified
        && sample.collected.map {
          ResultJudge.contains(settings.lateNightWindow, $0.local.hourOfDay)
        } == true
    }
    if sample.sample.qualifier == "late-night" { return true }
    return lateNightPhrases.mentioned(in: sample.sample.label ?? "")
      || sample.sample.attributes.contains {
        Self.markerTextAttributes.contains($0.key.lowercased())
          && lateNightPhrases.mentioned(in: $0.value)
      }
  }

  /// Whether `text` holds one of the phrases as whole words (case ignored).
  static func mentions(_ text: String, _ phrases: [String]) -> Bool {
    Phrases(phrases).mentioned(in: text)
  }

  /// Phrases to find as whole words, prepared once: each in its word form and with the
  /// first word that a text must contain before any word splitting.
  ///
  /// The texts are labels, test codes and notes, which repeat from sample to sample ("S1",
  /// "cortisol"): each distinct text is matched once and its answer kept (up to
  /// ``cacheLimit`` texts, so free-text notes cannot grow the cache without bound).
  final class Phrases: Sendable {
    private let phrases: [(first: String, words: String)]
    private let answers = Mutex<[String: Bool]>([:])
    static let cacheLimit = 4096

    init(_ phrases: [String]) {
      self.phrases = phrases.map { phrase in
        (String(phrase.lowercased().prefix { $0.isLetter || $0.isNumber }), Self.words(phrase))
      }
      firstWords = self.phrases.map { phrase in
        phrase.first.utf8.allSatisfy { $0 < 0x80 } ? Array(phrase.first.utf8) : nil
      }
    }

    /// Each phrase's first word as lower-case ASCII bytes (`nil` when it is not ASCII).
    private let firstWords: [[UInt8]?]

    /// ` post dex ` for "Post-Dex": lower case, words between single spaces.
    private static func words(_ text: String) -> String {
      " "
        + String(text.lowercased().map { $0.isLetter || $0.isNumber ? $0 : " " })
        .split(separator: " ").joined(separator: " ") + " "
    }

    /// Whether `text` holds one of the phrases as whole words (case ignored).
    func mentioned(in text: String) -> Bool {
      guard !text.isEmpty else { return false }
      // Most texts are short ASCII labels ("S1") that hold no phrase's first word: told
      // from their bytes, without the cache's lock or a lower-cased copy.
      if holdsNoFirstWord(text) { return false }
      if let known = answers.withLock({ $0[text] }) { return known }
      let answer = match(text)
      answers.withLock { if $0.count < Self.cacheLimit { $0[text] = answer } }
      return answer
    }

    /// True only when `text` is ASCII and holds none of the phrases' first words in any
    /// case (a phrase's non-ASCII first word cannot be in an ASCII text): then no phrase is
    /// mentioned. False when that cannot be told from the bytes alone.
    private func holdsNoFirstWord(_ text: String) -> Bool {
      var text = text
      return text.withUTF8 { bytes in
        guard !bytes.contains(where: { $0 >= 0x80 }) else { return false }
        for word in firstWords {
          guard let word else { continue }  // not ASCII: not in this text
          if word.isEmpty { return false }
          if Self.contains(bytes, lowerCased: word) { return false }
        }
        return true
      }
    }

    /// Whether the ASCII `bytes`, lower-cased, contain `word` (lower-case ASCII).
    private static func contains(_ bytes: UnsafeBufferPointer<UInt8>, lowerCased word: [UInt8])
      -> Bool
    {
      guard word.count <= bytes.count else { return false }
      for start in 0...(bytes.count - word.count) {
        var index = 0
        while index < word.count {
          var byte = bytes[start + index]
          if byte >= 0x41 && byte <= 0x5A { byte |= 0x20 }
          guard byte == word[index] else { break }
          index += 1
        }
        if index == word.count { return true }
      }
      return false
    }

    func match(_ text: String) -> Bool {
      // Most texts (labels such as "S1") hold no phrase at all: a plain substring test of
      // each phrase's first word rules them out before any word splitting.
      let lower = text.lowercased()
      let candidates = phrases.filter { $0.first.isEmpty || lower.contains($0.first) }
      guard !candidates.isEmpty else { return false }
      let haystack = Self.words(text)
      return candidates.contains { haystack.contains($0.words) }
    }
  }

  /// SPINA-Thyr (Dietrich et al. 2016): TSHI = ln(TSH) + 0.1345 FT4 (Jostel et al. 2009);
  /// sTSHI = (TSHI - 2.7) / 0.676; TTSI = 100 TSH FT4 / the upper limit of FT4.
  func thyroidIndices(
    tsh: JudgedResult, ft4: JudgedResult, ft3: JudgedResult? = nil, onLevothyroxine: Bool = false
  ) -> [String: Double] {
    guard tsh.censoring == .none, ft4.censoring == .none, tsh.value > 0, ft4.value > 0 else {
      return [:]
    }
    let tshi = log(tsh.value) + 0.1345 * ft4.value
    var indices = ["tshi": tshi, "stshi": (tshi - 2.7) / 0.676]
    if let upper = ft4.range?.high, upper > 0 {
      indices["ttsi"] = 100 * tsh.value * ft4.value / upper
    }
    // SPINA-GT is not meaningful on levothyroxine (the T4 is not the gland's).
    if !onLevothyroxine { indices["spina_gt"] = Spina.gt(tsh: tsh.value, ft4: ft4.value) }
    if let ft3, ft3.censoring == .none, ft3.value > 0 {
      indices["spina_gd"] = Spina.gd(ft4: ft4.value, ft3: ft3.value)
    }
    return indices
  }

  /// Findings that judged nothing and take no part in the history.
  private static let unjudgedPatterns: Set<String> = [
    "unpaired", "undetermined", "not-judged", "indeterminate",
  ]

  private static let normalPatterns: Set<String> = [
    "balanced", "normal-suppression", "within-limit",
  ]

  /// Marks each finding new, persisting, resolved or stable against the subject's earlier
  /// finding of the same check, in time order.
  private func withHistory(_ findings: [Finding]) -> [Finding] {
    func key(_ finding: Finding) -> String {
      // The regulated hormone (testosterone or estradiol, total or free cortisol) and
      // specimen tell checks of one analyzer apart.
      let last = finding.values.last
      return "\(finding.analyzer) \(last?.analyte.rawValue ?? "") \(last?.specimen.rawValue ?? "")"
    }
    func seconds(_ finding: Finding) -> Double { finding.time.map(Normalizer.seconds) ?? .infinity }
    var ordered = findings.enumerated().sorted {
      (seconds($0.element), $0.offset) < (seconds($1.element), $1.offset)
    }.map(\.element)
    var last: [String: Finding] = [:]
    for index in ordered.indices {
      let finding = ordered[index]
      guard !Self.unjudgedPatterns.contains(finding.pattern) else { continue }
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
