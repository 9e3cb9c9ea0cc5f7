// `make bench`: reads a generated LIS long CSV to samples and compares the rate with a raw
// libcsv pass over the same file in the same run (a loop that only counts fields), then
// reports peak memory at 1M and at the full row count.
import CLibCSV
import Foundation
import NeuroEndoKit

@main
struct Bench {
  static func main() throws {
    var rows = 5_000_000
    var fhirBytes = 1 << 30
    var subjectDays = 100_000
    var cohortSubjects = 20_000
    // 90,000, 900,000 and 9 million rows (subjects x 5 days x 9 samples).
    var series = [2_000, 20_000, 200_000]
    var directory = FileManager.default.temporaryDirectory.path
    var arguments = CommandLine.arguments.dropFirst()
    while let argument = arguments.popFirst() {
      switch argument {
      case "--rows": rows = Int(arguments.popFirst() ?? "") ?? rows
      case "--fhir-mb": fhirBytes = (Int(arguments.popFirst() ?? "") ?? 1024) << 20
      case "--subject-days": subjectDays = Int(arguments.popFirst() ?? "") ?? subjectDays
      case "--dir": directory = arguments.popFirst() ?? directory
      case "--cohort-subjects": cohortSubjects = Int(arguments.popFirst() ?? "") ?? cohortSubjects
      case "--series":
        series = (arguments.popFirst() ?? "").split(separator: ",").compactMap { Int($0) }
      case "--write-cohort":
        // The cohort of the command benchmark, to compare other tools on the same file.
        let path = arguments.popFirst() ?? "cohort.csv"
        let rows = try RhythmGenerator.write(
          subjectDays: cohortSubjects * 5, daysPerSubject: 5, to: path)
        print("wrote \(path): \(cohortSubjects) subjects x 5 days, \(rows) samples")
        return
      case "--reader-only":
        // For profilers: only the reader, over a file given by path.
        let path = arguments.popFirst() ?? ""
        print("samples:", readerPass(path))
        return
      default:
        print(
          "usage: neuroendo-bench [--rows N] [--fhir-mb MB (0: skip)] [--subject-days N (0: skip)] [--cohort-subjects N (0: skip)] [--series SUBJECTS,... (empty: skip)] [--dir DIRECTORY] [--cohort-subjects N --write-cohort PATH]"
        )
        return
      }
    }
    // The whole-process benchmark first: a process spawned from this one starts in its
    // memory (vfork), so its peak would count this benchmark's own, which the in-process
    // benchmarks below raise to hundreds of megabytes.
    if cohortSubjects > 0 {
      try commandBenchmark(subjects: cohortSubjects, series: series, directory: directory)
    }
    let sizes = rows > 1_000_000 ? [1_000_000, rows] : [rows]
    var files: [(rows: Int, path: String)] = []
    for size in sizes {
      let path = "\(directory)/neuroendo-bench-\(size).csv"
      try LISGenerator.write(rows: size, to: path)
      files.append((size, path))
    }
    defer { for file in files { try? FileManager.default.removeItem(atPath: file.path) } }

    print(
      "CSV reader benchmark: LIS long export, \(ProcessInfo.processInfo.activeProcessorCount) cores"
    )
    print(
      pad("rows", 10) + pad("MB", 8) + pad("raw libcsv rows/s", 20) + pad("reader rows/s", 16)
        + pad("reader/raw", 12) + "peak RSS MB (reader)")
    for file in files {
      let megabytes = Double(fileSize(file.path)) / 1_048_576
      // Best of five alternating passes, so that both sides see the same machine state.
      var raw = Double.infinity
      var reader = Double.infinity
      var peak = 0
      for _ in 0..<5 {
        let (rawSeconds, records) = try time { try rawPass(file.path) }
        precondition(records == file.rows + 1, "raw pass counted \(records) records")
        raw = min(raw, rawSeconds)
        resetPeakMemory()
        let (readerSeconds, samples) = time { readerPass(file.path) }
        precondition(samples == file.rows, "reader produced \(samples) samples")
        peak = max(peak, peakMemoryKiB())
        reader = min(reader, readerSeconds)
      }
      let rawRate = Double(file.rows) / raw
      let readerRate = Double(file.rows) / reader
      print(
        pad("\(file.rows)", 10) + pad(String(format: "%.0f", megabytes), 8)
          + pad(String(format: "%.0f", rawRate), 20) + pad(String(format: "%.0f", readerRate), 16)
          + pad(String(format: "%.0f%%", 100 * readerRate / rawRate), 12)
          + String(format: "%.1f", Double(peak) / 1024))
    }
    print("target: reader >= 50% of the raw libcsv rate; peak memory flat from 1M rows up")
    if fhirBytes > 0 { try fhirBenchmark(bytes: fhirBytes, directory: directory) }
    if subjectDays > 0 { try featuresBenchmark(subjectDays: subjectDays, directory: directory) }
  }

