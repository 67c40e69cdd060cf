import CostModel
import MachineModel

/// One change to a machine: `l2.bandwidth=x2`, `units=160`, `hbm.bandwidth=4.8 TB/s`, `launch_overhead=2 us`.
///
/// Paths are the machine file's dotted field paths (`memory.l2.bandwidth`, `compute.unit_count`,
/// `compute.peak.matrix.fp16`, `occupancy.shared_memory_per_unit`, `launch_overhead`) or these short forms:
/// `units` (compute.unit_count), `clock` (compute.boost_clock), `LEVEL.FIELD` (memory.LEVEL.FIELD),
/// `peak.UNIT.PRECISION` (compute.peak.UNIT.PRECISION), `OCCUPANCY_FIELD` (occupancy.FIELD).
/// A value is `xF` (a multiple of the current value) or a quantity written as machine files write it.
public struct MachineEdit: Hashable, Sendable, CustomStringConvertible {
    public enum Value: Hashable, Sendable {
        /// Multiply the current value.
        case times(Double)
        /// A new value in the field's SI base unit (or a count).
        case absolute(Double)
        /// A new value as written ("4.8 TB/s"), parsed against the field's quantity.
        case text(String)
    }

    /// The full dotted path after short forms are expanded.
    public var path: String
    public var value: Value

    public init(path: String, value: Value) {
        self.path = MachineEdit.expand(path)
        self.value = value
    }

