import Foundation

/// Writes a run's tables and reports into its staging directory, and records each output,
/// or why it could not be written, in the run summary. A shard writes its format instead
/// (``ShardManifest``): every table in the shard folder with a keys file beside it, which
/// the merge uses to put the rows back in run order, and its patients' report models (or,
/// given the whole cohort's band, their finished pages).
struct OutputWriter {
  var pipeline: Pipeline
  /// The shard the run is, when it is one.
  var shard: Shard?
  /// Where the outputs are written: the staging directory, or a shard's folder in it;
  /// `nil` when it could not be made (the failure is recorded).
  var directory: String?
  /// Tests of a quarantine: the reports of these subjects fail to render.
  var failReports: Set<String> = []
  /// Whether a shard's pages wait for the whole cohort's band (rendered at the merge from
  /// the models it writes); `false` when the pass was given the band (a partition): its
  /// pages are rendered here, whole.
  var pagesAtMerge = true
  /// Whether the folder is the run's own scratch (a partition's): its tables, read back and
  /// removed by the merge, are neither synced nor sent to the disk early, and its other
  /// files are not synced (the run's publication syncs every file where it ends up).
  var scratch = false
  /// Where a partition writes its patients' files: the run's own staged folder, so that
  /// the merge has none to move (`nil`: the reports folder's `patients`).
  var pagesFolder: String?

  /// The folder of a shard's keys and cohort inputs, inside the output directory.
  static let shardFolder = Pipeline.Outputs.shardFolder
  /// A shard's contribution to the cohort report and band, in ``shardFolder``.
  static let cohortInputs = "cohort-inputs.json"

  /// Why a subject's reports could not be rendered (tests of a quarantine).
  struct RenderFailure: Error, CustomStringConvertible {
    var description: String
  }

  /// A table's sink in the staging directory, with its keys file in a shard run.
  func sink(_ name: String) throws(OutputError) -> TableSink {
    let file = try writer(name)
    return TableSink(file: file, keys: shard == nil ? nil : try writer("\(name).keys"))
  }

  /// A file of the staging directory, synced at commit unless the folder is scratch.
  private func writer(_ name: String) throws(OutputError) -> AtomicFileWriter {
    try AtomicFileWriter(path: path(directory ?? "", name), durable: true, scratch: scratch)
  }

  /// The key of a row in read order: the input file's place in the run and the record.
  /// (A record holds one subject's values, so rows of one key never come from two shards.)
  static func position(_ location: InputLocation, phase: Int, _ ordinals: [String: Int])
    -> ShardKey
  {
    .position(phase, ordinals[location.file] ?? Int.max, location.record ?? 0)
  }

  /// Writes the normalized samples as CSV and, when asked for, NDJSON.
  func normalized(
    _ samples: [NormalizedSample], fileOrdinals: [String: Int], into summary: inout RunSummary
  ) {
    let outputs = pipeline.outputs
    let key = { (sample: NormalizedSample) in
      Self.position(sample.sample.provenance, phase: 0, fileOrdinals)
    }
    if outputs.writeNormalized {
      table(samples, fileOrdinals: fileOrdinals, into: &summary)
    }
    if outputs.writeNormalizedJSON {
      lines("normalized_ndjson", outputs.normalizedJSON, samples, key, &summary)
    }
  }

  /// The normalized samples as CSV, in read order.
  private func table(
    _ samples: [NormalizedSample], fileOrdinals: [String: Int], into summary: inout RunSummary
  ) {
    let key = { (sample: NormalizedSample) in
      Self.position(sample.sample.provenance, phase: 0, fileOrdinals)
    }
    write("normalized", pipeline.outputs.normalized, &summary, rows: samples.count) { sink in
      sink.header(CSVTableWriter.line(NormalizedTable.header))
      // Rows are formatted on every core, a batch at a time, and written in input order.
      var next = 0
      ParallelMap.forEachBatch(
        samples, batch: 4096, { CSVTableWriter.line(NormalizedTable.row($0)) }
      ) { lines in
        for line in lines {
          sink.row(line, key(samples[next]))
          next += 1
        }
      }
    }
  }

