import ArgumentParser
import CostModel
import Devices
import Foundation
import MachineModel
import Orchestration
import Planner
import Refinement
import Service
import Store
import Verifier
import Workloads

struct LoopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loop",
        abstract: "Plan, verify on hardware, store, refine and replan until the budget is spent or nothing is in doubt.",
        discussion: """
            Each round plans the space with what is known, verifies the pick (any runner: in-process OpenCL with \
            --device, a remote runner with --runner, an external command such as the Triton harness with \
            --runner-command), stores the verification, and anchors the space's scale on what was measured before \
            planning again. Verifications already in the store for this machine and device are used and cost no run, \
            so an interrupted loop resumes. Without --machine, an OpenCL device uses its newest calibration in the \
            store, or its detected draft with documented fallback figures.
            """)
    @OptionGroup var machines: MachineOptions
    @OptionGroup var refinement: RefinementOptions
    @OptionGroup var storeOption: VerificationStoreOption
    @Argument(help: "Candidate space (YAML or JSON).") var space: String
    @Option(help: "OpenCL device for the in-process runner (default opencl:0).") var device: String?
    @Option(parsing: .unconditional, help: "Hardware runs allowed.") var budget = 5
    @Option(help: "Machine model (name or file); default: the device's calibration or its draft.") var machine: String?
    @Option(help: "URL of a remote runner (kernelcast runner serve).") var runner: String?
    @OptionGroup var token: RunnerTokenOption
    @Option(name: .customLong("runner-command"), help: "External command that speaks the runner protocol (docs/verifier.md).")
    var runnerCommand: String?
    @Option(name: .customLong("runner-timeout"), parsing: .unconditional, help: "Seconds one candidate may take on a remote or external runner.")
    var runnerTimeout: Double = 1800
    @Flag(help: "Verify through the store's job queue (kernelcast worker runs the jobs); --device is then part of an advertised device's name.")
    var queue = false
    @Option(parsing: .unconditional, help: "Candidates verified per round before replanning.") var batch = 1
    @Option(help: "A measurement file: keep only the schedules it measured for this problem, and report regret against its best.")
    var measured: String?
    @Option(parsing: .unconditional, help: "Correctness checks per candidate.") var checks = 3
    @Option(parsing: .unconditional, help: "Untimed repetitions before timing.") var warmup = 2
    @Option(parsing: .unconditional, help: "Timed repetitions.") var repetitions = 15
    @Option(help: "table or json") var format: OutputFormat = .table
    @Option(help: "Also write the loop's result as JSON to this file.") var output: String?

    func validate() throws {
        guard budget >= 1 else { throw ValidationError("--budget must be at least 1") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard checks >= 2 else { throw ValidationError("--checks must be at least 2 (the candidate's shape and a ragged one)") }
        guard repetitions >= 1, warmup >= 0 else { throw ValidationError("--repetitions must be at least 1 and --warmup at least 0") }
        guard runnerTimeout > 0 else { throw ValidationError("--runner-timeout must be above 0 seconds") }
        guard [runner != nil, runnerCommand != nil, queue].filter({ $0 }).count <= 1 else {
            throw ValidationError("choose one of --runner, --runner-command and --queue")
        }
        if runner != nil, try token.resolve() == nil {
            throw ValidationError("--runner needs the runner's shared token: pass --token-file FILE or set KERNELCAST_RUNNER_TOKEN")
        }
        if device != nil && (runner != nil || runnerCommand != nil) {
            throw ValidationError("--device chooses the in-process runner's device; a remote or external runner chooses its own")
        }
    }

    func run() async throws {
        let candidateSpace = try loadSpace(space)
        let store: VerificationStore
        store = try storeOption.open()
        let root = URL(fileURLWithPath: try machines.directory()).deletingLastPathComponent().path
        let selector = device ?? "opencl:0"
        let target: Machine
        let machineSource: String
        if let machine {
            target = try machines.planningMachine(machine, store: storeOption.path)
            machineSource = machine.hasSuffix(".yaml") ? displayPath(machine) : "machines/\(target.name).yaml"
        } else if runner == nil && runnerCommand == nil && !queue {
            let resolved = try DeviceMachine.resolve(selector: selector, store: store.store, resultsDirectory: "\(root)/calibration/results")
            target = resolved.machine
            machineSource = resolved.source
        } else {
            throw ValidationError("a remote or external runner, or the queue, needs --machine (the machine model its device is)")
        }
        let (model, refinementPath) = try refinement.model(for: target, machines: machines)

        var only: RunnerRule?
        var exhaustive: (time: Double, label: String)?
        if let measured {
            let (rule, best) = try measuredRestriction(measured, space: candidateSpace)
            only = rule
            exhaustive = best
        }

        let candidateRunner: any CandidateRunner
        let materialize: Bool
        if let runner {
            candidateRunner = try RemoteRunner(url: runner, token: try token.resolve() ?? "",
                                               timeout: runnerTimeout)
            materialize = true
        } else if let runnerCommand {
            candidateRunner = try ExternalCommandRunner(command: runnerCommand.split(separator: " ").map(String.init), timeout: runnerTimeout)
            materialize = false
        } else if queue {
            let jobQueue = VerificationQueue(store: store.store)
            candidateRunner = QueueRunner(queue: jobQueue, device: try QueueRunner.device(on: jobQueue, matching: device), machine: target.name,
                                          batch: "loop-\(candidateSpace.name)-\(UUID().uuidString.prefix(8))", timeout: runnerTimeout)
            materialize = true
        } else {
            candidateRunner = try InProcessRunner(selector: selector)
            materialize = true
        }

        let policy = VerificationPolicy(checkCount: checks, warmup: warmup, repetitions: repetitions)
        let loop = HardwareLoop(.init(
            space: candidateSpace, spacePath: displayPath(space), model: model, runner: candidateRunner, materialize: materialize,
            store: store, policy: policy, budget: budget, batch: batch, only: only, limits: PhysicalLimits(machine: DeviceMachine.withoutFallbacks(target))))
        let table = format == .table
        func say(_ text: String) { if table { FileHandle.standardOutput.write(Data((text + "\n").utf8)) } }
        let result: HardwareLoop.Result
        result = try await loop.run { event in
            switch event {
            case let .started(device, scored, resumed):
                say("loop \(candidateSpace.name) on \(device.name) (\(device.id)) via \(candidateRunner.name)")
                say("machine \(model.machine.name): \(machineSource); store \(store.store.path)")
                say("budget \(budget) run(s), \(grouped(scored.feasibleCount)) runnable of \(grouped(candidateSpace.count)) candidates"
                    + (resumed > 0 ? "; \(resumed) already verified on this device, loaded from the store" : ""))
            case let .planned(plan, round):
                if round == 0 {
                    say("")
                    say(renderPlan(plan, model: model, refinement: refinementPath, showTop: false))
                    say("")
                    say("as one batch it would verify these; the loop runs one candidate at a time instead (the best predicted "
                        + "of those not yet measured), replanning after each verdict:")
                } else if round > 1 {
                    let scale = plan.anchor.count > 0 ? "scale x\(formatSignificant(exp(plan.anchor.offset), digits: 3)) from \(plan.anchor.count) measurement(s); " : ""
                    say("replan: \(scale)\(grouped(plan.ruledOut)) ruled out, \(grouped(plan.inDoubt)) in doubt")
                }
            case let .verifying(pick, run):
                say("run \(run): \(pick.candidate.label) (\(pick.words))")
            case let .verified(step, _):
                say("  " + stepLine(step))
            }
        }
        let json = loopJSON(result, space: candidateSpace, machine: model.machine.name, machineSource: machineSource, exhaustive: exhaustive)
        if let output {
            do { try (json.rendered() + "\n").write(toFile: output, atomically: true, encoding: .utf8) } catch {
                throw ValidationError("cannot write \(output): \(error.localizedDescription)")
            }
        }
        if table {
            print("")
            print(fitted(renderLoopSummary(result, exhaustive: exhaustive)))
        } else {
            print(json.rendered())
        }
    }

    /// The schedules a measurement file holds for this space's problem, and its best time.
    func measuredRestriction(_ file: String, space: CandidateSpace) throws -> (RunnerRule, (time: Double, label: String)?) {
        let measurements: Measurements
        measurements = try MeasurementsFile.load(path: file)
        let key = space.candidate(at: 0).shapeKey
        guard let measuredSpace = measurements.spaces.first(where: { $0.results.first?.candidate.shapeKey == key }) else {
            throw ValidationError("\(file) has no space with the problem of \(space.name) (\(key))")
        }
        let keys = Set(measuredSpace.results.map { scheduleKey($0.candidate) })
        let best = measuredSpace.results.filter { $0.status == .ok }.min { ($0.median?.base ?? .infinity) < ($1.median?.base ?? .infinity) }
        let rule: RunnerRule = { candidate in keys.contains(scheduleKey(candidate)) ? nil : "not measured in \(measuredSpace.name)" }
        return (rule, best.flatMap { b in b.median.map { ($0.base, b.candidate.label) } })
    }
}

