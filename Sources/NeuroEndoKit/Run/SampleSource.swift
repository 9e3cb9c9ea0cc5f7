import Foundation

/// Where the samples of one pass of the stage chain come from: the pipeline's inputs read
/// now (``InputRead``), or, composed in `Scale/`, an incremental run's ledger and a
/// partition's scratch files. A source hands out every sample and rejection in the order a
/// whole run reads them, and records what it read (files, problems, skipped entries) in the
/// summary.
protocol SampleSource {
  /// Hands out the samples and rejections. A sample comes with its place among all the
  /// run's samples when the source knows it (a partition's samples are its subjects' only);
  /// `nil`: the chain numbers the samples and keeps those of its shard's subjects.
  mutating func read(
    into summary: inout RunSummary, zones: inout [String: String], progress: (String) -> Void,
    onSample: (Sample, _ sequence: Int?) -> Void, onRejection: (Rejection) -> Void
  ) throws(RunFailure)
}

/// The pipeline's inputs, read now: each file's samples and rejections handed out, its
/// summary (with size and SHA-256), the inputs' problems and skipped entries recorded.
struct InputRead: SampleSource {
  var pipeline: Pipeline

  func read(
    into summary: inout RunSummary, zones: inout [String: String], progress: (String) -> Void,
    onSample: (Sample, _ sequence: Int?) -> Void, onRejection: (Rejection) -> Void
  ) throws(RunFailure) {
    read(
      into: &summary, zones: &zones, progress: progress, onSample: { onSample($0, nil) },
      onRejection: onRejection)
  }

  /// Reads every input: each file once (one file, one reader), in the pipeline's order.
  /// `onColumns`, when given, takes a CSV export's samples in columns, a batch at a
  /// time (each file's before the next file's), instead of `onSample`.
  func read(
    into summary: inout RunSummary, zones: inout [String: String], progress: (String) -> Void,
    onSample: (Sample) -> Void, onRejection: (Rejection) -> Void,
    onColumns: ((inout SampleColumns) -> Void)? = nil
  ) {
    var readOnce = Set<String>()
    for input in pipeline.inputs {
      switch Self.files(of: input, pipeline.reading, readOnce: &readOnce, into: &summary) {
      case .failure(let problem): summary.inputIssues.append(.unavailable(problem))
      case .success(let files):
        for file in files {
          progress("reading \(file)")
          if let zone = input.timeZone { zones[file] = zone }
          summary.files.append(
            pipeline.read(
              file, of: input, onSample: onSample, onRejection: onRejection,
              onColumns: onColumns))
        }
      }
    }
  }

  /// The files an input stands for that no earlier input read (one file, one reader:
  /// commands refuse such pipelines before a run), the entries passed over and the files
  /// read twice said in the summary; or the problem that left the input with none.
  static func files(
    of input: InputSource, _ reading: ReadSettings, readOnce: inout Set<String>,
    into summary: inout RunSummary
  ) -> Result<[String], InputProblem> {
    InputCatalogue.entries(of: input, reading: reading).map { entries in
      for skipped in entries.skipped {
        summary.skippedEntries.append(skipped)
        summary.inputIssues.append(.skipped(input: input.name, skipped))
      }
      return entries.files.filter { file in
        guard readOnce.insert(InputCatalogue.canonical(file)).inserted else {
          summary.inputIssues.append(.readTwice(input: input.name, file: file))
          return false
        }
        return true
      }
    }
  }
}

extension Pipeline {
  /// Reads one file of an input, each sample under its pseudonym when the run has a key;
  /// the summary's size and SHA-256 are those of the bytes the reader read.
  func read(
    _ file: String, of input: InputSource, onSample: (Sample) -> Void,
    onRejection: (Rejection) -> Void, onColumns: ((inout SampleColumns) -> Void)? = nil
  ) -> FileReadSummary {
    let format = input.format ?? InputFormat.guess(file: file, hasProfile: input.profile != nil)
    var last: (id: String, pseudonym: String)?
    // Columns get their pseudonyms before anyone else sees them, asked as each sample's is
    // (the last one kept for an equal id), so that both ways give the same.
    let columns = onColumns.map { onColumns in
      { (columns: inout SampleColumns) in
        if let pseudonymizer {
          columns.renameSubjects { id in
            if last?.id != id { last = (id, pseudonymizer.pseudonym(id)) }
            return last!.pseudonym
          }
        }
        onColumns(&columns)
      }
    }
    return ExportReader(format: format, profile: input.profile).read(
      file: file,
      onSample: { sample in
        onSample(pseudonymizer.map { $0.apply(sample, last: &last) } ?? sample)
      }, onRejection: onRejection, onColumns: columns)
  }
}