  /// Writes the three feature tables, row by row through one reused buffer.
  func features(_ features: CortisolRhythmFeatures, into summary: inout RunSummary) {
    let outputs = pipeline.outputs
    var row = CSVRow()
    // Rows in subject order (and day within a subject): keyed by subject in a shard run.
    func table<Item>(
      _ role: String, _ name: String, _ header: [String], _ items: [Item],
      _ subject: (Item) -> String, _ cells: (Item, inout CSVRow) -> Void
    ) {
      write(role, name, &summary, rows: items.count) { sink in
        sink.header(CSVTableWriter.line(header))
        for item in items {
          row.reset()
          cells(item, &row)
          row.end()
          sink.row(row.bytes, .subject(subject(item)))
        }
      }
    }
    table(
      "features_subject_day", outputs.featuresSubjectDay, FeatureTables.subjectDayHeader,
      features.days, \.subjectID, { FeatureTables.write($0, into: &$1) })
    table(
      "features_subject", outputs.featuresSubject, FeatureTables.subjectHeader,
      features.subjects, \.subjectID, { FeatureTables.write($0, into: &$1) })
    table(
      "features_response", outputs.featuresResponse,
      FeatureTables.responseHeader(slopes: pipeline.analyzers.response.slopes),
      features.responses, \.subjectID, { FeatureTables.write($0, into: &$1) })
  }

  /// Writes the findings as CSV and NDJSON.
  func findings(_ findings: [Finding], into summary: inout RunSummary) {
    write("findings", pipeline.outputs.findings, &summary, rows: findings.count) { sink in
      sink.header(CSVTableWriter.line(FindingTables.header))
      for finding in findings {
        sink.row(CSVTableWriter.line(FindingTables.row(finding)), .subject(finding.subjectID))
      }
    }
    if pipeline.outputs.writeFindingsJSON {
      lines(
        "findings_ndjson", pipeline.outputs.findingsJSON, findings, { .subject($0.subjectID) },
        &summary)
    }
  }

  /// Writes `audit.json` and `audit.md`.
  func audit(_ audit: AuditReport, into summary: inout RunSummary) {
    let outputs = pipeline.outputs
    write("audit", outputs.audit, &summary, rows: audit.files.count, keyed: false) {
      $0.file.write(audit.json)
    }
    write("audit_md", outputs.auditMarkdown, &summary, rows: audit.files.count, keyed: false) {
      $0.file.write(audit.markdown)
    }
  }

  /// Writes the per-patient reports, `reports/patients/<subject>.{json,md,html}` and, for
  /// subjects with findings, `<subject>.fhir.json`, then the cohort report (none without
  /// `cohort`: some patients' pages on demand); published as one directory. A shard writes each
  /// patient's report model and FHIR bundle in its folder's `patients/`, and its
  /// contribution to the cohort report and band (``cohortInputs``): the merge draws the
  /// whole cohort's band and renders the pages (or, with ``pagesAtMerge`` off, the shard
  /// writes the pages, drawn with the band it was given); `writesCohortInputs` off: the
  /// contribution went to the merge in memory. Returns whether the reports were written.
  @discardableResult
  func reports(
    _ reports: [PatientReport], findings: [String: [Finding]], cohort: CohortReport.Inputs?,
    writesCohortInputs: Bool = true, into summary: inout RunSummary
  ) -> Bool {
    guard let directory else { return false }
    let folder = shard == nil ? path(directory, pipeline.outputs.reports) : directory
    let patientPages = pipeline.patientReports || cohort == nil
    do throws(OutputError) {
      try FileModes.makeDirectory(
        patientPages && pagesFolder == nil ? folder + "/patients" : folder)
    } catch {
      summary.fail(.output(error))
      return false
    }
    guard
      let quarantined = patients(
        reports, findings: findings, folder: pagesFolder ?? folder + "/patients", into: &summary)
    else { return false }
    // One page in memory at a time: a large cohort's are tens of megabytes each.
    var pages: [(String, () -> [UInt8])] = []
    if let cohort, shard != nil {
      if writesCohortInputs { pages = [(Self.cohortInputs, { Array(cohort.compactJSON.utf8) })] }
    } else if var cohort {
      // A quarantined subject is listed without a link: its pages were not written.
      cohort.dropLinks(of: quarantined)
      let report = CohortReport.build(inputs: cohort, run: summary.run)
      pages = [("cohort.json", { report.prettyJSONBytes }), ("cohort.html", { report.htmlBytes })]
    }
    for (name, bytes) in pages {
      do throws(OutputError) {
        try AtomicFileWriter.write(bytes: bytes(), to: folder + "/" + name, durable: !scratch)
      } catch {
        summary.fail(.output(error))
        return false
      }
    }
    if shard == nil {
      summary.outputs["reports"] = pipeline.outputs.reports
      summary.outputRows["reports"] = patientPages ? reports.count - quarantined.count : 0
    }
    return true
  }

