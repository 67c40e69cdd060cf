import Foundation

/// One calibration run: a suite on a device, or an import of an external harness's figures.
public struct CalibrationRun: Codable, Sendable, Hashable {
    public enum Status: String, Codable, Sendable, Hashable { case running, ok, failed }
    public enum Source: String, Codable, Sendable, Hashable { case suite, `import` }

    /// `cal-<machine>-<yyyyMMdd-HHmmss>` (UTC), with `-2`, `-3` appended when that second is taken.
    public var id: String
    public var machine: String
    /// The device as asked for (`opencl:0`) until opened, then its id and name.
    public var device: String
    public var deviceName: String?
    public var driver: String?
    public var source: Source
    /// `kernelcast calibrate`, or the external harness that produced an import.
    public var tool: String?
    /// Suite settings or import metadata, as JSON.
    public var settings: String?
    public var startedAt: Date
    public var finishedAt: Date?
    public var status: Status
    public var failureReason: String?

    enum CodingKeys: String, CodingKey {
        case id, machine, device, driver, source, tool, settings, status
        case deviceName = "device_name", startedAt = "started_at", finishedAt = "finished_at", failureReason = "failure_reason"
    }

    public init(
        id: String, machine: String, device: String, deviceName: String? = nil, driver: String? = nil, source: Source,
        tool: String? = nil, settings: String? = nil, startedAt: Date, finishedAt: Date? = nil, status: Status = .running,
        failureReason: String? = nil
    ) {
        self.id = id
        self.machine = machine
        self.device = device
        self.deviceName = deviceName
        self.driver = driver
        self.source = source
        self.tool = tool
        self.settings = settings
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.status = status
        self.failureReason = failureReason
    }

    /// The run id for a machine and start time, before collisions are resolved.
    public static func baseID(machine: String, startedAt: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return "cal-\(machine)-\(formatter.string(from: startedAt))"
    }
}

/// One measurement of a run: what ran with which parameters, its raw samples, and the figure drawn from them.
public struct BenchmarkResult: Codable, Sendable, Hashable {
    public enum Status: String, Codable, Sendable, Hashable { case ok, failed }

    public var id: Int64?
    public var runID: String
    /// The benchmark (`stream`, `cache-sweep`, `pointer-chase`).
    public var benchmark: String
    /// The measurement within it (`copy.float4`, `footprint.32768`).
    public var measurement: String
    /// JSON object of sizes, widths and counts.
    public var parameters: String
    /// JSON array of raw samples, in `sampleUnit` (device seconds for the suite).
    public var samples: String
    public var sampleUnit: String
    /// The figure (median), in `unit`.
    public var value: Double?
    public var unit: String?
    /// Relative spread of the samples: (max - min) / median.
    public var spread: Double?
    /// JSON object of the values this benchmark fitted (on its summary row).
    public var fitted: String?
    public var status: Status
    public var message: String?

    enum CodingKeys: String, CodingKey {
        case id, benchmark, measurement, parameters, samples, value, unit, spread, fitted, status, message
        case runID = "run_id", sampleUnit = "sample_unit"
    }

    public init(
        runID: String, benchmark: String, measurement: String, parameters: String, samples: String, sampleUnit: String,
        value: Double?, unit: String?, spread: Double?, fitted: String? = nil, status: Status, message: String? = nil
    ) {
        self.runID = runID
        self.benchmark = benchmark
        self.measurement = measurement
        self.parameters = parameters
        self.samples = samples
        self.sampleUnit = sampleUnit
        self.value = value
        self.unit = unit
        self.spread = spread
        self.fitted = fitted
        self.status = status
        self.message = message
    }
}

/// A machine-file field a run measured: `memory.hbm.bandwidth` = 3.01e12 B/s from `stream`.
public struct CalibratedField: Codable, Sendable, Hashable {
    public var runID: String
    /// Dotted machine-file path.
    public var field: String
    /// In the SI base unit (`unit`), or the count itself.
    public var value: Double
    public var unit: String?
    /// As a machine file writes it ("3.01 TB/s").
    public var text: String
    public var benchmark: String
    /// The value the machine stated before, when it stated one.
    public var specValue: Double?

    enum CodingKeys: String, CodingKey {
        case field, value, unit, text, benchmark
        case runID = "run_id", specValue = "spec_value"
    }

    public init(runID: String, field: String, value: Double, unit: String?, text: String, benchmark: String, specValue: Double?) {
        self.runID = runID
        self.field = field
        self.value = value
        self.unit = unit
        self.text = text
        self.benchmark = benchmark
        self.specValue = specValue
    }
}

extension CalibrationRun {
    static let columns = "id, machine, device, device_name, driver, source, tool, settings, started_at, finished_at, status, failure_reason"

    var binds: [any StoreBindable] {
        [id, machine, device, deviceName, driver, source.rawValue, tool, settings, StoreDate.text(startedAt),
         finishedAt.map(StoreDate.text), status.rawValue, failureReason]
    }

    init(row: StoreRow) {
        self.init(
            id: row.text("id") ?? "", machine: row.text("machine") ?? "", device: row.text("device") ?? "",
            deviceName: row.text("device_name"), driver: row.text("driver"),
            source: row.text("source").flatMap(Source.init(rawValue:)) ?? .suite, tool: row.text("tool"), settings: row.text("settings"),
            startedAt: row.text("started_at").flatMap(StoreDate.date) ?? Date(timeIntervalSince1970: 0),
            finishedAt: row.text("finished_at").flatMap(StoreDate.date),
            status: row.text("status").flatMap(Status.init(rawValue:)) ?? .failed, failureReason: row.text("failure_reason"))
    }
}

