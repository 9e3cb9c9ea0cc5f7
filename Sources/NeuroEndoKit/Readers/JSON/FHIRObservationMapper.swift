import Foundation

/// Turns FHIR R4 resources into samples: Observations with a LOINC code of the registry
/// become samples; other resources and codes are skipped and counted; an Observation of
/// ours that lacks what the analysis needs is rejected with the JSON path at fault.
struct FHIRObservationMapper {
  /// The code system URI of UCUM units.
  static let ucum = "http://unitsofmeasure.org"
  /// Statuses whose results must not be used.
  static let excludedStatuses: Set<String> = ["entered-in-error", "cancelled"]
  /// SNOMED CT specimen types (Specimen.type) we recognise.
  static let snomedSpecimens: [String: Specimen] = [
    "119364003": .serum, "119361006": .plasma, "119342007": .saliva, "119297000": .blood,
    "122575003": .urine,
  ]

  let file: String
  /// Specimen resources of the same file, by `Specimen/<id>` and by `fullUrl`.
  var specimens: [String: Specimen] = [:]
  /// Patient resources of the same file: `gender` and `birth_date`, by patient id; they are
  /// put on every sample of the patient (the feedback analyzers show them as context).
  var patients: [String: [String: String]] = [:]
  /// Patient resources of the same file by their entry's `fullUrl` (`urn:uuid:…` or an
  /// absolute URL), to their id: a reference by full URL names the same patient as
  /// `Patient/<id>`.
  var patientURLs: [String: String] = [:]

  /// What one record (entry, array item or NDJSON line) became.
  enum Outcome {
    case mapped
    case skipped(String)
  }

  /// Reads a Specimen resource's type, remembering it under its id and full URL, or a
  /// Patient's gender and birth date.
  mutating func learn(_ element: JSONElement) {
    guard let node = try? JSONNode.parse(element.bytes, path: element.path) else { return }
    let resource = element.place.isEntry ? node["resource"] : node
    if resource["resourceType"].string == "Patient", let id = resource["id"].string {
      if element.place.isEntry, let fullUrl = node["fullUrl"].string {
        patientURLs[Self.withoutVersion(fullUrl)] = id
      }
      var details: [String: String] = [:]
      if let gender = resource["gender"].string { details["gender"] = gender }
      if let birth = resource["birthDate"].string { details["birth_date"] = birth }
      if !details.isEmpty { patients[id] = details }
      return
    }
    guard resource["resourceType"].string == "Specimen" else { return }
    let type = resource["type"]
    let coded = type["coding"].items.lazy.compactMap { coding in
      coding["code"].string.flatMap { FHIRObservationMapper.snomedSpecimens[$0] }
    }.first
    let named = (type["text"].string ?? type["coding"].items.first?["display"].string)
      .flatMap { Specimen(name: $0.replacingOccurrences(of: " specimen", with: "")) }
    guard let specimen = coded ?? named else { return }
    if let id = resource["id"].string { specimens["Specimen/\(id)"] = specimen }
    if element.place.isEntry, let fullUrl = node["fullUrl"].string { specimens[fullUrl] = specimen }
  }

