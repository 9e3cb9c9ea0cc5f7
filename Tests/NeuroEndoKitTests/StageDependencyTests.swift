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

/// The top-level type names a stage declares (nested types are the type's own business):
/// structs, enums, classes, actors, protocols and type aliases.
private func declaredTypes(_ stage: String) throws -> Set<String> {
  let pattern = try Regex(
    #"(?m)^(?:public |final |private |fileprivate |internal )*(?:struct|enum|class|actor|protocol|typealias) ([A-Z][A-Za-z0-9]*)"#
  )
  var names = Set<String>()
  for (_, code) in try sources(stage) {
    for match in code.matches(of: pattern) {
      if let name = match.output[1].substring { names.insert(String(name)) }
    }
  }
  return names
}

/// The free functions a stage declares at the top level (not in a type or an extension).
private func declaredFunctions(_ stage: String) throws -> Set<String> {
  let pattern = try Regex(
    #"(?m)^(?:public |internal |private |fileprivate )*func ([a-zA-Z][A-Za-z0-9]*)"#)
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
  @Test("no stage uses a type of a stage after it, nor the runner's entry (comments aside)")
  func oneWay() throws {
    var violations: [String] = []
    for (index, stage) in stages.enumerated() {
      var later = try stages[(index + 1)...].reduce(into: Set<String>()) {
        $0.formUnion(try declaredTypes($1))
      }
      later.insert("PipelineRunner")
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

  @Test("no stage calls a free function of a stage after it")
  func oneWayFunctions() throws {
    var violations: [String] = []
    for (index, stage) in stages.enumerated() {
      let later = try stages[(index + 1)...].reduce(into: Set<String>()) {
        $0.formUnion(try declaredFunctions($1))
      }.subtracting(try declaredFunctions(stage))
      for (file, code) in try sources(stage) {
        for name in later.sorted() where code.contains(try Regex("[^A-Za-z0-9_.]\(name)\\(")) {
          violations.append("\(file) calls \(name)")
        }
      }
    }
    #expect(violations == [])
  }
}

@Suite("The library's folders")
struct SourceLayoutTests {
  @Test(
    "every call into the C library's file-system and process interface is in Support/FileSystem")
  func oneWrapper() throws {
    // The calls by name, and the descriptor calls by their use (a method of the same name,
    // `write(text)`, is no call into the C library).
    let calls = try Regex(
      #"(^|[^\w.])(stat|lstat|fstat|fopen|fdopen|fclose|fread|fwrite|fflush|getline|fsync|syncfs|flock|ftruncate|unlink|rename|chmod|fchmod|mkdir|getpid|kill|dlsym|fnmatch|strerror|lseek|pread|pwrite|fcntl|mmap|munmap)\(|\berrno\b|Glibc\.|Foundation\.(read|write|open|close)\(|(^|[^\w.])open\([^)]*O_|(^|[^\w.])(read|write|close)\((descriptor|fd)\b"#
    )
    var found: [String] = []
    for stage in stages {
      for (file, code) in try sources(stage) where file != "Support/FileSystem.swift" {
        for (number, line) in code.split(separator: "\n", omittingEmptySubsequences: false)
          .enumerated() where line.contains(calls)
        {
          found.append("\(file):\(number + 1): \(line.trimmingCharacters(in: .whitespaces))")
        }
      }
    }
    let entry = try String(
      contentsOfFile: Repository.path("Sources/NeuroEndoKit/PipelineRunner.swift"), encoding: .utf8)
    #expect(!entry.contains(calls))
    #expect(found == [])
  }

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

/// The functions of a Swift file with their lengths in lines, from the line of `func` or
/// `init` to the line where its braces close (strings and comments aside).
private func functionLengths(_ code: String) -> [(name: String, lines: Int)] {
  let lines = code.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
  let start = try! Regex(
    #"^\s*(@\w+ )*((public|private|fileprivate|static|mutating|override|final|nonisolated) )*(func [^(<]+|init)[(<?]"#
  )
  let string = try! Regex(#""(\\.|[^"\\])*""#)
  var found: [(String, Int)] = []
  var index = 0
  while index < lines.count {
    guard let match = lines[index].firstMatch(of: start) else {
      index += 1
      continue
    }
    var depth = 0
    var opened = false
    var end = index
    while end < lines.count {
      let line = lines[end].replacing(string, with: "\"\"")
      for character in line {
        if character == "{" {
          depth += 1
          opened = true
        } else if character == "}" {
          depth -= 1
        }
      }
      if opened && depth <= 0 { break }
      end += 1
    }
    found.append(
      (String(lines[index][match.range]).trimmingCharacters(in: .whitespaces), end - index + 1))
    index = opened ? end + 1 : index + 1
  }
  return found
}

@Suite("Sizes a newcomer can read (issue 25, point 6)")
struct SourceSizeTests {
  @Test("no function in Run/ or Scale/ is over 80 lines; the runner's entry about 200 at most")
  func sizes() throws {
    var long: [String] = []
    for stage in ["Run", "Scale"] {
      for (file, code) in try sources(stage) {
        for (name, lines) in functionLengths(code) where lines > 80 {
          long.append("\(file): \(name) \(lines) lines")
        }
      }
    }
    #expect(long == [])
    let entry = try String(
      contentsOfFile: Repository.path("Sources/NeuroEndoKit/PipelineRunner.swift"), encoding: .utf8)
    #expect(entry.split(separator: "\n", omittingEmptySubsequences: false).count <= 210)
  }

  @Test("the line counter counts a function from its signature to its closing brace")
  func counter() {
    let code = """
      struct A {
        func one() {
          let text = "{ not a brace"
          if true { print(text) }
        }
        private static func two(
          _ x: Int
        ) -> Int {
          x
        }
      }
      """
    let lengths = functionLengths(code)
    #expect(lengths.map(\.lines) == [4, 5])
  }

  @Test("the README is a guide of at most 15 KB; the manual is in the DocC articles")
  func readme() throws {
    let size =
      try FileManager.default.attributesOfItem(atPath: Repository.path("README.md"))[
        .size] as? Int
    #expect((size ?? .max) <= 15_000)
    for article in [
      "Configuration", "Outputs", "NightlyOperation", "ScaleOut", "Methods", "Performance",
    ] {
      #expect(
        FileManager.default.fileExists(
          atPath: Repository.path("Sources/NeuroEndoKit/NeuroEndoKit.docc/\(article).md")),
        "\(article).md")
    }
  }
}
