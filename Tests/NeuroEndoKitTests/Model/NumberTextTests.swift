import Foundation
import Testing

@testable import NeuroEndoKit

@Suite("number text")
struct NumberTextTests {
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
