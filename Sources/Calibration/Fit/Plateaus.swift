import Foundation
import MachineModel

/// Footprints over which one level of the hierarchy serves the accesses: a flat stretch of a sweep's curve.
struct Plateau: Sendable, Hashable {
    /// Indices into the curve, inclusive.
    var first: Int
    var last: Int
    /// Median of the curve's values over the stretch.
    var level: Double
}

/// A capacity found where the curve leaves one plateau for the next.
struct Knee: Sendable, Hashable {
    /// The footprint (bytes) where the curve crosses the geometric midpoint of `inside` and `beyond`.
    var capacity: Int
    /// The plateau inside the capacity (the level whose size this is) and the one beyond it.
    var inside: Plateau
    var beyond: Plateau
}

/// Finds plateaus and knees in a curve of values (bandwidth or latency) against growing footprints.
///
/// The curve is smoothed by a running median of three, taken in log space and cut into piecewise-constant stretches
/// of at least two points by dynamic programming. A stretch costs the squared log deviations of its points from their
/// median, each capped at (4 noise)^2 (a point between two plateaus is one misfit, however far); the number of
/// stretches minimizes n ln(cost / n) + 3 k ln(n), with cost / n floored at noise^2. The noise comes from the
/// measurements (`noise(spreads:values:)`), within 1 % and 10 %: noise does not make plateaus, and a quiet device's
/// small steps (the H100's far L2 partition) are still seen. Neighbours whose levels differ
/// by less than `minimumStep` are merged.
/// A knee's capacity is where the curve crosses the geometric midpoint between one plateau and the next.
enum PlateauFinder {
    static let minimumStep = 0.15

    /// A running median of three (the ends: the median of the first or last three), which removes single outliers
    /// (a sample disturbed by another process) without moving a step.
    static func smoothed(_ values: [Double]) -> [Double] {
        guard values.count >= 3 else { return values }
        var out = values
        for i in 1..<(values.count - 1) { out[i] = median(Array(values[(i - 1)...(i + 1)])) }
        out[0] = median(Array(values[0...2]))
        out[values.count - 1] = median(Array(values[(values.count - 3)...]))
        return out
    }

