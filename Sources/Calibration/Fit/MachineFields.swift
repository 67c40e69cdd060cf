import Foundation
import MachineModel

/// A value for one machine-file field, in the field's own quantity.
public struct FieldValue: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case size, bandwidth, time, rate, frequency, count
        /// Issue slots per element of a named op.
        case slots

        /// The SI unit programs see (`B/s`), nil for counts.
        public var unit: String? {
            switch self {
            case .size: "B"
            case .bandwidth: "B/s"
            case .time: "s"
            case .rate: "FLOP/s"
            case .frequency: "Hz"
            case .count: nil
            case .slots: "slot/element"
            }
        }

        /// What the quantity is called in messages, with an example the way files write it.
        public var noun: String {
            switch self {
            case .size: "a size such as \"50 MiB\""
            case .bandwidth: "a bandwidth such as \"3.35 TB/s\""
            case .time: "a time such as \"21 ns\""
            case .rate: "an arithmetic rate such as \"989 TFLOP/s\""
            case .frequency: "a frequency such as \"1980 MHz\""
            case .count: "a whole number"
            case .slots: "issue slots per element such as \"21.5\""
            }
        }

        /// The factor a unit spelling stands for, if it spells this kind of quantity ("TB/s" is 1e12 for bandwidth).
        public func factor(of unit: String) -> Double? {
            switch self {
            case .size: Bytes.spellings.first { $0.symbol == unit }?.factor
            case .bandwidth: BytesPerSecond.spellings.first { $0.symbol == unit }?.factor
            case .time: Seconds.spellings.first { $0.symbol == unit }?.factor
            case .rate: OpsPerSecond.spellings.first { $0.symbol == unit }?.factor
            case .frequency: Hertz.spellings.first { $0.symbol == unit }?.factor
            case .count: unit.isEmpty || unit == "1" ? 1 : nil
            case .slots: unit.isEmpty || unit == "slot/element" ? 1 : nil
            }
        }
    }

    public var kind: Kind
    /// In the SI base unit, or the count itself.
    public var base: Double

    public init(_ kind: Kind, _ base: Double) {
        self.kind = kind
        self.base = base
    }

    public static func size(_ value: Bytes) -> FieldValue { FieldValue(.size, value.base) }
    public static func bandwidth(_ value: BytesPerSecond) -> FieldValue { FieldValue(.bandwidth, value.base) }
    public static func time(_ value: Seconds) -> FieldValue { FieldValue(.time, value.base) }
    public static func rate(_ value: OpsPerSecond) -> FieldValue { FieldValue(.rate, value.base) }

    /// As a machine file writes it.
    public var text: String {
        switch kind {
        case .size: Bytes(base: base).description
        case .bandwidth: BytesPerSecond(base: base).description
        case .time: Seconds(base: base).description
        case .rate: OpsPerSecond(base: base).description
        case .frequency: Hertz(base: base).description
        case .count: String(Int(base.rounded()))
        case .slots: formatSignificant(base)
        }
    }
}

/// A measured value for a machine-file field, and where it came from.
public struct FieldFit: Sendable {
    /// Dotted machine-file path: `memory.hbm.bandwidth`, `compute.peak.vector.fp32`.
    public var path: String
    public var value: FieldValue
    /// The benchmark (or import) that produced it.
    public var benchmark: String
    /// How the value was drawn from the measurements, in words.
    public var basis: String

    public init(path: String, value: FieldValue, benchmark: String, basis: String) {
        self.path = path
        self.value = value
        self.benchmark = benchmark
        self.basis = basis
    }
}

