import Foundation
import Testing
@testable import Verifier

/// The timing rules, on observations written by hand (no device needed).
@Suite struct JudgeTests {
    static let problem = Problem.copy(CopyProblem(count: 1000))
    static let candidate = Candidate(id: "copy", problem: problem, launches: [], origin: "test")

    /// Observations of an honest copy: correct outputs, consistent digests, timing as given.
    static func observations(plan: ExecutionPlan, device: [Double], host: [Double]) -> Observations {
        var checks: [CheckObservation] = []
        for check in plan.checks {
            let definition = check.problem.definition
            let inputs = definition.makeInputs(seed: check.seed, range: check.inputs)
            let output = inputs[0]
            let digest = ["Y": FNV1a.hex(output)]
            checks.append(CheckObservation(
                seed: check.seed, problem: check.problem, outputs: ["Y": FloatArray(output)],
                outputDigests: Array(repeating: digest, count: ExecutionPlan.guardFills.count),
                inputDigests: ["X": FNV1a.hex(inputs[0])], damagedGuards: []))
        }
        let timed = plan.timing!
        let last = timed.problem.definition.makeInputs(seed: timed.lastSeed, range: timed.inputs)[0]
        let checked = (timed.checked ?? []).map { index in
            CheckedRepetition(repetition: index, outputs: ["Y": FloatArray(timed.problem.definition.makeInputs(seed: timed.seeds[index], range: timed.inputs)[0])])
        }
        let timing = TimingObservation(device: device, host: host, warmup: timed.warmup, flushBytes: 1 << 20, outputs: ["Y": FloatArray(last)], checkedOutputs: checked)
        return Observations(device: DeviceDescription(id: "fake", name: "fake", vendor: "test", driver: "1", platform: "test", timerResolution: 1e-9),
                            checks: checks, timing: timing)
    }

    static let plan = VerificationPolicy(checkCount: 2, warmup: 1, repetitions: 4, flushBytes: 1 << 20).plan(for: problem, lastLevelCache: nil)

    @Test func honestObservationsPass() {
        let judge = Judge(limits: PhysicalLimits(machine: "m", memoryBandwidth: 1e12, peakRates: [:], lastLevelCache: nil))
        let result = judge.judge(Self.candidate, plan: Self.plan, observations: Self.observations(plan: Self.plan, device: [1e-5, 1.1e-5, 1e-5, 1.2e-5], host: [2e-5, 2e-5, 2e-5, 2e-5]))
        #expect(result.verdict == .pass, "\(result.message)")
        #expect(abs((result.timing?.median ?? 0) - 1.05e-5) < 1e-12)
        #expect(result.seeds == Self.plan.checks.map(\.seed) + [Self.plan.timing!.seeds[0]])
    }

    @Test func deviceLongerThanHostIsATimerFault() {
        let result = Judge(limits: nil).judge(Self.candidate, plan: Self.plan, observations: Self.observations(plan: Self.plan, device: [1e-3, 1e-3, 5e-3, 1e-3], host: [2e-3, 2e-3, 2e-3, 2e-3]))
        #expect(result.reason == .timerInconsistent)
        #expect(result.message == "repetition 3: the device reports 5 ms for launches the host saw complete in 2 ms")
    }

    @Test func shortDeviceTimeUnderALongHostWaitIsATimerFault() {
        let result = Judge(limits: nil).judge(Self.candidate, plan: Self.plan, observations: Self.observations(plan: Self.plan, device: [1e-4, 1e-4, 1e-4, 1e-4], host: [6e-3, 9e-3, 6e-3, 7e-3]))
        #expect(result.reason == .timerInconsistent)
    }

    @Test func fasterThanBandwidthAllowsIsImpossible() {
        // 8,000 bytes at 1 GB/s take at least 8 us; 1 us is impossible.
        let judge = Judge(limits: PhysicalLimits(machine: "slow-machine", memoryBandwidth: 1e9, peakRates: [:], lastLevelCache: nil))
        let result = judge.judge(Self.candidate, plan: Self.plan, observations: Self.observations(plan: Self.plan, device: [1e-6, 1e-6, 1e-6, 1e-6], host: [1e-5, 1e-5, 1e-5, 1e-5]))
        #expect(result.reason == .impossiblyFast)
        #expect(result.message == "median 1 us is below the physical lower bound 8 us of slow-machine (8 KB at 1 GB/s)")
    }

