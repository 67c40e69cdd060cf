import Foundation

/// Reads and writes machine files (docs/machine-format.md).
public enum MachineFile {
    /// The newest format version this build reads and writes.
    public static let version = 1

    /// Parses the text of a machine file; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws(FormatError) -> Machine {
        let document = try YAMLDocument(text: text, file: file)
        let top = try document.checkVersion(supported: version)
        var parser = Parser(file: file)
        let machine = try parser.machine(top)
        try parser.checkSourcesDeclared(machine)
        try MachineValidator.validate(machine, at: top, file: file)
        return machine
    }

    /// Reads a machine file from disk.
    public static func load(path: String) throws(FormatError) -> Machine {
        try parse(TextFile.read(path), file: path)
    }
}

/// Field-by-field reading of a machine mapping; remembers where each `spec` reference stood.
private struct Parser {
    let file: String
    var specReferences: [(source: String, location: FileLocation, field: String)] = []

    init(file: String) { self.file = file }

    mutating func machine(_ top: MappingReader) throws(FormatError) -> Machine {
        let name = try top.required("name") { v throws(FormatError) in try v.nonEmptyString() }
        let kind = try top.required("kind") { v throws(FormatError) in try v.oneOf(Machine.Kind.self) }
        let identity = try top.required("identity") { v throws(FormatError) in try self.identity(v.mapping()) }
        let sources = try top.required("sources") { v throws(FormatError) in try self.sources(v.mapping()) }
        let compute = try top.required("compute") { v throws(FormatError) in try self.compute(v.mapping()) }
        let occupancy = try top.optional("occupancy") { v throws(FormatError) in try self.occupancy(v.mapping()) }
        let memory = try top.required("memory") { v throws(FormatError) in
            var levels: [MemoryLevel] = []
            for item in try v.sequence() { levels.append(try self.level(item.mapping())) }
            return levels
        }
        let launch = try top.optional("launch_overhead") { v throws(FormatError) in try self.sourced(v, Seconds.self) }
        let ops = try top.optional("element_ops") { v throws(FormatError) in try self.elementOps(v.mapping()) } ?? [:]
        let unknown = try top.optional("unknown") { v throws(FormatError) in try v.list { i throws(FormatError) in try i.nonEmptyString() } } ?? []
        try top.finish()
        return Machine(
            name: name, kind: kind, identity: identity, sources: sources, compute: compute, occupancy: occupancy,
            memory: memory, launchOverhead: launch, elementOps: ops, unknown: unknown)
    }

    /// `element_ops: {gelu_erf: {value: 21.5, measured: RUN}}`: issue slots per element of each named op.
    mutating func elementOps(_ m: MappingReader) throws(FormatError) -> [ElementOp: Sourced<Double>] {
        var table: [ElementOp: Sourced<Double>] = [:]
        for (key, value) in m.entries() {
            guard let op = ElementOp(named: key) else {
                let names = ElementOp.named.map(\.rawValue)
                let hint = suggestion(for: key, among: names).map { "did you mean \($0)? " } ?? ""
                throw FormatError(m.location(of: key), field: m.fieldPath(key),
                                  "unknown op \"\(key)\"; \(hint)expected one of \(names.joined(separator: ", "))")
            }
            table[op] = try sourcedValue(value) { v throws(FormatError) in
                let slots = try v.double()
                // Rule: an op costs at least a fraction of an instruction per element and less than a few thousand.
                guard slots > 0, slots <= 10_000 else {
                    throw v.error("expected issue slots per element above 0 and at most 10000, got \(slots)")
                }
                return slots
            }
        }
        return table
    }

    func identity(_ m: MappingReader) throws(FormatError) -> Identity {
        let identity = Identity(
            vendor: try m.required("vendor") { v throws(FormatError) in try v.nonEmptyString() },
            product: try m.required("product") { v throws(FormatError) in try v.nonEmptyString() },
            architecture: try m.required("architecture") { v throws(FormatError) in try v.nonEmptyString() },
            computeCapability: try m.optional("compute_capability") { v throws(FormatError) in try v.nonEmptyString() })
        try m.finish()
        return identity
    }

