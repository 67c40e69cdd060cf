import MachineModel
import Workloads

/// A prediction in words: what binds it and the facts behind it.
public struct Explanation: Hashable, Sendable {
    /// "DRAM-bound at 71% of measured bandwidth: fusing the chain removes 3 of 4 passes".
    public var sentence: String
    /// Occupancy, waves, registers, traffic: one short line each.
    public var notes: [String]
}

extension CostModel {
    /// Explains a prediction made for `candidate`.
    public func explain(_ p: Prediction, for candidate: Candidate) -> Explanation {
        if let reason = p.infeasibility { return Explanation(sentence: "infeasible: \(reason.message)", notes: []) }
        let f = figures
        let time = p.time.base
        func percent(_ x: Double) -> String { "\(Int((x * 100).rounded()))%" }
        let dramWord = f.dramBandwidthMeasured ? "measured" : "spec"
        var sentence: String
        switch p.bottleneck {
        case .matrix:
            let (precision, stated) = matrixPeak(for: candidate)
            sentence = "matrix-bound at \(percent(p.flops / time / stated)) of the \(precision) matrix peak"
            if p.matrixPath != .none { sentence += " (\(p.matrixPath.rawValue))" }
        case .vector:
            if p.matrixPath == .vector {
                let stated = machine.compute.peak(.vector, .fp32)?.value.base ?? 1
                sentence = "vector-bound at \(percent(p.flops / time / stated)) of the fp32 vector peak"
            } else {
                sentence = "instruction-issue-bound: \(Seconds(base: p.resources.vector).description) of vector instructions"
            }
        case .special:
            sentence = "special-function-bound: \(Seconds(base: p.resources.special).description) of exp/rsqrt"
        case .shared:
            sentence = "shared-memory-bound: \(Bytes(base: p.traffic.shared).description) through shared memory and L1"
        case .l2:
            sentence = "L2-bound at \(percent(p.traffic.l2 / time / f.l2BandwidthStated)) of the spec L2 bandwidth"
        case .dram:
            sentence = "DRAM-bound at \(percent(p.traffic.dram / time / f.dramBandwidthStated)) of \(dramWord) bandwidth"
        case .latency:
            let unitName = machine.compute.unitName
            let blocks = "\(p.occupancy.blocksPerUnit) block\(p.occupancy.blocksPerUnit == 1 ? "" : "s") per \(unitName)"
            if p.latencyIsChain {
                sentence = "latency-bound: with \(blocks) (limited by \(p.occupancy.limiter.rawValue)) nothing hides each "
                    + "block's dependent steps (loads waited on, reductions, loop bookkeeping)"
            } else {
                sentence = "latency-bound: \(blocks) keep \(Bytes(base: p.inflightPerUnit).description) in flight against "
                    + "\(Seconds(base: f.dramLatency).description) of loaded latency; full bandwidth needs "
                    + "\(Bytes(base: f.dramBandwidth / f.units * f.dramLatency).description) per \(unitName)"
            }
        case .pipeline:
            sentence = "fill/drain-bound: the kernel's first loads and last stores, and each block's prologue and "
                + "epilogue, are exposed"
        case .launch:
            sentence = "launch-bound: \(Seconds(base: p.resources.launch).description) of launches for "
                + "\(Seconds(base: max(0, time - p.resources.launch)).description) of work"
        }
        // The word names the bottleneck; when the latency shown beside it is longer, though within the margin that
        // keeps a close call from being named latency-bound, say so rather than contradict the numbers.
        if p.bottleneck != .latency, p.resources.latency > p.resources[p.bottleneck].base {
            sentence += "; its latency (\(Seconds(base: p.resources.latency).description)) is as long, within the model's margin"
        }
        sentence += advice(p, for: candidate)

        var notes: [String] = []
        let unit = machine.compute.unitName
        notes.append("occupancy: \(p.occupancy.blocksPerUnit) block(s) per \(unit), \(p.occupancy.warpsPerUnit) warps "
            + "(\(percent(p.occupancy.fraction))), limited by \(p.occupancy.limiter.rawValue)")
        notes.append("grid: \(p.grid) blocks of \(p.threadsPerBlock) threads, \(formatSignificant(p.waves, digits: 3)) waves"
            + (p.waves > 0 && p.lastWaveFill < 1 ? " (last wave \(percent(p.lastWaveFill)) full)" : ""))
        notes.append("registers: \(p.registersPerThread) per thread" + (p.spilledRegisters > 0 ? ", \(p.spilledRegisters) spilled" : "")
            + "; shared memory: \(Bytes(p.sharedBytes).description) per block")
        notes.append("traffic: \(f.dramName) \(Bytes(base: p.traffic.dram).description), \(f.l2Name) "
            + "\(Bytes(base: p.traffic.l2).description), shared \(Bytes(base: p.traffic.shared).description)")
        if p.kernels > 1 { notes.append("sequence: \(p.kernels) kernels, \(Seconds(base: p.resources.launch).description) of launches") }
        return Explanation(sentence: sentence, notes: notes)
    }

    func matrixPeak(for candidate: Candidate) -> (String, Double) {
        let precision: Precision
        switch candidate {
        case let .gemm(p, _): precision = p.dtype.precision
        case let .attention(p, _): precision = p.dtype.precision
        default: precision = .fp16
        }
        return (precision.rawValue, machine.compute.peak(.matrix, precision)?.value.base ?? 1)
    }

    /// What would help, by family.
    func advice(_ p: Prediction, for candidate: Candidate) -> String {
        var parts: [String] = []
        switch candidate {
        case let .elementwise(problem, schedule):
            if !schedule.fused && problem.ops > 1 {
                parts.append("fusing the chain removes \(problem.ops - 1) of \(problem.ops) passes")
            }
        case let .attention(_, schedule):
            if schedule.variant == .naive { parts.append("the S x S scores go through memory; flash keeps them on chip") }
        case let .gemm(_, schedule):
            if p.matrixPath == .mmaSync && figures.asyncMatrixUnits { parts.append("tiles under 64 rows or 4 warps run on mma.sync") }
            if schedule.splitK > 1 { parts.append("split-K adds \(schedule.splitK) fp32 partials per output") }
        default: break
        }
        if p.spilledRegisters > 0 { parts.append("\(p.spilledRegisters) registers per thread spill to local memory") }
        // Wave quantisation matters where each unit's own work binds, not for device-wide bandwidth.
        let perUnitBound: Set<Resource> = [.matrix, .vector, .special, .shared, .latency, .pipeline]
        if p.waves > 0 && p.waves < 4 && p.lastWaveFill < 0.5 && perUnitBound.contains(p.bottleneck) {
            parts.append("\(formatSignificant(p.waves, digits: 3)) waves leave the last one \(Int((p.lastWaveFill * 100).rounded()))% full")
        }
        if p.grid > 0 && p.grid < figures.unitCount {
            parts.append("\(p.grid) blocks fill \(p.grid) of \(figures.unitCount) \(machine.compute.unitName)s")
        }
        return parts.isEmpty ? "" : ": " + parts.joined(separator: "; ")
    }
}