    @Test func missingRunsAreARunnerFault() {
        var observations = Self.observations(plan: Self.plan, device: [1e-5, 1e-5, 1e-5, 1e-5], host: [1e-5, 1e-5, 1e-5, 1e-5])
        observations.checks[0].outputDigests.removeLast()
        let result = Judge(limits: nil).judge(Self.candidate, plan: Self.plan, observations: observations)
        #expect(result.reason == .runnerFailed)
    }

    /// A kernel declared nondeterministic is judged on runs 2 to 4 as well, so the runner must report them.
    @Test func nondeterministicKernelWithoutLaterRunsIsARunnerFault() {
        var candidate = Self.candidate
        candidate.deterministic = false
        let result = Judge(limits: nil).judge(candidate, plan: Self.plan, observations: Self.observations(plan: Self.plan, device: [1e-5, 1e-5, 1e-5, 1e-5], host: [1e-5, 1e-5, 1e-5, 1e-5]))
        #expect(result.reason == .runnerFailed)
        #expect(result.message.hasSuffix("the runner reported 0 later runs in full for a kernel declared nondeterministic, expected 3"))
    }

    @Test func nondeterministicKernelWrongOnALaterRunIsRejectedForThatRun() {
        var candidate = Self.candidate
        candidate.deterministic = false
        var observations = Self.observations(plan: Self.plan, device: [1e-5, 1e-5, 1e-5, 1e-5], host: [1e-5, 1e-5, 1e-5, 1e-5])
        for index in observations.checks.indices {
            let run1 = observations.checks[index].outputs["Y"]!.values
            var wrong = run1
            wrong[7] += 1
            observations.checks[index].repeatOutputs = [["Y": FloatArray(run1)], ["Y": FloatArray(run1)], ["Y": FloatArray(wrong)]]
        }
        let result = Judge(limits: nil).judge(candidate, plan: Self.plan, observations: observations)
        #expect(result.reason == .wrongResult)
        #expect(result.message.hasPrefix("check 1 of 2 (1000, seed \(Self.plan.checks[0].seed), inputs in "), "\(result.message)")
        #expect(result.message.contains(" and extremes), run 4: Y relative error"), "\(result.message)")
    }

    /// Every timed repetition is read back when the host reference is cheap, else as many as the budget buys (at
    /// least 3), drawn; a runner that leaves one out failed.
    @Test func checkedRepetitionsAreDrawnAndRequired() {
        #expect(Self.plan.timing!.checked == [1, 2, 3])
        let cheap = VerificationPolicy().plan(for: Self.problem, lastLevelCache: nil)
        #expect(cheap.timing!.checked == Array(3..<27))
        // 2 · 400³ = 1.28e8 operations a repetition: 7 of the 24 fit 10⁹.
        let some = VerificationPolicy().plan(for: .gemm(GemmProblem(m: 400, n: 400, k: 400)), lastLevelCache: nil)
        #expect(some.timing!.checked!.count == 7 && Set(some.timing!.checked!).count == 7)
        #expect(some.timing!.checked!.allSatisfy { (3..<27).contains($0) })
        let costly = VerificationPolicy().plan(for: .gemm(GemmProblem(m: 1024, n: 1024, k: 1024)), lastLevelCache: nil)
        #expect(costly.timing!.checked!.count == 3)
        var observations = Self.observations(plan: Self.plan, device: [1e-5, 1e-5, 1e-5, 1e-5], host: [1e-5, 1e-5, 1e-5, 1e-5])
        observations.timing!.checkedOutputs!.removeFirst()
        let result = Judge(limits: nil).judge(Self.candidate, plan: Self.plan, observations: observations)
        #expect(result.reason == .runnerFailed)
        #expect(result.message == "timing loop: the runner reported no outputs after timed repetition 1 of 4, which the plan checks")
    }

