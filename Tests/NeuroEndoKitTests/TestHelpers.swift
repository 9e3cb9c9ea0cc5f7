import Foundation

@testable import NeuroEndoKit

/// Paths of the repository, found from this file so that tests run from any directory.
enum Repository {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

  static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

  static func fixture(_ name: String) -> String {
    path("Tests/NeuroEndoKitTests/Fixtures/\(name)")
  }

  /// BioPsyKit's example saliva data, MIT licensed, shipped with its licence and
  /// attribution in `Fixtures/biopsykit/`.
  static let bioPsyKitSample = fixture("biopsykit/cortisol-sample.csv")
}

/// Everything one read produced.
struct ReadResult {
  var samples: [Sample] = []
  var rejections: [Rejection] = []
  var summary: FileReadSummary

  var reasons: [String] { rejections.map(\.reason.code) }
}

func read(_ path: String, profile: CSVProfile? = nil, chunkSize: Int = 1 << 16) -> ReadResult {
  var samples: [Sample] = []
  var rejections: [Rejection] = []
  let summary = CSVReader(profile: profile, chunkSize: chunkSize).read(
    file: path, onSample: { samples.append($0) }, onRejection: { rejections.append($0) })
  return ReadResult(samples: samples, rejections: rejections, summary: summary)
}

func read(text: String, profile: CSVProfile? = nil, chunkSize: Int = 1 << 16) -> ReadResult {
  var samples: [Sample] = []
  var rejections: [Rejection] = []
  let bytes = Array(text.utf8)
  let summary = bytes.withUnsafeBytes { buffer in
    CSVReader(profile: profile, chunkSize: chunkSize).read(
      bytes: buffer, name: "inline.csv", onSample: { samples.append($0) },
      onRejection: { rejections.append($0) })
  }
  return ReadResult(samples: samples, rejections: rejections, summary: summary)
}