  /// Maps one record, appending its samples and rejections to `output`.
  func map(_ element: JSONElement, record: Int, into output: inout RecordOutput) -> Outcome {
    let node: JSONNode
    do throws(JSONParseError) {
      node = try JSONNode.parse(element.bytes, path: element.path)
    } catch {
      output.reject(rejection(record, element, element.path, .invalidJSON(error.message)))
      return .mapped
    }
    let resource = element.place.isEntry ? node["resource"] : node
    guard resource.value is [String: Any] else {
      let reason: RejectionReason =
        resource.exists
        ? .wrongType(field: resource.path, expected: "a resource object", found: resource.kind)
        : .missingField(resource.path.isEmpty ? "resource" : resource.path)
      output.reject(rejection(record, element, resource.path, reason))
      return .mapped
    }
    guard let type = resource["resourceType"].string else {
      output.reject(rejection(record, element, resource.path, .missingField("resourceType")))
      return .mapped
    }
    guard type == "Observation" else { return .skipped(type) }
    let codings = resource["code"]["coding"].items
    let loinc = codings.first { coding in
      let system = coding["system"].string
      return (system == nil || system == LOINC.system)
        && coding["code"].string.map { LOINC.codes[$0] != nil } == true
    }
    let hasOurComponent = resource["component"].items.contains { component in
      component["code"]["coding"].items.contains {
        $0["code"].string.map { LOINC.codes[$0] != nil } == true
      }
    }
    let code = loinc?["code"].string
    guard code != nil || hasOurComponent else {
      let first = codings.first?["code"].string ?? "without a code"
      return .skipped("Observation \(first)")
    }
    do throws(Rejection) {
      // A panel whose own code is not ours (LH and FSH in one Observation) is read through
      // its components.
      try observation(
        resource, code: code, testCode: code.flatMap { LOINC.codes[$0] }, element, record,
        &output)
    } catch {
      output.reject(error)
    }
    return .mapped
  }

  private func observation(
    _ resource: JSONNode, code: String?, testCode: TestCode?, _ element: JSONElement,
    _ record: Int, _ output: inout RecordOutput
  ) throws(Rejection) {
    let status = resource["status"]
    if let text = status.string, FHIRObservationMapper.excludedStatuses.contains(text) {
      throw rejection(record, element, status.path, .excludedStatus(text))
    }
    let subjectID = try subject(resource, element, record)
    let collected = try effectiveTime(resource, element, record)
    let namedSpecimen = resource["specimen"]["reference"].string.flatMap { specimens[$0] }
    var attributes = patients[subjectID] ?? [:]
    if let id = resource["id"].string { attributes["fhir_id"] = id }
    if let name = resource["code"]["text"].string { attributes["test_name"] = name }
    let notes = resource["note"].items.compactMap { $0["text"].string }
    if !notes.isEmpty { attributes["note"] = notes.joined(separator: "; ") }
    let range = referenceRange(resource["referenceRange"].items, attributes, collected)
    let location = InputLocation(
      file: file, record: record, line: element.line, path: resource.path)
    let quantity = resource["valueQuantity"]
    if quantity.exists, let code, let testCode {
      output.accept(
        Sample(
          subjectID: subjectID, analyte: testCode.analyte,
          specimen: namedSpecimen ?? testCode.specimen ?? .unspecified,
          quantity: try self.quantity(quantity, element, record), collected: collected,
          referenceRange: range, testCode: code, qualifier: testCode.qualifier,
          attributes: attributes, provenance: location))
      return
    }
    // Some exports put the values in components (one per analyte).
    var found = false
    for component in resource["component"].items {
      guard
        let componentCode = component["code"]["coding"].items.compactMap({ $0["code"].string })
          .first(where: { LOINC.codes[$0] != nil }), let componentTest = LOINC.codes[componentCode]
      else { continue }
      found = true
      do throws(Rejection) {
        let value = try self.quantity(component["valueQuantity"], element, record)
        output.accept(
          Sample(
            subjectID: subjectID, analyte: componentTest.analyte,
            specimen: namedSpecimen ?? componentTest.specimen ?? .unspecified,
            quantity: value, collected: collected,
            referenceRange: referenceRange(
              component["referenceRange"].items, attributes, collected) ?? range,
            testCode: componentCode, qualifier: componentTest.qualifier, attributes: attributes,
            provenance: InputLocation(
              file: file, record: record, line: element.line, path: component.path)))
      } catch {
        output.reject(error)
      }
    }
    guard found else {
      let absent = resource["dataAbsentReason"]["coding"].items.first?["code"].string
      let field = absent.map { "valueQuantity (dataAbsentReason '\($0)')" } ?? "valueQuantity"
      if let other = ["valueString", "valueCodeableConcept", "valueInteger", "valueRange"]
        .first(where: { resource[$0].exists })
      {
        throw rejection(
          record, element, resource[other].path,
          .wrongType(field: other, expected: "valueQuantity", found: resource[other].kind))
      }
      throw rejection(record, element, resource.path, .missingField(field))
    }
  }

