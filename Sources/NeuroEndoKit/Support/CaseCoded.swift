/// An enum of plain cases that hashes and compares as its case's place among the cases
/// instead of as its raw text. The standard library hashes a `RawRepresentable` enum by its
/// raw value, so an enum with `String` raw values costs a string hash at every dictionary
/// or set lookup; the pipeline looks analytes, specimens, units and column roles up once or
/// more per sample.
///
/// A conforming enum declares `hash(into:)` and `==` with ``caseCode`` (a protocol default
/// would not be preferred over the standard library's).
protocol CaseCoded: CaseIterable, Hashable {}

extension CaseCoded {
  /// The case's place among `allCases`: the byte Swift stores a plain case as (checked for
  /// every case of every conforming enum by `CaseCodedTests`). An enum of one case (no
  /// byte) or of more than 256 cannot conform.
  @inline(__always) var caseCode: UInt8 {
    precondition(MemoryLayout<Self>.size == 1, "CaseCoded needs an enum of 2 to 256 plain cases")
    return unsafeBitCast(self, to: UInt8.self)
  }
}
