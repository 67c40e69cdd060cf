import MachineModel

/// One measured point: what ran, its raw samples, and the figure drawn from them.
public struct Measurement: Sendable {
    /// Within its benchmark: `copy.float4`, `footprint.32768`, `fp32.width4`.
    public var name: String
    /// Sizes, widths and counts, in order.
    public var parameters: [(String, JSONValue)]
    /// Raw samples: device seconds per timed sample (for latencies, seconds per hop).
    public var samples: [Double]
    /// Work in one sample (bytes, operations, launches), or 1 when samples are already the figure.
    public var work: Double
    /// Unit of `value`: `B/s`, `FLOP/s`, `s`.
    public var unit: String
    /// The figure: work / median sample time, or the median itself for times.
    public var value: Double
    public var statistics: SampleStatistics

    /// A rate: `work` per sample over the samples' times.
    public static func rate(_ name: String, parameters: [(String, JSONValue)], seconds: [Double], work: Double, unit: String) -> Measurement {
        let stats = SampleStatistics(seconds)
        return Measurement(name: name, parameters: parameters, samples: seconds, work: work, unit: unit,
                           value: stats.median > 0 ? work / stats.median : .infinity, statistics: stats)
    }

    /// A time: the median of the samples.
    public static func time(_ name: String, parameters: [(String, JSONValue)], seconds: [Double]) -> Measurement {
        let stats = SampleStatistics(seconds)
        return Measurement(name: name, parameters: parameters, samples: seconds, work: 1, unit: "s", value: stats.median, statistics: stats)
    }

    /// A numeric parameter (`steps_per_sample`), as measured or as read back from a stored run.
    public func number(_ key: String) -> Double? {
        guard case let .number(value)? = parameters.first(where: { $0.0 == key })?.1 else { return nil }
        return value
    }

    /// An integer parameter (`footprint_bytes`).
    public func int(_ key: String) -> Int? { number(key).flatMap { Int(exactly: $0) } }

    /// The figure as people read it: "3.01 TB/s", "148 ns".
    public var text: String { formatFigure(value, unit: unit) }

    public var json: JSONValue {
        .object([
            ("name", .string(name)), ("parameters", .object(parameters)),
            ("samples_s", .array(samples.map(JSONValue.number))), ("work", .number(work)),
            ("value", .number(value)), ("unit", .string(unit)), ("text", .string(text)),
            ("median_s", .number(statistics.median)), ("spread", .number(statistics.spread)),
        ])
    }
}

/// A value in a unit written the way machine files write it.
func formatFigure(_ value: Double, unit: String) -> String {
    switch unit {
    case "B/s": BytesPerSecond(base: value).description
    case "FLOP/s", "OP/s": OpsPerSecond(base: value).description
    case "s": Seconds(base: value).description
    case "B": Bytes(base: value).description
    case "Hz": Hertz(base: value).description
    default: "\(formatSignificant(value)) \(unit)"
    }
}
