import Devices
import Foundation
import MachineModel
import Store

/// What to calibrate: a device, the machine it is an instance of, and how.
public struct CalibrationRequest: Sendable {
    /// `opencl:0`, `opencl:0:1`, or part of a device name.
    public var device: String
    /// The spec machine: its levels name what is fitted, its `spec` values bound what is plausible.
    public var machine: Machine
    public var quick: Bool
    public var benchmarks: [BenchmarkID]
    /// Recorded with the run (`kernelcast calibrate`).
    public var tool: String

    public init(device: String, machine: Machine, quick: Bool = false, benchmarks: [BenchmarkID] = BenchmarkID.allCases,
                tool: String = "kernelcast calibrate") {
        self.device = device
        self.machine = machine
        self.quick = quick
        self.benchmarks = benchmarks
        self.tool = tool
    }
}

/// Told about each benchmark as the suite runs (the CLI prints one line per benchmark).
public protocol CalibrationProgress: AnyObject {
    func benchmarkStarted(_ id: BenchmarkID, index: Int, count: Int)
    func benchmarkFinished(_ outcome: BenchmarkOutcome, index: Int, count: Int)
}

/// Runs the suite on a device, records everything in the store, and fits a calibrated machine.
///
/// The run is recorded as `running` before the device is opened, each benchmark's results are committed as soon as
/// it finishes (one transaction each), and the run is closed as `ok` or `failed` with the reason. A benchmark that
/// fails (a build error, an allocation the device refuses, a figure that cannot be true) is recorded with its message
/// and the suite goes on; the run is then `failed` and its report has no calibrated machine to write. Runs before it
/// are never touched.
public struct CalibrationRunner {
    public var store: Store
    /// Opens a device by its selector; OpenCL by default, a scripted device in tests.
    public var openDevice: (String) throws(DeviceError) -> any ComputeDevice

    public init(store: Store, openDevice: @escaping (String) throws(DeviceError) -> any ComputeDevice = { selector throws(DeviceError) in
        try OpenCLRuntime.shared.open(selector)
    }) {
        self.store = store
        self.openDevice = openDevice
    }

    public func run(_ request: CalibrationRequest, progress: (any CalibrationProgress)? = nil) throws(CalibrationError) -> CalibrationReport {
        let started = Date()
        var run = try recording { () throws(StoreError) in
            try store.beginCalibrationRun(machine: request.machine.name, device: request.device, source: .suite,
                                          tool: request.tool, settings: nil, startedAt: started)
        }

        let device: any ComputeDevice
        do {
            device = try openDevice(request.device)
        } catch {
            let reason = "no device: \(error.description)"
            try recording { () throws(StoreError) in
                try store.finishCalibrationRun(id: run.id, status: .failed, failureReason: reason, fields: [])
            }
            throw CalibrationError(.noDevice, "calibrate: \(error.description) (run \(run.id) recorded as failed)", deviceError: error)
        }

        let settings = SuiteSettings(device: device.info, machine: request.machine, quick: request.quick, benchmarks: request.benchmarks)
        run.device = device.info.id
        run.deviceName = device.info.name
        run.driver = "\(device.info.platformName) \(device.info.platformVersion); driver \(device.info.driverVersion)"
        run.settings = compactJSON(.object([
            ("suite", settings.json), ("device", CalibrationReport.deviceJSON(device.info)),
        ]))
        let updated = run
        try recording { () throws(StoreError) in try store.updateCalibrationRun(updated) }

        let context = BenchmarkContext(device: device, settings: settings, spec: request.machine)
        var outcomes: [BenchmarkOutcome] = []
        for (index, id) in settings.benchmarks.enumerated() {
            progress?.benchmarkStarted(id, index: index, count: settings.benchmarks.count)
            let outcome = Self.runOne(id, context)
            context.earlier.append(outcome)
            outcomes.append(outcome)
            let rows = Self.rows(outcome, runID: run.id)
            try recording { () throws(StoreError) in try store.recordBenchmarkResults(rows) }
            progress?.benchmarkFinished(outcome, index: index, count: settings.benchmarks.count)
        }

        var failures = outcomes.filter { $0.status == .failed }.map { $0.message.firstLine }
        let fits = outcomes.filter { $0.status == .ok }.flatMap(\.fits)
        var calibrated: Machine?
        do {
            calibrated = try Fit.apply(fits, to: request.machine, runID: run.id)
        } catch {
            failures.append(error.message)
        }
        let status: CalibrationRun.Status = failures.isEmpty ? .ok : .failed
        let reason = failures.isEmpty ? nil : failures.joined(separator: "; ")
        let fields = fits.map { fit in
            CalibratedField(runID: run.id, field: fit.path, value: fit.value.base, unit: fit.value.kind.unit, text: fit.value.text,
                            benchmark: fit.benchmark, specValue: MachineFields.current(fit.path, in: request.machine)?.base)
        }
        let finished = Date()
        try recording { () throws(StoreError) in
            try store.finishCalibrationRun(id: run.id, status: status, failureReason: reason, fields: fields, finishedAt: finished)
        }
        run.status = status
        run.failureReason = reason
        run.finishedAt = finished
        return CalibrationReport(
            run: run, spec: request.machine, calibrated: status == .ok ? calibrated : nil, device: device.info,
            settings: settings, outcomes: outcomes, fits: fits)
    }

