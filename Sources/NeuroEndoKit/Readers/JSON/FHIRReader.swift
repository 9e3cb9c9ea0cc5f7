import Foundation

/// Reads FHIR R4 JSON lab exports: a Bundle of any type (collection, searchset,
/// transaction, batch-response), a single resource, a JSON array of resources, or NDJSON
/// as FHIR bulk export writes it (one resource per line).
///
/// The file is streamed twice, one entry at a time, so that memory does not grow with it:
/// first to learn the Specimen and Patient resources (an Observation may name its specimen
/// before the Specimen appears; a Patient's gender and birth date go on its samples), then
/// to map the Observations. Every record ends as samples, a
/// rejection with its JSON path, or a skip counted by resource type and code.
public struct FHIRReader: Sendable {
  /// Bytes read at a time.
  public var chunkSize: Int

  /// Creates a reader.
  public init(chunkSize: Int = 1 << 18) { self.chunkSize = chunkSize }

  /// Reads a file; never throws, so that one bad file cannot stop a run.
  ///
  /// - Parameters:
  ///   - path: the file.
  ///   - onSample: called for every sample, in file order.
  ///   - onRejection: called for every rejection, in file order.
  /// - Returns: the counts: records = accepted + partial + rejected + skipped.
  public func read(
    file path: String, onSample: (Sample) -> Void, onRejection: (Rejection) -> Void = { _ in }
  ) -> FileReadSummary {
    withOpenFile(path, profile: "fhir") { file in
      read(ChunkSource.file(file), name: path, onSample, onRejection)
    }
  }

  /// Reads bytes already in memory (tests and the fuzzer), as if they were the file `name`.
  public func read(
    bytes: UnsafeRawBufferPointer, name: String, onSample: (Sample) -> Void,
    onRejection: (Rejection) -> Void = { _ in }
  ) -> FileReadSummary {
    read(ChunkSource.bytes(bytes), name: name, onSample, onRejection)
  }

  private func read(
    _ source: ChunkSource, name: String, _ onSample: (Sample) -> Void,
    _ onRejection: (Rejection) -> Void
  ) -> FileReadSummary {
    var mapper = FHIRObservationMapper(file: name)
    // Pass 1: Specimen and Patient resources only (cheap: most entries are not parsed).
    var scanner = JSONElementScanner()
    let specimenToken = Array("\"Specimen\"".utf8)
    let patientToken = Array("\"Patient\"".utf8)
    _ = try? source.forEachChunk(chunkSize) { chunk throws(JSONScanError) in
      try scanner.feed(chunk) { element in
        if contains(element.bytes, specimenToken) || contains(element.bytes, patientToken) {
          mapper.learn(element)
        }
      }
    }
    return withoutActuallyEscaping(onSample) { onSample in
      withoutActuallyEscaping(onRejection) { onRejection in
        mapRecords(source, name, mapper, onSample, onRejection)
      }
    }
  }

