import Foundation

/// What a runner is asked to do for one candidate: run the plan, judge against the limits.
public struct RunRequest: Hashable, Sendable, Codable {
    public var candidate: Candidate
    public var plan: ExecutionPlan
    public var limits: PhysicalLimits?

    public init(candidate: Candidate, plan: ExecutionPlan, limits: PhysicalLimits?) {
        self.candidate = candidate
        self.plan = plan
        self.limits = limits
    }

    /// Why a runner must not start the request, if it must not: a plan or problem from the wire is bounded here as files are
    /// where they are read (a request with no timing seeds, or a problem of 10^15 elements, would otherwise fail
    /// inside the executor).
    public func validate() throws(VerifierError) {
        func refuse(_ what: String) -> VerifierError { VerifierError(.format, "the run request's \(what)") }
        guard (1...64).contains(plan.checks.count) else { throw refuse("plan has \(plan.checks.count) checks; expected 1 to 64") }
        guard (0...(64 << 20)).contains(plan.guardBytes) else { throw refuse("guard zone of \(plan.guardBytes) bytes; expected 0 to 64 MiB") }
        if let timing = plan.timing {
            guard (1...10_000).contains(timing.seeds.count) else { throw refuse("timing has \(timing.seeds.count) seeds; expected 1 to 10000") }
            guard (0..<timing.seeds.count).contains(timing.warmup) else { throw refuse("timing warms up \(timing.warmup) times of \(timing.seeds.count)") }
            guard (0...(4 << 30)).contains(timing.flushBytes) else { throw refuse("cache flush of \(timing.flushBytes) bytes; expected 0 to 4 GiB") }
            guard (timing.checked ?? []).allSatisfy({ (0..<timing.seeds.count).contains($0) }) else { throw refuse("timing checks a repetition it does not run") }
        }
        // Rule: a problem's buffers fit what a device could hold: at most 2^32 elements in all, none negative.
        for problem in plan.checks.map(\.problem) + (plan.timing.map { [$0.problem] } ?? []) + [candidate.problem] {
            let counts = problem.definition.buffers.map(\.count)
            guard counts.allSatisfy({ $0 >= 0 }), counts.reduce(0, { $0 + min($1, 1 << 40) }) <= 1 << 32 else {
                throw refuse("problem \(problem.definition.shapeText) has buffers of \(counts) elements; expected at most 2^32 in all")
            }
        }
    }
}

/// What came back: the device that ran it and the verdict.
public struct RunOutcome: Hashable, Sendable, Codable {
    public var device: DeviceDescription
    public var judgement: Judgement
    /// Seconds the runner spent on this candidate, building and checking included.
    public var elapsed: Double

    public init(device: DeviceDescription, judgement: Judgement, elapsed: Double) {
        self.device = device
        self.judgement = judgement
        self.elapsed = elapsed
    }
}

/// Runs candidates somewhere: in this process, in an external command, or on a remote `kernelcast runner serve`.
///
/// Errors thrown mean the runner itself failed (unreachable, timed out, died): the candidate was not run. A
/// candidate's own faults (does not build, wrong results) are verdicts inside the outcome.
public protocol CandidateRunner: AnyObject, Sendable {
    /// How the runner is named in output and in the store: `in-process`, `http://10.0.0.5:8765`, `command: ...`.
    var name: String { get }
    /// The device candidates will run on (asked once, before the batch, to find what is already verified).
    func describeDevice() async throws(VerifierError) -> DeviceDescription
    func run(_ request: RunRequest) async throws(VerifierError) -> RunOutcome
    /// True when the runner stores each verification it runs itself (the queue's workers do, in the transaction
    /// that completes the job): the batch then stores only what never reached it.
    var recordsVerifications: Bool { get }
}

extension CandidateRunner {
    public var recordsVerifications: Bool { false }
}
