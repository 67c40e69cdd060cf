import MachineModel

/// C[M,N] = A[M,K] x B[K,N] (+ epilogue), `batch` independent products, fp32 accumulation.
public struct GemmProblem: Hashable, Sendable {
    public var m: Int
    public var n: Int
    public var k: Int
    public var batch: Int
    public var dtype: ElementType
    /// Ops applied to each accumulator before it is stored, in order (`[bias, gelu_erf]`); empty for C = A x B.
    public var epilogue: [ElementOp]
    /// Operands stored transposed: A as [K, M] (`trans_a`), B as [N, K] (`trans_b`), row-major. Matrix units read
    /// 16-bit operands either way; 8-bit and tf32 operands must be K-major (docs/candidate-format.md).
    public var transA: Bool
    public var transB: Bool

    /// The epilogue names files used before ops were named; each still reads as its chain.
    public static let epilogueAliases: [(name: String, chain: [ElementOp])] = [
        ("none", []), ("bias", [.bias]), ("bias_relu", [.bias, .relu]), ("bias_gelu", [.bias, .gelu_tanh]),
        ("residual", [.residual]),
    ]

    public init(m: Int, n: Int, k: Int, batch: Int = 1, dtype: ElementType, epilogue: [ElementOp] = [],
                transA: Bool = false, transB: Bool = false) {
        self.transA = transA
        self.transB = transB
        self.m = m
        self.n = n
        self.k = k
        self.batch = batch
        self.dtype = dtype
        self.epilogue = epilogue
    }

    /// Multiply-adds counted as two operations, over the true (unpadded) problem.
    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) * Double(batch) }

    /// Bytes per output element: fp8 products are written as fp16, int8 products as int32 (`torch._int_mm`), every
    /// other format as itself.
    public var outputBytes: Int {
        switch dtype {
        case .fp8: 2
        case .int8: 4
        case .fp32, .tf32, .fp16, .bf16: dtype.bytes
        }
    }

    /// Operands a K-major-only matrix path must transpose on their way through shared memory: those stored
    /// MN-major (A not transposed is K-major; B not transposed is MN-major) when the type is not 16 bits.
    public var mnMajorOperands: (a: Bool, b: Bool) {
        guard dtype.bytes != 2 else { return (false, false) }
        return (transA, !transB)
    }

    /// The epilogue as keys write it: its old name where it has one (`bias_gelu`), else its ops (`bias+gelu_erf`).
    public var epilogueName: String {
        Self.epilogueAliases.first { $0.chain == epilogue }?.name ?? ElementOp.spelling(epilogue)
    }
}

/// How one GEMM kernel tiles and runs the problem.
public struct GemmSchedule: Hashable, Sendable {
    public var blockM: Int
    public var blockN: Int
    public var blockK: Int
    public var warps: Int
    /// Software-pipeline depth: tiles of A and B buffered in shared memory.
    public var stages: Int
    /// Group-M rasterisation: consecutive blocks sweep bands of this many tile rows.
    public var groupM: Int
    /// Blocks that share one output tile, each reducing a slice of K.
    public var splitK: Int
    /// A persistent (warp-specialised) kernel: each block loops over tiles and stores one tile while it multiplies
    /// the next, so the epilogue overlaps the main loop instead of following it; on wgmma with 8 or more warps, one
    /// warpgroup of them only issues the loads.
    public var persistent: Bool
    /// Whether the products run on the matrix units (tensor cores) or on the vector units.
    public var matrixUnits: Bool
    public var compiler: CompilerFacts

    public init(
        blockM: Int, blockN: Int, blockK: Int, warps: Int, stages: Int, groupM: Int = 1, splitK: Int = 1,
        matrixUnits: Bool = true, persistent: Bool = false, compiler: CompilerFacts = .none
    ) {
        self.persistent = persistent
        self.blockM = blockM
        self.blockN = blockN
        self.blockK = blockK
        self.warps = warps
        self.stages = stages
        self.groupM = groupM
        self.splitK = splitK
        self.matrixUnits = matrixUnits
        self.compiler = compiler
    }
}

/// The schedule axes of a GEMM space: every combination is one candidate.
public struct GemmAxes: Hashable, Sendable {
    public var blockM: [Int]
    public var blockN: [Int]
    public var blockK: [Int]
    public var warps: [Int]
    public var stages: [Int]
    public var groupM: [Int]
    public var splitK: [Int]
    public var matrixUnits: [Bool]
    public var persistent: [Bool]

    public init(
        blockM: [Int], blockN: [Int], blockK: [Int], warps: [Int], stages: [Int], groupM: [Int] = [1],
        splitK: [Int] = [1], matrixUnits: [Bool] = [true], persistent: [Bool] = [false]
    ) {
        self.persistent = persistent
        self.blockM = blockM
        self.blockN = blockN
        self.blockK = blockK
        self.warps = warps
        self.stages = stages
        self.groupM = groupM
        self.splitK = splitK
        self.matrixUnits = matrixUnits
    }

    /// What a vendor library runs for a GEMM (cuBLAS on Hopper, as its kernel names and launches in profiler traces
    /// show): persistent warp-specialised kernels, one producer and two consumer warpgroups, 64-deep K steps.
    public static let library = GemmAxes(blockM: [128, 192, 256], blockN: [128, 192, 256], blockK: [64], warps: [12],
                                         stages: [3, 4, 5], groupM: [8], persistent: [true])

    /// The number of combinations.
    public var count: Int {
        blockM.count * blockN.count * blockK.count * warps.count * stages.count * groupM.count * splitK.count
            * matrixUnits.count * persistent.count
    }

    /// The combination at `index` (mixed radix, the last axis varying fastest).
    ///
    /// - Complexity: O(1), no allocation.
    @inlinable
    public func schedule(at index: Int, compiler: CompilerFacts = .none) -> GemmSchedule {
        var rest = index
        let ps = persistent[rest % persistent.count]; rest /= persistent.count
        let mu = matrixUnits[rest % matrixUnits.count]; rest /= matrixUnits.count
        let sk = splitK[rest % splitK.count]; rest /= splitK.count
        let gm = groupM[rest % groupM.count]; rest /= groupM.count
        let st = stages[rest % stages.count]; rest /= stages.count
        let w = warps[rest % warps.count]; rest /= warps.count
        let bk = blockK[rest % blockK.count]; rest /= blockK.count
        let bn = blockN[rest % blockN.count]; rest /= blockN.count
        let bm = blockM[rest % blockM.count]
        return GemmSchedule(
            blockM: bm, blockN: bn, blockK: bk, warps: w, stages: st, groupM: gm, splitK: sk, matrixUnits: mu,
            persistent: ps, compiler: compiler)
    }
}
