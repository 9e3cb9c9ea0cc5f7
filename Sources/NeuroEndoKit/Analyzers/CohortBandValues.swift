import Foundation

/// The cohort's cortisol values by time since waking, for the band a patient's chart draws
/// behind the patient's own curve: the values of one bin, and how many subjects they come
/// from. Counted here from the normalized samples; the reports draw the quartiles.
public struct CohortBandValues: Sendable, Hashable, Codable {
  public var values: [Double]
  public var subjects: Int

  /// A bin's values.
  public init(values: [Double], subjects: Int) {
    self.values = values
    self.subjects = subjects
  }

  /// The bins: quarter hours through the first hour after waking (the CAR), then hours to a
  /// day. `nil` outside.
  static func bin(_ minutes: Double) -> Int? {
    guard minutes >= 0, minutes < 24 * 60 else { return nil }
    return minutes < 60 ? Int(minutes / 15) : 3 + Int(minutes / 60)
  }

  /// The minutes a bin spans.
  static func span(_ bin: Int) -> (from: Double, to: Double) {
    bin < 4
      ? (Double(bin) * 15, Double(bin + 1) * 15) : (Double(bin - 3) * 60, Double(bin - 2) * 60)
  }

  /// The values of each bin: the analysed specimens' cortisol on circadian days, uncensored,
  /// without an excluding flag.
  public static func collect(_ samples: [NormalizedSample], settings: AnalyzerSettings)
    -> [Int: CohortBandValues]
  {
    var binned: [Int: CohortBandValues] = [:]
    var binsOfSubject: [String: Set<Int>] = [:]
    for sample in samples {
      guard sample.sample.analyte == .cortisol,
        settings.specimens.contains(sample.sample.specimen), let position = sample.circadian,
        sample.value.censoring == .none,
        !sample.flags.contains(where: { settings.excludeFlags.contains($0.code) }),
        let bin = bin(position.minutesSinceWaking)
      else { continue }
      binned[bin, default: CohortBandValues(values: [], subjects: 0)].values.append(
        sample.value.value)
      binsOfSubject[sample.sample.subjectID, default: []].insert(bin)
    }
    for bins in binsOfSubject.values {
      for bin in bins { binned[bin]!.subjects += 1 }
    }
    return binned
  }

  /// Adds the values of other subjects' bins to `values` (shards and partitions are of
  /// different subjects, so their subject counts add up).
  public static func pool(_ values: inout [Int: CohortBandValues], _ other: [Int: CohortBandValues])
  {
    for (bin, part) in other {
      values[bin, default: CohortBandValues(values: [], subjects: 0)].values += part.values
      values[bin]!.subjects += part.subjects
    }
  }
}
