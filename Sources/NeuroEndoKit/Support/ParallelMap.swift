import Foundation

/// Maps an array on every core, keeping the order: element `i` of the result is
/// `transform(values[i])` whatever thread computed it, so what is written from the result is
/// byte-identical to a single-threaded map. Used where each element is independent work
/// (an NDJSON line, a patient's report).
enum ParallelMap {
  /// The number of threads used: the active processor count.
  static var width: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

  /// `values.map(transform)`, computed in contiguous slices, one per thread.
  static func map<Value: Sendable, Result: Sendable>(
    _ values: ArraySlice<Value>, _ transform: @Sendable (Value) -> Result
  ) -> [Result] {
    let width = min(width, values.count)
    guard width > 1 else { return values.map(transform) }
    let start = values.startIndex
    let sliceSize = (values.count + width - 1) / width
    return [Result](unsafeUninitializedCapacity: values.count) { buffer, count in
      let base = SendablePointer(buffer.baseAddress!)
      DispatchQueue.concurrentPerform(iterations: width) { slice in
        let lower = slice * sliceSize
        let upper = min(values.count, lower + sliceSize)
        for offset in lower..<upper {
          (base.pointer + offset).initialize(to: transform(values[start + offset]))
        }
      }
      count = values.count
    }
  }

  /// `values.map(transform)` on `width` threads, each taking the next value when it comes
  /// free: for jobs of unequal size (best given longest first), or few and large. Results
  /// in the values' order.
  static func each<Value: Sendable, Result: Sendable>(
    _ values: [Value], width: Int = width, _ transform: @Sendable (Value) -> Result
  ) -> [Result] {
    let width = min(width, values.count)
    guard width > 1 else { return values.map(transform) }
    let next = NextIndex()
    return [Result](unsafeUninitializedCapacity: values.count) { buffer, count in
      let base = SendablePointer(buffer.baseAddress!)
      DispatchQueue.concurrentPerform(iterations: width) { _ in
        while let index = next.take(below: values.count) {
          (base.pointer + index).initialize(to: transform(values[index]))
        }
      }
      count = values.count
    }
  }

  /// Calls `body` with the results of `transform` over consecutive batches of `values`, in
  /// order, so that at most one batch of results is held at a time.
  static func forEachBatch<Value: Sendable, Result: Sendable>(
    _ values: [Value], batch: Int, _ transform: @Sendable (Value) -> Result,
    _ body: ([Result]) -> Void
  ) {
    var lower = 0
    while lower < values.count {
      let upper = min(values.count, lower + batch)
      body(map(values[lower..<upper], transform))
      lower = upper
    }
  }
}

/// The next index of a shared list of jobs, handed out once each.
private final class NextIndex: @unchecked Sendable {
  private let lock = NSLock()
  private var next = 0

  func take(below end: Int) -> Int? {
    lock.withLock {
      guard next < end else { return nil }
      next += 1
      return next - 1
    }
  }
}

/// A pointer handed to the threads of one `concurrentPerform`; each thread writes only its
/// own disjoint range, and the caller waits for all of them.
private struct SendablePointer<Pointee>: @unchecked Sendable {
  let pointer: UnsafeMutablePointer<Pointee>
  init(_ pointer: UnsafeMutablePointer<Pointee>) { self.pointer = pointer }
}