  /// Pass 2: maps every record of the file.
  private func mapRecords(
    _ source: ChunkSource, _ name: String, _ mapper: FHIRObservationMapper,
    _ onSample: @escaping (Sample) -> Void,
    _ onRejection: @escaping (Rejection) -> Void
  ) -> FileReadSummary {
    var summary = FileReadSummary(file: name, profile: "fhir")
    var output = RecordOutput(onSample: onSample)
    var scanner = JSONElementScanner()
    var record = 0
    var notResources = 0
    var duplicates = DuplicateKeyNotes()
    let limit = CSVProfile.defaultMaxFieldBytes
    func handle(_ element: JSONElement) {
      record += 1
      summary.records += 1
      output.reset()
      let shape = JSONShapeCheck(element.bytes, base: element.path, limit: limit)
      duplicates.add(shape.duplicateKeys)
      if let long = shape.longString {
        output.reject(
          Rejection(
            location: InputLocation(
              file: name, record: record, line: element.line, path: long.path),
            reason: .fieldTooLong(bytes: long.bytes, limit: limit)))
        summary.tally(output, onRejection: onRejection)
        return
      }
      if let underflow = shape.underflow, underflow.path.hasSuffix("valueQuantity.value") {
        output.reject(
          Rejection(
            location: InputLocation(
              file: name, record: record, line: element.line, path: underflow.path),
            reason: .valueUnderflow(underflow.text)))
        summary.tally(output, onRejection: onRejection)
        return
      }
      let outcome = mapper.map(element, record: record, into: &output)
      if output.rejections.contains(where: { $0.reason == .missingField("resourceType") }) {
        notResources += 1
      }
      switch outcome {
      case .skipped(let what):
        summary.skip(
          what,
          at: InputLocation(file: name, record: record, line: element.line, path: element.path))
      case .mapped: summary.tally(output, onRejection: onRejection)
      }
    }
    if let error = source.scan(chunkSize, with: &scanner, emit: handle) {
      switch error {
      case .read(let message): summary.failure = message
      case .scan(let scanError):
        // The JSON breaks here: what follows cannot be read, and counts as one rejected record.
        summary.failure = "malformed JSON at \(scanError); the rest of the file was not read"
        record += 1
        summary.records += 1
        summary.rejectedRecords += 1
        let rejection = Rejection(
          location: InputLocation(file: name, record: record, line: scanError.line),
          reason: .invalidJSON(scanError.message))
        summary.count(rejection)
        onRejection(rejection)
      }
    }
    if summary.records == 0 && summary.failure == nil {
      summary.warnings.append("empty file: no JSON value")
    }
    summary.warnings += duplicates.warnings
    if notResources > 0 && notResources == summary.records {
      summary.warnings.append(
        "no record is a FHIR resource (none has a resourceType): if this is a generic JSON export, pass a profile that maps its fields (--profile FILE, or the input's profile:)"
      )
    }
    summary.addKinds(output)
    precondition(summary.isBalanced, "record accounting broke for \(name)")
    return summary
  }
}

/// Where a JSON reader's bytes come from: an open file (read from its start on every
/// pass) or memory.
enum ChunkSource {
  case file(InputFile)
  case bytes(UnsafeRawBufferPointer)

  /// Hands the bytes to `body` in chunks, from the start.
  func forEachChunk(
    _ size: Int, _ body: (UnsafeRawBufferPointer) throws(JSONScanError) -> Void
  ) throws(ChunkSourceError) {
    do {
      switch self {
      case .bytes(let bytes):
        var offset = 0
        while offset < bytes.count {
          let end = min(bytes.count, offset + size)
          try body(UnsafeRawBufferPointer(rebasing: bytes[offset..<end]))
          offset = end
        }
      case .file(let descriptor):
        guard descriptor.rewind() else {
          throw ChunkSourceError.read("cannot rewind: \(descriptor.failure)")
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        while true {
          let count = descriptor.read(into: buffer.baseAddress, size)
          if count < 0 { throw ChunkSourceError.read("read error: \(descriptor.failure)") }
          if count == 0 { break }
          try body(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
      }
    } catch let error as JSONScanError {
      throw .scan(error)
    } catch let error as ChunkSourceError {
      throw error
    } catch {
      throw .read("\(error)")
    }
  }
}

extension ChunkSource {
  /// Streams the bytes through a scanner to their end, handing out every element.
  ///
  /// - Returns: why streaming stopped early, or `nil` when the file was read to its end.
  func scan(
    _ chunkSize: Int, with scanner: inout JSONElementScanner, emit: (JSONElement) -> Void
  ) -> ChunkSourceError? {
    do throws(ChunkSourceError) {
      try forEachChunk(chunkSize) { chunk throws(JSONScanError) in
        try scanner.feed(chunk, emit: emit)
      }
      do throws(JSONScanError) {
        try scanner.finish(emit: emit)
      } catch {
        throw .scan(error)
      }
      return nil
    } catch {
      return error
    }
  }
}

/// Why streaming a JSON file stopped.
enum ChunkSourceError: Error {
  case read(String)
  case scan(JSONScanError)
}

/// Whether `bytes` holds `token` (a plain scan: the generic `contains` is far slower here).
func contains(_ bytes: [UInt8], _ token: [UInt8]) -> Bool {
  guard let first = token.first, bytes.count >= token.count else { return token.isEmpty }
  return bytes.withUnsafeBufferPointer { haystack in
    token.withUnsafeBufferPointer { needle in
      var index = 0
      let last = haystack.count - needle.count
      while index <= last {
        if haystack[index] == first {
          var offset = 1
          while offset < needle.count && haystack[index + offset] == needle[offset] { offset += 1 }
          if offset == needle.count { return true }
        }
        index += 1
      }
      return false
    }
  }
}
