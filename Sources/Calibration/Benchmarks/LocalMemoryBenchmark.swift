import Devices
import MachineModel

/// Local (shared) memory bandwidth: work-groups read a tile of local memory over and over, lanes side by side.
///
/// The aggregate over the device is divided by the spec machine's unit count and fitted to its scratchpad level,
/// when it has one and the device's local memory is on chip. Runtimes that emulate local memory in global memory
/// (CPU devices) are measured and reported, not fitted.
struct LocalMemoryBenchmark: Benchmark {
    let id = BenchmarkID.localMemory

    func measure(_ context: BenchmarkContext) throws {
        let settings = context.settings
        let local = settings.localLocalSize
        let groups = settings.localGroups
        let tileVectors = settings.localTileBytes / 16
        let kernel = try context.kernel(KernelSources.local, "local_read")
        let sink = try context.onesBuffer(64)
        func launch(_ iterations: Int) throws -> Double {
            try context.device.launch(
                kernel, global: [groups * local], local: [local],
                arguments: [.buffer(sink), .uint32(UInt32(iterations)), .uint32(UInt32(tileVectors - 1)),
                            .local(byteCount: settings.localTileBytes)]
            ).device.base
        }
        let iterations = try context.autoscale(start: 64, multiple: 8, limit: Int(UInt32.max / 2), launch)
        let seconds = try context.sample { try launch(iterations) }
        let bytes = Double(groups) * Double(local) * Double(iterations) * 4 * 16
        let measurement = Measurement.rate(
            "read.float4",
            parameters: [("local_size", .int(local)), ("groups", .int(groups)), ("tile_bytes", .int(settings.localTileBytes)),
                         ("iterations", .int(iterations)), ("bytes_read_per_sample", .number(bytes)),
                         ("dedicated", .bool(context.info.localMemoryIsDedicated))],
            seconds: seconds, work: bytes, unit: "B/s")
        context.record(measurement)
        try SanityCheck.plausible(measurement.value, ceiling: PhysicalCeiling.onChipBandwidth, unit: "B/s", id: id,
                                  what: "local-memory read bandwidth")
    }

    func fit(_ context: FitInput) throws -> BenchmarkFindings {
        guard let measurement = context.measurements.first(where: { $0.name == "read.float4" }) else {
            throw CalibrationError(.benchmarkFailed(id.rawValue), "local-memory: the read.float4 measurement is missing")
        }
        let units = Double(context.spec.compute.unitCount.value)
        let perUnit = measurement.value / units
        var findings = BenchmarkFindings(
            summary: "\(measurement.text) over the device, \(BytesPerSecond(base: perUnit)) per \(context.spec.compute.unitName)")
        if !context.localMemoryIsDedicated {
            findings.notes.append("local memory is emulated in global memory on this device; not fitted")
        } else if let scratchpad = context.spec.memory.first(where: { $0.kind == .scratchpad }) {
            let path = "memory.\(scratchpad.name).bandwidth"
            let perInstance = scratchpad.scope == .unit ? perUnit : measurement.value
            try SanityCheck.notAboveSpec(perInstance, path: path, in: context.spec, id: id, what: "local-memory bandwidth")
            findings.fits.append(FieldFit(
                path: path, value: .bandwidth(BytesPerSecond(base: perInstance)), benchmark: id.rawValue,
                basis: "median of \(measurement.samples.count) samples" + (scratchpad.scope == .unit ? ", divided by \(Int(units)) units" : "")))
        } else {
            findings.notes.append("\(context.spec.name) has no scratchpad level (shared memory may be part of a cache level); not fitted")
        }
        return findings
    }
}