    /// The benchmark behind an id.
    static func benchmark(_ id: BenchmarkID) -> any Benchmark {
        switch id {
        case .launchOverhead: LaunchOverheadBenchmark()
        case .stream: StreamBenchmark()
        case .cacheSweep: CacheSweepBenchmark()
        case .pointerChase: PointerChaseBenchmark()
        case .localMemory: LocalMemoryBenchmark()
        case .peakArithmetic: PeakArithmeticBenchmark()
        case .hostTransfer: HostTransferBenchmark()
        case .elementOps: ElementOpsBenchmark()
        }
    }

    /// Runs one benchmark; any error becomes a failed outcome whose message names the benchmark.
    static func runOne(_ id: BenchmarkID, _ context: BenchmarkContext) -> BenchmarkOutcome {
        let benchmark = benchmark(id)
        context.measurements = []
        let start = monotonicSeconds()
        var outcome = BenchmarkOutcome(id: id, status: .ok, message: "", measurements: [], fits: [], notes: [], duration: .zero)
        do {
            try benchmark.measure(context)
            let findings = try benchmark.fit(FitInput(
                spec: context.spec, measurements: context.measurements, earlier: context.earlier,
                hostUnifiedMemory: context.info.hostUnifiedMemory, localMemoryIsDedicated: context.info.localMemoryIsDedicated))
            outcome.take(findings)
        } catch {
            outcome.fail(error)
        }
        outcome.measurements = context.measurements
        outcome.duration = Seconds(base: monotonicSeconds() - start)
        return outcome
    }

    /// One row per measurement, then a summary row with the fits (or the failure).
    static func rows(_ outcome: BenchmarkOutcome, runID: String) -> [BenchmarkResult] {
        var rows = outcome.measurements.map { m in
            BenchmarkResult(
                runID: runID, benchmark: outcome.id.rawValue, measurement: m.name, parameters: compactJSON(.object(m.parameters)),
                samples: compactJSON(.array(m.samples.map(JSONValue.number))), sampleUnit: "s", value: m.value, unit: m.unit,
                spread: m.statistics.spread, status: .ok)
        }
        let fitted = JSONValue.object(outcome.fits.map { ($0.path, .number($0.value.base)) })
        rows.append(BenchmarkResult(
            runID: runID, benchmark: outcome.id.rawValue, measurement: "summary",
            parameters: compactJSON(.object([("duration_s", .number(outcome.duration.base)), ("notes", .array(outcome.notes.map(JSONValue.string)))])),
            samples: "[]", sampleUnit: "s", value: nil, unit: nil, spread: nil, fitted: compactJSON(fitted),
            status: outcome.status == .ok ? .ok : .failed, message: outcome.message))
        return rows
    }

    private func recording<T>(_ body: () throws(StoreError) -> T) throws(CalibrationError) -> T {
        do {
            return try body()
        } catch {
            throw CalibrationError(.store, "calibrate: \(error.description)", storeError: error)
        }
    }
}

extension String {
    var firstLine: String { split(separator: "\n", maxSplits: 1).first.map(String.init) ?? self }
}

/// JSON on one line, for database columns.
func compactJSON(_ value: JSONValue) -> String {
    switch value {
    case .null: return "null"
    case let .bool(flag): return flag ? "true" : "false"
    case let .number(number):
        guard number.isFinite else { return "null" }
        if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
        return "\(number)"
    case let .string(text): return quoteJSON(text)
    case let .array(items): return "[" + items.map(compactJSON).joined(separator: ",") + "]"
    case let .object(pairs): return "{" + pairs.map { quoteJSON($0.0) + ":" + compactJSON($0.1) }.joined(separator: ",") + "}"
    }
}

func quoteJSON(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case let s where s.value < 0x20: out += String(format: "\\u%04x", s.value)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
