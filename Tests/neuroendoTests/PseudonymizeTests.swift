import Foundation
import NeuroEndoKit
import Testing

/// Every file under `directory`: its path relative to it and its bytes.
private func everything(_ directory: URL) -> [(String, Data)] {
  var files: [(String, Data)] = []
  let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)
  while let url = enumerator?.nextObject() as? URL {
    if let data = FileManager.default.contents(atPath: url.path) {
      files.append((String(url.path.dropFirst(directory.path.count)), data))
    }
  }
  return files
}

@Suite("Pseudonymisation (issue 23, point 7)")
struct PseudonymizeTests {
  let base = FileManager.default.temporaryDirectory.appendingPathComponent(
    "neuroendo-pseudo-\(UUID())")
  /// Real ids as clinics write them, one of them a name.
  let ids = ["C-501", "MRN004417", "Anna Schmidt"]

  func lab() throws -> URL {
    try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
    let file = base.appendingPathComponent("lab.csv")
    var rows = ["patient_id,test_code,value,unit,collected_at"]
    for id in ids {
      rows.append("\(id),3016-3,9.1,mIU/L,2026-03-14T08:10:00+01:00")
      rows.append("\(id),3024-7,8,pmol/L,2026-03-14T08:10:00+01:00")
      rows.append("\(id),2143-6,520,nmol/L,2026-03-14T08:10:00+01:00")
    }
    try rows.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
    return file
  }

  func key(_ name: String, _ text: String, mode: Int = 0o600) throws -> URL {
    let file = base.appendingPathComponent(name)
    try text.write(to: file, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: file.path)
    return file
  }

  @Test("no real id in any file name or output; the key in none; the same key, the same ids")
  func noRealIds() throws {
    defer { try? FileManager.default.removeItem(at: base) }
    let input = try lab()
    let secret = "q8Yb3nXv0pLr7Tz2WcHk9Ms4Ue6Ja1Df5Gi"
    let keyFile = try key("site.key", secret + "\n")
    var pseudonyms: [Set<String>] = []
    for name in ["first", "second"] {
      let out = base.appendingPathComponent(name)
      let run = try neuroendo([
        "analyze", input.path, "--out", out.path, "--all-tables", "--patient-reports",
        "--pseudonymize-key-file",
        keyFile.path,
      ])
      #expect(run.status == 0, "\(run.error)")
      let files = everything(out)
      #expect(files.count > 10)
      for (path, data) in files {
        let text = String(decoding: data, as: UTF8.self)
        for id in ids {
          #expect(!path.contains(id) && !text.contains(id), "\(id) in \(path)")
        }
        #expect(!text.contains(secret) && !text.contains("q8Yb3nXv"), "the key in \(path)")
      }
      #expect(!(run.output + run.error).contains("C-501"))
      let reports = try FileManager.default.contentsOfDirectory(
        atPath: out.appendingPathComponent("reports/patients").path)
      pseudonyms.append(Set(reports.map { String($0.prefix(36)) }))
      #expect(reports.allSatisfy { $0.hasPrefix("PSN-") })
    }
    // Three subjects, three pseudonyms, the same on both runs.
    #expect(pseudonyms[0].count == 3 && pseudonyms[0] == pseudonyms[1])
    let expected = try Pseudonymizer(keyFile: keyFile.path)
    #expect(pseudonyms[0] == Set(ids.map { expected.pseudonym($0) }))
    // Another key gives other pseudonyms.
    let other = try Pseudonymizer(
      keyFile: try key("other.key", "another key of thirty-two bytes or more").path)
    #expect(other.pseudonym("C-501") != expected.pseudonym("C-501"))
  }

  @Test(
    "a key others can read, a short key or no key file: refused before anything is written",
    arguments: [
      ("open.key", "q8Yb3nXv0pLr7Tz2WcHk9Ms4Ue6Ja1Df5Gi", 0o644, "readable by others"),
      ("short.key", "too short", 0o600, "needs 32 or more"),
      ("", "", 0o600, "cannot read it"),
    ])
  func refused(name: String, text: String, mode: Int, says: String) throws {
    defer { try? FileManager.default.removeItem(at: base) }
    let input = try lab()
    let path =
      name.isEmpty
      ? base.appendingPathComponent("missing.key").path : try key(name, text, mode: mode).path
    let out = base.appendingPathComponent("out")
    let run = try neuroendo([
      "analyze", input.path, "--out", out.path, "--pseudonymize-key-file", path,
    ])
    #expect(run.status == 64)
    #expect(run.error.contains(says), "\(run.error)")
    #expect(!FileManager.default.fileExists(atPath: out.path))
  }
}
