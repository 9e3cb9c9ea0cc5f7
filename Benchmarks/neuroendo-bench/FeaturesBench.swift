import Foundation
import NeuroEndoKit

extension Bench {
  /// Cortisol rhythm features for `subjectDays` subject-days of nine samples each, from a
  /// research long CSV to `features-subject-day.csv`, stage by stage, next to a raw libcsv
  /// pass over the same file.
  static func featuresBenchmark(subjectDays: Int, directory: String) throws {
    let csv = "\(directory)/neuroendo-bench-rhythm.csv"
    let output = "\(directory)/neuroendo-bench-features-subject-day.csv"
    defer {
      try? FileManager.default.removeItem(atPath: csv)
      try? FileManager.default.removeItem(atPath: output)
    }
    let rows = try RhythmGenerator.write(subjectDays: subjectDays, to: csv)
    let (rawSeconds, records) = try time { try rawPass(csv) }
    precondition(records == rows + 1, "raw pass counted \(records) records")
    resetPeakMemory()
    let clock = ContinuousClock()
    let start = clock.now
    let (readSeconds, samples) = time { () -> [Sample] in
      var samples: [Sample] = []
      samples.reserveCapacity(rows)
      var profile = CSVProfile.researchLong
      profile.specimen = .saliva
      let summary = CSVReader(profile: profile).read(file: csv, onSample: { samples.append($0) })
      precondition(summary.failure == nil && summary.rejections == 0, "\(summary)")
      return samples
    }
    precondition(samples.count == rows, "reader produced \(samples.count) samples")
    let (normalizeSeconds, normalized) = time {
      Normalizer(settings: NormalizerSettings())!.normalize(samples).samples
    }
    let (analyzeSeconds, features) = time { CortisolRhythmAnalyzer().analyze(normalized) }
    guard features.days.count == subjectDays else {
      fatalError(
        "\(features.days.count) subject-days, \(normalized.count) samples, \(features.unplaced)")
    }
    let (writeSeconds, _) = try time {
      let file = try AtomicFileWriter(path: output)
      let writer = CSVTableWriter(writer: file, header: FeatureTables.subjectDayHeader)
      for day in features.days { writer.write(FeatureTables.row(day)) }
      try file.commit()
    }
    let elapsed = clock.now - start
    let total = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let peak = peakMemoryKiB()
    let computed = features.days.filter { $0.slope.logSlope != nil }.count
    print("")
    print(
      "Cortisol rhythm benchmark: \(subjectDays) subject-days, \(rows) samples "
        + "(\(String(format: "%.0f", Double(fileSize(csv)) / 1_048_576)) MB research long CSV) "
        + "to features-subject-day.csv")
    print(
      pad("raw libcsv s", 14) + pad("read s", 9) + pad("normalize s", 13) + pad("analyze s", 11)
        + pad("write s", 9) + pad("total s", 9) + pad("total/raw", 11) + pad("subject-days/s", 16)
        + "peak RSS MB")
    print(
      pad(String(format: "%.2f", rawSeconds), 14) + pad(String(format: "%.2f", readSeconds), 9)
        + pad(String(format: "%.2f", normalizeSeconds), 13)
        + pad(String(format: "%.2f", analyzeSeconds), 11)
        + pad(String(format: "%.2f", writeSeconds), 9) + pad(String(format: "%.2f", total), 9)
        + pad(String(format: "%.1fx", total / rawSeconds), 11)
        + pad(String(format: "%.0f", Double(subjectDays) / total), 16)
        + String(format: "%.0f", Double(peak) / 1024))
    print(
      "(\(computed) subject-days with a regression slope, \(features.subjects.count) subjects judged)"
    )
  }
}

/// Writes a research long export of salivary cortisol: ten days per subject, nine samples a
/// day (waking, +15, +30, +45, +60 min, +3, +6, +10, +15 h), a CAR and a decline whose slope
/// differs by subject (one in five flattened).
enum RhythmGenerator {
  static let minutes = [0, 15, 30, 45, 60, 180, 360, 600, 900]
  static let car = [1.0, 1.35, 1.6, 1.4, 1.2]

  /// - Returns: the number of samples (data rows) written.
  static func write(subjectDays: Int, daysPerSubject: Int = 10, to path: String) throws -> Int {
    guard let file = fopen(path, "wb") else { throw CocoaError(.fileWriteUnknown) }
    defer { fclose(file) }
    var text = "subject_id,day,sample,minutes_since_waking,cortisol_nmol_l\n"
    var rows = 0
    for index in 0..<subjectDays {
      let subject = index / daysPerSubject
      let day = index % daysPerSubject + 1
      let slope = subject % 5 == 0 ? -0.03 : -0.09 - Double(subject % 7) / 100
      let waking = 10 + Double((index * 7919) % 900) / 100
      for (sample, minute) in minutes.enumerated() {
        let hours = Double(minute) / 60
        let noise = 1 + Double(((index + sample) * 104_729) % 200 - 100) / 1000
        let value =
          sample < car.count ? waking * car[sample] * noise : waking * exp(slope * hours) * noise
        text +=
          "s\(100_000 + subject),\(day),S\(sample + 1),\(minute),\(String(format: "%.2f", value))\n"
        rows += 1
      }
      if text.utf8.count > 1 << 16 {
        _ = fputs(text, file)
        text = ""
      }
    }
    _ = fputs(text, file)
    return rows
  }
}
