import Devices
import MachineModel

/// One benchmark of the suite: it runs kernels on the context's device, adds its measurements to the context, and
/// proposes machine fields from them. A figure that cannot be true (a bandwidth above the spec, a rate above what the
/// clock allows) throws `CalibrationError(.benchmarkFailed(id))` with a message that names the benchmark.
protocol Benchmark {
    var id: BenchmarkID { get }
    /// Runs the kernels and records the measurements in the context.
    func measure(_ context: BenchmarkContext) throws
    /// Proposes machine fields from the measurements, the spec machine and earlier benchmarks' fits alone, never the
    /// device, so that a stored run can be fitted again under today's rules (`kernelcast calibrate refit`).
    func fit(_ input: FitInput) throws -> BenchmarkFindings
}

/// What a benchmark's fit reads: the device facts a fit needs travel with a stored run's device record.
struct FitInput {
    var spec: Machine
    var measurements: [Measurement]
    var earlier: [BenchmarkOutcome]
    var hostUnifiedMemory: Bool
    var localMemoryIsDedicated: Bool

    /// The fitted value an earlier benchmark proposed for a path.
    func earlierFit(_ path: String) -> FieldFit? {
        earlier.filter { $0.status == .ok }.flatMap(\.fits).last { $0.path == path }
    }

    /// The measurements named `<prefix>.<size>` (`footprint.32768`) with their sizes above 0, smallest first (the
    /// suite measures them in that order; a stored file is read the same way whatever its order).
    func sized(_ prefix: String, parameter: String) -> [(size: Int, measurement: Measurement)] {
        measurements.compactMap { m -> (size: Int, measurement: Measurement)? in
            guard m.name.hasPrefix(prefix + "."), let size = m.int(parameter), size > 0 else { return nil }
            return (size, m)
        }.sorted { $0.size < $1.size }
    }
}

/// What a benchmark concluded from its measurements.
struct BenchmarkFindings {
    /// One line for the progress display and the summary: "copy 3.01 TB/s (float4)".
    var summary: String
    var fits: [FieldFit] = []
    var notes: [String] = []
}

/// The result of one benchmark in a run: its measurements, what it proposes for the machine, or why it failed.
public struct BenchmarkOutcome: Sendable {
    public enum Status: String, CaseIterable, Sendable { case ok, failed }

    public var id: BenchmarkID
    public var status: Status
    /// The summary line when ok; the failure, naming the benchmark, when failed.
    public var message: String
    public var measurements: [Measurement]
    public var fits: [FieldFit]
    public var notes: [String]
    public var duration: Seconds

    public var json: JSONValue {
        .object([
            ("name", .string(id.rawValue)), ("title", .string(id.title)), ("status", .string(status.rawValue)),
            ("message", .string(message)), ("duration_s", .number(duration.base)),
            ("fits", .array(fits.map { fit in
                .object([("field", .string(fit.path)), ("value", .number(fit.value.base)),
                         ("unit", fit.value.kind.unit.map(JSONValue.string) ?? .null), ("text", .string(fit.value.text)),
                         ("basis", .string(fit.basis))])
            })),
            ("notes", .array(notes.map(JSONValue.string))),
            ("measurements", .array(measurements.map(\.json))),
        ])
    }
}

extension BenchmarkOutcome {
    /// What the benchmark's fit concluded.
    mutating func take(_ findings: BenchmarkFindings) {
        message = findings.summary
        fits = findings.fits
        notes = findings.notes
    }

    /// A failure, its message naming the benchmark.
    mutating func fail(_ error: any Error) {
        status = .failed
        switch error {
        case let error as CalibrationError:
            message = error.message.hasPrefix(id.rawValue + ":") ? error.message : "\(id.rawValue): \(error.message)"
        case let error as DeviceError:
            message = "\(id.rawValue): \(error.description)"
        default:
            message = "\(id.rawValue): \(error)"
        }
    }
}

/// What a benchmark runs with: the device, the settings, the spec machine, and the outcomes before it.
final class BenchmarkContext {
    let device: any ComputeDevice
    let settings: SuiteSettings
    let spec: Machine
    var earlier: [BenchmarkOutcome] = []
    /// Measurements of the benchmark now running, kept even when it fails halfway.
    var measurements: [Measurement] = []
    private var programs: [String: DeviceProgram] = [:]

    init(device: any ComputeDevice, settings: SuiteSettings, spec: Machine) {
        self.device = device
        self.settings = settings
        self.spec = spec
    }

