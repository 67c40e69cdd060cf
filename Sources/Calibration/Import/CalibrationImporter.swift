import Foundation
import MachineModel
import Store

/// Records an import as a calibration run and applies its figures to a machine.
public struct CalibrationImporter {
    public var store: Store

    public init(store: Store) { self.store = store }

    public struct Report: Sendable {
        public var run: CalibrationRun
        public var spec: Machine
        /// The machine the figures were applied to: a calibrated file, or the spec machine itself.
        public var base: Machine
        public var calibrated: Machine?
        public var fits: [FieldFit]
        public var file: CalibrationImport
        /// Why the run failed, one line per field, when it did.
        public var failures: [String]

        public var json: JSONValue {
            .object([
                ("version", .int(1)), ("kind", .string("kernelcast-calibration-import-run")), ("run", .string(run.id)),
                ("machine", .string(spec.name)), ("base", .string(base.name)),
                ("calibrated_machine", calibrated.map { .string($0.name) } ?? .null),
                ("status", .string(run.status.rawValue)), ("failure_reason", run.failureReason.map(JSONValue.string) ?? .null),
                ("file", .string(file.path)), ("device", .string(file.device)), ("driver", file.driver.map(JSONValue.string) ?? .null),
                ("tool", file.tool.map(JSONValue.string) ?? .null), ("created", file.created.map(JSONValue.string) ?? .null),
                ("fields", .array(zip(fits, file.measurements).map { fit, entry in
                    .object([
                        ("field", .string(fit.path)), ("value", .number(fit.value.base)),
                        ("unit", fit.value.kind.unit.map(JSONValue.string) ?? .null), ("text", .string(fit.value.text)),
                        ("samples", .array(entry.samples.map(JSONValue.number))), ("sample_unit", .string(entry.unit)),
                        ("method", entry.method.map(JSONValue.string) ?? .null),
                        ("spec", MachineFields.current(fit.path, in: spec).map { $0.json(sources: spec.sources) } ?? .null),
                    ])
                })),
                ("skipped", .array(file.skipped.map { .object([("field", .string($0.field)), ("reason", .string($0.reason))]) })),
            ])
        }
    }

    /// Checks the file against `spec` (unknown fields and wrong units are errors before anything is recorded), records
    /// a run, and applies the figures to `base` (default: `spec`). A figure above its spec value fails the run.
    public func run(_ file: CalibrationImport, spec: Machine, base: Machine? = nil) throws(CalibrationError) -> Report {
        // Rule: figures measured on one machine never land on another's calibrated file; nothing is recorded then.
        if let base, Fit.calibratedName(base.name) != Fit.calibratedName(spec.name) {
            throw CalibrationError(.importFormat, "\(file.path): the figures are for machine \"\(spec.name)\", but the base \"\(base.name)\" calibrates another; expected a base of \(Fit.calibratedName(spec.name))")
        }
        let fits = try file.fits(for: base ?? spec)
        var run = try recording { () throws(StoreError) in
            try store.beginCalibrationRun(
                machine: spec.name, device: file.device, source: .import, tool: file.tool ?? "external harness",
                settings: compactJSON(.object([("file", .string(file.path)), ("created", file.created.map(JSONValue.string) ?? .null)])))
        }
        run.driver = file.driver
        let updated = run
        try recording { () throws(StoreError) in try store.updateCalibrationRun(updated) }

        var failures: [String] = []
        // The same rule as the suite's: a bandwidth or rate above the datasheet is an error in the harness.
        for fit in fits where fit.value.kind == .bandwidth || fit.value.kind == .rate {
            if let stated = SanityCheck.exceededSpec(fit.value.base, path: fit.path, in: spec) {
                failures.append("\(file.path): \(fit.path): \(fit.value.text) is above the spec \(stated.text) (\(stated.provenance)); a measurement above the spec is an error in the harness")
            }
        }
        let rows = zip(fits, file.measurements).map { fit, entry in
            BenchmarkResult(
                runID: run.id, benchmark: "import", measurement: fit.path,
                parameters: compactJSON(.object([("method", entry.method.map(JSONValue.string) ?? .null), ("file", .string(file.path))])),
                samples: compactJSON(.array(entry.samples.map(JSONValue.number))), sampleUnit: entry.unit, value: fit.value.base,
                unit: fit.value.kind.unit, spread: entry.samples.isEmpty ? nil : SampleStatistics(entry.samples).spread, status: .ok)
        }
        try recording { () throws(StoreError) in try store.recordBenchmarkResults(rows) }

        var calibrated: Machine?
        if failures.isEmpty {
            do {
                calibrated = try Fit.apply(fits, to: base ?? spec, runID: run.id)
            } catch {
                failures.append(error.message)
            }
        }
        let status: CalibrationRun.Status = failures.isEmpty ? .ok : .failed
        let reason = failures.isEmpty ? nil : failures.joined(separator: "; ")
        let fields = fits.map {
            CalibratedField(runID: run.id, field: $0.path, value: $0.value.base, unit: $0.value.kind.unit, text: $0.value.text,
                            benchmark: "import", specValue: MachineFields.current($0.path, in: spec)?.base)
        }
        let finished = Date()
        try recording { () throws(StoreError) in
            try store.finishCalibrationRun(id: run.id, status: status, failureReason: reason, fields: status == .ok ? fields : [],
                                           finishedAt: finished)
        }
        run.status = status
        run.failureReason = reason
        run.finishedAt = finished
        return Report(run: run, spec: spec, base: base ?? spec, calibrated: calibrated, fits: fits, file: file, failures: failures)
    }

    /// Writes `DIR/<machine>/<run-id>.yaml` (when the run succeeded) and `<run-id>.json`.
    public static func write(_ report: Report, directory: String) throws(CalibrationError) -> ResultFiles.Written {
        let header = [
            "Calibrated machine written by `kernelcast calibrate import` (run \(report.run.id)) from \(report.file.path).",
            "Imported figures come from \(report.file.tool ?? "an external harness") on \(report.file.device); applied to \(report.base.name).",
            "Compare with: kernelcast machines diff \(report.spec.name) THIS_FILE",
        ]
        return try ResultFiles.write(machine: report.calibrated, header: header, results: report.json, runID: report.run.id,
                                     machineName: report.spec.name, directory: directory)
    }

    private func recording<T>(_ body: () throws(StoreError) -> T) throws(CalibrationError) -> T {
        do {
            return try body()
        } catch {
            throw CalibrationError(.store, "calibrate import: \(error.description)", storeError: error)
        }
    }
}
