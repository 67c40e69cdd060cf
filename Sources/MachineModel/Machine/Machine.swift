/// An abstract machine: what the hardware is, as a cost model needs to know it.
///
/// Fields that a file may leave out are optional: "not specified" is kept apart from any default, so that a draft
/// written by `machines detect` says what it does not know instead of inventing it.
public struct Machine: Hashable, Sendable {
    public var name: String
    public var kind: Kind
    public var identity: Identity
    /// Documents that `spec` provenance refers to, by id, in file order.
    public var sources: [SourceDocument]
    public var compute: Compute
    public var occupancy: Occupancy?
    /// Ordered from the innermost level (registers) to the outermost (device memory, host link).
    public var memory: [MemoryLevel]
    public var launchOverhead: Sourced<Seconds>?
    /// Cost of named elementwise ops in issue slots per element (fp32 lane instructions, special functions counted
    /// at what they cost the issue stream), where calibration measured them or a file states them.
    public var elementOps: [ElementOp: Sourced<Double>]
    /// Dotted field paths that a draft could not determine; never given a value in the same file.
    public var unknown: [String]

    public enum Kind: String, CaseIterable, Hashable, Sendable { case gpu, cpu }

    public init(
        name: String, kind: Kind, identity: Identity, sources: [SourceDocument], compute: Compute,
        occupancy: Occupancy?, memory: [MemoryLevel], launchOverhead: Sourced<Seconds>?, elementOps: [ElementOp: Sourced<Double>] = [:],
        unknown: [String] = []
    ) {
        self.name = name
        self.kind = kind
        self.identity = identity
        self.sources = sources
        self.compute = compute
        self.occupancy = occupancy
        self.memory = memory
        self.launchOverhead = launchOverhead
        self.elementOps = elementOps
        self.unknown = unknown
    }

    /// The memory level with this name, if the model has one.
    public func level(_ name: String) -> MemoryLevel? { memory.first { $0.name == name } }

    /// The roles a kernel file may name a level by, so that one file travels across machines whose levels are named
    /// differently (an H100's `hbm`, an L4's `gddr6`).
    public static let levelRoles = ["dram", "l2", "l1", "shared", "registers"]

    /// The level a kernel addresses, by the machine's own name first, else by role: `dram` the outermost device
    /// memory, `l1` and `l2` the first and second caches outward, `shared` the scratchpad, `registers` the registers.
    public func level(addressed name: String) -> MemoryLevel? {
        if let named = level(name) { return named }
        let caches = memory.filter { $0.kind == .cache }
        switch name {
        case "dram": return deviceMemory
        case "l1": return caches.first
        case "l2": return caches.dropFirst().first
        case "shared": return memory.first { $0.kind == .scratchpad }
        case "registers": return memory.first { $0.kind == .registers }
        default: return nil
        }
    }

    /// The outermost on-device memory (HBM, GDDR, DRAM): the level whose bandwidth sets the roofline's slope.
    public var deviceMemory: MemoryLevel? { memory.last { $0.kind == .dram } }
}

public struct SourceDocument: Hashable, Sendable {
    public var id: String
    public var title: String
    public init(id: String, title: String) {
        self.id = id
        self.title = title
    }
}

public struct Identity: Hashable, Sendable {
    public var vendor: String
    public var product: String
    public var architecture: String
    /// Compute capability (NVIDIA), gfx target (AMD), GPU family (Apple) or ISA level (CPU).
    public var computeCapability: String?

    public init(vendor: String, product: String, architecture: String, computeCapability: String?) {
        self.vendor = vendor
        self.product = product
        self.architecture = architecture
        self.computeCapability = computeCapability
    }
}

/// Number formats for which a machine may state a peak rate.
public enum Precision: String, CaseIterable, Hashable, Sendable, Comparable {
    case fp64, fp32, tf32, fp16, bf16, fp8, fp4, int8
    /// 32-bit integer arithmetic (index math, hashing, bit manipulation) on the vector units.
    case int32

    public static func < (lhs: Precision, rhs: Precision) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// Whether the precision counts integer operations (OP/s) rather than floating-point ones (FLOP/s).
    public var isInteger: Bool { self == .int8 || self == .int32 }

    /// Bytes one element occupies in memory (tf32 is stored as fp32; fp4 packs two to a byte).
    public var elementBytes: Double {
        switch self {
        case .fp64: 8
        case .fp32, .tf32, .int32: 4
        case .fp16, .bf16: 2
        case .fp8, .int8: 1
        case .fp4: 0.5
        }
    }
}

/// The execution units that deliver a peak rate.
public enum ExecutionUnit: String, CaseIterable, Hashable, Sendable {
    /// SIMT/SIMD lanes: CUDA cores, stream processors, CPU vector units.
    case vector
    /// Matrix engines: tensor cores, matrix cores, AMX.
    case matrix
}

public struct Compute: Hashable, Sendable {
    /// What one unit is called on this machine: SM, CU, core.
    public var unitName: String
    public var unitCount: Sourced<Int>
    public var baseClock: Sourced<Hertz>?
    public var boostClock: Sourced<Hertz>?
    /// Threads that execute in lock step: warp (32), wavefront (64), SIMD width in fp32 lanes on a CPU.
    public var warpWidth: Sourced<Int>?
    /// Dense peak rates (an FMA counts as two operations) by unit and precision.
    public var peak: [ExecutionUnit: [Precision: Sourced<OpsPerSecond>]]
    /// Special-function (exp, rsqrt) throughput, for softmax-like kernels.
    public var specialFunctionRate: Sourced<OpsPerSecond>?
    /// The fp16 rate of a large library GEMM once the device has been kept busy for seconds: the power or thermal
    /// limit lowers the clock below the one the matrix peak was timed at, and campaigns that time kernels back to
    /// back run there.
    public var sustainedMatrixRate: Sourced<OpsPerSecond>?
    /// Time between the thread blocks one unit is handed when they do no work: a grid of many short blocks waits on
    /// the block scheduler, not on memory.
    public var blockDispatchInterval: Sourced<Seconds>?

