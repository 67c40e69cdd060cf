import CostModel
import Foundation
import Refinement
import Testing
import Workloads
@testable import Planner

@Suite struct SelectionTests {
    @Test func reasonsFillTheBudgetInOrder() {
        #expect(Plan.reasons(budget: 1) == [.bestPredicted])
        #expect(Plan.reasons(budget: 2) == [.bestPredicted, .couldBeatBest])
        #expect(Plan.reasons(budget: 3) == [.bestPredicted, .couldBeatBest, .widestUncertainty])
        #expect(Plan.reasons(budget: 5) == [.bestPredicted, .couldBeatBest, .widestUncertainty, .unexplored, .couldBeatBest])
    }

    @Test func picksAreDistinctInDoubtAndTheFirstIsTheBestPredicted() throws {
        let space = try CandidateFile.load(path: repositoryPath("plans/examples/gemm-fp16-4096.yaml"))
        let model = PlanModel(machine: try machine("h100-sxm"))
        let scored = Scorer.score(space, model: model)
        let plan = Plan.make(scored, model: model, budget: 5)
        #expect(plan.picks.count == 5)
        #expect(plan.picks.map(\.reason) == Plan.reasons(budget: 5))
        #expect(Set(plan.picks.map(\.index)).count == 5)
        let best = scored.fastest!
        #expect(plan.picks[0].index == scored.indices[best])
        for pick in plan.picks {
            #expect(pick.optimistic <= plan.threshold)
            #expect(!pick.words.isEmpty)
            #expect(pick.words.hasPrefix(pick.reason == .unexplored ? "unexplored" : pick.reason.rawValue))
        }
    }

    @Test func measuredAndRejectedCandidatesAreNeverPickedAgain() throws {
        let space = try CandidateFile.load(path: repositoryPath("plans/examples/gemm-fp16-4096.yaml"))
        let model = PlanModel(machine: try machine("h100-sxm"))
        let scored = Scorer.score(space, model: model)
        let first = Plan.make(scored, model: model, budget: 3)
        var knowledge = SpaceKnowledge()
        knowledge.measured[first.picks[0].index] = .init(median: first.picks[0].time)
        knowledge.rejected[first.picks[1].index] = "wrong_result"
        let second = Plan.make(scored, model: model, budget: 3, knowledge: knowledge)
        #expect(!second.picks.contains { $0.index == first.picks[0].index || $0.index == first.picks[1].index })
        #expect(second.measuredCount == 1)
        #expect(second.rejectedCount == 1)
        #expect(second.picks.first?.words.hasPrefix("best predicted of those not yet measured") == true)
    }

    @Test func aBudgetLargerThanTheDoubtPicksEverythingInDoubt() throws {
        let space = try CandidateFile.load(path: repositoryPath("plans/examples/softmax-fp16.yaml"))
        let model = PlanModel(machine: try machine("h100-sxm"))
        let scored = Scorer.score(space, model: model)
        let plan = Plan.make(scored, model: model, budget: 1000)
        #expect(plan.picks.count == plan.inDoubt)
    }
}
