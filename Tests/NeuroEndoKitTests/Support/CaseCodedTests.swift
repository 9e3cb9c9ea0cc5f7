import Testing

@testable import NeuroEndoKit

@Suite("enums that hash as their case's place (CaseCoded)")
struct CaseCodedTests {
  private func check<Value: CaseCoded & RawRepresentable>(_: Value.Type)
  where Value.RawValue == String {
    let cases = Array(Value.allCases)
    for (index, value) in cases.enumerated() {
      #expect(Int(value.caseCode) == index, "\(value)")
      for other in cases {
        // Equal exactly when the raw texts are, and equal values hash alike.
        #expect((value == other) == (value.rawValue == other.rawValue))
        if value == other { #expect(value.hashValue == other.hashValue) }
      }
    }
    #expect(MemoryLayout<Value>.size == 1)
    // As keys: every case found, under its own value only.
    let keyed = Dictionary(uniqueKeysWithValues: cases.map { ($0, $0.rawValue) })
    #expect(keyed.count == cases.count)
    for value in cases { #expect(keyed[value] == value.rawValue) }
  }

  @Test("every case of every such enum: its code is its place, equality and hashing agree")
  func everyCase() {
    check(Analyte.self)
    check(Axis.self)
    check(Specimen.self)
    check(LabUnit.self)
    check(Censoring.self)
    check(CSVProfile.Role.self)
  }
}
