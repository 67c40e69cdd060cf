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

public struct ReductionSchedule: Hashable, Sendable {
    public var rowsPerBlock: Int
    /// Columns a block holds at once; narrower than the row, the kernel walks the row in chunks.
    public var blockWidth: Int
    public var warps: Int
    public var compiler: CompilerFacts

    public init(rowsPerBlock: Int, blockWidth: Int, warps: Int, compiler: CompilerFacts = .none) {
        self.rowsPerBlock = rowsPerBlock
        self.blockWidth = blockWidth
        self.warps = warps
        self.compiler = compiler
    }
}

public struct ReductionAxes: Hashable, Sendable {
    public var rowsPerBlock: [Int]
    public var blockWidth: [Int]
    public var warps: [Int]

    public init(rowsPerBlock: [Int], blockWidth: [Int], warps: [Int]) {
        self.rowsPerBlock = rowsPerBlock
        self.blockWidth = blockWidth
        self.warps = warps
    }

    public var count: Int { rowsPerBlock.count * blockWidth.count * warps.count }

    public func schedule(at index: Int, compiler: CompilerFacts = .none) -> ReductionSchedule {
        var rest = index
        let w = warps[rest % warps.count]; rest /= warps.count
        let bw = blockWidth[rest % blockWidth.count]; rest /= blockWidth.count
        let r = rowsPerBlock[rest % rowsPerBlock.count]
        return ReductionSchedule(rowsPerBlock: r, blockWidth: bw, warps: w, compiler: compiler)
    }
}
