/// The version of NeuroEndo, printed by `neuroendo --version` and written into run summaries.
public enum NeuroEndoVersion {
  /// Semantic version of this build.
  public static let current = "0.10.0"
}