  private func subject(_ resource: JSONNode, _ element: JSONElement, _ record: Int)
    throws(Rejection)
    -> String
  {
    let subject = resource["subject"]
    if let reference = subject["reference"].string, !reference.isEmpty {
      return patientID(reference)
    }
    if let identifier = subject["identifier"]["value"].string, !identifier.isEmpty {
      return identifier
    }
    throw rejection(record, element, subject.path, .missingField("subject.reference"))
  }

  /// The patient a reference names, resolved whole: `Patient/123`,
  /// `Patient/123/_history/1` and `https://host/fhir/Patient/123` are `123`, and so is the
  /// `fullUrl` (`urn:uuid:…`) of the bundle's Patient 123; any other reference stays whole.
  func patientID(_ reference: String) -> String {
    let reference = Self.withoutVersion(reference)
    if let id = patientURLs[reference] { return id }
    let parts = reference.split(separator: "/", omittingEmptySubsequences: false)
    if parts.count >= 2, parts[parts.count - 2] == "Patient", let id = parts.last, !id.isEmpty,
      parts.count == 2 || reference.contains("://")
    {
      return String(id)
    }
    return reference
  }

  /// A reference without its version: `Patient/123/_history/1` → `Patient/123`.
  static func withoutVersion(_ reference: String) -> String {
    guard let history = reference.range(of: "/_history/") else { return reference }
    return String(reference[..<history.lowerBound])
  }

  private func effectiveTime(_ resource: JSONNode, _ element: JSONElement, _ record: Int)
    throws(Rejection) -> CollectionTime
  {
    let candidates = [
      resource["effectiveDateTime"], resource["effectiveInstant"],
      resource["effectivePeriod"]["start"],
    ]
    guard let node = candidates.first(where: { $0.exists }) else {
      throw rejection(record, element, resource.path, .missingField("effective[x]"))
    }
    guard let text = node.string else {
      throw rejection(
        record, element, node.path,
        .wrongType(field: node.path, expected: "a date and time", found: node.kind))
    }
    let parsed = Array(text.utf8).withUnsafeBufferPointer { FieldParser.time($0, order: .ymd) }
    guard let time = parsed?.collectionTime() else {
      throw rejection(record, element, node.path, .unparsableTime(text))
    }
    return time
  }

  private func quantity(_ node: JSONNode, _ element: JSONElement, _ record: Int) throws(Rejection)
    -> Quantity
  {
    let value = node["value"]
    guard value.exists else {
      throw rejection(record, element, value.path, .missingField(value.path))
    }
    guard let number = value.number else {
      throw rejection(
        record, element, value.path,
        .wrongType(field: value.path, expected: "a number", found: value.kind))
    }
    if number < 0 {
      throw rejection(record, element, value.path, .negativeValue(NumberText.plain(number)))
    }
    let unitText =
      node["system"].string == FHIRObservationMapper.ucum
      ? node["code"].string ?? node["unit"].string : node["unit"].string ?? node["code"].string
    guard let unitText else {
      throw rejection(record, element, node.path, .missingField("\(node.path).unit"))
    }
    guard let unit = LabUnit(text: unitText) else {
      throw rejection(record, element, node.path, .unknownUnit(unitText))
    }
    var censoring = Censoring.none
    let comparator = node["comparator"]
    if let text = comparator.string {
      guard let parsed = Censoring(rawValue: text), parsed != .none else {
        throw rejection(
          record, element, comparator.path,
          .wrongType(field: comparator.path, expected: "<, <=, >= or >", found: "'\(text)'"))
      }
      censoring = parsed
    }
    return Quantity(value: number, unit: unit, censoring: censoring)
  }