    func sources(_ m: MappingReader) throws(FormatError) -> [SourceDocument] {
        var documents: [SourceDocument] = []
        for (key, value) in m.entries() {
            documents.append(SourceDocument(id: key, title: try value.nonEmptyString()))
        }
        return documents
    }

    mutating func compute(_ m: MappingReader) throws(FormatError) -> Compute {
        let unitName = try m.required("unit_name") { v throws(FormatError) in try v.nonEmptyString() }
        let count = try m.required("unit_count") { v throws(FormatError) in try self.sourcedCount(v, positive: true) }
        let base = try m.optional("base_clock") { v throws(FormatError) in try self.sourced(v, Hertz.self) }
        let boost = try m.optional("boost_clock") { v throws(FormatError) in try self.sourced(v, Hertz.self) }
        let warp = try m.optional("warp_width") { v throws(FormatError) in try self.sourcedCount(v, positive: true) }
        let special = try m.optional("special_function_rate") { v throws(FormatError) in try self.sourced(v, OpsPerSecond.self) }
        var peak: [ExecutionUnit: [Precision: Sourced<OpsPerSecond>]] = [:]
        if let p = try m.optional("peak", { v throws(FormatError) in try v.mapping() }) {
            for unit in ExecutionUnit.allCases {
                guard let rates = try p.optional(unit.rawValue, { v throws(FormatError) in try v.mapping() }) else { continue }
                var table: [Precision: Sourced<OpsPerSecond>] = [:]
                for precision in Precision.allCases {
                    table[precision] = try rates.optional(precision.rawValue) { v throws(FormatError) in
                        try self.sourced(v, OpsPerSecond.self)
                    }
                }
                try rates.finish()
                peak[unit] = table
            }
            try p.finish()
        }
        let sustained = try m.optional("sustained_matrix_rate") { v throws(FormatError) in try self.sourced(v, OpsPerSecond.self) }
        let dispatch = try m.optional("block_dispatch_interval") { v throws(FormatError) in try self.sourced(v, Seconds.self) }
        try m.finish()
        return Compute(
            unitName: unitName, unitCount: count, baseClock: base, boostClock: boost, warpWidth: warp, peak: peak,
            specialFunctionRate: special, sustainedMatrixRate: sustained, blockDispatchInterval: dispatch)
    }

    mutating func occupancy(_ m: MappingReader) throws(FormatError) -> Occupancy {
        func count(_ key: String) throws(FormatError) -> Sourced<Int> {
            try m.required(key) { v throws(FormatError) in try self.sourcedCount(v, positive: true) }
        }
        func size(_ key: String) throws(FormatError) -> Sourced<Bytes> {
            try m.required(key) { v throws(FormatError) in try self.sourced(v, Bytes.self) }
        }
        let occupancy = Occupancy(
            maxThreadsPerUnit: try count("max_threads_per_unit"),
            maxWarpsPerUnit: try count("max_warps_per_unit"),
            maxBlocksPerUnit: try count("max_blocks_per_unit"),
            maxThreadsPerBlock: try count("max_threads_per_block"),
            registersPerUnit: try count("registers_per_unit"),
            maxRegistersPerThread: try count("max_registers_per_thread"),
            registerAllocationUnit: try count("register_allocation_unit"),
            sharedMemoryPerUnit: try size("shared_memory_per_unit"),
            maxSharedMemoryPerBlock: try size("max_shared_memory_per_block"),
            reservedSharedMemoryPerBlock: try size("reserved_shared_memory_per_block"),
            sharedMemoryAllocationUnit: try size("shared_memory_allocation_unit"))
        try m.finish()
        return occupancy
    }

