import Foundation
import MachineModel

/// The verdict on one candidate, with what each check found and the timing statistics.
public struct Judgement: Hashable, Sendable, Codable {
    public var verdict: Verdict
    public var reason: Reason?
    /// One sentence: what failed, where, by how much; or, for a pass, the median and spread.
    public var message: String
    public var checks: [CheckSummary]
    public var timing: TimingSummary?
    /// The plan's seeds (`ExecutionPlan.seeds`): what the verification drew, so that it can be replayed. Nil when no
    /// plan was judged (a runner that failed before).
    public var seeds: [UInt64]?
    /// The compiler's facts for each launch, as the runner observed them.
    public var compiler: [LaunchFacts]?

    public init(verdict: Verdict, reason: Reason?, message: String, checks: [CheckSummary] = [], timing: TimingSummary? = nil, seeds: [UInt64]? = nil,
                compiler: [LaunchFacts]? = nil) {
        self.verdict = verdict
        self.reason = reason
        self.message = message
        self.checks = checks
        self.timing = timing
        self.seeds = seeds
        self.compiler = compiler
    }

    /// Runs in all a candidate gets while its device timer disagrees with the host's clock.
    ///
    /// Rule: that verdict can be about the host as much as the kernel. A host busy with other work (PoCL's device
    /// shares its cores) waits far longer than an honest kernel ran, while a clock that lies does so on every run;
    /// so the candidate is run again, and the verdict stands only when every run gives it.
    public static let timerRuns = 3

    /// This verdict, the last of `runs`, saying what the earlier runs found.
    public func afterTimerRuns(_ runs: Int) -> Judgement {
        guard runs > 1 else { return self }
        var judgement = self
        judgement.message += reason == .timerInconsistent
            ? " (in each of \(runs) runs)"
            : " (run \(runs): in the \(runs - 1) before, the device timer disagreed with the host's clock)"
        return judgement
    }
}

public struct CheckSummary: Hashable, Sendable, Codable {
    public var shape: String
    public var seed: UInt64
    public var relativeNorm: Double
    public var worstElementRatio: Double
    public var passed: Bool
}

public struct TimingSummary: Hashable, Sendable, Codable {
    /// Device seconds per timed repetition, in the order measured.
    public var samples: [Double]
    public var median: Double
    public var p10: Double
    public var p90: Double
    /// (p90 − p10) / median.
    public var spread: Double
    public var hostMedian: Double
    public var lowerBound: Double?
    public var lowerBoundText: String?
    public var flushBytes: Int

    public init(samples: [Double], host: [Double], lowerBound: (seconds: Double, text: String)?, flushBytes: Int) {
        self.samples = samples
        let sorted = samples.sorted()
        median = Self.quantile(sorted, 0.5)
        p10 = Self.quantile(sorted, 0.1)
        p90 = Self.quantile(sorted, 0.9)
        spread = median > 0 ? (p90 - p10) / median : 0
        hostMedian = Self.quantile(host.sorted(), 0.5)
        self.lowerBound = lowerBound?.seconds
        lowerBoundText = lowerBound?.text
        self.flushBytes = flushBytes
    }

    /// Linear interpolation between order statistics.
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let position = q * Double(sorted.count - 1)
        let low = Int(position.rounded(.down))
        let high = min(sorted.count - 1, low + 1)
        let fraction = position - Double(low)
        return sorted[low] * (1 - fraction) + sorted[high] * fraction
    }
}

/// Turns a runner's observations into a verdict. Rules run in a fixed order and the first that fails names the
/// reason; each rule's reason is written beside it.
public struct Judge: Sendable {
    public var limits: PhysicalLimits?

    public init(limits: PhysicalLimits?) { self.limits = limits }

    private struct Rejection: Error {
        var reason: Reason
        var message: String
    }

    private struct Earlier {
        var problem: Problem
        var outputs: [String: [Float]]
        var wroteEverything: Bool
    }

    public func judge(_ candidate: Candidate, plan: ExecutionPlan, observations: Observations) -> Judgement {
        var judgement = judgeObservations(candidate, plan: plan, observations: observations)
        judgement.seeds = plan.seeds
        judgement.compiler = observations.compiler
        return judgement
    }

