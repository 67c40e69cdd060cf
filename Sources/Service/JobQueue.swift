import Foundation
import MachineModel
import Store
import Verifier

/// Verification jobs of one server: run strictly one at a time (two jobs never share a device's timing), in the
/// order submitted, each stored in the store as it finishes. Jobs are kept for the server's life.
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

    let storePath: String
    private var jobs: [String: Job] = [:]
    private var order: [String] = []
    private var running = false
    private var counter = 0

    init(storePath: String) {
        self.storePath = storePath
    }

    func submit(_ work: Work) -> String {
        counter += 1
        let id = "job-\(counter)-\(UUID().uuidString.prefix(8).lowercased())"
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
                let summary = try await Self.run(work, storePath: storePath)
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

    private static func run(_ work: Work, storePath: String) async throws(VerifierError) -> BatchSummary {
        let runner = try InProcessRunner(selector: work.device)
        let store = try VerificationStore(path: storePath)
        return try await BatchVerifier(runner: runner, store: store, options: work.options).run(work.entries)
    }

    func status(_ id: String) -> JSONValue? {
        guard let job = jobs[id] else { return nil }
        var pairs: [(String, JSONValue)] = [
            ("id", .string(job.id)), ("status", .string(job.state.rawValue)), ("input", .string(job.work.description)),
            ("device", .string(job.work.device)), ("machine", .string(job.work.options.machine)),
            ("submitted", .string(job.submitted)), ("started", job.started.map(JSONValue.string) ?? .null),
            ("finished", job.finished.map(JSONValue.string) ?? .null), ("error", job.error.map(JSONValue.string) ?? .null),
        ]
        if let s = job.summary {
            pairs.append(("summary", .object([("total", .int(s.total)), ("already_verified", .int(s.alreadyVerified)),
                                             ("passed", .int(s.passed)), ("rejected", .int(s.rejected)), ("not_run", .int(s.notRun))])))
            pairs.append(("verifications", .array(s.records.map { record in
                .object([("candidate", .string(record.candidateID)), ("verdict", .string(record.verdict.rawValue)),
                         ("reason", record.reason.map { .string($0.rawValue) } ?? .null), ("message", .string(record.message)),
                         ("median_s", record.median.map(JSONValue.number) ?? .null),
                         ("spread", record.spread.map(JSONValue.number) ?? .null), ("device", .string(record.device.name))])
            })))
        }
        return .object(pairs)
    }
}
