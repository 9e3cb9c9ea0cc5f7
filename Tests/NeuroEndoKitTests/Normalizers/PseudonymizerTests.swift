import Foundation
import Testing

@testable import NeuroEndoKit

@Suite("Pseudonyms are HMAC-SHA256 (RFC 4231)")
struct PseudonymizerTests {
  @Test("RFC 4231 test case 1: key 0x0b x 20, data 'Hi There'")
  func rfc4231() {
    // HMAC-SHA256 = b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7.
    let pseudonymizer = Pseudonymizer(key: [UInt8](repeating: 0x0b, count: 20))
    #expect(pseudonymizer.pseudonym("Hi There") == "PSN-B0344C61D8DB38535CA8AFCEAF0BF12B")
    // The fingerprint tells keys apart and holds no key byte.
    let other = Pseudonymizer(key: [UInt8](repeating: 0x0c, count: 20))
    #expect(pseudonymizer.fingerprint != other.fingerprint)
    #expect(pseudonymizer.fingerprint.count == 16)
  }

  @Test("a subject's samples in runs: each id hashed once a run, the same pseudonym")
  func runs() {
    let pseudonymizer = Pseudonymizer(key: Array("a key of thirty-two bytes, or so ...".utf8))
    var last: (id: String, pseudonym: String)?
    let samples = ["a", "a", "b", "a"].map {
      Sample(
        subjectID: $0, analyte: .tsh, specimen: .serum,
        quantity: Quantity(value: 1, unit: .milliIUPerLiter),
        provenance: InputLocation(file: "x.csv", record: 2))
    }
    let ids = samples.map { pseudonymizer.apply($0, last: &last).subjectID }
    #expect(ids == ["a", "a", "b", "a"].map(pseudonymizer.pseudonym))
    #expect(Set(ids).count == 2)
  }
}
