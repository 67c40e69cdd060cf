import ArgumentParser
import CostModel
import Foundation
import MachineModel
import Planner
import Refinement
import Service
import Workloads

struct PortCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "port",
        abstract: "Carry a measured machine's refinement to a datasheet-only machine; rank a space there and say what changes and why.",
        discussion: "docs/ports.md says how well a port predicts. The source's refinement is calibration/results/<from>/refinement.json unless --refinement names one.")
    @OptionGroup var machines: MachineOptions
    @Argument(help: "Candidate space (YAML or JSON).") var space: String
    @Option(help: "The measured machine.") var from: String
    @Option(help: "The machine known by its datasheet.") var to: String
    @Option(name: .customLong("refinement"), help: "The source's refinement file.") var refinementFile: String?
    @Option(parsing: .unconditional, help: "How much wider the ported bands are.") var widening = Port.defaultWidening
    @Option(parsing: .unconditional, help: "Candidates of each ranking to compare.") var top = 5
    @Option(help: "Write the ported refinement here (use it with --refinement on the target).") var output: String?
    @Option(help: "table or json") var format: OutputFormat = .table
    @Option(help: "Measurements of the target (kernelcast-measurements): score the port on their hold-out spaces.")
    var evaluate: String?

    func validate() throws {
        guard top >= 1 else { throw ValidationError("--top must be at least 1") }
        guard widening >= 1 else { throw ValidationError("--widening must be at least 1 (a port's bands are never narrower)") }
    }

    func run() throws {
        let candidateSpace = try loadSpace(space)
        let source = try machines.planningMachine(from)
        let target = try machines.planningMachine(to)
        let loaded = try loadRefinement(for: source, file: refinementFile, machines: machines)
        let sourceModel = loaded.map { PlanModel(machine: source, refinement: $0.0) } ?? PlanModel(machine: source)
        let ported = loaded.map { Port.carry($0.0, from: source, to: target, widening: widening) }
        let targetModel = PlanModel(machine: target, refinement: ported)
        if let output, let ported {
            do { try RefinementFile.render(ported).write(toFile: output, atomically: true, encoding: .utf8) } catch {
                throw ValidationError("cannot write \(output): \(error.localizedDescription)")
            }
        }
        if let evaluate {
            print(try evaluation(evaluate, target: target, ported: targetModel, refinement: loaded?.1))
            return
        }
        let report = Port.compare(candidateSpace, source: sourceModel, target: targetModel, top: top)
        switch format {
        case .json:
            print(portJSON(report, from: source.name, to: target.name, refinement: loaded?.1).rendered())
        case .table:
            var lines = ["port \(candidateSpace.name) from \(source.name) to \(target.name)"]
            if loaded != nil, let ported, ported.families.isEmpty && ported.machineFields.isEmpty {
                lines.append("\(ported.validation): both sides use the cost model's default terms")
            } else if let loaded, let ported {
                lines.append("carried from \(loaded.1): family terms of " + Family.allCases.filter { ported.families[$0]?.accepted == true }.map(\.rawValue).joined(separator: ", ")
                    + "; machine-field scales " + (ported.machineFields.isEmpty ? "none" : ported.machineFields.map { "\($0.path) x\(formatSignificant($0.scale, digits: 3))" }.joined(separator: ", "))
                    + "; bands x\(formatSignificant(widening, digits: 3)) wider")
            } else {
                lines.append("no refinement of \(source.name) found: both sides use the cost model's default terms (run kernelcast refine --machine \(source.name))")
            }
            lines.append("")
            // Each side as the model reads it: the source with its refinement's fitted fields, the target as stated
            // with the carried scales; the ratio is of these two numbers, not of the datasheets.
            lines.append("machine fields that differ (model inputs: \(source.name) as refined, \(target.name) as stated times the carried scales):")
            var diff = [["FIELD", source.name.uppercased(), target.name.uppercased(), "RATIO"]]
            for d in report.differences { diff.append([d.path, d.source, d.target, d.ratio.map { "x" + formatSignificant($0, digits: 3) } ?? "-"]) }
            lines.append(renderTable(diff, rightAligned: [3]))
            lines.append("")
            var rows = [["SCHEDULE", "RANK \(source.name)", "TIME", "BOUND", "RANK \(target.name)", "TIME", "BOUND"]]
            for r in report.rows {
                func rank(_ x: Int) -> String { x == Int.max ? "-" : "#\(x)" }
                rows.append([r.candidate.label, rank(r.sourceRank), r.source.time.description, r.source.bottleneck.name, rank(r.targetRank),
                             r.target.isFeasible ? r.target.time.description : "infeasible", r.target.isFeasible ? r.target.bottleneck.name : "-"])
            }
            lines.append(renderTable(rows, rightAligned: [1, 2, 4, 5]))
            lines.append("")
            lines += report.reasons
            print(fitted(lines.joined(separator: "\n")))
        }
    }

    /// How well the ported model predicts the target's own measurements, against the target's default model and,
    /// when it has one, its own refinement.
    func evaluation(_ file: String, target: Machine, ported: PlanModel, refinement: String?) throws -> String {
        let measurements: Measurements
        do { measurements = try MeasurementsFile.load(path: file) } catch {
            printError(error.description)
            throw ExitCode(1)
        }
        guard measurements.machine == target.name else {
            throw ValidationError("\(file) measured \(measurements.machine); a port to \(target.name) is scored on measurements of \(target.name)")
        }
        let observations = Observation.from(measurements, source: file)
        let hasSplit = observations.contains { $0.split == .holdout }
        let judged = hasSplit ? observations.filter { $0.split == .holdout } : observations
        var variants: [(String, PlanModel)] = [("\(target.name), default terms", PlanModel(machine: target)),
                                               ("\(target.name), ported from \(from)", ported)]
        if let own = try loadRefinement(for: target, file: nil, machines: machines), own.0.machine == target.name {
            variants.append(("\(target.name), its own refinement", PlanModel(machine: target, refinement: own.0)))
        }
        func pct(_ x: Double?) -> String { x.map { formatSignificant($0 * 100, digits: 3) + "%" } ?? "-" }
        var lines = ["port \(from) -> \(target.name), scored on \(judged.count) \(hasSplit ? "hold-out" : "") results of \(displayPath(file))"
                     + (refinement.map { "; carried: \($0)" } ?? "; no refinement of \(from): nothing carried")]
        for family in [nil] + Family.allCases.map(Optional.some) {
            let set = family.map { f in judged.filter { $0.family == f } } ?? judged
            guard !set.isEmpty else { continue }
            lines.append("")
            lines.append(family.map { "\($0.rawValue):" } ?? "all families:")
            var rows = [["MODEL", "MAPE", "MEAN |LN|", "SPEARMAN", "TOP-5 REGRET"]]
            for (name, model) in variants {
                let e = Refiner.summarize(set, model: model)
                rows.append([name, pct(e.mape), formatSignificant(e.meanLogError, digits: 3), e.spearman.map { String(format: "%.3f", $0) } ?? "-", pct(e.top5Regret)])
            }
            lines.append(renderTable(rows, rightAligned: [1, 2, 3, 4]))
        }
        return lines.joined(separator: "\n")
    }
}
