import Devices
import Foundation
import Testing
@testable import Verifier

/// The PoCL device, opened once from one thread (PoCL 3.1 crashes when its first calls arrive concurrently); every
/// suite that touches it nests under `DeviceSuites`, which runs serially.
enum TestDevice {
    static let runner: InProcessRunner = {
        do {
            return try InProcessRunner(selector: ProcessInfo.processInfo.environment["KERNELCAST_TEST_DEVICE"] ?? "opencl:0")
        } catch {
            fatalError("the verifier tests need an OpenCL device (PoCL): \(error)")
        }
    }()

    /// Ceilings far above any CPU: nothing honest is rejected as impossibly fast.
    static let generousLimits = PhysicalLimits(machine: "test-ceiling", memoryBandwidth: 1e15, peakRates: [.fp32: 1e18], lastLevelCache: 32 << 20)

    /// Verifies on PoCL with fresh seeds; `poison` replaces the poison drawn from them, `earlierOutputFill` the plan's. PoCL's device shares the
    /// host's cores: while other work runs (a build, another test process), the host can wait far longer than the
    /// kernel ran and the timer check says so. The runner runs such a candidate again (`Judgement.timerRuns`); a
    /// test machine under a parallel suite can stay busy through those runs, so the test asks a few times more.
    static func verify(_ candidate: Candidate, policy: VerificationPolicy = .quick, limits: PhysicalLimits? = generousLimits, poison: UInt32? = nil,
                       earlierOutputFill: Bool? = nil) -> RunOutcome {
        var plan = policy.plan(for: candidate.problem, lastLevelCache: nil)
        if let poison { plan.poison = poison }
        if let earlierOutputFill { plan.earlierOutputFill = earlierOutputFill }
        var outcome = runner.runSynchronously(RunRequest(candidate: candidate, plan: plan, limits: limits))
        for _ in 0..<4 where outcome.judgement.reason == .timerInconsistent {
            outcome = runner.runSynchronously(RunRequest(candidate: candidate, plan: plan, limits: limits))
        }
        return outcome
    }
}

func gemm(_ m: Int, _ n: Int, _ k: Int) -> Problem { .gemm(GemmProblem(m: m, n: n, k: k)) }

/// A library candidate from schedule keys written as `"block_m=64 block_n=64 ..."`.
func library(_ problem: Problem, _ keys: String) throws -> Candidate {
    var schedule: [String: String] = [:]
    for pair in keys.split(separator: " ") {
        let parts = pair.split(separator: "=", maxSplits: 1)
        schedule[String(parts[0])] = String(parts[1])
    }
    return try LibraryCandidates.make(id: "\(problem.family) \(keys)", problem: problem, schedule: schedule)
}
