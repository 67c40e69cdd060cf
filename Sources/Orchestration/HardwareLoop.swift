import CostModel
import Foundation
import MachineModel
import Planner
import Refinement
import Verifier
import Workloads

/// The closed loop on real hardware: plan, verify the picks through any runner, store each verification, refine the
/// space's scale with what was measured, plan again; until the budget of runs is spent or nothing is left in doubt.
///
/// The planning is `LoopState` (pure, in Planner); this type only drives it: it turns picks into the verifier's
/// candidates, runs them with `BatchVerifier` (which stores every verification before reporting it), and feeds the
/// verdicts back. Verifications already in the store for this machine and device are loaded first and cost no run,
/// so a loop that was stopped resumes where it was.
public final class HardwareLoop {
    public struct Configuration {
        public var space: CandidateSpace
        /// The space file, recorded as each verification's origin.
        public var spacePath: String
        public var model: PlanModel
        public var runner: any CandidateRunner
        /// True for runners that build the OpenCL library's kernels (in-process, remote); false for an external
        /// command, which receives schedules and builds its own kernels.
        public var materialize: Bool
        public var store: VerificationStore?
        public var policy: VerificationPolicy
        public var budget: Int
        /// Candidates verified per round before replanning.
        public var batch: Int
        /// Restricts the space (for example to the schedules a harness measured): a reason excludes a candidate.
        public var only: RunnerRule?
        /// The ceilings no honest kernel beats, from the machine as stated: a refinement's achieved bandwidth is
        /// below the true peak and would call a good kernel impossibly fast.
        public var limits: PhysicalLimits?

        public init(space: CandidateSpace, spacePath: String, model: PlanModel, runner: any CandidateRunner, materialize: Bool,
                    store: VerificationStore?, policy: VerificationPolicy, budget: Int, batch: Int = 1, only: RunnerRule? = nil,
                    limits: PhysicalLimits? = nil) {
            self.space = space
            self.spacePath = spacePath
            self.model = model
            self.runner = runner
            self.materialize = materialize
            self.store = store
            self.policy = policy
            self.budget = budget
            self.batch = batch
            self.only = only
            self.limits = limits
        }
    }

    /// What happened, for the caller to print.
    public enum Event {
        case started(device: DeviceDescription, scored: ScoredSpace, resumed: Int)
        /// Round 0 is the plan for the whole budget before anything runs; rounds 1... are the plans each run comes from.
        case planned(Plan, round: Int)
        case verifying(Plan.Pick, run: Int)
        case verified(LoopStep, record: VerificationRecord?)
    }

    public struct Result {
        public var device: DeviceDescription
        public var state: LoopState
        public var stopReason: String
        /// The last plan (what is still in doubt).
        public var finalPlan: Plan
        /// Verifications loaded from the store before the first run.
        public var resumed: Int
    }

    public let configuration: Configuration

    public init(_ configuration: Configuration) { self.configuration = configuration }

    /// The verifier's candidate for a space candidate (library kernels when `materialize`).
    public static func entry(_ candidate: Workloads.Candidate, index: Int, space: CandidateSpace, path: String, materialize: Bool) -> BatchEntry {
        VerifyInput.entry(
            id: "\(space.name)#\(index) \(candidate.label)", family: space.family.rawValue,
            problem: Dictionary(uniqueKeysWithValues: space.problemFields.map { ($0.key, $0.value) }),
            schedule: candidate.scheduleFields, origin: path, materialize: materialize)
    }

    /// What the runner cannot run, as a planner rule: a schedule the OpenCL library cannot build, a family the
    /// verifier has no reference for.
    public static func runnerRule(space: CandidateSpace, path: String, materialize: Bool, only: RunnerRule?) -> RunnerRule {
        { candidate in
            if let only, let reason = only(candidate) { return reason }
            let made = entry(candidate, index: 0, space: space, path: path, materialize: materialize)
            return made.rejection.map { "\($0.reason.rawValue): \($0.message)" }
        }
    }

    public func run(_ observe: (Event) -> Void) async throws(VerifierError) -> Result {
        let c = configuration
        let device = try await c.runner.describeDevice()
        let rule = Self.runnerRule(space: c.space, path: c.spacePath, materialize: c.materialize, only: c.only)
        let scored = Scorer.score(c.space, model: c.model, runnerRule: rule)
        var state = LoopState(scored: scored, model: c.model, budget: c.budget, batch: c.batch)

        // Resume: what this machine and device already said about candidates of the space.
        var resumed = 0
        if let store = c.store, scored.feasibleCount <= 20_000 {
            let records = try store.records(machine: c.model.machine.name, device: device.name)
            var latest: [String: VerificationRecord] = [:]
            for record in records where record.verdict != .notRun { latest[record.fingerprint] = record }
            if !latest.isEmpty {
                for index in scored.indices {
                    let made = Self.entry(c.space.candidate(at: index), index: index, space: c.space, path: c.spacePath, materialize: c.materialize)
                    guard let record = latest[made.candidate.fingerprint] else { continue }
                    state.preload(index: index, outcome: Self.outcome(record))
                    resumed += 1
                }
            }
        }
        observe(.started(device: device, scored: scored, resumed: resumed))

        let options = BatchOptions(machine: c.model.machine.name, limits: c.limits ?? PhysicalLimits(machine: c.model.machine), policy: c.policy,
                                   batch: "loop-\(c.space.name)-\(isoStamp())")
        // The plan for the whole budget as things stand, for people: the loop then runs it one round at a time,
        // replanning after every verdict.
        observe(.planned(Plan.make(scored, model: c.model, budget: c.budget, knowledge: state.knowledge), round: 0))
        var round = 0
        var plan = state.nextPlan()
        var stop = state.stopReason(after: plan)
        while stop == nil {
            round += 1
            observe(.planned(plan, round: round))
            for pick in plan.picks {
                observe(.verifying(pick, run: state.runsUsed + 1))
                let made = Self.entry(pick.candidate, index: pick.index, space: c.space, path: c.spacePath, materialize: c.materialize)
                // A candidate picked again after a noisy measurement is measured again, though the store holds it.
                var runOptions = options
                runOptions.force = state.steps.contains { $0.index == pick.index }
                let verifier = BatchVerifier(runner: c.runner, store: c.store, options: runOptions)
                let summary = try await verifier.run([made])
                let record = summary.records.first
                let outcome = record.map(Self.outcome) ?? .notRun(reason: "the store already holds a verdict")
                state.record(pick, outcome: outcome, plan: plan)
                observe(.verified(state.steps.last!, record: record))
            }
            plan = state.nextPlan()
            stop = state.stopReason(after: plan)
        }
        return Result(device: device, state: state, stopReason: stop!, finalPlan: plan, resumed: resumed)
    }

    static func outcome(_ record: VerificationRecord) -> LoopOutcome {
        switch record.verdict {
        case .pass:
            guard let median = record.median else { return .rejected(reason: "passed without a time") }
            return .measured(median: median, low: record.p10, high: record.p90)
        case .reject:
            return .rejected(reason: "\(record.reason?.rawValue ?? "rejected"): \(record.message)")
        case .notRun:
            return .notRun(reason: record.message)
        }
    }
}

func isoStamp() -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyyMMdd-HHmmss"
    return formatter.string(from: Date())
}
