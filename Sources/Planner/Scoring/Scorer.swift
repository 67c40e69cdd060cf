import CostModel
import Dispatch
import Foundation
import MachineModel
import Refinement
import Workloads

/// A rule of the runner that will verify candidates (the OpenCL library cannot build every schedule the cost model
/// accepts): returns why a candidate cannot be run there, or nil.
public typealias RunnerRule = @Sendable (Candidate) -> String?

/// Scores a space with a search strategy: asks the strategy for batches of indices, predicts each batch on every
/// core, and reports back what it found.
public enum Scorer {
    /// Indices per batch handed to the cores.
    public static let batchSize = 1 << 16

    /// Predicts the candidates `strategy` asks for.
    ///
    /// - Parameter runnerRule: applied to candidates the model finds feasible; a reason makes them infeasible
    ///   under the category `runner`.
    /// - Complexity: O(n) predictions for n visited candidates, spread over all cores.
    /// - Parameter progress: told the candidates scored so far after each batch (a long plan says how far it is).
    public static func score<S: SearchStrategy>(
        _ space: CandidateSpace, model: PlanModel, strategy: inout S, runnerRule: RunnerRule? = nil,
        workers: Int = ProcessInfo.processInfo.activeProcessorCount, progress: ((_ scored: Int) -> Void)? = nil
    ) -> ScoredSpace {
        var scored = ScoredSpace(space: space)
        scored.strategy = strategy.name
        let cost = model.model(for: space.family)
        var visited = 0
        while let batch = strategy.next(limit: batchSize) {
            let part = scoreBatch(batch, space: space, model: cost, runnerRule: runnerRule, workers: workers)
            if strategy.wantsReports { strategy.report(BatchReport(scored: part)) }
            scored.append(part)
            visited += batch.count
            progress?(visited)
        }
        scored.infeasible.sort { $0.count > $1.count || ($0.count == $1.count && $0.category < $1.category) }
        for group in strategy.skipped { scored.addSkipped(group) }
        return scored
    }

    /// Every candidate of a space (the exhaustive strategy).
    /// Spaces up to this size are scored exhaustively by `scoreAuto`; larger ones are sampled.
    public static let exhaustiveLimit = 20_000_000

    /// Exhaustive up to `exhaustiveLimit` candidates, else `samples` drawn by random pruned search.
    public static func scoreAuto(_ space: CandidateSpace, model: PlanModel, samples: Int = 200_000, seed: UInt64 = 1,
                                 runnerRule: RunnerRule? = nil, progress: ((_ scored: Int) -> Void)? = nil) -> ScoredSpace {
        guard space.count > exhaustiveLimit else { return score(space, model: model, runnerRule: runnerRule, progress: progress) }
        var strategy = RandomPrunedSearch(space: space, samples: samples, seed: seed)
        return score(space, model: model, strategy: &strategy, runnerRule: runnerRule, progress: progress)
    }

    public static func score(_ space: CandidateSpace, model: PlanModel, runnerRule: RunnerRule? = nil,
                             progress: ((_ scored: Int) -> Void)? = nil) -> ScoredSpace {
        var strategy = ExhaustiveSearch(count: space.count)
        return score(space, model: model, strategy: &strategy, runnerRule: runnerRule, progress: progress)
    }

    static func scoreBatch(_ batch: SearchBatch, space: CandidateSpace, model: CostModel, runnerRule: RunnerRule?, workers: Int) -> ScoredSpace {
        let count = batch.count
        let chunks = max(1, min(workers, count / 4096))
        if chunks == 1 { return scoreRange(0..<count, of: batch, space: space, model: model, runnerRule: runnerRule) }
        let parts = Parts(count: chunks, space: space)
        let per = (count + chunks - 1) / chunks
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let range = (chunk * per)..<min(count, (chunk + 1) * per)
            parts.set(chunk, scoreRange(range, of: batch, space: space, model: model, runnerRule: runnerRule))
        }
        var merged = ScoredSpace(space: space)
        for part in parts.all { merged.append(part) }
        return merged
    }

    /// Scores positions `range` of the batch on the calling thread.
    static func scoreRange(_ range: Range<Int>, of batch: SearchBatch, space: CandidateSpace, model: CostModel, runnerRule: RunnerRule?) -> ScoredSpace {
        var out = ScoredSpace(space: space)
        out.indices.reserveCapacity(range.count)
        out.times.reserveCapacity(range.count)
        out.lowers.reserveCapacity(range.count)
        out.uppers.reserveCapacity(range.count)
        out.bottlenecks.reserveCapacity(range.count)
        // A handful of rule categories: a linear search over them beats hashing, and builds no string per rejection
        // (categories are string literals).
        var groups: [InfeasibleGroup] = []
        var runnerGroups: [InfeasibleGroup] = []

        @inline(__always) func record(_ index: Int, _ p: Prediction, _ candidate: @autoclosure () -> Candidate) {
            if let reason = p.infeasibility {
                let category = reason.category
                if let g = groups.firstIndex(where: { $0.category == category }) {
                    groups[g].count += 1
                } else {
                    groups.append(InfeasibleGroup(category: category, count: 1, example: reason.message))
                }
                return
            }
            if let runnerRule, let why = runnerRule(candidate()) {
                if let g = runnerGroups.firstIndex(where: { $0.example == why }) {
                    runnerGroups[g].count += 1
                } else {
                    runnerGroups.append(InfeasibleGroup(category: "runner", count: 1, example: why))
                }
                return
            }
            out.indices.append(index)
            out.times.append(p.time.base)
            out.lowers.append(p.lower.base)
            out.uppers.append(p.upper.base)
            out.bottlenecks.append(p.bottleneck)
        }

        switch space.body {
        case let .gemm(problem, axes, facts):
            // The hot path: decode the schedule from the index, no Candidate built unless a runner rule asks.
            for position in range {
                let index = batch[position]
                let schedule = axes.schedule(at: index, compiler: facts)
                record(index, model.predict(gemm: problem, schedule), .gemm(problem, schedule))
            }
        default:
            for position in range {
                let index = batch[position]
                let candidate = space.candidate(at: index)
                record(index, model.predict(candidate), candidate)
            }
        }
        out.visited = range.count
        out.infeasible = groups
        // Runner rules group by category "runner"; keep each distinct reason as its own example line.
        for group in runnerGroups {
            out.infeasible.append(InfeasibleGroup(category: "runner: \(group.example)", count: group.count, example: group.example))
        }
        return out
    }
}

/// Results of the chunks of one batch, filled from several threads (each slot by one thread).
private final class Parts: @unchecked Sendable {
    private var slots: [ScoredSpace]
    private let lock = NSLock()

    init(count: Int, space: CandidateSpace) { slots = Array(repeating: ScoredSpace(space: space), count: count) }

    func set(_ i: Int, _ part: ScoredSpace) {
        lock.lock()
        slots[i] = part
        lock.unlock()
    }

    var all: [ScoredSpace] { slots }
}
