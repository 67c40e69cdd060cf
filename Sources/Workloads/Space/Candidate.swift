/// One point of a space: a problem with one schedule. It may run as a sequence of kernels (an unfused chain, naive
/// attention), which the cost model prices as their sum plus one launch each.
public enum Candidate: Hashable, Sendable {
    case gemm(GemmProblem, GemmSchedule)
    case elementwise(ElementwiseProblem, ElementwiseSchedule)
    case reduction(ReductionProblem, ReductionSchedule)
    case attention(AttentionProblem, AttentionSchedule)
    case generic(GenericCandidate)

    public var family: Family {
        switch self {
        case .gemm: .gemm
        case .elementwise: .elementwise
        case .reduction: .reduction
        case .attention: .attention
        case .generic: .generic
        }
    }

    /// The compiler facts the schedule carries (empty for generic kernels, whose counters say it all).
    public var compiler: CompilerFacts {
        switch self {
        case let .gemm(_, s): s.compiler
        case let .elementwise(_, s): s.compiler
        case let .reduction(_, s): s.compiler
        case let .attention(_, s): s.compiler
        case .generic: .none
        }
    }

    /// The same candidate with other compiler facts.
    public func with(compiler facts: CompilerFacts) -> Candidate {
        switch self {
        case .gemm(let p, var s): s.compiler = facts; return .gemm(p, s)
        case .elementwise(let p, var s): s.compiler = facts; return .elementwise(p, s)
        case .reduction(let p, var s): s.compiler = facts; return .reduction(p, s)
        case .attention(let p, var s): s.compiler = facts; return .attention(p, s)
        case .generic: return self
        }
    }

    /// The schedule as `key: value` pairs with the file's keys, in the file's order (nil values are `null`).
    public var scheduleFields: [(key: String, value: String?)] {
        switch self {
        case let .gemm(_, s):
            return [("block_m", "\(s.blockM)"), ("block_n", "\(s.blockN)"), ("block_k", "\(s.blockK)"),
                    ("warps", "\(s.warps)"), ("stages", "\(s.stages)"), ("group_m", "\(s.groupM)"),
                    ("split_k", "\(s.splitK)"), ("matrix_units", "\(s.matrixUnits)")] + (s.persistent ? [("persistent", "true")] : [])
        case let .elementwise(_, s):
            return [("fused", "\(s.fused)"), ("block_elements", "\(s.blockElements)"), ("warps", "\(s.warps)"),
                    ("vector_width", s.vectorWidth.map { "\($0)" })]
        case let .reduction(_, s):
            return [("rows_per_block", "\(s.rowsPerBlock)"), ("block_width", "\(s.blockWidth)"), ("warps", "\(s.warps)")]
                + (s.statistics == .sums ? [] : [("statistics", s.statistics.rawValue)])
        case let .attention(_, s):
            return [("variant", s.variant.rawValue), ("block_q", s.blockQ.map { "\($0)" }),
                    ("block_kv", s.blockKV.map { "\($0)" }), ("warps", s.warps.map { "\($0)" }),
                    ("stages", s.stages.map { "\($0)" })] + (s.splitKV > 1 ? [("split_kv", "\(s.splitKV)")] : [])
                + (s.persistent ? [("persistent", "true")] : []) + (s.mmaSync ? [("mma_sync", "true")] : [])
        case let .generic(c):
            return [("name", c.name)]
        }
    }

    /// A short label: `128x128x64 w4 s3 g8` for a GEMM, the fields joined otherwise.
    public var label: String {
        switch self {
        case let .gemm(_, s):
            var text = "\(s.blockM)x\(s.blockN)x\(s.blockK) w\(s.warps) s\(s.stages) g\(s.groupM)"
            if s.splitK != 1 { text += " sk\(s.splitK)" }
            if !s.matrixUnits { text += " simt" }
            if s.persistent { text += " persistent" }
            return text
        case let .elementwise(_, s):
            return "\(s.fused ? "fused" : "unfused") b\(s.blockElements) w\(s.warps)" + (s.vectorWidth.map { " v\($0)" } ?? "")
        case let .reduction(_, s):
            return "r\(s.rowsPerBlock) b\(s.blockWidth) w\(s.warps)" + (s.statistics == .sums ? "" : " \(s.statistics.rawValue)")
        case let .attention(_, s):
            guard s.variant == .flash else { return "naive" }
            return "flash q\(s.blockQ ?? 0) kv\(s.blockKV ?? 0) w\(s.warps ?? 0) s\(s.stages ?? 0)" + (s.splitKV > 1 ? " split\(s.splitKV)" : "")
                + (s.persistent ? " persistent" : "") + (s.mmaSync ? " mma.sync" : "")
        case let .generic(c):
            return c.name
        }
    }
}
