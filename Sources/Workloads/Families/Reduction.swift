import MachineModel

/// A row-wise reduction over a [rows, cols] matrix.
public struct ReductionProblem: Hashable, Sendable {
    public var op: Op
    public var rows: Int
    public var cols: Int
    public var dtype: ElementType
    /// Ops applied to each input element before the reduction, in the same kernel (`[residual]`: h = x + r, which
    /// the kernel also stores, as a transformer keeps its residual stream, then normalises).
    public var prologue: [ElementOp]

    public enum Op: String, CaseIterable, Hashable, Sendable {
        /// y = exp(x - max) / sum: two reductions and one exponential per element; writes [rows, cols].
        case softmax
        /// y = (x - mean) / sqrt(var + eps) * w + b: two reductions, reads w and b; writes [rows, cols].
        case layernorm
        /// y = x / sqrt(mean(x^2) + eps) * w: one reduction, reads w; writes [rows, cols].
        case rmsnorm
        /// y = sum(x): one reduction; writes [rows].
        case sum
    }

    public init(op: Op, rows: Int, cols: Int, dtype: ElementType, prologue: [ElementOp] = []) {
        self.prologue = prologue
        self.op = op
        self.rows = rows
        self.cols = cols
        self.dtype = dtype
    }
}

/// How a row kernel gathers a layernorm's mean and variance.
public enum RowStatistics: String, CaseIterable, Hashable, Comparable, Sendable {
    /// Sums: of the row, then of its squared deviations (or of its squares), each reduced across the row.
    case sums
    /// Welford's online update, one element at a time (a reciprocal of the running count and two dependent updates),
    /// then running (count, mean, M2) triples merged across lanes: PyTorch's layer_norm kernels.
    case welford

    public static func < (a: Self, b: Self) -> Bool { allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)! }
}

public struct ReductionSchedule: Hashable, Sendable {
    public var rowsPerBlock: Int
    /// Columns a block holds at once; narrower than the row, the kernel walks the row in chunks.
    public var blockWidth: Int
    public var warps: Int
    public var statistics: RowStatistics
    public var compiler: CompilerFacts

    public init(rowsPerBlock: Int, blockWidth: Int, warps: Int, statistics: RowStatistics = .sums, compiler: CompilerFacts = .none) {
        self.rowsPerBlock = rowsPerBlock
        self.blockWidth = blockWidth
        self.warps = warps
        self.statistics = statistics
        self.compiler = compiler
    }
}

public struct ReductionAxes: Hashable, Sendable {
    public var rowsPerBlock: [Int]
    public var blockWidth: [Int]
    public var warps: [Int]
    public var statistics: [RowStatistics]

    public init(rowsPerBlock: [Int], blockWidth: [Int], warps: [Int], statistics: [RowStatistics] = [.sums]) {
        self.rowsPerBlock = rowsPerBlock
        self.blockWidth = blockWidth
        self.warps = warps
        self.statistics = statistics
    }

    public var count: Int { rowsPerBlock.count * blockWidth.count * warps.count * statistics.count }

    public func schedule(at index: Int, compiler: CompilerFacts = .none) -> ReductionSchedule {
        var rest = index
        let st = statistics[rest % statistics.count]; rest /= statistics.count
        let w = warps[rest % warps.count]; rest /= warps.count
        let bw = blockWidth[rest % blockWidth.count]; rest /= blockWidth.count
        let r = rowsPerBlock[rest % rowsPerBlock.count]
        return ReductionSchedule(rowsPerBlock: r, blockWidth: bw, warps: w, statistics: st, compiler: compiler)
    }
}
