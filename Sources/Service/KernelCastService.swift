import CostModel
import Foundation
import MachineModel
import Orchestration
import Planner
import Refinement
import Store
import Verifier
import Workloads

/// The operations of KernelCast over one machine library and one store, for every presentation: the HTTP API,
/// the MCP tools and `kernelcast api`. Each operation reads a JSON request and answers JSON; models are built
/// once per machine and kept, so a long-running server answers a batch in milliseconds.
public final class KernelCastService: Sendable {
    public struct Configuration: Sendable {
        /// The machines folder; the repository root (calibration/, for refinements and measurements) is its parent.
        public var machinesDirectory: String
        /// The store for verifications and recorded measurements: an SQLite file, or a `postgres://` URL for jobs.
        public var storePath: String
        /// The PostgreSQL store's password file (default `$PGPASSWORD`).
        public var storePasswordFile: String?
        public var version: String
        /// Verify jobs queue their candidates on the store for `kernelcast worker`s instead of running on this host.
        public var queue: Bool

        public init(machinesDirectory: String, storePath: String, storePasswordFile: String? = nil, version: String, queue: Bool = false) {
            self.machinesDirectory = machinesDirectory
            self.storePath = storePath
            self.storePasswordFile = storePasswordFile
            self.version = version
            self.queue = queue
        }
    }

    public let configuration: Configuration
    let library: MachineLibrary
    let root: String
    let models = ModelCache()
    let jobs: JobQueue

    public init(configuration: Configuration) throws(ServiceError) {
        self.configuration = configuration
        do {
            library = try MachineLibrary(directory: configuration.machinesDirectory)
        } catch {
            throw ServiceError(.failed, error.description, remedy: "fix the machine file named, or pass --machines-dir")
        }
        root = URL(fileURLWithPath: configuration.machinesDirectory).standardizedFileURL.deletingLastPathComponent().path
        do {
            jobs = try JobQueue(storePath: configuration.storePath, passwordFile: configuration.storePasswordFile, queued: configuration.queue)
        } catch {
            throw ServiceError(.failed, error.message + (error.cause.map { " (\($0))" } ?? ""),
                               remedy: "pass --store with an SQLite file or a reachable postgres:// URL (password in $PGPASSWORD or --store-password-file)")
        }
    }

    /// Answers one operation; `body` is the request's JSON text (path parameters already folded in).
    public func perform(_ operation: APIOperation, body: String) async throws(ServiceError) -> JSONValue {
        let request = try Request(body)
        do {
            let answer = try await answer(operation, request)
            try request.finish()
            return answer
        } catch let error as ServiceError {
            throw error
        } catch let error as FormatError {
            throw .format(error)
        } catch let error as RefinementError {
            throw .refinement(error)
        } catch let error as VerifierError {
            throw .verifier(error)
        } catch let error as StoreError {
            throw .store(error)
        } catch {
            throw ServiceError(.failed, "\(error)", remedy: "report this with the request that caused it")
        }
    }

