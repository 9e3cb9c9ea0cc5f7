/// A mistake in a pipeline or profile file, at the YAML line and key a person must fix.
public struct ConfigIssue: Error, Sendable, Hashable, CustomStringConvertible {
  /// The YAML file.
  public var file: String
  /// The 1-based line, when known.
  public var line: Int?
  /// The key path, e.g. `inputs[0].format`.
  public var key: String
  /// What is wrong and what is expected.
  public var message: String

  /// Creates an issue.
  public init(file: String, line: Int?, key: String, message: String) {
    self.file = file
    self.line = line
    self.key = key
    self.message = message
  }

  /// `Pipelines/sample.yml:12: inputs[0].fromat: unknown key (expected one of: ...)`.
  public var description: String {
    let place = line.map { "\(file):\($0)" } ?? file
    return key.isEmpty ? "\(place): \(message)" : "\(place): \(key): \(message)"
  }
}

/// Every mistake found in one file; reading goes on after the first so that all are reported.
public struct ConfigIssues: Error, Sendable, CustomStringConvertible {
  /// The mistakes, in file order.
  public var issues: [ConfigIssue]

  /// Creates the list.
  public init(_ issues: [ConfigIssue]) { self.issues = issues }

  public var description: String { issues.map(\.description).joined(separator: "\n") }
}
