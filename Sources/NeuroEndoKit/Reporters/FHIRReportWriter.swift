import Foundation

/// A patient's report as a FHIR R4 Bundle (type `collection`) for the hospital system: one
/// DiagnosticReport, LOINC-coded (11502-2, laboratory report), whose conclusion is the
/// findings' messages, and an Observation for each result the findings judged, with the
/// value in its canonical UCUM unit (and its comparator when censored), the range used and
/// its source, and the interpretation coded with the v3 ObservationInterpretation codes.
public enum FHIRReportWriter {
  static let loinc = "http://loinc.org"
  static let ucum = "http://unitsofmeasure.org"
  static let interpretationSystem =
    "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"

  /// The LOINC code an Observation of `analyte` in `specimen` is filed under.
  ///
  /// The code's property matches the unit (Methods: Analytes and LOINC codes): a molar unit
  /// (`nmol/L`, `pmol/L`, `umol/L`) takes the substance-concentration code (`[Moles/volume]`,
  /// SCnc), a mass unit the mass-concentration one (`[Mass/volume]`, MCnc); TSH, LH and FSH
  /// are in units either way.
  static func code(_ analyte: Analyte, _ specimen: Specimen, lateNight: Bool, unit: String)
    -> String
  {
    let molar = unit.contains("mol")
    switch analyte {
    case .cortisol:
      if specimen == .saliva { return molar ? "51844-9" : (lateNight ? "58643-8" : "2142-8") }
      return molar ? "14675-3" : "2143-6"
    case .freeCortisol: return "2145-1"
    case .acth: return molar ? "14674-6" : "2141-0"
    case .dheas: return molar ? "14688-6" : "2191-5"
    case .tsh: return "3016-3"
    case .freeT4: return molar ? "14920-3" : "3024-7"
    case .freeT3: return molar ? "14928-6" : "3051-0"
    case .lh: return "10501-5"
    case .fsh: return "15067-2"
    case .testosterone: return molar ? "14913-8" : "2986-8"
    case .estradiol: return molar ? "14715-7" : "2243-4"
    }
  }

  /// A number as FHIR gets it: at its reporting precision (`0.97`, not
  /// `0.9688800000000001`), as a decimal so that JSON writes it as such.
  static func decimal(_ text: String, _ value: Double) -> NSDecimalNumber {
    let number = NSDecimalNumber(string: text, locale: Locale(identifier: "en_US_POSIX"))
    guard number != .notANumber, Double(text).map({ abs($0 - value) <= abs(value) * 0.05 }) == true
    else {
      return NSDecimalNumber(string: NumberText.significant(value, 4))
    }
    return number
  }

  /// The v3 interpretation of a status: L, N, H; IND for a censored value its bound cannot
  /// place; none without a range.
  static func interpretation(_ status: JudgedResult.Status) -> (code: String, display: String)? {
    switch status {
    case .low: ("L", "Low")
    case .normal: ("N", "Normal")
    case .high: ("H", "High")
    case .indeterminate: ("IND", "Indeterminate")
    case .unknown: nil
    }
  }

