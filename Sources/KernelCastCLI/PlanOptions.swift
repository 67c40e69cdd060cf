import ArgumentParser
import CostModel
import Foundation
import MachineModel
import Orchestration
import Planner
import Refinement
import Service
import Store
import Workloads

/// Which refinement the planner's model uses: `--refinement FILE`, none with `--no-refinement`, otherwise the
/// machine's `calibration/results/<machine>/refinement.json` when it exists (beside the machines folder in use).
struct RefinementOptions: ParsableArguments {
    @Option(name: .customLong("refinement"), help: "Refinement file (default: calibration/results/<machine>/refinement.json when present).")
    var refinementFile: String?
    @Flag(name: .customLong("no-refinement"), help: "Use the cost model's default terms and uncalibrated bands.")
    var noRefinement = false
    @Option(help: ArgumentHelp(Timing.help))
    var timing: Timing?

    /// The refinement for `machine`, and the path it came from.
    func load(for machine: Machine, machines: MachineOptions) throws -> (Refinement, String)? {
        if noRefinement { return nil }
        return try loadRefinement(for: machine, file: refinementFile, machines: machines)
    }

    /// The plan model, timed as `--timing` says, else as `timing` (what the input's measurements were).
    func model(for machine: Machine, machines: MachineOptions, timing inputTiming: Timing = .sustained) throws -> (PlanModel, String?) {
        let (model, path) = try planModel(for: machine, refinement: try load(for: machine, machines: machines))
        return (model.timed(timing ?? inputTiming), path)
    }
}

extension Timing: ExpressibleByArgument {}

/// The refinement in `file`, or the machine's default one when it exists.
func loadRefinement(for machine: Machine, file: String?, machines: MachineOptions) throws -> (Refinement, String)? {
        let path: String
        if let refinementFile = file {
            path = refinementFile
        } else {
            let root = URL(fileURLWithPath: try machines.directory()).deletingLastPathComponent().path
            path = "\(root)/\(RefinementFile.defaultPath(machine: machine.name))"
            guard FileManager.default.fileExists(atPath: path) else { return nil }
        }
        let refinement: Refinement
        do {
            refinement = try RefinementFile.parse(try readFile(path), file: path)
        } catch let error as FormatError {
            printError(error.description)
            throw ExitCode(1)
        }
        return (refinement, displayPath(path))
}

/// The plan model for a machine with its refinement; a refinement of another machine is a port (family terms only).
func planModel(for machine: Machine, refinement loaded: (Refinement, String)?) throws -> (PlanModel, String?) {
    guard let (refinement, path) = loaded else { return (PlanModel(machine: machine), nil) }
    if refinement.machine != machine.name {
        return (PlanModel(machine: machine, refinement: refinement), "\(path) (from \(refinement.machine): family terms only)")
    }
    return (PlanModel(machine: machine, refinement: refinement), path)
}

/// Reads a text file; what is wrong with it is one line on stderr and exit status 1.
func readFile(_ path: String) throws -> String {
    do {
        return try TextFile.read(path)
    } catch {
        printError(error.description)
        throw ExitCode(1)
    }
}

/// Loads a candidate space, printing a format error as `file:line:col: error: ...`.
func loadSpace(_ path: String) throws -> CandidateSpace {
    do {
        return try CandidateFile.load(path: path)
    } catch {
        printError(error.description)
        throw ExitCode(1)
    }
}

/// Search strategies on the command line.
enum StrategyChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, exhaustive, random, randomPruned = "random-pruned", neighbourhood
}

struct SearchOptions: ParsableArguments {
    @Option(help: "auto, exhaustive, random, random-pruned or neighbourhood (auto: exhaustive up to \(grouped(Scorer.exhaustiveLimit)) candidates).")
    var strategy: StrategyChoice = .auto
    @Option(parsing: .unconditional, help: "Candidates a non-exhaustive strategy scores.") var samples = 200_000
    @Option(parsing: .unconditional, help: "Seed of the random strategies.") var seed: UInt64 = 1

    func validate() throws {
        guard samples >= 1 else { throw ValidationError("--samples must be at least 1") }
    }

    func score(_ space: CandidateSpace, model: PlanModel, runnerRule: RunnerRule? = nil) -> ScoredSpace {
        switch strategy {
        case .auto:
            let line = ProgressLine("plan")
            let total = space.count > Scorer.exhaustiveLimit ? samples : space.count
            return Scorer.scoreAuto(space, model: model, samples: samples, seed: seed, runnerRule: runnerRule) { scored in
                line.say("\(grouped(scored)) of \(grouped(total)) candidates scored")
            }
        case .exhaustive:
            var s = ExhaustiveSearch(count: space.count)
            return Scorer.score(space, model: model, strategy: &s, runnerRule: runnerRule)
        case .random:
            var s = RandomSearch(count: space.count, samples: samples, seed: seed)
            return Scorer.score(space, model: model, strategy: &s, runnerRule: runnerRule)
        case .randomPruned:
            var s = RandomPrunedSearch(space: space, samples: samples, seed: seed)
            return Scorer.score(space, model: model, strategy: &s, runnerRule: runnerRule)
        case .neighbourhood:
            var s = NeighbourhoodSearch(space: space, samples: samples, start: max(1, samples / 4), seed: seed)
            return Scorer.score(space, model: model, strategy: &s, runnerRule: runnerRule)
        }
    }
}

/// "1,036,800".
func grouped(_ n: Int) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, c) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return (n < 0 ? "-" : "") + out
}

extension MachineOptions {
    /// A machine by library name or file, or the machine model of an OpenCL device (`opencl:0`): its newest
    /// calibration in the store, else its draft with the documented fallback figures (Orchestration.DeviceMachine).
    func planningMachine(_ name: String, store: String? = nil) throws -> Machine {
        guard name.hasPrefix("opencl:") else { return try machine(name) }
        let root = URL(fileURLWithPath: try directory()).deletingLastPathComponent().path
        let path = Store.resolvePath(option: store)
        let opened = PostgresLocation.isURL(path) || FileManager.default.fileExists(atPath: path) ? try? Store(path: path, mode: .existing) : nil
        do {
            return try DeviceMachine.resolve(selector: name, store: opened, resultsDirectory: "\(root)/calibration/results").machine
        } catch {
            throw ValidationError("cannot find the machine of \(name): \(error.description)")
        }
    }
}
