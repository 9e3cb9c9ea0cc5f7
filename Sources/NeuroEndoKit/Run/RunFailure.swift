import Foundation

/// Why a run, or a part of it, did not do what it was asked: a typed value, as a finding is,
/// not a string on a shared summary. The run summary keeps them (``RunSummary/failures``)
/// and writes their descriptions (`outputFailures` in `run-summary.json`); the command line
/// maps them to exit codes in one place.
public enum RunFailure: Error, Sendable, Hashable, CustomStringConvertible {
  /// An output would be written where an input is: nothing was read or written.
  case overlap(String)
  /// Another run holds the output directory's or the state's lock: nothing was done.
  case locked(OutputError)
  /// An output could not be staged, written or published.
  case output(OutputError)
  /// The state database cannot be used (damaged, missing, of a newer NeuroEndo): nothing
  /// was read or written until it is recovered.
  case stateUnusable(String)
  /// The state could not be read or written during the run.
  case state(String)
  /// The run as asked cannot be made (a shard or partitions with a state).
  case refused(String)
  /// A part of a run in partitions, or a merge, failed: what it said.
  case part(String)
  /// A failure read back from a summary written earlier (a shard's, for a merge).
  case recorded(String)
  /// Nothing was published: the output directory keeps the previous run's outputs.
  case notPublished(directory: String)
  /// A test stopped the run before it published (as a kill at that moment would).
  case stoppedBeforePublishing

  public var description: String {
    switch self {
    case .overlap(let text), .stateUnusable(let text), .state(let text), .refused(let text),
      .part(let text), .recorded(let text):
      text
    case .locked(let error), .output(let error): error.description
    case .notPublished(let directory):
      "nothing was published: \(directory) keeps the outputs of the previous run"
    case .stoppedBeforePublishing: "stopped before publishing (a test of a kill)"
    }
  }

  /// The process holding a lock, when this failure is another run's lock (0 when unknown).
  public var lockHolder: Int32? {
    if case .locked(let error) = self { return error.lockHolder ?? 0 }
    return nil
  }
}

/// A problem with the inputs a person should look at: the run went on without what it
/// names, and is incomplete (exit 1). A typed value; the summary writes its description.
public enum InputIssue: Sendable, Hashable, CustomStringConvertible {
  /// An input that gave no file (missing, unlistable, nothing matching).
  case unavailable(InputProblem)
  /// An entry of an inbox passed over (a FIFO, a link outside, a file too large).
  case skipped(input: String, SkippedEntry)
  /// A file an earlier input read already (one file, one reader).
  case readTwice(input: String, file: String)
  /// `settings.normalize.time_zone` is not an IANA zone.
  case unknownTimeZone(String)
  /// The sleep diary could not be read.
  case wakeDiary(String)
  /// A subject asked for (`neuroendo report`) without samples in the inputs.
  case noSuchSubject(String)
  /// A problem read back from a summary or manifest written earlier.
  case recorded(String)

  public var description: String {
    switch self {
    case .unavailable(let problem): problem.description
    case .skipped(let input, let entry):
      "\(input): \(entry.path) not read: \(entry.reason) (\(entry.detail))"
    case .readTwice(let input, let file):
      "\(input): \(file) not read again: an earlier input read it (give one input an exclude: pattern)"
    case .unknownTimeZone(let zone):
      "settings.normalize.time_zone '\(zone)' is not an IANA time zone; local times stay local"
    case .wakeDiary(let failure): "wake diary: \(failure)"
    case .noSuchSubject(let subject):
      "subject '\(excerpt(subject, limit: 64))': no sample in the inputs; no pages written"
    case .recorded(let text): text
    }
  }
}

/// A subject whose outputs could not be made: the others were published, and the run is
/// incomplete (exit 1).
public struct QuarantinedSubject: Sendable, Hashable, CustomStringConvertible {
  /// The subject id.
  public var subject: String
  /// Why: its reports could not be rendered or written (the name, the encoding).
  public var reason: String
  /// The description as an earlier summary or a shard's manifest wrote it, when the subject
  /// was read back from one (``init(described:)``).
  private var written: String?

  /// A quarantined subject.
  init(subject: String, reason: String) {
    self.subject = subject
    self.reason = reason
  }

  /// A quarantined subject as ``description`` wrote it (a shard's manifest, an earlier run
  /// summary): said again as it was, not wrapped in a second subject.
  init(described text: String) {
    self.init(subject: "", reason: text)
    written = text
  }

  public var description: String { written ?? "\(excerpt(subject, limit: 64)): \(reason)" }
}