    @Test func tolerancesByDataType() {
        let fp32 = Tolerance(problem: GemmProblem(m: 1, n: 1, k: 64))
        let fp16 = Tolerance(problem: GemmProblem(m: 1, n: 1, k: 64, dataType: .fp16))
        #expect(fp32.relativeNorm == 0x1p-24 * (4 + 64))
        #expect(fp16.relativeNorm > 100 * fp32.relativeNorm)
        #expect(Tolerance(problem: TransposeProblem(rows: 2, columns: 2)).exact)
        // NaN and infinity never pass, whatever the tolerance.
        let reference = ReferenceOutput(name: "Y", values: [1, 2], scale: [1, 2])
        #expect(!Comparison.compare([1, .nan], reference, tolerance: fp16, poison: ExecutionPlan.defaultPoison).passes(fp16))
        #expect(!Comparison.compare([1, .infinity], reference, tolerance: fp16, poison: ExecutionPlan.defaultPoison).passes(fp16))
    }

    /// The poison varies between verifications over all three kinds, and the recorded seeds give it back.
    @Test func poisonIsDrawnPerVerificationAndReplays() {
        let policy = VerificationPolicy()
        let plans = (0..<60).map { _ in policy.plan(for: Self.problem, lastLevelCache: nil) }
        let poisons = plans.map { Float(bitPattern: $0.poison) }
        #expect(poisons.contains { $0.isNaN })
        #expect(poisons.contains { $0.isFinite && abs($0) >= 0x1p60 })
        #expect(poisons.contains { $0.isFinite && abs($0) < 16 })
        #expect(Set(plans.map(\.poison)).count > 50)
        #expect(plans.allSatisfy { Float(bitPattern: $0.guardPattern).isNaN && $0.guardPattern != $0.poison })
        let replayed = policy.plan(for: Self.problem, lastLevelCache: nil, seeds: plans[0].seeds)
        #expect(replayed == plans[0])
    }

    /// Input ranges vary per check over scales and signs, the first check keeps both signs, and the recorded seeds
    /// give them back.
    @Test func inputRangesAreDrawnPerCheck() {
        let policy = VerificationPolicy()
        let plans = (0..<60).map { _ in policy.plan(for: gemm(64, 64, 64), lastLevelCache: nil) }
        let ranges = plans.flatMap { $0.checks.compactMap(\.inputs) + [$0.timing!.inputs!] }
        #expect(ranges.count == 60 * 4)
        #expect(Set(ranges.map(\.scale)).count > 5)
        #expect(ranges.contains { $0.offset > 0 } && ranges.contains { $0.offset < 0 })
        #expect(plans.allSatisfy { $0.checks[0].inputs!.offset == 0 })
        let values = gemm(64, 64, 64).definition.makeInputs(seed: 1, range: InputRange(scale: 4, offset: -4))
        #expect(values.allSatisfy { $0.allSatisfy { (-8..<0).contains($0) } })
        #expect(InputRange(scale: 4, offset: -4).text == "[-8, 0)")
        // Layernorm stays symmetric and elementwise chains within [-1, 1).
        let norm = Problem.rows(RowProblem(op: .layernorm, rows: 4, columns: 64))
        let chain = Problem.elementwise(ElementwiseProblem(count: 64, ops: [.exp, .exp]))
        for seed in UInt64(0)..<200 {
            #expect(InputRange(seed: seed, for: norm, symmetric: false).offset == 0)
            #expect(InputRange(seed: seed, for: chain, symmetric: false).scale + abs(InputRange(seed: seed, for: chain, symmetric: false).offset) <= 1)
        }
    }

    /// A finite poison that is the right value for an element counts as written; anywhere else, as unwritten.
    @Test func finitePoisonIsUnwrittenOnlyWhereItIsWrong() {
        let poison: Float = -7.5
        let reference = ReferenceOutput(name: "Y", values: [-7.5, 1], scale: [1, 1])
        let tolerance = Tolerance(problem: GemmProblem(m: 1, n: 2, k: 8))
        let comparison = Comparison.compare([poison, poison], reference, tolerance: tolerance, poison: poison.bitPattern)
        #expect(comparison.unwritten == 1)
        #expect(comparison.firstUnwritten == 1)
    }

