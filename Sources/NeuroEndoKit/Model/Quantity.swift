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
  public func hash(into hasher: inout Hasher) { hasher.combine(caseCode) }
  public static func == (lhs: Self, rhs: Self) -> Bool { lhs.caseCode == rhs.caseCode }

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

/// The range a lab reported as normal for a result, in the result's unit unless the range
/// names its own.
public struct ReferenceRange: Sendable, Hashable, Codable {
  /// The lower limit, when given.
  public var low: Double?
  /// The upper limit, when given.
  public var high: Double?
  /// The unit of the limits when the export gave one of their own (FHIR `low.unit`);
  /// `nil`: the result's unit.
  public var unit: LabUnit?

  /// Creates a range; at least one limit should be given.
  public init(low: Double?, high: Double?, unit: LabUnit? = nil) {
    self.low = low
    self.high = high
    self.unit = unit
  }
}

extension Quantity {
  /// Whether the true value lies above `threshold` (`inclusive`: at or above it), taking the
  /// censoring into account: `true` or `false` when every value the result allows lies on
  /// one side, `nil` when the bound cannot decide (`<4` against 2.8, `>30` against 50).
  /// `<4` against 50 decides: every value below 4 is below 50.
  public func exceeds(_ threshold: Double, inclusive: Bool) -> Bool? {
    func above(_ x: Double) -> Bool { inclusive ? x >= threshold : x > threshold }
    switch censoring {
    case .none:
      return above(value)
    case .below:
      // Every true value is < value: none lies above when value <= threshold.
      return value <= threshold ? false : nil
    case .atOrBelow:
      return value < threshold || (!inclusive && value == threshold) ? false : nil
    case .above:
      return value >= threshold ? true : nil
    case .atOrAbove:
      return above(value) ? true : nil
    }
  }

  /// Whether the true value lies below `threshold` (`inclusive`: at or below it); `nil`
  /// when the bound cannot decide.
  public func falls(below threshold: Double, inclusive: Bool) -> Bool? {
    exceeds(threshold, inclusive: !inclusive).map(!)
  }

  /// The value as written: `<4`, `12.5`.
  public var written: String { censoring.rawValue + NumberText.plain(value) }
}

extension Censoring: CaseCoded {}
