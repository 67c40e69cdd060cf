import ArgumentParser
import CostModel
import Foundation
import MachineModel
import Service
import Planner
import Workloads

struct FusionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fusion",
        abstract: "Compare fused and unfused alternatives of a model block: where fusion pays and by how much.",
        discussion: "A block file lists alternatives by hand; a graph file (kind: graph) or a PyTorch profiler trace (Chrome trace JSON, record_shapes=True) lists the kernels as they run, and the fused alternatives are generated. Formats: docs/fusion.md; examples in plans/blocks/.")
    @OptionGroup var machines: MachineOptions
    @OptionGroup var refinement: RefinementOptions
    @Argument(help: "Block file, graph file (YAML or JSON) or PyTorch profiler trace (.json).") var file: String
    @Option(help: "Machine name, machine file, or an OpenCL device (opencl:0) for its calibrated or fallback model.") var machine: String
    @Option(help: "table or json") var format: OutputFormat = .table

    func run() throws {
        let block: Block
        let graph: BlockGraph?
        do {
            (block, graph) = try Self.read(try readFile(file), file: file)
        } catch let error as FormatError {
            printError(error.description)
            throw ExitCode(1)
        }
        let target = try machines.planningMachine(machine)
        // A profiler trace records one pass: its kernels ran at the clock of a device busy for milliseconds.
        let (model, refinementPath) = try refinement.model(for: target, machines: machines, timing: graph?.timing ?? .sustained)
        let report = Fusion.evaluate(block, model: model)
        let checks = graph?.check(model: model)
        let base = report.alternatives[0]
        switch format {
        case .json:
            print(fusionJSON(report, block: block, machine: target.name, checks: checks).rendered())
        case .table:
            func signed(_ x: Double) -> String { (x < 0 ? "-" : "") + Seconds(base: abs(x)).description }
            var lines = ["fusion \(block.name) on \(target.name)" + (block.description.map { ": \($0)" } ?? "")]
            lines.append("model: \(refinementPath.map { "refinement \($0)" } ?? "default terms, no refinement"); each kernel at its best predicted schedule")
            lines.append("")
            var rows = [["ALTERNATIVE", "TIME", "DRAM", "LAUNCHES", "SAVES", "SAVING RANGE", "VERDICT"]]
            for (i, a) in report.alternatives.enumerated() {
                let saves = i == 0 || a.saving == nil ? "-" : "\(signed(a.saving!)) (\(formatSignificant(a.saving! / base.time * 100, digits: 3))%)"
                let range = i == 0 || a.savingLow == nil ? "-" : "\(signed(a.savingLow!)) to \(signed(a.savingHigh!))"
                rows.append([a.name, a.feasible ? Seconds(base: a.time).description : "cannot run", Bytes(base: a.dramBytes).description,
                             "\(a.launches)", saves, range, i == 0 ? "baseline" : Fusion.verdict(base, a)])
            }
            lines.append(renderTable(rows, rightAligned: [1, 2, 3]))
            lines.append("(SAVING RANGE: over the kernels that differ from the first alternative, each at the ends of its band)")
            for a in report.alternatives {
                lines.append("")
                lines.append("\(a.name):")
                for k in a.kernels {
                    guard let b = k.best else { lines.append("  \(k.name): nothing feasible"); continue }
                    lines.append("  \(k.name): \(b.candidate.label) \(b.prediction.time), \(b.explanation)")
                }
            }
            if let f = report.fastest {
                lines.append("")
                let a = report.alternatives[f]
                lines.append(f == 0 ? "fusion does not pay here: \(a.name) is fastest"
                    : "fusion pays most with \(a.name): \(Seconds(base: base.time)) -> \(Seconds(base: a.time)) "
                        + "(\(formatSignificant((1 - a.time / base.time) * 100, digits: 3))% less time, \(Bytes(base: max(0, base.dramBytes - a.dramBytes))) less DRAM traffic, "
                        + "\(base.launches - a.launches) fewer launches)")
            }
            if let checks { lines += Self.kernelTable(checks) }
            print(fitted(lines.joined(separator: "\n")))
        }
    }

    /// A block file, or a graph (a graph file or a profiler trace) with the alternatives generated from it.
    static func read(_ text: String, file: String) throws(FormatError) -> (Block, BlockGraph?) {
        if text.contains("\"traceEvents\"") {
            let name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
            let graph = try ProfilerTrace.parse(text, file: file, name: name)
            return (graph.alternatives(), graph)
        }
        let document = try YAMLDocument(text: text, file: file)
        if let kind = try? document.root.mapping().optional("kind", { v throws(FormatError) in try v.string() }), kind == "graph" {
            let graph = try GraphFile.read(document)
            return (graph.alternatives(), graph)
        }
        return (try BlockFile.read(document), nil)
    }

    /// The graph's kernels, each as it ran (else at its best predicted schedule), beside the time the trace measured.
    static func kernelTable(_ checks: [BlockGraph.NodeCheck]) -> [String] {
        var rows = [["KERNEL", "MEASURED", "PREDICTED", "ERROR", "BOUND", "AS"]]
        var errors: [Double] = []
        for c in checks {
            let measured = c.node.measured.map { Seconds(base: $0).description } ?? "-"
            let what: String
            switch c.node.work {
            case let .unmodelled(reason): what = "unmodelled (\(reason))"
            default: what = c.best?.candidate.label ?? "nothing feasible"
            }
            if let e = c.error { errors.append(abs(e)) }
            var error = "-"
            if let e = c.error { error = (e >= 0 ? "+" : "") + formatSignificant(e * 100, digits: 3) + "%" }
            let predicted = c.predicted.map { Seconds(base: $0).description } ?? "-"
            let bound = c.best?.prediction.bottleneck.name ?? "-"
            rows.append([c.node.name, measured, predicted, error, bound, what])
        }
        var lines = ["", "kernels as run (PREDICTED: the kernel's span, without its launch, as the profiler times it):",
                     renderTable(rows, rightAligned: [1, 2, 3])]
        if !errors.isEmpty {
            let within = errors.filter { $0 <= 0.2 }.count
            lines.append("\(errors.count) kernels predicted, \(within) within 20% of the measured time; mean |error| \(formatSignificant(errors.reduce(0, +) / Double(errors.count) * 100, digits: 3))%")
        }
        return lines
    }
}
