/// One lab result in the one shape every reader produces and every later stage consumes.
public struct Sample: Sendable, Hashable, Codable {
  /// The subject (patient or participant) identifier as the export wrote it.
  public var subjectID: String
  /// The hormone measured.
  public var analyte: Analyte
  /// The specimen, from the export or implied by the test code.
  public var specimen: Specimen
  /// The value as reported, with its unit and censoring.
  public var quantity: Quantity
  /// When the sample was collected, when the export gave a date and time.
  public var collected: CollectionTime?
  /// The IANA time zone the export named for this subject's local times (a `time_zone`
  /// column, for subjects who travel); the normalizer places local times in it.
  public var timeZone: String?
  /// When the subject woke that day, when the export gave it.
  public var wake: CollectionTime?
  /// Minutes since waking or since a protocol event, when the export gave them.
  public var relativeTime: RelativeTime?
  /// The study or protocol day, when the export gave one.
  public var day: Int?
  /// The sample's label in its protocol ("S1", "+30", "0"), when there is one.
  public var label: String?
  /// The reference range the lab sent with the result.
  public var referenceRange: ReferenceRange?
  /// The test code as written in the export (LOINC or a local code).
  public var testCode: String?
  /// A qualifier implied by the test code ("timed", "late-night"), when there is one.
  public var qualifier: String?
  /// Other columns the profile asked to keep (condition, sex, medication, ...).
  public var attributes: [String: String]
  /// Where the value was read.
  public var provenance: InputLocation

  /// Creates a sample.
  public init(
    subjectID: String, analyte: Analyte, specimen: Specimen, quantity: Quantity,
    collected: CollectionTime? = nil, timeZone: String? = nil, wake: CollectionTime? = nil,
    relativeTime: RelativeTime? = nil, day: Int? = nil, label: String? = nil,
    referenceRange: ReferenceRange? = nil, testCode: String? = nil, qualifier: String? = nil,
    attributes: [String: String] = [:], provenance: InputLocation
  ) {
    self.subjectID = subjectID
    self.analyte = analyte
    self.specimen = specimen
    self.quantity = quantity
    self.collected = collected
    self.timeZone = timeZone
    self.wake = wake
    self.relativeTime = relativeTime
    self.day = day
    self.label = label
    self.referenceRange = referenceRange
    self.testCode = testCode
    self.qualifier = qualifier
    self.attributes = attributes
    self.provenance = provenance
  }
}