    @Test func seedsAreFreshAndShapesRagged() {
        let plan = VerificationPolicy().plan(for: gemm(512, 256, 128), lastLevelCache: Bytes(50 << 20))
        #expect(Set(plan.checks.map(\.seed)).count == 3)
        #expect(plan.checks[0].problem == gemm(512, 256, 128) && plan.checks[2].problem == gemm(512, 256, 128))
        guard case let .gemm(ragged) = plan.checks[1].problem else { Issue.record("not a GEMM"); return }
        #expect((65...131).contains(ragged.m) && (67...133).contains(ragged.n) && (33...67).contains(ragged.k))
        #expect([ragged.m, ragged.n, ragged.k].allSatisfy { $0 % 2 == 1 })
        #expect(Set(plan.timing!.seeds).count == 28)
        #expect(plan.timing!.flushBytes == 100 << 20)
    }

    /// Planned inputs carry special values at drawn positions: zeros for arithmetic, subnormals and the largest finite
    /// values too for fp32 data movement; inputs as generated (external runners) carry none.
    @Test func specialValuesArePlacedPerSeed() {
        let chain = Problem.elementwise(ElementwiseProblem(count: 10_000, ops: [.add, .relu]))
        let range = InputRange(seed: 11, for: chain, symmetric: true)
        let inputs = chain.definition.makeInputs(seed: 11, range: range)
        #expect(inputs.allSatisfy { buffer in (100...300).contains(buffer.filter { $0 == 0 }.count) })
        #expect(inputs[0] != inputs[1])
        #expect(chain.definition.makeInputs(seed: 11, range: range) == inputs)
        #expect(chain.definition.makeInputs(seed: 11).allSatisfy { !$0.contains(0) })
        let copy = Problem.copy(CopyProblem(count: 10_000))
        let moved = copy.definition.makeInputs(seed: 11, range: InputRange(seed: 11, for: copy, symmetric: true))[0]
        #expect(moved.contains(Float.greatestFiniteMagnitude) || moved.contains(-Float.greatestFiniteMagnitude))
        #expect(moved.contains { $0.isSubnormal })
    }

    /// The bound of a 2-core guest given a 96-core server's datasheet: useless as stated, tight once the device's
    /// calibration is known (its measured figures times the headroom, never above the datasheet).
    @Test func calibrationTightensTheSpeedOfLightBound() throws {
        let server = try MachineFile.load(path: repositoryRoot.appendingPathComponent("machines/amd-epyc-9654.yaml").path)
        var guest = server
        let dram = try #require(guest.memory.lastIndex { $0.kind == .dram })
        guest.memory[dram].bandwidth = Sourced(BytesPerSecond(base: 10e9), .measured(run: "cal-guest-1"))
        let stated = PhysicalLimits(machine: server, calibration: nil, device: "pthread-guest")
        #expect(stated.memoryBandwidth == server.deviceMemory?.bandwidth?.value.base)
        #expect(stated.basis?.hasPrefix("amd-epyc-9654 as stated: pthread-guest has no calibration in the store") == true)
        let calibrated = PhysicalLimits(machine: server, calibration: (guest, "cal-guest-1"), device: "pthread-guest")
        #expect(calibrated.memoryBandwidth == 20e9)
        #expect(calibrated.peakRates == stated.peakRates, "figures the calibration did not measure stay as stated")
        #expect(calibrated.basis == "calibration cal-guest-1 of pthread-guest: measured figures x2 (memory bandwidth), at most amd-epyc-9654's")
        let copy = CopyProblem(count: 1 << 24)
        #expect(try #require(calibrated.lowerBound(copy)).seconds > 20 * (stated.lowerBound(copy)?.seconds ?? 0))
    }

    /// The ragged shape is drawn from the check's seed: a kernel cannot special-case the one shape it will see, and
    /// the recorded seed replays it.
    @Test func raggedShapesVaryPerSeedAndReplay() {
        let shapes = Set((1...40).map { gemm(4096, 4096, 4096).ragged(seed: UInt64($0)).definition.shapeText })
        #expect(shapes.count >= 30)
        #expect(gemm(4096, 4096, 4096).ragged(seed: 7) == gemm(4096, 4096, 4096).ragged(seed: 7))
        let small = Problem.elementwise(ElementwiseProblem(count: 2, ops: [.relu]))
        #expect(small.ragged(seed: 3) == small)
    }
}

import MachineModel
