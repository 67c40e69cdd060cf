/// The named elementwise operations that chains, GEMM epilogues and norm prologues are written in (docs/fusion.md).
///
/// A machine may state what each one costs per element (`element_ops`, measured by the calibration suite); the cost
/// model keeps documented defaults for the rest. They live here, beside the machine, because a machine file names them.
public enum ElementOp: String, CaseIterable, Hashable, Sendable {
    case add, mul, scale, bias, residual, relu, gelu_tanh, gelu_erf, silu, sigmoid, tanh, exp, log, rsqrt, div, square,
        cast, dropout
    /// One op of the count shorthand (`ops: 3`): an op known only by its count.
    case generic

    /// The ops a file may name (all but the count shorthand's), in the order messages list them.
    public static let named = allCases.filter { $0 != .generic }

    /// The op a file names, or nil for an unknown name.
    public init?(named name: String) {
        guard let op = ElementOp(rawValue: name), op != .generic else { return nil }
        self = op
    }

    /// What an op reads besides the value it transforms.
    public enum Operand: Sendable {
        case none
        /// A kernel argument (a scale factor, a dropout probability).
        case scalar
        /// A vector along the last dimension (a bias of N values for an [M, N] output).
        case row
        /// A second tensor of the output's shape (a residual, a gate, a divisor).
        case tensor
    }

    public var operand: Operand {
        switch self {
        case .add, .mul, .residual, .div: .tensor
        case .bias: .row
        case .scale, .dropout: .scalar
        case .relu, .gelu_tanh, .gelu_erf, .silu, .sigmoid, .tanh, .exp, .log, .rsqrt, .square, .cast, .generic: .none
        }
    }

    /// Position in `allCases`, without searching (tables in the cost model are indexed by it).
    @inline(__always) public var ordinal: Int {
        switch self {
        case .add: 0
        case .mul: 1
        case .scale: 2
        case .bias: 3
        case .residual: 4
        case .relu: 5
        case .gelu_tanh: 6
        case .gelu_erf: 7
        case .silu: 8
        case .sigmoid: 9
        case .tanh: 10
        case .exp: 11
        case .log: 12
        case .rsqrt: 13
        case .div: 14
        case .square: 15
        case .cast: 16
        case .dropout: 17
        case .generic: 18
        }
    }

    /// Tensors of the output's shape that a chain of these ops reads besides its input.
    public static func tensorOperands(_ chain: [ElementOp]) -> Int { chain.reduce(0) { $0 + ($1.operand == .tensor ? 1 : 0) } }

    /// A chain as files and keys write it: `bias+gelu_erf`.
    public static func spelling(_ chain: [ElementOp]) -> String { chain.map(\.rawValue).joined(separator: "+") }
}
