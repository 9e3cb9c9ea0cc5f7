import Foundation

/// What `neuroendo inspect` shows of one export: the reader's summary and the normalizer's
/// counts. A file that could hold more than `limit` samples is normalized a bucket of
/// subjects at a time (the normalizer works within a subject), through scratch files in a
/// private temporary folder, so that memory stays bounded as in a run in partitions.
public enum Inspection {
  /// Reads `file` and normalizes its samples, handing each normalizer rejection to
  /// `onRejection`.
  public static func inspect(
    file: String, format: InputFormat, profile: CSVProfile?, normalizer: Normalizer,
    limit: Int = 100_000, onRejection: (Rejection) -> Void
  ) -> (summary: FileReadSummary, normalization: RunSummary.NormalizationSummary) {
    let reader = ExportReader(format: format, profile: profile)
    let bytes = FileSystem.size(file) ?? 0
    let (most, overflow) = limit.multipliedReportingOverflow(
      by: PartitionedRun.leastBytesPerSample)
    if limit == 0 || overflow || bytes <= most {
      var samples: [Sample] = []
      let summary = reader.read(file: file, onSample: { samples.append($0) })
      let result = normalizer.normalize(samples)
      result.rejections.forEach(onRejection)
      return (summary, .init(result, samplesIn: samples.count))
    }
    return inBuckets(file: file, reader: reader, normalizer: normalizer, onRejection: onRejection)
  }

  private static func inBuckets(
    file: String, reader: ExportReader, normalizer: Normalizer,
    onRejection: (Rejection) -> Void
  ) -> (summary: FileReadSummary, normalization: RunSummary.NormalizationSummary) {
    // A new folder of an unguessable name, owner-only, made here (never one that exists).
    let directory = FileManager.default.temporaryDirectory.path + "/neuroendo-inspect-\(UUID())"
    if let failure = FileSystem.makeDirectory(directory, 0o700) {
      var failed = FileReadSummary(file: file, profile: "")
      failed.failure = "cannot make a scratch folder: \(failure)"
      return (failed, .init())
    }
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let buckets = PartitionedRun.spillBuckets
    var summary: FileReadSummary
    var paths: [String] = []
    do throws(OutputError) {
      let writers = try (0..<buckets).map { (index) throws(OutputError) in
        try SpillWriter(path: "\(directory)/samples-\(index + 1).spill")
      }
      paths = writers.map(\.path)
      let spill = BackgroundSpill(writers: writers)
      var sequence = 0
      summary = reader.read(
        file: file,
        onSample: { sample in
          sequence += 1
          spill.add(
            sample, sequence: sequence, bucket: Shard.bucket(of: sample.subjectID, count: buckets))
        })
      try spill.finish()
    } catch {
      var failed = FileReadSummary(file: file, profile: "")
      failed.failure = error.description
      return (failed, .init())
    }
    var counts = RunSummary.NormalizationSummary()
    for path in paths {
      var samples: [Sample] = []
      do throws(OutputError) {
        var merge = try SpillMerge(paths: [path])
        defer { merge.close() }
        while let (_, sample) = try merge.next() { samples.append(sample) }
      } catch {
        summary.failure = error.description
        break
      }
      let result = normalizer.normalize(samples)
      result.rejections.forEach(onRejection)
      counts.add(.init(result, samplesIn: samples.count))
    }
    return (summary, counts)
  }
}
