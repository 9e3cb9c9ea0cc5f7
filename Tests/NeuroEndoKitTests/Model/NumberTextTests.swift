import Foundation
import Testing

@testable import NeuroEndoKit

@Suite("number text")
struct NumberTextTests {
  @Test("significant digits as %g writes them, without Foundation's formatter")
  func significant() {
    let cases: [(Double, Int, String)] = [
      (9.2664, 3, "9.27"), (2.675, 3, "2.67"), (0.125, 2, "0.12"), (-0.000123456, 2, "-0.00012"),
      (123456789, 3, "123000000"), (1e-300, 3, "1e-300"), (0.1 + 0.2, 17, "0.30000000000000004"),
    ]
    for (value, digits, text) in cases {
      #expect(NumberText.significant(value, digits) == text, "\(value) \(digits)")
    }
    var generator = SplitMix64(seed: 26)
    for index in 0..<50_000 {
      let value = Double(bitPattern: generator.next()) * (index % 2 == 0 ? 1 : 1e-300)
      let digits = 1 + index % 17
      guard value.isFinite, value != 0 else { continue }
      let expected = String(format: "%.\(digits)g", value)
      let reference = NumberText.plain(Double(expected) ?? value)
      if NumberText.significant(value, digits) != reference {
        Issue.record(
          "\(value) \(digits): \(NumberText.significant(value, digits)), %g gives \(expected)")
      }
    }
  }

  @Test("one decimal is written as C's %.1f writes it, ties and signs included")
  func oneDecimal() {
    // Half-way cases on the exact binary value: 0.25 and 0.75 are exact ties (to even);
    // 0.35 is 0.34999... and 0.45 is 0.45000...1 in binary; -0.04 keeps its sign.
    let cases: [(Double, String)] = [
      (0.25, "0.2"), (0.75, "0.8"), (0.35, "0.3"), (0.45, "0.5"), (-0.04, "-0.0"), (-0.0, "-0.0"),
      (0, "0.0"), (12.34, "12.3"), (-7.96, "-8.0"), (99.95, "100.0"), (1439.9999, "1440.0"),
    ]
    for (value, text) in cases {
      #expect(NumberText.oneDecimal(value) == text, "\(value)")
      #expect(String(format: "%.1f", value) == text, "\(value)")
    }
    // A seeded sweep over chart-sized values and exact half-tenths.
    var generator = SplitMix64(seed: 15)
    for index in 0..<200_000 {
      let value =
        index % 2 == 0
        ? (Double(generator.next() % 2_000_000) - 1_000_000) / 20
        : Double(bitPattern: 0x3FF0_0000_0000_0000 | (generator.next() >> 12)) * 321.7
          - 500
      let expected = String(format: "%.1f", value)
      if NumberText.oneDecimal(value) != expected {
        Issue.record("\(value): \(NumberText.oneDecimal(value)), %.1f gives \(expected)")
        return
      }
    }
  }
}