    /// Parses `PATH=VALUE`.
    public init(parsing text: String) throws(RefinementError) {
        guard let equals = text.firstIndex(of: "=") else {
            throw RefinementError(.edit, "expected PATH=VALUE such as l2.bandwidth=x2 or units=160, got \"\(text)\"")
        }
        let path = text[..<equals].trimmingCharacters(in: .whitespaces)
        let raw = text[text.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        guard !path.isEmpty, !raw.isEmpty else {
            throw RefinementError(.edit, "expected PATH=VALUE such as l2.bandwidth=x2 or units=160, got \"\(text)\"")
        }
        let value: Value
        if let first = raw.first, "x*×".contains(first) {
            guard let factor = Double(raw.dropFirst().trimmingCharacters(in: .whitespaces)), factor > 0, factor.isFinite else {
                throw RefinementError(.edit, "\(path): expected a positive multiple such as x2 or x0.5, got \"\(raw)\"")
            }
            value = .times(factor)
        } else {
            value = .text(raw)
        }
        self.init(path: path, value: value)
    }

    public var description: String {
        switch value {
        case let .times(f): "\(path)=x\(formatSignificant(f))"
        case let .absolute(v): "\(path)=\(formatSignificant(v))"
        case let .text(t): "\(path)=\(t)"
        }
    }

    static let occupancyFields = [
        "max_threads_per_unit", "max_warps_per_unit", "max_blocks_per_unit", "max_threads_per_block",
        "registers_per_unit", "max_registers_per_thread", "register_allocation_unit", "shared_memory_per_unit",
        "max_shared_memory_per_block", "reserved_shared_memory_per_block", "shared_memory_allocation_unit",
    ]

    static func expand(_ path: String) -> String {
        let parts = path.split(separator: ".").map(String.init)
        switch parts.first {
        case "units": return "compute.unit_count"
        case "clock": return "compute.boost_clock"
        case "peak": return "compute." + path
        case "compute", "memory", "occupancy", "launch_overhead": return path
        default:
            if parts.count == 1 && occupancyFields.contains(path) { return "occupancy." + path }
            if parts.count == 2 { return "memory." + path }
            return path
        }
    }

    /// Applies the edit; `provenance` overrides the provenance the new value gets (a refinement's fit).
    ///
    /// - Returns: the value before and after, as a machine file writes them.
    @discardableResult
    public func apply(to machine: inout Machine, provenance: Provenance? = nil) throws(RefinementError) -> (before: String, after: String) {
        let parts = path.split(separator: ".").map(String.init)
        func fail(_ message: String) -> RefinementError { RefinementError(.edit, "\(path): \(message)") }
        switch parts.first {
        case "launch_overhead" where parts.count == 1:
            return try edit(&machine.launchOverhead, Seconds.self, provenance: provenance, fallback: nil)
        case "compute" where parts.count == 2:
            switch parts[1] {
            case "unit_count":
                // More (or fewer) units of the same kind: the device-wide rates, sums over the units, scale with them.
                let before = machine.compute.unitCount.value
                let result = try editCount(&machine.compute.unitCount, provenance: provenance)
                let factor = Double(machine.compute.unitCount.value) / Double(before)
                if provenance == nil && factor != 1 {
                    let note = "what-if \(description): x\(formatSignificant(factor)) with the unit count"
                    for (unit, rates) in machine.compute.peak {
                        for (precision, rate) in rates {
                            machine.compute.peak[unit]![precision] = Sourced(rate.value * factor, .derived(formula: "\(note) (was \(rate.value))"))
                        }
                    }
                    if let rate = machine.compute.specialFunctionRate {
                        machine.compute.specialFunctionRate = Sourced(rate.value * factor, .derived(formula: "\(note) (was \(rate.value))"))
                    }
                    if let rate = machine.compute.sustainedMatrixRate {
                        machine.compute.sustainedMatrixRate = Sourced(rate.value * factor, .derived(formula: "\(note) (was \(rate.value))"))
                    }
                    return (result.before, result.after + " (peak rates x\(formatSignificant(factor, digits: 3)) with it)")
                }
                return result
            case "boost_clock":
                if machine.compute.boostClock == nil, case .times = value { machine.compute.boostClock = machine.compute.baseClock }
                return try edit(&machine.compute.boostClock, Hertz.self, provenance: provenance, fallback: nil)
            case "base_clock": return try edit(&machine.compute.baseClock, Hertz.self, provenance: provenance, fallback: nil)
            case "special_function_rate":
                return try edit(&machine.compute.specialFunctionRate, OpsPerSecond.self, provenance: provenance, fallback: nil)
            case "sustained_matrix_rate":
                return try edit(&machine.compute.sustainedMatrixRate, OpsPerSecond.self, provenance: provenance, fallback: nil)
            case "block_dispatch_interval":
                return try edit(&machine.compute.blockDispatchInterval, Seconds.self, provenance: provenance, fallback: nil)
            case "warp_width":
                var warp = machine.compute.warpWidth ?? Sourced(32, .derived(formula: "model default"))
                let result = try editCount(&warp, provenance: provenance)
                machine.compute.warpWidth = warp
                return result
            default: throw fail("no such compute field; try unit_count, boost_clock, base_clock, special_function_rate, sustained_matrix_rate, block_dispatch_interval, peak.UNIT.PRECISION")
            }
        case "compute" where parts.count == 4 && parts[1] == "peak":
            guard let unit = ExecutionUnit(rawValue: parts[2]) else { throw fail("unknown unit \(parts[2]); expected vector or matrix") }
            guard let precision = Precision(rawValue: parts[3]) else {
                throw fail("unknown precision \(parts[3]); expected one of \(Precision.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            var rate = machine.compute.peak[unit]?[precision]
            let result = try edit(&rate, OpsPerSecond.self, provenance: provenance, fallback: nil)
            machine.compute.peak[unit, default: [:]][precision] = rate
            return result
        case "occupancy" where parts.count == 2:
            guard var o = machine.occupancy else { throw fail("\(machine.name) has no occupancy rules to edit") }
            let result: (String, String)
            switch parts[1] {
            case "max_threads_per_unit": result = try editCount(&o.maxThreadsPerUnit, provenance: provenance)
            case "max_warps_per_unit": result = try editCount(&o.maxWarpsPerUnit, provenance: provenance)
            case "max_blocks_per_unit": result = try editCount(&o.maxBlocksPerUnit, provenance: provenance)
            case "max_threads_per_block": result = try editCount(&o.maxThreadsPerBlock, provenance: provenance)
            case "registers_per_unit": result = try editCount(&o.registersPerUnit, provenance: provenance)
            case "max_registers_per_thread": result = try editCount(&o.maxRegistersPerThread, provenance: provenance)
            case "register_allocation_unit": result = try editCount(&o.registerAllocationUnit, provenance: provenance)
            case "shared_memory_per_unit": result = try editSize(&o.sharedMemoryPerUnit, provenance: provenance)
            case "max_shared_memory_per_block": result = try editSize(&o.maxSharedMemoryPerBlock, provenance: provenance)
            case "reserved_shared_memory_per_block": result = try editSize(&o.reservedSharedMemoryPerBlock, provenance: provenance)
            case "shared_memory_allocation_unit": result = try editSize(&o.sharedMemoryAllocationUnit, provenance: provenance)
            default: throw fail("no such occupancy field; expected one of \(Self.occupancyFields.joined(separator: ", "))")
            }
            machine.occupancy = o
            return result
        case "memory" where parts.count == 3:
            guard let index = machine.memory.firstIndex(where: { $0.name == parts[1] }) else {
                throw fail("\(machine.name) has no memory level \"\(parts[1])\"; its levels are \(machine.memory.map(\.name).joined(separator: ", "))")
            }
            var level = machine.memory[index]
            let result: (String, String)
            switch parts[2] {
            case "bandwidth":
                // The model assumes an L2 bandwidth when the machine gives none; `x2` doubles that assumption. The
                // assumption is used as is while a stated figure is derated by the achievable share, so the new
                // figure is written as the stated one that derates to twice the assumption.
                let figures = CostModel(machine: machine).figures
                let assumed = level.bandwidth == nil && level.name == figures.l2Name
                result = try edit(&level.bandwidth, BytesPerSecond.self, provenance: provenance,
                                  fallback: assumed ? BytesPerSecond(base: figures.l2BandwidthStated) : nil)
                if assumed, case .times = value, provenance == nil, let written = level.bandwidth {
                    level.bandwidth = Sourced(written.value / Parameters.default.l2Fraction, .derived(
                        formula: "what-if \(description) of the model's assumed \(BytesPerSecond(base: figures.l2BandwidthStated)), "
                            + "written before the \(Int(Parameters.default.l2Fraction * 100))% achievable share"))
                }
            case "latency": result = try edit(&level.latency, Seconds.self, provenance: provenance, fallback: nil)
            case "size": result = try edit(&level.size, Bytes.self, provenance: provenance, fallback: nil)
            case "line_size": result = try edit(&level.lineSize, Bytes.self, provenance: provenance, fallback: nil)
            default: throw fail("no such memory field; expected bandwidth, latency, size or line_size")
            }
            machine.memory[index] = level
            return result
        default:
            throw fail("not a machine field; examples: l2.bandwidth, hbm.latency, units, clock, peak.matrix.fp16, launch_overhead, shared_memory_per_unit")
        }
    }

    /// Where a field that the machine leaves out still has a value the model uses (`l2.bandwidth` on a machine
    /// without one), the caller passes it as `fallback` so that `x2` doubles what the model assumed.
    func edit<Q: Quantity>(_ field: inout Sourced<Q>?, _: Q.Type, provenance: Provenance?, fallback: Q?) throws(RefinementError) -> (before: String, after: String) {
        let before = field.map { $0.value.description } ?? (fallback.map { "not given (the model assumes \($0))" } ?? "not given")
        let old = field?.value ?? fallback
        let new: Q
        switch value {
        case let .times(factor):
            guard let old else {
                throw RefinementError(.edit, "\(path): the machine gives no value to multiply; give an absolute value such as \(Q.example)")
            }
            new = Q(base: old.base * factor)
        case let .absolute(v): new = Q(base: v)
        case let .text(text):
            do { new = try Q(parsing: text) } catch { throw RefinementError(.edit, "\(path): \(error.description)") }
        }
        field = Sourced(new, provenance ?? editedProvenance(field?.provenance, before: before))
        return (before, new.description)
    }

    func editSize(_ field: inout Sourced<Bytes>, provenance: Provenance?) throws(RefinementError) -> (before: String, after: String) {
        var optional: Sourced<Bytes>? = field
        let result = try edit(&optional, Bytes.self, provenance: provenance, fallback: nil)
        field = optional!
        return result
    }

    func editCount(_ field: inout Sourced<Int>, provenance: Provenance?) throws(RefinementError) -> (before: String, after: String) {
        let before = String(field.value)
        let new: Int
        switch value {
        case let .times(factor): new = Int((Double(field.value) * factor).rounded())
        case let .absolute(v): new = Int(v.rounded())
        case let .text(text):
            guard let parsed = Int(text) else { throw RefinementError(.edit, "\(path): expected a whole number, got \"\(text)\"") }
            new = parsed
        }
        guard new > 0 else { throw RefinementError(.edit, "\(path): expected a positive count, got \(new)") }
        field = Sourced(new, provenance ?? editedProvenance(field.provenance, before: before))
        return (before, String(new))
    }

    /// A measured value scaled stays measured (the model uses it as achieved); anything else becomes derived.
    func editedProvenance(_ old: Provenance?, before: String) -> Provenance {
        if case let .measured(run)? = old { return .measured(run: "\(run), what-if \(description)") }
        return .derived(formula: "what-if \(description) (was \(before))")
    }
}
