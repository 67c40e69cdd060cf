import Foundation

/// A machine laid out as the file lays it out: the one description from which the YAML writer, the JSON view and
/// the flat field list used by `show` and `diff` are all produced.
public indirect enum MachineTree: Sendable {
    case text(String)
    case number(SourcedNumber)
    case map([(String, MachineTree)])
    case list([MachineTree])
}

/// A number with its unit and provenance, as written in a machine file.
public struct SourcedNumber: Sendable, Hashable {
    /// Value in the SI base unit (or the count itself).
    public var base: Double
    /// Unit of `base` for programs: "B", "B/s", "Hz", "s", "FLOP/s", or nil for a count.
    public var unit: String?
    /// The value as a file writes it: "3.35 TB/s", "132".
    public var text: String
    public var provenance: Provenance

    init<Q: Quantity>(_ sourced: Sourced<Q>, unit: String) {
        base = sourced.value.base
        self.unit = unit
        text = exactText(sourced.value)
        provenance = sourced.provenance
    }

    /// Integer rates are written in OP/s, floating-point ones in FLOP/s.
    init(rate: Sourced<OpsPerSecond>, precision: Precision) {
        self.init(rate, unit: precision.isInteger ? "OP/s" : "FLOP/s")
        if precision.isInteger { text = text.replacingOccurrences(of: "FLOP/s", with: "OP/s") }
    }

    /// Issue slots per element of a named op: a plain number.
    init(slots sourced: Sourced<Double>) {
        base = sourced.value
        unit = "slot/element"
        text = String(format: "%.4g", sourced.value)
        provenance = sourced.provenance
    }

    init(_ sourced: Sourced<Int>) {
        base = Double(sourced.value)
        unit = nil
        text = String(sourced.value)
        provenance = sourced.provenance
    }
}

/// The value in its display unit with enough digits to read back the same number.
func exactText<Q: Quantity>(_ quantity: Q) -> String {
    let unit = Q.displayUnit(for: quantity.base)
    let scaled = quantity.base / unit.factor
    var digits = String(format: "%.12g", scaled)
    if digits.contains("e") { digits = "\(scaled)" }
    return "\(digits) \(unit.symbol)"
}

extension Machine {
    /// The machine as a tree in file order.
    public var tree: MachineTree {
        var top: [(String, MachineTree)] = [
            ("version", .text(String(MachineFile.version))),
            ("name", .text(name)),
            ("kind", .text(kind.rawValue)),
        ]
        var ident: [(String, MachineTree)] = [
            ("vendor", .text(identity.vendor)), ("product", .text(identity.product)),
            ("architecture", .text(identity.architecture)),
        ]
        if let cc = identity.computeCapability { ident.append(("compute_capability", .text(cc))) }
        top.append(("identity", .map(ident)))
        top.append(("sources", .map(sources.map { ($0.id, .text($0.title)) })))

        var comp: [(String, MachineTree)] = [("unit_name", .text(compute.unitName)), ("unit_count", .number(SourcedNumber(compute.unitCount)))]
        comp.appendNumber("base_clock", compute.baseClock, unit: "Hz")
        comp.appendNumber("boost_clock", compute.boostClock, unit: "Hz")
        if let warp = compute.warpWidth { comp.append(("warp_width", .number(SourcedNumber(warp)))) }
        comp.appendNumber("special_function_rate", compute.specialFunctionRate, unit: "OP/s")
        var peakTree: [(String, MachineTree)] = []
        for unit in ExecutionUnit.allCases {
            guard let rates = compute.peak[unit], !rates.isEmpty else { continue }
            peakTree.append((unit.rawValue, .map(rates.sorted { $0.key < $1.key }.map {
                ($0.key.rawValue, .number(SourcedNumber(rate: $0.value, precision: $0.key)))
            })))
        }
        if !peakTree.isEmpty { comp.append(("peak", .map(peakTree))) }
        if let sustained = compute.sustainedMatrixRate {
            comp.append(("sustained_matrix_rate", .number(SourcedNumber(rate: sustained, precision: .fp16))))
        }
        comp.appendNumber("block_dispatch_interval", compute.blockDispatchInterval, unit: "s")
        top.append(("compute", .map(comp)))

        if let o = occupancy {
            let counts: [(String, Sourced<Int>)] = [
                ("max_threads_per_unit", o.maxThreadsPerUnit), ("max_warps_per_unit", o.maxWarpsPerUnit),
                ("max_blocks_per_unit", o.maxBlocksPerUnit), ("max_threads_per_block", o.maxThreadsPerBlock),
                ("registers_per_unit", o.registersPerUnit), ("max_registers_per_thread", o.maxRegistersPerThread),
                ("register_allocation_unit", o.registerAllocationUnit),
            ]
            let sizes: [(String, Sourced<Bytes>)] = [
                ("shared_memory_per_unit", o.sharedMemoryPerUnit),
                ("max_shared_memory_per_block", o.maxSharedMemoryPerBlock),
                ("reserved_shared_memory_per_block", o.reservedSharedMemoryPerBlock),
                ("shared_memory_allocation_unit", o.sharedMemoryAllocationUnit),
            ]
            top.append(("occupancy", .map(counts.map { ($0.0, .number(SourcedNumber($0.1))) }
                + sizes.map { ($0.0, .number(SourcedNumber($0.1, unit: "B"))) })))
        }

        top.append(("memory", .list(memory.map { level in
            var fields: [(String, MachineTree)] = [
                ("name", .text(level.name)), ("kind", .text(level.kind.rawValue)), ("scope", .text(level.scope.rawValue)),
            ]
            fields.appendNumber("size", level.size, unit: "B")
            fields.appendNumber("bandwidth", level.bandwidth, unit: "B/s")
            fields.appendNumber("latency", level.latency, unit: "s")
            fields.appendNumber("line_size", level.lineSize, unit: "B")
            return .map(fields)
        })))
        top.appendNumber("launch_overhead", launchOverhead, unit: "s")
        let ops = ElementOp.allCases.compactMap { op in elementOps[op].map { (op.rawValue, MachineTree.number(SourcedNumber(slots: $0))) } }
        if !ops.isEmpty { top.append(("element_ops", .map(ops))) }
        if !unknown.isEmpty { top.append(("unknown", .list(unknown.map { .text($0) }))) }
        return .map(top)
    }
}

