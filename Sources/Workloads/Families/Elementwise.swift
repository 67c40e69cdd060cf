import MachineModel

/// A chain of elementwise operations over `elements` values (y = f_n(...f_1(x, operands)...)).
public struct ElementwiseProblem: Hashable, Sendable {
    public var elements: Int
    /// The ops in order; a chain given by its length alone (`ops: 3`) is that many `generic` ops.
    public var chain: [ElementOp]
    public var dtype: ElementType
    /// Further input tensors of `elements` values that the chain reads: the tensor operands of its named ops, or,
    /// for the count shorthand, what the file states.
    public var extraInputs: Int

    /// A chain of `ops` unnamed ops (the count shorthand).
    public init(elements: Int, ops: Int, dtype: ElementType, extraInputs: Int = 0) {
        self.init(elements: elements, chain: Array(repeating: .generic, count: ops), dtype: dtype, extraInputs: extraInputs)
    }

    public init(elements: Int, chain: [ElementOp], dtype: ElementType, extraInputs: Int? = nil) {
        self.elements = elements
        self.chain = chain
        self.dtype = dtype
        self.extraInputs = extraInputs ?? ElementOp.tensorOperands(chain)
    }

    /// Length of the chain: the number of operations, and of kernels when the chain is not fused.
    public var ops: Int { chain.count }

    /// Whether the chain was given by its length alone.
    public var isCountShorthand: Bool { chain.allSatisfy { $0 == .generic } }

    /// The `ops` value as a file writes it: a count for the shorthand, else the ops joined by `+`.
    public var opsText: String { isCountShorthand ? "\(ops)" : ElementOp.spelling(chain) }
}

public struct ElementwiseSchedule: Hashable, Sendable {
    /// One kernel for the whole chain, or one kernel per operation.
    public var fused: Bool
    public var blockElements: Int
    public var warps: Int
    /// Elements per memory instruction; nil leaves the choice to the compiler (16-byte accesses where it can).
    public var vectorWidth: Int?
    public var compiler: CompilerFacts

    public init(fused: Bool, blockElements: Int, warps: Int, vectorWidth: Int? = nil, compiler: CompilerFacts = .none) {
        self.fused = fused
        self.blockElements = blockElements
        self.warps = warps
        self.vectorWidth = vectorWidth
        self.compiler = compiler
    }
}

public struct ElementwiseAxes: Hashable, Sendable {
    public var fused: [Bool]
    public var blockElements: [Int]
    public var warps: [Int]
    /// nil entries mean "the compiler's choice".
    public var vectorWidth: [Int?]

    public init(fused: [Bool], blockElements: [Int], warps: [Int], vectorWidth: [Int?] = [nil]) {
        self.fused = fused
        self.blockElements = blockElements
        self.warps = warps
        self.vectorWidth = vectorWidth
    }

    public var count: Int { fused.count * blockElements.count * warps.count * vectorWidth.count }

    public func schedule(at index: Int, compiler: CompilerFacts = .none) -> ElementwiseSchedule {
        var rest = index
        let vw = vectorWidth[rest % vectorWidth.count]; rest /= vectorWidth.count
        let w = warps[rest % warps.count]; rest /= warps.count
        let be = blockElements[rest % blockElements.count]; rest /= blockElements.count
        let f = fused[rest % fused.count]
        return ElementwiseSchedule(fused: f, blockElements: be, warps: w, vectorWidth: vw, compiler: compiler)
    }
}
