import Foundation
import Testing

@testable import NeuroEndoKit

private func issues(_ yaml: String, file: String = Repository.path("Pipelines/test.yml"))
  -> [String]
{
  do {
    _ = try PipelineLoader.parse(yaml, file: file)
    return []
  } catch {
    return error.issues.map { "\($0.line.map(String.init) ?? "-") \($0.key): \($0.message)" }
  }
}

@Suite("Pipeline files")
struct PipelineLoaderTests {
  @Test("the sample pipeline loads with its eight inputs, their formats and profiles")
  func samplePipeline() throws {
    let pipeline = try PipelineLoader.load(file: Repository.path("Pipelines/sample.yml"))
    #expect(pipeline.name == "sample")
    #expect(
      pipeline.inputs.map(\.profile?.name) == [
        "labnord-lis", "lis-long", "citylab-lis", "research-saliva", "tsst-saliva", "car-wide",
        nil, "research-portal-json",
      ])
    #expect(pipeline.inputs.map(\.format) == [.csv, .csv, nil, nil, nil, nil, .fhir, .json])
    #expect(pipeline.analyzers.response.slopes == [["S1", "S4"]])
    #expect(pipeline.inputs[0].glob == "labnord-*.csv")
    #expect(pipeline.inputs[0].profile?.decimalComma == true)
    #expect(
      pipeline.inputs[0].profile?.codes["SCORT"] == TestCode(analyte: .cortisol, specimen: .saliva))
    #expect(pipeline.inputs[5].profile?.samples.map(\.minutes) == [0, 15, 30, 45, 60])
    #expect(pipeline.outputs.directory.hasSuffix("out/sample"))
  }

  @Test("every shipped profile loads")
  func shippedProfiles() throws {
    let directory = Repository.path("Pipelines/profiles")
    let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter {
      $0.hasSuffix(".yml")
    }
    #expect(names.count >= 5)
    for name in names {
      #expect(throws: Never.self) { try ProfileLoader.load(file: "\(directory)/\(name)") }
    }
  }

  @Test("unknown keys are errors with their line and key path")
  func unknownKeys() {
    let yaml = """
      version: 1
      inputs:
        - path: ../SampleData/lis
          fromat: csv
      outputs:
        directory: out
        colour: blue
      """
    #expect(
      issues(yaml) == [
        "4 inputs[0].fromat: unknown key (expected one of: name, path, glob, exclude, format, profile, time_zone)",
        "7 outputs.colour: unknown key (expected one of: directory, summary, samples, rejections, normalized, normalized_ndjson, features_subject_day, features_subject, features_response, findings, findings_ndjson, reports, audit, audit_md)",
      ])
  }

  @Test("the large intermediate tables are written only when named, or set true")
  func intermediateTables() throws {
    func outputs(_ lines: String) throws -> Pipeline.Outputs {
      try PipelineLoader.parse(
        "version: 1\ninputs:\n  - path: in\noutputs:\n  directory: out\n\(lines)",
        file: "/tmp/p.yml"
      ).outputs
    }
    let plain = try outputs("")
    #expect(!plain.writeSamples && !plain.writeNormalizedJSON)
    let named = try outputs("  samples: read.csv\n  normalized_ndjson: true\n")
    #expect(named.writeSamples && named.samples == "read.csv")
    #expect(named.writeNormalizedJSON && named.normalizedJSON == "normalized-samples.ndjson")
    let off = try outputs("  samples: false\n")
    #expect(!off.writeSamples && off.samples == "samples.csv")
    #expect(
      issues("version: 1\ninputs:\n  - path: in\noutputs:\n  directory: out\n  samples: a/b.csv\n")
        == ["6 outputs.samples: expected a file name inside the output directory, or true/false"])
  }

  @Test("analyzer settings are read from settings.analyze, mistakes reported with line and key")
  func analyzerSettings() throws {
    let yaml = """
      version: 1
      inputs:
        - path: ../SampleData/lis
      settings:
        analyze:
          censored: half-limit
          specimens: [saliva, serum]
          car: {window_minutes: 45, require_known_wake: false}
          response: {anchor: tsst, slopes: [[S1, S4]]}
          diurnal_slope: {min_span_hours: 10}
          cosinor: {confidence: 0.9}
          flattened_slope: {threshold: -0.08, cohort: z-score, z_score: 1.5}
      outputs:
        directory: out
      """
    let pipeline = try PipelineLoader.parse(yaml, file: Repository.path("Pipelines/test.yml"))
    let settings = pipeline.analyzers
    #expect(settings.censored == .halfLimit)
    #expect(settings.specimens == [.saliva, .serum])
    #expect(settings.car.windowMinutes == 45 && !settings.car.requireKnownWake)
    #expect(settings.response.anchor == "tsst" && settings.response.slopes == [["S1", "S4"]])
    #expect(settings.slope.minimumSpanHours == 10)
    #expect(settings.cosinor.confidence == 0.9)
    #expect(settings.flattened.threshold == -0.08 && settings.flattened.cohort == .zScore)
    #expect(settings.flattened.zScore == 1.5)
    let wrong = """
      version: 1
      inputs:
        - path: ../SampleData/lis
      settings:
        analyze:
          censored: drop
          car: {window: 45}
          cosinor: {confidence: 95}
          flattened_slope: {min_valid_days: 0}
      outputs:
        directory: out
      """
    #expect(
      issues(wrong) == [
        "6 settings.analyze.censored: 'drop' is not one of: exclude, limit, half-limit",
        "7 settings.analyze.car.window: unknown key (expected one of: window_minutes, min_samples, max_waking_delay_minutes, require_known_wake, refuse_off_schedule, tolerance_minutes)",
        "8 settings.analyze.cosinor.confidence: expected a level between 0 and 1, e.g. 0.95",
        "9 settings.analyze.flattened_slope.min_valid_days: expected 1 or more",
      ])
  }

  @Test("feedback settings: cut-offs, limits and default ranges by analyte, sex and age band")
  func feedbackSettings() throws {
    let yaml = """
      version: 1
      inputs:
        - path: ../SampleData/lis
      settings:
        analyze:
          feedback:
            dexamethasone_cutoff: 100
            late_night_limit: 3.8
            acth_cortisol_window_hours: 2
            morning_window: [6.5, 9]
            late_night_window: [22, 24.5]
            late_night_serum_limit: null
            dexamethasone_saliva_cutoff: 1.5
            ranges:
              - {analyte: tsh, ages: [70, 120], low: 0.4, high: 6.0, source: elderly TSH}
              - {analyte: estradiol, sex: female, low: 100, high: 1500}
              - {analyte: cortisol, time_of_day: morning, low: 166, high: 507}
      outputs:
        directory: out
      """
    let feedback = try PipelineLoader.parse(yaml, file: Repository.path("Pipelines/test.yml"))
      .analyzers.feedback
    #expect(feedback.dexamethasoneCutoff == 100 && feedback.lateNightLimit == 3.8)
    #expect(feedback.acthCortisolWindowHours == 2)
    #expect(feedback.morningWindow == 6.5...9 && feedback.lateNightWindow == 22...24.5)
    #expect(feedback.lateNightSerumLimit == nil && feedback.dexamethasoneSalivaCutoff == 1.5)
    #expect(feedback.ranges[2].timeOfDay == .morning)
    #expect(feedback.ranges.count == 3 + FeedbackSettings.documentedRanges.count)
    #expect(feedback.ranges[0].ages == 70...120 && feedback.ranges[0].source == "elderly TSH")
    #expect(feedback.ranges[1].sex == .female)
    #expect(feedback.ranges[1].source == "pipeline settings.analyze.feedback.ranges[1]")
    let wrong = """
      version: 1
      inputs:
        - path: ../SampleData/lis
      settings:
        analyze:
          feedback:
            ranges:
              - {analyte: thyroxine, low: 1}
              - {analyte: tsh, sex: other, low: 5, high: 1}
            morning_window: [20, 45]
            late_night_serum_limit: -3
            dexamethasone_saliva_cutoff: high
      outputs:
        directory: out
      """
    #expect(
      issues(wrong) == [
        "11 settings.analyze.feedback.late_night_serum_limit: expected a number above 0",
        "12 settings.analyze.feedback.dexamethasone_saliva_cutoff: expected a number, found 'high'",
        "10 settings.analyze.feedback.morning_window: expected [from, to] with from in 0..<24 and less than 24 hours between them",
        "8 settings.analyze.feedback.ranges[0].analyte: 'thyroxine' is not one of: cortisol, free-cortisol, acth, dhea-s, tsh, ft4, ft3, lh, fsh, testosterone, estradiol",
        "9 settings.analyze.feedback.ranges[1]: low 5.0 is above high 1.0",
        "9 settings.analyze.feedback.ranges[1].sex: 'other' is not one of: female, male",
      ])
  }

  @Test("settings.run.partition_samples: 50,000 by default, 0 for never, no negative")
  func partitionSamples() throws {
    let head = "version: 1\ninputs:\n  - path: in\noutputs:\n  directory: out\n"
    func limit(_ lines: String) throws -> Int {
      try PipelineLoader.parse(head + lines, file: "/tmp/p.yml").partitionSamples
    }
    #expect(try limit("") == 50_000)
    #expect(try limit("settings:\n  run:\n    partition_samples: 0\n") == 0)
    #expect(try limit("settings:\n  run:\n    partition_samples: 2500\n") == 2500)
    #expect(
      issues(head + "settings:\n  run:\n    partition_samples: -1\n")
        == [
          "8 settings.run.partition_samples: expected a number of samples, 0 or more (0: never in partitions)"
        ])
    // How a run holds its samples changes no number: the audit does not list it.
    #expect(
      try PipelineLoader.parse(
        head + "settings:\n  run:\n    partition_samples: 2500\n", file: "/tmp/p.yml"
      ).effectiveSettings.keys.allSatisfy { !$0.hasPrefix("run.") })
  }

  @Test("wrong values and missing keys are each reported; a missing path is not a mistake")
  func wrongValues() {
    let yaml = """
      version: 2
      inputs:
        - path: ../SampleData/nowhere
          format: xlsx
      """
    let found = issues(yaml)
    #expect(found.count == 3)
    #expect(found[0] == "1 version: this build reads pipeline version 1, not 2")
    #expect(!found.contains { $0.contains("does not exist") })
    #expect(found.contains("4 inputs[0].format: 'xlsx' is not one of: csv, json, fhir"))
    #expect(found.contains("1 outputs: required key is missing"))
  }

  @Test("broken YAML is reported with its line")
  func brokenYAML() {
    let found = issues("version: 1\ninputs: [\n  - path: x\n")
    #expect(found.count == 1)
    #expect(found.first?.contains("not valid YAML") == true)
    #expect(found.first?.hasPrefix("-") == false)
  }

  @Test("a profile's mistakes are listed with the profile's own file and line")
  func profileMistakes() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "neuroendo-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    try "version: 1\nshape: wide\nanalyte: cortisone\ncsv:\n  decimal: comma\n  delimiter: '|'\n"
      .write(to: directory.appendingPathComponent("bad.yml"), atomically: true, encoding: .utf8)
    try "a,b\n".write(
      to: directory.appendingPathComponent("in.csv"), atomically: true, encoding: .utf8)
    let yaml = """
      version: 1
      inputs:
        - path: in.csv
          profile: bad.yml
      outputs:
        directory: out
      """
    let found = issues(yaml, file: directory.appendingPathComponent("p.yml").path)
    #expect(found.contains("4 inputs[0].profile: profile 'bad.yml' has mistakes (listed below)"))
    #expect(found.contains { $0.hasPrefix("3 analyte: 'cortisone' is not one of: cortisol") })
    #expect(found.contains("6 csv.delimiter: '|' is not one of: auto, \",\", \";\", tab"))
    #expect(found.contains("1 unit: required for shape 'wide'"))
    #expect(found.contains("1 samples: required for shape 'wide'"))
  }

  @Test("the nightly pipeline of the README loads; only its inbox is absent here")
  func nightly() throws {
    let pipeline = try PipelineLoader.load(file: Repository.path("Pipelines/nightly.yml"))
    #expect(
      pipeline.inputs.map(\.glob) == [
        "labnord-*.csv", "stmary-*.csv", "citylab-*.csv", "*.csv", "research-portal-*.json",
        "*.*json",
      ])
    #expect(pipeline.inputs[3].exclude == ["labnord-*.csv", "stmary-*.csv", "citylab-*.csv"])
    #expect(pipeline.inputs.allSatisfy { $0.name != $0.path })
    #expect(pipeline.reading.followLinks == .inside)
    #expect(pipeline.absentPaths.count == 6)
    #expect(pipeline.absentPaths.allSatisfy { $0.hasSuffix("inbox does not exist") })
    #expect(pipeline.inputOutputOverlaps().isEmpty)
    #expect(pipeline.state?.hasSuffix("state") == true)
  }
}
