import CostModel
import MachineModel
import Refinement
import Workloads

/// A model block as the kernels an eager program runs, in stream order, each consuming what the one before it
/// produced (docs/fusion.md). From it the planner generates the fused alternatives a compiler could make.
public struct BlockGraph: Sendable {
    public var name: String
    public var nodes: [Node]
    /// How the measured times were taken: a profiler trace records one pass (a burst).
    public var timing: Timing

    public struct Node: Sendable {
        public var name: String
        public var work: Work
        /// What the node took on hardware, when it comes from a profiler trace.
        public var measured: Double?
        /// The kernel (or op) it was read from, for reports.
        public var origin: String?
        /// How its one kernel was launched, when a trace recorded it: the model then predicts the kernel as it ran.
        public var launch: Launch?

        public init(name: String, work: Work, measured: Double? = nil, origin: String? = nil, launch: Launch? = nil) {
            self.name = name
            self.work = work
            self.measured = measured
            self.origin = origin
            self.launch = launch
        }
    }

    /// A kernel's launch as the profiler records it (its kernel event's `grid`, `block`, `registers per thread` and
    /// `shared memory`), with the kernel's name, which for library GEMMs spells the tile.
    public struct Launch: Sendable, Equatable {
        public var kernel: String
        public var blocks: Int
        public var threadsPerBlock: Int
        public var registersPerThread: Int?
        public var sharedBytes: Int?

        public init(kernel: String, blocks: Int, threadsPerBlock: Int, registersPerThread: Int? = nil, sharedBytes: Int? = nil) {
            self.kernel = kernel
            self.blocks = blocks
            self.threadsPerBlock = threadsPerBlock
            self.registersPerThread = registersPerThread
            self.sharedBytes = sharedBytes
        }
    }

    public enum Work: Sendable {
        case gemm(GemmProblem)
        case elementwise(ElementwiseProblem)
        case reduction(ReductionProblem)
        case attention(AttentionProblem)
        /// A kernel the model has no family for (a memset, an index kernel): reported, not predicted.
        case unmodelled(reason: String)

        /// Values written, for matching a consumer to its producer.
        var outputElements: Int? {
            switch self {
            case let .gemm(p): p.m * p.n * p.batch
            case let .elementwise(p): p.elements
            case let .reduction(p): p.op == .sum ? p.rows : p.rows * p.cols
            case let .attention(p): p.batch * p.heads * p.seqLen * p.headDim
            case .unmodelled: nil
            }
        }
    }

    public init(name: String, nodes: [Node], timing: Timing = .sustained) {
        self.name = name
        self.nodes = nodes
        self.timing = timing
    }

    /// One fusion a compiler could make: the nodes it merges and the kernel that replaces them.
    public struct Fusion: Sendable {
        public var nodes: Range<Int>
        public var kind: Kind
        public var work: Work

        public enum Kind: String, Sendable {
            /// A GEMM takes the elementwise ops after it into its epilogue.
            case epilogue
            /// Consecutive elementwise ops become one kernel.
            case chain
            /// A residual add moves into the norm that follows it.
            case normResidual = "norm+residual"
            /// QK^T, softmax and PV become one flash-attention kernel.
            case flashAttention = "flash-attention"
        }
    }

    /// Every fusion available, each tried alone: one per node it can start at, except inside a longer one of the
    /// same kind (a chain of three is one fusion, not also its tail). Two may overlap (a GEMM taking a residual
    /// into its epilogue, or that residual moving into the norm after it).
    public var fusions: [Fusion] {
        var found: [Fusion] = []
        for i in nodes.indices {
            guard let f = fusion(at: i), !found.contains(where: { $0.kind == f.kind && $0.nodes.contains(i) }) else { continue }
            found.append(f)
        }
        return found
    }

    /// The fusions a compiler would make together: left to right, each not overlapping one taken before it.
    public var compatibleFusions: [Fusion] {
        var taken: [Fusion] = []
        for f in fusions where !taken.contains(where: { $0.nodes.overlaps(f.nodes) }) { taken.append(f) }
        return taken
    }

    private func elementwiseOp(_ i: Int, elements: Int) -> ElementwiseProblem? {
        guard i < nodes.count, case let .elementwise(p) = nodes[i].work, p.elements == elements else { return nil }
        return p
    }

