import MachineModel

/// The least work a problem needs whatever kernel solves it: its arithmetic and its compulsory bytes (each input
/// read once, each output written once). The speed-of-light bound of a problem on a machine comes from these.
public struct ProblemWork: Hashable, Sendable {
    /// Arithmetic operations (an FMA counts 2; an elementwise op, a comparison or an exp counts 1).
    public var flops: Double
    public var compulsoryBytes: Double
    public var dtype: ElementType
    /// Whether the products can run on matrix units (GEMM, attention); others are vector work.
    public var matrixCapable: Bool

    public init(flops: Double, compulsoryBytes: Double, dtype: ElementType, matrixCapable: Bool) {
        self.flops = flops
        self.compulsoryBytes = compulsoryBytes
        self.dtype = dtype
        self.matrixCapable = matrixCapable
    }

    /// The problem of a family, read by the same rules as a candidate file's `problem`.
    public static func read(family: Family, problem: MappingReader) throws(FormatError) -> ProblemWork {
        switch family {
        case .gemm:
            let p = try FamilyReader.gemmProblem(problem)
            let (m, n, k, batch) = (Double(p.m), Double(p.n), Double(p.k), Double(p.batch))
            let e = Double(p.dtype.bytes), out = Double(p.outputBytes)
            var bytes = (m * k + k * n) * e * batch + m * n * out * batch
            for op in p.epilogue {
                switch op.operand {
                case .row: bytes += n * out
                case .tensor: bytes += m * n * out * batch
                case .none, .scalar: break
                }
            }
            return ProblemWork(flops: p.flops, compulsoryBytes: bytes, dtype: p.dtype, matrixCapable: true)
        case .elementwise:
            let p = try FamilyReader.elementwiseProblem(problem)
            let n = Double(p.elements), e = Double(p.dtype.bytes)
            return ProblemWork(flops: n * Double(p.ops), compulsoryBytes: n * e * Double(2 + p.extraInputs), dtype: p.dtype,
                               matrixCapable: false)
        case .reduction:
            let p = try FamilyReader.reductionProblem(problem)
            let cells = Double(p.rows) * Double(p.cols), e = Double(p.dtype.bytes), cols = Double(p.cols)
            // Operations per element: softmax max, subtract, exp, sum, scale; layernorm two sums, centre, square,
            // scale, shift; rmsnorm square, sum, scale, gain; sum one add.
            let (perElement, output, params): (Double, Double, Double) = switch p.op {
            case .softmax: (5, cells, 0)
            case .layernorm: (7, cells, 2 * cols)
            case .rmsnorm: (4, cells, cols)
            case .sum: (1, Double(p.rows), 0)
            }
            // A prologue's tensor operands are read, and the sum they make is stored (the residual stream).
            let prologue = Double(ElementOp.tensorOperands(p.prologue)) * 2 * cells
            return ProblemWork(flops: perElement * cells, compulsoryBytes: (cells + output + params + prologue) * e, dtype: p.dtype,
                               matrixCapable: false)
        case .attention:
            let p = try FamilyReader.attentionProblem(problem)
            return ProblemWork(flops: p.flops, compulsoryBytes: p.tensorBytes, dtype: p.dtype, matrixCapable: true)
        case .generic:
            throw FormatError(problem.location, field: problem.path.isEmpty ? "family" : problem.path,
                              "generic kernels have no problem to bound; their counters are their work")
        }
    }
}
