import CostModel
import MachineModel
import Refinement
import Workloads

/// The loop run offline against recorded measurements: each pick is answered with what the harness measured for
/// it. Not a hardware run; it shows what the loop would have chosen, run by run, on data it never saw when the model
/// was fitted (holdout spaces).
public enum Replay {
    public struct Result: Sendable {
        public var space: String
        public var split: MeasuredSpace.Split
        public var family: Family
        /// The fastest measured candidate of the space: what exhaustive measurement found.
        public var exhaustiveBest: Double
        public var exhaustiveLabel: String
        /// Candidates the harness timed.
        public var timed: Int
        public var steps: [LoopStep]
        public var stopReason: String
        /// Best measured after each run over the exhaustive best, minus one.
        public var regretCurve: [Double?]
        public var finalRegret: Double? { regretCurve.last ?? nil }
    }

    /// The space the harness measured, as a cross product of the values it used, with every schedule it did not
    /// measure excluded by a runner rule ("not measured by the harness").
    public static func space(of measured: MeasuredSpace) -> (space: CandidateSpace, rule: RunnerRule)? {
        guard let first = measured.results.first?.candidate else { return nil }
        let keys = Set(measured.results.map { key($0.candidate) })
        func values<T: Hashable & Comparable>(_ f: (Candidate) -> T?) -> [T] {
            Array(Set(measured.results.compactMap { f($0.candidate) })).sorted()
        }
        let body: CandidateSpace.Body
        switch first {
        case let .gemm(problem, _):
            func g<T: Hashable & Comparable>(_ f: @escaping (GemmSchedule) -> T) -> [T] {
                values { if case let .gemm(_, s) = $0 { f(s) } else { nil } }
            }
            body = .gemm(problem, GemmAxes(
                blockM: g(\.blockM), blockN: g(\.blockN), blockK: g(\.blockK), warps: g(\.warps), stages: g(\.stages),
                groupM: g(\.groupM), splitK: g(\.splitK),
                matrixUnits: Array(Set(measured.results.compactMap { if case let .gemm(_, s) = $0.candidate { s.matrixUnits } else { nil } }))), .none)
        case let .elementwise(problem, _):
            func e<T: Hashable & Comparable>(_ f: @escaping (ElementwiseSchedule) -> T) -> [T] {
                values { if case let .elementwise(_, s) = $0 { f(s) } else { nil } }
            }
            let fused = Array(Set(measured.results.compactMap { if case let .elementwise(_, s) = $0.candidate { s.fused } else { nil } }))
            let widths = Array(Set(measured.results.compactMap { r -> Int?? in
                if case let .elementwise(_, s) = r.candidate { return .some(s.vectorWidth) } else { return nil }
            }))
            body = .elementwise(problem, ElementwiseAxes(fused: fused.sorted { !$0 && $1 }, blockElements: e(\.blockElements), warps: e(\.warps),
                                                         vectorWidth: widths.sorted { ($0 ?? 0) < ($1 ?? 0) }), .none)
        case let .reduction(problem, _):
            func r<T: Hashable & Comparable>(_ f: @escaping (ReductionSchedule) -> T) -> [T] {
                values { if case let .reduction(_, s) = $0 { f(s) } else { nil } }
            }
            body = .reduction(problem, ReductionAxes(rowsPerBlock: r(\.rowsPerBlock), blockWidth: r(\.blockWidth), warps: r(\.warps),
                                                                     statistics: r(\.statistics)), .none)
        case let .attention(problem, _):
            func a(_ f: @escaping (AttentionSchedule) -> Int?) -> [Int] {
                values { if case let .attention(_, s) = $0 { f(s) } else { nil } }
            }
            /// A flag's measured values, false first.
            func flags(_ f: (AttentionSchedule) -> Bool) -> [Bool] {
                Array(Set(measured.results.compactMap { if case let .attention(_, s) = $0.candidate { f(s) } else { nil } }))
                    .sorted { !$0 && $1 }
            }
            let variants = Array(Set(measured.results.compactMap { if case let .attention(_, s) = $0.candidate { s.variant } else { nil } }))
            body = .attention(problem, AttentionAxes(variants: variants.sorted { $0.rawValue > $1.rawValue }, blockQ: a(\.blockQ),
                                                     blockKV: a(\.blockKV), warps: a(\.warps), stages: a(\.stages),
                                                     splitKV: a { $0.splitKV }, persistent: flags(\.persistent),
                                                     mmaSync: flags(\.mmaSync)), .none)
        case .generic:
            return nil
        }
        let space = CandidateSpace(name: measured.name, body: body)
        let rule: RunnerRule = { candidate in keys.contains(key(candidate)) ? nil : "not measured by the harness" }
        return (space, rule)
    }

    /// A candidate's schedule as one string, compiler facts left out.
    static func key(_ candidate: Candidate) -> String {
        candidate.scheduleFields.map { "\($0.key)=\($0.value ?? "null")" }.joined(separator: " ")
    }

    /// Runs the loop against the recorded results of one space.
    public static func run(_ measured: MeasuredSpace, model: PlanModel, budget: Int, batch: Int = 1) -> Result? {
        guard let (space, rule) = space(of: measured) else { return nil }
        var byKey: [String: MeasuredResult] = [:]
        for r in measured.results { byKey[key(r.candidate)] = r }
        let timed = measured.results.filter { $0.status == .ok && $0.median != nil }
        guard let best = timed.min(by: { $0.median!.base < $1.median!.base }) else { return nil }
        let scored = Scorer.score(space, model: model, runnerRule: rule)
        var state = LoopState(scored: scored, model: model, budget: budget, batch: batch)
        var stop = ""
        while true {
            let plan = state.nextPlan()
            if let reason = state.stopReason(after: plan) { stop = reason; break }
            for pick in plan.picks {
                let outcome: LoopOutcome
                if let r = byKey[key(pick.candidate)], r.status == .ok, let median = r.median?.base {
                    outcome = .measured(median: median, low: r.p20?.base, high: r.p80?.base)
                } else {
                    let r = byKey[key(pick.candidate)]
                    outcome = .rejected(reason: "\(r?.status.rawValue ?? "unmeasured")\(r?.reason.map { ": \($0)" } ?? "")")
                }
                state.record(pick, outcome: outcome, plan: plan)
            }
        }
        let exhaustive = best.median!.base
        return Result(
            space: measured.name, split: measured.split, family: measured.family, exhaustiveBest: exhaustive,
            exhaustiveLabel: best.candidate.label, timed: timed.count, steps: state.steps, stopReason: stop,
            regretCurve: state.curve.map { $0.map { $0 / exhaustive - 1 } })
    }
}