    private func judgeObservations(_ candidate: Candidate, plan: ExecutionPlan, observations: Observations) -> Judgement {
        if let failure = observations.failure {
            return Judgement(verdict: .reject, reason: failure.reason, message: failure.message)
        }
        var summaries: [CheckSummary] = []
        do {
            // A launch that failed ends the run early: that failure is the verdict, not the checks left unreported.
            if observations.checks.count < plan.checks.count, let failed = observations.checks.last?.launchError {
                throw Rejection(reason: .launchFailed, message: "check \(observations.checks.count) of \(plan.checks.count): \(failed)")
            }
            guard observations.checks.count == plan.checks.count else {
                throw Rejection(reason: .runnerFailed, message: "the runner reported \(observations.checks.count) checks for a plan of \(plan.checks.count)")
            }
            var earlier: [Earlier] = []
            for (index, observation) in observations.checks.enumerated() {
                let range = plan.checks[index].inputs
                let label = "check \(index + 1) of \(plan.checks.count) (\(observation.problem.definition.shapeText), seed \(observation.seed)\(range.map { ", inputs in \($0.text)" } ?? ""))"
                let summary = try judgeCheck(candidate, observation, label: label, range: range, plan: plan, earlier: &earlier)
                summaries.append(summary)
            }
            let timing = try judgeTiming(candidate, plan: plan, observations: observations)
            let message: String
            if let timing {
                message = "median \(Seconds(base: timing.median)) (p10 \(Seconds(base: timing.p10)), p90 \(Seconds(base: timing.p90)), \(timing.samples.count) samples), \(summaries.count) checks passed"
            } else {
                message = "\(summaries.count) checks passed (not timed)"
            }
            return Judgement(verdict: .pass, reason: nil, message: message, checks: summaries, timing: timing)
        } catch let rejection as Rejection {
            var timing: TimingSummary?
            if let observed = observations.timing, !observed.device.isEmpty {
                timing = TimingSummary(samples: observed.device, host: observed.host, lowerBound: lowerBound(plan), flushBytes: observed.flushBytes)
            }
            return Judgement(verdict: .reject, reason: rejection.reason, message: rejection.message, checks: summaries, timing: timing)
        } catch {
            return Judgement(verdict: .reject, reason: .runnerFailed, message: "\(error)", checks: summaries)
        }
    }

    private func lowerBound(_ plan: ExecutionPlan) -> (seconds: Double, text: String)? {
        guard let timing = plan.timing else { return nil }
        return limits?.lowerBound(timing.problem.definition)
    }

