import Foundation
import Testing

@testable import NeuroEndoKit

/// One hostile case: what is planted or fed before a run, and what must hold after it.
struct HostileCase: Sendable, CustomTestStringConvertible {
  var name: String
  var state = false
  /// Runs before the run (plants files, damages the state, writes the inbox).
  var prepare: @Sendable (Scratch) throws -> Void
  /// What must hold after the run.
  var check: @Sendable (Scratch, RunSummary) throws -> Void

  var testDescription: String { name }
}

/// A LIS export of the lines given.
private func lis(_ lines: [String]) -> String { ([lisHeader] + lines).joined(separator: "\n") }

/// A TSH and free T4 pair for `subject` (a finding when `tsh` is off).
private func thyroid(_ subject: String, tsh: String = "9.5") -> [String] {
  [
    "\"\(subject.replacingOccurrences(of: "\"", with: "\"\""))\",3016-3,\(tsh),mIU/L,2026-03-14T08:00:00+01:00",
    "\"\(subject.replacingOccurrences(of: "\"", with: "\"\""))\",3024-7,9.0,pmol/L,2026-03-14T08:00:00+01:00",
  ]
}

private func text(_ scratch: Scratch, _ relative: String) -> String {
  String(decoding: scratch.files(under: "out")[relative] ?? Data(), as: UTF8.self)
}