  /// Writes each patient's files, rendered on every core a batch at a time and written in
  /// order (the files a single thread writes). A patient whose files cannot be made or
  /// named is quarantined and the others are written; `nil` when the folder failed (the
  /// failure is recorded), else the patients quarantined. Every report is
  /// rendered from this run's data: a run never reads its published outputs back.
  private func patients(
    _ reports: [PatientReport], findings: [String: [Finding]], folder: String,
    into summary: inout RunSummary
  ) -> Set<String>? {
    let modelOnly = shard != nil && pagesAtMerge
    let issued = summary.started
    var failed = false
    var next = 0
    var quarantined = Set<String>()
    let failing = failReports
    ParallelMap.forEachBatch(
      reports, batch: 64,
      { report in
        Result {
          if failing.contains(report.subjectID) {
            throw RenderFailure(description: "a rendering failure made by a test")
          }
          return try Self.renderFiles(
            report, findings: findings[report.subjectID] ?? [], issued: issued,
            modelOnly: modelOnly)
        }
      }
    ) { batch in
      guard !failed else { return }
      for result in batch {
        let subject = reports[next].subjectID
        next += 1
        let files: [(String, [UInt8])]
        switch result {
        case .success(let made): files = made
        case .failure(let error):
          summary.quarantined.append(
            QuarantinedSubject(
              subject: subject, reason: "its reports could not be rendered (\(error))"))
          quarantined.insert(subject)
          continue
        }
        var written: [String] = []
        for (name, bytes) in files {
          let target = folder + "/" + name
          do throws(OutputError) {
            try StagedFile.write(bytes, to: target)
            written.append(target)
          } catch {
            // A name the file system refuses, or one already taken in the staging folder
            // (another subject's file of that name, or a file planted there): this subject
            // goes without pages, the others keep theirs. Anything else fails the output.
            let taken = error.code == EEXIST
            guard error.isAboutTheName || taken else {
              summary.fail(.output(error))
              failed = true
              return
            }
            for file in written { FileSystem.remove(file) }
            let why = taken ? "a file of that name is already there: \(name)" : error.message
            summary.quarantined.append(
              QuarantinedSubject(
                subject: subject, reason: "its reports could not be written (\(why))"))
            quarantined.insert(subject)
            break
          }
        }
      }
    }
    return failed ? nil : quarantined
  }

  /// A patient's report files, `(file name, bytes)`: JSON, Markdown, HTML and, when the
  /// patient has findings, the FHIR bundle. `modelOnly`: the JSON (and FHIR) alone, for a shard whose
  /// pages the merge renders with the whole cohort's band.
  ///
  /// - Throws: when the FHIR bundle cannot be encoded; the patient is then quarantined.
  static func renderFiles(
    _ report: PatientReport, findings: [Finding], issued: Date, modelOnly: Bool = false
  ) throws -> [(String, [UInt8])] {
    let base = PatientReport.fileName(report.subjectID)
    // Bytes as rendered: a page made a text would be checked as UTF-8 and copied again.
    var files = [("\(base).json", report.prettyJSONBytes)]
    if !modelOnly {
      let pages = PatientReportRenderer.pageBytes(report)
      files += [("\(base).md", pages.markdown), ("\(base).html", pages.html)]
    }
    if let bundle = try FHIRBundleRenderer.bundle(
      subject: report.subjectID, findings: findings, issued: issued)
    {
      files.append(("\(base).fhir.json", Array(bundle.utf8)))
    }
    return files
  }

  /// Commits a table written row by row during the read, and records it under `role`.
  func commit(
    _ sink: TableSink?, role: String, name: String, rows: Int, into summary: inout RunSummary
  ) {
    guard let sink else { return }
    do throws(OutputError) {
      try sink.commit()
      summary.outputs[role] = name
      summary.outputRows[role] = rows
    } catch {
      summary.fail(.output(error))
    }
  }

  /// Writes one output atomically and records it under `role`, or records why it failed.
  func write(
    _ role: String, _ name: String, _ summary: inout RunSummary, rows: Int, keyed: Bool = true,
    _ body: (TableSink) -> Void
  ) {
    guard directory != nil else { return }  // no staging: the failure is already recorded
    do throws(OutputError) {
      let file = keyed ? try sink(name) : TableSink(file: try writer(name), keys: nil)
      body(file)
      try file.commit()
      summary.outputs[role] = name
      summary.outputRows[role] = rows
    } catch {
      summary.fail(.output(error))
    }
  }

  /// Writes values as NDJSON, one per line.
  private func lines<Value: Encodable & Sendable>(
    _ role: String, _ name: String, _ values: [Value], _ key: (Value) -> ShardKey,
    _ summary: inout RunSummary
  ) {
    write(role, name, &summary, rows: values.count) { sink in
      sink.header("")  // NDJSON has none; the keys file starts alike for every table
      // Lines are encoded on every core, a batch at a time, and written in input order.
      var next = 0
      ParallelMap.forEachBatch(values, batch: 4096, { JSONLines.line($0) }) { lines in
        for line in lines {
          sink.row(line, key(values[next]))
          next += 1
        }
      }
    }
  }

  private func path(_ directory: String, _ name: String) -> String {
    directory.hasSuffix("/") ? directory + name : directory + "/" + name
  }
}
