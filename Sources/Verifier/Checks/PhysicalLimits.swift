import MachineModel

/// The machine model's ceilings that no honest kernel can beat, sent with every request so that any runner judges
/// against the same machine.
public struct PhysicalLimits: Hashable, Sendable, Codable {
    public var machine: String
    /// Peak bandwidth of device memory, bytes per second.
    public var memoryBandwidth: Double?
    /// Peak arithmetic rate usable for each data type, operations per second: the largest of the vector rate of
    /// that type and the matrix rate of it (tf32 for fp32: a kernel could emulate fp32 on matrix units), so that the
    /// bound stays a true lower bound.
    public var peakRates: [DataType: Double]
    /// The largest cache's size, bytes (for the flush between repetitions).
    public var lastLevelCache: Int?
    /// Where the ceilings come from, in words (`verify` prints it): a machine file as stated, or the device's
    /// calibration.
    public var basis: String?

    public init(machine: String, memoryBandwidth: Double?, peakRates: [DataType: Double], lastLevelCache: Int?, basis: String? = nil) {
        self.machine = machine
        self.memoryBandwidth = memoryBandwidth
        self.peakRates = peakRates
        self.lastLevelCache = lastLevelCache
        self.basis = basis
    }

    /// How far above a calibrated figure a kernel may go before it is impossibly fast. A kernel can beat a
    /// microbenchmark (better access patterns, writes left in a cache when the timer stops), but not by a factor of
    /// two; a fake time usually claims orders of magnitude.
    public static let calibratedHeadroom = 2.0

    /// The ceilings of `machine`, tightened by what `calibration` (the device's calibrated machine) measured: each
    /// measured figure times `calibratedHeadroom`, never above the stated one. Without a calibration the ceilings are
    /// only as good as the machine file (a datasheet of a larger machine makes them loose), and `basis` says so.
    public init(machine: Machine, calibration: (machine: Machine, run: String)?, device: String) {
        self.init(machine: machine)
        guard let calibration else {
            basis = "\(machine.name) as stated: \(device) has no calibration in the store (kernelcast calibrate --device D --machine \(machine.name) makes the bound the device's own)"
            return
        }
        let calibrated = PhysicalLimits(machine: calibration.machine, measuredOnly: true)
        var tightened: [String] = []
        if let measured = calibrated.memoryBandwidth {
            let ceiling = measured * Self.calibratedHeadroom
            if ceiling < memoryBandwidth ?? .infinity { memoryBandwidth = ceiling; tightened.append("memory bandwidth") }
        }
        for (type, measured) in calibrated.peakRates.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            let ceiling = measured * Self.calibratedHeadroom
            if ceiling < peakRates[type] ?? .infinity { peakRates[type] = ceiling; tightened.append("\(type.rawValue) rate") }
        }
        let what = tightened.isEmpty ? "no ceiling tighter than \(machine.name)'s" : tightened.joined(separator: ", ")
        basis = "calibration \(calibration.run) of \(device): measured figures x\(formatSignificant(Self.calibratedHeadroom)) (\(what)), at most \(machine.name)'s"
    }

    public init(machine: Machine) {
        self.init(machine: machine, measuredOnly: false)
    }

    /// `measuredOnly`: only figures a calibration run measured (provenance `measured`).
    private init(machine: Machine, measuredOnly: Bool) {
        func kept<T: Hashable & Sendable>(_ figure: Sourced<T>?) -> T? {
            guard let figure, !measuredOnly || figure.provenance.key == "measured" else { return nil }
            return figure.value
        }
        var rates: [DataType: Double] = [:]
        for type in DataType.allCases {
            let candidates: [Precision] = type == .fp32 ? [.fp32, .tf32] : [type.precision]
            let values = candidates.flatMap { precision in
                ExecutionUnit.allCases.compactMap { kept(machine.compute.peak($0, precision))?.base }
            }
            if let best = values.max() { rates[type] = best }
        }
        let caches = machine.memory.filter { $0.kind == .cache && $0.scope != .unit }.compactMap { $0.size?.value.count }
        self.init(
            machine: machine.name, memoryBandwidth: kept(machine.deviceMemory?.bandwidth)?.base, peakRates: rates,
            lastLevelCache: caches.max())
    }

    /// The fastest any kernel could solve the problem: compulsory bytes at peak bandwidth, or its FLOPs at the peak
    /// rate, whichever is longer; with the words that say which.
    public func lowerBound(_ problem: any ProblemDefinition) -> (seconds: Double, text: String)? {
        var best: (Double, String)?
        if let memoryBandwidth, memoryBandwidth > 0 {
            let bytes = problem.compulsoryBytes
            let t = bytes.base / memoryBandwidth
            best = (t, "\(bytes) at \(BytesPerSecond(base: memoryBandwidth))")
        }
        if let rate = peakRates[problem.dataType], rate > 0, problem.flops > 0 {
            let t = problem.flops / rate
            if best == nil || t > best!.0 {
                best = (t, "\(formatSignificant(problem.flops / 1e9)) GFLOP at \(OpsPerSecond(base: rate))")
            }
        }
        return best.map { (seconds: $0.0, text: $0.1) }
    }
}
