import Foundation

/// One lab result in the one shape every reader produces and every later stage consumes.
public struct Sample: Sendable, Hashable, Codable {
  /// The fields, behind one reference (copied on write): a sample is copied often (grouped
  /// by subject and by day, kept in every normalized sample), and a copy then costs one
  /// retain instead of one per text field.
  struct Fields: Sendable, Hashable, Codable {
    /// The subject (patient or participant) identifier as the export wrote it.
    var subjectID: String
    /// The hormone measured.
    var analyte: Analyte
    /// The specimen, from the export or implied by the test code.
    var specimen: Specimen
    /// The value as reported, with its unit and censoring.
    var quantity: Quantity
    /// When the sample was collected, when the export gave a date and time.
    var collected: CollectionTime?
    /// The IANA time zone the export named for this subject's local times (a `time_zone`
    /// column, for subjects who travel); the normalizer places local times in it.
    var timeZone: String?
    /// When the subject woke that day, when the export gave it.
    var wake: CollectionTime?
    /// Minutes since waking or since a protocol event, when the export gave them.
    var relativeTime: RelativeTime?
    /// The study or protocol day, when the export gave one.
    var day: Int?
    /// The sample's label in its protocol ("S1", "+30", "0"), when there is one.
    var label: String?
    /// The reference range the lab sent with the result.
    var referenceRange: ReferenceRange?
    /// The test code as written in the export (LOINC or a local code).
    var testCode: String?
    /// A qualifier implied by the test code ("timed", "late-night"), when there is one.
    var qualifier: String?
    /// Other columns the profile asked to keep (condition, sex, medication, ...).
    var attributes: [String: String]
    /// Where the value was read.
    var provenance: InputLocation
  }

  private var fields: CopyOnWrite<Fields>

  /// A sample of fields gathered without a sample (a reader's, a column store's).
  init(fields: Fields) { self.fields = CopyOnWrite(fields) }

  /// Every field, read in place.
  var allFields: Fields { _read { yield fields.value } }

  /// The subject (patient or participant) identifier as the export wrote it.
  public var subjectID: String {
    _read { yield fields.value.subjectID }
    set { fields.value.subjectID = newValue }
  }
  /// The hormone measured.
  public var analyte: Analyte {
    _read { yield fields.value.analyte }
    set { fields.value.analyte = newValue }
  }
  /// The specimen, from the export or implied by the test code.
  public var specimen: Specimen {
    _read { yield fields.value.specimen }
    set { fields.value.specimen = newValue }
  }
  /// The value as reported, with its unit and censoring.
  public var quantity: Quantity {
    _read { yield fields.value.quantity }
    set { fields.value.quantity = newValue }
  }
  /// When the sample was collected, when the export gave a date and time.
  public var collected: CollectionTime? {
    _read { yield fields.value.collected }
    set { fields.value.collected = newValue }
  }
  /// The IANA time zone the export named for this subject's local times (a `time_zone`
  /// column, for subjects who travel); the normalizer places local times in it.
  public var timeZone: String? {
    _read { yield fields.value.timeZone }
    set { fields.value.timeZone = newValue }
  }
  /// When the subject woke that day, when the export gave it.
  public var wake: CollectionTime? {
    _read { yield fields.value.wake }
    set { fields.value.wake = newValue }
  }
  /// Minutes since waking or since a protocol event, when the export gave them.
  public var relativeTime: RelativeTime? {
    _read { yield fields.value.relativeTime }
    set { fields.value.relativeTime = newValue }
  }
  /// The study or protocol day, when the export gave one.
  public var day: Int? {
    _read { yield fields.value.day }
    set { fields.value.day = newValue }
  }
  /// The sample's label in its protocol ("S1", "+30", "0"), when there is one.
  public var label: String? {
    _read { yield fields.value.label }
    set { fields.value.label = newValue }
  }
  /// The reference range the lab sent with the result.
  public var referenceRange: ReferenceRange? {
    _read { yield fields.value.referenceRange }
    set { fields.value.referenceRange = newValue }
  }
  /// The test code as written in the export (LOINC or a local code).
  public var testCode: String? {
    _read { yield fields.value.testCode }
    set { fields.value.testCode = newValue }
  }
  /// A qualifier implied by the test code ("timed", "late-night"), when there is one.
  public var qualifier: String? {
    _read { yield fields.value.qualifier }
    set { fields.value.qualifier = newValue }
  }
  /// Other columns the profile asked to keep (condition, sex, medication, ...).
  public var attributes: [String: String] {
    _read { yield fields.value.attributes }
    set { fields.value.attributes = newValue }
  }
  /// Where the value was read.
  public var provenance: InputLocation {
    _read { yield fields.value.provenance }
    set { fields.value.provenance = newValue }
  }

