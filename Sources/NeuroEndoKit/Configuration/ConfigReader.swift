import Foundation
import Yams

/// Reads a YAML file into typed values, collecting every mistake with its line and key.
///
/// Unknown keys are mistakes, not ignored: a misspelt `fromat:` must not silently fall
/// back to a default.
final class ConfigReader {
  let file: String
  private(set) var issues: [ConfigIssue] = []

  init(file: String) { self.file = file }

  /// Parses YAML text into its root node; a syntax error becomes an issue.
  func root(_ text: String) -> ConfigNode? {
    // The YAML library hashes every mapping key while composing: an alias as a key would be
    // hashed expanded before any count could stop it. Refused before composing.
    if let line = Self.aliasInKey(text) {
      report(
        line, "",
        "an alias (*name) stands in a mapping key or a flow mapping; aliases may only be values of block mappings and items of sequences"
      )
      return nil
    }
    do {
      guard let node = try Yams.compose(yaml: text) else {
        report(nil, "", "the file is empty")
        return nil
      }
      // Aliases (`*name`) copy what their anchor holds, in values and in mapping keys alike:
      // a few lines can stand for billions of nodes. The file is read only when it stands
      // for at most `nodeLimit`.
      guard Self.expandedNodes(node, limit: Self.nodeLimit) <= Self.nodeLimit else {
        report(
          nil, "",
          "the file stands for more than \(Self.nodeLimit) YAML nodes once its aliases are expanded (an alias bomb?); write the values out"
        )
        return nil
      }
      return ConfigNode(reader: self, node: node, path: "")
    } catch let error as YamlError {
      report(
        YAMLErrorLine.line(of: error), "", "not valid YAML: \(YAMLErrorLine.problem(of: error))")
      return nil
    } catch {
      report(nil, "", "not valid YAML: \(error)")
      return nil
    }
  }

  /// The first line (1-based) where an alias may stand in a mapping key: an alias token
  /// (`*name` outside quotes and comments) before a `: ` or a final `:` of its line, or on
  /// a line of an explicit key (`? `). Errs on the side of refusing (an alias value inside
  /// a one-line flow mapping is refused too).
  static func aliasInKey(_ text: String) -> Int? {
    for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false)
      .enumerated()
    {
      let bytes = Array(line.utf8)
      var quote: UInt8?
      var aliasSeen = false
      let explicitKey = bytes.drop(while: { $0 == 0x20 }).first == 0x3F
      var index = 0
      while index < bytes.count {
        let byte = bytes[index]
        let previous = index > 0 ? bytes[index - 1] : 0x20
        if let open = quote {
          if byte == open { quote = nil }
        } else if byte == 0x22 || byte == 0x27 {
          quote = byte
        } else if byte == 0x23, previous == 0x20 || previous == 0x09 {
          break  // a comment
        } else if byte == 0x2A,
          [0x20, 0x09, 0x5B, 0x7B, 0x2C, 0x3F, 0x2D].contains(previous)
            || index == 0
        {
          aliasSeen = true
          if explicitKey { return number + 1 }
        } else if byte == 0x3A, aliasSeen,
          index + 1 == bytes.count || bytes[index + 1] == 0x20 || bytes[index + 1] == 0x09
        {
          return number + 1
        }
        index += 1
      }
    }
    return nil
  }

  /// The most YAML nodes a pipeline or profile may stand for, aliases expanded.
  static let nodeLimit = 100_000

  /// The nodes of `root` with every alias expanded, keys of mappings included, counted up
  /// to `limit + 1` at most (so that counting a bomb stops early).
  static func expandedNodes(_ root: Node, limit: Int) -> Int {
    var count = 0
    var pending = [root]
    while let node = pending.popLast() {
      count += 1
      if count > limit { return count }
      switch node {
      case .mapping(let mapping):
        for (key, value) in mapping {
          pending.append(key)
          pending.append(value)
        }
      case .sequence(let sequence): pending.append(contentsOf: sequence)
      case .scalar, .alias: break
      }
    }
    return count
  }

  func report(_ line: Int?, _ key: String, _ message: String) {
    issues.append(ConfigIssue(file: file, line: line, key: key, message: message))
  }

  /// The text of a YAML file, or an issue naming what could not be read.
  static func text(of path: String, what: String) throws(ConfigIssues) -> String {
    do {
      return try String(contentsOfFile: path, encoding: .utf8)
    } catch {
      throw ConfigIssues([
        ConfigIssue(
          file: path, line: nil, key: "",
          message: "cannot read the \(what): \(error.localizedDescription)")
      ])
    }
  }

  /// Throws every issue found, when there is any.
  func check() throws(ConfigIssues) {
    if !issues.isEmpty { throw ConfigIssues(issues) }
  }
}

/// Pulls the line and the problem out of Yams' errors.
enum YAMLErrorLine {
  static func line(of error: YamlError) -> Int? {
    switch error {
    case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
      mark.line
    default: nil
    }
  }

