import Foundation

extension StageChain {
  /// Runs the normalizer stage over every sample kept, counting what it did: the sleep
  /// diary is read (its file summary joins the run's), and each file's modification time
  /// orders re-delivered draws.
  static func normalize(
    _ samples: [Sample], _ pipeline: Pipeline, zonesByFile: [String: String],
    into summary: inout RunSummary, diaryRejections: inout [Rejection]
  ) -> NormalizationResult {
    let normalizer =
      Normalizer(settings: pipeline.normalizer) ?? Normalizer(settings: NormalizerSettings())!
    if normalizer.settings != pipeline.normalizer {
      summary.inputIssues.append(.unknownTimeZone(pipeline.normalizer.timeZone ?? ""))
    }
    var diary: [String: [CollectionTime]] = [:]
    if let source = pipeline.wakeDiary {
      let read = WakeDiaryReader(profile: source.profile).read(file: source.path)
      if let failure = read.failure { summary.inputIssues.append(.wakeDiary(failure)) }
      summary.files.append(read.summary)
      diaryRejections = read.rejections
      diary = read.wakes
      if let pseudonymizer = pipeline.pseudonymizer {
        diary = Dictionary(
          diary.map { (pseudonymizer.pseudonym($0.key), $0.value) }, uniquingKeysWith: +)
      }
    }
    let result = normalizer.normalize(
      samples, zonesByFile: zonesByFile, diary: diary, deliveries: deliveries(of: samples))
    var counts = NormalizationCounts(result, samplesIn: samples.count)
    counts.diaryWakes = diary.values.reduce(0) { $0 + $1.count }
    counts.diaryRejections = diaryRejections.count
    summary.normalization = counts
    return result
  }

  /// When each file of the samples was delivered: its modification time, which orders a
  /// re-delivered draw's values (the later file corrects the earlier). A file no longer
  /// there has none (its values then conflict rather than correct).
  static func deliveries(of samples: [Sample]) -> [String: Double] {
    var deliveries: [String: Double] = [:]
    var last = ""
    for sample in samples where sample.provenance.file != last {
      last = sample.provenance.file
      guard deliveries[last] == nil else { continue }
      if let modified = FileSystem.modificationTime(last) { deliveries[last] = modified }
    }
    return deliveries
  }
}