/// The machine-file fields a measurement may set, read by path and written with provenance.
public enum MachineFields {
    /// The kind of quantity a path holds in `machine`, or why the path is not a measurable field.
    public static func kind(of path: String, in machine: Machine) throws(CalibrationError) -> FieldValue.Kind {
        let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        switch parts.count {
        case 1 where parts[0] == "launch_overhead":
            return .time
        case 2 where parts[0] == "element_ops":
            guard ElementOp(named: parts[1]) != nil else {
                throw CalibrationError(.unknownField, "unknown op \(quoted(parts[1])) under element_ops; expected one of \(ElementOp.named.map(\.rawValue).joined(separator: ", "))")
            }
            return .slots
        case 2 where parts[0] == "compute":
            switch parts[1] {
            case "unit_count", "warp_width": return .count
            case "base_clock", "boost_clock": return .frequency
            case "special_function_rate", "sustained_matrix_rate": return .rate
            case "block_dispatch_interval": return .time
            default: break
            }
        case 3 where parts[0] == "memory":
            guard machine.level(parts[1]) != nil else {
                throw CalibrationError(
                    .unknownField,
                    "no memory level named \(quoted(parts[1])) in \(machine.name) (levels: \(machine.memory.map(\.name).joined(separator: ", ")))")
            }
            switch parts[2] {
            case "size", "line_size": return .size
            case "bandwidth": return .bandwidth
            case "latency": return .time
            default:
                throw CalibrationError(.unknownField, "a memory level has size, bandwidth, latency and line_size, not \(quoted(parts[2]))")
            }
        case 4 where parts[0] == "compute" && parts[1] == "peak":
            guard ExecutionUnit(rawValue: parts[2]) != nil else {
                throw CalibrationError(.unknownField, "peak rates are under compute.peak.vector or compute.peak.matrix, not \(quoted(parts[2]))")
            }
            guard Precision(rawValue: parts[3]) != nil else {
                throw CalibrationError(
                    .unknownField,
                    "unknown precision \(quoted(parts[3])); expected one of \(Precision.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return .rate
        default: break
        }
        throw CalibrationError(
                    .unknownField,
            "\(quoted(path)) is not a field a measurement can set; expected compute.peak.UNIT.PRECISION, compute.base_clock, compute.boost_clock, compute.special_function_rate, compute.sustained_matrix_rate, compute.block_dispatch_interval, memory.LEVEL.size|bandwidth|latency|line_size, element_ops.OP or launch_overhead")
    }

    /// The number a machine states for a path, if it states one.
    public static func current(_ path: String, in machine: Machine) -> SourcedNumber? {
        machine.tree.fields.first { $0.path == path }?.number
    }

    /// Sets a field (rates, bandwidths, times and clocks to four significant digits), with `provenance`, and drops it (or a prefix of it) from the
    /// machine's `unknown` list.
    public static func apply(_ fit: FieldFit, to machine: inout Machine, provenance: Provenance) throws(CalibrationError) {
        let kind = try kind(of: fit.path, in: machine)
        guard kind == fit.value.kind else {
            throw CalibrationError(.unitMismatch, "\(fit.path) holds \(kind.noun), not \(fit.value.kind.noun)")
        }
        let parts = fit.path.split(separator: ".").map(String.init)
        // Four significant digits: a measurement is good to a percent or so, and the file should not claim more.
        // Sizes and counts are kept whole (capacities are already rounded to an eighth of a power of two).
        let base = kind == .size || kind == .count ? fit.value.base : roundedSignificant(fit.value.base)
        switch (parts.count, parts[0]) {
        case (2, "element_ops"):
            machine.elementOps[ElementOp(rawValue: parts[1])!] = Sourced(base, provenance)
        case (1, _):
            machine.launchOverhead = Sourced(Seconds(base: base), provenance)
        case (2, _):
            switch parts[1] {
            case "unit_count": machine.compute.unitCount = Sourced(Int(base.rounded()), provenance)
            case "warp_width": machine.compute.warpWidth = Sourced(Int(base.rounded()), provenance)
            case "base_clock": machine.compute.baseClock = Sourced(Hertz(base: base), provenance)
            case "boost_clock": machine.compute.boostClock = Sourced(Hertz(base: base), provenance)
            case "sustained_matrix_rate": machine.compute.sustainedMatrixRate = Sourced(OpsPerSecond(base: base), provenance)
            case "block_dispatch_interval": machine.compute.blockDispatchInterval = Sourced(Seconds(base: base), provenance)
            default: machine.compute.specialFunctionRate = Sourced(OpsPerSecond(base: base), provenance)
            }
        case (3, _):
            let index = machine.memory.firstIndex { $0.name == parts[1] }!
            switch parts[2] {
            case "size": machine.memory[index].size = Sourced(Bytes(base: base), provenance)
            case "line_size": machine.memory[index].lineSize = Sourced(Bytes(base: base), provenance)
            case "bandwidth": machine.memory[index].bandwidth = Sourced(BytesPerSecond(base: base), provenance)
            default: machine.memory[index].latency = Sourced(Seconds(base: base), provenance)
            }
        default:
            let unit = ExecutionUnit(rawValue: parts[2])!
            let precision = Precision(rawValue: parts[3])!
            machine.compute.peak[unit, default: [:]][precision] = Sourced(OpsPerSecond(base: base), provenance)
        }
        machine.unknown.removeAll { fit.path == $0 || fit.path.hasPrefix($0 + ".") }
    }
}

/// A value rounded to `digits` significant digits.
func roundedSignificant(_ value: Double, digits: Int = 4) -> Double {
    guard value.isFinite, value != 0 else { return value }
    let scale = pow(10, Double(digits) - (log10(abs(value))).rounded(.down) - 1)
    return (value * scale).rounded() / scale
}
