import Devices
import Foundation
import MachineModel

/// Load-to-use latency per level: one work-item follows a random cyclic permutation of a footprint's lines.
///
/// Each hop reads one line (the line size is the largest the spec machine or device states), chosen at random so
/// that no prefetcher helps; each launch goes on from where the last one stopped, so the walk keeps reaching new
/// lines. A footprint is warmed by one walk of its whole cycle; the time per hop is taken from pairs of launches of
/// h and 2h hops, (t(2h) - t(h)) / h, which cancels the launch's own fixed cost.
/// The latency curve's steps are the cache capacities (the classic lat_mem_rd method): each step is paired with the
/// spec machine's cache level of nearest size (within 4x). A level's latency is the median over footprints well
/// inside it: above twice the next-inner level's size and at most 3/4 of its own; device memory's over footprints
/// from 3x the last cache. Random hops also miss the TLB once the footprint passes its reach (CPU devices get huge
/// pages to push it out), which adds a step of its own; pairing by size, and the cache sweep taking over a level
/// whose own step lies nearer its stated size, keep such steps from being taken for a cache.
struct PointerChaseBenchmark: Benchmark {
    let id = BenchmarkID.pointerChase

    func measure(_ context: BenchmarkContext) throws {
        let settings = context.settings
        let line = settings.chaseLineSize
        let wordsPerLine = line / 4
        let largest = settings.chaseFootprints.max()!
        let kernel = try context.kernel(KernelSources.chase, "chase")
        let buffer = try context.device.allocate(byteCount: largest)
        let position = try context.device.allocate(byteCount: 64)
        var words = [UInt32](repeating: 0, count: largest / 4)

        for footprint in settings.chaseFootprints {
            let lines = footprint / line
            guard lines >= 8 else { continue }
            var random = SplitMix64(seed: UInt64(footprint))
            var order = Array(0..<lines)
            // Sattolo's algorithm: a uniformly random permutation that is one single cycle.
            for i in stride(from: lines - 1, to: 0, by: -1) {
                order.swapAt(i, Int(random.next() % UInt64(i)))
            }
            for k in 0..<lines {
                words[order[k] * wordsPerLine] = UInt32(order[(k + 1) % lines] * wordsPerLine)
            }
            // The walk starts at word 0 (line 0 is on the cycle like every other line) and goes on across launches.
            _ = try context.device.write(position, [UInt32(0)])
            let result: Result<TransferTiming, DeviceError> = words.withUnsafeBytes { bytes in
                do throws(DeviceError) {
                    return .success(try context.device.write(buffer, offset: 0, from: UnsafeRawBufferPointer(rebasing: bytes[0..<footprint])))
                } catch { return .failure(error) }
            }
            _ = try result.get()

            func launch(_ hops: Int) throws -> Double {
                try context.device.launch(kernel, global: [1], local: [1],
                                          arguments: [.buffer(buffer), .uint32(UInt32(hops)), .buffer(position)]).device.base
            }
            let fits = Double(footprint) <= 2 * Double(settings.largestCache)
            _ = try launch(BenchmarkContext.roundUp(fits ? min(lines, 1 << 22) : 1024, 8))
            let hops = try context.autoscale(start: 1024, multiple: 8, limit: Int(UInt32.max / 4), launch)
            let perHop = try context.repeatWhileNoisy {
                let short = try launch(hops)
                let long = try launch(2 * hops)
                return max(long - short, 0) / Double(hops)
            }
            let measurement = Measurement.time(
                "footprint.\(footprint)",
                parameters: [("footprint_bytes", .int(footprint)), ("line_bytes", .int(line)), ("lines", .int(lines)),
                             ("hops", .int(hops))],
                seconds: perHop)
            context.record(measurement)
            guard measurement.value > 1e-11, measurement.value < 1e-4 else {
                throw CalibrationError(.benchmarkFailed(id.rawValue),
                    "pointer-chase: \(measurement.text) per hop at \(Bytes(footprint)) is outside 10 ps to 100 us; the timing is broken")
            }
        }
    }

