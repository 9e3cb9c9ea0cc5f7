/// Remembers what a cell's bytes were read as (a test code, a unit, a subject id), so that
/// the few distinct values of a column are decoded and looked up once per file.
///
/// Holds at most ``limit`` entries and compares bytes linearly: columns with many distinct
/// values simply miss, and the caller takes its slow path. With a limit of 1 it holds the
/// latest value, which suits a column whose values come in runs (subject ids).
struct ByteKeyCache<Value> {
  /// The most entries kept.
  let limit: Int

  private var keys: [[UInt8]] = []
  private var values: [Value] = []
  private var last = 0

  /// Creates a cache that keeps up to `limit` values.
  init(limit: Int) { self.limit = limit }

  /// The value read from these bytes before, if any.
  mutating func value(for bytes: UnsafeBufferPointer<UInt8>) -> Value? {
    guard !keys.isEmpty else { return nil }
    // Consecutive records often repeat a value: try the last hit first.
    if matches(keys[last], bytes) { return values[last] }
    for index in keys.indices where index != last && matches(keys[index], bytes) {
      last = index
      return values[index]
    }
    return nil
  }

  /// Remembers a value for these bytes while there is room.
  mutating func insert(_ value: Value, for bytes: UnsafeBufferPointer<UInt8>) {
    guard keys.count < limit else {
      if limit == 1 {
        // A single entry follows the column: it holds the latest value.
        keys[0] = Array(bytes)
        values[0] = value
      }
      return
    }
    keys.append(Array(bytes))
    values.append(value)
  }

  private func matches(_ key: [UInt8], _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    guard key.count == bytes.count else { return false }
    // Keys are short (codes, units, ids): a loop beats a call to memcmp.
    return key.withUnsafeBufferPointer { key in
      for index in 0..<key.count where key[index] != bytes[index] { return false }
      return true
    }
  }
}
