import ArgumentParser
import CostModel
import Foundation
import MachineModel
import Orchestration
import Refinement
import Service
import Store
import Verifier
import Workloads

struct RefineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refine",
        abstract: "Fit bounded efficiency terms and machine fields to measurements; validate on held-out shapes.",
        discussion: """
            Measurements come from harness files (--measurements) and from verifications in the store. Without \
            either, the measurement files under calibration/measurements/<machine>/ are used. The refinement is \
            written to calibration/results/<machine>/refinement.json, where predict, plan and loop find it.
            """)
    @OptionGroup var machines: MachineOptions
    @OptionGroup var storeOption: VerificationStoreOption
    @Option(help: "Machine name, machine file, or an OpenCL device (opencl:0) for its calibrated or fallback model.") var machine: String
    @Flag(name: .customLong("no-store"), help: "Leave the store's verifications out.") var noStore = false
    @Option(name: .customLong("measurements"), help: "Measurement files (kernelcast-measurements JSON); repeatable.")
    var measurementFiles: [String] = []
    @Option(help: "Where to write the refinement (default: calibration/results/<machine>/refinement.json).") var output: String?
    @Flag(name: .customLong("dry-run"), help: "Report only; write nothing.") var dryRun = false
    @Option(help: "table or json") var format: OutputFormat = .table
    @Option(parsing: .unconditional, help: "Share of held-out results the bands should cover.") var coverage = 0.9

    func validate() throws {
        guard coverage > 0.5 && coverage < 1 else { throw ValidationError("--coverage must be between 0.5 and 1, e.g. 0.9") }
    }

    func run() throws {
        let target = try machines.planningMachine(machine, store: storeOption.path)
        let root = URL(fileURLWithPath: try machines.directory()).deletingLastPathComponent().path
        let storePath = noStore ? nil : Store.resolvePath(option: storeOption.path)
        let inputs: RefinementInputs
        do {
            inputs = try RefinementInputs.gather(machine: target, root: root, storePath: storePath, files: measurementFiles)
        } catch let error as CustomStringConvertible {
            printError(error.description)
            throw ExitCode(1)
        }
        for note in inputs.notes { printError("note: \(note)") }
        let observations = inputs.observations
        let sources = inputs.sources
        guard !observations.isEmpty else {
            throw ValidationError("no measurements of \(target.name): pass --measurements FILE, or verify candidates first (kernelcast loop)")
        }
        var options = Refiner.Options()
        options.coverage = coverage
        let line = ProgressLine("refine")
        options.progress = { stage in line.say(stage) }
        let refinement: Refinement
        do {
            refinement = try Refiner.refine(machine: target, observations: observations, sources: sources,
                                            created: isoNow(), options: options)
        } catch {
            printError(error.description)
            throw ExitCode(1)
        }
        let path = output ?? "\(root)/\(RefinementFile.defaultPath(machine: target.name))"
        if !dryRun {
            do {
                try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path,
                                                        withIntermediateDirectories: true)
                try RefinementFile.render(refinement).write(toFile: path, atomically: true, encoding: .utf8)
            } catch {
                throw ValidationError("cannot write \(path): \(error.localizedDescription)")
            }
        }
        switch format {
        case .json: print(RefinementFile.render(refinement), terminator: "")
        case .table: print(fitted(renderRefinement(refinement, observations: observations.count, written: dryRun ? nil : displayPath(path))))
        }
    }
}

/// Error before and after by family, the machine fields and terms fitted.
func renderRefinement(_ r: Refinement, observations: Int, written: String?) -> String {
    func pct(_ x: Double?) -> String { x.map { formatSignificant($0 * 100, digits: 3) + "%" } ?? "-" }
    func rho(_ x: Double?) -> String { x.map { String(format: "%.3f", $0) } ?? "-" }
    var lines = ["refine \(r.machine): \(observations) timed results from \(r.sources.joined(separator: ", "))"]
    lines.append("validation: \(r.validation)")
    lines.append("")
    lines.append("held-out error before -> after:")
    var rows = [["FAMILY", "TERMS", "RESULTS", "SHAPES", "MAPE", "MEAN |LN|", "SPEARMAN", "TOP-5 REGRET"]]
    for family in Family.allCases {
        guard let f = r.families[family] else { continue }
        guard let b = f.before, let a = f.after else {
            rows.append([family.rawValue, f.accepted ? "kept" : "not kept", "0", "0", "-", "-", "-", "-"])
            continue
        }
        rows.append([family.rawValue, f.accepted ? "kept" : "not kept", "\(b.count)", "\(b.shapes)",
                     "\(pct(b.mape)) -> \(pct(a.mape))", "\(formatSignificant(b.meanLogError, digits: 3)) -> \(formatSignificant(a.meanLogError, digits: 3))",
                     "\(rho(b.spearman)) -> \(rho(a.spearman))", "\(pct(b.top5Regret)) -> \(pct(a.top5Regret))"])
    }
    lines.append(renderTable(rows, rightAligned: [2, 3]))
    lines.append("")
    if r.machineFields.isEmpty {
        lines.append("machine fields: none kept")
    } else {
        lines.append("machine fields (used as measured):")
        var f = [["FIELD", "WAS", "NOW", "SCALE"]]
        for field in r.machineFields {
            let now: String
            switch field.unit {
            case "B/s": now = BytesPerSecond(base: field.value).description
            case "s": now = Seconds(base: field.value).description
            default: now = formatSignificant(field.value)
            }
            f.append([field.path, field.previous, now, "x" + formatSignificant(field.scale, digits: 3)])
        }
        lines.append(renderTable(f))
    }
    for family in Family.allCases {
        guard let f = r.families[family] else { continue }
        lines.append("")
        lines.append("\(family.rawValue): \(f.note)")
        if f.accepted && !f.terms.isEmpty {
            let defaults = Parameters.default
            lines.append("  terms: " + f.terms.sorted { $0.key < $1.key }.map { name, value in
                let was = ParameterTerm.named(name).map { defaults[keyPath: $0.keyPath] } ?? .nan
                return "\(name) \(formatSignificant(was, digits: 3)) -> \(formatSignificant(value, digits: 3))"
            }.joined(separator: ", "))
        }
        let band = f.bands.total
        lines.append("  band: x\(formatSignificant(exp(band.below), digits: 3)) to x\(formatSignificant(exp(band.above), digits: 3)) "
            + "(\(Int(band.coverage * 100))%, \(band.source)); within a space x\(formatSignificant(exp(f.bands.withinSpace.below), digits: 3)) "
            + "to x\(formatSignificant(exp(f.bands.withinSpace.above), digits: 3))")
    }
    if let written { lines.append(""); lines.append("wrote \(written)") }
    return lines.joined(separator: "\n")
}
