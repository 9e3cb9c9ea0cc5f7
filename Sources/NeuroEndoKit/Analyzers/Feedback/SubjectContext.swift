import Foundation

/// What the export says about a subject beyond the results: sex, birth or age, and
/// medication that can change the readings (Methods: Feedback patterns), taken from the columns a
/// profile kept (or the FHIR Patient resource).
struct SubjectContext {
  /// A medication class and the axes it can explain.
  struct Medication {
    var name: String
    var keywords: [String]
    var axes: Set<Axis>
  }

  static let medications = [
    Medication(
      name: "glucocorticoid",
      keywords: [
        "glucocorticoid", "prednisolon", "prednison", "hydrocortison", "methylprednisolon",
        "dexamethason", "cortison", "kortison", "budesonid", "betamethason", "triamcinolon",
        "decortin", "fortecortin", "deflazacort",
      ], axes: [.hpa, .hpt]),
    Medication(
      name: "levothyroxine",
      keywords: ["levothyrox", "l-thyrox", "thyroxin", "euthyrox"], axes: [.hpt]),
    Medication(
      name: "oral contraceptive",
      keywords: [
        "contracepti", "ethinylestradiol", "ethinyl estradiol", "the pill", "pille", "estrogen",
        "oestrogen", "östrogen", "estradiol", "oestradiol", "conjugated estrogen",
      ],
      axes: [.hpg, .hpa]),
    Medication(name: "biotin", keywords: ["biotin"], axes: [.hpa, .hpt, .hpg]),
  ]

  var sex: FeedbackSettings.Sex?
  /// The birth date as a fractional year (1978.5), when known.
  var birth: Double?
  var age: Double?
  /// Medication texts with the classes they belong to.
  var medication: [(text: String, classes: [Medication])] = []

  init(_ samples: [NormalizedSample], settings: FeedbackSettings) {
    var seen = Set<String>()
    for sample in samples {
      for (key, value) in sample.sample.attributes.sorted(by: { $0.key < $1.key }) {
        let name = key.lowercased()
        let text = value.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { continue }
        if sex == nil, settings.sexAttributes.contains(name) {
          sex = FeedbackSettings.Sex(text: text)
        }
        if birth == nil, settings.birthAttributes.contains(name) { birth = Self.year(text) }
        if age == nil, settings.ageAttributes.contains(name) { age = Double(text) }
        var medicationText: String?
        if settings.medicationAttributes.contains(name) {
          medicationText = text
        } else if Self.isYes(text),
          !settings.dexamethasoneMarkers.contains(name), !Self.classes(of: name).isEmpty
        {
          medicationText = "\(key) (column '\(key)': \(text))"
        }
        if let medicationText, seen.insert(medicationText).inserted {
          medication.append((medicationText, Self.classes(of: medicationText)))
        }
      }
    }
  }

  /// Whether a column's value means yes (`yes`, `y`, `true`, `1`, `x`, `ja`; case ignored).
  static func isYes(_ text: String) -> Bool {
    ["yes", "y", "true", "1", "x", "ja"].contains(text.lowercased())
  }

  static func classes(of text: String) -> [Medication] {
    let lower = text.lowercased()
    // "no contraceptive", "keine Pille": a medication not taken.
    let negations = ["no ", "none", "kein", "nicht ", "not ", "ohne "]
    if negations.contains(where: { lower.hasPrefix($0) }) { return [] }
    return medications.filter { medication in
      guard medication.keywords.contains(where: { lower.contains($0) }) else { return false }
      // Only oral estrogen raises cortisol-binding globulin: a patch, gel, vaginal
      // estrogen or an anti-estrogen does not.
      if medication.name == "oral contraceptive" {
        let words = Set(lower.split { !$0.isLetter }.map(String.init))
        let notOral: Set<String> = [
          "transdermal", "patch", "pflaster", "gel", "vaginal", "vaginalring", "spray",
          "antiestrogen", "antiöstrogen",
        ]
        return words.isDisjoint(with: notOral) && !lower.contains("anti-estrogen")
      }
      return true
    }
  }

  /// `1978` or `1978-05-02` as a fractional year.
  static func year(_ text: String) -> Double? {
    let parts = text.split(separator: "-").compactMap { Double($0) }
    guard let year = parts.first, year > 1800, year < 2200 else { return nil }
    let month = parts.count > 1 ? parts[1] : 7
    let day = parts.count > 2 ? parts[2] : 1
    return year + (month - 1) / 12 + (day - 1) / 365.25
  }

  /// The subject's age in years at a time (from the birth date), else the age column.
  func age(at time: CollectionTime?) -> Double? {
    if let birth, let local = time?.local {
      return Double(local.year) + Double(local.month - 1) / 12 + Double(local.day - 1) / 365.25
        - birth
    }
    return age
  }

  /// The first medication text of class `name` (`glucocorticoid`, `oral contraceptive`).
  func medication(of name: String) -> String? {
    medication.first { $0.classes.contains { $0.name == name } }?.text
  }

  /// The context lines a finding on `axis` at `time` shows.
  func lines(for axis: Axis, at time: CollectionTime?) -> [String] {
    var lines: [String] = []
    if let sex { lines.append("sex: \(sex.rawValue)") }
    if let age = age(at: time) { lines.append("age: \(Int(age.rounded(.down)))") }
    for (text, classes) in medication {
      let relevant = classes.filter { $0.axes.contains(axis) }
      guard !relevant.isEmpty else { continue }
      lines.append(
        "medication: \(text) (\(relevant.map(\.name).joined(separator: ", ")) can change \(axis.rawValue) readings)"
      )
    }
    return lines
  }
}