    private func judgeCheck(
        _ candidate: Candidate, _ observation: CheckObservation, label: String, range: InputRange?, plan: ExecutionPlan, earlier: inout [Earlier]
    ) throws -> CheckSummary {
        let problem = observation.problem.definition
        // A launch the runtime refused or aborted.
        if let launchError = observation.launchError {
            throw Rejection(reason: .launchFailed, message: "\(label): \(launchError)")
        }
        // Out-of-bounds writes: the guard zone past a buffer changed.
        if let damaged = observation.damagedGuards.first {
            throw Rejection(reason: .outOfBoundsWrite, message: "\(label): memory past the end of \(damaged) changed (the guard zone of \(plan.guardCount(for: bufferCount(problem, damaged))) elements)")
        }
        // Inputs unchanged: every input's digest after the runs equals the digest of what was written.
        let inputs = problem.makeInputs(seed: observation.seed, range: range)
        for (spec, values) in zip(problem.inputs, inputs) {
            let expected = FNV1a.hex(values)
            if let after = observation.inputDigests[spec.name], after != expected {
                throw Rejection(reason: .inputModified, message: "\(label): input \(spec.name) changed during the run (inputs are read-only)")
            }
            if observation.inputDigests[spec.name] == nil {
                throw Rejection(reason: .runnerFailed, message: "\(label): the runner reported no digest for input \(spec.name)")
            }
        }
        let tolerance = Tolerance(problem: problem)
        let references = problem.reference(inputs)
        var outputs: [String: [Float]] = [:]
        for spec in problem.outputs {
            guard let values = observation.outputs[spec.name]?.values, values.count == spec.count else {
                throw Rejection(reason: .runnerFailed, message: "\(label): the runner reported no output \(spec.name) of \(spec.count) elements")
            }
            outputs[spec.name] = values
        }
        // Repeated runs on the same inputs: runs 2 and 4 repeat run 1 exactly; run 3 changes only the guards.
        let runs = ExecutionPlan.guardFills
        if observation.outputDigests.count < runs.count {
            throw Rejection(reason: .runnerFailed, message: "\(label): the runner reported \(observation.outputDigests.count) runs, expected \(runs.count)")
        }
        // Runs 2 to 4 in full: a kernel declared nondeterministic is judged on every run, so each must be reported.
        var laterRuns: [[String: [Float]]] = []
        if !candidate.deterministic {
            let reported = observation.repeatOutputs ?? []
            guard reported.count == runs.count - 1 else {
                throw Rejection(reason: .runnerFailed, message: "\(label): the runner reported \(reported.count) later runs in full for a kernel declared nondeterministic, expected \(runs.count - 1)")
            }
            for (offset, run) in reported.enumerated() {
                var values: [String: [Float]] = [:]
                for spec in problem.outputs {
                    guard let output = run[spec.name]?.values, output.count == spec.count else {
                        throw Rejection(reason: .runnerFailed, message: "\(label): the runner reported no output \(spec.name) of \(spec.count) elements for run \(offset + 2)")
                    }
                    values[spec.name] = output
                }
                laterRuns.append(values)
            }
        }
        let repeats = (1..<runs.count).filter { runs[$0] == runs[0] }
        let guardChanged = (1..<runs.count).filter { runs[$0] != runs[0] }
        for spec in problem.outputs {
            let first = observation.outputDigests[0][spec.name]
            let poisoned = FNV1a.hex([Float](repeating: Float(bitPattern: plan.poison), count: spec.count))
            // Stale result: a repeated run left the output unwritten after the first run wrote it.
            if first != poisoned, let run = (1..<runs.count).first(where: { observation.outputDigests[$0][spec.name] == poisoned }) {
                throw Rejection(reason: .staleResult, message: "\(label): run \(run + 1) on the same inputs left \(spec.name) unwritten after run 1 wrote it: the kernel skips work on repeated calls")
            }
            if candidate.deterministic {
                // Nondeterminism: runs under identical conditions differ bit for bit.
                if let run = repeats.first(where: { observation.outputDigests[$0][spec.name] != first }) {
                    throw Rejection(reason: .nondeterministic, message: "\(label): runs 1 and \(run + 1) on the same inputs gave different \(spec.name) (a race, or atomics; declare deterministic: false only for kernels that may legitimately differ)")
                }
                // Out-of-bounds read: reproducible under identical conditions, different when only the guards change.
                if guardChanged.contains(where: { observation.outputDigests[$0][spec.name] != first }) {
                    throw Rejection(reason: .outOfBoundsRead, message: "\(label): \(spec.name) changed when only the memory past the end of the inputs changed (NaN there vs zeros), and not between identical runs: the kernel reads out of bounds")
                }
            } else if let reference = references.first(where: { $0.name == spec.name }) {
                // Out-of-bounds read, declared nondeterministic: the identical runs agree on passing and the run
                // whose guards changed does not.
                let passes = [outputs[spec.name]!] + laterRuns.map { $0[spec.name]! }
                let verdicts = passes.map { Comparison.compare($0, reference, tolerance: tolerance, poison: plan.poison).passes(tolerance) }
                if repeats.allSatisfy({ verdicts[$0] == verdicts[0] }), guardChanged.contains(where: { verdicts[$0] != verdicts[0] }) {
                    throw Rejection(reason: .outOfBoundsRead, message: "\(label): \(spec.name) passes with one fill of the memory past the inputs and fails with the other: the kernel reads out of bounds")
                }
            }
        }
        var worst = (norm: 0.0, ratio: 0.0)
        var wroteEverything = true
        for reference in references {
            let output = outputs[reference.name]!
            let comparison = Comparison.compare(output, reference, tolerance: tolerance, poison: plan.poison)
            worst = (max(worst.norm, comparison.relativeNorm), max(worst.ratio, comparison.worstElementRatio))
            if comparison.unwritten > 0 { wroteEverything = false }
            // Stale result: the whole output unwritten now, though an earlier check wrote all of it.
            if comparison.unwritten == output.count, earlier.contains(where: \.wroteEverything) {
                throw Rejection(reason: .staleResult, message: "\(label): \(reference.name) was left entirely unwritten on fresh inputs after an earlier check wrote it: the kernel skips work on repeated calls")
            }
            // Stale result: most of the output equals, bit for bit, an earlier check's output at the same places.
            if !comparison.passes(tolerance) {
                for previous in earlier {
                    guard let old = previous.outputs[reference.name] else { continue }
                    let overlap = min(old.count, output.count)
                    guard overlap > 0 else { continue }
                    var same = 0
                    for i in 0..<overlap where old[i].bitPattern == output[i].bitPattern && old[i].bitPattern != plan.poison {
                        same += 1
                    }
                    if same * 2 > overlap {
                        throw Rejection(reason: .staleResult, message: "\(label): \(same) of \(overlap) elements of \(reference.name) repeat an earlier check's output (\(previous.problem.definition.shapeText)) bit for bit though the inputs are fresh: the kernel returns a cached result")
                    }
                }
            }
            try judgeValues(comparison, of: reference.name, label: label, problem: problem, tolerance: tolerance, poison: plan.poison)
        }
        // Declared nondeterministic: runs 2 to 4 may differ from run 1 bit for bit, but each must pass on its own.
        for (offset, run) in laterRuns.enumerated() {
            let runLabel = "\(label), run \(offset + 2)"
            for reference in references {
                let comparison = Comparison.compare(run[reference.name]!, reference, tolerance: tolerance, poison: plan.poison)
                // Stale result: a repeated run on the same inputs left elements unwritten that run 1 wrote.
                if comparison.unwritten > 0 {
                    throw Rejection(reason: .staleResult, message: "\(runLabel): \(comparison.unwritten) of \(comparison.count) elements of \(reference.name) left unwritten on the same inputs after run 1 wrote them all: the kernel skips work on repeated calls")
                }
                try judgeValues(comparison, of: reference.name, label: runLabel, problem: problem, tolerance: tolerance, poison: plan.poison)
            }
        }
        earlier.append(Earlier(problem: observation.problem, outputs: outputs, wroteEverything: wroteEverything))
        return CheckSummary(shape: problem.shapeText, seed: observation.seed, relativeNorm: worst.norm, worstElementRatio: worst.ratio, passed: true)
    }