    private func answer(_ operation: APIOperation, _ r: Request) async throws -> JSONValue {
        switch operation {
        case .health:
            return .object([("status", .string("ok")), ("version", .string(configuration.version)),
                            ("machines", .int(library.machines.count))])
        case .machines:
            return .object([("machines", .array(library.machines.map(machineSummary)))])
        case .machine:
            let machine = try self.machine(r.string("name"))
            return machine.tree.json(sources: machine.sources)
        case .predict: return try predict(r)
        case .plan:
            let model = try planModel(r)
            let space = try CandidateFile.read(r.document("space"))
            let budget = try r.positive("budget", default: 5, maximum: 10_000)
            let top = try r.positive("top", default: 10, maximum: 10_000)
            let scored = Scorer.scoreAuto(space, model: model)
            return Plan.make(scored, model: model, budget: budget, topCount: top).json(model: model)
        case .explain: return try explain(r)
        case .bound: return try bound(r)
        case .whatif:
            let model = try planModel(r)
            let space = try CandidateFile.read(r.document("space"))
            let edits = try r.texts("set")
            let parsed = try edits.map { text throws(RefinementError) in try MachineEdit(parsing: text) }
            return whatIfJSON(try WhatIf.compare(space, model: model, edits: parsed), space: space, machine: model.machine.name)
        case .compare:
            let names = try r.texts("machines")
            let space = try CandidateFile.read(r.document("space"))
            var results: [(machine: String, best: SpaceBest?, model: String)] = []
            for name in names {
                let machine = try self.machine(name)
                let model = try models.model(for: machine, refined: true, root: root)
                results.append((machine.name, WhatIf.best(space, model: model), model.refinement == nil ? "default terms" : "refined"))
            }
            return compareJSON(space: space, results: results)
        case .port:
            let space = try CandidateFile.read(r.document("space"))
            let source = try machine(r.string("from")), target = try machine(r.string("to"))
            let top = try r.positive("top", default: 5, maximum: 1000)
            let sourceModel = try models.model(for: source, refined: true, root: root)
            let ported = sourceModel.refinement.map { Port.carry($0, from: source, to: target) }
            let report = Port.compare(space, source: sourceModel, target: PlanModel(machine: target, refinement: ported), top: top)
            return portJSON(report, from: source.name, to: target.name,
                            refinement: sourceModel.refinement.map { _ in RefinementFile.defaultPath(machine: source.name) })
        case .fusion:
            let model = try planModel(r)
            let block = try BlockFile.read(r.document("block"))
            return fusionJSON(Fusion.evaluate(block, model: model), block: block, machine: model.machine.name)
        case .verify: return try await submitVerification(r)
        case .job:
            let id = try r.string("id")
            guard let job = try await jobs.status(id) else {
                throw ServiceError(.notFound, "no job \"\(id)\"", remedy: "use the id that POST /v1/jobs answered; jobs live as long as the server")
            }
            return job
        case .record: return try record(r)
        case .refine: return try refine(r)
        }
    }

    // MARK: machines and models

    func machine(_ name: String) throws -> Machine {
        if let machine = library.machine(named: name) { return machine }
        let names = library.machines.map(\.name)
        let hint = suggestion(for: name, among: names).map { "did you mean \($0)? " } ?? ""
        throw ServiceError(.notFound, "no machine named \(quoted(name))",
                           remedy: "\(hint)known machines: \(names.joined(separator: ", "))")
    }

    func planModel(_ r: Request) throws -> PlanModel {
        let machine = try self.machine(r.string("machine"))
        let timing = try r.fields.optional("timing") { v throws(FormatError) in
            let text = try v.quotedString()
            guard let timing = Timing(rawValue: text) else {
                throw v.error("expected one of \(Timing.allCases.map(\.rawValue).joined(separator: ", ")), got \(quoted(text))")
            }
            return timing
        }
        return try models.model(for: machine, refined: r.bool("refinement", default: true), root: root).timed(timing ?? .sustained)
    }

    func machineSummary(_ m: Machine) -> JSONValue {
        .object([("name", .string(m.name)), ("kind", .string(m.kind.rawValue)), ("vendor", .string(m.identity.vendor)),
                 ("product", .string(m.identity.product)), ("architecture", .string(m.identity.architecture)),
                 ("units", .int(m.compute.unitCount.value)),
                 ("device_memory", m.deviceMemory.map { .string($0.name) } ?? .null),
                 ("device_memory_bandwidth", m.deviceMemory?.bandwidth.map { .string($0.value.description) } ?? .null)])
    }

    // MARK: predict, explain, bound

