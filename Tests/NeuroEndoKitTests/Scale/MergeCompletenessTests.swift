import Foundation
import Testing

@testable import NeuroEndoKit

/// Every count of a value, at any depth of its dictionaries, set to 1: a new field is
/// covered the day it is declared. An empty dictionary is filled to the depth `depths`
/// gives its key (1: counts by name; 2: by two names); a key without one fails the test,
/// so that a new dictionary is not silently left empty.
private func allOnes<Value: Codable>(_ value: Value, depths: [String: Int]) throws -> Value {
  let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(value))
  func nested(_ depth: Int) -> Any { depth == 0 ? 1 : ["k": nested(depth - 1)] }
  func fill(_ node: Any, key: String) throws -> Any {
    switch node {
    case is NSNumber: return 1  // (these counts hold no Bool)
    case let dictionary as [String: Any]:
      if dictionary.isEmpty {
        let depth = try #require(depths[key], "no depth given for the empty dictionary '\(key)'")
        return nested(depth)
      }
      var filled: [String: Any] = [:]
      for (name, child) in dictionary { filled[name] = try fill(child, key: name) }
      return filled
    case let array as [Any]: return try array.map { try fill($0, key: key) }
    default: return node
    }
  }
  let filled = try fill(object, key: "")
  return try JSONDecoder().decode(
    Value.self, from: JSONSerialization.data(withJSONObject: filled))
}

/// The numbers of a value's JSON by path (`verdicts.k`), at every depth.
private func numbers(_ value: some Encodable) throws -> [String: Double] {
  let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(value))
  var found: [String: Double] = [:]
  func walk(_ node: Any, _ path: String) {
    if let dictionary = node as? [String: Any] {
      for (name, child) in dictionary { walk(child, path.isEmpty ? name : path + "." + name) }
    } else if let number = node as? NSNumber {
      found[path] = number.doubleValue
    }
  }
  walk(object, "")
  return found
}

@Suite("Every count that merges is merged (issue 25, point 3)")
struct MergeCompletenessTests {
  @Test("the normalizer's counts: every one added, the sleep diary's counted once")
  func normalization() throws {
    let one = try allOnes(
      NormalizationCounts(), depths: ["timeResolutions": 1, "flags": 1, "conversions": 1])
    var sum = one
    sum.add(one)
    let counted = try numbers(sum)
    #expect(counted.count >= 10, "\(counted)")
    for (path, value) in counted {
      let once = ["diaryWakes", "diaryRejections"].contains(path)
      #expect(value == (once ? 1 : 2), "\(path): \(value)")
    }
  }

  @Test("the analyzers' counts: every one added")
  func analysis() throws {
    let one = try allOnes(
      RunSummary.AnalysisSummary(),
      depths: [
        "verdicts": 1, "unplaced": 1, "specimensLeftOut": 1, "findings": 1, "notJudged": 3,
        "reasons": 1,
      ])
    var sum = one
    sum.add(one)
    let counted = try numbers(sum)
    #expect(counted.count >= 10, "\(counted)")
    for (path, value) in counted { #expect(value == 2, "\(path): \(value)") }
  }

  @Test("the audit's dataset: every count added, the flags' tallies too")
  func dataset() throws {
    var one = try allOnes(
      AuditReport.Dataset(samples: [], normalization: NormalizationCounts()),
      depths: ["samplesByKind": 1, "slots": 2, "protocolCompliance": 1])
    one.plausibility = [
      AuditReport.Tally(reason: "implausible", count: 1, example: "e", locations: [])
    ]
    let sum = AuditReport.Dataset.merged([one, one], ordinals: [:])
    var counted = try numbers(sum)
    counted = counted.filter { !$0.key.hasPrefix("plausibility") }
    #expect(counted.count >= 7, "\(counted)")
    for (path, value) in counted { #expect(value == 2, "\(path): \(value)") }
    #expect(sum.plausibility.map(\.count) == [2])
  }
}
