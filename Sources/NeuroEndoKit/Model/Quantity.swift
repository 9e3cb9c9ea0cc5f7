/// A measured value with its unit, and whether the lab reported it only as a limit.
public struct Quantity: Sendable, Hashable, Codable {
  /// The number; for a censored result, the limit (e.g. 0.5 for `<0.5`).
  public var value: Double
  /// The unit the value is expressed in.
  public var unit: LabUnit
  /// Whether the value is exact or only a bound.
  public var censoring: Censoring

  /// Creates a quantity.
  public init(value: Double, unit: LabUnit, censoring: Censoring = .none) {
    self.value = value
    self.unit = unit
    self.censoring = censoring
  }
}

/// How a lab qualified a result, as in `<0.5` or FHIR's `comparator`.
public enum Censoring: String, Sendable, Hashable, Codable, CaseIterable {
  /// An exact value.
  case none = ""
  /// Below the limit (`<`).
  case below = "<"
  /// At or below the limit (`<=`).
  case atOrBelow = "<="
  /// Above the limit (`>`).
  case above = ">"
  /// At or above the limit (`>=`).
  case atOrAbove = ">="
}

/// The range a lab reported as normal for a result, in the result's unit.
public struct ReferenceRange: Sendable, Hashable, Codable {
  /// The lower limit, when given.
  public var low: Double?
  /// The upper limit, when given.
  public var high: Double?

  /// Creates a range; at least one limit should be given.
  public init(low: Double?, high: Double?) {
    self.low = low
    self.high = high
  }
}
