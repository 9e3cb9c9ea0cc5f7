import Foundation

/// Digests of what a pipeline's results depend on besides the input files, so that an
/// incremental run notices a change: how each input's files are read (format, profile,
/// read settings), and what the analysis is made from (normalizer and analyzer settings
/// with their range tables, the sleep diary's content, the outputs asked for and their
/// modes, the version).
///
/// A value is written out field by field (`text(_:)`) with sets and dictionaries sorted,
/// so that the text, and its SHA-256, are the same in every process.
public enum Fingerprint {
  /// How the files of input `index` are read: a file read another way is read again.
  public static func reading(_ pipeline: Pipeline, input index: Int) -> String {
    let input = pipeline.inputs[index]
    return digest(
      [
        "format", text(input.format as Any), "profile", text(input.profile as Any),
        "read", text(pipeline.reading), "version", NeuroEndoVersion.current,
        // A key by its fingerprint, never its bytes: samples read under another key (or
        // none) are read again.
        "pseudonyms", pipeline.pseudonymizer?.fingerprint ?? "none",
      ])
  }

  /// What the analysis of the files' samples depends on: when it changes, everything is
  /// analysed again and published.
  public static func analysis(_ pipeline: Pipeline) -> String {
    var parts = [
      "normalize", text(pipeline.normalizer), "analyze", text(pipeline.analyzers),
      "zones", text(pipeline.inputs.map { $0.timeZone as Any }),
      "outputs", text(pipeline.outputs), "patient reports", String(pipeline.patientReports),
      "group read", String(pipeline.groupReadable),
      "pseudonyms", pipeline.pseudonymizer?.fingerprint ?? "none",
      "version", NeuroEndoVersion.current,
    ]
    if let diary = pipeline.wakeDiary {
      parts += [
        "diary", diary.path, text(diary.profile),
        SHA256.file(diary.path)?.sha256 ?? "(unreadable)",
      ]
    }
    return digest(parts)
  }

  /// The SHA-256 of the parts, each preceded by its length (so that no two lists of parts
  /// give one text).
  static func digest(_ parts: [String]) -> String {
    SHA256.hex(Array(parts.map { "\($0.utf8.count):\($0)" }.joined(separator: "\n").utf8))
  }

  /// A value written out field by field, the same in every process: sets and dictionaries
  /// sorted (Swift's hashing order differs from process to process).
  static func text(_ value: Any) -> String {
    let mirror = Mirror(reflecting: value)
    switch mirror.displayStyle {
    case .set:
      return "{" + mirror.children.map { text($0.value) }.sorted().joined(separator: ", ") + "}"
    case .dictionary:
      let pairs = mirror.children.map { pair -> String in
        Mirror(reflecting: pair.value).children.map { text($0.value) }.joined(separator: ": ")
      }
      return "[" + pairs.sorted().joined(separator: ", ") + "]"
    case .optional:
      guard let some = mirror.children.first else { return "nil" }
      return text(some.value)
    default:
      guard !mirror.children.isEmpty else { return String(reflecting: value) }
      let fields = mirror.children.map { child in
        (child.label.map { $0 + "=" } ?? "") + text(child.value)
      }
      return "\(mirror.subjectType)(" + fields.joined(separator: ", ") + ")"
    }
  }
}
