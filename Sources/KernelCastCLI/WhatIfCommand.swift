import ArgumentParser
import CostModel
import Foundation
import MachineModel
import Planner
import Refinement
import Service
import Workloads

struct WhatIfCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "whatif",
        abstract: "Change machine fields and see how the predicted best of a space, its time and its bottleneck move.",
        discussion: """
            --set takes PATH=VALUE: a machine field (memory.l2.bandwidth, compute.unit_count, \
            compute.peak.matrix.fp16, occupancy.shared_memory_per_unit, launch_overhead) or a short form (l2.bandwidth, \
            hbm.latency, units, clock, peak.matrix.fp16, shared_memory_per_unit); VALUE is xF (a multiple) or a \
            quantity as machine files write it (4.8 TB/s, 160, 2 us).
            """)
    @OptionGroup var machines: MachineOptions
    @OptionGroup var refinement: RefinementOptions
    @Argument(help: "Candidate space (YAML or JSON).") var space: String
    @Option(help: "Machine name, machine file, or an OpenCL device (opencl:0) for its calibrated or fallback model.") var machine: String
    @Option(name: .customLong("set"), help: "PATH=VALUE, repeatable.") var edits: [String] = []
    @Option(help: "table or json") var format: OutputFormat = .table

    func validate() throws {
        guard !edits.isEmpty else { throw ValidationError("give at least one --set PATH=VALUE, e.g. --set l2.bandwidth=x2") }
    }

    func run() throws {
        let candidateSpace = try loadSpace(space)
        let target = try machines.planningMachine(machine)
        let (model, _) = try refinement.model(for: target, machines: machines)
        let comparison: WhatIf.Comparison
        do {
            comparison = try WhatIf.compare(candidateSpace, model: model, edits: try edits.map { text throws(RefinementError) in try MachineEdit(parsing: text) })
        } catch {
            throw ValidationError(error.description)
        }
        switch format {
        case .table: print(fitted(renderWhatIf(comparison, space: candidateSpace, machine: target.name)))
        case .json: print(whatIfJSON(comparison, space: candidateSpace, machine: target.name).rendered())
        }
    }
}

func renderWhatIf(_ c: WhatIf.Comparison, space: CandidateSpace, machine: String) -> String {
    var lines = ["what-if \(space.name) on \(machine):"]
    for change in c.changes { lines.append("  \(change.edit.path): \(change.before) -> \(change.after)") }
    lines.append("")
    var rows = [["", "BEST", "TIME", "BOUND", "FEASIBLE"]]
    func row(_ name: String, _ b: SpaceBest?) {
        guard let b else { rows.append([name, "nothing feasible", "-", "-", "0"]); return }
        rows.append([name, b.candidate.label, b.prediction.time.description, b.prediction.bottleneck.name, "\(b.feasible)"])
    }
    row("as is", c.baseline)
    row("what-if", c.variant)
    lines.append(renderTable(rows, rightAligned: [2, 4]))
    if let a = c.baseline, let b = c.variant {
        lines.append("")
        let change = b.prediction.time.base / a.prediction.time.base - 1
        lines.append("best time: \(a.prediction.time) -> \(b.prediction.time) (\(change >= 0 ? "+" : "")\(formatSignificant(change * 100, digits: 3))%)")
        lines.append(a.index == b.index ? "best schedule: unchanged (\(a.candidate.label))"
            : "best schedule: \(a.candidate.label) -> \(b.candidate.label)"
                + (c.baselineOnVariant.map { "; the old best would take \($0.time) there" } ?? ""))
        lines.append("bottleneck: \(WhatIf.shift(a.prediction, b.prediction))")
        lines.append("  as is:   \(a.explanation)")
        lines.append("  what-if: \(b.explanation)")
        lines.append("  alone, as is:   " + resourceLine(a.prediction))
        lines.append("  alone, what-if: " + resourceLine(b.prediction))
    }
    return lines.joined(separator: "\n")
}