func scheduleKey(_ candidate: Workloads.Candidate) -> String {
    candidate.scheduleFields.map { "\($0.key)=\($0.value ?? "null")" }.joined(separator: " ")
}

func stepLine(_ step: LoopStep) -> String {
    var line: String
    switch step.outcome {
    case let .measured(median, low, high):
        line = "pass \(Seconds(base: median)) (predicted \(Seconds(base: step.predicted)))"
        let measured = SpaceKnowledge.Measured(median: median, low: low, high: high)
        if measured.isNoisy {
            line += "; noisy (runs spread \(formatSignificant(100 * measured.spread, digits: 2))%): anchors nothing, rules nothing out"
        }
    case let .rejected(reason): line = "REJECT \(reason)"
    case let .notRun(reason): line = "not run: \(reason)"
    }
    if let best = step.bestSoFar { line += "; best so far \(Seconds(base: best))" }
    return line
}

/// The regret curve and the final choice.
func renderLoopSummary(_ result: HardwareLoop.Result, exhaustive: (time: Double, label: String)?) -> String {
    let state = result.state
    var lines = ["stopped: \(result.stopReason) after \(state.runsUsed) run(s)"]
    let reference = exhaustive?.time ?? state.bestMeasured?.time
    let against = exhaustive.map { "the exhaustive best \($0.label) at \(Seconds(base: $0.time)), measured by the harness" }
        ?? "the best this loop measured"
    lines.append("regret curve (best measured so far over \(against), minus one):")
    var rows = [["RUN", "CANDIDATE", "REASON", "PREDICTED", "RESULT", "BEST SO FAR", "REGRET"]]
    for step in state.steps {
        let result: String
        switch step.outcome {
        case let .measured(median, _, _): result = Seconds(base: median).description
        case let .rejected(reason): result = "rejected (\(reason.split(separator: ":").first ?? ""))"
        case .notRun: result = "not run"
        }
        let regret = step.bestSoFar.flatMap { b in reference.map { formatSignificant(100 * (b / $0 - 1), digits: 3) + "%" } } ?? "-"
        rows.append(["\(step.run)", step.candidate.label, step.reason.rawValue, Seconds(base: step.predicted).description, result,
                     step.bestSoFar.map { Seconds(base: $0).description } ?? "-", regret])
    }
    lines.append(renderTable(rows, rightAligned: [0, 3, 5, 6]))
    if let best = state.bestMeasured {
        let candidate = state.scored.space.candidate(at: best.index)
        lines.append("final choice: \(candidate.label) at \(Seconds(base: best.time)) measured"
            + (result.finalPlan.inDoubt > 0 ? "; \(result.finalPlan.inDoubt) candidate(s) still in doubt" : "; nothing else in doubt"))
    } else {
        lines.append("final choice: none (no candidate passed)")
    }
    return lines.joined(separator: "\n")
}