    func predict(_ r: Request) throws -> JSONValue {
        let planModel = try self.planModel(r)
        if r.fields.has("space") {
            let space = try CandidateFile.read(r.document("space"))
            guard space.count <= Limits.predictSpace else {
                throw ServiceError(.tooMuchWork, "the space holds \(space.count) candidates, more than predict ranks exhaustively (\(Limits.predictSpace))",
                                   remedy: "plan it instead (POST /v1/plan samples large spaces), or narrow the schedule lists")
            }
            let top = try r.positive("top", default: 10, maximum: 10_000)
            let model = planModel.model(for: space.family)
            return SpaceRanking(space: space, model: model, keep: top).json(model: model)
        }
        let family = try r.fields.required("family") { v throws(FormatError) in try v.oneOf(Family.self) }
        let compiler = try r.fields.optional("compiler") { v throws(FormatError) in try FamilyReader.compilerFacts(v) } ?? .none
        let schedules = try r.fields.required("schedules") { v throws(FormatError) in
            let items = try v.sequence()
            guard !items.isEmpty, items.count <= Limits.scheduleList else {
                throw v.error("expected 1 to \(Limits.scheduleList) schedules, got \(items.count)")
            }
            return items
        }
        let candidates = try r.fields.required("problem") { p throws(FormatError) in
            try CandidateFile.candidates(family: family, problem: p, schedules: schedules, compiler: compiler)
        }
        let model = planModel.model(for: family)
        var feasible = 0
        let predictions: [JSONValue] = candidates.enumerated().map { index, candidate in
            let p = model.predict(candidate)
            guard p.infeasibility == nil else {
                return .object([("index", .int(index)), ("label", .string(candidate.label)), ("feasible", .bool(false)),
                                ("reason", .string(p.infeasibility!.message))])
            }
            feasible += 1
            return .object([("index", .int(index)), ("label", .string(candidate.label)), ("feasible", .bool(true)),
                            ("time_s", .number(p.time.base)), ("lower_s", .number(p.lower.base)), ("upper_s", .number(p.upper.base)),
                            ("bottleneck", .string(p.bottleneck.name))])
        }
        return .object([("machine", .string(planModel.machine.name)), ("family", .string(family.rawValue)),
                        ("candidates", .int(candidates.count)), ("feasible", .int(feasible)),
                        ("predictions", .array(predictions))])
    }

    func explain(_ r: Request) throws -> JSONValue {
        let planModel = try self.planModel(r)
        let family = try r.fields.required("family") { v throws(FormatError) in try v.oneOf(Family.self) }
        let compiler = try r.fields.optional("compiler") { v throws(FormatError) in try FamilyReader.compilerFacts(v) } ?? .none
        let schedule = try r.fields.required("schedule") { v throws(FormatError) in v }
        let candidate = try r.fields.required("problem") { p throws(FormatError) in
            try CandidateFile.candidates(family: family, problem: p, schedules: [schedule], compiler: compiler)[0]
        }
        let model = planModel.model(for: family)
        let prediction = model.predict(candidate)
        guard case var .object(pairs) = predictionJSON(prediction, candidate: candidate, model: model,
                                                      leading: [("machine", .string(model.machine.name)), ("label", .string(candidate.label))])
        else { return .null }
        if prediction.isFeasible {
            pairs.append(("notes", .array(model.explain(prediction, for: candidate).notes.map(JSONValue.string))))
            pairs.append(("next", .string(NextStep.advice(prediction))))
        }
        return .object(pairs)
    }

    func bound(_ r: Request) throws -> JSONValue {
        let machine = try self.machine(r.string("machine"))
        let family = try r.fields.required("family") { v throws(FormatError) in try v.oneOf(Family.self) }
        let work = try r.fields.required("problem") { p throws(FormatError) in try ProblemWork.read(family: family, problem: p.mapping()) }
        return SpeedOfLight(work: work, machine: machine).json
    }

    // MARK: measurements and refinement

    func openStore(creating: Bool) throws -> Store {
        let path = configuration.storePath
        guard creating || FileManager.default.fileExists(atPath: path) else {
            throw ServiceError(.notFound, "the store \(path) does not exist yet", remedy: "record measurements or verify candidates first")
        }
        return try Store(path: path, schemas: VerificationStore.schemas, mode: creating ? .create : .existing)
    }

    func record(_ r: Request) throws -> JSONValue {
        let document = try r.document("measurements")
        let measurements = try MeasurementsFile.read(document)
        _ = try machine(measurements.machine)
        let body = document.root.serialized()
        let results = measurements.spaces.reduce(0) { $0 + $1.results.count }
        let id = try openStore(creating: true).recordMeasurements(
            machine: measurements.machine, spaces: measurements.spaces.count, results: results, receivedAt: isoNow(), body: body)
        return .object([("id", .int(id)), ("machine", .string(measurements.machine)), ("spaces", .int(measurements.spaces.count)),
                        ("results", .int(results)), ("store", .string(configuration.storePath))])
    }

