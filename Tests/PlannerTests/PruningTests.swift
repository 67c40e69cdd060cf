import CostModel
import Foundation
import Refinement
import Testing
import Workloads
@testable import Planner

@Suite struct PruningTests {
    static func gemmSpace() throws -> CandidateSpace {
        try CandidateFile.load(path: repositoryPath("plans/examples/gemm-fp16-4096.yaml"))
    }

    @Test func thresholdIsTheLowestPessimisticBoundAndRuledOutAreAboveIt() throws {
        let model = PlanModel(machine: try machine("h100-sxm"))
        let scored = Scorer.score(try Self.gemmSpace(), model: model)
        let plan = Plan.make(scored, model: model, budget: 5)
        var lowest = Double.infinity
        var ruled = 0
        for i in 0..<scored.feasibleCount {
            let interval = plan.intervals.interval(time: plan.times[i], bottleneck: scored.bottlenecks[i])
            lowest = min(lowest, interval.pessimistic)
        }
        for i in 0..<scored.feasibleCount {
            let interval = plan.intervals.interval(time: plan.times[i], bottleneck: scored.bottlenecks[i])
            if interval.optimistic > lowest { ruled += 1 }
        }
        #expect(plan.threshold == lowest)
        #expect(plan.ruledOut == ruled)
        #expect(plan.ruledOut + plan.inDoubt == scored.feasibleCount)
        #expect(plan.ruledOut > 0)
    }

    /// Soundness: whatever true times the intervals allow, the true best is never among the ruled out.
    @Test(arguments: [0, 1, 3])
    func theTrueBestIsNeverRuledOut(measuredCount: Int) throws {
        let model = PlanModel(machine: try machine("h100-sxm"))
        let scored = Scorer.score(try Self.gemmSpace(), model: model)
        var generator = SplitMix(seed: UInt64(17 + measuredCount))
        // Some candidates measured (inside their intervals), which anchors the space and tightens the bands.
        var knowledge = SpaceKnowledge()
        let first = Plan.make(scored, model: model, budget: measuredCount)
        for pick in first.picks.prefix(measuredCount) {
            knowledge.measured[pick.index] = .init(median: pick.time * (0.8 + 0.4 * generator.unit()))
        }
        let plan = Plan.make(scored, model: model, budget: 5, knowledge: knowledge)
        let ruledOut = (0..<scored.feasibleCount).filter { i in
            knowledge.measured[scored.indices[i]] == nil
                && plan.intervals.interval(time: plan.times[i], bottleneck: scored.bottlenecks[i]).optimistic > plan.threshold
        }
        #expect(ruledOut.count == plan.ruledOut)
        let ruled = Set(ruledOut)
        for _ in 0..<200 {
            var bestTime = Double.infinity
            var bestPosition = -1
            for i in 0..<scored.feasibleCount {
                let truth: Double
                if let m = knowledge.measured[scored.indices[i]] {
                    let interval = m.interval
                    truth = interval.optimistic + (interval.pessimistic - interval.optimistic) * generator.unit()
                } else {
                    let interval = plan.intervals.interval(time: plan.times[i], bottleneck: scored.bottlenecks[i])
                    truth = interval.optimistic + (interval.pessimistic - interval.optimistic) * generator.unit()
                }
                if truth < bestTime { bestTime = truth; bestPosition = i }
            }
            #expect(!ruled.contains(bestPosition))
        }
    }

    @Test func aMeasuredIncumbentSetsTheThresholdAndNarrowsTheDoubt() throws {
        let model = PlanModel(machine: try machine("h100-sxm"))
        let scored = Scorer.score(try Self.gemmSpace(), model: model)
        let best = scored.fastest!
        let before = Plan.make(scored, model: model, budget: 5)
        // Measured exactly as predicted: the scale stays, the band narrows to the within-space band, and the
        // measurement's own spread (+-1%) is the lowest pessimistic bound.
        let knowledge = SpaceKnowledge(measured: [scored.indices[best]: .init(median: scored.times[best])])
        let plan = Plan.make(scored, model: model, budget: 5, knowledge: knowledge)
        #expect(plan.thresholdMeasured)
        #expect(plan.thresholdIndex == scored.indices[best])
        #expect(abs(plan.threshold - scored.times[best] * 1.01) < 1e-15)
        #expect(plan.inDoubt < before.inDoubt)
        #expect(plan.anchor.count == 1)
        #expect(abs(plan.anchor.offset) < 1e-12)
    }

    @Test func searchStrategiesVisitWhatTheySay() throws {
        let space = try Self.gemmSpace()
        let model = PlanModel(machine: try machine("h100-sxm"))
        var random = RandomSearch(count: space.count, samples: 100, seed: 3)
        let sampled = Scorer.score(space, model: model, strategy: &random)
        #expect(sampled.visited == 100)
        #expect(Set(sampled.indices).count == sampled.indices.count)
        #expect(sampled.skippedCount == space.count - 100)

        var neighbourhood = NeighbourhoodSearch(space: space, samples: 200, start: 40, seed: 3)
        let climbed = Scorer.score(space, model: model, strategy: &neighbourhood)
        #expect(climbed.visited <= 200)
        let exhaustive = Scorer.score(space, model: model)
        let bestTime = exhaustive.times[exhaustive.fastest!]
        // Hill climbing from 40 random starts finds a candidate within 5% of the exhaustive best on this space.
        #expect(climbed.times[climbed.fastest!] <= bestTime * 1.05)
    }

    @Test func randomPrunedSkipsValuesARuleRejected() throws {
        let text = """
            version: 1
            name: pruned
            family: gemm
            problem: {m: 1024, n: 1024, k: 1024, dtype: fp16}
            schedule: {block_m: [48, 64, 128], block_n: [64, 128], block_k: [32, 64], warps: [4, 8], stages: [2, 3]}
            """
        let space = try CandidateFile.parse(text, file: "pruned.yaml")
        let model = PlanModel(machine: try machine("h100-sxm"))
        var strategy = RandomPrunedSearch(space: space, samples: space.count, seed: 5)
        let scored = Scorer.score(space, model: model, strategy: &strategy)
        let skipped = scored.skipped.first { $0.reason.contains("block_m 48") }
        #expect(skipped != nil)
        #expect(scored.visited + scored.skippedCount == space.count)
        #expect(scored.feasibleCount == Scorer.score(space, model: model).feasibleCount)
    }
}

/// A small deterministic generator for property tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
