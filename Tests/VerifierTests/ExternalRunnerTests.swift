import Foundation
import Testing
@testable import Verifier

extension DeviceSuites {
    /// The external-command protocol, spoken by `kernelcast runner exec` (what `verify --isolate` runs) and by a
    /// Python harness written from docs/verifier.md alone.
    @Suite(.serialized) struct ExternalRunnerTests {
        @Test func isolatedRunnerJudgesLikeInProcess() async throws {
            let runner = try ExternalCommandRunner(command: [kernelcastExecutable(), "runner", "exec", "--device", "opencl:0"], timeout: 120)
            let device = try await runner.describeDevice()
            #expect(device.id == "opencl:0:0")
            for (file, expected) in [("honest_naive_sgemm.yaml", nil), ("reads_out_of_bounds.yaml", Reason.outOfBoundsRead), ("first_call_only.yaml", .staleResult)] {
                let candidate = try SourceCandidateFile.load(path: cheaterFolder.appendingPathComponent(file).path)
                let plan = VerificationPolicy.quick.plan(for: candidate.problem, lastLevelCache: nil)
                let outcome = try await runner.run(RunRequest(candidate: candidate, plan: plan, limits: TestDevice.generousLimits))
                #expect(outcome.judgement.verdict == (expected == nil ? .pass : .reject), "\(file): \(outcome.judgement.message)")
                #expect(outcome.judgement.reason == expected, "\(file): \(outcome.judgement.message)")
            }
        }

        @Test func aCommandThatFailsLeavesTheCandidateNotRun() async throws {
            let runner = try ExternalCommandRunner(command: ["sh", "-c", "read line; case \"$line\" in *describe*) echo '{\"id\":\"x\",\"name\":\"x\",\"vendor\":\"x\",\"driver\":\"1\",\"platform\":\"sh\"}';; *) exit 7;; esac"], timeout: 30)
            let candidate = try library(gemm(16, 16, 16), "block_m=16 block_n=16 block_k=8 warps=1")
            let outcome = try await runner.run(RunRequest(candidate: candidate, plan: VerificationPolicy.quick.plan(for: candidate.problem, lastLevelCache: nil), limits: nil))
            #expect(outcome.judgement.verdict == .notRun)
            #expect(outcome.judgement.reason == .runnerFailed)
            #expect(outcome.judgement.message.contains("exited with status 7"))
        }

        @Test func impossiblyFastOnTheRealDevice() throws {
            // An honest copy, judged against a machine whose memory moves 1 kB/s: its time is physically impossible.
            let candidate = try library(.copy(CopyProblem(count: 4096)), "warps=2 block_elements=1024")
            let slow = PhysicalLimits(machine: "one-kilobyte-per-second", memoryBandwidth: 1e3, peakRates: [:], lastLevelCache: nil)
            let outcome = TestDevice.verify(candidate, limits: slow)
            #expect(outcome.judgement.reason == .impossiblyFast, "\(outcome.judgement.message)")
            #expect(outcome.judgement.message.contains("below the physical lower bound 32.77 s of one-kilobyte-per-second"))
        }
    }
}

extension DeviceSuites.ExternalRunnerTests {
    static let numpyRunner = repositoryRoot.appendingPathComponent("calibration/verifier/numpy_runner.py").path

    static func scheduleOnly(_ problem: Problem) -> Candidate {
        Candidate(id: "numpy \(problem.definition.shapeText)", problem: problem, launches: [], origin: "test")
    }

    /// A harness in another language, written from the protocol's documentation, reproduces the inputs, digests and
    /// encodings exactly: its honest results pass, and its cheat is caught.
    @Test func pythonHarnessSpeaksTheProtocol() async throws {
        let problems: [Problem] = [
            .gemm(GemmProblem(m: 24, n: 20, k: 16, batch: 2, epilogue: .biasGelu)),
            .elementwise(ElementwiseProblem(count: 300, ops: ElementwiseOp.defaultChain(ops: 4, extraInputs: 2))),
            .rows(RowProblem(op: .layernorm, rows: 6, columns: 40)),
            .transpose(TransposeProblem(rows: 12, columns: 10)),
        ]
        let honest = try ExternalCommandRunner(command: ["python3", Self.numpyRunner], timeout: 120)
        #expect(try await honest.describeDevice().id == "numpy:0")
        for problem in problems {
            let candidate = Self.scheduleOnly(problem)
            let plan = VerificationPolicy(checkCount: 2, warmup: 1, repetitions: 2).plan(for: problem, lastLevelCache: nil)
            let outcome = try await honest.run(RunRequest(candidate: candidate, plan: plan, limits: TestDevice.generousLimits))
            #expect(outcome.judgement.verdict == .pass, "\(candidate.id): \(outcome.judgement.reason?.rawValue ?? "") \(outcome.judgement.message)")
        }
        let cheat = try ExternalCommandRunner(command: ["python3", Self.numpyRunner, "--cheat", "skip-last-row"], timeout: 120)
        let candidate = Self.scheduleOnly(problems[0])
        let plan = VerificationPolicy(checkCount: 2, warmup: 1, repetitions: 2).plan(for: candidate.problem, lastLevelCache: nil)
        let outcome = try await cheat.run(RunRequest(candidate: candidate, plan: plan, limits: TestDevice.generousLimits))
        #expect(outcome.judgement.reason == .unwrittenOutput, "\(outcome.judgement.message)")
    }

