import Foundation
import Logging
import NeuroEndoKit

/// How `run` writes its log to standard error: text lines with a timestamp, or one JSON
/// object per line for log collectors.
enum LogFormat: String, CaseIterable {
  case text, json
}

/// A swift-log handler that writes one line per message to standard error: `2026-11-26T02:15:03Z
/// warning: ...`, or `{"level":"warning","message":"...","timestamp":"..."}`.
struct RunLogHandler: LogHandler {
  var format: LogFormat
  var metadata: Logger.Metadata = [:]
  var logLevel: Logger.Level = .info

  subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  func log(event: LogEvent) {
    let timestamp = ISO8601DateFormatter().string(from: Date())
    let line: String
    switch format {
    case .text:
      line = "\(timestamp) \(event.level.rawValue): \(event.message)\n"
    case .json:
      var object: [String: String] = [
        "timestamp": timestamp, "level": event.level.rawValue, "message": "\(event.message)",
      ]
      for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
        object[key] = "\(value)"
      }
      let data =
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
      line = String(decoding: data, as: UTF8.self) + "\n"
    }
    FileHandle.standardError.write(Data(line.utf8))
  }
}

/// Writes a run's problems and notes to the log: failures as errors, input problems and
/// file warnings as warnings, notes as notices.
func log(_ summary: RunSummary, to logger: Logger) {
  for failure in summary.outputFailures { logger.error("output: \(failure)") }
  for file in summary.files {
    if let failure = file.failure { logger.error("\(file.file): \(failure)") }
    for warning in file.warnings { logger.warning("\(file.file): \(warning)") }
  }
  for problem in summary.inputProblems { logger.warning("input: \(problem)") }
  for note in summary.notes { logger.notice("\(note)") }
}

/// Shows progress on standard error, only when it is a terminal: one line, rewritten.
final class ProgressLine: @unchecked Sendable {
  private let enabled = isatty(STDERR_FILENO) == 1
  private var shown = false

  func show(_ text: String) {
    guard enabled else { return }
    FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
    shown = true
  }

  func clear() {
    guard enabled, shown else { return }
    FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
  }
}