    func refine(_ r: Request) throws -> JSONValue {
        let machine = try self.machine(r.string("machine"))
        let write = try r.bool("write", default: false)
        let gathered = try RefinementInputs.gather(machine: machine, root: root, storePath: configuration.storePath)
        guard !gathered.observations.isEmpty else {
            throw ServiceError(.unprocessable, "no measurements of \(machine.name)",
                               remedy: "record measurements (POST /v1/measurements) or verify candidates first")
        }
        let refinement = try Refiner.refine(machine: machine, observations: gathered.observations, sources: gathered.sources,
                                            created: isoNow(), options: Refiner.Options())
        var written: String?
        if write {
            let path = "\(root)/\(RefinementFile.defaultPath(machine: machine.name))"
            try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path,
                                                    withIntermediateDirectories: true)
            try RefinementFile.render(refinement).write(toFile: path, atomically: true, encoding: .utf8)
            models.forget(machine.name)
            written = RefinementFile.defaultPath(machine: machine.name)
        }
        return RefinementSummary.json(refinement, observations: gathered.observations.count, written: written)
    }

    // MARK: verification jobs

    /// Starts a verify job: on this host's device, or, on a server with a queue, as one queue job per candidate.
    func submitVerification(_ r: Request) async throws -> JSONValue {
        let machine = try self.machine(r.string("machine"))
        let device = try r.optionalString("device")
        let limit = try r.fields.optional("limit") { v throws(FormatError) in try v.positiveInt() }
        let policy = VerificationPolicy(checkCount: try r.positive("checks", default: 3, minimum: 2, maximum: 100),
                                        repetitions: try r.positive("repetitions", default: 25, maximum: 10_000))
        let document = try r.document("candidate")
        let text = document.root.serialized()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kernelcast-job-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("candidate.json").path
        let loaded: VerifyInput.Loaded
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            loaded = try VerifyInput.load(path: path, materialize: true, limit: limit)
        } catch {
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
        let options = BatchOptions(machine: machine.name, limits: PhysicalLimits(machine: machine), policy: policy, limit: limit)
        if let queue = jobs.queue {
            // Queued candidates carry their sources; the folder is not needed once they are in the store.
            defer { try? FileManager.default.removeItem(at: folder) }
            let job = try await jobs.enqueue(Array(loaded.entries), options: options, device: device, description: loaded.description, on: queue)
            return .object([("id", .string(job.id)), ("status", .string(job.jobs == 0 ? "done" : "queued")), ("candidates", .int(loaded.count)),
                            ("jobs", .int(job.jobs)), ("status_url", .string("/v1/jobs/\(job.id)"))])
        }
        let id = await jobs.submit(JobQueue.Work(device: device ?? "opencl:0", entries: Array(loaded.entries), options: options,
                                                 description: loaded.description, folder: folder.path))
        return .object([("id", .string(id)), ("status", .string("queued")), ("candidates", .int(loaded.count)),
                        ("status_url", .string("/v1/jobs/\(id)"))])
    }
}

/// Models per machine, built once: the machine's refinement when asked for and present, otherwise default terms.
final class ModelCache: @unchecked Sendable {
    private let lock = NSLock()
    private var models: [String: PlanModel] = [:]

    func model(for machine: Machine, refined: Bool, root: String) throws -> PlanModel {
        let key = "\(machine.name)|\(refined)"
        lock.lock()
        defer { lock.unlock() }
        if let model = models[key] { return model }
        var refinement: Refinement?
        let path = "\(root)/\(RefinementFile.defaultPath(machine: machine.name))"
        if refined, FileManager.default.fileExists(atPath: path) {
            refinement = try RefinementFile.parse(try String(contentsOfFile: path, encoding: .utf8), file: RefinementFile.defaultPath(machine: machine.name))
        }
        let model = PlanModel(machine: machine, refinement: refinement)
        models[key] = model
        return model
    }

    func forget(_ machine: String) {
        lock.lock()
        defer { lock.unlock() }
        models = models.filter { !$0.key.hasPrefix("\(machine)|") }
    }
}

/// Now in ISO 8601, UTC, to the second.
public func isoNow() -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.string(from: Date())
}
