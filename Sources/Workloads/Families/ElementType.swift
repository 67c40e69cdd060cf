import MachineModel

/// The number format a kernel reads and writes (`dtype:` in candidate files).
///
/// GEMM inputs of every format accumulate in fp32; `fp32` means IEEE fp32 arithmetic (vector units), `tf32` means
/// fp32 storage with tensor-core tf32 products; `int8` GEMMs accumulate in int32.
public enum ElementType: String, CaseIterable, Hashable, Sendable {
    case fp32, tf32, fp16, bf16, fp8, int8

    /// The machine precision whose peak rate applies.
    public var precision: Precision {
        switch self {
        case .fp32: .fp32
        case .tf32: .tf32
        case .fp16: .fp16
        case .bf16: .bf16
        case .fp8: .fp8
        case .int8: .int8
        }
    }

    /// Bytes one element occupies in memory.
    public var bytes: Int {
        switch self {
        case .fp32, .tf32: 4
        case .fp16, .bf16: 2
        case .fp8, .int8: 1
        }
    }
}

/// The families of kernels the candidate format describes.
public enum Family: String, CaseIterable, Hashable, Sendable {
    case gemm, elementwise, reduction, attention, generic
}

/// Facts a compiler reported for one compiled kernel; when present they replace what the cost model would infer.
public struct CompilerFacts: Hashable, Sendable {
    /// The compiler that builds the candidate: its own rules apply only to its candidates (Triton's tile sizes come
    /// from `tl.arange` and are powers of two; a CUDA C++ kernel may tile by 192).
    public var toolchain: Toolchain
    public var registersPerThread: Int?
    /// Shared memory the kernel allocates per block, in bytes (static plus dynamic, without the runtime's reserve).
    public var sharedBytes: Int?
    /// 32-bit words per thread spilled to local memory.
    public var spills: Int?

    public init(toolchain: Toolchain = .triton, registersPerThread: Int? = nil, sharedBytes: Int? = nil, spills: Int? = nil) {
        self.toolchain = toolchain
        self.registersPerThread = registersPerThread
        self.sharedBytes = sharedBytes
        self.spills = spills
    }

    public static let none = CompilerFacts()

    public enum Toolchain: String, CaseIterable, Hashable, Sendable {
        case triton, cuda, opencl
    }

    /// Whether the compiler's power-of-two rule applies (Triton's block shapes).
    public var needsPowerOfTwoTiles: Bool { toolchain == .triton }

    public var isEmpty: Bool { registersPerThread == nil && sharedBytes == nil && spills == nil }
}