    private func fusion(at i: Int) -> Fusion? {
        switch nodes[i].work {
        case let .gemm(g):
            // Rule: QK^T (batch x [S, D] x [D, S]), a softmax over its rows, then P x V: flash attention.
            if i + 2 < nodes.count, case let .reduction(s) = nodes[i + 1].work, s.op == .softmax, s.prologue.isEmpty,
               case let .gemm(pv) = nodes[i + 2].work, g.m == g.n, s.cols == g.n, s.rows == g.batch * g.m,
               pv.batch == g.batch, pv.m == g.m, pv.k == g.n, pv.n == g.k, g.epilogue.isEmpty,
               [.fp16, .bf16, .fp8].contains(g.dtype) {
                let a = AttentionProblem(batch: 1, heads: g.batch, seqLen: g.m, headDim: g.k, causal: false, dtype: g.dtype)
                return Fusion(nodes: i..<(i + 3), kind: .flashAttention, work: .attention(a))
            }
            // Rule: elementwise ops over exactly the GEMM's output join its epilogue (split-K and batched outputs alike).
            var fused = g
            var j = i + 1
            while let e = elementwiseOp(j, elements: g.m * g.n * g.batch), !e.isCountShorthand {
                fused.epilogue += e.chain
                j += 1
            }
            return j > i + 1 ? Fusion(nodes: i..<j, kind: .epilogue, work: .gemm(fused)) : nil
        case let .elementwise(first):
            // Rule: a residual (or add) followed by a norm over the same values fuses into the norm's prologue.
            if i + 1 < nodes.count, first.chain.count == 1, [.residual, .add].contains(first.chain[0]),
               case var .reduction(r) = nodes[i + 1].work, r.op != .sum, r.rows * r.cols == first.elements {
                r.prologue = [.residual] + r.prologue
                return Fusion(nodes: i..<(i + 2), kind: .normResidual, work: .reduction(r))
            }
            // Rule: consecutive elementwise ops over the same values become one kernel.
            var chain = first
            var j = i + 1
            while let e = elementwiseOp(j, elements: first.elements) {
                chain.chain += e.chain
                chain.extraInputs += e.extraInputs
                j += 1
            }
            return j > i + 1 ? Fusion(nodes: i..<j, kind: .chain, work: .elementwise(chain)) : nil
        case .reduction, .attention, .unmodelled:
            return nil
        }
    }

    /// The block the planner costs: the graph as it runs, each fusion alone, and all of them together.
    public func alternatives() -> Block {
        let found = fusions
        func kernels(applying chosen: [Fusion]) -> [Block.Kernel] {
            var out: [Block.Kernel] = []
            var i = 0
            while i < nodes.count {
                if let f = chosen.first(where: { $0.nodes.lowerBound == i }) {
                    let name = nodes[f.nodes].map(\.name).joined(separator: "+")
                    if let k = Self.kernel(name, f.work) { out.append(k) }
                    i = f.nodes.upperBound
                } else {
                    if let k = Self.kernel(nodes[i].name, nodes[i].work, launch: nodes[i].launch) { out.append(k) }
                    i += 1
                }
            }
            return out
        }
        var alternatives = [Block.Alternative(name: "as run", kernels: kernels(applying: []))]
        for f in found {
            let names = nodes[f.nodes].map(\.name).joined(separator: "+")
            alternatives.append(Block.Alternative(name: "\(f.kind.rawValue) \(names)", kernels: kernels(applying: [f])))
        }
        let together = compatibleFusions
        if together.count > 1 { alternatives.append(Block.Alternative(name: "all fusions", kernels: kernels(applying: together))) }
        return Block(name: name, description: "\(nodes.count) kernels, \(found.count) fusions generated", alternatives: alternatives)
    }