extension Array where Element == (String, MachineTree) {
    mutating func appendNumber<Q: Quantity>(_ key: String, _ value: Sourced<Q>?, unit: String) {
        if let value { append((key, .number(SourcedNumber(value, unit: unit)))) }
    }
}

/// One number of a machine, addressed by its dotted path (`memory.l2.bandwidth`).
public struct MachineField: Sendable, Hashable {
    public var path: String
    public var number: SourcedNumber
}

extension MachineTree {
    /// Every number with its dotted path; list items are addressed by their `name` field.
    public var fields: [MachineField] {
        var out: [MachineField] = []
        collect(prefix: "", into: &out)
        return out
    }

    private func collect(prefix: String, into out: inout [MachineField]) {
        switch self {
        case .text: break
        case let .number(number): out.append(MachineField(path: prefix, number: number))
        case let .map(pairs):
            for (key, value) in pairs { value.collect(prefix: prefix.isEmpty ? key : "\(prefix).\(key)", into: &out) }
        case let .list(items):
            for (index, item) in items.enumerated() {
                var label = String(index)
                if case let .map(pairs) = item, let name = pairs.first(where: { $0.0 == "name" }), case let .text(text) = name.1 {
                    label = text
                }
                item.collect(prefix: "\(prefix).\(label)", into: &out)
            }
        }
    }

    /// The JSON view: every number as {value, unit, text, provenance}.
    public func json(sources: [SourceDocument]) -> JSONValue {
        switch self {
        case let .text(text): return .string(text)
        case let .number(number): return number.json(sources: sources)
        case let .map(pairs): return .object(pairs.map { ($0.0, $0.1.json(sources: sources)) })
        case let .list(items): return .array(items.map { $0.json(sources: sources) })
        }
    }
}

extension SourcedNumber {
    public func json(sources: [SourceDocument]) -> JSONValue {
        var provenanceFields: [(String, JSONValue)] = [("kind", .string(provenance.key))]
        switch provenance {
        case let .spec(source):
            provenanceFields.append(("source", .string(source)))
            if let title = sources.first(where: { $0.id == source })?.title { provenanceFields.append(("title", .string(title))) }
        case let .measured(run): provenanceFields.append(("run", .string(run)))
        case let .detected(tool): provenanceFields.append(("tool", .string(tool)))
        case let .derived(formula): provenanceFields.append(("formula", .string(formula)))
        }
        return .object([
            ("value", .number(base)), ("unit", unit.map(JSONValue.string) ?? .null), ("text", .string(text)),
            ("provenance", .object(provenanceFields)),
        ])
    }
}
