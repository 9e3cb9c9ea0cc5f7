/// The fuzz targets' stand-in for `Support/SHA256.swift`, which wraps swift-crypto: the
/// targets are compiled with `swiftc` alone, without the package's modules, and a file's
/// digest is only recorded by the readers, never read. The same interface; the digest is
/// FNV-1a 64 of the bytes, written as 64 hexadecimal digits.
enum SHA256 {
  struct Hasher {
    private var state: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
      for byte in bytes {
        state ^= UInt64(byte)
        state = state &* 0x0000_0100_0000_01b3
      }
    }

    mutating func finish() -> String {
      let text = String(state, radix: 16)
      return String(repeating: "0", count: 64 - text.count) + text
    }
  }

  static func hex(_ bytes: [UInt8]) -> String {
    var hasher = Hasher()
    bytes.withUnsafeBytes { hasher.update($0) }
    return hasher.finish()
  }
}