func loopJSON(_ result: HardwareLoop.Result, space: CandidateSpace, machine: String, machineSource: String,
              exhaustive: (time: Double, label: String)?) -> JSONValue {
    let state = result.state
    let best = state.bestMeasured
    return .object([
        ("version", .int(1)), ("kind", .string("kernelcast-loop")), ("space", .string(space.name)),
        ("family", .string(space.family.rawValue)), ("machine", .string(machine)), ("machine_source", .string(machineSource)),
        ("device", .string(result.device.name)), ("device_id", .string(result.device.id)), ("budget", .int(state.budget)),
        ("runs", .int(state.runsUsed)), ("resumed", .int(result.resumed)), ("stop", .string(result.stopReason)),
        ("exhaustive_best_s", exhaustive.map { .number($0.time) } ?? .null),
        ("exhaustive_best", exhaustive.map { .string($0.label) } ?? .null),
        ("steps", .array(state.steps.map { step in
            var pairs: [(String, JSONValue)] = [
                ("run", .int(step.run)), ("index", .int(step.index)), ("label", .string(step.candidate.label)),
                ("reason", .string(step.reason.rawValue)), ("predicted_s", .number(step.predicted)),
            ]
            switch step.outcome {
            case let .measured(median, low, high):
                pairs += [("verdict", .string("pass")), ("measured_s", .number(median)),
                          ("low_s", low.map(JSONValue.number) ?? .null), ("high_s", high.map(JSONValue.number) ?? .null)]
            case let .rejected(reason): pairs += [("verdict", .string("reject")), ("reason_detail", .string(reason))]
            case let .notRun(reason): pairs += [("verdict", .string("not_run")), ("reason_detail", .string(reason))]
            }
            pairs.append(("best_so_far_s", step.bestSoFar.map(JSONValue.number) ?? .null))
            if let e = exhaustive?.time { pairs.append(("regret", step.bestSoFar.map { .number($0 / e - 1) } ?? .null)) }
            return .object(pairs)
        })),
        ("final", best.map { b in .object([("index", .int(b.index)), ("label", .string(space.candidate(at: b.index).label)),
                                             ("measured_s", .number(b.time))]) } ?? .null),
        ("in_doubt", .int(result.finalPlan.inDoubt)),
    ])
}
