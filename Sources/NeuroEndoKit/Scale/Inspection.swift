import Foundation

/// What `neuroendo inspect` shows of one export: the reader's summary and the normalizer's
/// counts. A file that could hold more than `limit` samples is normalized a range of
/// subjects at a time (the normalizer works within a subject), through scratch files in a
/// private temporary folder, as a run in partitions does, so that memory stays bounded.
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
    return inRanges(
      file: file, reader: reader, normalizer: normalizer, limit: limit, onRejection: onRejection)
  }

  private static func inRanges(
    file: String, reader: ExportReader, normalizer: Normalizer, limit: Int,
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
    var summary: FileReadSummary
    let runs: SubjectRuns
    do throws(OutputError) {
      let spill = SubjectRunSpill(directory: directory, runRows: limit)
      var sequence = 0
      summary = reader.read(
        file: file,
        onSample: { sample in
          sequence += 1
          spill.add(sample, sequence: sequence)
        })
      runs = try spill.finish()
    } catch {
      var failed = FileReadSummary(file: file, profile: "")
      failed.failure = error.description
      return (failed, .init())
    }
    var ranges = SubjectRanges(samples: runs.samples)
    ranges.split(atMost: limit)
    let dealer = SubjectRunDealer(runs: runs.paths, ranges: ranges, removesFiles: true)
    var counts = RunSummary.NormalizationSummary()
    for partition in 1...ranges.count {
      let samples: [Sample]
      do throws(OutputError) {
        samples = RangeSource.inReadOrder(try dealer.take(partition)).map(\.sample)
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
