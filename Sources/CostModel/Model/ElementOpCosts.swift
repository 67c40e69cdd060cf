import MachineModel

/// What one named op costs per element, and where the figure comes from.
///
/// A machine that states `element_ops.OP` (measured by `kernelcast calibrate`'s element-ops benchmark or imported
/// from a CUDA/Triton harness) is charged that many issue slots; special-function work is inside the measured
/// figure. Elsewhere the default below applies: the instructions of the form compilers emit (Triton with
/// NVIDIA's libdevice; docs/fusion.md lists them), special-function instructions (ex2, lg2, rcp, rsqrt) apart,
/// since they run on their own, slower units.
public struct ElementOpCost: Sendable, Hashable {
    /// fp32 lane instructions per element (issue slots).
    public var vector: Double
    /// Special-function instructions per element.
    public var special: Double
    /// Cycles one thread spends on one element when it has nothing else to issue: the op's dependent chain as
    /// compiled, which only other warps or other elements can hide. It bounds a GEMM epilogue, where the accumulator
    /// fills the registers (no room to interleave elements) and one or two blocks share a unit.
    public var latency: Double

    public init(vector: Double, special: Double, latency: Double = 0) {
        self.vector = vector
        self.special = special
        self.latency = latency
    }

    /// Defaults for a machine that was never calibrated, by op.
    public static func fallback(_ op: ElementOp) -> ElementOpCost {
        var cost = instructions(op)
        cost.latency = latency(op)
        return cost
    }

    /// Cycles per element in an epilogue of Triton on an H100 (`calibration/measurements/h100-sxm/epilogue/`, a
    /// microbenchmark of role `fit`): the one-shot cost in issue slots per element times the warps per unit over
    /// the unit's 4 schedulers, the median over the 128x256x8, 128x128x4, 128x128x8 and 64x256x4 tiles (4 to 16
    /// warps a unit, 128 elements a thread). The tensor operands' loads are the memory terms' (add, mul and residual
    /// here are the arithmetic alone); dropout's figure is its spills', which the register model charges, so it
    /// keeps none.
    static func latency(_ op: ElementOp) -> Double {
        switch op {
        case .gelu_tanh: 165
        case .tanh: 154
        case .gelu_erf: 86
        case .log: 75
        case .div: 67
        case .silu: 30
        case .sigmoid: 28
        case .exp: 13
        case .rsqrt: 9
        case .bias: 4
        case .add, .mul, .scale, .residual, .relu, .square, .cast, .generic: 1
        case .dropout: 0
        }
    }

    /// The instructions of the forms compilers emit, by op.
    static func instructions(_ op: ElementOp) -> ElementOpCost {
        switch op {
        case .add, .mul, .scale, .bias, .residual, .relu, .square: ElementOpCost(vector: 1, special: 0)
        // 0.5 x (1 + tanh(0.79788 (x + 0.044715 x^3))): five FMAs around libdevice tanhf (an exponential and a
        // reciprocal in a select-guarded formula of about six instructions).
        case .gelu_tanh: ElementOpCost(vector: 11, special: 2)
        // 0.5 x (1 + erf(x / sqrt 2)): libdevice erff is two polynomial branches of about nine FMAs each, both
        // evaluated and selected, and one exponential on the far branch.
        case .gelu_erf: ElementOpCost(vector: 22, special: 1)
        // x / (1 + exp(-x)): a scaled ex2, an add, and a reciprocal-multiply division.
        case .silu: ElementOpCost(vector: 5, special: 2)
        case .sigmoid: ElementOpCost(vector: 4, special: 2)
        case .tanh: ElementOpCost(vector: 8, special: 2)
        case .exp: ElementOpCost(vector: 2, special: 1)
        case .log: ElementOpCost(vector: 3, special: 1)
        case .rsqrt: ElementOpCost(vector: 1, special: 1)
        case .div: ElementOpCost(vector: 4, special: 1)
        // Two conversions (a cvt runs at a quarter of the FMA rate on NVIDIA parts).
        case .cast: ElementOpCost(vector: 4, special: 0)
        // Philox 4x32-10: ten rounds of two wide multiplies and xors for four values, then compare, select, scale.
        case .dropout: ElementOpCost(vector: 18, special: 0)
        // The cost an op of the count shorthand always had.
        case .generic: ElementOpCost(vector: 1.5, special: 0)
        }
    }
}

extension MachineFigures {
    /// The cost of a chain per element: measured figures where the machine has them, defaults elsewhere.
    @inline(__always)
    func cost(of chain: [ElementOp]) -> ElementOpCost {
        var total = ElementOpCost(vector: 0, special: 0)
        for op in chain {
            let c = elementOpCosts[op.ordinal]
            total.vector += c.vector
            total.special += c.special
            total.latency += c.latency
        }
        return total
    }

    /// Seconds one unit spends on `elements` elements of a chain of cost `c`, issue and special units apart, for a
    /// block of `warps` warps running alone (fewer warps than schedulers leave issue slots empty).
    @inline(__always)
    func chainTimes(_ c: ElementOpCost, elements: Double, warps: Int) -> (vector: Double, special: Double) {
        let share = Double(min(max(1, warps), subPartitions)) / Double(subPartitions)
        return (elements * c.vector / Double(warpWidth) / (issuePerUnit * share), elements * c.special / specialPerUnit)
    }
}