    /// Plateaus of a curve; `rising` for latencies (which grow outward), false for bandwidths (which fall).
    static func plateaus(_ values: [Double], rising: Bool, noise: Double = 0.03) -> [Plateau] {
        let n = values.count
        guard n >= 4, values.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            return n == 0 ? [] : [Plateau(first: 0, last: n - 1, level: median(values))]
        }
        let y = values.map { rising ? -log($0) : log($0) }
        // A segment's cost: squared log deviations from its median, each capped at (4 noise)^2, so that a point in
        // a transition between plateaus costs no more than any other misfit and does not hide a real step elsewhere.
        let cap = (4 * noise) * (4 * noise)
        var costs = Array(repeating: Array(repeating: 0.0, count: n), count: n)
        for i in 0..<n {
            for j in (i + 1)..<n {
                let segment = Array(y[i...j])
                let center = median(segment)
                costs[i][j] = segment.reduce(0) { $0 + min(($1 - center) * ($1 - center), cap) }
            }
        }
        func cost(_ i: Int, _ j: Int) -> Double { costs[i][j] }
        let maxSegments = n / 2
        let infinity = Double.infinity
        // best[k][j]: least cost of cutting y[0...j] into k segments; from[k][j]: start of the last one.
        var best = Array(repeating: Array(repeating: infinity, count: n), count: maxSegments + 1)
        var from = Array(repeating: Array(repeating: 0, count: n), count: maxSegments + 1)
        for j in 1..<n { best[1][j] = cost(0, j) }
        if maxSegments >= 2 {
            for k in 2...maxSegments {
                for j in (2 * k - 1)..<n {
                    for i in (2 * (k - 1))...(j - 1) where best[k - 1][i - 1] < infinity {
                        let total = best[k - 1][i - 1] + cost(i, j)
                        if total < best[k][j] {
                            best[k][j] = total
                            from[k][j] = i
                        }
                    }
                }
            }
        }
        let floor = noise * noise
        var chosen = 1
        var bestScore = infinity
        for k in 1...maxSegments where best[k][n - 1] < infinity {
            let score = Double(n) * log(max(best[k][n - 1] / Double(n), floor)) + 3 * Double(k) * log(Double(n))
            if score < bestScore {
                bestScore = score
                chosen = k
            }
        }
        var cuts: [(Int, Int)] = []
        var end = n - 1
        for k in stride(from: chosen, through: 1, by: -1) {
            let start = k == 1 ? 0 : from[k][end]
            cuts.insert((start, end), at: 0)
            end = start - 1
        }
        var plateaus = cuts.map { Plateau(first: $0.0, last: $0.1, level: median(Array(values[$0.0...$0.1]))) }
        // Merge neighbours that are not a real step apart.
        var merged = true
        while merged {
            merged = false
            for index in 0..<(plateaus.count - 1) {
                let a = plateaus[index], b = plateaus[index + 1]
                if abs(log(a.level / b.level)) < log(1 + minimumStep) {
                    plateaus[index] = Plateau(first: a.first, last: b.last, level: median(Array(values[a.first...b.last])))
                    plateaus.remove(at: index + 1)
                    merged = true
                    break
                }
            }
        }
        return plateaus
    }

    /// Knees between consecutive plateaus that step the expected way (bandwidth down, latency up).
    ///
    /// The capacity is where the curve crosses the geometric midpoint of the two plateaus, interpolated in log space
    /// between the last footprint short of it and the first past it. Real caches step gradually (a cache at its
    /// capacity already misses a little, at twice its capacity still hits some), and the midpoint is where half the
    /// step is done; on the H100 the latency and bandwidth curves put the L1 at the same 208 KiB this way. A step
    /// that is sharp between two sampled footprints comes out between them (up to 1.41x high on a 2x grid).
    static func knees(footprints: [Int], values raw: [Double], rising: Bool, noise: Double = 0.03) -> [Knee] {
        let values = smoothed(raw)
        let found = plateaus(values, rising: rising, noise: noise)
        var knees: [Knee] = []
        for (inside, beyond) in zip(found, found.dropFirst()) {
            let worse = rising ? beyond.level > inside.level : beyond.level < inside.level
            guard worse else { continue }
            let threshold = (inside.level * beyond.level).squareRoot()
            func past(_ index: Int) -> Bool { rising ? values[index] > threshold : values[index] < threshold }
            guard let firstPast = ((inside.first + 1)...beyond.last).first(where: { past($0) && !past($0 - 1) && $0 > inside.first }) else {
                continue
            }
            let capacity = crossing(threshold, footprints: footprints, values: values, after: firstPast)
            knees.append(Knee(capacity: roundCapacity(capacity), inside: inside, beyond: beyond))
        }
        return knees
    }

    /// Where a walk reaches the latency of the plateau beyond a knee, if it gets there only later than the knee: a
    /// device-wide cache split in partitions (Hopper's L2) is left first by its near partition, and a walk from
    /// one unit reaches device memory's latency only past the far one. Reached means within 10% of that plateau
    /// (its own points scatter about that much); the capacity is where the curve crosses that line, in log space.
    /// Nil when the first footprint past the knee is already there.
    static func reach(of knee: Knee, footprints: [Int], values raw: [Double]) -> Int? {
        let values = smoothed(raw)
        let line = 0.9 * knee.beyond.level
        guard let firstThere = footprints.indices.first(where: { footprints[$0] > knee.capacity && values[$0] >= line }),
              firstThere > 0, footprints[firstThere - 1] > knee.capacity, values[firstThere - 1] < line
        else { return nil }
        return roundCapacity(crossing(line, footprints: footprints, values: values, after: firstThere))
    }

    /// The footprint where the curve crosses `line` between the point before `after` and `after`, interpolated in
    /// log space (midway when the two points are level).
    private static func crossing(_ line: Double, footprints: [Int], values: [Double], after: Int) -> Double {
        let before = after - 1
        let span = log(values[after]) - log(values[before])
        let fraction = span != 0 ? min(max((log(line) - log(values[before])) / span, 0), 1) : 0.5
        return Double(footprints[before]) * pow(Double(footprints[after]) / Double(footprints[before]), fraction)
    }

    /// The noise level of a curve for `plateaus`: the larger of half the median relative spread of its points'
    /// samples and the point-to-point scatter of the (smoothed) curve itself (the median absolute difference of
    /// neighbours in log space, scaled to a standard deviation), kept within 1 % and 10 %. The second catches curves
    /// whose samples agree but whose footprints do not (the H100's L2 bandwidth swings 12 % from one to the next).
    static func noise(spreads: [Double], values: [Double]) -> Double {
        guard !spreads.isEmpty, values.count >= 2, values.allSatisfy({ $0 > 0 }) else { return 0.03 }
        let logs = smoothed(values).map { log($0) }
        let scatter = median(zip(logs, logs.dropFirst()).map { abs($1 - $0) }) * 1.4826 / 2.0.squareRoot()
        return min(max(median(spreads) / 2, scatter, 0.01), 0.10)
    }

    /// A capacity rounded to an eighth of the power of two below it (704 KiB, not 708.53 KiB): the curve's
    /// resolution is far coarser than that.
    static func roundCapacity(_ bytes: Double) -> Int {
        guard bytes >= 8 else { return max(Int(bytes.rounded()), 1) }
        let step = pow(2, (log2(bytes)).rounded(.down)) / 8
        return Int((bytes / step).rounded() * step)
    }

    /// Pairs cache levels (innermost first) with knees, in order: the nearest knee within 4x of a level's expected
    /// size, or the next knee for a level without one. Knees nowhere near a level (a TLB's reach, say) stay unpaired.
    static func match(_ knees: [Knee], to levels: [(level: MemoryLevel, expected: Double?)]) -> [(level: MemoryLevel, knee: Knee?)] {
        var pairs: [(level: MemoryLevel, knee: Knee?)] = []
        var next = 0
        for (level, expected) in levels {
            guard next < knees.count else {
                pairs.append((level, nil))
                continue
            }
            if let expected, expected > 0 {
                func distance(_ index: Int) -> Double { abs(log2(Double(knees[index].capacity) / expected)) }
                let candidates = knees.indices.filter { $0 >= next && distance($0) <= 2 }
                if let index = candidates.min(by: { distance($0) < distance($1) }) {
                    pairs.append((level, knees[index]))
                    next = index + 1
                } else {
                    pairs.append((level, nil))
                }
            } else {
                pairs.append((level, knees[next]))
                next += 1
            }
        }
        return pairs
    }

    /// For each level of a hierarchy (cache and dram levels, innermost first, with their sizes), the footprints that
    /// lie well inside it: above twice the next-inner level's size and at most 3/4 of its own; for device memory,
    /// from 3x the last cache's size. A level without a size (or below twice the next-inner one) gets no range and ends
    /// the chain.
    static func insideRanges(_ levels: [(level: MemoryLevel, size: Double?)]) -> [(level: MemoryLevel, range: ClosedRange<Double>?)] {
        var previous = 0.0
        var ranges: [(level: MemoryLevel, range: ClosedRange<Double>?)] = []
        var broken = false
        for (level, size) in levels {
            if broken {
                ranges.append((level, nil))
            } else if level.kind == .dram {
                ranges.append((level, (3 * previous)...Double.greatestFiniteMagnitude))
            } else if let size, size > 2 * previous {
                // A measured size under 8/3 of the level inside it leaves no footprint well inside: no range, but the
                // chain goes on from its size.
                let low = (2 * previous).nextUp, high = 0.75 * size
                ranges.append((level, low <= high ? low...high : nil))
                previous = size
            } else {
                ranges.append((level, nil))
                broken = true
            }
        }
        return ranges
    }

    /// The part of a level's inside range from a third of its size: footprints that spread over the whole level.
    /// A level built of partitions (the H100's L2: two of about 25 MiB, each keeping copies of what its SMs read)
    /// serves a small footprint from the near one; a kernel whose data fills the level (GEMM panels, a stream
    /// through L2) reads both, at the lower bandwidth (H100: 9.3-9.7 TB/s from 24 MiB, 12.5-15.9 TB/s below).
    /// Nil when no part of the range lies there.
    static func spreadRange(of range: ClosedRange<Double>, size: Double) -> ClosedRange<Double>? {
        let low = max(range.lowerBound, size / 3)
        return low <= range.upperBound ? low...range.upperBound : nil
    }
}
