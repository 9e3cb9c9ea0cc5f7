import Foundation
import Testing

@testable import NeuroEndoKit

@Suite("One plan per run: each mode a case, decided once")
struct RunPlanTests {
  @Test("the sample pipeline's plans: whole, shard, partitions asked or needed, a night")
  func plans() throws {
    var pipeline = try PipelineLoader.load(file: Repository.path("Pipelines/sample.yml"))
    #expect(PipelineRunner(pipeline: pipeline).plan() == RunPlan(.whole))
    #expect(
      PipelineRunner(pipeline: pipeline).plan(auditOnly: true) == RunPlan(.whole, auditOnly: true))
    let shard = try #require(Shard(index: 2, count: 4))
    #expect(PipelineRunner(pipeline: pipeline, shard: shard).plan() == RunPlan(.shard(shard)))
    #expect(
      PipelineRunner(pipeline: pipeline, partitions: 4).plan()
        == RunPlan(.partitions(count: 4)))
    // More input bytes than partition_samples samples could take: partitions as needed.
    pipeline.partitionSamples = 10
    #expect(PipelineRunner(pipeline: pipeline).plan() == RunPlan(.partitions(count: nil)))
    pipeline.partitionSamples = 0
    #expect(PipelineRunner(pipeline: pipeline).plan() == RunPlan(.whole))
    pipeline.state = "/tmp/state"
    #expect(
      PipelineRunner(pipeline: pipeline).plan(rebuild: true)
        == RunPlan(.incremental(rebuild: true)))
  }

  @Test("shards and partitions keep no state: refused with a reason; a night is not")
  func refusals() throws {
    let shard = try #require(Shard(index: 1, count: 2))
    #expect(
      RunPlan(.shard(shard)).refusal(keepsState: true)?.description.hasPrefix(
        "a shard run (--shard) keeps no state") == true)
    #expect(
      RunPlan(.partitions(count: 3)).refusal(keepsState: true)?.description.hasPrefix(
        "a run in partitions (--partitions) keeps no state") == true)
    #expect(RunPlan(.shard(shard)).refusal(keepsState: false) == nil)
    #expect(RunPlan(.incremental(rebuild: false)).refusal(keepsState: true) == nil)
    #expect(RunPlan(.partitions(count: nil)).refusal(keepsState: true) == nil)
    // A shard cannot compare its subjects with the whole cohort; its audit analyses nothing.
    #expect(
      RunPlan(.shard(shard)).refusal(keepsState: false, comparesCohort: true)?.description
        .contains("flattened_slope.cohort") == true)
    #expect(
      RunPlan(.shard(shard), auditOnly: true).refusal(keepsState: false, comparesCohort: true)
        == nil)
    #expect(
      RunPlan(.partitions(count: 4)).refusal(keepsState: false, comparesCohort: true) == nil)
  }
}
