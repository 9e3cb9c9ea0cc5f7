import Foundation

/// Callbacks of work running on several threads (partitions at once), called one at a time.
final class SerializedCalls: @unchecked Sendable {
  private let lock = NSLock()
  private let onSample: (Sample) -> Void
  private let onProgress: (String) -> Void

  init(onSample: @escaping (Sample) -> Void, progress: @escaping (String) -> Void) {
    self.onSample = onSample
    onProgress = progress
  }

  func sample(_ sample: Sample) { lock.withLock { onSample(sample) } }
  func progress(_ message: String) { lock.withLock { onProgress(message) } }
}
