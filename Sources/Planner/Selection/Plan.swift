import CostModel
import Foundation
import MachineModel
import Refinement
import Workloads

/// A plan for one space: what is feasible, what can be ruled out, and the K candidates to verify next, each with the
/// reason it was chosen.
///
/// Built by `Plan.make` from a scored space: pruning and choosing are separate steps over the scores, and neither
/// predicts anything again except the picks themselves (to explain them).
public struct Plan: Sendable {
    public enum Reason: String, Hashable, Sendable, CaseIterable {
        /// The lowest predicted time among the candidates not yet measured.
        case bestPredicted = "best predicted"
        /// Predicted slower, but its optimistic bound is under the best's pessimistic one.
        case couldBeatBest = "could beat the best"
        /// The widest interval of the candidates in doubt: measuring it teaches the model most.
        case widestUncertainty = "widest uncertainty"
        /// In doubt, and of a kind (bottleneck, tile) no pick or measurement covers yet.
        case unexplored = "unexplored region"
    }

    /// One candidate chosen for the verifier.
    public struct Pick: Sendable {
        public var index: Int
        public var candidate: Candidate
        public var prediction: Prediction
        /// Predicted time on this space's measured scale, and its interval.
        public var time: Double
        public var optimistic: Double
        public var pessimistic: Double
        public var reason: Reason
        /// Why, in words: "could beat the best: optimistic 150 us < 230 us, the best's pessimistic bound".
        public var words: String
        /// The model's explanation of the prediction.
        public var explanation: String
    }

    /// A row of the ranking shown to people.
    public struct Ranked: Sendable {
        public var index: Int
        public var candidate: Candidate
        public var time: Double
        public var optimistic: Double
        public var pessimistic: Double
        public var bottleneck: Resource
        public var measured: Double?
        public var ruledOut: Bool
    }

    public let scored: ScoredSpace
    public let machine: String
    public let budget: Int
    public let anchor: SpaceAnchor
    /// The intervals in use (the space's band, per bottleneck).
    public let intervals: IntervalTable
    /// Predicted time of each scored candidate (by position in `scored`) on the space's measured scale: what pruning
    /// and picking used.
    public let times: [Double]
    /// The lowest pessimistic bound of any candidate (a measured one's upper spread, or a prediction's bound).
    public let threshold: Double
    /// The candidate that sets it, and whether it was measured.
    public let thresholdIndex: Int?
    public let thresholdMeasured: Bool
    /// Feasible candidates not yet measured whose optimistic bound is above the threshold: they cannot be the best.
    public let ruledOut: Int
    /// Feasible candidates not yet measured that could still be the best.
    public let inDoubt: Int
    public let measuredCount: Int
    public let rejectedCount: Int
    public let bestMeasured: (index: Int, time: Double)?
    public let picks: [Pick]
    public let top: [Ranked]

