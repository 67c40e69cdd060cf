import ArgumentParser
import CostModel
import Foundation
import MachineModel
import Planner
import Service
import Workloads

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict every candidate of a space on a machine; rank them and explain the best.")
    @OptionGroup var machines: MachineOptions
    @OptionGroup var refinement: RefinementOptions
    @Argument(help: "Candidate file (YAML or JSON, docs/candidate-format.md).") var file: String
    @Option(help: "Machine name or path to a machine file.") var machine: String
    @Option(help: "table or json") var format: OutputFormat = .table
    @Option(parsing: .unconditional, help: "How many of the fastest candidates to list.") var top = 10
    @Option(help: ArgumentHelp("Compiler facts for every candidate, replacing the file's: the compiler: mapping kernelcast verify prints for a CUDA kernel.",
                               valueName: "{toolchain: cuda, registers_per_thread: R, shared_bytes: B, spills: S}"))
    var compiler: String?

    func validate() throws {
        guard top > 0 else { throw ValidationError("--top must be at least 1") }
    }

    func run() throws {
        var space: CandidateSpace
        do {
            space = try CandidateFile.load(path: file)
            if let compiler {
                let document = try YAMLDocument(text: compiler, file: "--compiler")
                space = space.with(compiler: try FamilyReader.compilerFacts(document.root))
            }
        } catch {
            printError(error.description)
            throw ExitCode(1)
        }
        // Rule: predict scores every candidate; past the size plan still scores exhaustively, it samples instead.
        guard space.count <= Scorer.exhaustiveLimit else {
            printError("error: \(file) holds \(space.count) candidates, more than predict scores one by one (\(Scorer.exhaustiveLimit)); "
                + "kernelcast plan \(file) --machine \(self.machine) samples it")
            throw ExitCode(1)
        }
        let machine = try machines.machine(self.machine)
        try checkLevels(space, machine)
        // A refinement of the machine (kernelcast refine) replaces its fitted fields and this family's terms.
        let (planModel, refinementPath) = try refinement.model(for: machine, machines: machines)
        let model = planModel.model(for: space.family)
        let ranking = SpaceRanking(space: space, model: model, keep: top)
        switch format {
        case .table:
            print(fitted(renderTable(ranking, model: model)))
            if let refinementPath { print("refinement: \(refinementPath) (fitted machine fields and \(space.family.rawValue) terms)") }
        case .json: print(ranking.json(model: model).rendered())
        }
    }

    /// Generic kernels name memory levels; a name the machine lacks is a user error worth a clear sentence.
    func checkLevels(_ space: CandidateSpace, _ machine: Machine) throws {
        guard case let .generic(candidates) = space.body else { return }
        for candidate in candidates {
            for kernel in candidate.kernels {
                for traffic in kernel.bytes where machine.level(addressed: traffic.level) == nil {
                    throw ValidationError("\(file): kernel \"\(kernel.name)\" moves bytes at \"\(traffic.level)\", which "
                        + "\(machine.name) does not have; its levels are \(machine.memory.map(\.name).joined(separator: ", ")) "
                        + "(or by role: \(Machine.levelRoles.joined(separator: ", ")))")
                }
            }
        }
    }

    func renderTable(_ r: SpaceRanking, model: CostModel) -> String {
        var lines: [String] = []
        let problem = r.space.problemFields.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        lines.append("\(r.space.name) on \(model.machine.name): \(r.space.family.rawValue) \(problem)")
        lines.append("\(r.space.count) candidates: \(r.feasibleCount) feasible, \(r.space.count - r.feasibleCount) infeasible")
        for group in r.infeasible {
            lines.append("  infeasible \(group.count): \(group.category) (e.g. \(group.example.message))")
        }
        guard !r.best.isEmpty else { return lines.joined(separator: "\n") }
        lines.append("")
        var rows = [["RANK", "SCHEDULE", "TIME", "LOWER", "UPPER", "TFLOP/S", "\(model.figures.dramName.uppercased()) GB/S", "OCC", "BOUND"]]
        for (rank, entry) in r.best.enumerated() {
            let p = entry.prediction
            rows.append([
                "\(rank + 1)", entry.candidate.label, p.time.description, p.lower.description, p.upper.description,
                formatSignificant(p.achievedFlops.base / 1e12, digits: 3),
                formatSignificant(p.achievedDRAM.base / 1e9, digits: 3),
                "\(p.occupancy.blocksPerUnit)", p.bottleneck.name,
            ])
        }
        lines.append(KernelCastCLI.renderTable(rows, rightAligned: [0, 2, 3, 4, 5, 6, 7]))
        let best = r.best[0]
        let explanation = model.explain(best.prediction, for: best.candidate)
        lines.append("")
        lines.append("best: \(best.candidate.label)")
        lines.append("  \(explanation.sentence)")
        lines.append("  alone: " + Resource.allCases.filter { best.prediction.resources[$0].base > 0 }
            .map { "\($0.name) \(best.prediction.resources[$0].description)" }.joined(separator: ", "))
        for note in explanation.notes { lines.append("  \(note)") }
        lines.append(fieldsLine(model))
        return lines.joined(separator: "\n")
    }
}

/// Which machine fields the model read, by provenance.
func fieldsLine(_ model: CostModel) -> String {
    let fields = model.figures.fieldsUsed
    let measured = fields.filter { $0.provenance.isMeasured }.map(\.path)
    let defaults = fields.filter { $0.provenance.detail.hasPrefix("model default") }.map(\.path)
    let spec = fields.filter { if case .spec = $0.provenance { true } else { false } }.count
    let other = fields.count - measured.count - defaults.count - spec
    var text = "machine fields: \(spec) spec, \(measured.count) measured"
    if !measured.isEmpty { text += " (\(measured.joined(separator: ", ")))" }
    if other > 0 { text += ", \(other) detected or derived" }
    if !defaults.isEmpty { text += ", \(defaults.count) model default (\(defaults.joined(separator: ", ")))" }
    return text
}