  /// Creates a sample.
  public init(
    subjectID: String, analyte: Analyte, specimen: Specimen, quantity: Quantity,
    collected: CollectionTime? = nil, timeZone: String? = nil, wake: CollectionTime? = nil,
    relativeTime: RelativeTime? = nil, day: Int? = nil, label: String? = nil,
    referenceRange: ReferenceRange? = nil, testCode: String? = nil, qualifier: String? = nil,
    attributes: [String: String] = [:], provenance: InputLocation
  ) {
    fields = CopyOnWrite(
      Fields(
        subjectID: subjectID, analyte: analyte, specimen: specimen, quantity: quantity,
        collected: collected, timeZone: timeZone, wake: wake, relativeTime: relativeTime, day: day,
        label: label, referenceRange: referenceRange, testCode: testCode, qualifier: qualifier,
        attributes: attributes, provenance: provenance))
  }

  /// The same JSON as the fields themselves.
  public init(from decoder: any Decoder) throws { fields = try CopyOnWrite(from: decoder) }

  public func encode(to encoder: any Encoder) throws { try fields.encode(to: encoder) }
}

extension Sample {
  /// Attributes (lowercased names) whose free text says under what conditions a result was
  /// taken: the test name, a comment, a FHIR note ("after 1 mg dexamethasone", "60 min
  /// after Synacthen").
  public static let noteAttributes: Set<String> = [
    "test_name", "testname", "note", "notes", "comment", "comments", "remark", "remarks",
  ]

  /// The text of the sample's note attributes, lowercased and sorted: two results with the
  /// same conditions have the same text ("" for plain results).
  public var conditions: String {
    attributes.compactMap { key, value in
      let text = value.trimmingCharacters(in: .whitespaces).lowercased()
      return Self.noteAttributes.contains(key.lowercased()) && !text.isEmpty
        ? "\(key.lowercased())=\(text)" : nil
    }.sorted().joined(separator: "; ")
  }

  /// The first character of a subject id that no id may hold, as `U+XXXX`: a C0 control
  /// (NUL, tab, line breaks), DEL, or a bidirectional control (U+061C, U+200E, U+200F,
  /// U+202A-U+202E, U+2066-U+2069). `nil` for a plain id; looks at bytes first, since
  /// nearly every id is plain ASCII.
  static func unsafeCharacter(in subject: String) -> String? {
    var bytes = subject
    let plain = bytes.withUTF8 { utf8 in
      !utf8.contains { $0 < 0x20 || $0 == 0x7F || $0 == 0xE2 || $0 == 0xD8 }
    }
    guard !plain else { return nil }
    for scalar in subject.unicodeScalars {
      let value = scalar.value
      let control = value < 0x20 || value == 0x7F
      let bidirectional =
        value == 0x061C || value == 0x200E || value == 0x200F || (0x202A...0x202E).contains(value)
        || (0x2066...0x2069).contains(value)
      if control || bidirectional {
        let hex = String(value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
      }
    }
    return nil
  }
}
