import Foundation

/// How a run runs, decided once before it starts (``PipelineRunner``): each mode is one
/// case, so that no code tests flags in combination. What it writes is said apart: the
/// whole analysis, or only the audit (`neuroendo audit`), in any mode.
public struct RunPlan: Sendable, Hashable {
  /// The modes of a run.
  public enum Mode: Sendable, Hashable {
    /// One pass of the stage chain over the inputs read now.
    case whole
    /// One pass that keeps the subjects of a shard, written in the shard format for
    /// `neuroendo merge` (``ShardManifest``).
    case shard(Shard)
    /// The inputs read once into buckets of subjects, run as partitions and merged: as
    /// many as asked (`--partitions N`), or, `nil`, as memory requires.
    case partitions(count: Int?)
    /// A night over the state's ledger (`state:`): new and changed files read, the
    /// others' data from the ledger; `rebuild` clears the ledger first.
    case incremental(rebuild: Bool)
  }

  public var mode: Mode
  /// Read and normalize only, and write the audit.
  public var auditOnly: Bool

  /// A plan.
  public init(_ mode: Mode, auditOnly: Bool = false) {
    self.mode = mode
    self.auditOnly = auditOnly
  }

  /// Why a plan cannot run with this pipeline: shards and partitions keep no state, and a
  /// shard cannot compare its subjects with the whole cohort (the flattened verdict's
  /// cohort rule, `comparesCohort`), since it never sees the other shards' subjects (an
  /// audit, which analyses nothing, can).
  func refusal(keepsState: Bool, comparesCohort: Bool = false) -> RunFailure? {
    if comparesCohort, !auditOnly, case .shard = mode {
      return .refused(
        "a shard run (--shard) sees only its own subjects, and flattened_slope.cohort compares each subject with the whole cohort: run the pipeline whole or in partitions (--partitions), or without the cohort rule"
      )
    }
    guard keepsState else { return nil }
    switch mode {
    case .partitions(let count?) where count > 1:
      return .refused(
        "a run in partitions (--partitions) keeps no state: run it with a pipeline without 'state:'"
      )
    case .shard:
      return .refused(
        "a shard run (--shard) keeps no state: run the shards with a pipeline without 'state:', then neuroendo merge"
      )
    default: return nil
    }
  }
}
