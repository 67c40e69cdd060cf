import Foundation

/// One step of an elementwise chain. Binary steps combine the running value with the next extra input
/// (the first binary step reads `Y1`, the second `Y2`, ...).
public enum ElementwiseOp: String, CaseIterable, Hashable, Sendable, Codable {
    case add, mul, relu, gelu, silu, sigmoid, tanh, exp, square

    public var isBinary: Bool { self == .add || self == .mul }
    public var isTranscendental: Bool { [.gelu, .silu, .sigmoid, .tanh, .exp].contains(self) }
    /// Floating-point operations per element (a transcendental counted as one).
    public var flops: Double {
        switch self {
        case .add, .mul, .relu, .square, .tanh, .exp: 1
        case .sigmoid: 3
        case .silu: 4
        case .gelu: 8
        }
    }

    /// The step in float64, for the host reference; `y` is the step's extra input (ignored by unary steps).
    public func apply(_ v: Double, _ y: Double) -> Double {
        switch self {
        case .add: v + y
        case .mul: v * y
        case .relu: max(v, 0)
        case .gelu: 0.5 * v * (1 + Foundation.tanh(0.7978845608028654 * (v + 0.044715 * v * v * v)))
        case .silu: v / (1 + Foundation.exp(-v))
        case .sigmoid: 1 / (1 + Foundation.exp(-v))
        case .tanh: Foundation.tanh(v)
        case .exp: Foundation.exp(v)
        case .square: v * v
        }
    }

    /// The step in OpenCL C, as an assignment to `v` (a float or floatN); `y` names the step's extra input.
    public func openCL(y: String) -> String {
        switch self {
        case .add: "v = v + \(y);"
        case .mul: "v = v * \(y);"
        case .relu: "v = fmax(v, 0.0f);"
        case .gelu: "v = 0.5f * v * (1.0f + tanh(0.7978845608f * (v + 0.044715f * v * v * v)));"
        case .silu: "v = v / (1.0f + exp(-v));"
        case .sigmoid: "v = 1.0f / (1.0f + exp(-v));"
        case .tanh: "v = tanh(v);"
        case .exp: "v = exp(v);"
        case .square: "v = v * v;"
        }
    }

    /// The chain the verifier runs for the cost model's `ops: n, extra_inputs: e` (which names no operations): `e`
    /// binary steps first (add, mul, add, ...), then bounded unary steps (gelu, relu, tanh, sigmoid, silu, ...).
    public static func defaultChain(ops: Int, extraInputs: Int) -> [ElementwiseOp] {
        let binary: [ElementwiseOp] = [.add, .mul]
        let unary: [ElementwiseOp] = [.gelu, .relu, .tanh, .sigmoid, .silu]
        let e = min(extraInputs, ops)
        return (0..<ops).map { i in i < e ? binary[i % 2] : unary[(i - e) % unary.count] }
    }
}

/// `Z[i] = op_n(... op_1(X[i]) ...)` over `N` elements; binary steps read the extra inputs `Y1`, `Y2`, ... in order.
public struct ElementwiseProblem: ProblemDefinition {
    public var count: Int
    public var ops: [ElementwiseOp]
    public var dataType: DataType

    public init(count: Int, ops: [ElementwiseOp], dataType: DataType = .fp32) {
        self.count = count
        self.ops = ops
        self.dataType = dataType
    }

    public var family: String { "elementwise" }
    public var extraInputCount: Int { ops.filter(\.isBinary).count }
    public var variables: [String: Int] { ["N": count] }
    public var buffers: [BufferSpec] {
        [.init("X", .input, count: count)] + (0..<extraInputCount).map { .init("Y\($0 + 1)", .input, count: count) }
            + [.init("Z", .output, count: count)]
    }
    public var flops: Double { Double(count) * ops.reduce(0) { $0 + $1.flops } }
    public var reductionLength: Int { ops.count }
    public var functionCount: Int { ops.filter(\.isTranscendental).count }
    public var isExact: Bool { ops.isEmpty }
    public var shapeText: String { "\(count) x [\(ops.map(\.rawValue).joined(separator: ","))]" }

    public func ragged(_ draw: inout RaggedDraw) -> ElementwiseProblem {
        ElementwiseProblem(count: draw.dimension(count, cap: 10007), ops: ops, dataType: dataType)
    }

    public func reference(_ inputs: [[Float]]) -> [ReferenceOutput] {
        var values = [Double](repeating: 0, count: count)
        var scale = [Double](repeating: 0, count: count)
        for i in 0..<count {
            var v = Double(inputs[0][i])
            var largest = abs(v)
            var next = 1
            for op in ops {
                var y = 0.0
                if op.isBinary {
                    y = Double(inputs[next][i])
                    next += 1
                    largest = max(largest, abs(y))
                }
                v = op.apply(v, y)
                largest = max(largest, abs(v))
            }
            values[i] = v
            scale[i] = largest
        }
        return [ReferenceOutput(name: "Z", values: values, scale: scale)]
    }
}
