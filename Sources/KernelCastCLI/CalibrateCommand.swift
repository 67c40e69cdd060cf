import ArgumentParser
import Calibration
import Devices
import Foundation
import MachineModel
import Verifier

struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Measure a device with the microbenchmark suite and write a calibrated machine model.",
        subcommands: [Run.self, Import.self, Refit.self, Kernels.self],
        defaultSubcommand: Run.self
    )

    /// The OpenCL C sources compiled into the binary, written out: they live once, in the binary's sources, and a
    /// person or another tool gets files from here.
    struct Kernels: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the calibration suite's and the verifier library's OpenCL C sources as .cl files.")
        @Option(help: "Folder to write into (the verifier's templates go to its verifier/ subfolder).") var output: String

        func run() throws {
            let verifier = URL(fileURLWithPath: output).appendingPathComponent("verifier")
            try FileManager.default.createDirectory(at: verifier, withIntermediateDirectories: true)
            for (file, text) in KernelSources.all {
                try (text + "\n").write(to: URL(fileURLWithPath: output).appendingPathComponent(file), atomically: true, encoding: .utf8)
            }
            for (file, source) in LibrarySources.all {
                try source.write(to: verifier.appendingPathComponent(file), atomically: true, encoding: .utf8)
            }
            print("wrote \(KernelSources.all.count) calibration kernels and \(LibrarySources.all.count) verifier templates to \(output)")
        }
    }

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Run the suite on a device (the default: `kernelcast calibrate --device D --machine M`).")
        @OptionGroup var machines: MachineOptions
        @OptionGroup var store: StoreOptions
        @Option(help: "Device: opencl:N, opencl:PLATFORM:DEVICE, or part of its name.") var device: String
        @Option(help: "The spec machine this device is (library name or machine file).") var machine: String
        @Flag(help: "Smaller sizes and fewer repeats (tests, smoke runs).") var quick = false
        @Option(help: "Comma-separated benchmarks to run (default: all): \(BenchmarkID.allCases.map(\.rawValue).joined(separator: ", ")).")
        var benchmarks: String?
        @Option(help: "table or json") var format: OutputFormat = .table
        @Option(name: .customLong("output-dir"), help: "Folder for results (a subfolder per machine).") var outputDirectory = "calibration/results"
        @Flag(help: "Print one line per benchmark on stderr even when it is not a terminal.") var progress = false

        func run() throws {
            let spec = try machines.machine(machine)
            let selected = try benchmarks.map { text throws(CalibrationError) in try BenchmarkID.parseList(text) } ?? BenchmarkID.allCases
            let storeFile = try store.open()
            let showProgress = format == .table && (progress || isatty(STDERR_FILENO) != 0)
            let printer = showProgress ? ProgressPrinter(terminal: isatty(STDERR_FILENO) != 0) : nil
            let report = try CalibrationRunner(store: storeFile).run(
                CalibrationRequest(device: device, machine: spec, quick: quick, benchmarks: selected), progress: printer)
            let written = try ResultFiles.write(report, directory: outputDirectory)
            switch format {
            case .json:
                print(report.json.rendered())
            case .table:
                print(Self.summary(report, written: written, store: storeFile.path))
            }
            if report.run.status == .failed {
                printError("error: run \(report.run.id) failed: \(report.run.failureReason ?? "unknown reason")")
                throw ExitCode(1)
            }
        }

        static func summary(_ report: CalibrationReport, written: ResultFiles.Written, store: String) -> String {
            var lines = [
                "run \(report.run.id): \(report.run.status.rawValue) in \(formatSignificant(report.duration.base, digits: 3)) s"
                    + " on \(report.device.id) \(report.device.name) (\(report.device.platformName) \(report.device.driverVersion))"
                    + (report.device.maxClock.map { ", max clock \($0)" } ?? ""),
                "",
            ]
            var table = [["BENCHMARK", "STATUS", "TIME", "RESULT"]]
            for outcome in report.outcomes {
                table.append([outcome.id.rawValue, outcome.status.rawValue,
                              "\(formatSignificant(outcome.duration.base, digits: 2)) s", outcome.message.firstLine])
            }
            lines.append(renderTable(table, rightAligned: [2]))
            lines.append("")
            var fields = [["FIELD", "SPEC", "MEASURED", "RATIO", "FROM"]]
            for fit in report.fits {
                let stated = MachineFields.current(fit.path, in: report.spec)
                let ratio = stated.map { $0.base > 0 ? "x" + formatSignificant(fit.value.base / $0.base, digits: 3) : "" } ?? ""
                fields.append([fit.path, stated?.text ?? "-", fit.value.text, ratio, fit.benchmark])
            }
            lines.append(renderTable(fields, rightAligned: [1, 2, 3]))
            lines.append("")
            // What a benchmark saw but did not fit, and why (a level without a footprint inside it, a launch figure
            // that is not the model's term on this device).
            let notes = report.outcomes.flatMap { outcome in outcome.notes.map { "note: \(outcome.id.rawValue): \($0)" } }
            if !notes.isEmpty {
                lines.append(contentsOf: notes)
                lines.append("")
            }
            if let file = written.machineFile { lines.append("wrote \(file)") }
            lines.append("wrote \(written.resultsFile)")
            lines.append("recorded in \(store)")
            return lines.joined(separator: "\n")
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import figures an external harness measured (docs/measurement-format.md) as a calibration run.")
        @OptionGroup var machines: MachineOptions
        @OptionGroup var store: StoreOptions
        @Argument(help: "A kernelcast-calibration-import JSON file.") var file: String
        @Option(help: "The spec machine (default: the file's `machine`).") var machine: String?
        @Option(help: "Apply the figures to this calibrated machine file instead of the spec machine.") var base: String?
        @Option(help: "table or json") var format: OutputFormat = .table
        @Option(name: .customLong("output-dir"), help: "Folder for results (a subfolder per machine).") var outputDirectory = "calibration/results"
        @Option(name: .customLong("skip"), help: "A field of the file to leave as the base states it, such as a peak a direct probe measured (repeatable).")
        var skippedFields: [String] = []

        func run() throws {
            var imported = try CalibrationImport.load(path: file)
            for field in skippedFields where !imported.measurements.contains(where: { $0.field == field }) {
                throw ValidationError("\(file): --skip \(field): the file measures no such field")
            }
            imported.measurements.removeAll { skippedFields.contains($0.field) }
            if let machine, machine != imported.machine {
                throw ValidationError("\(file): the file is for machine \"\(imported.machine)\" but --machine is \"\(machine)\"")
            }
            let spec = try machines.machine(machine ?? imported.machine)
            let baseMachine = try base.map { try machines.machine($0) }
            let storeFile = try store.open()
            let report = try CalibrationImporter(store: storeFile).run(imported, spec: spec, base: baseMachine)
            let written = try CalibrationImporter.write(report, directory: outputDirectory)
            switch format {
            case .json:
                print(report.json.rendered())
            case .table:
                var table = [["FIELD", "SPEC", "MEASURED", "RATIO"]]
                for fit in report.fits {
                    let stated = MachineFields.current(fit.path, in: spec)
                    let ratio = stated.map { $0.base > 0 ? "x" + formatSignificant(fit.value.base / $0.base, digits: 3) : "" } ?? ""
                    table.append([fit.path, stated?.text ?? "-", fit.value.text, ratio])
                }
                print("run \(report.run.id): \(report.run.status.rawValue), \(report.fits.count) field(s) from \(file) (\(imported.device))")
                print("")
                print(renderTable(table, rightAligned: [1, 2, 3]))
                for skipped in imported.skipped { print("skipped by the harness: \(skipped.field): \(skipped.reason)") }
                for field in skippedFields { print("skipped (--skip): \(field), kept as the base states it") }
                print("")
                if let machineFile = written.machineFile { print("wrote \(machineFile)") }
                print("wrote \(written.resultsFile)")
                print("recorded in \(storeFile.path)")
            }
            if report.run.status == .failed {
                printError("error: run \(report.run.id) failed: \(report.run.failureReason ?? "unknown reason")")
                throw ExitCode(1)
            }
        }
    }
}

