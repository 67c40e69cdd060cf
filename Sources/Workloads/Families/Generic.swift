import MachineModel

/// A kernel described by its counters rather than by a family: how a swarm describes a kernel of any shape.
public struct GenericKernel: Hashable, Sendable {
    public var name: String
    /// Blocks in the grid (the product of its dimensions).
    public var grid: Int
    /// Threads per block (the product of its dimensions).
    public var block: Int
    /// nil: the model assumes a modest 32.
    public var registersPerThread: Int?
    public var sharedBytes: Int
    /// Operations (an FMA counts as two) by unit and precision, vector before matrix, precisions in the machine file's order.
    public var flops: [Work]
    /// exp, log, rsqrt, sin... evaluated on the special-function units.
    public var specialOps: Double
    /// Bytes moved at each memory level, by the machine's level names or by role (`Machine.levelRoles`), in file order.
    public var bytes: [Traffic]

    public struct Work: Hashable, Sendable {
        public var unit: ExecutionUnit
        public var precision: Precision
        public var operations: Double
        public init(unit: ExecutionUnit, precision: Precision, operations: Double) {
            self.unit = unit
            self.precision = precision
            self.operations = operations
        }
    }

    public struct Traffic: Hashable, Sendable {
        public var level: String
        public var bytes: Double
        public init(level: String, bytes: Double) {
            self.level = level
            self.bytes = bytes
        }
    }

    public init(
        name: String, grid: Int, block: Int, registersPerThread: Int? = nil, sharedBytes: Int = 0, flops: [Work] = [],
        specialOps: Double = 0, bytes: [Traffic] = []
    ) {
        self.name = name
        self.grid = grid
        self.block = block
        self.registersPerThread = registersPerThread
        self.sharedBytes = sharedBytes
        self.flops = flops
        self.specialOps = specialOps
        self.bytes = bytes
    }
}

/// One generic candidate: a named sequence of kernels run one after another.
public struct GenericCandidate: Hashable, Sendable {
    public var name: String
    public var kernels: [GenericKernel]

    public init(name: String, kernels: [GenericKernel]) {
        self.name = name
        self.kernels = kernels
    }
}
