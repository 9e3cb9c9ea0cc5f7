import Crypto
import Foundation

/// SHA-256 (FIPS 180-4) of a file, streamed, for the audit's record of what was read.
enum SHA256 {
  /// The running state of one digest: swift-crypto's (BoringSSL's, with the processor's SHA
  /// instructions where it has them), fed as the bytes come.
  struct Hasher {
    private var digest = Crypto.SHA256()

    /// Adds bytes to the digest.
    mutating func update(_ bytes: UnsafeRawBufferPointer) { digest.update(bufferPointer: bytes) }

    /// The digest of every byte added, as 64 lower-case hexadecimal digits.
    mutating func finish() -> String {
      var text: [UInt8] = []
      text.reserveCapacity(64)
      for byte in digest.finalize() { text.appendHex(byte) }
      return String(decoding: text, as: UTF8.self)
    }
  }

  /// The digest of bytes, as 64 hexadecimal digits.
  static func hex(_ bytes: [UInt8]) -> String {
    var hasher = Hasher()
    bytes.withUnsafeBytes { hasher.update($0) }
    return hasher.finish()
  }

  /// The size and digest of a regular file, read in 1 MiB chunks; `nil` when it cannot be read.
  static func file(_ path: String) -> (bytes: Int, sha256: String)? {
    guard case .success(let descriptor) = FileSystem.open(path, O_RDONLY | O_NONBLOCK) else {
      return nil
    }
    defer { FileSystem.close(descriptor) }
    guard FileSystem.kind(of: descriptor) == .regular else { return nil }
    var hasher = Hasher()
    var total = 0
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 8)
    defer { buffer.deallocate() }
    while true {
      guard
        case .success(let count) = FileSystem.read(
          descriptor, into: buffer.baseAddress, buffer.count)
      else { return nil }
      if count == 0 { break }
      total += count
      hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
    }
    return (total, hasher.finish())
  }
}