  static func problem(of error: YamlError) -> String {
    switch error {
    case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _),
      .composer(let context, let problem, _, _):
      [context.map { "\($0.text)" }, problem].compactMap { $0 }.joined(separator: ": ")
    default: "\(error)"
    }
  }
}

/// One YAML node with its key path, for typed reads that report mistakes.
struct ConfigNode {
  let reader: ConfigReader
  let node: Node
  let path: String

  var line: Int? { node.mark?.line }

  func report(_ message: String) { reader.report(line, path, message) }

  func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

  /// The node as a mapping whose keys must all be in `allowed`.
  func mapping(allowed: [String]) -> ConfigMapping? {
    guard case .mapping(let mapping) = node else {
      report("expected a mapping with keys \(allowed.joined(separator: ", "))")
      return nil
    }
    var entries: [String: ConfigNode] = [:]
    for (key, value) in mapping {
      let name = key.string ?? "\(key)"
      let path = child(name)
      if !allowed.contains(name) {
        reader.report(
          key.mark?.line, path, "unknown key (expected one of: \(allowed.joined(separator: ", ")))")
      } else if entries[name] != nil {
        reader.report(key.mark?.line, path, "duplicate key")
      }
      entries[name] = ConfigNode(reader: reader, node: value, path: path)
    }
    return ConfigMapping(node: self, entries: entries)
  }

  /// The node as a list of nodes.
  func sequence() -> [ConfigNode]? {
    guard case .sequence(let sequence) = node else {
      report("expected a list")
      return nil
    }
    return sequence.enumerated().map { index, node in
      ConfigNode(reader: reader, node: node, path: "\(path)[\(index)]")
    }
  }

  /// The node as text.
  func string() -> String? {
    guard case .scalar(let scalar) = node else {
      report("expected a text value")
      return nil
    }
    return scalar.string
  }

  /// The node as a whole number.
  func int() -> Int? {
    guard let value = node.int else {
      report("expected a whole number, found '\(node.string ?? "a structure")'")
      return nil
    }
    return value
  }

  /// The node as a finite number (`.nan` and `.inf` are reported, never used).
  func double() -> Double? {
    guard let value = node.float ?? node.int.map(Double.init) else {
      report("expected a number, found '\(node.string ?? "a structure")'")
      return nil
    }
    guard value.isFinite else {
      report("expected a finite number, found '\(node.string ?? "\(value)")'")
      return nil
    }
    return value
  }

  /// The node as a finite number in `domain`; otherwise `expected` is reported.
  func double(in domain: PartialRangeFrom<Double>, strictly: Bool = false, _ expected: String)
    -> Double?
  {
    guard let value = double() else { return nil }
    guard domain.contains(value), !(strictly && value == domain.lowerBound) else {
      report("\(expected), found \(NumberText.plain(value))")
      return nil
    }
    return value
  }

  /// The node as `true` or `false`.
  func bool() -> Bool? {
    guard let value = node.bool else {
      report("expected true or false, found '\(node.string ?? "a structure")'")
      return nil
    }
    return value
  }

  /// The node as one of an enumeration's raw values.
  func choice<T: RawRepresentable & CaseIterable>(_ type: T.Type) -> T? where T.RawValue == String {
    guard let text = string() else { return nil }
    guard let value = T(rawValue: text) else {
      report("'\(text)' is not one of: \(T.allCases.map(\.rawValue).joined(separator: ", "))")
      return nil
    }
    return value
  }

  /// The node as a list of text values.
  func strings() -> [String]? {
    sequence()?.compactMap { $0.string() }
  }

  /// The node as `[low, high]` with low <= high; otherwise `expected` is reported.
  func closedRange(expected: String) -> ClosedRange<Double>? {
    let bounds = sequence()?.compactMap { $0.double() } ?? []
    guard bounds.count == 2 && bounds[0] <= bounds[1] else {
      report(expected)
      return nil
    }
    return bounds[0]...bounds[1]
  }

  /// The node as a list of specimen names.
  func specimens() -> Set<Specimen>? {
    guard let names = strings() else { return nil }
    let specimens = names.compactMap(Specimen.init(rawValue:))
    guard specimens.count == names.count, !specimens.isEmpty else {
      report(
        "expected specimens among \(Specimen.allCases.map(\.rawValue).joined(separator: ", "))")
      return nil
    }
    return Set(specimens)
  }
}

/// A mapping whose keys were checked; required keys that are absent are reported once.
struct ConfigMapping {
  let node: ConfigNode
  let entries: [String: ConfigNode]

  subscript(_ key: String) -> ConfigNode? { entries[key] }

  /// The entry for `key`, reporting its absence.
  func required(_ key: String) -> ConfigNode? {
    guard let entry = entries[key] else {
      node.reader.report(node.line, node.child(key), "required key is missing")
      return nil
    }
    return entry
  }
}