    /// Prunes and chooses.
    ///
    /// - Parameters:
    ///   - budget: how many candidates to choose (fewer when fewer are in doubt).
    ///   - knowledge: what hardware said so far; measured and rejected candidates are never chosen again.
    ///   - topCount: rows of the ranking to keep for display.
    /// - Complexity: O(n) over the scored candidates, plus O(d log d) for the d in doubt.
    public static func make(
        _ scored: ScoredSpace, model: PlanModel, budget: Int, knowledge: SpaceKnowledge = SpaceKnowledge(), topCount: Int = 10
    ) -> Plan {
        let n = scored.feasibleCount
        let bands = model.bands(for: scored.family)
        let predicted = scored.times, bottlenecks = scored.bottlenecks, indices = scored.indices

        // Anchor the space's scale on what was measured here.
        var residuals: [Double] = []
        var measuredPosition: [Int: Int] = [:]
        if !knowledge.isEmpty {
            for i in 0..<n where knowledge.measured[indices[i]] != nil || knowledge.rejected[indices[i]] != nil {
                measuredPosition[indices[i]] = i
                // Rule: a noisy measurement does not set the space's scale.
                if let m = knowledge.measured[indices[i]], !m.isNoisy, m.median > 0, predicted[i] > 0 {
                    residuals.append(log(m.median / predicted[i]))
                }
            }
        }
        let anchor = SpaceAnchor(residuals: residuals)
        let factors = IntervalTable(bands: bands, anchor: anchor)
        // With measurements, every prediction moves to the space's measured scale. (Moving predictions further
        // towards the residuals of measured neighbours was tried, docs/planner.md, and did not help.)
        var times = predicted
        if anchor.count > 0 {
            let factor = exp(anchor.offset)
            for i in times.indices { times[i] *= factor }
        }
        let scale = 1.0

        // The threshold: the lowest pessimistic bound of anything, measured or predicted.
        var threshold = Double.infinity
        var thresholdIndex: Int?
        var thresholdMeasured = false
        var bestMeasured: (index: Int, time: Double)?
        // Rule: a noisy measurement rules nothing out; it stays the best measured if it is.
        for (index, m) in knowledge.measured.sorted(by: { $0.key < $1.key }) {
            if bestMeasured == nil || m.median < bestMeasured!.time { bestMeasured = (index, m.median) }
            if m.isNoisy { continue }
            let pessimistic = m.interval.pessimistic
            if pessimistic < threshold { threshold = pessimistic; thresholdIndex = index; thresholdMeasured = true }
        }
        let known = measuredPosition
        for i in 0..<n {
            if !known.isEmpty, known[indices[i]] != nil { continue }
            let pessimistic = factors.interval(time: times[i], bottleneck: bottlenecks[i]).pessimistic
            if pessimistic < threshold || (pessimistic == threshold && !thresholdMeasured && indices[i] < (thresholdIndex ?? .max)) {
                threshold = pessimistic
                thresholdIndex = indices[i]
                thresholdMeasured = false
            }
        }

        // Safe pruning: an optimistic bound above the threshold cannot be the best.
        var doubt: [Int] = []
        var ruledOut = 0
        for i in 0..<n {
            if !known.isEmpty, known[indices[i]] != nil { continue }
            let optimistic = factors.interval(time: times[i], bottleneck: bottlenecks[i]).optimistic
            if optimistic > threshold { ruledOut += 1 } else { doubt.append(i) }
        }
        doubt.sort { times[$0] < times[$1] || (times[$0] == times[$1] && indices[$0] < indices[$1]) }

        let picks = choose(doubt: doubt, scored: scored, model: model, budget: budget, knowledge: knowledge,
                           table: factors, times: times, scale: scale, threshold: threshold)

        // The ranking shown to people: the fastest by anchored prediction, measured ones at their measured time.
        var order = Array(0..<n)
        if n > topCount * 4 {
            order = partialSmallest(times, count: topCount * 4)
        }
        order.sort { times[$0] < times[$1] || (times[$0] == times[$1] && indices[$0] < indices[$1]) }
        let top: [Ranked] = order.prefix(topCount).map { i in
            let interval = factors.interval(time: times[i], bottleneck: bottlenecks[i])
            return Ranked(index: indices[i], candidate: scored.space.candidate(at: indices[i]), time: times[i] * scale,
                          optimistic: interval.optimistic, pessimistic: interval.pessimistic, bottleneck: scored.bottlenecks[i],
                          measured: knowledge.measured[indices[i]]?.median, ruledOut: interval.optimistic > threshold)
        }

        return Plan(
            scored: scored, machine: model.machine.name, budget: budget, anchor: anchor, intervals: factors, times: times, threshold: threshold,
            thresholdIndex: thresholdIndex, thresholdMeasured: thresholdMeasured, ruledOut: ruledOut, inDoubt: doubt.count,
            measuredCount: knowledge.measured.count, rejectedCount: knowledge.rejected.count, bestMeasured: bestMeasured,
            picks: picks, top: top)
    }

    /// The order in which pick reasons fill a budget: the best first; from a budget of three on, one pick for the
    /// widest uncertainty and, from four, one for an unexplored region; the rest could beat the best.
    public static func reasons(budget: Int) -> [Reason] {
        guard budget > 0 else { return [] }
        var reasons: [Reason] = [.bestPredicted]
        if budget >= 2 { reasons.append(.couldBeatBest) }
        if budget >= 3 { reasons.append(.widestUncertainty) }
        if budget >= 4 { reasons.append(.unexplored) }
        while reasons.count < budget { reasons.append(.couldBeatBest) }
        return reasons
    }

