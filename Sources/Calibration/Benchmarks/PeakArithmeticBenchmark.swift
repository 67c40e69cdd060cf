import Devices
import MachineModel

/// Peak vector arithmetic per precision the device supports (fp32; fp64 with cl_khr_fp64; fp16 with cl_khr_fp16):
/// eight independent FMA chains per work-item on vectors of several widths, enough work-items to fill every unit.
/// The best width's median becomes `compute.peak.vector.PRECISION` (an FMA counts as two operations).
struct PeakArithmeticBenchmark: Benchmark {
    let id = BenchmarkID.peakArithmetic

    func measure(_ context: BenchmarkContext) throws {
        let settings = context.settings
        for precision in settings.arithmeticPrecisions {
            let options: String = switch precision {
            case .fp64: "-DREAL=double -DUSE_FP64"
            case .fp16: "-DREAL=half -DUSE_FP16"
            default: "-DREAL=float"
            }
            for width in settings.arithmeticWidths {
                let kernel = try context.kernel(KernelSources.fma, "fma_\(width)", options: options)
                let global = settings.arithmeticGlobal
                let sink = try context.device.allocate(byteCount: global * width * Int(precision.elementBytes))
                func launch(_ iterations: Int) throws -> Double {
                    try context.device.launch(
                        kernel, global: [global], local: settings.arithmeticLocal.map { [$0] },
                        arguments: [.buffer(sink), .uint32(UInt32(iterations)), .float(0.999), .float(0.001)]
                    ).device.base
                }
                let iterations = try context.autoscale(start: 16, multiple: 4, limit: Int(UInt32.max / 2), launch)
                let seconds = try context.sample { try launch(iterations) }
                let operations = Double(global) * Double(iterations) * 32 * Double(width) * 2
                let measurement = Measurement.rate(
                    "\(precision.rawValue).width\(width)",
                    parameters: [("precision", .string(precision.rawValue)), ("vector_width", .int(width)),
                                 ("work_items", .int(global)), ("local_size", settings.arithmeticLocal.map(JSONValue.int) ?? .null),
                                 ("iterations", .int(iterations)), ("chains", .int(8)), ("operations_per_sample", .number(operations))],
                    seconds: seconds, work: operations, unit: "FLOP/s")
                context.record(measurement)
                let ceiling = context.info.maxClock.map {
                    Double(context.info.computeUnits) * $0.base * PhysicalCeiling.operationsPerClockPerUnit
                } ?? 1e16
                try SanityCheck.plausible(measurement.value, ceiling: ceiling, unit: "FLOP/s", id: id,
                                          what: "\(precision.rawValue) FMA rate (width \(width))")
            }
        }
    }

    func fit(_ context: FitInput) throws -> BenchmarkFindings {
        var findings = BenchmarkFindings(summary: "")
        var summary: [String] = []
        // Measurements are named `<precision>.width<N>`, the precisions in the order they ran.
        var precisions: [String] = []
        for m in context.measurements {
            if let p = m.name.split(separator: ".").first.map(String.init), !precisions.contains(p) { precisions.append(p) }
        }
        for precision in precisions {
            let widths = context.measurements.filter { $0.name.hasPrefix(precision + ".") }
            guard let best = widths.max(by: { $0.value < $1.value }) else { continue }
            let path = "compute.peak.vector.\(precision)"
            try SanityCheck.notAboveSpec(best.value, path: path, in: context.spec, id: id, what: "\(precision) FMA rate")
            summary.append("\(precision) \(best.text)")
            findings.fits.append(FieldFit(
                path: path, value: .rate(OpsPerSecond(base: best.value)), benchmark: id.rawValue,
                basis: "best median over vector widths \(widths.compactMap { $0.int("vector_width") }.map(String.init).joined(separator: ", ")): \(best.name)"))
        }
        findings.summary = summary.joined(separator: ", ")
        return findings
    }
}