/// The hostile cases of issue 21: poison records, colliding ids, planted files, damaged
/// states and a run stopped before it published. Every case also checks that a file
/// outside the outputs is untouched and that every file's records add up.
let hostileCases: [HostileCase] = [
  HostileCase(
    name: "poison value: 1e308 ug/dL overflows in nmol/L",
    prepare: {
      try $0.put(
        "a.csv", lis([cortisolLine("A", "1e308", unit: "ug/dL"), cortisolLine("B", "300")]))
    },
    check: { scratch, summary in
      #expect(summary.isComplete)
      #expect(text(scratch, "rejections.csv").contains("value-overflow"))
    }),
  HostileCase(
    name: "a subject id of 300 characters",
    prepare: { try $0.put("a.csv", lis(thyroid(String(repeating: "Q", count: 300)))) },
    check: { scratch, summary in
      #expect(summary.isComplete)
      let name = PatientReport.fileName(String(repeating: "Q", count: 300))
      #expect(scratch.files()["reports/patients/\(name).html"] != nil)
    }),
  HostileCase(
    name: "ids that collide as names: x, x.fhir, X",
    prepare: { try $0.put("a.csv", lis(thyroid("x") + thyroid("x.fhir") + thyroid("X"))) },
    check: { scratch, summary in
      #expect(summary.isComplete)
      #expect(summary.outputRows["reports"] == 3)
      let bundles = scratch.files().keys.filter { $0.hasSuffix(".fhir.json") }
      #expect(bundles.count == 3)
    }),
  HostileCase(
    name: "ids with NUL and a right-to-left override",
    prepare: { try $0.put("a.csv", lis(thyroid("A\u{0}") + thyroid("B\u{202E}") + thyroid("C"))) },
    check: { scratch, summary in
      #expect(summary.isComplete)
      #expect(summary.totals.rejections == 4)
      #expect(text(scratch, "rejections.csv").contains("invalid-subject-id"))
      #expect(summary.outputRows["reports"] == 1)
    }),
  HostileCase(
    name: "a formula as a subject id",
    prepare: { try $0.put("a.csv", lis(thyroid("=HYPERLINK(\"http://x\",\"y\")"))) },
    check: { scratch, summary in
      #expect(summary.isComplete)
      let findings = text(scratch, "findings.csv")
      #expect(findings.contains("\"'=HYPERLINK("))
      #expect(!findings.contains("\n=") && !findings.contains("\n\"="))
    }),
  HostileCase(
    name: "FHIR references with versions: two patients stay two",
    prepare: { scratch in
      let entries = ["Patient/123/_history/1", "Patient/456/_history/1"].map { reference in
        """
        {"resource": {"resourceType": "Observation", "status": "final",
          "code": {"coding": [{"system": "http://loinc.org", "code": "2143-6"}]},
          "subject": {"reference": "\(reference)"}, "effectiveDateTime": "2026-03-14T08:00:00Z",
          "valueQuantity": {"value": 300, "unit": "nmol/L"}}}
        """
      }
      try scratch.put(
        "b.json",
        #"{"resourceType": "Bundle", "type": "collection", "entry": ["#
          + entries.joined(separator: ",") + "]}")
    },
    check: { scratch, summary in
      #expect(summary.isComplete)
      #expect(summary.outputRows["reports"] == 2)
      #expect(scratch.files()["reports/patients/123.json"] != nil)
    }),
  HostileCase(
    name: "a symbolic link planted as the lock",
    prepare: { scratch in
      try scratch.put("a.csv", lis(thyroid("A")))
      try FileManager.default.createDirectory(
        atPath: scratch.path("out"), withIntermediateDirectories: true)
      try FileManager.default.createSymbolicLink(
        atPath: scratch.path("out/.neuroendo.lock"),
        withDestinationPath: scratch.path("precious.txt"))
    },
    check: { _, summary in #expect(!summary.isComplete) }),
  HostileCase(
    name: "a foreign file in the output directory",
    prepare: { scratch in
      try scratch.put("a.csv", lis(thyroid("A")))
      try FileManager.default.createDirectory(
        atPath: scratch.path("out"), withIntermediateDirectories: true)
      try "mine".write(toFile: scratch.path("out/thesis.docx"), atomically: true, encoding: .utf8)
    },
    check: { scratch, summary in
      #expect(!summary.isComplete)
      #expect(scratch.files().keys.sorted() == ["thesis.docx"])
    }),
  HostileCase(
    name: "a journal that names ../precious.txt",
    prepare: { scratch in
      try scratch.put("a.csv", lis(thyroid("A")))
      #expect(PipelineRunner(pipeline: try scratch.pipeline()).run().isComplete)
      try ".neuroendo-staging-x\n../precious.txt\n".write(
        toFile: scratch.path("out/.neuroendo-publish"), atomically: true, encoding: .utf8)
    },
    check: { _, summary in
      #expect(summary.isComplete)
      #expect(summary.notes.contains { $0.contains("journal") })
    }),
  HostileCase(
    name: "a corrupt state", state: true,
    prepare: { scratch in
      try scratch.put("a.csv", lis(thyroid("A")))
      _ = PipelineRunner(pipeline: try scratch.pipeline(state: true)).run()
      try Data(repeating: 0x41, count: 4096).write(
        to: URL(fileURLWithPath: StateStore.file(in: scratch.path("state"))))
    },
    check: { _, summary in #expect(summary.stateProblem?.contains("damaged") == true) }),
  HostileCase(
    name: "an empty state", state: true,
    prepare: { scratch in
      try scratch.put("a.csv", lis(thyroid("A")))
      _ = PipelineRunner(pipeline: try scratch.pipeline(state: true)).run()
      try Data().write(to: URL(fileURLWithPath: StateStore.file(in: scratch.path("state"))))
    },
    check: { _, summary in #expect(summary.stateProblem?.contains("empty") == true) }),
  HostileCase(
    name: "a run stopped after its ledger commit, before publishing", state: true,
    prepare: { scratch in
      try scratch.put("a.csv", lis(thyroid("A")))
      _ = PipelineRunner(pipeline: try scratch.pipeline(state: true)).run()
      try scratch.put("b.csv", lis(thyroid("B")))
      var stopped = PipelineRunner(pipeline: try scratch.pipeline(state: true))
      stopped.failBeforePublishing = true
      _ = stopped.run()
    },
    check: { scratch, summary in
      #expect(summary.isComplete && !summary.nothingNew)
      #expect(summary.outputRows["reports"] == 2)
      #expect(text(scratch, "findings.csv").contains("\nB,"))
    }),
]

@Suite("Hostile cases, one table (issue 21)")
struct HostileCaseTableTests {
  @Test(arguments: hostileCases)
  func hostile(_ hostile: HostileCase) throws {
    let scratch = try Scratch()
    try "precious\n".write(toFile: scratch.path("precious.txt"), atomically: true, encoding: .utf8)
    try hostile.prepare(scratch)
    let summary = PipelineRunner(pipeline: try scratch.pipeline(state: hostile.state)).run()
    try hostile.check(scratch, summary)
    // Nothing outside the outputs changed, and every file's records add up.
    #expect(
      try String(contentsOfFile: scratch.path("precious.txt"), encoding: .utf8) == "precious\n")
    for file in summary.files { #expect(file.isBalanced, "\(file.file)") }
  }
}