    public init(
        unitName: String, unitCount: Sourced<Int>, baseClock: Sourced<Hertz>?, boostClock: Sourced<Hertz>?,
        warpWidth: Sourced<Int>?, peak: [ExecutionUnit: [Precision: Sourced<OpsPerSecond>]],
        specialFunctionRate: Sourced<OpsPerSecond>?, sustainedMatrixRate: Sourced<OpsPerSecond>? = nil,
        blockDispatchInterval: Sourced<Seconds>? = nil
    ) {
        self.unitName = unitName
        self.unitCount = unitCount
        self.baseClock = baseClock
        self.boostClock = boostClock
        self.warpWidth = warpWidth
        self.peak = peak
        self.specialFunctionRate = specialFunctionRate
        self.sustainedMatrixRate = sustainedMatrixRate
        self.blockDispatchInterval = blockDispatchInterval
    }

    /// The peak rate for a precision on a unit, if the machine states one.
    public func peak(_ unit: ExecutionUnit, _ precision: Precision) -> Sourced<OpsPerSecond>? { peak[unit]?[precision] }
}

/// The vendor's rules that decide how many blocks fit on one unit at once.
public struct Occupancy: Hashable, Sendable {
    public var maxThreadsPerUnit: Sourced<Int>
    public var maxWarpsPerUnit: Sourced<Int>
    public var maxBlocksPerUnit: Sourced<Int>
    public var maxThreadsPerBlock: Sourced<Int>
    public var registersPerUnit: Sourced<Int>
    public var maxRegistersPerThread: Sourced<Int>
    /// Registers are handed out per warp in multiples of this many.
    public var registerAllocationUnit: Sourced<Int>
    public var sharedMemoryPerUnit: Sourced<Bytes>
    public var maxSharedMemoryPerBlock: Sourced<Bytes>
    /// Shared memory the runtime takes for itself in every block (1 KiB on Ampere and Hopper).
    public var reservedSharedMemoryPerBlock: Sourced<Bytes>
    /// Shared memory is handed out per block in multiples of this size.
    public var sharedMemoryAllocationUnit: Sourced<Bytes>

    public init(
        maxThreadsPerUnit: Sourced<Int>, maxWarpsPerUnit: Sourced<Int>, maxBlocksPerUnit: Sourced<Int>,
        maxThreadsPerBlock: Sourced<Int>, registersPerUnit: Sourced<Int>, maxRegistersPerThread: Sourced<Int>,
        registerAllocationUnit: Sourced<Int>, sharedMemoryPerUnit: Sourced<Bytes>,
        maxSharedMemoryPerBlock: Sourced<Bytes>, reservedSharedMemoryPerBlock: Sourced<Bytes>,
        sharedMemoryAllocationUnit: Sourced<Bytes>
    ) {
        self.maxThreadsPerUnit = maxThreadsPerUnit
        self.maxWarpsPerUnit = maxWarpsPerUnit
        self.maxBlocksPerUnit = maxBlocksPerUnit
        self.maxThreadsPerBlock = maxThreadsPerBlock
        self.registersPerUnit = registersPerUnit
        self.maxRegistersPerThread = maxRegistersPerThread
        self.registerAllocationUnit = registerAllocationUnit
        self.sharedMemoryPerUnit = sharedMemoryPerUnit
        self.maxSharedMemoryPerBlock = maxSharedMemoryPerBlock
        self.reservedSharedMemoryPerBlock = reservedSharedMemoryPerBlock
        self.sharedMemoryAllocationUnit = sharedMemoryAllocationUnit
    }
}

public struct MemoryLevel: Hashable, Sendable {
    public var name: String
    public var kind: Kind
    public var scope: Scope
    /// Capacity of one instance (per unit for unit scope, the whole device for device scope).
    public var size: Sourced<Bytes>?
    /// Bandwidth of one instance; `aggregateBandwidth` multiplies unit-scope levels by the unit count.
    public var bandwidth: Sourced<BytesPerSecond>?
    /// Load-to-use latency of a dependent access that hits this level.
    public var latency: Sourced<Seconds>?
    public var lineSize: Sourced<Bytes>?

    public enum Kind: String, CaseIterable, Hashable, Sendable {
        case registers, scratchpad, cache, dram, link
    }

    public enum Scope: String, CaseIterable, Hashable, Sendable {
        /// One instance per compute unit (SM, CU, core).
        case unit
        /// One instance shared by the whole device.
        case device
        /// Between the device and its host.
        case host
    }

    public init(
        name: String, kind: Kind, scope: Scope, size: Sourced<Bytes>?, bandwidth: Sourced<BytesPerSecond>?,
        latency: Sourced<Seconds>?, lineSize: Sourced<Bytes>?
    ) {
        self.name = name
        self.kind = kind
        self.scope = scope
        self.size = size
        self.bandwidth = bandwidth
        self.latency = latency
        self.lineSize = lineSize
    }
}
