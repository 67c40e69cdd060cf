import ArgumentParser
import CostModel
import Foundation
import MachineModel
import Planner
import Refinement
import Workloads

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Prune a candidate space and choose which K candidates to verify, with the reason for each.")
    @OptionGroup var machines: MachineOptions
    @OptionGroup var refinement: RefinementOptions
    @OptionGroup var search: SearchOptions
    @Argument(help: "Candidate space (YAML or JSON, docs/candidate-format.md).") var space: String
    @Option(help: "Machine name, machine file, or an OpenCL device (opencl:0) for its calibrated or fallback model.") var machine: String
    @Option(parsing: .unconditional, help: "How many candidates to choose for the verifier.") var budget = 5
    @Option(help: "table or json") var format: OutputFormat = .table
    @Option(help: "Also write the plan as JSON to this file.") var output: String?
    @Option(parsing: .unconditional, help: "Rows of the predicted ranking to show.") var top = 10

    func validate() throws {
        guard budget >= 1 else { throw ValidationError("--budget must be at least 1") }
        guard top >= 1 else { throw ValidationError("--top must be at least 1") }
    }

    func run() throws {
        let candidateSpace = try loadSpace(space)
        let target = try machines.planningMachine(machine)
        let (model, refinementPath) = try refinement.model(for: target, machines: machines)
        let scored = search.score(candidateSpace, model: model)
        let plan = Plan.make(scored, model: model, budget: budget, topCount: top)
        let json = plan.json(model: model)
        if let output {
            do {
                try (json.rendered() + "\n").write(toFile: output, atomically: true, encoding: .utf8)
            } catch {
                throw ValidationError("cannot write \(output): \(error.localizedDescription)")
            }
        }
        switch format {
        case .table: print(fitted(renderPlan(plan, model: model, refinement: refinementPath)))
        case .json: print(json.rendered())
        }
    }
}

/// The plan for people: what was enumerated and dropped, what pruning ruled out, the picks with their reasons,
/// and the ranking.
func renderPlan(_ plan: Plan, model: PlanModel, refinement: String?, showTop: Bool = true) -> String {
    let scored = plan.scored
    let space = scored.space
    var lines: [String] = []
    let problem = space.problemFields.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    lines.append("plan \(space.name) on \(plan.machine): \(space.family.rawValue) \(problem)")
    var searched = "\(grouped(space.count)) candidates, \(scored.strategy) search"
    if scored.visited < space.count { searched += " scored \(grouped(scored.visited))" }
    lines.append("\(searched): \(grouped(scored.feasibleCount)) feasible, \(grouped(scored.infeasibleCount)) infeasible")
    for group in scored.infeasible {
        lines.append("  infeasible \(grouped(group.count)): \(group.category) (e.g. \(group.example))")
    }
    for group in scored.skipped { lines.append("  not scored \(grouped(group.count)): \(group.reason)") }
    lines.append("model: \(refinement.map { "refinement \($0)" } ?? "default terms, no refinement"); band: \(plan.intervals.band.source)")
    if plan.anchor.count > 0 {
        lines.append("scale: measured/predicted x\(formatSignificant(exp(plan.anchor.offset), digits: 3)) from \(plan.anchor.count) measurement(s)")
    }
    guard plan.threshold.isFinite else {
        lines.append("nothing feasible to plan")
        return lines.joined(separator: "\n")
    }
    let by = plan.thresholdIndex.map { space.candidate(at: $0).label } ?? "-"
    lines.append("pruning: \(grouped(plan.ruledOut)) ruled out (optimistic bound above \(Seconds(base: plan.threshold)), the "
        + "pessimistic bound of \(by)\(plan.thresholdMeasured ? ", measured" : "")); \(grouped(plan.inDoubt)) in doubt"
        + (plan.measuredCount > 0 ? "; \(plan.measuredCount) measured" : "")
        + (plan.rejectedCount > 0 ? "; \(plan.rejectedCount) rejected" : ""))
    lines.append("")
    if plan.picks.isEmpty {
        lines.append("budget \(plan.budget): nothing left in doubt to verify")
    } else {
        lines.append("budget \(plan.budget): \(plan.picks.count) pick(s)" + (plan.picks.count < plan.budget ? " (only \(plan.inDoubt) in doubt)" : ""))
        var rows = [["PICK", "SCHEDULE", "PREDICTED", "INTERVAL", "BOUND", "REASON"]]
        for (n, p) in plan.picks.enumerated() {
            rows.append(["\(n + 1)", p.candidate.label, Seconds(base: p.time).description,
                         "\(Seconds(base: p.optimistic)) to \(Seconds(base: p.pessimistic))", p.prediction.bottleneck.name,
                         p.reason.rawValue])
        }
        lines.append(renderTable(rows, rightAligned: [0, 2]))
        for (n, p) in plan.picks.enumerated() {
            lines.append("  \(n + 1). \(p.words)")
            lines.append("     \(p.explanation)")
        }
    }
    if showTop {
        lines.append("")
        lines.append("top \(plan.top.count) predicted:")
        var rows = [["RANK", "SCHEDULE", "PREDICTED", "INTERVAL", "BOUND", "MEASURED", "STATUS"]]
        for (n, r) in plan.top.enumerated() {
            let status = r.measured != nil ? "measured" : plan.picks.contains { $0.index == r.index } ? "picked" : r.ruledOut ? "ruled out" : "in doubt"
            rows.append(["\(n + 1)", r.candidate.label, Seconds(base: r.time).description,
                         "\(Seconds(base: r.optimistic)) to \(Seconds(base: r.pessimistic))", r.bottleneck.name,
                         r.measured.map { Seconds(base: $0).description } ?? "-", status])
        }
        lines.append(renderTable(rows, rightAligned: [0, 2, 5]))
    }
    return lines.joined(separator: "\n")
}
