import Foundation
import MachineModel

/// How elements are stored in device buffers. The OpenCL library stores fp32; external runners may store fp16 or bf16,
/// and then the verifier generates inputs already rounded to that type and widens outputs to float32 on the wire.
public enum DataType: String, CaseIterable, Hashable, Sendable, Codable {
    case fp32, fp16, bf16

    /// Unit roundoff (half the distance from 1 to the next number): the scale of one correctly rounded operation.
    public var unitRoundoff: Double {
        switch self {
        case .fp32: 0x1p-24
        case .fp16: 0x1p-11
        case .bf16: 0x1p-8
        }
    }

    public var elementBytes: Int { self == .fp32 ? 4 : 2 }

    /// The machine-model precision whose peak rate bounds arithmetic on this type.
    public var precision: Precision {
        switch self {
        case .fp32: .fp32
        case .fp16: .fp16
        case .bf16: .bf16
        }
    }

    /// Rounds a float32 value to this type (round to nearest even), kept in a float32.
    public func round(_ value: Float) -> Float {
        switch self {
        case .fp32:
            return value
        case .fp16:
            return Float(Float16(value))
        case .bf16:
            let bits = value.bitPattern
            let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
            return Float(bitPattern: rounded & 0xFFFF_0000)
        }
    }
}

/// One buffer a problem reads or writes, in the order the family fixes (inputs first, then outputs).
public struct BufferSpec: Hashable, Sendable, Codable {
    public enum Role: String, Hashable, Sendable, Codable { case input, output }
    public var name: String
    public var role: Role
    public var count: Int

    public init(_ name: String, _ role: Role, count: Int) {
        self.name = name
        self.role = role
        self.count = count
    }
}

/// What the host reference computed for one output: values in float64 and, per element, the magnitude that the
/// error of an honest float computation scales with (for a dot product, `|a|·|b|`; for a pointwise op, the operand).
public struct ReferenceOutput: Sendable {
    public var name: String
    public var values: [Double]
    public var scale: [Double]

    public init(name: String, values: [Double], scale: [Double]) {
        self.name = name
        self.values = values
        self.scale = scale
    }
}

/// A family's problem: its sizes, its buffers, its arithmetic and traffic, its host reference.
public protocol ProblemDefinition: Hashable, Sendable, Codable {
    /// `gemm`, `elementwise`, `softmax`, `layernorm`, `rmsnorm`, `transpose`, `copy`.
    var family: String { get }
    var dataType: DataType { get }
    /// Names that launch geometry and scalar arguments may use (`M`, `N`, `K`, `lda`, ...).
    var variables: [String: Int] { get }
    var buffers: [BufferSpec] { get }
    /// Floating-point operations of the problem (an FMA counts as two), independent of how a kernel does it.
    var flops: Double { get }
    /// Length of the longest sum an output element depends on: K for GEMM, the row length for row operations.
    var reductionLength: Int { get }
    /// Transcendental functions (exp, tanh, rsqrt) on the path to one output element; each adds a few ulps.
    var functionCount: Int { get }
    /// Whether outputs must match the reference bit for bit (data movement only).
    var isExact: Bool { get }
    /// A smaller shape whose every dimension has a ragged tail (odd, not a multiple of any tile or vector width),
    /// its sizes drawn by `draw`.
    func ragged(_ draw: inout RaggedDraw) -> Self
    /// The float64 reference from float32 inputs given in `buffers` order.
    func reference(_ inputs: [[Float]]) -> [ReferenceOutput]
    /// A short shape label: `512x512x512`.
    var shapeText: String { get }
}

extension ProblemDefinition {
    public var inputs: [BufferSpec] { buffers.filter { $0.role == .input } }
    public var outputs: [BufferSpec] { buffers.filter { $0.role == .output } }

    /// Bytes that any kernel must move: every input read once and every output written once.
    public var compulsoryBytes: Bytes {
        Bytes(base: Double(buffers.reduce(0) { $0 + $1.count }) * Double(dataType.elementBytes))
    }

    /// Inputs of a check, generated from its seed (see `SplitMix64`), moved into `range` and rounded to the data type.
    public func makeInputs(seed: UInt64, range: InputRange? = nil) -> [[Float]] {
        inputs.enumerated().map { index, spec in
            var generator = SplitMix64(seed: seed, buffer: index)
            var values = generator.inputs(spec.count)
            if let range {
                values = values.map(range.apply)
                range.placeSpecials(in: &values, seed: seed, buffer: index)
            }
            if dataType != .fp32 { values = values.map(dataType.round) }
            return values
        }
    }
}

/// Draws the dimensions of a ragged shape from a check's seed.
public struct RaggedDraw {
    private var generator: SplitMix64

    public init(seed: UInt64) {
        generator = SplitMix64(seed: seed ^ 0x5241_4747_4544)
    }

    /// A dimension with a ragged tail: odd, so that it is a multiple of no tile or vector width above 1, drawn
    /// between half and all of `min(size, cap)` (sizes of 1 or 2 stay as they are).
    public mutating func dimension(_ size: Int, cap: Int) -> Int {
        let upper = min(size, cap)
        if upper <= 2 { return upper }
        let lower = max(3, upper / 2 + 1)
        let drawn = lower >= upper ? upper : lower + Int(generator.next() % UInt64(upper - lower + 1))
        return drawn % 2 == 1 ? drawn : drawn - 1
    }
}

/// Runs `body(range)` over `0..<count` split into chunks on all cores.
func parallelChunks(_ count: Int, minimumChunk: Int = 1, _ body: @Sendable (Range<Int>) -> Void) {
    let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, (count + minimumChunk - 1) / max(1, minimumChunk)))
    if workers == 1 { body(0..<count); return }
    let chunk = (count + workers - 1) / workers
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
        let start = worker * chunk
        let end = min(count, start + chunk)
        if start < end { body(start..<end) }
    }
}

/// A buffer of doubles that several threads fill in disjoint ranges.
final class SharedDoubles: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Double>
    let count: Int

    init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(1, count))
        pointer.initialize(repeating: 0, count: max(1, count))
    }

    deinit { pointer.deallocate() }

    var array: [Double] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}
