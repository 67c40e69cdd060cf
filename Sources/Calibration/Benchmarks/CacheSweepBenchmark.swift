import Devices
import Foundation
import MachineModel

/// Working-set sweep: read bandwidth against footprint, from a few KiB to well past the largest cache.
///
/// Every work-group reads the footprint from its own offset (see `KernelSources.sweep`), so a level's capacity
/// shows where the curve drops, for per-unit and device-wide caches alike. While the footprint is within 1.5x the
/// largest stated cache, every group reads all of it twice per launch, so the data stays resident when it fits;
/// beyond that, the groups together read it once. A level's capacity is the pointer chase's unless this curve has a
/// step for it nearer its stated size; its bandwidth is the median over footprints well inside it and at least a third
/// of its size (data spread over all of the level), divided by the unit count for per-unit levels.
struct CacheSweepBenchmark: Benchmark {
    let id = BenchmarkID.cacheSweep

    func measure(_ context: BenchmarkContext) throws {
        let settings = context.settings
        let width = settings.sweepVectorWidth
        let vectorBytes = 4 * width
        let local = settings.sweepLocalSize
        let groups = settings.sweepGroups
        // One work-item per group (CPUs) streams contiguously; groups of lanes (GPUs) read side by side.
        let kernel = try context.kernel(KernelSources.sweep, local == 1 ? "sweep_contiguous_float\(width)" : "sweep_float\(width)")
        let buffer = try context.randomBuffer(settings.sweepFootprints.max()!)
        let sink = try context.onesBuffer(64)
        for footprint in settings.sweepFootprints {
            let n = footprint / vectorBytes
            guard n >= 8 * local, n % 8 == 0 else { continue }
            let resident = Double(footprint) <= 1.5 * Double(settings.largestCache)
            let stride = max(1, n / groups)
            // Reads per work-item: while the footprint may fit in a cache, every group reads all of it twice, so that
            // the reuse distance is the footprint whatever the number of groups resident at once; past that, the
            // groups together cover it once.
            let minimum = resident ? (2 * n + local - 1) / local : (n + groups * local - 1) / (groups * local)
            func launch(_ reads: Int) throws -> Double {
                try context.device.launch(
                    kernel, global: [groups * local], local: [local],
                    arguments: [.buffer(buffer), .uint32(UInt32(n)), .uint32(UInt32(reads)), .uint32(UInt32(stride)), .buffer(sink)]
                ).device.base
            }
            let reads = try context.autoscale(start: minimum, multiple: 8, limit: Int(UInt32.max / 2), launch)
            let seconds = try context.sample { try launch(reads) }
            let bytes = Double(groups) * Double(local) * Double(reads) * Double(vectorBytes)
            let measurement = Measurement.rate(
                "footprint.\(footprint)",
                parameters: [("footprint_bytes", .int(footprint)), ("vector_width", .int(width)), ("local_size", .int(local)),
                             ("groups", .int(groups)), ("reads_per_work_item", .int(reads)), ("group_stride", .int(stride)),
                             ("bytes_read_per_sample", .number(bytes))],
                seconds: seconds, work: bytes, unit: "B/s")
            context.record(measurement)
            try SanityCheck.plausible(measurement.value, ceiling: PhysicalCeiling.onChipBandwidth, unit: "B/s", id: id,
                                      what: "read bandwidth at \(Bytes(footprint))")
        }
    }

