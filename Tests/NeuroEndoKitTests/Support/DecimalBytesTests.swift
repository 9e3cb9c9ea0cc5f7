import Testing

@testable import NeuroEndoKit

@Suite("decimal digits written as bytes")
struct DecimalBytesTests {
  @Test("every digit count and sign as String(_:) writes it, the extremes included")
  func asStringWrites() {
    var values = [0, 1, -1, 9, 10, 99, 100, 1_000_000, Int.max, Int.min, Int.max - 1, Int.min + 1]
    var power = 1
    for _ in 0..<18 {
      power *= 10
      values += [power - 1, power, power + 1, -(power - 1), -power]
    }
    var generator = SplitMix64(seed: 7)
    for _ in 0..<10_000 {
      values.append(Int(bitPattern: UInt(generator.next())) >> (generator.next() % 64))
    }
    for value in values {
      var bytes: [UInt8] = [0x41]
      bytes.appendDecimal(value)
      #expect(bytes == [0x41] + Array(String(value).utf8), "\(value)")
    }
  }

  @Test("literals of every length, byte by byte or whole, append their UTF-8 after what is there")
  func literals() {
    let literals: [StaticString] = [
      "", "=", "&lt;", " : ", "12345678", "123456789", "stroke-dasharray", "é日🙂",
      "http://www.w3.org/2000/svg",
    ]
    var bytes: [UInt8] = []
    var expected: [UInt8] = []
    for literal in literals {
      bytes.append(literal: literal)
      expected += Array(literal.description.utf8)
      #expect(bytes == expected, "\(literal)")
    }
    // Growing from empty past a first capacity, short literal after short literal.
    var grown: [UInt8] = []
    for _ in 0..<1000 { grown.append(literal: "x1=\"") }
    #expect(grown == Array(String(repeating: "x1=\"", count: 1000).utf8))
  }
}