    mutating func level(_ m: MappingReader) throws(FormatError) -> MemoryLevel {
        let level = MemoryLevel(
            name: try m.required("name") { v throws(FormatError) in try v.nonEmptyString() },
            kind: try m.required("kind") { v throws(FormatError) in try v.oneOf(MemoryLevel.Kind.self) },
            scope: try m.required("scope") { v throws(FormatError) in try v.oneOf(MemoryLevel.Scope.self) },
            size: try m.optional("size") { v throws(FormatError) in try self.sourced(v, Bytes.self) },
            bandwidth: try m.optional("bandwidth") { v throws(FormatError) in try self.sourced(v, BytesPerSecond.self) },
            latency: try m.optional("latency") { v throws(FormatError) in try self.sourced(v, Seconds.self) },
            lineSize: try m.optional("line_size") { v throws(FormatError) in try self.sourced(v, Bytes.self) })
        try m.finish()
        return level
    }

    /// `{value: 3.35 TB/s, spec: h100-datasheet}`: a quantity with exactly one provenance key.
    mutating func sourced<Q: Quantity>(_ v: ValueReader, _: Q.Type) throws(FormatError) -> Sourced<Q> {
        try sourcedValue(v) { value throws(FormatError) in
            let quantity = try value.quantity(Q.self)
            let (zeroAllowed, ceiling) = Self.plausible(Q.self)
            // Rule: a figure is finite, below what any device could have, and above zero unless it is a size (a
            // zero rate or clock would divide the model by zero).
            guard quantity.base > 0 || (zeroAllowed && quantity.base == 0), quantity.base <= ceiling else {
                throw value.error("expected \(Q.noun) \(zeroAllowed ? "of at least 0" : "above 0") and at most \(Q(base: ceiling)), got \(value.describe())")
            }
            return quantity
        }
    }

    /// Whether zero is a meaningful value of a quantity, and the most any device could have of it: 2^60 bytes,
    /// 10^16 B/s, 10^19 operations a second, 100 GHz, one second of latency.
    static func plausible<Q: Quantity>(_: Q.Type) -> (zeroAllowed: Bool, ceiling: Double) {
        switch Q.self {
        case is Bytes.Type: (true, 0x1p60)
        case is BytesPerSecond.Type: (false, 1e16)
        case is OpsPerSecond.Type: (false, 1e19)
        case is Hertz.Type: (false, 1e11)
        default: (false, 1)
        }
    }

    /// The largest count a machine states (units, threads, registers, warps): 2^24, past any device's.
    static let maxCount = 1 << 24

    mutating func sourcedCount(_ v: ValueReader, positive: Bool) throws(FormatError) -> Sourced<Int> {
        try sourcedValue(v) { value throws(FormatError) in
            let count = positive ? try value.positiveInt() : try value.nonNegativeInt()
            guard count <= Self.maxCount else { throw value.error("expected a count of at most \(Self.maxCount), got \(count)") }
            return count
        }
    }

    mutating func sourcedValue<T>(_ v: ValueReader, _ read: (ValueReader) throws(FormatError) -> T) throws(FormatError) -> Sourced<T> {
        guard v.isMapping else {
            throw v.error("expected {value: ..., spec: SOURCE} (or measured/detected/derived), got \(v.describe()) without provenance")
        }
        let m = try v.mapping()
        let value = try m.required("value", read)
        var provenance: Provenance?
        for key in Provenance.keys {
            guard let detail = try m.optional(key, { d throws(FormatError) in try d.nonEmptyString() }) else { continue }
            guard provenance == nil else {
                throw FormatError(m.location(of: key), field: m.fieldPath(key), "a number has one provenance; remove all but one of spec, measured, detected, derived")
            }
            provenance = Provenance(key: key, detail: detail)
            if key == "spec" { specReferences.append((detail, m.location(of: key), m.fieldPath(key))) }
        }
        guard let provenance else {
            throw FormatError(m.location, field: v.path, "missing provenance; add one of spec: SOURCE, measured: RUN, detected: TOOL, derived: FORMULA")
        }
        try m.finish()
        return Sourced(value, provenance)
    }

    func checkSourcesDeclared(_ machine: Machine) throws(FormatError) {
        let declared = Set(machine.sources.map(\.id))
        for reference in specReferences where !declared.contains(reference.source) {
            throw FormatError(reference.location, field: reference.field, "source \"\(reference.source)\" is not declared under sources")
        }
    }
}
