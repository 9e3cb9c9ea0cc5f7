import Crypto
import Foundation

/// Replaces subject ids by pseudonyms as samples leave the readers, so that no output (file
/// names, tables, reports, FHIR bundles, the audit, the state) holds a real id: the
/// pseudonym is `PSN-` and the first 16 bytes of HMAC-SHA256(key, id) in upper-case hex,
/// the same for the same key on every run and machine, and not reversible without the key.
/// The key is read from a file of the site's own (at least 32 bytes, readable by its owner
/// only, as ssh asks of its keys) and never written anywhere.
public struct Pseudonymizer: Sendable {
  private let key: [UInt8]
  /// A digest that tells keys apart without giving either away (an HMAC of a fixed text), for
  /// the state's fingerprints: a new key means every file is read again.
  public let fingerprint: String

  /// Why a key file cannot be used.
  public struct KeyProblem: Error, CustomStringConvertible {
    public var description: String
  }

  /// The shortest key accepted, in bytes (256 bits, HMAC-SHA256's block-size guidance).
  public static let minimumKeyBytes = 32

  /// Reads the key file.
  public init(keyFile path: String) throws(KeyProblem) {
    let status: (kind: FileSystem.Kind, mode: mode_t)
    switch FileSystem.permissions(path) {
    case .success(let found): status = found
    case .failure(let failure):
      throw KeyProblem(description: "--pseudonymize-key-file \(path): cannot read it (\(failure))")
    }
    guard status.kind == .regular else {
      throw KeyProblem(description: "--pseudonymize-key-file \(path): not a regular file")
    }
    guard status.mode & 0o077 == 0 else {
      throw KeyProblem(
        description:
          "--pseudonymize-key-file \(path): readable by others (mode \(String(status.mode & 0o777, radix: 8))); a key must be the owner's alone (chmod 600)"
      )
    }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw KeyProblem(description: "--pseudonymize-key-file \(path): cannot read it")
    }
    // A key written as text keeps its bytes; a trailing line break is not part of it.
    var bytes = [UInt8](data)
    while let last = bytes.last, last == 0x0A || last == 0x0D { bytes.removeLast() }
    guard bytes.count >= Self.minimumKeyBytes else {
      throw KeyProblem(
        description:
          "--pseudonymize-key-file \(path): \(bytes.count) bytes; a key needs \(Self.minimumKeyBytes) or more (for example: head -c 32 /dev/urandom | base64 > key; chmod 600 key)"
      )
    }
    self.init(key: bytes)
  }

  /// A pseudonymizer with the key's bytes.
  init(key bytes: [UInt8]) {
    key = bytes
    let mark = HMAC<Crypto.SHA256>.authenticationCode(
      for: Array("neuroendo pseudonym key fingerprint".utf8), using: SymmetricKey(data: bytes))
    fingerprint = Self.hex(Array(mark).prefix(8))
  }

  /// `PSN-` and 32 upper-case hex digits: a plain file name, never mistaken for a clinic's id.
  public func pseudonym(_ subject: String) -> String {
    let code = HMAC<Crypto.SHA256>.authenticationCode(
      for: Array(subject.utf8), using: SymmetricKey(data: key))
    return "PSN-" + Self.hex(Array(code).prefix(16))
  }

  /// A sample under its pseudonym; `last` keeps the last id's pseudonym, since a subject's
  /// samples come in runs and each id is then hashed once a run.
  public func apply(_ sample: Sample, last: inout (id: String, pseudonym: String)?) -> Sample {
    var sample = sample
    if last?.id != sample.subjectID {
      last = (sample.subjectID, pseudonym(sample.subjectID))
    }
    sample.subjectID = last!.pseudonym
    return sample
  }

  private static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
    let digits = Array("0123456789ABCDEF".utf8)
    var text = [UInt8]()
    for byte in bytes {
      text.append(digits[Int(byte >> 4)])
      text.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: text, as: UTF8.self)
  }
}
