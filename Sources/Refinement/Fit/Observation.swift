import MachineModel
import Workloads

/// One measured candidate, as refinement uses it.
public struct Observation: Sendable {
    public var candidate: Candidate
    /// Median measured time, seconds.
    public var measured: Double
    /// The shape it belongs to (a space's name, or its problem written out): validation splits by shape, never
    /// between schedules of one shape.
    public var shape: String
    /// `tune` or `holdout` when the data says; nil lets refinement choose by shape.
    public var split: MeasuredSpace.Split?
    /// The file or store run it came from.
    public var source: String

    public init(candidate: Candidate, measured: Double, shape: String, split: MeasuredSpace.Split?, source: String) {
        self.candidate = candidate
        self.measured = measured
        self.shape = shape
        self.split = split
        self.source = source
    }

    public var family: Family { candidate.family }

    /// Every timed result of a measurement file. Compiler facts are dropped: a planner predicts before compiling.
    public static func from(_ measurements: Measurements, source: String) -> [Observation] {
        measurements.spaces.flatMap { space in
            space.results.compactMap { result -> Observation? in
                guard result.status == .ok, let median = result.median?.base, median > 0 else { return nil }
                return Observation(candidate: result.candidate.with(compiler: .none), measured: median, shape: space.name,
                                   split: space.split, source: source)
            }
        }
    }
}

extension Candidate {
    /// The problem written out, as a shape key: `gemm m=4096 n=4096 k=4096 batch=1 dtype=fp16 epilogue=none`.
    public var shapeKey: String {
        switch self {
        case let .gemm(p, _): "gemm m=\(p.m) n=\(p.n) k=\(p.k) batch=\(p.batch) dtype=\(p.dtype.rawValue) epilogue=\(p.epilogueName)"
            + (p.transA ? " trans_a=true" : "") + (p.transB ? " trans_b=true" : "")
        case let .elementwise(p, _): "elementwise elements=\(p.elements) ops=\(p.opsText) dtype=\(p.dtype.rawValue) extra_inputs=\(p.extraInputs)"
        case let .reduction(p, _): "reduction op=\(p.op.rawValue) rows=\(p.rows) cols=\(p.cols) dtype=\(p.dtype.rawValue)"
            + (p.prologue.isEmpty ? "" : " prologue=\(ElementOp.spelling(p.prologue))")
        case let .attention(p, _): "attention batch=\(p.batch) heads=\(p.heads) seq_len=\(p.seqLen) head_dim=\(p.headDim) causal=\(p.causal) dtype=\(p.dtype.rawValue)"
            + (p.kvHeads != p.heads ? " kv_heads=\(p.kvHeads)" : "") + (p.queryLen != p.seqLen ? " query_len=\(p.queryLen)" : "")
        case let .generic(c): "generic \(c.name)"
        }
    }
}