  /// The Bundle of one subject's findings, as JSON text; `nil` when the subject has none.
  public static func bundle(subject: String, findings: [Finding], issued: Date) throws -> String? {
    guard !findings.isEmpty else { return nil }
    var observations: [[String: Any]] = []
    var seen = Set<String>()
    for finding in findings {
      for value in finding.values {
        let key =
          "\(value.analyte.rawValue)|\(value.specimen.rawValue)|\(value.time?.description ?? "")|\(value.value)|\(value.censoring.rawValue)"
        guard seen.insert(key).inserted else { continue }
        observations.append(
          observation(
            value, subject: subject, lateNight: finding.analyzer == "late_night_cortisol",
            index: observations.count + 1))
      }
    }
    let conclusion = findings.map { "\($0.axis.rawValue): \($0.message)" }.joined(separator: "\n")
    let times = findings.compactMap { $0.time }.sorted {
      Normalizer.seconds($0) < Normalizer.seconds($1)
    }
    var report: [String: Any] = [
      "resourceType": "DiagnosticReport",
      "id": uuid("report|\(subject)"),
      "status": "final",
      "category": [
        [
          "coding": [
            [
              "system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "LAB",
              "display": "Laboratory",
            ]
          ]
        ]
      ],
      "code": [
        "coding": [["system": loinc, "code": "11502-2", "display": "Laboratory report"]],
        "text": "NeuroEndo feedback findings",
      ],
      "subject": reference(subject),
      "issued": iso(issued),
      "result": observations.map { ["reference": "urn:uuid:\($0["id"] as! String)"] },
      "conclusion": conclusion
        + "\nFindings describe patterns in the numbers; they are not diagnoses.",
    ]
    if let first = times.first, let last = times.last {
      report["effectivePeriod"] = ["start": first.description, "end": last.description]
    }
    let reportID = report["id"] as! String
    var entries: [[String: Any]] = [["fullUrl": "urn:uuid:\(reportID)", "resource": report]]
    for observation in observations {
      entries.append([
        "fullUrl": "urn:uuid:\(observation["id"] as! String)", "resource": observation,
      ])
    }
    let bundle: [String: Any] = [
      "resourceType": "Bundle", "type": "collection", "timestamp": iso(issued), "entry": entries,
    ]
    let data = try JSONSerialization.data(
      withJSONObject: bundle, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    return String(decoding: data, as: UTF8.self) + "\n"
  }

  private static func observation(
    _ value: JudgedResult, subject: String, lateNight: Bool, index: Int
  ) -> [String: Any] {
    let unit = value.unit
    var quantity: [String: Any] = [
      "value": decimal(value.valueText, value.value), "unit": value.displayUnit, "system": ucum,
      "code": unit,
    ]
    if value.censoring != .none { quantity["comparator"] = value.censoring.rawValue }
    let code = code(value.analyte, value.specimen, lateNight: lateNight, unit: unit)
    var observation: [String: Any] = [
      "resourceType": "Observation",
      "id": uuid("observation|\(subject)|\(index)"),
      "status": "final",
      "category": [
        [
          "coding": [
            [
              "system": "http://terminology.hl7.org/CodeSystem/observation-category",
              "code": "laboratory",
            ]
          ]
        ]
      ],
      "code": ["coding": [["system": loinc, "code": code]], "text": value.name],
      "subject": reference(subject),
      "valueQuantity": quantity,
      "note": [["text": "Read from \(value.source)"]]
        // The late-night code is a mass code: a molar late-night value goes out under the
        // saliva code, and says late-night in its note (which readers take as the marker).
        + (lateNight ? [["text": "late-night sample"]] : []),
    ]
    if let time = value.time { observation["effectiveDateTime"] = time.description }
    if let range = value.range {
      var entry: [String: Any] = ["text": value.rangeSource ?? "range"]
      // Converted limits at four significant digits (171.1, not 171.05800000000002).
      if let low = range.low {
        entry["low"] = [
          "value": NSDecimalNumber(string: NumberText.significant(low, 4)),
          "unit": value.displayUnit, "system": ucum, "code": unit,
        ]
      }
      if let high = range.high {
        entry["high"] = [
          "value": NSDecimalNumber(string: NumberText.significant(high, 4)),
          "unit": value.displayUnit, "system": ucum, "code": unit,
        ]
      }
      observation["referenceRange"] = [entry]
    }
    if let interpretation = interpretation(value.status) {
      observation["interpretation"] = [
        [
          "coding": [
            [
              "system": interpretationSystem, "code": interpretation.code,
              "display": interpretation.display,
            ]
          ]
        ]
      ]
    }
    return observation
  }

  /// `Patient/<id>` when the subject id is a valid FHIR id, else the id as an identifier.
  static func reference(_ subject: String) -> [String: Any] {
    let valid =
      (1...64).contains(subject.count)
      && subject.unicodeScalars.allSatisfy {
        $0.isASCII
          && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == ".")
      }
    return valid
      ? ["reference": "Patient/\(subject)"]
      : ["identifier": ["value": subject], "display": subject]
  }

  /// A UUID made from `text` (two FNV-1a hashes, version and variant bits set), so that the
  /// same report gets the same ids on every run.
  static func uuid(_ text: String) -> String {
    func fnv(_ seed: UInt64) -> UInt64 {
      var hash = seed
      for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
      return hash
    }
    let high = (fnv(0xcbf2_9ce4_8422_2325) & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_5000
    let low = (fnv(0x8422_2325_cbf2_9ce4) & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
    func hex(_ value: UInt64, _ digits: Int) -> String {
      let text = String(value, radix: 16)
      return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
    let a = hex(high, 16)
    let b = hex(low, 16)
    return
      "\(a.prefix(8))-\(a.dropFirst(8).prefix(4))-\(a.suffix(4))-\(b.prefix(4))-\(b.suffix(12))"
  }

  /// An instant in ISO 8601 with seconds and `Z`.
  static func iso(_ date: Date) -> String {
    LocalDateTime(wallClockSeconds: date.timeIntervalSince1970.rounded(.down)).description + "Z"
  }
}
