import MachineModel

/// Why a candidate cannot run. Each rule keeps its message beside it; payloads are numbers so that rejecting a
/// million candidates allocates nothing, and words are built only when a person asks.
public enum Infeasibility: Hashable, Sendable {
    /// The block asks for more shared memory than one block may have (Triton raises OutOfResources).
    case sharedMemory(required: Int, limit: Int)
    /// More threads per block than the hardware launches.
    case threadsPerBlock(threads: Int, limit: Int)
    /// The registers of one block exceed the unit's register file: the launch fails.
    case registers(perBlock: Int, limit: Int)
    /// Triton's tl.arange (and so every block dimension and warp count) needs powers of two.
    case notPowerOfTwo(key: ScheduleKey, value: Int)
    /// tl.dot needs every tile dimension to be at least 16.
    case belowDotMinimum(key: ScheduleKey, value: Int)
    /// The kernel requires the problem dimension to be a multiple of the tile (the flash kernel has no masks).
    case doesNotDivide(key: ScheduleKey, value: Int, extent: Int)
    /// The machine states no matrix-unit rate for this precision.
    case noMatrixRate(Precision)
    /// Integer products have no FMA path here: they run on matrix units or not at all.
    case integerNeedsMatrixUnits
    /// A value the schedule needs is missing (flash attention without tiles).
    case missing(key: ScheduleKey)
    /// A generic kernel names a memory level the machine does not have.
    case unknownMemoryLevel
    /// Welford's running mean and variance are a layernorm's statistics; other row ops have none to gather.
    case welfordNeedsLayernorm
    /// A persistent attention kernel is warp-specialised: asynchronous matrix units (wgmma, 64-row tiles) and a
    /// producer warpgroup beside at least one that multiplies.
    case persistentNeedsWarpgroups(warps: Int)

    /// Schedule keys, spelt as in files, for messages.
    public enum ScheduleKey: String, Hashable, Sendable {
        case block_m, block_n, block_k, warps, stages, group_m, split_k, block_elements, vector_width
        case rows_per_block, block_width, block_q, block_kv, head_dim, block, split_kv
    }

    /// What a summary groups by: "shared memory", "threads per block", ...
    public var category: String {
        switch self {
        case .sharedMemory: "shared memory"
        case .threadsPerBlock: "threads per block"
        case .registers: "registers"
        case .notPowerOfTwo: "power of two"
        case .belowDotMinimum: "tl.dot minimum"
        case .doesNotDivide: "divisibility"
        case .noMatrixRate, .integerNeedsMatrixUnits: "matrix units"
        case .missing: "missing value"
        case .unknownMemoryLevel: "memory level"
        case .welfordNeedsLayernorm: "statistics"
        case .persistentNeedsWarpgroups: "warp specialisation"
        }
    }

    /// One sentence with the limit named: "shared memory 512 KiB > 227 KiB per block".
    public var message: String {
        switch self {
        case let .sharedMemory(required, limit):
            return "shared memory \(Bytes(required).description) > \(Bytes(limit).description) per block"
        case let .threadsPerBlock(threads, limit):
            return "\(threads) threads per block > \(limit)"
        case let .registers(perBlock, limit):
            return "registers \(perBlock) per block > \(limit) per unit"
        case let .notPowerOfTwo(key, value):
            return "\(key.rawValue) \(value) is not a power of two (Triton block shapes must be)"
        case let .belowDotMinimum(key, value):
            return "\(key.rawValue) \(value) < 16, the smallest tile tl.dot accepts"
        case let .doesNotDivide(key, value, extent):
            return "\(key.rawValue) \(value) does not divide \(extent)"
        case let .noMatrixRate(precision):
            return "the machine states no matrix-unit rate for \(precision.rawValue)"
        case .integerNeedsMatrixUnits:
            return "int8 products run on matrix units only (matrix_units: true)"
        case let .missing(key):
            return "\(key.rawValue) is required for this variant"
        case .unknownMemoryLevel:
            return "bytes name a memory level the machine does not have"
        case .welfordNeedsLayernorm:
            return "statistics welford gathers a layernorm's mean and variance; other row ops take sums"
        case let .persistentNeedsWarpgroups(warps):
            return "persistent attention needs wgmma (block_q >= 64 on a machine with asynchronous matrix units) and at least 8 warps (a producer warpgroup and one that multiplies), got \(warps) warps"
        }
    }
}