  /// A FHIR bundle of about `bytes` bytes: results per second and peak memory, next to the
  /// CSV reader on a LIS export of the same number of results.
  static func fhirBenchmark(bytes: Int, directory: String) throws {
    let bundle = "\(directory)/neuroendo-bench-bundle.json"
    let csv = "\(directory)/neuroendo-bench-bundle-rows.csv"
    defer {
      try? FileManager.default.removeItem(atPath: bundle)
      try? FileManager.default.removeItem(atPath: csv)
    }
    let results = try FHIRGenerator.write(bytes: bytes, to: bundle)
    try LISGenerator.write(rows: results, to: csv)
    resetPeakMemory()
    let (fhirSeconds, fhirSamples) = time { () -> Int in
      var samples = 0
      let summary = FHIRReader().read(file: bundle, onSample: { _ in samples += 1 })
      precondition(summary.failure == nil && summary.rejections == 0, "\(summary)")
      return samples
    }
    precondition(fhirSamples == results, "FHIR reader produced \(fhirSamples) samples")
    let fhirPeak = peakMemoryKiB()
    let (csvSeconds, _) = time { readerPass(csv) }
    print("")
    print("FHIR R4 bundle benchmark: \(results) Observations in one searchset bundle")
    print(
      pad("results", 10) + pad("MB", 8) + pad("FHIR results/s", 16) + pad("CSV reader rows/s", 20)
        + "peak RSS MB (FHIR)")
    print(
      pad("\(results)", 10) + pad(String(format: "%.0f", Double(fileSize(bundle)) / 1_048_576), 8)
        + pad(String(format: "%.0f", Double(results) / fhirSeconds), 16)
        + pad(String(format: "%.0f", Double(results) / csvSeconds), 20)
        + String(format: "%.1f", Double(fhirPeak) / 1024))
    print("target: a 1 GB bundle read without several GB of memory (entries are streamed)")
  }

  static func readerPass(_ path: String) -> Int {
    var samples = 0
    let summary = CSVReader(profile: .lisLong).read(file: path, onSample: { _ in samples += 1 })
    precondition(summary.failure == nil && summary.rejections == 0, "\(summary)")
    return samples
  }

  /// The baseline: libcsv over the same file in the same chunk size, counting fields only.
  static func rawPass(_ path: String) throws -> Int {
    var parser = csv_parser()
    guard csv_init(&parser, UInt8(CSV_STRICT | CSV_STRICT_FINI)) == 0 else { return -1 }
    defer { csv_free(&parser) }
    var counts = (fields: 0, records: 0)
    guard let file = fopen(path, "rb") else { throw CocoaError(.fileNoSuchFile) }
    defer { fclose(file) }
    let size = 1 << 16
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
    defer { buffer.deallocate() }
    let onField: @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeMutableRawPointer?) -> Void =
      {
        _, _, context in
        context!.assumingMemoryBound(to: (fields: Int, records: Int).self).pointee.fields += 1
      }
    let onRecord: @convention(c) (Int32, UnsafeMutableRawPointer?) -> Void = { _, context in
      context!.assumingMemoryBound(to: (fields: Int, records: Int).self).pointee.records += 1
    }
    withUnsafeMutablePointer(to: &counts) { context in
      while true {
        let count = fread(buffer, 1, size, file)
        if count == 0 { break }
        _ = csv_parse(&parser, buffer, count, onField, onRecord, context)
      }
      _ = csv_fini(&parser, onField, onRecord, context)
    }
    return counts.records
  }

  static func time<T>(_ body: () throws -> T) rethrows -> (Double, T) {
    let clock = ContinuousClock()
    let start = clock.now
    let result = try body()
    let elapsed = clock.now - start
    return (
      Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, result
    )
  }

  static func fileSize(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
  }

  /// Resets the kernel's peak resident set size of this process (Linux `clear_refs` 5).
  static func resetPeakMemory() {
    try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
  }

  /// The peak resident set size since the last reset, in KiB (`VmHWM`).
  static func peakMemoryKiB() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else {
      return 0
    }
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }
    return line.flatMap { Int($0.split(separator: " ")[1]) } ?? 0
  }

  static func pad(_ text: String, _ width: Int) -> String {
    text.padding(toLength: max(width, text.count + 1), withPad: " ", startingAt: 0)
  }
}

