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
}
