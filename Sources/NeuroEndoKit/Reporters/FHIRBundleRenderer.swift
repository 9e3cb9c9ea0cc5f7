import Crypto
import Foundation

/// A patient's report as a FHIR R4 Bundle (type `collection`) for the hospital system: one
/// DiagnosticReport, LOINC-coded (11502-2, laboratory report), whose conclusion is the
/// findings' messages, and an Observation for each result the findings judged, with the
/// value in its canonical UCUM unit (and its comparator when censored), the range used and
/// its source, and the interpretation coded with the v3 ObservationInterpretation codes.
public enum FHIRBundleRenderer {
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

  /// The LOINC long common names of the codes written (Regenstrief LOINC), the coding's
  /// display. 58643-8 (late-night salivary cortisol) has its own name in each LOINC
  /// release; its coding carries the code and the concept's text only.
  static let display: [String: String] = [
    "2143-6": "Cortisol [Mass/volume] in Serum or Plasma",
    "14675-3": "Cortisol [Moles/volume] in Serum or Plasma",
    "2142-8": "Cortisol [Mass/volume] in Saliva",
    "51844-9": "Cortisol [Moles/volume] in Saliva (oral fluid)",
    "2145-1": "Cortisol Free [Mass/volume] in Serum or Plasma",
    "2141-0": "Corticotropin [Mass/volume] in Plasma",
    "14674-6": "Corticotropin [Moles/volume] in Plasma",
    "2191-5": "Dehydroepiandrosterone sulfate [Mass/volume] in Serum or Plasma",
    "14688-6": "Dehydroepiandrosterone sulfate [Moles/volume] in Serum or Plasma",
    "3016-3": "Thyrotropin [Units/volume] in Serum or Plasma",
    "3024-7": "Thyroxine (T4) free [Mass/volume] in Serum or Plasma",
    "14920-3": "Thyroxine (T4) free [Moles/volume] in Serum or Plasma",
    "3051-0": "Triiodothyronine (T3) Free [Mass/volume] in Serum or Plasma",
    "14928-6": "Triiodothyronine (T3) Free [Moles/volume] in Serum or Plasma",
    "10501-5": "Lutropin [Units/volume] in Serum or Plasma",
    "15067-2": "Follitropin [Units/volume] in Serum or Plasma",
    "2986-8": "Testosterone [Mass/volume] in Serum or Plasma",
    "14913-8": "Testosterone [Moles/volume] in Serum or Plasma",
    "2243-4": "Estradiol (E2) [Mass/volume] in Serum or Plasma",
    "14715-7": "Estradiol (E2) [Moles/volume] in Serum or Plasma",
  ]