    /// A busy host makes an honest kernel look like a lying clock: the candidate is run again and passes once the
    /// host is calm, saying so; a host busy on every run (as a clock that lies would be) is rejected, for every run.
    @Test func aTimerVerdictIsRunAgainAndStandsOnlyWhenEveryRunGivesIt() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kc-busy-host-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let problem = Problem.elementwise(ElementwiseProblem(count: 300, ops: ElementwiseOp.defaultChain(ops: 2, extraInputs: 1)))
        let plan = VerificationPolicy(checkCount: 1, warmup: 1, repetitions: 2).plan(for: problem, lastLevelCache: nil)
        let request = RunRequest(candidate: Self.scheduleOnly(problem), plan: plan, limits: TestDevice.generousLimits)
        let once = folder.appendingPathComponent("disturbed").path
        let calm = try await ExternalCommandRunner(command: ["python3", Self.numpyRunner, "--busy-host", once], timeout: 120).run(request).judgement
        #expect(calm.verdict == .pass && calm.message.contains("before, the device timer disagreed with the host's clock)"), "\(calm.message)")
        let busy = try await ExternalCommandRunner(command: ["python3", Self.numpyRunner, "--busy-host", "always"], timeout: 120).run(request).judgement
        #expect(busy.reason == .timerInconsistent && busy.message.hasSuffix("(in each of \(Judgement.timerRuns) runs)"), "\(busy.message)")
    }
}

/// Candidates that take their process down, isolated in kernelcast's own child: each costs its own verdict.
extension DeviceSuites.ExternalRunnerTests {
    @Test func aCrashOrAHangIsTheCandidatesVerdictAndTheNextCandidateRuns() async throws {
        let runner = try ExternalCommandRunner(command: [kernelcastExecutable(), "runner", "exec", "--device", "opencl:0"], timeout: 20, isolating: true)
        for file in ["crashes.yaml", "hangs.yaml", "honest_naive_sgemm.yaml"] {
            let candidate = try SourceCandidateFile.load(path: cheaterFolder.appendingPathComponent(file).path)
            let plan = VerificationPolicy.quick.plan(for: candidate.problem, lastLevelCache: nil)
            let outcome = try await runner.run(RunRequest(candidate: candidate, plan: plan, limits: TestDevice.generousLimits))
            if file == "honest_naive_sgemm.yaml" {
                #expect(outcome.judgement.verdict == .pass, "\(file): \(outcome.judgement.message)")
            } else {
                #expect(outcome.judgement.verdict == .reject, "\(file): \(outcome.judgement.message)")
                #expect(outcome.judgement.reason == .crashed, "\(file): \(outcome.judgement.message)")
            }
        }
    }
}

extension DeviceSuites.RemoteRunnerTests {
    /// The runner isolates candidates by default: a crashing kernel is a verdict, and the runner answers the next.
    @Test func aCrashingKernelDoesNotTakeTheRunnerDown() async throws {
        let server = try RunnerServer(token: Self.token)
        defer { server.kill() }
        let runner = try RemoteRunner(url: server.url, token: Self.token, retries: 0)
        let candidate = try SourceCandidateFile.load(path: cheaterFolder.appendingPathComponent("crashes.yaml").path)
        let plan = VerificationPolicy.quick.plan(for: candidate.problem, lastLevelCache: nil)
        let outcome = try await runner.run(RunRequest(candidate: candidate, plan: plan, limits: TestDevice.generousLimits))
        #expect(outcome.judgement.reason == .crashed, "\(outcome.judgement.message)")
        #expect(try await runner.describeDevice().id == "opencl:0:0")
    }
}
