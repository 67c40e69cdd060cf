import MachineModel
/// A candidate space: one problem and, per schedule key, one value or a list; the cross product is the space.
///
/// Spaces can reach millions of points, so they are never materialised: `count` says how many there are and
/// `candidate(at:)` builds any one of them from its index. The family-specific accessors (`gemm`) let a hot loop
/// decode schedules without building a `Candidate` at all.
public struct CandidateSpace: Hashable, Sendable {
    public var name: String
    public var body: Body

    public enum Body: Hashable, Sendable {
        case gemm(GemmProblem, GemmAxes, CompilerFacts)
        case elementwise(ElementwiseProblem, ElementwiseAxes, CompilerFacts)
        case reduction(ReductionProblem, ReductionAxes, CompilerFacts)
        case attention(AttentionProblem, AttentionAxes, CompilerFacts)
        case generic([GenericCandidate])
    }

    public init(name: String, body: Body) {
        self.name = name
        self.body = body
    }

    /// The same space with other compiler facts for every candidate (what a compiler reported for the kernel that
    /// was built, e.g. by `kernelcast verify` on a CUDA device); generic kernels carry their own and stay as they are.
    public func with(compiler facts: CompilerFacts) -> CandidateSpace {
        var space = self
        switch body {
        case let .gemm(p, a, _): space.body = .gemm(p, a, facts)
        case let .elementwise(p, a, _): space.body = .elementwise(p, a, facts)
        case let .reduction(p, a, _): space.body = .reduction(p, a, facts)
        case let .attention(p, a, _): space.body = .attention(p, a, facts)
        case .generic: break
        }
        return space
    }

    public var family: Family {
        switch body {
        case .gemm: .gemm
        case .elementwise: .elementwise
        case .reduction: .reduction
        case .attention: .attention
        case .generic: .generic
        }
    }

    /// How many candidates the space holds.
    ///
    /// - Complexity: O(1).
    public var count: Int {
        switch body {
        case let .gemm(_, axes, _): axes.count
        case let .elementwise(_, axes, _): axes.count
        case let .reduction(_, axes, _): axes.count
        case let .attention(_, axes, _): axes.count
        case let .generic(candidates): candidates.count
        }
    }

    /// The candidate at `index` (0 ..< count); the last schedule key varies fastest.
    ///
    /// - Complexity: O(1).
    public func candidate(at index: Int) -> Candidate {
        precondition(index >= 0 && index < count, "candidate index \(index) outside 0..<\(count)")
        switch body {
        case let .gemm(problem, axes, facts): return .gemm(problem, axes.schedule(at: index, compiler: facts))
        case let .elementwise(problem, axes, facts): return .elementwise(problem, axes.schedule(at: index, compiler: facts))
        case let .reduction(problem, axes, facts): return .reduction(problem, axes.schedule(at: index, compiler: facts))
        case let .attention(problem, axes, facts): return .attention(problem, axes.schedule(at: index, compiler: facts))
        case let .generic(candidates): return .generic(candidates[index])
        }
    }

    /// Every candidate in index order, built lazily.
    public var candidates: LazyMapSequence<Range<Int>, Candidate> { (0..<count).lazy.map { self.candidate(at: $0) } }

    /// The problem as `key: value` pairs with the file's keys.
    public var problemFields: [(key: String, value: String)] {
        switch body {
        case let .gemm(p, _, _):
            return [("m", "\(p.m)"), ("n", "\(p.n)"), ("k", "\(p.k)"), ("batch", "\(p.batch)"),
                    ("dtype", p.dtype.rawValue), ("epilogue", p.epilogueName)]
                + (p.transA ? [("trans_a", "true")] : []) + (p.transB ? [("trans_b", "true")] : [])
        case let .elementwise(p, _, _):
            return [("elements", "\(p.elements)"), ("ops", p.opsText), ("dtype", p.dtype.rawValue),
                    ("extra_inputs", "\(p.extraInputs)")]
        case let .reduction(p, _, _):
            var fields = [("op", p.op.rawValue), ("rows", "\(p.rows)"), ("cols", "\(p.cols)"), ("dtype", p.dtype.rawValue)]
            if !p.prologue.isEmpty { fields.append(("prologue", ElementOp.spelling(p.prologue))) }
            return fields
        case let .attention(p, _, _):
            return [("batch", "\(p.batch)"), ("heads", "\(p.heads)"), ("seq_len", "\(p.seqLen)"),
                    ("head_dim", "\(p.headDim)"), ("causal", "\(p.causal)"), ("dtype", p.dtype.rawValue)]
                + (p.kvHeads != p.heads ? [("kv_heads", "\(p.kvHeads)")] : [])
                + (p.queryLen != p.seqLen ? [("query_len", "\(p.queryLen)")] : [])
        case let .generic(candidates):
            return [("candidates", "\(candidates.count)")]
        }
    }
}