  /// The HL7 v2 specimen type (table 0487) of a specimen, when it has one.
  static func specimenType(_ specimen: Specimen) -> (code: String, display: String)? {
    switch specimen {
    case .serum: ("SER", "Serum")
    case .plasma: ("PLAS", "Plasma")
    case .saliva: ("SAL", "Saliva")
    case .blood: ("BLD", "Whole blood")
    case .urine: ("UR", "Urine")
    case .serumOrPlasma, .unspecified: nil
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
    var specimens: [String: [String: Any]] = [:]
    var specimenOrder: [String] = []
    var seen = Set<String>()
    for finding in findings {
      for value in finding.values {
        let key =
          "\(value.analyte.rawValue)|\(value.specimen.rawValue)|\(value.time?.description ?? "")|\(value.value)|\(value.censoring.rawValue)"
        guard seen.insert(key).inserted else { continue }
        // One Specimen per material and collection time, which its Observations name.
        let specimenKey =
          "specimen|\(subject)|\(value.specimen.rawValue)|\(value.time?.description ?? "")"
        if specimens[specimenKey] == nil {
          specimens[specimenKey] = specimen(value, subject: subject, id: uuid(specimenKey))
          specimenOrder.append(specimenKey)
        }
        var entry = observation(
          value, subject: subject, lateNight: finding.analyzer == "late_night_cortisol",
          index: observations.count + 1)
        entry["specimen"] = ["reference": "urn:uuid:\(uuid(specimenKey))"]
        observations.append(entry)
      }
    }
    let conclusion = findings.map { "\($0.axis.rawValue): \($0.message)" }.joined(separator: "\n")
    let times = findings.compactMap { $0.time }.sorted {
      Normalizer.seconds($0) < Normalizer.seconds($1)
    }
    var report: [String: Any] = [
      "resourceType": "DiagnosticReport",
      "id": uuid("report|\(subject)"),
      // A report resting on a corrected value is itself corrected.
      "status": findings.contains { $0.values.contains { $0.correction != nil } }
        ? "corrected" : "final",
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
      "issued": LocalDateTime.iso(issued),
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
    for key in specimenOrder {
      let resource = specimens[key]!
      entries.append(["fullUrl": "urn:uuid:\(resource["id"] as! String)", "resource": resource])
    }
    let bundle: [String: Any] = [
      "resourceType": "Bundle", "type": "collection", "timestamp": LocalDateTime.iso(issued),
      "entry": entries,
    ]
    let data = try JSONSerialization.data(
      withJSONObject: bundle, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    return String(decoding: data, as: UTF8.self) + "\n"
  }

  /// The Specimen a result was measured in: its type (HL7 v2 table 0487, or the text
  /// alone where the export says serum or plasma) and its collection time.
  private static func specimen(_ value: JudgedResult, subject: String, id: String) -> [String: Any]
  {
    var type: [String: Any] = [
      "text": value.specimen.rawValue.replacingOccurrences(of: "-", with: " ")
    ]
    if let code = specimenType(value.specimen) {
      type["coding"] = [
        [
          "system": "http://terminology.hl7.org/CodeSystem/v2-0487", "code": code.code,
          "display": code.display,
        ]
      ]
    }
    var resource: [String: Any] = [
      "resourceType": "Specimen", "id": id, "type": type, "subject": reference(subject),
    ]
    if let time = value.time { resource["collection"] = ["collectedDateTime": time.description] }
    return resource
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
      // A value a later delivery corrected is `corrected` (FHIR R4 ObservationStatus).
      "status": value.correction == nil ? "final" : "corrected",
      "category": [
        [
          "coding": [
            [
              "system": "http://terminology.hl7.org/CodeSystem/observation-category",
              "code": "laboratory", "display": "Laboratory",
            ]
          ]
        ]
      ],
      "code": [
        "coding": [
          ["system": loinc, "code": code].merging(display[code].map { ["display": $0] } ?? [:]) {
            $1
          }
        ],
        "text": value.name,
      ],
      "subject": reference(subject),
      "valueQuantity": quantity,
      // The file's name and record, never a folder of the machine that read it.
      "note": [["text": "Read from \(value.source)"]]
        // The late-night code is a mass code: a molar late-night value goes out under the
        // saliva code, and says late-night in its note (which readers take as the marker).
        + (lateNight ? [["text": "late-night sample"]] : [])
        + (value.correction.map { [["text": $0]] } ?? []),
    ]
    if let time = value.time { observation["effectiveDateTime"] = time.description }
    if let range = value.range {
      var entry: [String: Any] = ["text": value.rangeSource ?? "range"]
      // A lab's limits at the lab's precision, defaults as set (171, not 171.05800000000002).
      if let low = range.low {
        entry["low"] = [
          "value": NSDecimalNumber(string: value.lowText ?? NumberText.significant(low, 4)),
          "unit": value.displayUnit, "system": ucum, "code": unit,
        ]
      }
      if let high = range.high {
        entry["high"] = [
          "value": NSDecimalNumber(string: value.highText ?? NumberText.significant(high, 4)),
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

  /// NeuroEndo's namespace for name-based UUIDs: the RFC 4122 version 5 UUID of the name
  /// `neuroendo.fhir` in the URL namespace (6ba7b811-9dad-11d1-80b4-00c04fd430c8).
  static let namespace = uuid5(
    namespace: [
      0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30,
      0xc8,
    ], name: "neuroendo.fhir")

  /// The RFC 4122 version 5 UUID of `text` in NeuroEndo's namespace, so that the same
  /// report gets the same ids on every run.
  static func uuid(_ text: String) -> String { format(uuid5(namespace: namespace, name: text)) }

  /// RFC 4122 section 4.3: the SHA-1 of the namespace's 16 bytes and the name's UTF-8,
  /// its first 16 bytes with the version (5) and the variant (10) set.
  static func uuid5(namespace: [UInt8], name: String) -> [UInt8] {
    var hash = Insecure.SHA1()
    hash.update(data: namespace)
    hash.update(data: Array(name.utf8))
    var bytes = Array(hash.finalize().prefix(16))
    bytes[6] = (bytes[6] & 0x0F) | 0x50
    bytes[8] = (bytes[8] & 0x3F) | 0x80
    return bytes
  }

  /// `886313e1-3b8a-5372-9b90-0c9aee199e5d`.
  static func format(_ bytes: [UInt8]) -> String {
    let hex = bytes.map {
      String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16)
    }
    return [0..<4, 4..<6, 6..<8, 8..<10, 10..<16].map { hex[$0].joined() }.joined(separator: "-")
  }
}
