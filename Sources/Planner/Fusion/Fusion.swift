import CostModel
import MachineModel
import Refinement
import Workloads

/// Fused against unfused: each alternative of a block costed as the sum of its kernels' best predicted schedules.
public enum Fusion {
    public struct KernelResult: Sendable {
        public var name: String
        public var best: SpaceBest?
        /// Interval of the best on the family's band.
        public var optimistic: Double
        public var pessimistic: Double
    }

    public struct AlternativeResult: Sendable {
        public var name: String
        public var kernels: [KernelResult]
        /// Sum of the kernels' predicted times (infinite when one cannot run).
        public var time: Double
        public var optimistic: Double
        public var pessimistic: Double
        /// Device-memory bytes and kernel launches in all.
        public var dramBytes: Double
        public var launches: Int
        /// Time saved against the first alternative, and its range: kernels both alternatives run (the same problem
        /// and schedule space) cancel, so only the kernels that differ carry uncertainty.
        public var saving: Double?
        public var savingLow: Double?
        public var savingHigh: Double?
        public var feasible: Bool { time.isFinite }
    }

    public struct Report: Sendable {
        public var block: String
        public var alternatives: [AlternativeResult]
        /// Position of the first alternative (the baseline every other is compared with) and of the fastest.
        public var fastest: Int?
    }

    public static func evaluate(_ block: Block, model: PlanModel) -> Report {
        var results: [AlternativeResult] = []
        for alternative in block.alternatives {
            var kernels: [KernelResult] = []
            var time = 0.0, lo = 0.0, hi = 0.0, bytes = 0.0, launches = 0
            for kernel in alternative.kernels {
                let best = WhatIf.best(kernel.space, model: model)
                guard let best else {
                    kernels.append(KernelResult(name: kernel.name, best: nil, optimistic: .infinity, pessimistic: .infinity))
                    time = .infinity
                    continue
                }
                let band = model.bands(for: kernel.space.family).band(for: best.prediction.bottleneck, anchored: false).factors()
                let t = best.prediction.time.base
                kernels.append(KernelResult(name: kernel.name, best: best, optimistic: t * band.optimistic, pessimistic: t * band.pessimistic))
                time += t
                lo += t * band.optimistic
                hi += t * band.pessimistic
                bytes += best.prediction.traffic.dram
                launches += best.prediction.kernels
            }
            results.append(AlternativeResult(name: alternative.name, kernels: kernels, time: time, optimistic: lo, pessimistic: hi,
                                             dramBytes: bytes, launches: launches))
        }
        // Savings against the first alternative, over the kernels that differ.
        if let base = results.first, base.feasible {
            for i in results.indices where results[i].feasible {
                var baseOnly = Array(zip(block.alternatives[0].kernels, base.kernels))
                var own: [KernelResult] = []
                for (kernel, result) in zip(block.alternatives[i].kernels, results[i].kernels) {
                    if let j = baseOnly.firstIndex(where: { $0.0.space.body == kernel.space.body }) { baseOnly.remove(at: j) } else { own.append(result) }
                }
                let removed = baseOnly.map(\.1)
                func sum(_ list: [KernelResult], _ f: (KernelResult) -> Double) -> Double { list.reduce(0) { $0 + f($1) } }
                let t: (KernelResult) -> Double = { $0.best?.prediction.time.base ?? .infinity }
                results[i].saving = sum(removed, t) - sum(own, t)
                results[i].savingLow = sum(removed, \.optimistic) - sum(own, \.pessimistic)
                results[i].savingHigh = sum(removed, \.pessimistic) - sum(own, \.optimistic)
            }
        }
        let fastest = results.indices.filter { results[$0].feasible }.min { results[$0].time < results[$1].time }
        return Report(block: block.name, alternatives: results, fastest: fastest)
    }

    /// Whether an alternative beats the first: for sure (even its worst-case saving is positive), probably, or not.
    public static func verdict(_ a: AlternativeResult, _ b: AlternativeResult) -> String {
        guard a.feasible, b.feasible else { return b.feasible ? "pays (the baseline cannot run)" : "cannot run" }
        guard let saving = b.saving, let low = b.savingLow, let high = b.savingHigh else { return "-" }
        if low > 0 { return "pays, beyond the model's uncertainty" }
        if high < 0 { return "costs, beyond the model's uncertainty" }
        if saving > 0.05 * a.time { return "pays, within the model's uncertainty" }
        if saving < -0.05 * a.time { return "costs, within the model's uncertainty" }
        return "no clear difference"
    }
}
