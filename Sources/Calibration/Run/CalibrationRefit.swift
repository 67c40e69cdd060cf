import Foundation
import MachineModel

/// A stored suite run fitted again under today's rules: the raw samples of its `<run-id>.json`, each benchmark's
/// current fit, no device. When a fitting rule improves (the L2 figure taken from data that fills the level, a launch
/// figure no longer fitted where it means another term), runs on hardware no longer at hand still benefit.
public enum CalibrationRefit {
    public struct Report: Sendable {
        /// The new run's id: the stored run's, with `-refit`.
        public var runID: String
        public var sourceRun: String
        public var spec: Machine
        public var calibrated: Machine?
        public var outcomes: [BenchmarkOutcome]
        public var fits: [FieldFit]
        public var failures: [String]

        public var json: JSONValue {
            .object([
                ("version", .int(1)), ("kind", .string("kernelcast-calibration-refit")), ("run", .string(runID)),
                ("source_run", .string(sourceRun)), ("machine", .string(spec.name)),
                ("calibrated_machine", calibrated.map { .string($0.name) } ?? .null),
                ("status", .string(failures.isEmpty ? "ok" : "failed")),
                ("failure_reason", failures.isEmpty ? .null : .string(failures.joined(separator: "; "))),
                ("fields", .array(fits.map { fit in
                    .object([("field", .string(fit.path)), ("value", .number(fit.value.base)), ("text", .string(fit.value.text)),
                             ("benchmark", .string(fit.benchmark)), ("basis", .string(fit.basis))])
                })),
                ("benchmarks", .array(outcomes.map(\.json))),
            ])
        }
    }

    /// Fits the run stored in `text` (a `kernelcast-calibration-run` file) again onto `spec`.
    public static func refit(_ text: String, file: String, spec: Machine) throws(FormatError) -> Report {
        let top = try YAMLDocument(json: text, file: file).root.mapping()
        let kind = try top.required("kind") { v throws(FormatError) in try v.string() }
        guard kind == "kernelcast-calibration-run" else {
            throw FormatError(top.location(of: "kind"), field: "kind", "expected \"kernelcast-calibration-run\" (a <run-id>.json of `kernelcast calibrate`), got \"\(kind)\"")
        }
        let source = try top.required("run") { v throws(FormatError) in try v.nonEmptyString() }
        let device = try top.required("device") { v throws(FormatError) in try v.mapping() }
        let unified = try device.optional("host_unified_memory") { v throws(FormatError) in try v.bool() } ?? false
        let dedicated = try device.optional("local_memory_dedicated") { v throws(FormatError) in try v.bool() } ?? true
        let stored = try top.required("benchmarks") { v throws(FormatError) in try v.sequence() }

        var outcomes: [BenchmarkOutcome] = []
        for item in stored {
            let m = try item.mapping()
            let id = try m.required("name") { v throws(FormatError) in try v.oneOf(BenchmarkID.self) }
            let status = try m.required("status") { v throws(FormatError) in try v.oneOf(BenchmarkOutcome.Status.self) }
            let measurements = try m.required("measurements") { v throws(FormatError) in try v.list(measurement) }
            var outcome = BenchmarkOutcome(id: id, status: status, message: "", measurements: measurements, fits: [], notes: [],
                                           duration: Seconds(base: try m.optional("duration_s") { v throws(FormatError) in try v.double() } ?? 0))
            if status == .failed {
                outcome.message = try m.optional("message") { v throws(FormatError) in try v.string() } ?? "\(id.rawValue): failed"
            } else {
                do {
                    let findings = try CalibrationRunner.benchmark(id).fit(FitInput(
                        spec: spec, measurements: measurements, earlier: outcomes,
                        hostUnifiedMemory: unified, localMemoryIsDedicated: dedicated))
                    outcome.take(findings)
                } catch {
                    outcome.fail(error)
                }
            }
            outcomes.append(outcome)
        }
        let runID = source + "-refit"
        var failures = outcomes.filter { $0.status == .failed }.map { $0.message.firstLine }
        let fits = outcomes.filter { $0.status == .ok }.flatMap(\.fits)
        var calibrated: Machine?
        do {
            calibrated = try Fit.apply(fits, to: spec, runID: runID)
        } catch {
            failures.append(error.message)
        }
        return Report(runID: runID, sourceRun: source, spec: spec, calibrated: failures.isEmpty ? calibrated : nil,
                      outcomes: outcomes, fits: fits, failures: failures)
    }

    /// One stored measurement: its name, parameters, raw samples and work; the figure is drawn from them again.
    static func measurement(_ v: ValueReader) throws(FormatError) -> Measurement {
        let m = try v.mapping()
        let name = try m.required("name") { v throws(FormatError) in try v.nonEmptyString() }
        let parameters = try m.required("parameters") { v throws(FormatError) in try v.mapping() }.entries().map { entry in
            (entry.key, scalar(entry.value))
        }
        let samples = try m.required("samples_s") { v throws(FormatError) in try v.list { x throws(FormatError) in try x.double() } }
        let work = try m.required("work") { v throws(FormatError) in try v.double() }
        let unit = try m.required("unit") { v throws(FormatError) in try v.nonEmptyString() }
        // What the suite itself would never have stored: its benchmarks check every figure before they keep it.
        guard !samples.isEmpty, samples.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw v.error("expected samples_s: a list of times of at least 0 s")
        }
        guard work.isFinite, work > 0 else { throw v.error("expected work above 0, got \(work)") }
        let measurement = unit == "s" && work == 1
            ? Measurement.time(name, parameters: parameters, seconds: samples)
            : Measurement.rate(name, parameters: parameters, seconds: samples, work: work, unit: unit)
        guard measurement.value.isFinite, measurement.value > 0 else {
            throw v.error("\(name): its samples give no finite figure above 0 (median \(measurement.statistics.median) s)")
        }
        return measurement
    }

    /// A parameter as the suite wrote it: a number, a flag, a string or null.
    static func scalar(_ v: ValueReader) -> JSONValue {
        if let number = try? v.double() { return .number(number) }
        if let flag = try? v.bool() { return .bool(flag) }
        guard let text = v.scalarText, text != "null" else { return .null }
        return .string(text)
    }

    /// Writes `<run-id>.yaml` (the calibrated machine) and `<run-id>.json` under `directory/<machine>/`.
    public static func write(_ report: Report, directory: String) throws(CalibrationError) -> ResultFiles.Written {
        let header = [
            "Calibrated machine written by `kernelcast calibrate refit` (run \(report.runID)): the measurements of run",
            "\(report.sourceRun) (its \(report.sourceRun).json) fitted again under today's rules; no device was used.",
            "Fields marked `measured` come from those measurements; the rest are as \(report.spec.name) states them.",
        ]
        return try ResultFiles.write(machine: report.calibrated, header: header, results: report.json, runID: report.runID,
                                     machineName: report.spec.name, directory: directory)
    }
}