    func fit(_ context: FitInput) throws -> BenchmarkFindings {
        let points = context.sized("footprint", parameter: "footprint_bytes").map { (footprint: $0.size, latency: $0.measurement.value) }
        var findings = BenchmarkFindings(summary: "")
        let knees = PlateauFinder.knees(
            footprints: points.map(\.footprint), values: points.map(\.latency), rising: true,
            noise: PlateauFinder.noise(spreads: context.measurements.map(\.statistics.spread), values: points.map(\.latency)))
        findings.notes.append("latency steps (capacity: latency inside): "
            + knees.map { "\(Bytes($0.capacity)): \(Seconds(base: $0.inside.level))" }.joined(separator: "; "))

        // Capacities: latency knees paired with the spec machine's cache levels by size.
        let caches = context.spec.memory.filter { $0.kind == .cache }
        var sizes: [String: Double] = [:]
        for (level, knee) in PlateauFinder.match(knees, to: caches.map { ($0, $0.size?.value.base) }) {
            guard let knee else {
                findings.notes.append("\(level.name): no latency step near \(level.size.map { "\($0.value)" } ?? "an unstated size")")
                continue
            }
            sizes[level.name] = Double(knee.capacity)
            // A device-wide cache whose far partition the walk still finds faster than the next level: the step was
            // its near partition (the H200's chase leaves 145 ns at 32 MiB, runs 269 ns at 48 MiB, 342 ns at 64
            // MiB). The level's size is where the walk reaches the next level; latencies stay the near partition's.
            if level.scope == .device, let reach = PlateauFinder.reach(
                of: knee, footprints: points.map(\.footprint), values: points.map(\.latency)) {
                findings.notes.append("\(level.name): the latency step at \(Bytes(knee.capacity)) is its near partition; the walk reaches \(Seconds(base: knee.beyond.level)) at \(Bytes(reach))")
                findings.fits.append(FieldFit(
                    path: "memory.\(level.name).size", value: .size(Bytes(reach)), benchmark: id.rawValue,
                    basis: "latency within 10% of \(Seconds(base: knee.beyond.level)) from here (a near-partition step from \(Seconds(base: knee.inside.level)) at \(Bytes(knee.capacity)))"))
                continue
            }
            findings.fits.append(FieldFit(
                path: "memory.\(level.name).size", value: .size(Bytes(knee.capacity)), benchmark: id.rawValue,
                basis: "latency step from \(Seconds(base: knee.inside.level)) to \(Seconds(base: knee.beyond.level)), crossing their geometric midpoint"))
        }

        // Latencies: the median over footprints well inside each level (sizes as just measured, else as stated).
        let hierarchy = context.spec.memory.filter { $0.kind == .cache || $0.kind == .dram }
        var summary: [String] = []
        for (level, range) in PlateauFinder.insideRanges(hierarchy.map { ($0, sizes[$0.name] ?? $0.size?.value.base) }) {
            let inside = range.map { r in points.filter { r.contains(Double($0.footprint)) }.map(\.latency) } ?? []
            guard !inside.isEmpty else {
                findings.notes.append("\(level.name): no footprint well inside the level; latency not fitted")
                continue
            }
            let latency = median(inside)
            summary.append("\(level.name) \(Seconds(base: latency))" + (sizes[level.name].map { " (\(Bytes(Int($0))))" } ?? ""))
            findings.fits.append(FieldFit(
                path: "memory.\(level.name).latency", value: .time(Seconds(base: latency)), benchmark: id.rawValue,
                basis: "median over \(inside.count) footprint(s) well inside the level"))
        }
        let latencies = findings.fits.filter { $0.path.hasSuffix(".latency") }.map(\.value.base)
        if let first = latencies.first, let last = latencies.last, latencies.count >= 2, last < first {
            throw CalibrationError(.benchmarkFailed(id.rawValue),
                "pointer-chase: the outermost level's latency \(Seconds(base: last)) is below the innermost's \(Seconds(base: first)); the walk did not miss where it should")
        }
        findings.summary = summary.isEmpty ? "no level latency fitted" : summary.joined(separator: ", ")
        return findings
    }
}

/// A small, fast, seedable generator (Steele, Lea and Flood's SplitMix64), so every run walks the same cycles.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