    static func choose(
        doubt: [Int], scored: ScoredSpace, model: PlanModel, budget: Int, knowledge: SpaceKnowledge, table: IntervalTable,
        times: [Double], scale: Double, threshold: Double
    ) -> [Pick] {
        guard budget > 0, !doubt.isEmpty else { return [] }
        let cost = model.model(for: scored.family)
        var taken = Set<Int>()
        var picks: [Pick] = []
        var covered = Set<String>()
        for index in knowledge.measured.keys {
            if let i = scored.position(of: index) { covered.insert(region(scored, i)) }
        }

        func pick(_ i: Int, _ reason: Reason, _ words: String) {
            let index = scored.indices[i]
            let candidate = scored.space.candidate(at: index)
            let prediction = cost.predict(candidate)
            let interval = table.interval(time: times[i], bottleneck: scored.bottlenecks[i])
            taken.insert(i)
            covered.insert(region(scored, i))
            picks.append(Pick(
                index: index, candidate: candidate, prediction: prediction, time: times[i] * scale,
                optimistic: interval.optimistic, pessimistic: interval.pessimistic, reason: reason, words: words,
                explanation: cost.explain(prediction, for: candidate).sentence))
        }
        func text(_ seconds: Double) -> String { Seconds(base: seconds).description }
        func nextBest() -> Int? { doubt.first { !taken.contains($0) } }

        for reason in reasons(budget: min(budget, doubt.count)) {
            switch reason {
            case .bestPredicted:
                let i = doubt[0]
                let interval = table.interval(time: times[i], bottleneck: scored.bottlenecks[i])
                let measuredNote = knowledge.measured.isEmpty ? "" : " of those not yet measured"
                pick(i, .bestPredicted, "best predicted\(measuredNote): \(text(times[i] * scale)) "
                    + "(\(text(interval.optimistic)) to \(text(interval.pessimistic)))")
            case .couldBeatBest:
                guard let i = nextBest() else { continue }
                let optimistic = table.interval(time: times[i], bottleneck: scored.bottlenecks[i]).optimistic
                pick(i, .couldBeatBest, "could beat the best: predicted \(text(times[i] * scale)), optimistic "
                    + "\(text(optimistic)) < \(text(threshold)), the best's pessimistic bound")
            case .widestUncertainty:
                var widest: Int?
                var ratio = 0.0
                for i in doubt where !taken.contains(i) {
                    let interval = table.interval(time: times[i], bottleneck: scored.bottlenecks[i])
                    let r = interval.pessimistic / max(interval.optimistic, 1e-300)
                    if r > ratio { ratio = r; widest = i }
                }
                guard let i = widest ?? nextBest() else { continue }
                let interval = table.interval(time: times[i], bottleneck: scored.bottlenecks[i])
                pick(i, .widestUncertainty, "widest uncertainty in doubt: \(text(interval.optimistic)) to "
                    + "\(text(interval.pessimistic)) (x\(formatSignificant(ratio, digits: 3))), the band of "
                    + "\(scored.bottlenecks[i].name)-bound \(scored.family.rawValue) kernels")
            case .unexplored:
                var chosen: Int?
                for i in doubt where !taken.contains(i) && !covered.contains(region(scored, i)) {
                    chosen = i
                    break
                }
                if let i = chosen {
                    pick(i, .unexplored, "unexplored: the first \(regionWords(scored, i)) in doubt; no pick or "
                        + "measurement covers it yet")
                } else if let i = nextBest() {
                    let optimistic = table.interval(time: times[i], bottleneck: scored.bottlenecks[i]).optimistic
                    pick(i, .couldBeatBest, "could beat the best (every region in doubt is covered): optimistic "
                        + "\(text(optimistic)) < \(text(threshold))")
                }
            }
        }
        return picks
    }

    /// A candidate's region: what binds it and its main tile, e.g. `dram|block_m=64|block_n=32`.
    static func region(_ scored: ScoredSpace, _ i: Int) -> String {
        let fields = scored.space.candidate(at: scored.indices[i]).scheduleFields
        let keys = regionKeys(scored.family)
        let parts = fields.filter { keys.contains($0.key) }.map { "\($0.key)=\($0.value ?? "null")" }
        return ([scored.bottlenecks[i].name] + parts).joined(separator: "|")
    }

    static func regionWords(_ scored: ScoredSpace, _ i: Int) -> String {
        let fields = scored.space.candidate(at: scored.indices[i]).scheduleFields
        let keys = regionKeys(scored.family)
        let parts = fields.filter { keys.contains($0.key) }.map { "\($0.key) \($0.value ?? "null")" }
        return "\(scored.bottlenecks[i].name)-bound candidate" + (parts.isEmpty ? "" : " with " + parts.joined(separator: ", "))
    }

    static func regionKeys(_ family: Family) -> Set<String> {
        switch family {
        case .gemm: ["block_m", "block_n"]
        case .elementwise: ["fused"]
        case .reduction: ["block_width"]
        case .attention: ["variant", "block_q"]
        case .generic: []
        }
    }
}

/// Positions of the `count` smallest values (unordered), by quickselect on a copy.
func partialSmallest(_ values: [Double], count: Int) -> [Int] {
    var order = Array(values.indices)
    guard count < order.count else { return order }
    var lo = 0, hi = order.count - 1
    while lo < hi {
        let pivot = values[order[(lo + hi) / 2]]
        var i = lo, j = hi
        while i <= j {
            while values[order[i]] < pivot { i += 1 }
            while values[order[j]] > pivot { j -= 1 }
            if i <= j { order.swapAt(i, j); i += 1; j -= 1 }
        }
        if count - 1 <= j { hi = j } else if count - 1 >= i { lo = i } else { break }
    }
    return Array(order.prefix(count))
}
