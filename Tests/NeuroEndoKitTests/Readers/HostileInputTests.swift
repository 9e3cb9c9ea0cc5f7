import Foundation
import Testing

@testable import NeuroEndoKit

@Suite("Hostile values, headers and settings")
struct HostileInputTests {
  @Test("a negative concentration is rejected at its cell; a value that underflows to zero too")
  func negativeAndUnderflow() {
    let result = read(
      text: """
        patient_id,test_code,value,unit,collected_at
        P1,2143-6,-5,ug/dL,2026-03-14T08:00:00+01:00
        P1,2143-6,1e-400,ug/dL,2026-03-14T09:00:00+01:00
        P1,2143-6,0,ug/dL,2026-03-14T10:00:00+01:00
        P1,2143-6,<-2,ug/dL,2026-03-14T11:00:00+01:00
        P1,2143-6,12.5,ug/dL,2026-03-14T12:00:00+01:00
        """)
    #expect(result.reasons == ["negative-value", "value-underflow", "negative-value"])
    #expect(result.rejections.map(\.location.record) == [2, 3, 5])
    #expect(result.rejections.allSatisfy { $0.location.column == "value" })
    #expect(
      result.rejections[0].reason.description == "value '-5' is negative; concentrations are not")
    // A zero as written stays a value (an assay can report 0); 12.5 is read.
    #expect(result.samples.map(\.quantity.value) == [0, 12.5])
  }

  @Test("a negative FHIR valueQuantity is rejected with its JSON path")
  func negativeFHIR() throws {
    let bundle = #"""
      {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Observation", "status": "final",
          "code": {"coding": [{"system": "http://loinc.org", "code": "3016-3"}]},
          "subject": {"reference": "Patient/n1"}, "effectiveDateTime": "2026-03-14T08:00:00Z",
          "valueQuantity": {"value": -0.4, "unit": "mIU/L"}}}]}
      """#
    let file = FileManager.default.temporaryDirectory.appendingPathComponent(
      "negative-\(UUID()).json")
    try bundle.write(to: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: file) }
    var rejections: [Rejection] = []
    _ = FHIRReader().read(
      file: file.path, onSample: { _ in }, onRejection: { rejections.append($0) })
    #expect(rejections.map(\.reason.code) == ["negative-value"])
    #expect(rejections.first?.location.path == "entry[0].resource.valueQuantity.value")
  }

  @Test("two header columns of one name: every record rejected, naming both positions")
  func duplicateColumns() throws {
    let text = """
      patient_id,test_code,value,unit,collected_at,Value
      P1,3016-3,2.1,mIU/L,2026-03-14T08:00:00+01:00,9
      """
    let result = read(text: text)
    #expect(result.reasons == ["duplicate-column"])
    #expect(
      result.rejections.first?.reason
        == .duplicateColumn(name: "Value", first: 3, second: 6))
    // The profile can say to read the first.
    var profile = CSVProfile.lisLong
    profile.firstOfDuplicateColumns = true
    #expect(read(text: text, profile: profile).samples.map(\.quantity.value) == [2.1])
  }

  @Test("a sample hours before waking is flagged before-waking; minutes before are not")
  func beforeWaking() {
    func sample(_ minutes: Double) -> Sample {
      Sample(
        subjectID: "b1", analyte: .cortisol, specimen: .saliva,
        quantity: Quantity(value: 9, unit: .nanomolePerLiter),
        relativeTime: RelativeTime(minutes: minutes, anchor: .waking), day: 1,
        provenance: InputLocation(file: "x.csv"))
    }
    let result = Normalizer(settings: NormalizerSettings())!.normalize([
      sample(-10), sample(-300),
    ])
    #expect(result.samples.map { $0.flags.map(\.code).contains("before-waking") } == [false, true])
    var settings = NormalizerSettings()
    settings.screens.minimumMinutesSinceWaking = -400
    #expect(
      Normalizer(settings: settings)!.normalize([sample(-300)]).samples[0].flags.isEmpty)
  }

  @Test("NaN, infinity and numbers outside their domain are refused with file and line")
  func settingsDomains() {
    let yaml = """
      version: 1
      inputs:
        - path: ../SampleData/lis
      settings:
        normalize:
          screens:
            unit_mixup_ratio: 0.5
            car_tolerance_minutes: .nan
            limits:
              cortisol/saliva: {detection: -1, plausible: [0.33, .inf]}
        analyze:
          flattened_slope: {threshold: .nan, z_score: 0}
          feedback:
            dexamethasone_cutoff: .nan
            ranges:
              - {analyte: tsh, low: -0.3, high: 4.2}
      outputs:
        directory: out
      """
    let found: [String]
    do {
      _ = try PipelineLoader.parse(yaml, file: Repository.path("Pipelines/test.yml"))
      found = []
    } catch {
      found = error.issues.map { "\($0.line.map(String.init) ?? "-") \($0.key): \($0.message)" }
    }
    #expect(
      found.contains(
        "7 settings.normalize.screens.unit_mixup_ratio: expected a ratio above 1, found 0.5"))
    #expect(
      found.contains(
        "8 settings.normalize.screens.car_tolerance_minutes: expected a finite number, found '.nan'"
      ))
    #expect(
      found.contains(
        "10 settings.normalize.screens.limits.cortisol/saliva.detection: expected a concentration above 0, found -1"
      ))
    #expect(
      found.contains(
        "10 settings.normalize.screens.limits.cortisol/saliva.plausible[1]: expected a finite number, found '.inf'"
      ))
    #expect(
      found.contains(
        "12 settings.analyze.flattened_slope.threshold: expected a finite number, found '.nan'"))
    #expect(
      found.contains("12 settings.analyze.flattened_slope.z_score: expected SDs above 0, found 0"))
    #expect(
      found.contains(
        "14 settings.analyze.feedback.dexamethasone_cutoff: expected a finite number, found '.nan'")
    )
    #expect(
      found.contains(
        "16 settings.analyze.feedback.ranges[0].low: expected a concentration, 0 or more, found -0.3"
      ))
  }
}