/// Writes a LIS long export of any size: realistic rows cycling through the analytes.
enum LISGenerator {
  static let tests: [(code: String, unit: String, base: Double, specimen: String)] = [
    ("2143-6", "nmol/L", 380, "serum"), ("2141-0", "pg/mL", 24, "plasma"),
    ("3016-3", "mIU/L", 1.9, "serum"), ("3024-7", "pmol/L", 15.2, "serum"),
    ("3051-0", "pmol/L", 4.8, "serum"), ("2986-8", "nmol/L", 17.5, "serum"),
    ("10501-5", "IU/L", 5.1, "serum"), ("2142-8", "nmol/L", 12.4, "saliva"),
  ]

  static func write(rows: Int, to path: String) throws {
    guard let file = fopen(path, "wb") else { throw CocoaError(.fileWriteUnknown) }
    defer { fclose(file) }
    var text = "patient_id,test_code,value,unit,collected_at,specimen\n"
    for row in 0..<rows {
      let test = tests[row % tests.count]
      let value = test.base * (0.6 + Double((row * 7919) % 800) / 1000)
      let day = 1 + (row / 5000) % 28
      let minute = (row * 13) % 1440
      text += "P\(100_000 + row / 12),\(test.code),\(String(format: "%.2f", value)),\(test.unit),"
      text +=
        "2026-03-\(day < 10 ? "0" : "")\(day)T\(two(minute / 60)):\(two(minute % 60)):00+01:00,"
      text += "\(test.specimen)\n"
      if text.utf8.count > 1 << 16 {
        _ = fputs(text, file)
        text = ""
      }
    }
    _ = fputs(text, file)
  }

  static func two(_ number: Int) -> String { number < 10 ? "0\(number)" : "\(number)" }
}

/// Writes a FHIR searchset bundle of Observations, cycling through the analytes, until it
/// holds about the requested number of bytes.
enum FHIRGenerator {
  /// - Returns: the number of Observations written.
  static func write(bytes target: Int, to path: String) throws -> Int {
    guard let file = fopen(path, "wb") else { throw CocoaError(.fileWriteUnknown) }
    defer { fclose(file) }
    var written = 0
    var text = #"{"resourceType":"Bundle","type":"searchset","entry":["#
    var count = 0
    let units = ["nmol/L", "pg/mL", "m[IU]/L", "pmol/L", "pmol/L", "nmol/L", "[IU]/L", "nmol/L"]
    while written + text.utf8.count < target {
      let test = LISGenerator.tests[count % LISGenerator.tests.count]
      let value = test.base * (0.6 + Double((count * 7919) % 800) / 1000)
      let day = 1 + (count / 5000) % 28
      let minute = (count * 13) % 1440
      if count > 0 { text += "," }
      text += #"{"fullUrl":"urn:uuid:obs-\#(count)","resource":{"resourceType":"Observation","#
      text += #""id":"obs-\#(count)","status":"final","category":[{"coding":[{"system":"#
      text +=
        #""http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],"#
      text += #""code":{"coding":[{"system":"http://loinc.org","code":"\#(test.code)"}]},"#
      text += #""subject":{"reference":"Patient/P\#(100_000 + count / 12)"},"#
      text += #""effectiveDateTime":"2026-03-\#(LISGenerator.two(day))T"#
      text += #"\#(LISGenerator.two(minute / 60)):\#(LISGenerator.two(minute % 60)):00+01:00","#
      text +=
        #""valueQuantity":{"value":\#(String(format: "%.2f", value)),"unit":"\#(units[count % units.count])","#
      text += #""system":"http://unitsofmeasure.org","code":"\#(units[count % units.count])"}}}"#
      count += 1
      if text.utf8.count > 1 << 16 {
        written += text.utf8.count
        _ = fputs(text, file)
        text = ""
      }
    }
    text += "]}\n"
    _ = fputs(text, file)
    return count
  }
}
