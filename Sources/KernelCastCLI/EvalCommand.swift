import ArgumentParser
import CostModel
import Foundation
import MachineModel
import Refinement
import Workloads

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score the cost model on measured spaces: rank correlation, regret, error, infeasibility.")
    @OptionGroup var machines: MachineOptions
    @Argument(help: "Measurement files (kernelcast-measurements JSON).") var files: [String]
    @Option(help: "Machine name or path to a machine file.") var machine: String
    @Option(help: "holdout, tune or all") var split: SplitChoice = .holdout
    @Option(help: "table or json") var format: OutputFormat = .table
    @Flag(name: .customLong("compiler-facts"), help: "Feed the compiler's registers, spills and shared memory to the model.")
    var compilerFacts = false
    @Flag(help: "Also list every result: measured and predicted time, bottleneck.") var results = false
    @Option(name: .customLong("refinement"), help: "Score the model with this refinement (kernelcast refine); by default, the model's own terms.")
    var refinementFile: String?

    enum SplitChoice: String, ExpressibleByArgument, CaseIterable { case holdout, tune, all }

    func run() throws {
        var spaces: [MeasuredSpace] = []
        for file in files {
            do {
                spaces += try MeasurementsFile.load(path: file).spaces
            } catch {
                printError(error.description)
                throw ExitCode(1)
            }
        }
        let target = try machines.machine(machine)
        // Without --refinement the model's default terms are scored, as every figure in docs/accuracy.md is.
        var refined = PlanModel(machine: target)
        if let refinementFile {
            refined = try KernelCastCLI.planModel(for: target, refinement: try loadRefinement(for: target, file: refinementFile, machines: machines)).0
        }
        let model = refined.model(for: Family.gemm)
        let chosen = spaces.filter { split == .all || $0.split.rawValue == split.rawValue }
        guard !chosen.isEmpty else { throw ValidationError("no \(split.rawValue) spaces in \(files.joined(separator: ", "))") }
        let scores = chosen.map { Evaluation.score($0, model: refined.model(for: $0.family), useCompilerFacts: compilerFacts) }
        let groups: [(String, [SpaceScore])] = split == .all
            ? [("tune", scores.filter { $0.split == .tune }), ("holdout", scores.filter { $0.split == .holdout }), ("all", scores)]
            : [(split.rawValue, scores)]
        if results && format == .table { print(resultTable(chosen, model: refined)) }
        switch format {
        case .table: print(fitted(table(scores, groups: groups, model: model)))
        case .json: print(json(scores, groups: groups, model: model).rendered())
        }
    }

    func resultTable(_ spaces: [MeasuredSpace], model planModel: PlanModel) -> String {
        var rows = [["SPACE", "SCHEDULE", "STATUS", "MEASURED", "PREDICTED", "RATIO", "BOUND", "REGS", "SMEM"]]
        for space in spaces {
            for r in space.results {
                let p = planModel.predict(compilerFacts ? r.candidate : r.candidate.with(compiler: .none))
                let ratio = r.median.map { p.isFeasible ? formatSignificant(p.time.base / $0.base, digits: 3) : "-" } ?? "-"
                let facts = r.candidate.compiler
                rows.append([
                    space.name, r.candidate.label, r.status.rawValue, r.median?.description ?? "-",
                    p.isFeasible ? p.time.description : "infeasible", ratio,
                    p.isFeasible ? p.bottleneck.name : (p.infeasibility?.category ?? ""),
                    "\(p.registersPerThread)/\(facts.registersPerThread.map(String.init) ?? "-")",
                    "\(p.sharedBytes)/\(facts.sharedBytes.map(String.init) ?? "-")",
                ])
            }
        }
        return renderTable(rows, rightAligned: [3, 4, 5]) + "\n"
    }

    func table(_ scores: [SpaceScore], groups: [(String, [SpaceScore])], model: CostModel) -> String {
        func pct(_ x: Double?) -> String { x.map { formatSignificant($0 * 100, digits: 3) + "%" } ?? "-" }
        func rho(_ x: Double?) -> String { x.map { String(format: "%.3f", $0) } ?? "-" }
        var rows = [["SPACE", "FAMILY", "SPLIT", "TIMED", "SPEARMAN", "TOP-1", "TOP-5", "MAPE", "PAIRS", "OOR FLAGGED", "FALSE INF"]]
        for s in scores {
            rows.append([s.name, s.family.rawValue, s.split.rawValue, "\(s.timed)/\(s.results)", rho(s.spearman),
                         pct(s.top1Regret), pct(s.top5Regret), pct(s.mape),
                         s.distinguishablePairs == 0 ? "-" : "\(s.concordantPairs)/\(s.distinguishablePairs)",
                         "\(s.flagged)/\(s.outOfResources)",
                         "\(s.falselyInfeasible)"])
        }
        var lines = [renderTable(rows, rightAligned: [3, 4, 5, 6, 7, 8, 9, 10]), ""]
        for (name, group) in groups where !group.isEmpty {
            let summary = EvaluationSummary(group)
            lines.append("\(name) (\(summary.spaces) spaces): mean Spearman \(rho(summary.meanSpearman)), "
                + "mean top-1 regret \(pct(summary.meanTop1Regret)), mean top-5 regret \(pct(summary.meanTop5Regret)), "
                + "MAPE \(pct(summary.mape)), out_of_resources flagged \(summary.flagged)/\(summary.outOfResources), "
                + "falsely infeasible \(summary.falselyInfeasible); pairs told apart by the measurement ordered right "
                + "\(pct(summary.pairAccuracy))")
            for family in Family.allCases {
                let members = group.filter { $0.family == family }
                guard !members.isEmpty else { continue }
                let s = EvaluationSummary(members)
                lines.append("  \(family.rawValue) (\(s.spaces)): Spearman \(rho(s.meanSpearman)), top-1 \(pct(s.meanTop1Regret)), "
                    + "top-5 \(pct(s.meanTop5Regret)), MAPE \(pct(s.mape)), pairs \(pct(s.pairAccuracy))")
            }
        }
        lines.append(fieldsLine(model) + (compilerFacts ? "; compiler facts used" : "; compiler facts not used"))
        return lines.joined(separator: "\n")
    }

    func json(_ scores: [SpaceScore], groups: [(String, [SpaceScore])], model: CostModel) -> JSONValue {
        func num(_ x: Double?) -> JSONValue { x.map(JSONValue.number) ?? .null }
        return .object([
            ("machine", .string(model.machine.name)), ("split", .string(split.rawValue)),
            ("compiler_facts", .bool(compilerFacts)),
            ("spaces", .array(scores.map { s in
                .object([("name", .string(s.name)), ("family", .string(s.family.rawValue)), ("split", .string(s.split.rawValue)),
                         ("results", .int(s.results)), ("timed", .int(s.timed)), ("spearman", num(s.spearman)),
                         ("top1_regret", num(s.top1Regret)), ("top5_regret", num(s.top5Regret)), ("mape", num(s.mape)),
                         ("out_of_resources", .int(s.outOfResources)), ("flagged_infeasible", .int(s.flagged)),
                         ("falsely_infeasible", .int(s.falselyInfeasible)),
                         ("distinguishable_pairs", .int(s.distinguishablePairs)), ("concordant_pairs", .int(s.concordantPairs))])
            })),
            ("summary", .object(groups.filter { !$0.1.isEmpty }.map { name, group in
                let s = EvaluationSummary(group)
                return (name, .object([("spaces", .int(s.spaces)), ("mean_spearman", num(s.meanSpearman)),
                                       ("mean_top1_regret", num(s.meanTop1Regret)), ("mean_top5_regret", num(s.meanTop5Regret)),
                                       ("mape", num(s.mape)), ("out_of_resources", .int(s.outOfResources)),
                                       ("flagged_infeasible", .int(s.flagged)), ("falsely_infeasible", .int(s.falselyInfeasible)),
                                       ("pair_accuracy", num(s.pairAccuracy))]))
            })),
        ])
    }
}