    func fit(_ context: FitInput) throws -> BenchmarkFindings {
        let points = context.sized("footprint", parameter: "footprint_bytes").map { (footprint: $0.size, bandwidth: $0.measurement.value) }
        let knees = PlateauFinder.knees(
            footprints: points.map(\.footprint), values: points.map(\.bandwidth), rising: false,
            noise: PlateauFinder.noise(spreads: context.measurements.map(\.statistics.spread), values: points.map(\.bandwidth)))
        var findings = BenchmarkFindings(summary: "")
        findings.notes.append(knees.isEmpty ? "bandwidth steps: none found" : "bandwidth steps (capacity: bandwidth inside): "
            + knees.map { "\(Bytes($0.capacity)): \(BytesPerSecond(base: $0.inside.level))" }.joined(separator: "; "))

        // Capacities: the pointer chase's, unless this curve has a step for the level nearer its stated size. Either
        // curve can show extra steps (a TLB's reach, an L2 partition, another tenant's share of a cache); the
        // level's own capacity is the one a curve and the datasheet agree on.
        let caches = context.spec.memory.filter { $0.kind == .cache }
        var sizes: [String: Double] = [:]
        for level in caches {
            if let measured = context.earlierFit("memory.\(level.name).size") { sizes[level.name] = measured.value.base }
        }
        for (level, knee) in PlateauFinder.match(knees, to: caches.map { ($0, $0.size?.value.base ?? sizes[$0.name]) }) {
            guard let knee else { continue }
            let own = Double(knee.capacity)
            if let chased = sizes[level.name] {
                guard let stated = level.size?.value.base, abs(log2(own / stated)) < abs(log2(chased / stated)) else { continue }
                findings.notes.append("\(level.name): the bandwidth step at \(Bytes(knee.capacity)) is nearer the stated \(Bytes(base: stated)) than the latency step at \(Bytes(base: chased))")
            }
            sizes[level.name] = own
            findings.fits.append(FieldFit(
                path: "memory.\(level.name).size", value: .size(Bytes(knee.capacity)), benchmark: id.rawValue,
                basis: "bandwidth step from \(BytesPerSecond(base: knee.inside.level)) to \(BytesPerSecond(base: knee.beyond.level)), crossing their geometric midpoint"))
        }

        // Bandwidths: the median over footprints well inside each cache level, per instance.
        let units = Double(context.spec.compute.unitCount.value)
        var summary: [String] = []
        let hierarchy = context.spec.memory.filter { $0.kind == .cache || $0.kind == .dram }
        for (level, range) in PlateauFinder.insideRanges(hierarchy.map { ($0, sizes[$0.name] ?? $0.size?.value.base) }) {
            let inside = range.map { r in points.filter { r.contains(Double($0.footprint)) }.map(\.bandwidth) } ?? []
            guard let range, !inside.isEmpty else {
                findings.notes.append("\(level.name): no footprint well inside the level; bandwidth not fitted")
                continue
            }
            // A cache's figure is what data filling it sees: the footprints that spread over all of it, if any. The
            // level is the larger of the chased and the stated size: a lone walker may see only the near partition
            // (the H200's chase steps at 32 MiB of its 60 MB L2, whose far half is as slow as HBM to one walker while
            // the sweep, all units reading, still runs at L2 rates at 48 MiB).
            var spread: [Double] = []
            if level.kind == .cache, let size = [sizes[level.name], level.size?.value.base].compactMap({ $0 }).max(),
               let outer = PlateauFinder.spreadRange(of: range, size: size) {
                spread = points.filter { outer.contains(Double($0.footprint)) }.map(\.bandwidth)
            }
            let used = spread.isEmpty ? inside : spread
            let aggregate = median(used)
            summary.append("\(level.name) \(BytesPerSecond(base: aggregate))")
            guard level.kind == .cache else {
                findings.notes.append("\(level.name): \(BytesPerSecond(base: aggregate)) by this sweep; the stream benchmark fits its bandwidth")
                continue
            }
            let perInstance = level.scope == .unit ? aggregate / units : aggregate
            let path = "memory.\(level.name).bandwidth"
            try SanityCheck.notAboveSpec(perInstance, path: path, in: context.spec, id: id,
                                         what: "\(level.name) read bandwidth\(level.scope == .unit ? " per \(context.spec.compute.unitName)" : "")")
            findings.fits.append(FieldFit(
                path: path, value: .bandwidth(BytesPerSecond(base: perInstance)), benchmark: id.rawValue,
                basis: "median over \(used.count) footprint(s) well inside the level\(spread.isEmpty ? "" : " from a third of its size"), all units reading"
                    + (level.scope == .unit ? ", divided by \(Int(units)) \(context.spec.compute.unitName)s" : "")))
        }
        findings.summary = summary.isEmpty ? "no level bandwidth fitted" : summary.joined(separator: ", ")
        return findings
    }
}
