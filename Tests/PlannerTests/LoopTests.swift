import CostModel
import Foundation
import Refinement
import Testing
import Workloads
@testable import Planner

@Suite struct LoopTests {
    /// A scripted device: every candidate takes its prediction times a fixed factor, one schedule fails.
    @Test func theLoopSpendsItsBudgetAndKeepsTheBest() throws {
        let space = try CandidateFile.load(path: repositoryPath("plans/examples/gemm-fp16-4096.yaml"))
        let model = PlanModel(machine: try machine("h100-sxm"))
        let scored = Scorer.score(space, model: model)
        var state = LoopState(scored: scored, model: model, budget: 4)
        var rejectedOnce = false
        while true {
            let plan = state.nextPlan()
            if state.stopReason(after: plan) != nil { break }
            for pick in plan.picks {
                if !rejectedOnce {
                    rejectedOnce = true
                    state.record(pick, outcome: .rejected(reason: "wrong_result: scripted"), plan: plan)
                } else {
                    state.record(pick, outcome: .measured(median: pick.time * 1.3, low: nil, high: nil), plan: plan)
                }
            }
        }
        #expect(state.runsUsed == 4)
        #expect(state.knowledge.rejected.count == 1)
        #expect(state.knowledge.measured.count == 3)
        #expect(state.curve.first! == nil)
        let bests = state.curve.compactMap { $0 }
        #expect(bests == bests.sorted(by: >))
        #expect(Set(state.steps.map(\.index)).count == 4)
        // After the first measurement, predictions are on the measured scale (x1.3).
        #expect(abs(state.steps[2].predicted / scored.times[scored.position(of: state.steps[2].index)!] - 1.3) < 1e-9)
    }

    /// Runs spread wider than the noise bound are measured again, and a noisy result never anchors the scale.
    @Test func noisyMeasurementsAreMeasuredAgainAndAnchorNothing() throws {
        let space = try CandidateFile.load(path: repositoryPath("plans/examples/gemm-fp16-4096.yaml"))
        let model = PlanModel(machine: try machine("h100-sxm"))
        let scored = Scorer.score(space, model: model)
        var state = LoopState(scored: scored, model: model, budget: 10)
        let plan = state.nextPlan()
        let pick = plan.picks[0]
        let noisy = LoopOutcome.measured(median: pick.time * 3, low: pick.time * 2, high: pick.time * 4)
        state.record(pick, outcome: noisy, plan: plan)
        #expect(state.knowledge.measured.isEmpty)
        let again = state.nextPlan()
        #expect(again.picks[0].index == pick.index)
        state.record(again.picks[0], outcome: noisy, plan: again)
        #expect(state.knowledge.measured[pick.index]?.isNoisy == true)
        // Kept, but the scale stays the model's and nothing is ruled out by it.
        let after = state.nextPlan()
        #expect(after.anchor.count == 0)
        #expect(after.picks[0].index != pick.index)
        #expect(state.runsUsed == 2)
    }

    @Test func theLoopStopsWhenNothingIsLeftInDoubt() throws {
        let space = try CandidateFile.load(path: repositoryPath("plans/examples/gemm-fp16-4096.yaml"))
        let model = PlanModel(machine: try machine("h100-sxm"))
        let scored = Scorer.score(space, model: model)
        var state = LoopState(scored: scored, model: model, budget: 50)
        // The device is ten times faster than predicted for the first pick only: it beats everything else at once.
        let plan = state.nextPlan()
        state.record(plan.picks[0], outcome: .measured(median: plan.picks[0].time / 10, low: nil, high: nil), plan: plan)
        // Anchoring moves every prediction by the same factor, so the rest stays in doubt ...
        let next = state.nextPlan()
        #expect(next.anchor.count == 1)
        // ... but measuring each remaining candidate at its prediction ends the loop before the budget.
        var guardRuns = 0
        var current = next
        while state.stopReason(after: current) == nil && guardRuns < 60 {
            for pick in current.picks { state.record(pick, outcome: .measured(median: pick.time * 1.05, low: nil, high: nil), plan: current) }
            current = state.nextPlan()
            guardRuns += 1
        }
        #expect(state.stopReason(after: current) != nil)
    }

    @Test func replayOnTheHoldoutGemmSpacesReachesTheBestWithinFiveRuns() throws {
        let measurements = try h100Measurements.get()
        let model = PlanModel(machine: try machine("h100-sxm"))
        let results = measurements.spaces.filter { $0.family == .gemm && $0.split == .holdout }.compactMap { Replay.run($0, model: model, budget: 5) }
        #expect(results.count == 5)
        for r in results {
            #expect(r.steps.count <= 5)
            #expect(r.timed == 60)
            // Never better than the exhaustive best: the replay answers with recorded times only.
            #expect((r.finalRegret ?? 1) >= 0)
        }
    }
}
