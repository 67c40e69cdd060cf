import CostModel
import Foundation
import MachineModel
import Refinement
import Workloads

/// What the verifier said about one candidate the loop sent.
public enum LoopOutcome: Hashable, Sendable {
    /// Passed every check; the median and spread of its timed runs, seconds.
    case measured(median: Double, low: Double?, high: Double?)
    /// Rejected (wrong results, does not build): never sent again.
    case rejected(reason: String)
    /// The runner failed before judging it: it costs a run but teaches nothing; it may be sent again.
    case notRun(reason: String)
}

/// One hardware run of the loop.
public struct LoopStep: Sendable {
    /// 1-based run count.
    public var run: Int
    public var index: Int
    public var candidate: Candidate
    /// Why it was chosen, and the plan's prediction for it then.
    public var reason: Plan.Reason
    public var words: String
    public var predicted: Double
    public var outcome: LoopOutcome
    /// The best measured time after this run (nil while nothing passed).
    public var bestSoFar: Double?
    /// Candidates still in doubt when it was chosen.
    public var inDoubtBefore: Int
}

/// The closed loop as a state machine, with no I/O: `nextPlan()` says what to run, `record` takes what hardware
/// said, and each record refines the space's scale and local corrections before the next plan. A driver (the
/// `kernelcast loop` command with a real runner, or a replay of recorded measurements) runs it.
public struct LoopState: Sendable {
    public let scored: ScoredSpace
    public let model: PlanModel
    /// Hardware runs allowed.
    public let budget: Int
    /// Candidates chosen per round (1: replan after every run).
    public let batch: Int
    public private(set) var knowledge = SpaceKnowledge()
    public private(set) var steps: [LoopStep] = []
    /// Candidates whose runner failed, with how often: sent again at most once.
    private var failures: [Int: Int] = [:]
    /// Candidates measured too noisily once (`SpaceKnowledge.Measured.isNoisy`): measured again before anything is
    /// kept; a second noisy result is kept, flagged, and trusted for nothing but itself.
    private var noisy: Set<Int> = []

    public init(scored: ScoredSpace, model: PlanModel, budget: Int, batch: Int = 1) {
        self.scored = scored
        self.model = model
        self.budget = budget
        self.batch = max(1, batch)
    }

    public var runsUsed: Int { steps.count }

    /// The plan for the next round, over what is known now.
    public func nextPlan(topCount: Int = 10) -> Plan {
        var known = knowledge
        // A candidate whose runner failed twice is set aside like a rejection.
        for (index, count) in failures where count >= 2 { known.rejected[index] = known.rejected[index] ?? "runner failed twice" }
        return Plan.make(scored, model: model, budget: min(batch, budget - runsUsed), knowledge: known, topCount: topCount)
    }

    /// Why the loop is over, or nil while it goes on.
    public func stopReason(after plan: Plan) -> String? {
        if runsUsed >= budget { return "budget of \(budget) run(s) spent" }
        if plan.picks.isEmpty {
            return plan.inDoubt == 0 ? "nothing left in doubt" : "no candidate left to run"
        }
        return nil
    }

    /// Adds what the store already knew about a candidate before the loop started (no run is spent).
    public mutating func preload(index: Int, outcome: LoopOutcome) {
        switch outcome {
        case let .measured(median, low, high): knowledge.measured[index] = .init(median: median, low: low, high: high)
        case let .rejected(reason): knowledge.rejected[index] = reason
        case .notRun: break
        }
        preloaded += 1
    }

    /// Candidates known before the first run.
    public private(set) var preloaded = 0

    /// Records what hardware said about a pick of `plan`.
    public mutating func record(_ pick: Plan.Pick, outcome: LoopOutcome, plan: Plan) {
        switch outcome {
        case let .measured(median, low, high):
            let measured = SpaceKnowledge.Measured(median: median, low: low, high: high)
            // Rule: a first noisy measurement is measured again (it costs a run) rather than believed.
            if measured.isNoisy, noisy.insert(pick.index).inserted { break }
            knowledge.measured[pick.index] = measured
        case let .rejected(reason):
            knowledge.rejected[pick.index] = reason
        case .notRun:
            failures[pick.index, default: 0] += 1
        }
        steps.append(LoopStep(
            run: steps.count + 1, index: pick.index, candidate: pick.candidate, reason: pick.reason, words: pick.words,
            predicted: pick.time, outcome: outcome, bestSoFar: bestMeasured?.time, inDoubtBefore: plan.inDoubt))
    }

    /// The fastest candidate measured so far.
    public var bestMeasured: (index: Int, time: Double)? {
        knowledge.measured.min { $0.value.median < $1.value.median || ($0.value.median == $1.value.median && $0.key < $1.key) }
            .map { ($0.key, $0.value.median) }
    }

    /// Best measured time after each run (nil until something passed).
    public var curve: [Double?] { steps.map(\.bestSoFar) }
}
