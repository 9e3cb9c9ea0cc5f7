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
    // Values with few digits, as lab values and rounded features are, take the path that
    // needs no C call when asked for as many digits or more: the same text all the same.
    for index in 0..<200_000 {
      let length = 1 + index % 17
      var mantissa = generator.next() % 100_000_000_000_000_000
      while mantissa >= pow10(length) { mantissa /= 10 }
      let exponent = Int(generator.next() % 40) - 25
      guard let value = Double("\(index % 3 == 0 ? "-" : "")\(mantissa)e\(exponent)"), value != 0
      else { continue }
      let digits = 1 + Int(generator.next() % 17)
      let expected = String(format: "%.\(digits)g", value)
      let reference = NumberText.plain(Double(expected) ?? value)
      if NumberText.significant(value, digits) != reference {
        Issue.record(
          "\(value) \(digits): \(NumberText.significant(value, digits)), %g gives \(expected)")
      }
    }
    // Rounded from the shortest text's digits, as %g rounds the exact value, carries and
    // all; a text whose cut-off digits are exactly a 5 is left to C (2.675 is 2.67499...).
    #expect(NumberText.roundedShortest(9.996, 3) == "10")
    #expect(NumberText.roundedShortest(-0.00099951, 3) == "-0.001")
    #expect(NumberText.roundedShortest(1.23456e-300, 2) == "1.2e-300")
    #expect(NumberText.roundedShortest(2.675, 3) == nil)
    #expect(NumberText.significant(2.675, 3) == "2.67")
    // Powers of two and their neighbours, where the doubles' spacing changes: 2^-24 to 16
    // digits is 5.960464477539062e-08 (which reads back as the double below), not its own
    // shortest text.
    #expect(NumberText.significant(0x1p-24, 16) == "5.960464477539062e-08")
    for exponent in -1074...1023 {
      let power = Double(sign: .plus, exponent: exponent, significand: 1)
      for value in [power, power.nextUp, power.nextDown, -power] where value != 0 {
        for digits in 1...17 {
          let expected = String(format: "%.\(digits)g", value)
          let reference = NumberText.plain(Double(expected) ?? value)
          if NumberText.significant(value, digits) != reference {
            Issue.record(
              "\(value) \(digits): \(NumberText.significant(value, digits)), %g gives \(expected)")
          }
        }
      }
    }
    #expect(NumberText.significantCount("0.00120") == 3)
    #expect(NumberText.significantCount("-1.5e-07") == 2)
    #expect(NumberText.significantCount("1500") == 4)
  }

  private func pow10(_ exponent: Int) -> UInt64 {
    (0..<exponent).reduce(UInt64(1)) { product, _ in product * 10 }
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
      var bytes: [UInt8] = []
      NumberText.appendOneDecimal(value, to: &bytes)
      if NumberText.oneDecimal(value) != expected || bytes != Array(expected.utf8) {
        Issue.record("\(value): \(NumberText.oneDecimal(value)), %.1f gives \(expected)")
        return
      }
    }
    // Written into bytes as into a text, C's cases included.
    for value in [-0.0, 0.04, -1234.56, 1e15, -2e300, .infinity, -.infinity, .nan] {
      var bytes: [UInt8] = []
      NumberText.appendOneDecimal(value, to: &bytes)
      #expect(bytes == Array(String(format: "%.1f", value).utf8), "\(value)")
    }
  }
}
