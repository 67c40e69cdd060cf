import ArgumentParser
import CostModel
import Foundation
import MachineModel
import Planner
import Refinement
import Service
import Workloads

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Run the loop offline against recorded measurements (a replay, not a hardware run).",
        discussion: """
            Each space of the measurement file is planned as the loop would plan it, and every pick is answered \
            with the time the harness recorded for it; the regret curve compares the best found so far with the \
            best the harness measured exhaustively. Use the holdout spaces to judge (the model was fitted on tune).
            """)
    @OptionGroup var machines: MachineOptions
    @OptionGroup var refinement: RefinementOptions
    @Argument(help: "Measurement file (kernelcast-measurements JSON).") var file: String
    @Option(help: "Machine name, machine file, or an OpenCL device (opencl:0) for its calibrated or fallback model.") var machine: String
    @Option(parsing: .unconditional, help: "Hardware runs the loop may use per space.") var budget = 5
    @Option(help: "Only spaces of this family.") var family: String?
    @Option(help: "holdout, tune or all") var split: EvalCommand.SplitChoice = .holdout
    @Option(parsing: .unconditional, help: "Regret that counts as reaching the best.") var target = 0.02
    @Option(help: "table or json") var format: OutputFormat = .table

    func validate() throws {
        guard budget >= 1 else { throw ValidationError("--budget must be at least 1") }
        guard target >= 0 else { throw ValidationError("--target must be at least 0") }
    }

    func run() throws {
        let measurements: Measurements
        do { measurements = try MeasurementsFile.load(path: file) } catch {
            printError(error.description)
            throw ExitCode(1)
        }
        let target = try machines.planningMachine(machine)
        let (model, refinementPath) = try refinement.model(for: target, machines: machines)
        var chosen = measurements.spaces.filter { split == .all || $0.split.rawValue == split.rawValue }
        if let family {
            guard let f = Family(rawValue: family) else {
                throw ValidationError("unknown family \(family); expected one of \(Family.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            chosen = chosen.filter { $0.family == f }
        }
        guard !chosen.isEmpty else { throw ValidationError("no \(split.rawValue) spaces\(family.map { " of family \($0)" } ?? "") in \(file)") }
        let results = chosen.compactMap { Replay.run($0, model: model, budget: budget) }
        switch format {
        case .table: print(fitted(table(results, model: model, refinement: refinementPath)))
        case .json: print(json(results, model: model).rendered())
        }
    }

    func pct(_ x: Double?) -> String { x.map { formatSignificant($0 * 100, digits: 2) + "%" } ?? "-" }

    func table(_ results: [Replay.Result], model: PlanModel, refinement: String?) -> String {
        var lines = ["REPLAY of \(displayPath(file)) on \(model.machine.name) (recorded times answer each pick; no hardware ran)",
                     "model: \(refinement.map { "refinement \($0)" } ?? "default terms, no refinement"); budget \(budget) run(s) per space", ""]
        var rows = [["SPACE", "SPLIT", "TIMED", "EXHAUSTIVE BEST"] + (1...budget).map { "RUN \($0)" } + ["RUNS", "STOP"]]
        for r in results {
            var row = [r.space, r.split.rawValue, "\(r.timed)", "\(r.exhaustiveLabel) \(Seconds(base: r.exhaustiveBest))"]
            for n in 0..<budget { row.append(n < r.regretCurve.count ? pct(r.regretCurve[n]) : "") }
            row += ["\(r.steps.count)", r.stopReason]
            rows.append(row)
        }
        lines.append(renderTable(rows, rightAligned: Set(2..<(5 + budget))))
        lines.append("")
        lines.append(summary(results))
        return lines.joined(separator: "\n")
    }

    func summary(_ results: [Replay.Result]) -> String {
        let finals = results.map { $0.finalRegret ?? .infinity }
        let reached = finals.filter { $0 <= target }.count
        let mean = finals.filter(\.isFinite).reduce(0, +) / Double(max(1, finals.filter(\.isFinite).count))
        let runsToTarget = results.compactMap { r in r.regretCurve.firstIndex { ($0 ?? .infinity) <= target }.map { $0 + 1 } }
        var text = "\(reached) of \(results.count) spaces within \(pct(target)) of the exhaustive best after at most \(budget) run(s); "
            + "mean final regret \(pct(mean)); worst \(pct(finals.max()))"
        if !runsToTarget.isEmpty {
            text += "; runs to reach \(pct(target)): mean \(formatSignificant(Double(runsToTarget.reduce(0, +)) / Double(runsToTarget.count), digits: 2))"
        }
        return text
    }

    func json(_ results: [Replay.Result], model: PlanModel) -> JSONValue {
        .object([
            ("kind", .string("kernelcast-replay")), ("note", .string("replay of recorded measurements, not a hardware run")),
            ("file", .string(displayPath(file))), ("machine", .string(model.machine.name)), ("budget", .int(budget)),
            ("spaces", .array(results.map { r in
                .object([("space", .string(r.space)), ("split", .string(r.split.rawValue)), ("timed", .int(r.timed)),
                         ("exhaustive_best_s", .number(r.exhaustiveBest)), ("exhaustive_best", .string(r.exhaustiveLabel)),
                         ("stop", .string(r.stopReason)),
                         ("steps", .array(r.steps.map { s in
                             var pairs: [(String, JSONValue)] = [("run", .int(s.run)), ("label", .string(s.candidate.label)),
                                                                 ("predicted_s", .number(s.predicted))]
                             if case let .measured(m, _, _) = s.outcome { pairs.append(("measured_s", .number(m))) }
                             pairs.append(("best_so_far_s", s.bestSoFar.map(JSONValue.number) ?? .null))
                             pairs.append(("regret", s.bestSoFar.map { .number($0 / r.exhaustiveBest - 1) } ?? .null))
                             return .object(pairs)
                         }))])
            })),
            ("summary", .string(summary(results))),
        ])
    }
}
