import Foundation
import Testing

@testable import NeuroEndoKit

/// The folders in the order data flows: each may use the folders before it, never one after
/// it. `Support` holds domain-free helpers; the stages come next; `Configuration` is the
/// pipeline definition; `Output` stages and publishes files; `Run` is one run's stage
/// chain; `Scale` composes runs (state, partitions, shards) and is used by none of them.
/// `PipelineRunner.swift`, at the top, picks the plan.
private let stages = [
  "Support", "Model", "Readers", "Normalizers", "Analyzers", "Reporters", "Configuration",
  "Output", "Run", "Scale",
]

/// The Swift files of a stage folder (recursively), as text without comment lines.
private func sources(_ stage: String) throws -> [(file: String, code: String)] {
  let folder = Repository.path("Sources/NeuroEndoKit/\(stage)")
  let files = try #require(FileManager.default.subpaths(atPath: folder)).filter {
    $0.hasSuffix(".swift")
  }
  return try files.map { name in
    let text = try String(contentsOfFile: folder + "/" + name, encoding: .utf8)
    let code = text.split(separator: "\n", omittingEmptySubsequences: false).filter {
      !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//")
    }.joined(separator: "\n")
    return ("\(stage)/\(name)", code)
  }
}

/// The top-level type names a stage declares (nested types are the type's own business).
private func declaredTypes(_ stage: String) throws -> Set<String> {
  let pattern = try Regex(
    #"(?m)^(?:public |final |private |fileprivate )*(?:struct|enum|class|protocol) ([A-Z][A-Za-z0-9]*)"#
  )
  var names = Set<String>()
  for (_, code) in try sources(stage) {
    for match in code.matches(of: pattern) {
      if let name = match.output[1].substring { names.insert(String(name)) }
    }
  }
  return names
}

@Suite("One-way flow between the stages")
struct StageDependencyTests {
  @Test("no stage uses a type of a stage after it (comments aside)")
  func oneWay() throws {
    var violations: [String] = []
    for (index, stage) in stages.enumerated() {
      let later = try stages[(index + 1)...].reduce(into: Set<String>()) {
        $0.formUnion(try declaredTypes($1))
      }
      let word = try Regex(#"[A-Z][A-Za-z0-9]*"#)
      for (file, code) in try sources(stage) {
        let used = Set(code.matches(of: word).map { String(code[$0.range]) })
        for name in used.intersection(later).sorted() {
          violations.append("\(file) uses \(name)")
        }
      }
    }
    #expect(violations == [])
  }
}

@Suite("The library's folders")
struct SourceLayoutTests {
  @Test("every Swift file of the library is in one of the folders, or is the runner's entry")
  func everyFileHasAFolder() throws {
    let root = Repository.path("Sources/NeuroEndoKit")
    let files = try #require(FileManager.default.subpaths(atPath: root)).filter {
      $0.hasSuffix(".swift")
    }
    let loose = files.filter { file in
      !stages.contains { file.hasPrefix($0 + "/") }
    }.sorted()
    #expect(loose == ["NeuroEndoVersion.swift", "PipelineRunner.swift"])
  }
}
