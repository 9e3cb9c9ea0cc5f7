import Foundation

/// Counts of the normalizer stage.
public struct NormalizationCounts: Sendable, Codable, Hashable {
  /// Samples read, before normalization.
  public var samplesIn = 0
  /// Samples normalized (after duplicates were dropped).
  public var normalized = 0
  /// Samples refused for a unit that does not fit the analyte.
  public var unitMismatches = 0
  /// Samples refused for a value that is not finite once converted (`value-overflow`).
  public var valueOverflows = 0
  /// Identical records dropped.
  public var duplicates = 0
  /// Samples flagged as conflicts.
  public var conflicts = 0
  /// Draws a later file re-delivered with another value (corrections).
  public var corrections = 0
  /// Samples flagged `mixed-clock`: local times beside times with offsets, no zone known.
  public var mixedClock = 0
  /// Flags by code.
  public var flags: [String: Int] = [:]
  /// Local times placed in the pipeline's zone, by what was done.
  public var timeResolutions: [String: Int] = [:]
  /// Values converted, by `from -> to` unit.
  public var conversions: [String: Int] = [:]
  /// Waking times read from the sleep diary, and diary rows rejected.
  public var diaryWakes = 0
  public var diaryRejections = 0

  /// Creates empty counts.
  public init() {}

  /// Counts written by an earlier version lack the newer ones: those read as 0.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    func count(_ key: CodingKeys) throws -> Int {
      try container.decodeIfPresent(Int.self, forKey: key) ?? 0
    }
    func counts(_ key: CodingKeys) throws -> [String: Int] {
      try container.decodeIfPresent([String: Int].self, forKey: key) ?? [:]
    }
    samplesIn = try count(.samplesIn)
    normalized = try count(.normalized)
    unitMismatches = try count(.unitMismatches)
    valueOverflows = try count(.valueOverflows)
    duplicates = try count(.duplicates)
    conflicts = try count(.conflicts)
    corrections = try count(.corrections)
    mixedClock = try count(.mixedClock)
    flags = try counts(.flags)
    timeResolutions = try counts(.timeResolutions)
    conversions = try counts(.conversions)
    diaryWakes = try count(.diaryWakes)
    diaryRejections = try count(.diaryRejections)
  }

  /// Counts what normalizing `samplesIn` samples gave.
  /// Adds the counts of another part of the same samples (a shard, a bucket of
  /// subjects); the sleep diary's counts, the same in every part, are not added.
  public mutating func add(_ other: NormalizationCounts) {
    samplesIn += other.samplesIn
    normalized += other.normalized
    unitMismatches += other.unitMismatches
    valueOverflows += other.valueOverflows
    duplicates += other.duplicates
    conflicts += other.conflicts
    corrections += other.corrections
    mixedClock += other.mixedClock
    flags.merge(other.flags, uniquingKeysWith: +)
    timeResolutions.merge(other.timeResolutions, uniquingKeysWith: +)
    conversions.merge(other.conversions, uniquingKeysWith: +)
  }

  public init(_ result: NormalizationResult, samplesIn: Int) {
    self.samplesIn = samplesIn
    normalized = result.samples.count
    unitMismatches = result.rejections.count { $0.reason.code == "unit-mismatch" }
    valueOverflows = result.rejections.count { $0.reason.code == "value-overflow" }
    duplicates = result.duplicates
    conflicts = result.conflicts
    corrections = result.corrections
    mixedClock = result.mixedClock
    for sample in result.samples {
      for flag in sample.flags { flags[flag.code, default: 0] += 1 }
      if let resolution = sample.timeResolution {
        timeResolutions[resolution.rawValue, default: 0] += 1
      }
      if sample.sample.quantity.unit != sample.value.unit {
        conversions[
          "\(sample.sample.quantity.unit.ucum) -> \(sample.value.unit.ucum)", default: 0] += 1
      }
    }
  }
}