    /// The kernel for a node: as it ran where its launch says how, else over its family's default schedule space
    /// (what an autotuner would try).
    static func kernel(_ name: String, _ work: Work, launch: Launch? = nil) -> Block.Kernel? {
        if let launch, let body = asRun(work, launch) { return Block.Kernel(name: name, space: CandidateSpace(name: name, body: body)) }
        let body: CandidateSpace.Body
        switch work {
        case let .gemm(p): body = .gemm(p, BlockFile.defaultGemm, .none)
        case let .elementwise(p): body = .elementwise(p, BlockFile.defaultElementwise, .none)
        case let .reduction(p): body = .reduction(p, BlockFile.defaultReduction(cols: p.cols), .none)
        case let .attention(p): body = .attention(p, BlockFile.defaultAttention, .none)
        case .unmodelled: return nil
        }
        return Block.Kernel(name: name, space: CandidateSpace(name: name, body: body))
    }

    /// The one schedule a launched library kernel ran with (a GEMM whose name spells no tile: the library's
    /// schedules), or nil for an attention kernel whose name spells no tile. Registers and shared memory are the
    /// compiler's facts; CUDA's rules.
    static func asRun(_ work: Work, _ launch: Launch) -> CandidateSpace.Body? {
        let facts = CompilerFacts(toolchain: .cuda, registersPerThread: launch.registersPerThread, sharedBytes: launch.sharedBytes)
        let warps = max(1, launch.threadsPerBlock / 32)  // a CUDA profiler trace: warps of 32 threads
        switch work {
        case let .gemm(p):
            guard let tile = LibraryTile(kernel: launch.kernel) else { return .gemm(p, GemmAxes.library, CompilerFacts(toolchain: .cuda)) }
            // Stages the name does not give: as many A and B tiles as the shared memory holds.
            let stageBytes = (tile.m + tile.n) * tile.k * p.dtype.bytes
            let stages = tile.stages ?? max(2, (launch.sharedBytes ?? 0) / max(1, stageBytes))
            // Fewer blocks than output tiles: each block loops over tiles (a persistent, warp-specialised kernel).
            let tiles = (Double(p.m) / Double(tile.m)).rounded(.up) * (Double(p.n) / Double(tile.n)).rounded(.up) * Double(p.batch)
            let axes = GemmAxes(blockM: [tile.m], blockN: [tile.n], blockK: [tile.k], warps: [warps], stages: [stages],
                                groupM: [8], persistent: [Double(launch.blocks) < tiles])
            return .gemm(p, axes, facts)
        case let .elementwise(p):
            let perBlock = (p.elements + launch.blocks - 1) / max(1, launch.blocks)
            return .elementwise(p, ElementwiseAxes(fused: [true], blockElements: [perBlock], warps: [warps]), facts)
        case let .reduction(p):
            // A row kernel of a library walks its row a 16-byte vector per thread at a time; PyTorch's layer_norm
            // kernels (layernorm and rmsnorm) 4 elements per thread (vec_size in layer_norm_kernel.cu), gathering a
            // layernorm's statistics with Welford's update.
            let torchNorm = launch.kernel.contains("layer_norm_kernel")
            let rowsPerBlock = max(1, p.rows / max(1, launch.blocks))
            let width = min(p.cols, launch.threadsPerBlock * (torchNorm ? 4 : max(1, 16 / p.dtype.bytes)))
            let statistics: RowStatistics = torchNorm && p.op == .layernorm ? .welford : .sums
            return .reduction(p, ReductionAxes(rowsPerBlock: [rowsPerBlock], blockWidth: [width], warps: [warps],
                                               statistics: [statistics]), facts)
        case let .attention(p):
            // Stages the name does not give: as many key/value tile pairs as the shared memory holds beside the
            // queries the block works on at once.
            func stages(rows: Int, blockKV: Int) -> Int {
                let row = p.headDim * p.dtype.bytes
                return max(2, ((launch.sharedBytes ?? 0) - rows * row) / max(1, 2 * blockKV * row))
            }
            // FlashAttention-2 (torch's flash backend) spells its tile in its traits and multiplies with mma.sync.
            if let traits = FlashTraits(kernel: launch.kernel), traits.headDim == p.headDim {
                return .attention(p, AttentionAxes(variants: [.flash], blockQ: [traits.blockQ], blockKV: [traits.blockKV],
                                                   warps: [traits.warps], stages: [stages(rows: traits.blockQ, blockKV: traits.blockKV)],
                                                   mmaSync: [true]), facts)
            }
            // cuDNN's flash kernels spell query rows x key/value rows x head_dim (`..._64x128x128_4x1x1_...`).
            guard let tile = LibraryTile(kernel: launch.kernel), tile.k == p.headDim else { return nil }
            // Fewer blocks than query tiles, with warpgroups to spare for a producer: persistent and warp-specialised.
            let queryTiles = (p.queryLen + tile.m - 1) / tile.m * p.batch * p.heads
            let persistent = launch.blocks < queryTiles && warps >= 8
            let rows = AttentionSchedule(variant: .flash, blockQ: tile.m, blockKV: tile.n, warps: warps, persistent: persistent).rowsAtOnce ?? tile.m
            return .attention(p, AttentionAxes(variants: [.flash], blockQ: [tile.m], blockKV: [tile.n], warps: [warps],
                                               stages: [stages(rows: rows, blockKV: tile.n)], persistent: [persistent]), facts)
        case .unmodelled:
            return nil
        }
    }
}