extension CalibrateCommand {
    struct Refit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fit a stored suite run (<run-id>.json) again under today's rules, without the device.",
            discussion: "Writes <run-id>-refit.yaml and .json beside the other results; the store is not touched. The fields it prints are today's fits of the stored samples.")
        @OptionGroup var machines: MachineOptions
        @Argument(help: "A <run-id>.json written by `kernelcast calibrate`.") var file: String
        @Option(help: "The spec machine (default: the file's `machine`).") var machine: String?
        @Option(help: "table or json") var format: OutputFormat = .table
        @Option(name: .customLong("output-dir"), help: "Folder for results (a subfolder per machine).") var outputDirectory = "calibration/results"

        func run() throws {
            let text = try readFile(file)
            let stated: String
            do {
                stated = try machine ?? YAMLDocument(json: text, file: file).root.mapping().required("machine") { v throws(FormatError) in try v.nonEmptyString() }
            } catch let error as FormatError {
                printError(error.description)
                throw ExitCode(1)
            }
            let spec = try machines.machine(stated)
            let report: CalibrationRefit.Report
            do {
                report = try CalibrationRefit.refit(text, file: file, spec: spec)
            } catch {
                printError(error.description)
                throw ExitCode(1)
            }
            let written = try CalibrationRefit.write(report, directory: outputDirectory)
            switch format {
            case .json:
                print(report.json.rendered())
            case .table:
                var table = [["FIELD", "SPEC", "REFITTED", "RATIO", "FROM"]]
                for fit in report.fits {
                    let spec = MachineFields.current(fit.path, in: spec)
                    let ratio = spec.map { $0.base > 0 ? "x" + formatSignificant(fit.value.base / $0.base, digits: 3) : "" } ?? ""
                    table.append([fit.path, spec?.text ?? "-", fit.value.text, ratio, fit.benchmark])
                }
                print("run \(report.runID): \(report.failures.isEmpty ? "ok" : "failed"), \(report.fits.count) field(s) refitted from \(report.sourceRun)")
                print("")
                print(renderTable(table, rightAligned: [1, 2, 3]))
                for outcome in report.outcomes {
                    for note in outcome.notes { print("\(outcome.id.rawValue): \(note)") }
                }
                print("")
                if let machineFile = written.machineFile { print("wrote \(machineFile)") }
                print("wrote \(written.resultsFile)")
            }
            if !report.failures.isEmpty {
                printError("error: refit of \(report.sourceRun) failed: \(report.failures.joined(separator: "; "))")
                throw ExitCode(1)
            }
        }
    }
}

/// One line per benchmark on stderr; on a terminal the running benchmark shows until it finishes.
final class ProgressPrinter: CalibrationProgress {
    let terminal: Bool
    init(terminal: Bool) { self.terminal = terminal }

    func benchmarkStarted(_ id: BenchmarkID, index: Int, count: Int) {
        if terminal { FileHandle.standardError.write(Data("[\(index + 1)/\(count)] \(id.rawValue): \(id.title) ...".utf8)) }
    }

    func benchmarkFinished(_ outcome: BenchmarkOutcome, index: Int, count: Int) {
        let line = "[\(index + 1)/\(count)] \(outcome.id.rawValue) \(outcome.status.rawValue) "
            + "(\(formatSignificant(outcome.duration.base, digits: 2)) s): \(outcome.message.firstLine)"
        FileHandle.standardError.write(Data(((terminal ? "\r\u{1B}[K" : "") + line + "\n").utf8))
    }
}

extension String {
    var firstLine: String { split(separator: "\n", maxSplits: 1).first.map(String.init) ?? self }
}
