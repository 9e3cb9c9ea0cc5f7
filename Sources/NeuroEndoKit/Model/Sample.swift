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

  /// Holds the fields of one or more copies of a sample; written only when uniquely held.
  final class Box: @unchecked Sendable {
    var fields: Fields
    init(_ fields: Fields) { self.fields = fields }
  }

  private var box: Box

  private mutating func update(_ change: (inout Fields) -> Void) {
    if !isKnownUniquelyReferenced(&box) { box = Box(box.fields) }
    change(&box.fields)
  }

  /// The subject (patient or participant) identifier as the export wrote it.
  public var subjectID: String {
    get { box.fields.subjectID }
    set { update { $0.subjectID = newValue } }
  }
  /// The hormone measured.
  public var analyte: Analyte {
    get { box.fields.analyte }
    set { update { $0.analyte = newValue } }
  }
  /// The specimen, from the export or implied by the test code.
  public var specimen: Specimen {
    get { box.fields.specimen }
    set { update { $0.specimen = newValue } }
  }
  /// The value as reported, with its unit and censoring.
  public var quantity: Quantity {
    get { box.fields.quantity }
    set { update { $0.quantity = newValue } }
  }
  /// When the sample was collected, when the export gave a date and time.
  public var collected: CollectionTime? {
    get { box.fields.collected }
    set { update { $0.collected = newValue } }
  }
  /// The IANA time zone the export named for this subject's local times (a `time_zone`
  /// column, for subjects who travel); the normalizer places local times in it.
  public var timeZone: String? {
    get { box.fields.timeZone }
    set { update { $0.timeZone = newValue } }
  }
  /// When the subject woke that day, when the export gave it.
  public var wake: CollectionTime? {
    get { box.fields.wake }
    set { update { $0.wake = newValue } }
  }
  /// Minutes since waking or since a protocol event, when the export gave them.
  public var relativeTime: RelativeTime? {
    get { box.fields.relativeTime }
    set { update { $0.relativeTime = newValue } }
  }
  /// The study or protocol day, when the export gave one.
  public var day: Int? {
    get { box.fields.day }
    set { update { $0.day = newValue } }
  }
  /// The sample's label in its protocol ("S1", "+30", "0"), when there is one.
  public var label: String? {
    get { box.fields.label }
    set { update { $0.label = newValue } }
  }
  /// The reference range the lab sent with the result.
  public var referenceRange: ReferenceRange? {
    get { box.fields.referenceRange }
    set { update { $0.referenceRange = newValue } }
  }
  /// The test code as written in the export (LOINC or a local code).
  public var testCode: String? {
    get { box.fields.testCode }
    set { update { $0.testCode = newValue } }
  }
  /// A qualifier implied by the test code ("timed", "late-night"), when there is one.
  public var qualifier: String? {
    get { box.fields.qualifier }
    set { update { $0.qualifier = newValue } }
  }
  /// Other columns the profile asked to keep (condition, sex, medication, ...).
  public var attributes: [String: String] {
    get { box.fields.attributes }
    set { update { $0.attributes = newValue } }
  }
  /// Where the value was read.
  public var provenance: InputLocation {
    get { box.fields.provenance }
    set { update { $0.provenance = newValue } }
  }

  /// Creates a sample.
  public init(
    subjectID: String, analyte: Analyte, specimen: Specimen, quantity: Quantity,
    collected: CollectionTime? = nil, timeZone: String? = nil, wake: CollectionTime? = nil,
    relativeTime: RelativeTime? = nil, day: Int? = nil, label: String? = nil,
    referenceRange: ReferenceRange? = nil, testCode: String? = nil, qualifier: String? = nil,
    attributes: [String: String] = [:], provenance: InputLocation
  ) {
    box = Box(
      Fields(
        subjectID: subjectID, analyte: analyte, specimen: specimen, quantity: quantity,
        collected: collected, timeZone: timeZone, wake: wake, relativeTime: relativeTime, day: day,
        label: label, referenceRange: referenceRange, testCode: testCode, qualifier: qualifier,
        attributes: attributes, provenance: provenance))
  }

  public static func == (lhs: Sample, rhs: Sample) -> Bool {
    lhs.box === rhs.box || lhs.box.fields == rhs.box.fields
  }

  public func hash(into hasher: inout Hasher) { hasher.combine(box.fields) }

  /// The same JSON as the fields themselves: the box is not visible.
  public init(from decoder: any Decoder) throws { box = Box(try Fields(from: decoder)) }

  public func encode(to encoder: any Encoder) throws { try box.fields.encode(to: encoder) }
}
