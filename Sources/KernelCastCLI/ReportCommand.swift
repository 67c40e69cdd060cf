import ArgumentParser
import CostModel
import Foundation
import Service
import MachineModel
import Orchestration
import Planner
import Report
import Store
import Verifier
import Workloads

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a self-contained HTML page: roofline with candidates, predicted against measured, regret curves.",
        discussion: """
            Measurements default to the kernelcast-measurements files under calibration/measurements/<machine>/, \
            measured ceilings to the kernelcast-calibration-import files there; loops come from --loop files (kernelcast \
            loop --output) and from the loop runs in the store. Without any loop, the hold-out GEMM spaces are \
            replayed (labelled as replays).
            """)
    @OptionGroup var machines: MachineOptions
    @OptionGroup var refinement: RefinementOptions
    @OptionGroup var storeOption: VerificationStoreOption
    @Option(help: "Machine name, machine file or OpenCL device (default h100-sxm).") var machine: String = "h100-sxm"
    @Option(name: .customLong("measurements"), help: "Measurement files; repeatable.") var measurementFiles: [String] = []
    @Option(name: .customLong("ceilings"), help: "Calibration-import files with measured peaks; repeatable.") var ceilingFiles: [String] = []
    @Option(name: .customLong("loop"), help: "Loop result files (kernelcast loop --output); repeatable.") var loopFiles: [String] = []
    @Flag(help: "Always add replay curves of the hold-out GEMM spaces.") var replay = false
    @Option(help: "The HTML file to write.") var output = "report.html"

    func run() throws {
        let target = try machines.planningMachine(machine, store: storeOption.path)
        let (model, refinementPath) = try refinement.model(for: target, machines: machines)
        let root = URL(fileURLWithPath: try machines.directory()).deletingLastPathComponent().path
        let folder = "\(root)/calibration/measurements/\(target.name)"
        func filesOfKind(_ kind: String) -> [String] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            return names.filter { $0.hasSuffix(".json") }.sorted().map { "\(folder)/\($0)" }.filter { path in
                (try? String(contentsOfFile: path, encoding: .utf8))?.contains("\"\(kind)\"") ?? false
            }
        }
        var sources: [String] = ["machine: \(machines.machineSource(machine, target))"]
        if let refinementPath { sources.append("refinement: \(refinementPath)") }

        // Measured ceilings.
        var measured: [String: Double] = [:]
        for file in ceilingFiles.isEmpty ? filesOfKind("kernelcast-calibration-import") : ceilingFiles {
            do {
                let document = try YAMLDocument(text: try readFile(file), file: file)
                for item in try document.root.mapping().required("measurements", { v throws(FormatError) in try v.sequence() }) {
                    let m = try item.mapping()
                    let field = try m.required("field") { v throws(FormatError) in try v.string() }
                    measured[field] = try m.required("value") { v throws(FormatError) in try v.double() }
                }
                sources.append("measured ceilings: \(displayPath(file))")
            } catch let error as FormatError {
                printError(error.description)
                throw ExitCode(1)
            }
        }

        // Candidates.
        var points: [ReportData.Point] = []
        var replayable: [MeasuredSpace] = []
        for file in measurementFiles.isEmpty ? filesOfKind("kernelcast-measurements") : measurementFiles {
            do {
                let m = try MeasurementsFile.load(path: file)
                points += ReportData.points(m, model: model)
                replayable += m.spaces.filter { $0.family == .gemm && $0.split == .holdout }
                sources.append("measurements: \(displayPath(file)) (\(m.device ?? m.machine))")
            } catch {
                printError(error.description)
                throw ExitCode(1)
            }
        }

        // Verifications in the store (loops, verify of spaces and plans) are candidates too.
        let storePathForPoints = Store.resolvePath(option: storeOption.path)
        if FileManager.default.fileExists(atPath: storePathForPoints), let store = try? storeOption.open(),
           let loaded = try? StoredObservations.load(store, machine: target.name), !loaded.observations.isEmpty {
            for o in loaded.observations {
                let p = model.predict(o.candidate)
                guard p.isFeasible else { continue }
                points.append(ReportData.Point(label: "\(o.shape) \(o.candidate.label)", family: o.family, flops: p.flops,
                                               dramBytes: p.traffic.dram, predicted: p.time.base, measured: o.measured, split: nil))
            }
            sources.append("verifications: \(loaded.observations.count) from the store \(storePathForPoints) (\(loaded.spaces.joined(separator: ", ")))")
        }

        // Loops: files, then the store's loop runs.
        var curves: [ReportData.Curve] = []
        for file in loopFiles {
            curves.append(try loopCurve(file))
            sources.append("loop: \(displayPath(file))")
        }
        let storePath = Store.resolvePath(option: storeOption.path)
        if loopFiles.isEmpty, FileManager.default.fileExists(atPath: storePath), let store = try? storeOption.open(),
           let records = try? store.records(machine: target.name) {
            var batches: [String: [VerificationRecord]] = [:]
            for record in records where record.batch.hasPrefix("loop-") { batches[record.batch, default: []].append(record) }
            for (batch, list) in batches.sorted(by: { $0.key < $1.key }) {
                var best: Double?
                var bests: [Double?] = []
                for r in list.sorted(by: { ($0.id ?? 0) < ($1.id ?? 0) }) {
                    if r.verdict == .pass, let m = r.median { best = min(best ?? m, m) }
                    bests.append(best)
                }
                guard let final = best else { continue }
                let name = list.first.map { String($0.candidateID.split(separator: "#").first ?? "") } ?? batch
                curves.append(ReportData.Curve(name: "\(name) on \(list.first?.device.name ?? "?")", kind: "loop",
                                               regret: bests.map { $0.map { $0 / final - 1 } }, reference: "the best this loop found"))
            }
            if !batches.isEmpty { sources.append("loops: \(batches.count) loop run(s) in the store \(storePath)") }
        }
        if curves.isEmpty || replay {
            for space in replayable {
                guard let r = Replay.run(space, model: model, budget: 5) else { continue }
                curves.append(ReportData.Curve(name: r.space, kind: "replay", regret: r.regretCurve,
                                               reference: "the exhaustive best the harness measured"))
            }
            if !replayable.isEmpty { sources.append("replays: the loop against the recorded hold-out GEMM measurements (no hardware ran)") }
        }

        let data = ReportData(
            title: "KernelCast report: \(target.name)", machine: model.machine,
            ceilings: ReportData.ceilings(of: model.machine, measured: measured), points: points, curves: curves, sources: sources)
        do {
            try ReportPage.html(data).write(toFile: output, atomically: true, encoding: .utf8)
        } catch {
            throw ValidationError("cannot write \(output): \(error.localizedDescription)")
        }
        print("wrote \(output): roofline with \(data.ceilings.count) ceilings and \(points.count) candidates, "
            + "\(points.filter { $0.measured != nil }.count) measured; \(curves.count) regret curve(s)")
    }

    /// A loop file's regret curve: against the exhaustive best it records, or the best it found.
    func loopCurve(_ file: String) throws -> ReportData.Curve {
        do {
            let document = try YAMLDocument(text: try readFile(file), file: file)
            let top = try document.root.mapping()
            let space = try top.required("space") { v throws(FormatError) in try v.string() }
            let device = try top.optional("device") { v throws(FormatError) in try v.string() } ?? "?"
            let exhaustive = try top.optional("exhaustive_best_s") { v throws(FormatError) in try v.double() }
            let bests: [Double?] = try top.required("steps") { v throws(FormatError) in
                try v.sequence().map { item throws(FormatError) -> Double? in
                    try item.mapping().optional("best_so_far_s") { v throws(FormatError) in try v.double() }
                }
            }
            guard let reference = exhaustive ?? bests.compactMap({ $0 }).min() else {
                throw ValidationError("\(file): the loop measured nothing")
            }
            return ReportData.Curve(name: "\(space) on \(device)", kind: "loop", regret: bests.map { $0.map { $0 / reference - 1 } },
                                    reference: exhaustive != nil ? "the exhaustive best" : "the best this loop found")
        } catch let error as FormatError {
            printError(error.description)
            throw ExitCode(1)
        }
    }
}

extension MachineOptions {
    /// Where a machine came from, for a report's sources.
    func machineSource(_ name: String, _ machine: Machine) -> String {
        if name.hasPrefix("opencl:") { return "\(machine.name), the model of device \(name) (its calibration in the store, or its draft with fallback figures)" }
        return name.hasSuffix(".yaml") || name.contains("/") ? displayPath(name) : "machines/\(machine.name).yaml"
    }
}
