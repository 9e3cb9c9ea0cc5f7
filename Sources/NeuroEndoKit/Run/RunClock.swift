import Foundation
import Synchronization

/// When a run says it started, and the id it is known by.
enum RunClock {
  /// `SOURCE_DATE_EPOCH` from the environment, when it holds a whole number of seconds
  /// (reproducible-builds.org): run ids, report dates and FHIR `issued` then come from it,
  /// so that the same inputs give the same reports and tables, byte for byte.
  static func environmentEpoch() -> Date? {
    guard let text = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"],
      let seconds = Int64(text.trimmingCharacters(in: .whitespaces)), seconds >= 0
    else { return nil }
    return Date(timeIntervalSince1970: Double(seconds))
  }

  /// `20261126T142600Z-4242`: the start time and the process, and a count when one process
  /// starts more than one run (`-4242.2`), so that every run has its own id. A reproducible
  /// run (`SOURCE_DATE_EPOCH`) is named by its time alone: `20261126T142600Z`.
  static func runID(_ started: Date, reproducible: Bool = false) -> String {
    let seconds = Int(started.timeIntervalSince1970)
    let time = LocalDateTime(wallClockSeconds: Double(seconds)).description
      .replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
    if reproducible { return time + "Z" }
    let count = runsStarted.withLock { count in
      count += 1
      return count
    }
    return "\(time)Z-\(FileSystem.processID)" + (count > 1 ? ".\(count)" : "")
  }

  /// Runs this process started.
  private static let runsStarted = Mutex(0)
}