/// The tile a library kernel's name spells: cuBLAS's nvjet kernels (`nvjet_sm90_hsh_192x192_64x4_2x1_...`: M x N
/// tile, then K x stages), CUTLASS-style names (`..._128x256x64_...`, `tilesize128x256x64`) and cuDNN's flash kernels
/// (`..._64x128x128_4x1x1_...`: query rows x key/value rows x head_dim, read as m x n x k).
struct LibraryTile: Equatable {
    var m: Int
    var n: Int
    var k: Int
    var stages: Int?

    init?(kernel: String) {
        let parts = kernel.split(separator: "_").map { $0.hasPrefix("tilesize") ? $0.dropFirst(8) : $0 }
        func numbers(_ part: Substring) -> [Int]? {
            let fields = part.split(separator: "x", omittingEmptySubsequences: false)
            guard fields.count >= 2 else { return nil }
            let values = fields.compactMap { Int($0) }
            return values.count == fields.count ? values : nil
        }
        for (i, part) in parts.enumerated() {
            guard let first = numbers(part), first.allSatisfy({ $0 >= 16 }) else { continue }
            if first.count == 3 {
                (m, n, k, stages) = (first[0], first[1], first[2], nil)
                return
            }
            if first.count == 2, i + 1 < parts.count, let second = numbers(parts[i + 1]), second.count == 2, second[0] >= 16 {
                (m, n, k, stages) = (first[0], first[1], second[0], second[1])
                return
            }
        }
        return nil
    }
}

/// The tile FlashAttention-2's forward kernel spells in its template arguments
/// (`flash_fwd_kernel<Flash_fwd_kernel_traits<128, 128, 64, 4, ...>>`: head_dim, query rows, key/value rows, warps).
struct FlashTraits: Equatable {
    var headDim: Int
    var blockQ: Int
    var blockKV: Int
    var warps: Int

    init?(kernel: String) {
        guard let start = kernel.range(of: "Flash_fwd_kernel_traits<") else { return nil }
        let values = kernel[start.upperBound...].split(separator: ",", maxSplits: 4).prefix(4)
            .compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard values.count == 4, values.allSatisfy({ $0 > 0 }) else { return nil }
        (headDim, blockQ, blockKV, warps) = (values[0], values[1], values[2], values[3])
    }
}

extension BlockGraph {
    /// A node's kernel as the model predicts it beside what the trace measured.
    public struct NodeCheck: Sendable {
        public var node: Node
        public var best: SpaceBest?
        /// The predicted kernel's own span, as a profiler's kernel duration counts it: without the launch that
        /// event-to-event timings (and the prediction) include.
        public var predicted: Double? {
            best.map { $0.prediction.time.base - $0.prediction.resources.launch }
        }
        /// predicted / measured - 1, when both exist.
        public var error: Double? {
            guard let m = node.measured, m > 0, let p = predicted else { return nil }
            return p / m - 1
        }
    }

    /// Every node as it ran (where its launch says how), else at its best predicted schedule.
    public func check(model: PlanModel) -> [NodeCheck] {
        nodes.map { node in
            NodeCheck(node: node, best: Self.kernel(node.name, node.work, launch: node.launch).flatMap { WhatIf.best($0.space, model: model) })
        }
    }
}