    private func judgeTimedOutput(
        _ outputs: [String: FloatArray], seed: UInt64, of planned: ExecutionPlan.Timing, plan: ExecutionPlan, tolerance: Tolerance, when: String
    ) throws {
        let problem = planned.problem.definition
        for reference in problem.reference(problem.makeInputs(seed: seed, range: planned.inputs)) {
            guard let output = outputs[reference.name]?.values, output.count == reference.values.count else {
                throw Rejection(reason: .runnerFailed, message: "timing loop: the runner reported no output \(reference.name) \(when)")
            }
            let comparison = Comparison.compare(output, reference, tolerance: tolerance, poison: plan.poison)
            // Changed after timing: a timed launch did not do the work the checks saw.
            if !comparison.passes(tolerance) {
                let what = comparison.unwritten > 0
                    ? "\(comparison.unwritten) of \(output.count) elements never written (poison)"
                    : (comparison.nonFinite > 0 ? "\(comparison.nonFinite) elements NaN or infinite" : "relative error \(sci(comparison.relativeNorm)) (tolerance \(sci(tolerance.relativeNorm)))")
                throw Rejection(reason: .changedAfterTiming, message: "\(when) \(reference.name) is wrong: \(what)")
            }
        }
    }

    /// The rules on one run's output values, in order; `label` names the check and, past run 1, the run.
    private func judgeValues(_ comparison: Comparison, of name: String, label: String, problem: any ProblemDefinition, tolerance: Tolerance, poison: UInt32) throws {
        // Unwritten output: elements still hold the poison written before the run.
        if comparison.unwritten > 0 {
            throw Rejection(reason: .unwrittenOutput, message: "\(label): \(comparison.unwritten) of \(comparison.count) elements of \(name) never written (still the poison \(poisonText(poison)) written before the run), first at \(position(comparison.firstUnwritten!, of: name, in: problem))")
        }
        // Non-finite output: NaN or infinity never passes.
        if comparison.nonFinite > 0 {
            throw Rejection(reason: .nonFinite, message: "\(label): \(comparison.nonFinite) elements of \(name) are NaN or infinite, first at \(position(comparison.firstNonFinite!, of: name, in: problem))")
        }
        if !comparison.passes(tolerance) {
            let detail = "relative error \(sci(comparison.relativeNorm)) (tolerance \(sci(tolerance.relativeNorm))), \(comparison.failing) elements beyond their bound, worst at \(position(comparison.worstIndex, of: name, in: problem)) (\(formatSignificant(comparison.worstElementRatio, digits: 3))x its bound)"
            // Precision loss: close to the reference, but beyond what the data type allows.
            if comparison.relativeNorm <= Tolerance.precisionLossCeiling, !tolerance.exact {
                throw Rejection(reason: .precisionLoss, message: "\(label): \(name) \(detail): more error than \(problem.dataType.rawValue) arithmetic makes (reduced precision?)")
            }
            // Wrong result: far from the reference.
            throw Rejection(reason: .wrongResult, message: "\(label): \(name) \(detail)\(comparison.allZero ? "; the output is all zeros" : "")")
        }
    }

