import Devices
import MachineModel

/// Device-memory bandwidth: read, write, copy and triad over arrays well past the largest cache, one vector element
/// per work-item, for several vector widths. A sample is as many back-to-back launches as fill the sample target;
/// its time is the sum of their device times. The best median over kernels and widths becomes the device memory's
/// bandwidth (bytes counted as the kernel moves them: copy counts read plus write).
struct StreamBenchmark: Benchmark {
    let id = BenchmarkID.stream

    enum Operation: String, CaseIterable {
        case read, write, copy, triad
        /// Arrays of the working size each launch moves.
        var arraysMoved: Int { switch self { case .read, .write: 1; case .copy: 2; case .triad: 3 } }
    }

    func measure(_ context: BenchmarkContext) throws {
        let settings = context.settings
        let bytes = settings.streamBytes
        let a = try context.randomBuffer(bytes)
        let b = try context.randomBuffer(bytes)
        let c = try context.randomBuffer(bytes)
        let sink = try context.onesBuffer(64)

        for operation in Operation.allCases {
            for width in settings.streamWidths {
                let type = width == 1 ? "float" : "float\(width)"
                let kernel = try context.kernel(KernelSources.stream, "stream_\(operation.rawValue)_\(type)")
                let items = bytes / (4 * width)
                let local: [Int]? = settings.isGPU && items % 256 == 0 && context.info.maxWorkGroupSize >= 256 ? [256] : nil
                let arguments: [KernelArgument] = switch operation {
                case .read: [.buffer(a), .buffer(sink)]
                case .write: [.buffer(a), .float(1)]
                case .copy: [.buffer(a), .buffer(c)]
                case .triad: [.buffer(a), .buffer(b), .buffer(c), .float(0.5)]
                }
                func once() throws -> Double {
                    try context.device.launch(kernel, global: [items], local: local, arguments: arguments).device.base
                }
                _ = try once()
                let single = try median((0..<3).map { _ in try once() })
                let repeats = max(1, Int((context.target / max(single, 1e-9)).rounded(.up)))
                let seconds = try context.sample { try (0..<repeats).reduce(0.0) { sum, _ in sum + (try once()) } }
                let moved = Double(bytes * operation.arraysMoved * repeats)
                let measurement = Measurement.rate(
                    "\(operation.rawValue).\(type)",
                    parameters: [("array_bytes", .int(bytes)), ("vector_width", .int(width)), ("work_items", .int(items)),
                                 ("local_size", local.map { .int($0[0]) } ?? .null), ("launches_per_sample", .int(repeats)),
                                 ("bytes_counted_per_sample", .number(moved))],
                    seconds: seconds, work: moved, unit: "B/s")
                context.record(measurement)
                try SanityCheck.plausible(measurement.value, ceiling: PhysicalCeiling.deviceMemoryBandwidth, unit: "B/s",
                                          id: id, what: "\(operation.rawValue) bandwidth (\(type))")
            }
        }
    }

    func fit(_ context: FitInput) throws -> BenchmarkFindings {
        var best: [Operation: Measurement] = [:]
        for measurement in context.measurements {
            guard let operation = measurement.name.split(separator: ".").first.flatMap({ Operation(rawValue: String($0)) }) else { continue }
            if measurement.value > best[operation]?.value ?? 0 { best[operation] = measurement }
        }
        guard let top = best.values.max(by: { $0.value < $1.value }) else {
            throw CalibrationError(.benchmarkFailed(id.rawValue), "stream: no kernel ran")
        }
        var findings = BenchmarkFindings(summary: Operation.allCases.compactMap { op in
            best[op].map { "\(op.rawValue) \($0.text)" }
        }.joined(separator: ", ") + " (best \(top.name))")
        if let dram = context.spec.deviceMemory {
            let path = "memory.\(dram.name).bandwidth"
            try SanityCheck.notAboveSpec(top.value, path: path, in: context.spec, id: id, what: "\(top.name) bandwidth")
            findings.fits.append(FieldFit(
                path: path, value: .bandwidth(BytesPerSecond(base: top.value)), benchmark: id.rawValue,
                basis: "best median of read, write, copy and triad over vector widths: \(top.name), \(Bytes(top.int("array_bytes") ?? 0)) arrays"))
        }
        return findings
    }
}
