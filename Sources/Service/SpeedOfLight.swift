import MachineModel
import Workloads

/// The least time a problem can take on a machine: its FLOPs at the fastest stated rate for its number format, or
/// its compulsory bytes at the device memory's bandwidth, whichever is longer. No schedule can beat it; a verified
/// time under it means the measurement or the machine file is wrong.
struct SpeedOfLight {
    var work: ProblemWork
    var machine: Machine

    /// The fastest unit stated for the format (matrix units only where the problem's products can use them).
    var compute: (rate: Double, unit: String, provenance: String)? {
        let units: [ExecutionUnit] = work.matrixCapable ? [.matrix, .vector] : [.vector]
        let precisions: [Precision] = work.dtype == .fp32 && work.matrixCapable ? [.fp32, .tf32] : [work.dtype.precision]
        var best: (Double, String, String)?
        for unit in units {
            for precision in precisions {
                guard let peak = machine.compute.peak(unit, precision), peak.value.base > 0 else { continue }
                if best == nil || peak.value.base > best!.0 {
                    best = (peak.value.base, "\(unit.rawValue) \(precision.rawValue)", peak.provenance.key)
                }
            }
        }
        return best.map { (rate: $0.0, unit: $0.1, provenance: $0.2) }
    }

    var memory: (bandwidth: Double, level: String, provenance: String)? {
        guard let level = machine.deviceMemory, let bandwidth = level.bandwidth, bandwidth.value.base > 0 else { return nil }
        return (bandwidth.value.base, level.name, bandwidth.provenance.key)
    }

    var json: JSONValue {
        let computeTime = compute.map { work.flops / $0.rate }
        let memoryTime = memory.map { work.compulsoryBytes / $0.bandwidth }
        let bound = [computeTime, memoryTime].compactMap { $0 }.max()
        let limiter: String
        switch (computeTime, memoryTime) {
        case let (c?, m?): limiter = c >= m ? "compute" : "memory"
        case (.some, nil): limiter = "compute"
        case (nil, .some): limiter = "memory"
        case (nil, nil): limiter = "unknown"
        }
        var sentence = "no stated peak rate or device-memory bandwidth: no bound"
        if let bound {
            sentence = "at least \(Seconds(base: bound)): " + (limiter == "compute"
                ? "\(formatSignificant(work.flops / 1e9)) GFLOP at \(OpsPerSecond(base: compute!.rate)) (\(compute!.unit))"
                : "\(Bytes(base: work.compulsoryBytes)) at \(BytesPerSecond(base: memory!.bandwidth)) (\(memory!.level))")
        }
        return .object([
            ("machine", .string(machine.name)), ("bound_s", bound.map(JSONValue.number) ?? .null),
            ("limited_by", .string(limiter)), ("sentence", .string(sentence)),
            ("flops", .number(work.flops)), ("compulsory_bytes", .number(work.compulsoryBytes)),
            ("compute_s", computeTime.map(JSONValue.number) ?? .null),
            ("compute_rate", compute.map { .object([("ops_per_s", .number($0.rate)), ("unit", .string($0.unit)), ("provenance", .string($0.provenance))]) } ?? .null),
            ("memory_s", memoryTime.map(JSONValue.number) ?? .null),
            ("memory_bandwidth", memory.map { .object([("bytes_per_s", .number($0.bandwidth)), ("level", .string($0.level)), ("provenance", .string($0.provenance))]) } ?? .null),
            ("intensity_flop_per_byte", .number(work.compulsoryBytes > 0 ? work.flops / work.compulsoryBytes : 0)),
        ])
    }
}
