import Workloads

/// The schedule axes of a space as a mixed radix (the last axis varies fastest, as `CandidateSpace.candidate(at:)`
/// decodes), so that a search can step to a neighbour: the same schedule with one axis moved to the next value.
public struct SpaceAxes: Sendable {
    /// Axis names in file order and how many values each has.
    public let names: [String]
    public let radices: [Int]
    /// Indices before the mixed-radix part (attention's single `naive` candidate).
    public let offset: Int

    public init(_ space: CandidateSpace) {
        switch space.body {
        case let .gemm(_, a, _):
            names = ["block_m", "block_n", "block_k", "warps", "stages", "group_m", "split_k", "matrix_units", "persistent"]
            radices = [a.blockM.count, a.blockN.count, a.blockK.count, a.warps.count, a.stages.count, a.groupM.count,
                       a.splitK.count, a.matrixUnits.count, a.persistent.count]
            offset = 0
        case let .elementwise(_, a, _):
            names = ["fused", "block_elements", "warps", "vector_width"]
            radices = [a.fused.count, a.blockElements.count, a.warps.count, a.vectorWidth.count]
            offset = 0
        case let .reduction(_, a, _):
            names = ["rows_per_block", "block_width", "warps", "statistics"]
            radices = [a.rowsPerBlock.count, a.blockWidth.count, a.warps.count, a.statistics.count]
            offset = 0
        case let .attention(_, a, _):
            names = ["block_q", "block_kv", "warps", "stages", "split_kv", "persistent", "mma_sync"]
            let flash = a.variants.contains(.flash)
            radices = flash ? [a.blockQ.count, a.blockKV.count, a.warps.count, a.stages.count, a.splitKV.count, a.persistent.count,
                               a.mmaSync.count]
                : [1, 1, 1, 1, 1, 1, 1]
            offset = a.variants.contains(.naive) ? 1 : 0
        case let .generic(candidates):
            names = ["candidate"]
            radices = [candidates.count]
            offset = 0
        }
    }

    /// The value position on each axis of a candidate (nil for attention's naive candidate).
    public func digits(of index: Int) -> [Int]? {
        guard index >= offset else { return nil }
        var rest = index - offset
        var out = [Int](repeating: 0, count: radices.count)
        for axis in radices.indices.reversed() {
            out[axis] = rest % radices[axis]
            rest /= radices[axis]
        }
        return out
    }

    public func index(of digits: [Int]) -> Int {
        var index = 0
        for axis in radices.indices { index = index * radices[axis] + digits[axis] }
        return index + offset
    }

    /// Candidates one step away on one axis.
    public func neighbours(of candidate: Int) -> [Int] {
        guard let d = digits(of: candidate) else { return [] }
        var out: [Int] = []
        for axis in radices.indices where radices[axis] > 1 {
            for step in [-1, 1] {
                let v = d[axis] + step
                guard v >= 0 && v < radices[axis] else { continue }
                var n = d
                n[axis] = v
                out.append(index(of: n))
            }
        }
        return out
    }
}

/// Hill climbing from a random start: score a random sample, then the one-step neighbours of the best candidates
/// found, until the best `beam` stop changing or `samples` are spent. Finds good corners of spaces far too large to
/// enumerate, with no guarantee: the plan says so.
public struct NeighbourhoodSearch: SearchStrategy {
    public let name = "neighbourhood"
    let axes: SpaceAxes
    let count: Int
    let samples: Int
    let beam: Int
    var start: RandomSearch
    var starting = true
    var seen: Set<Int> = []
    var best: [(index: Int, time: Double)] = []
    var expanded: Set<Int> = []
    var taken = 0

    /// - Parameters:
    ///   - samples: candidates to score in all.
    ///   - start: of which this many at random first.
    public init(space: CandidateSpace, samples: Int, start: Int, beam: Int = 16, seed: UInt64 = 1) {
        axes = SpaceAxes(space)
        count = space.count
        self.samples = min(samples, space.count)
        self.start = RandomSearch(count: space.count, samples: min(start, self.samples), seed: seed)
        self.beam = beam
    }

    public var wantsReports: Bool { true }

    public mutating func next(limit: Int) -> SearchBatch? {
        if starting {
            if let batch = start.next(limit: limit) {
                for position in 0..<batch.count { seen.insert(batch[position]) }
                taken += batch.count
                return batch
            }
            starting = false
        }
        guard taken < samples else { return nil }
        var frontier: [Int] = []
        for entry in best where !expanded.contains(entry.index) {
            expanded.insert(entry.index)
            for n in axes.neighbours(of: entry.index) where !seen.contains(n) {
                seen.insert(n)
                frontier.append(n)
                if frontier.count >= min(limit, samples - taken) { break }
            }
            if frontier.count >= min(limit, samples - taken) { break }
        }
        guard !frontier.isEmpty else { return nil }
        taken += frontier.count
        return .list(frontier)
    }

    public mutating func report(_ report: BatchReport) {
        best += report.feasible
        best.sort { $0.time < $1.time || ($0.time == $1.time && $0.index < $1.index) }
        if best.count > beam { best.removeLast(best.count - beam) }
    }

    public var skipped: [SkipGroup] {
        count > seen.count ? [SkipGroup(reason: "not reached by the neighbourhood search", count: count - seen.count)] : []
    }
}