    private func judgeTiming(_ candidate: Candidate, plan: ExecutionPlan, observations: Observations) throws -> TimingSummary? {
        guard let planned = plan.timing else { return nil }
        guard let timing = observations.timing else {
            throw Rejection(reason: .runnerFailed, message: "the runner reported no timing for a timed plan")
        }
        if let launchError = timing.launchError {
            throw Rejection(reason: .launchFailed, message: "timing loop: \(launchError)")
        }
        let problem = planned.problem.definition
        let tolerance = Tolerance(problem: problem)
        // Outputs of the timed repetitions the plan drew, each against its own fresh inputs: the kernel cannot know
        // which launches are read back.
        for index in planned.checked ?? [] {
            let repetition = "timed repetition \(index - planned.warmup + 1) of \(planned.repetitions)"
            guard let checked = timing.checkedOutputs?.first(where: { $0.repetition == index }) else {
                throw Rejection(reason: .runnerFailed, message: "timing loop: the runner reported no outputs after \(repetition), which the plan checks")
            }
            try judgeTimedOutput(checked.outputs, seed: planned.seeds[index], of: planned, plan: plan, tolerance: tolerance,
                                 when: "after \(repetition) (fresh inputs, read back unannounced)")
        }
        // Output re-checked after the timing loop, against the last repetition's fresh inputs.
        try judgeTimedOutput(timing.outputs, seed: planned.lastSeed, of: planned, plan: plan, tolerance: tolerance,
                             when: "after the timing loop (\(planned.repetitions) repetitions on fresh inputs)")
        guard timing.device.count == planned.repetitions, timing.host.count == planned.repetitions else {
            throw Rejection(reason: .runnerFailed, message: "timing loop: \(timing.device.count) device samples for \(planned.repetitions) repetitions")
        }
        let resolution = observations.device.timerResolution ?? 1e-6
        for (index, (device, host)) in zip(timing.device, timing.host).enumerated() {
            // Device timestamps must be positive and finite.
            guard device.isFinite, device > 0 else {
                throw Rejection(reason: .timerInconsistent, message: "repetition \(index + 1): the device timer reported \(device) s")
            }
            // A kernel cannot run longer on the device clock than the host waited for it.
            if device > host * 1.05 + 4 * resolution + 20e-6 {
                throw Rejection(reason: .timerInconsistent, message: "repetition \(index + 1): the device reports \(Seconds(base: device)) for launches the host saw complete in \(Seconds(base: host))")
            }
        }
        let summary = TimingSummary(samples: timing.device, host: timing.host, lowerBound: lowerBound(plan), flushBytes: timing.flushBytes)
        // A long wait on the host with a short device time: the device clock is not measuring the kernel. Judged on
        // the host's shortest wait (the least disturbed by other work on the host) against the longest device time,
        // and only for waits far above any launch overhead.
        let shortestWait = timing.host.min() ?? 0
        let longestDevice = timing.device.max() ?? 0
        if shortestWait > 5e-3, longestDevice < 0.1 * shortestWait {
            throw Rejection(reason: .timerInconsistent, message: "the device reports at most \(Seconds(base: longestDevice)) per repetition while the host waited at least \(Seconds(base: shortestWait))")
        }
        // Faster than physics allows: below bytes / peak bandwidth or FLOPs / peak rate of the machine model.
        if let bound = summary.lowerBound, summary.median < bound {
            throw Rejection(reason: .impossiblyFast, message: "median \(Seconds(base: summary.median)) is below the physical lower bound \(Seconds(base: bound)) of \(limits?.machine ?? "the machine") (\(summary.lowerBoundText ?? ""))")
        }
        return summary
    }

    private func bufferCount(_ problem: any ProblemDefinition, _ name: String) -> Int {
        problem.buffers.first { $0.name == name }?.count ?? 0
    }

    /// "row 12, column 3" for matrices, "element 17" for vectors.
    private func position(_ index: Int, of buffer: String, in problem: any ProblemDefinition) -> String {
        let width: Int?
        switch problem {
        case let p as GemmProblem: width = p.n
        case let p as RowProblem: width = p.op == .sum ? nil : p.columns
        case let p as TransposeProblem: width = p.rows
        default: width = nil
        }
        guard let width, width > 0 else { return "element \(index)" }
        return "row \(index / width), column \(index % width)"
    }
}

/// "NaN 0x7FC0DEAD" or "-7.5 (0xC0F00000)": the poison as a value and as the bits written.
func poisonText(_ bits: UInt32) -> String {
    let hex = "0x" + String(format: "%08X", bits)
    let value = Float(bitPattern: bits)
    return value.isNaN ? "NaN \(hex)" : "\(value) (\(hex))"
}

func sci(_ value: Double) -> String {
    guard value.isFinite, value != 0 else { return "\(value)" }
    return String(format: "%.2e", value)
}