  /// The reference range that applies to the patient: among the ranges whose `appliesTo`
  /// (sex) and `age` fit the Patient resource's gender and birth date, the most specific;
  /// otherwise the first. Limits keep their own unit (`low.code`, `low.unit`).
  private func referenceRange(
    _ nodes: [JSONNode], _ patient: [String: String], _ time: CollectionTime?
  ) -> ReferenceRange? {
    let ranges = nodes.compactMap { node -> (range: ReferenceRange, fit: Int?)? in
      guard let range = referenceRange(node) else { return nil }
      return (range, fit(node, patient, time))
    }
    let fitting = ranges.enumerated().filter { $0.element.fit != nil }.max {
      ($0.element.fit!, -$0.offset) < ($1.element.fit!, -$1.offset)
    }
    return fitting?.element.range ?? ranges.first?.range
  }

  private func referenceRange(_ node: JSONNode) -> ReferenceRange? {
    let low = node["low"]["value"].number
    let high = node["high"]["value"].number
    guard low != nil || high != nil else { return nil }
    let units = ["low", "high"].compactMap { bound -> String? in
      let quantity = node[bound]
      return quantity["system"].string == FHIRObservationMapper.ucum
        ? quantity["code"].string ?? quantity["unit"].string
        : quantity["unit"].string ?? quantity["code"].string
    }
    // A limit in a unit we cannot read would be compared with the wrong numbers.
    let parsed = units.map(LabUnit.init(text:))
    guard !parsed.contains(where: { $0 == nil }), Set(parsed).count <= 1 else { return nil }
    return ReferenceRange(low: low, high: high, unit: parsed.first ?? nil)
  }

  /// How many of a range's conditions the patient meets, or `nil` when one is not met or
  /// cannot be told (a sex-specific range for a patient of unknown sex).
  private func fit(_ node: JSONNode, _ patient: [String: String], _ time: CollectionTime?) -> Int? {
    var met = 0
    for concept in node["appliesTo"].items {
      let words =
        (concept["coding"].items.flatMap { [$0["code"].string, $0["display"].string] }
        + [concept["text"].string]).compactMap { $0?.lowercased() }
      let sexes = Set(words.compactMap(Self.sex(of:)))
      guard !sexes.isEmpty else { continue }  // a condition we do not read (race, phase)
      guard let gender = patient["gender"]?.lowercased(), sexes.contains(gender) else {
        return nil
      }
      met += 1
    }
    let age = node["age"]
    if age.exists {
      guard let years = Self.age(birth: patient["birth_date"], at: time) else { return nil }
      func limit(_ key: String) -> Double? {
        guard let value = age[key]["value"].number else { return nil }
        let unit = (age[key]["code"].string ?? age[key]["unit"].string ?? "a").lowercased()
        return unit.hasPrefix("mo") ? value / 12 : unit.hasPrefix("w") ? value / 52.1775 : value
      }
      if let low = limit("low"), years < low { return nil }
      if let high = limit("high"), years > high { return nil }
      met += 1
    }
    return met
  }

  /// `male` or `female` for the codes and words FHIR ranges use (administrative gender,
  /// v3 `M`/`F`, SNOMED 248153007/248152002).
  private static func sex(of word: String) -> String? {
    switch word {
    case "male", "m", "men", "man", "248153007": "male"
    case "female", "f", "women", "woman", "248152002": "female"
    default: nil
    }
  }

  /// Whole years from a birth date (`1971-04-12`, `1971`) to a time.
  private static func age(birth: String?, at time: CollectionTime?) -> Double? {
    guard let birth, let time else { return nil }
    let parts = birth.split(separator: "-").compactMap { Int($0) }
    guard let year = parts.first else { return nil }
    var years = Double(time.local.year - year)
    let month = parts.count > 1 ? parts[1] : 1
    let day = parts.count > 2 ? parts[2] : 1
    if (time.local.month, time.local.day) < (month, day) { years -= 1 }
    return years
  }

  private func rejection(
    _ record: Int, _ element: JSONElement, _ path: String, _ reason: RejectionReason
  ) -> Rejection {
    Rejection(
      location: InputLocation(file: file, record: record, line: element.line, path: path),
      reason: reason)
  }
}

extension JSONElement.Place {
  var isEntry: Bool {
    if case .entry = self { return true }
    return false
  }
}