/// The resources that take any time, longest first.
func resourceLine(_ p: Prediction) -> String {
    Resource.allCases.map { ($0, p.resources[$0]) }.filter { $0.1.base > 0 }.sorted { $0.1 > $1.1 }
        .map { "\($0.0.name) \($0.1)" }.joined(separator: ", ")
}

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "The predicted best of a space on several machines: schedule, time, bottleneck.",
        discussion: """
        Machines are compared alike: their refinements (calibration/results/<machine>/refinement.json) are used \
        when every machine has one, and a latency, launch overhead, sustained matrix rate or block dispatch interval \
        that one machine does not state is left to the model's default on all of them; --as-stated keeps each machine's own, --no-refinement uses none. Each machine's line says which of its figures are measured, derived or model defaults.
        """)
    @OptionGroup var machines: MachineOptions
    @Argument(help: "Candidate space (YAML or JSON).") var space: String
    @Option(name: .customLong("machines"), help: "Comma-separated machine names or files.") var names: String
    @Option(help: "table or json") var format: OutputFormat = .table
    @Flag(name: .customLong("no-refinement"), help: "Every machine on the cost model's default terms, none refined.")
    var noRefinement = false
    @Flag(name: .customLong("as-stated"), help: "Each machine with its own figures, even those the others do not state.")
    var asStated = false

    func run() throws {
        let candidateSpace = try loadSpace(space)
        let list = names.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        guard !list.isEmpty else { throw ValidationError("--machines needs at least one machine") }
        var results: [(String, SpaceBest?, String)] = []
        var figures: [String] = []
        let stated = try list.map { name throws in try machines.planningMachine(name) }
        var (targets, aligned) = asStated ? (stated, []) : WhatIf.alike(stated)
        var refinements = try targets.map { target throws in noRefinement ? nil : try loadRefinement(for: target, file: nil, machines: machines) }
        // Rule: a refinement fitted to one machine's measurements is not set against another's datasheet.
        if !asStated, refinements.contains(where: { $0 == nil }), refinements.contains(where: { $0 != nil }) {
            refinements = refinements.map { _ in nil }
            aligned.append("refinements (not every machine has one)")
        }
        for (target, refinement) in zip(targets, refinements) {
            let (model, _) = try planModel(for: target, refinement: refinement)
            results.append((target.name, WhatIf.best(candidateSpace, model: model), refinement == nil ? "default terms" : "refined"))
            figures.append("  \(target.name) \(fieldsLine(model.model(for: candidateSpace.family)))")
        }
        switch format {
        case .json:
            print(compareJSON(space: candidateSpace, results: results.map { (machine: $0.0, best: $0.1, model: $0.2) }).rendered())
        case .table:
            var lines = ["\(candidateSpace.name) across \(results.count) machines:"]
            let reference = results.first?.1?.prediction.time.base
            var rows = [["MACHINE", "MODEL", "BEST", "TIME", "VS FIRST", "BOUND", "FEASIBLE"]]
            for (name, best, model) in results {
                guard let best else { rows.append([name, model, "nothing feasible", "-", "-", "-", "0"]); continue }
                let ratio = reference.map { "x" + formatSignificant($0 / best.prediction.time.base, digits: 3) } ?? "-"
                rows.append([name, model, best.candidate.label, best.prediction.time.description, ratio, best.prediction.bottleneck.name, "\(best.feasible)"])
            }
            lines.append(renderTable(rows, rightAligned: [3, 4, 6]))
            for (name, best, _) in results { if let best { lines.append("  \(name): \(best.explanation)") } }
            lines += figures
            if !aligned.isEmpty {
                lines.append("alike: \(aligned.joined(separator: ", ")) left to the model's defaults on every machine, since not "
                    + "every machine states them (--as-stated keeps each machine's own)")
            }
            lines.append("(VS FIRST: speed relative to \(results.first?.0 ?? "-"); above x1 is faster)")
            print(fitted(lines.joined(separator: "\n")))
        }
    }
}