extension BenchmarkResult {
    init(row: StoreRow) {
        self.init(
            runID: row.text("run_id") ?? "", benchmark: row.text("benchmark") ?? "", measurement: row.text("measurement") ?? "",
            parameters: row.text("parameters") ?? "{}", samples: row.text("samples") ?? "[]", sampleUnit: row.text("sample_unit") ?? "",
            value: row.real("value"), unit: row.text("unit"), spread: row.real("spread"), fitted: row.text("fitted"),
            status: row.text("status").flatMap(Status.init(rawValue:)) ?? .failed, message: row.text("message"))
        id = row.integer("id")
    }
}

extension CalibratedField {
    init(row: StoreRow) {
        self.init(runID: row.text("run_id") ?? "", field: row.text("field") ?? "", value: row.real("value") ?? 0, unit: row.text("unit"),
                  text: row.text("text") ?? "", benchmark: row.text("benchmark") ?? "", specValue: row.real("spec_value"))
    }
}

extension Store {
    /// Records the start of a run (status `running`) under a fresh id, in its own transaction.
    public func beginCalibrationRun(
        machine: String, device: String, source: CalibrationRun.Source, tool: String?, settings: String?,
        startedAt: Date = Date()
    ) throws(StoreError) -> CalibrationRun {
        try write("record the start of a calibration run") { tx in
            let base = CalibrationRun.baseID(machine: machine, startedAt: startedAt)
            var id = base
            var suffix = 2
            while try !tx.rows("SELECT id FROM calibration_run WHERE id = ?", [id]).isEmpty {
                id = "\(base)-\(suffix)"
                suffix += 1
            }
            let run = CalibrationRun(
                id: id, machine: machine, device: device, source: source, tool: tool, settings: settings, startedAt: startedAt)
            try tx.execute("INSERT INTO calibration_run (\(CalibrationRun.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", run.binds)
            return run
        }
    }

    /// Rewrites a run's row (device and driver once known).
    public func updateCalibrationRun(_ run: CalibrationRun) throws(StoreError) {
        try write("update calibration run \(run.id)") { tx in try Self.update(run, tx) }
    }

    static func update(_ run: CalibrationRun, _ tx: StoreTransaction) throws {
        try tx.execute("""
            UPDATE calibration_run SET machine = ?, device = ?, device_name = ?, driver = ?, source = ?, tool = ?, settings = ?,
                started_at = ?, finished_at = ?, status = ?, failure_reason = ? WHERE id = ?
            """, Array(run.binds.dropFirst()) + [run.id])
    }

    /// Appends one benchmark's results, all in one transaction.
    public func recordBenchmarkResults(_ results: [BenchmarkResult]) throws(StoreError) {
        try write("record benchmark results") { tx in
            for result in results {
                _ = try tx.insert("""
                    INSERT INTO benchmark_result (run_id, benchmark, measurement, parameters, samples, sample_unit, value, unit, spread,
                        fitted, status, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, [result.runID, result.benchmark, result.measurement, result.parameters, result.samples, result.sampleUnit,
                          result.value, result.unit, result.spread, result.fitted, result.status.rawValue, result.message])
            }
        }
    }

    /// Marks a run finished, with its status and the fields it fitted, in one transaction.
    public func finishCalibrationRun(
        id: String, status: CalibrationRun.Status, failureReason: String?, fields: [CalibratedField],
        finishedAt: Date = Date()
    ) throws(StoreError) {
        try write("finish calibration run \(id)") { tx in
            guard var run = try tx.rows("SELECT \(CalibrationRun.columns) FROM calibration_run WHERE id = ?", [id]).first.map(CalibrationRun.init(row:)) else {
                throw StoreError(.notFound, path: path, "no calibration run \(id)")
            }
            run.status = status
            run.failureReason = failureReason
            run.finishedAt = finishedAt
            try Self.update(run, tx)
            for field in fields {
                // A field fitted again in the same run replaces the earlier value (the key is run and field).
                try tx.execute("DELETE FROM calibrated_field WHERE run_id = ? AND field = ?", [field.runID, field.field])
                try tx.execute("""
                    INSERT INTO calibrated_field (run_id, field, value, unit, text, benchmark, spec_value) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, [field.runID, field.field, field.value, field.unit, field.text, field.benchmark, field.specValue])
            }
        }
    }

    /// Runs, newest first; only those of one machine when `machine` is given.
    public func calibrationRuns(machine: String? = nil) throws(StoreError) -> [CalibrationRun] {
        try read("list calibration runs") { tx in
            let filter = machine == nil ? "" : " WHERE machine = ?"
            return try tx.rows("SELECT \(CalibrationRun.columns) FROM calibration_run\(filter) ORDER BY started_at DESC, id DESC",
                               machine.map { [$0] } ?? []).map(CalibrationRun.init(row:))
        }
    }

    public func calibrationRun(id: String) throws(StoreError) -> CalibrationRun? {
        try read("read calibration run \(id)") { tx in
            try tx.rows("SELECT \(CalibrationRun.columns) FROM calibration_run WHERE id = ?", [id]).first.map(CalibrationRun.init(row:))
        }
    }

    /// A run's results in the order they were recorded.
    public func benchmarkResults(runID: String) throws(StoreError) -> [BenchmarkResult] {
        try read("read results of \(runID)") { tx in
            try tx.rows("SELECT * FROM benchmark_result WHERE run_id = ? ORDER BY id", [runID]).map(BenchmarkResult.init(row:))
        }
    }

    public func calibratedFields(runID: String) throws(StoreError) -> [CalibratedField] {
        try read("read fields of \(runID)") { tx in
            try tx.rows("SELECT * FROM calibrated_field WHERE run_id = ? ORDER BY field", [runID]).map(CalibratedField.init(row:))
        }
    }
}
