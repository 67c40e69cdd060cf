import Devices
import MachineModel

/// Cost of each named elementwise op (docs/fusion.md): kernels that apply one op over and over in four independent
/// chains per work-item (`KernelSources.ops`), against a kernel that only renormalises. The time an op adds
/// per element, times the machine's fp32 lane rate, is its cost in issue slots: `element_ops.OP`, the figure the
/// cost model charges for the op in chains, epilogues and norm prologues.
struct ElementOpsBenchmark: Benchmark {
    let id = BenchmarkID.elementOps

    /// Kernel per op; bias and residual do an add's arithmetic (their reads are costed as bytes, not here).
    static let kernels: [(op: ElementOp, kernel: String)] = [
        (.add, "op_add"), (.mul, "op_mul"), (.scale, "op_scale"), (.bias, "op_add"), (.residual, "op_add"),
        (.relu, "op_relu"), (.gelu_tanh, "op_gelu_tanh"), (.gelu_erf, "op_gelu_erf"), (.silu, "op_silu"),
        (.sigmoid, "op_sigmoid"), (.tanh, "op_tanh"), (.exp, "op_exp"), (.log, "op_log"), (.rsqrt, "op_rsqrt"),
        (.div, "op_div"), (.square, "op_square"), (.cast, "op_cast"), (.dropout, "op_dropout"),
    ]

    /// The smallest cost a file may hold: an op whose time is lost in the renormalisation is reported at this.
    static let floorSlots = 0.1

    func measure(_ context: BenchmarkContext) throws {
        let settings = context.settings
        let halves = settings.arithmeticPrecisions.contains(.fp16)
        let options = halves ? "-DUSE_FP16" : ""
        let global = settings.arithmeticGlobal
        let sink = try context.device.allocate(byteCount: global * 4)
        var measured: Set<String> = []
        for name in ["op_none"] + Self.kernels.filter({ $0.op != .cast || halves }).map(\.kernel) where !measured.contains(name) {
            measured.insert(name)
            // log needs a positive argument: its renormalisation centres on 1 instead of 0.5 (x = log(x) / 4 + 1).
            let b: Float = name == "op_log" ? 1 : 0.5
            let kernel = try context.kernel(KernelSources.ops, name, options: options)
            func launch(_ iterations: Int) throws -> Double {
                try context.device.launch(
                    kernel, global: [global], local: settings.arithmeticLocal.map { [$0] },
                    arguments: [.buffer(sink), .uint32(UInt32(iterations)), .float(0.25), .float(b)]
                ).device.base
            }
            let iterations = try context.autoscale(start: 16, multiple: 4, limit: Int(UInt32.max / 2), launch)
            let seconds = try context.sample { try launch(iterations) }
            let steps = Double(global) * Double(iterations) * 4
            context.record(Measurement.time(
                name, parameters: [("work_items", .int(global)), ("iterations", .int(iterations)), ("chains", .int(4)),
                                   ("steps_per_sample", .number(steps))],
                seconds: seconds))
        }
    }

    func fit(_ context: FitInput) throws -> BenchmarkFindings {
        // Lane instructions per second: the fp32 FMA rate this run measured, else the machine's stated one.
        let fp32 = context.earlierFit("compute.peak.vector.fp32")?.value.base
            ?? context.spec.compute.peak(.vector, .fp32)?.value.base
        guard let fp32 else {
            throw CalibrationError(.benchmarkFailed(id.rawValue), "element-ops needs compute.peak.vector.fp32 (stated or measured by peak-arithmetic) to turn times into issue slots")
        }
        let lanesPerSecond = fp32 / 2
        var perStep: [String: Double] = [:]
        for m in context.measurements {
            guard let steps = m.number("steps_per_sample"), steps > 0 else { continue }
            perStep[m.name] = m.value / steps
        }
        guard let base = perStep["op_none"] else {
            throw CalibrationError(.benchmarkFailed(id.rawValue), "element-ops: the op_none measurement is missing")
        }
        var findings = BenchmarkFindings(summary: "")
        var summary: [String] = []
        for (op, kernel) in Self.kernels {
            guard let time = perStep[kernel] else {
                findings.notes.append(op == .cast ? "cast: the device has no cl_khr_fp16; the model keeps its default"
                                                  : "\(op.rawValue): not measured; the model keeps its default")
                continue
            }
            let slots = (time - base) * lanesPerSecond
            let cost = max(slots, Self.floorSlots)
            let basis = "(\(kernel) - op_none) per element x \(formatSignificant(lanesPerSecond)) fp32 lanes/s"
                + (slots < Self.floorSlots ? "; below resolution, reported at \(Self.floorSlots)" : "")
            findings.fits.append(FieldFit(path: "element_ops.\(op.rawValue)", value: FieldValue(.slots, cost),
                                          benchmark: id.rawValue, basis: basis))
            if [.add, .gelu_tanh, .gelu_erf, .silu, .exp, .dropout].contains(op) {
                summary.append("\(op.rawValue) \(FieldValue(.slots, cost).text)")
            }
        }
        findings.summary = summary.joined(separator: ", ") + " slots/element"
        return findings
    }
}
