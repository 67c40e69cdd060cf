import Foundation
import MachineModel
import Store
import Verifier

/// Verification jobs of one server, kept for the server's life. Without a queue, jobs run on this host's device
/// strictly one at a time (two jobs never share a device's timing), in the order submitted, each stored in the store as
/// it finishes. With one (`kernelcast serve --queue`), a job's candidates become jobs on the store's verification queue,
/// one per candidate, which `kernelcast worker`s run and store; the job's status is read back from the store.
actor JobQueue {
    struct Work: Sendable {
        var device: String
        var entries: [BatchEntry]
        var options: BatchOptions
        var description: String
        var folder: String
    }

    enum State: String { case queued, running, done, failed }

    struct Job {
        var id: String
        var work: Work
        var state: State
        var submitted: String
        var started: String?
        var finished: String?
        var summary: BatchSummary?
        var error: String?
    }

    /// A job whose candidates wait on the store's queue: one queue job each, all in one batch.
    struct Queued {
        var id: String
        var device: DeviceDescription
        var machine: String
        var description: String
        var submitted: String
        var batch: String
        var jobIDs: [Int64]
        /// What was settled before queueing: candidates already verified, and those rejected without running
        /// (stored in the batch at once).
        var settled: BatchSummary
    }

    let storePath: String
    let passwordFile: String?
    /// The store's verification queue that takes every job's candidates; nil: jobs run on this host's device.
    let queue: VerificationQueue?
    private var jobs: [String: Job] = [:]
    private var queued: [String: Queued] = [:]
    private var order: [String] = []
    private var running = false
    private var counter = 0

    /// Opens the store now when `queued`, so that a server whose store cannot be reached says so at start.
    init(storePath: String, passwordFile: String?, queued: Bool) throws(VerifierError) {
        self.storePath = storePath
        self.passwordFile = passwordFile
        queue = queued ? VerificationQueue(store: try VerificationStore(path: storePath, passwordFile: passwordFile).store) : nil
    }

    private func newID() -> String {
        counter += 1
        return "job-\(counter)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    func submit(_ work: Work) -> String {
        let id = newID()
        jobs[id] = Job(id: id, work: work, state: .queued, submitted: isoNow())
        order.append(id)
        if !running {
            running = true
            Task { await self.drain() }
        }
        return id
    }

    private func drain() async {
        while let id = order.first(where: { jobs[$0]?.state == .queued }) {
            jobs[id]?.state = .running
            jobs[id]?.started = isoNow()
            let work = jobs[id]!.work
            do {
                let summary = try await Self.run(work, storePath: storePath, passwordFile: passwordFile)
                jobs[id]?.summary = summary
                jobs[id]?.state = summary.runnerFailure == nil ? .done : .failed
                jobs[id]?.error = summary.runnerFailure
            } catch {
                jobs[id]?.state = .failed
                jobs[id]?.error = error.description
            }
            jobs[id]?.finished = isoNow()
            try? FileManager.default.removeItem(atPath: work.folder)
        }
        running = false
    }

    private static func run(_ work: Work, storePath: String, passwordFile: String?) async throws(VerifierError) -> BatchSummary {
        let runner = try InProcessRunner(selector: work.device)
        let store = try VerificationStore(path: storePath, passwordFile: passwordFile)
        return try await BatchVerifier(runner: runner, store: store, options: work.options).run(work.entries)
    }

    /// Queues the candidates not verified yet on `queue` for the advertised device matching `device` (the only one
    /// advertised, when nil), in one transaction, as `kernelcast verify --queue` does; returns the job's id and how
    /// many queue jobs it has (none when every candidate was verified before or rejected without running).
    func enqueue(_ entries: [BatchEntry], options: BatchOptions, device: String?, description: String,
                 on queue: VerificationQueue) throws -> (id: String, jobs: Int) {
        let devices = try queue.advertisedDevices()
        guard !devices.isEmpty else {
            throw ServiceError(.notFound, QueueRunner.noWorker,
                               remedy: "start kernelcast worker --device D --store \(storePath) on a host with the device")
        }
        let target: DeviceDescription
        do {
            target = try QueueRunner.device(among: devices, matching: device)
        } catch {
            throw ServiceError(.notFound, error.message, remedy: "name part of one advertised device in device")
        }
        let runner = QueueRunner(queue: queue, device: target, machine: options.machine, batch: options.batch, timeout: 0)
        let batch = BatchVerifier(runner: runner, store: VerificationStore(store: queue.store), options: options)
        let (settled, jobIDs) = try batch.enqueue(entries, on: queue, device: target)
        let id = newID()
        queued[id] = Queued(id: id, device: target, machine: options.machine, description: description, submitted: isoNow(),
                            batch: options.batch, jobIDs: jobIDs, settled: settled)
        return (id, jobIDs.count)
    }

    /// The job's state as `GET /v1/jobs/{id}` answers it; nil when no job has that id.
    func status(_ id: String) throws(VerifierError) -> JSONValue? {
        if let job = queued[id], let queue { return try Self.status(job, on: queue) }
        guard let job = jobs[id] else { return nil }
        var pairs: [(String, JSONValue)] = [
            ("id", .string(job.id)), ("status", .string(job.state.rawValue)), ("input", .string(job.work.description)),
            ("device", .string(job.work.device)), ("machine", .string(job.work.options.machine)),
            ("submitted", .string(job.submitted)), ("started", job.started.map(JSONValue.string) ?? .null),
            ("finished", job.finished.map(JSONValue.string) ?? .null), ("error", job.error.map(JSONValue.string) ?? .null),
        ]
        if let s = job.summary {
            pairs.append(("summary", Self.summary(total: s.total, alreadyVerified: s.alreadyVerified, passed: s.passed, rejected: s.rejected,
                                                  notRun: s.notRun)))
            pairs.append(("verifications", Self.verifications(s.records)))
        }
        return .object(pairs)
    }

    /// A queued job's state, read from the store: done when every queue job is, queued while none has been claimed,
    /// running in between. The verdicts are those stored in its batch so far: rejections before running, and each
    /// worker's verification (a queue job completed without one counts as not run).
    static func status(_ job: Queued, on queue: VerificationQueue) throws(VerifierError) -> JSONValue {
        let states = try queue.states(job.jobIDs)
        let records = try VerificationStore(store: queue.store).records(batch: job.batch)
        let count = { (status: JobState.Status) in states.filter { $0.status == status }.count }
        let (waiting, running, done) = (count(.queued), count(.running), count(.done))
        let status: State = done == states.count ? .done : waiting == states.count ? .queued : .running
        let finished = status == .done ? (states.compactMap(\.finishedAt).max() ?? job.submitted) : nil
        let verdicts = { (verdict: Verdict) in records.filter { $0.verdict == verdict }.count }
        let withoutVerification = states.filter { $0.status == .done && $0.verificationID == nil }.count
        return .object([
            ("id", .string(job.id)), ("status", .string(status.rawValue)), ("input", .string(job.description)),
            ("device", .string(job.device.name)), ("machine", .string(job.machine)),
            ("submitted", .string(job.submitted)), ("started", .null), ("finished", finished.map(JSONValue.string) ?? .null),
            ("error", .null), ("batch", .string(job.batch)),
            ("jobs", .object([("queued", .int(waiting)), ("running", .int(running)), ("done", .int(done))])),
            ("summary", summary(total: job.settled.total, alreadyVerified: job.settled.alreadyVerified, passed: verdicts(.pass),
                                rejected: verdicts(.reject), notRun: verdicts(.notRun) + withoutVerification)),
            ("verifications", verifications(records)),
        ])
    }

    static func summary(total: Int, alreadyVerified: Int, passed: Int, rejected: Int, notRun: Int) -> JSONValue {
        .object([("total", .int(total)), ("already_verified", .int(alreadyVerified)), ("passed", .int(passed)),
                 ("rejected", .int(rejected)), ("not_run", .int(notRun))])
    }

    static func verifications(_ records: [VerificationRecord]) -> JSONValue {
        .array(records.map { record in
            .object([("candidate", .string(record.candidateID)), ("verdict", .string(record.verdict.rawValue)),
                     ("reason", record.reason.map { .string($0.rawValue) } ?? .null), ("message", .string(record.message)),
                     ("median_s", record.median.map(JSONValue.number) ?? .null),
                     ("spread", record.spread.map(JSONValue.number) ?? .null), ("device", .string(record.device.name))])
        })
    }
}
