import ArgumentParser
import Foundation
import MachineModel
import Orchestration
import Store
import Verifier

/// Where verifications are stored: `--store PATH` (an SQLite file or a `postgres://` URL), then $KERNELCAST_STORE,
/// then `kernelcast.sqlite` here.
struct VerificationStoreOption: ParsableArguments {
    @Option(name: .customLong("store"), help: "SQLite store file or postgres://USER@HOST[:PORT]/DB (default: $KERNELCAST_STORE or ./kernelcast.sqlite).")
    var path: String?
    @OptionGroup var password: StorePasswordOption

    /// The store, created when missing: for commands that record.
    func open() throws(VerifierError) -> VerificationStore {
        try VerificationStore(path: Store.resolvePath(option: path), passwordFile: password.file)
    }

    /// The store as it is, for commands that only read: a missing or empty file is an error, and nothing is created.
    func openExisting() throws(StoreError) -> VerificationStore {
        VerificationStore(store: try Store(path: Store.resolvePath(option: path), schemas: VerificationStore.schemas, mode: .existing,
                                           passwordFile: password.file))
    }
}

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Run candidates on hardware, strictly, and store every verification.",
        discussion: """
        INPUT is a candidate space, a plan (kernelcast plan --output plan.json), a candidate with its own source, or a \
        list file (.txt). Candidates already verified on this machine and device are skipped, so rerunning the same \
        command resumes. Runners: in-process OpenCL (--device), a remote `kernelcast runner serve` (--runner URL \
        --token-file FILE), or an external command (--runner-command).
        """)

    @OptionGroup var machines: MachineOptions
    @OptionGroup var storeOption: VerificationStoreOption
    @Argument(help: "Space, plan, candidate or list file.") var input: String
    @Option(help: "OpenCL device for the in-process runner: opencl:P:D, opencl:N or part of its name (default opencl:0).")
    var device: String?
    @Option(help: "Machine model (name or file) whose peak rates bound the times.") var machine: String
    @Option(help: "URL of a remote runner (kernelcast runner serve).") var runner: String?
    @OptionGroup var token: RunnerTokenOption
    @Option(name: .customLong("runner-command"), help: "External command that speaks the runner protocol (docs/verifier.md).")
    var runnerCommand: String?
    @Flag(help: "Run each candidate in a child process (kernelcast runner exec), so a kernel that hangs or crashes costs one candidate.")
    var isolate = false
    @Flag(help: "Queue the candidates as jobs on the store for `kernelcast worker`s (--device: part of an advertised device's name), and return.")
    var queue = false
    @Flag(help: "With --queue: wait until the workers have run every job, and print the verdicts.")
    var wait = false
    @Option(parsing: .unconditional, help: "Verify at most N candidates not verified yet.") var limit: Int?
    @Option(parsing: .unconditional, help: "Correctness checks per candidate (fresh seeds; the candidate's shape and a ragged one alternate).") var checks = 3
    @Option(parsing: .unconditional, help: "Untimed repetitions before timing.") var warmup = 3
    @Option(parsing: .unconditional, help: "Timed repetitions (median and spread are over these).") var repetitions = 25
    @Option(name: .customLong("flush-bytes"), parsing: .unconditional, help: "Bytes written between repetitions (default: twice the last-level cache, at least 32 MiB).")
    var flushBytes: Int?
    @Option(name: .customLong("runner-timeout"), parsing: .unconditional, help: "Seconds one candidate may take on a remote or external runner.")
    var runnerTimeout: Double = 1800
    @Flag(help: "Verify again candidates that already have a verdict.") var force = false
    @Option(help: "table (progress lines) or json (the records, at the end)") var format: OutputFormat = .table

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        guard checks >= 2 else { throw ValidationError("--checks must be at least 2 (the candidate's shape and a ragged one)") }
        guard repetitions >= 1, warmup >= 0 else { throw ValidationError("--repetitions must be at least 1 and --warmup at least 0") }
        guard runnerTimeout > 0 else { throw ValidationError("--runner-timeout must be above 0 seconds") }
        if let flushBytes, flushBytes < 0 { throw ValidationError("--flush-bytes must be at least 0") }
        let runners = [runner != nil, runnerCommand != nil, isolate, queue].filter { $0 }.count
        guard runners <= 1 else { throw ValidationError("choose one of --runner, --runner-command, --isolate and --queue") }
        if wait, !queue { throw ValidationError("--wait waits for queued jobs; pass --queue too") }
        if runner != nil, try token.resolve() == nil {
            throw ValidationError("--runner needs the runner's shared token: pass --token-file FILE or set KERNELCAST_RUNNER_TOKEN")
        }
    }

    func run() async throws {
        let machineModel = try machines.machine(machine)
        if queue { return try await enqueue(machine: machineModel, limits: PhysicalLimits(machine: machineModel)) }
        let setup = try prepare()
        let limits = try await physicalLimits(machineModel, runner: setup.runner, store: setup.store.store)
        let policy = VerificationPolicy(checkCount: checks, warmup: warmup, repetitions: repetitions, flushBytes: flushBytes)
        let options = BatchOptions(machine: machineModel.name, limits: limits, policy: policy, limit: limit, force: force)
        let progress: any VerificationProgress = format == .json ? SilentProgress() : TerminalProgress()
        if format == .table {
            FileHandle.standardOutput.write(Data("\(setup.loaded.description) on \(machineModel.name); store \(setup.store.store.path)\n".utf8))
            if let basis = limits.basis { FileHandle.standardOutput.write(Data("speed-of-light bound: \(basis)\n".utf8)) }
        }
        let batch = BatchVerifier(runner: setup.runner, store: setup.store, options: options, progress: progress)
        let summary: BatchSummary
        summary = try await batch.run(setup.loaded.entries)
        if format == .json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let data = try encoder.encode(summary.records.map(MeasurementRow.init))
            print(String(decoding: data, as: UTF8.self))
        }
        if summary.notRun > 0 { throw ExitCode(3) }
    }

    /// Queues the candidates not verified yet on the advertised device as jobs; with --wait, waits for their verdicts.
    func enqueue(machine machineModel: Machine, limits: PhysicalLimits) async throws {
        let store = try storeOption.open()
        let jobQueue = VerificationQueue(store: store.store)
        let target = try QueueRunner.device(on: jobQueue, matching: device)
        let loaded = try VerifyInput.load(path: input, materialize: true, limit: limit)
        let policy = VerificationPolicy(checkCount: checks, warmup: warmup, repetitions: repetitions, flushBytes: flushBytes)
        let options = BatchOptions(machine: machineModel.name, limits: limits, policy: policy, limit: limit, force: force)
        let batch = BatchVerifier(runner: QueueRunner(queue: jobQueue, device: target, machine: machineModel.name, batch: options.batch, timeout: runnerTimeout),
                                  store: store, options: options)
        let (summary, jobs) = try batch.enqueue(loaded.entries, on: jobQueue, device: target)
        print("queued \(jobs.count) jobs (batch \(options.batch)) for \(target.name) (\(target.vendor), driver \(target.driver)) on \(machineModel.name); "
              + "\(summary.alreadyVerified) already verified, \(summary.rejected) rejected before running; store \(store.store.path)")
        guard wait else { return }
        let states = try await QueueRunner.wait(for: jobs, on: jobQueue, timeout: runnerTimeout)
        let records = try store.records(batch: options.batch)
        let passed = records.filter { $0.verdict == .pass }.count
        print("done: \(states.count) jobs, \(passed) passed, \(records.count - passed) rejected or not run")
        if format == .json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(records.map(MeasurementRow.init)), as: UTF8.self))
        }
    }

    /// The machine's ceilings, tightened by the device's own calibration when the store has one, so that
    /// "impossibly fast" means something on a device smaller than its machine file. An external command's device is
    /// not asked (describing it may start the harness); its bound is the machine's as stated.
    func physicalLimits(_ model: Machine, runner candidateRunner: any CandidateRunner, store: Store) async throws -> PhysicalLimits {
        guard runnerCommand == nil else { return PhysicalLimits(machine: model) }
        let device = try await candidateRunner.describeDevice()
        let root = URL(fileURLWithPath: try machines.directory()).deletingLastPathComponent().path
        let calibrated = DeviceMachine.calibration(ofDevice: device.name, id: device.id, store: store, resultsDirectory: "\(root)/calibration/results")
        return PhysicalLimits(machine: model, calibration: calibrated.map { ($0.machine, $0.run) }, device: device.name)
    }

    /// The runner, the candidates and the store; errors are the user's to fix.
    func prepare() throws -> (runner: any CandidateRunner, loaded: VerifyInput.Loaded, store: VerificationStore) {
        let candidateRunner: any CandidateRunner
        var materialize = true
        if let runner {
            candidateRunner = try RemoteRunner(url: runner, token: try token.resolve() ?? "", timeout: runnerTimeout)
        } else if let runnerCommand {
            candidateRunner = try ExternalCommandRunner(command: runnerCommand.split(separator: " ").map(String.init), timeout: runnerTimeout)
            materialize = false
        } else if isolate {
            candidateRunner = try ExternalCommandRunner(
                command: [currentExecutable(), "runner", "exec", "--device", device ?? "opencl:0"], timeout: runnerTimeout, isolating: true)
        } else {
            candidateRunner = try InProcessRunner(selector: device ?? "opencl:0")
        }
        let loaded = try VerifyInput.load(path: input, materialize: materialize, limit: limit)
        return (candidateRunner, loaded, try storeOption.open())
    }
}

/// The path of the running kernelcast, for child processes.
func currentExecutable() -> String {
    URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
}