    var info: DeviceInfo { device.info }
    var target: Double { settings.sampleTarget.base }

    /// A built program, compiled once per source and options.
    func program(_ source: String, options: String = "") throws(DeviceError) -> DeviceProgram {
        let key = options + "\u{0}" + source
        if let program = programs[key] { return program }
        let program = try device.buildProgram(source: source, options: options)
        programs[key] = program
        return program
    }

    func kernel(_ source: String, _ name: String, options: String = "") throws(DeviceError) -> DeviceKernel {
        try device.makeKernel(program(source, options: options), name: name)
    }

    /// A small buffer filled with 1.0f, so that lazy allocation fails here.
    func onesBuffer(_ bytes: Int) throws(DeviceError) -> DeviceBuffer {
        let buffer = try device.allocate(byteCount: bytes)
        try device.fill(buffer, pattern: [0x00, 0x00, 0x80, 0x3F])
        return buffer
    }

    /// A buffer of pseudo-random floats in [1, 2) (a 1 MiB block written over and over), never -1, which the read
    /// kernels test against. Uniform data would let a GPU that compresses lines hold more of it in its L2 and move
    /// it faster from memory than real data.
    func randomBuffer(_ bytes: Int) throws(DeviceError) -> DeviceBuffer {
        let buffer = try device.allocate(byteCount: bytes)
        let blockBytes = min(bytes, 1 << 20)
        var random = SplitMix64(seed: 0x6b65726e656c)
        let block = (0..<(blockBytes / 4)).map { _ in Float(1 + Double(random.next() >> 11) / 9_007_199_254_740_992) }
        let result: Result<Void, DeviceError> = block.withUnsafeBytes { raw in
            do throws(DeviceError) {
                var offset = 0
                while offset < bytes {
                    let count = min(blockBytes, bytes - offset)
                    _ = try device.write(buffer, offset: offset, from: UnsafeRawBufferPointer(rebasing: raw[0..<count]))
                    offset += count
                }
                return .success(())
            } catch { return .failure(error) }
        }
        try result.get()
        return buffer
    }

    /// Grows `scale` until one launch lasts at least the sample target (or `limit` is reached); returns the scale.
    /// The launches it makes double as warm-ups.
    func autoscale(start: Int, multiple: Int = 1, limit: Int, _ launch: (Int) throws -> Double) throws -> Int {
        var scale = Self.roundUp(max(start, multiple), multiple)
        for _ in 0..<10 {
            let seconds = try launch(scale)
            if seconds >= target * 0.9 || scale >= limit { return min(scale, limit) }
            let factor = seconds > 0 ? min(max(target * 1.15 / seconds, 1.5), 1000) : 1000
            scale = min(Self.roundUp(Int((Double(scale) * factor).rounded(.up)), multiple), limit)
        }
        return scale
    }

    /// `settings.warmups` unrecorded launches, then `settings.samples` recorded ones; while their spread is over
    /// 25 % (another process took the CPU, a clock changed), up to two more rounds, so the median rests on the
    /// undisturbed majority.
    func sample(_ launch: () throws -> Double) throws -> [Double] {
        for _ in 0..<settings.warmups { _ = try launch() }
        return try repeatWhileNoisy(launch)
    }

    /// `settings.samples` values of `measure`, and up to two more rounds while their spread is over 25 %.
    func repeatWhileNoisy(_ measure: () throws -> Double) throws -> [Double] {
        var samples: [Double] = []
        for round in 0..<3 {
            if round > 0 && SampleStatistics(samples).spread <= Self.noisySpread { break }
            for _ in 0..<settings.samples { samples.append(try measure()) }
        }
        return samples
    }

    static let noisySpread = 0.25

    func record(_ measurement: Measurement) { measurements.append(measurement) }

    static func roundUp(_ value: Int, _ multiple: Int) -> Int { (value + multiple - 1) / multiple * multiple }
}

/// Upper bounds no real device exceeds; a figure above one means the benchmark measured nothing real.
enum PhysicalCeiling {
    /// Device memory: the fastest HBM stacks today deliver under 10 TB/s per device.
    static let deviceMemoryBandwidth = 50e12
    /// Any on-chip level, aggregated over the device.
    static let onChipBandwidth = 2e15
    /// Host links: PCIe 6 x16 and NVLink-C2C stay under 1 TB/s.
    static let hostLinkBandwidth = 2e12
    /// Operations per clock per compute unit (128 FMA lanes x 2 issue x 2 FLOP, doubled for margin).
    static let operationsPerClockPerUnit = 1024.0
}
