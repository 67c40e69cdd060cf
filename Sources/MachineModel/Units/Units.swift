import Foundation

private let decimal: [(String, Double)] = [("", 1), ("K", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12), ("P", 1e15)]
private let binary: [(String, Double)] = [("Ki", 1024), ("Mi", 1_048_576), ("Gi", 1_073_741_824), ("Ti", 1_099_511_627_776)]

/// A size in bytes. Binary prefixes (KiB, MiB) and decimal ones (KB, MB) are both accepted and never confused.
public struct Bytes: Quantity {
    public var base: Double
    public init(base: Double) { self.base = base }
    public init(_ bytes: Int) { self.base = Double(bytes) }
    public static let noun = "a size"
    public static let example = "50 MiB"
    public static let spellings: [(symbol: String, factor: Double)] = decimal.map { ("\($0.0)B", $0.1) } + binary.map { ("\($0.0)B", $0.1) }
    public static let displayUnits: [(symbol: String, factor: Double)] =
        binary.reversed().map { ("\($0.0)B", $0.1) } + [("B", 1)]
    public var count: Int { Int(base.rounded()) }

    /// Binary units for sizes that are whole binary multiples (50 MiB), decimal ones for datasheet sizes (80 GB).
    public static func displayUnit(for base: Double) -> (symbol: String, factor: Double) {
        let binaryUnit = displayUnits.first(where: { base >= $0.factor }) ?? ("B", 1)
        if (base / binaryUnit.factor).rounded() == base / binaryUnit.factor { return binaryUnit }
        let decimalUnits: [(symbol: String, factor: Double)] = decimal.reversed().map { ("\($0.0)B", $0.1) }
        if let decimalUnit = decimalUnits.first(where: { base >= $0.factor }),
           ((base / decimalUnit.factor) * 1000).rounded() == (base / decimalUnit.factor) * 1000 {
            return decimalUnit
        }
        return binaryUnit
    }
}

/// A clock frequency.
public struct Hertz: Quantity {
    public var base: Double
    public init(base: Double) { self.base = base }
    public static let noun = "a frequency"
    public static let example = "1980 MHz"
    public static let spellings: [(symbol: String, factor: Double)] = [("Hz", 1), ("kHz", 1e3), ("MHz", 1e6), ("GHz", 1e9)]
    public static let displayUnits: [(symbol: String, factor: Double)] = [("GHz", 1e9), ("MHz", 1e6), ("kHz", 1e3), ("Hz", 1)]
}

/// A span of time: latencies, launch overheads, predicted and measured run times.
public struct Seconds: Quantity {
    public var base: Double
    public init(base: Double) { self.base = base }
    public static let noun = "a time"
    public static let example = "21 ns"
    public static let spellings: [(symbol: String, factor: Double)] =
        [("s", 1), ("ms", 1e-3), ("us", 1e-6), ("µs", 1e-6), ("ns", 1e-9), ("ps", 1e-12)]
    public static let displayUnits: [(symbol: String, factor: Double)] =
        [("s", 1), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9), ("ps", 1e-12)]
}

/// A rate of data movement.
public struct BytesPerSecond: Quantity {
    public var base: Double
    public init(base: Double) { self.base = base }
    public static let noun = "a bandwidth"
    public static let example = "3.35 TB/s"
    public static let spellings: [(symbol: String, factor: Double)] = decimal.map { ("\($0.0)B/s", $0.1) } + binary.map { ("\($0.0)B/s", $0.1) }
    public static let displayUnits: [(symbol: String, factor: Double)] =
        decimal.reversed().map { ("\($0.0)B/s", $0.1) }
}

/// A rate of arithmetic: floating-point (FLOP/s) or integer (OP/s) operations, an FMA counting as two.
public struct OpsPerSecond: Quantity {
    public var base: Double
    public init(base: Double) { self.base = base }
    public static let noun = "an arithmetic rate"
    public static let example = "989 TFLOP/s"
    public static let spellings: [(symbol: String, factor: Double)] = decimal.map { ("\($0.0)FLOP/s", $0.1) } + decimal.map { ("\($0.0)OP/s", $0.1) }
    public static let displayUnits: [(symbol: String, factor: Double)] =
        decimal.reversed().map { ("\($0.0)FLOP/s", $0.1) }
}

extension OpsPerSecond {
    /// The rate as written for a precision: integer rates in OP/s, floating-point ones in FLOP/s.
    public func description(for precision: Precision) -> String {
        precision.isInteger ? description.replacingOccurrences(of: "FLOP/s", with: "OP/s") : description
    }
}

extension Bytes {
    /// Time to move these bytes at a bandwidth.
    public static func / (lhs: Bytes, rhs: BytesPerSecond) -> Seconds { Seconds(base: lhs.base / rhs.base) }
    /// Bandwidth achieved moving these bytes in a time.
    public static func / (lhs: Bytes, rhs: Seconds) -> BytesPerSecond { BytesPerSecond(base: lhs.base / rhs.base) }
}
