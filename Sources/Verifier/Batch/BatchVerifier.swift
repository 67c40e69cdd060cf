import Devices
import Foundation
import MachineModel

/// What a batch did.
public struct BatchSummary: Sendable {
    public var total: Int
    /// Candidates skipped because the store already holds their verdict for this machine and device.
    public var alreadyVerified: Int
    public var passed: Int = 0
    public var rejected: Int = 0
    public var notRun: Int = 0
    /// Candidates left out by `--limit`.
    public var beyondLimit: Int = 0
    /// Candidates identical (same fingerprint) to one earlier in the input, verified once.
    public var duplicates: Int = 0
    /// The runner failed mid-batch; the rest were recorded as not run.
    public var runnerFailure: String?
    public var records: [VerificationRecord] = []
}

public struct BatchOptions: Sendable {
    public var machine: String
    public var limits: PhysicalLimits?
    public var policy: VerificationPolicy
    /// Verify at most this many candidates not yet verified.
    public var limit: Int?
    /// Verify again even candidates with a stored verdict.
    public var force: Bool
    public var batch: String

    public init(machine: String, limits: PhysicalLimits?, policy: VerificationPolicy = VerificationPolicy(), limit: Int? = nil, force: Bool = false,
                batch: String = "batch-\(ISO8601DateFormatter().string(from: Date()))-\(UInt32.random(in: 0...UInt32.max))") {
        self.machine = machine
        self.limits = limits
        self.policy = policy
        self.limit = limit
        self.force = force
        self.batch = batch
    }
}

/// Verifies a list of candidates through one runner, stores each verification before reporting it, and resumes:
/// candidates with a stored pass or reject for this machine and device are skipped.
public final class BatchVerifier {
    public let runner: any CandidateRunner
    public let store: VerificationStore?
    public let options: BatchOptions
    public let progress: any VerificationProgress

    public init(runner: any CandidateRunner, store: VerificationStore?, options: BatchOptions, progress: any VerificationProgress = SilentProgress()) {
        self.runner = runner
        self.store = store
        self.options = options
        self.progress = progress
    }

    /// Verifies `entries` (read once, lazily: only the candidates still to run are kept).
    public func run(_ entries: some Sequence<BatchEntry>) async throws(VerifierError) -> BatchSummary {
        let device = try await runner.describeDevice()
        var (summary, pending) = try select(entries, device: device)
        progress.batchStarted(total: summary.total, toRun: pending.count, alreadyVerified: summary.alreadyVerified, device: device, runner: runner.name)
        let started = monotonicSeconds()
        var failure: VerifierError?
        for (index, entry) in pending.enumerated() {
            let candidate = entry.candidate
            let position = (index: index + 1, count: pending.count)
            let elapsed = monotonicSeconds() - started
            let remaining = index == 0 ? nil : elapsed / Double(index) * Double(pending.count - index)
            progress.candidateStarted(position, candidate, timeLeft: remaining)
            let record: VerificationRecord
            var recordedByRunner = false
            if let failure {
                record = VerificationRecord(
                    candidate: candidate, plan: nil, machine: options.machine, device: device, runner: runner.name, batch: options.batch,
                    verdict: .notRun, reason: .runnerFailed, message: "not run: the runner failed earlier in the batch (\(failure.message))")
            } else if let rejection = entry.rejection {
                record = VerificationRecord(
                    candidate: candidate, plan: nil, machine: options.machine, device: device, runner: runner.name, batch: options.batch,
                    verdict: .reject, reason: rejection.reason, message: rejection.message)
            } else {
                let plan = options.policy.plan(for: candidate.problem, lastLevelCache: options.limits?.lastLevelCache.map { Bytes($0) })
                do {
                    let outcome = try await runner.run(RunRequest(candidate: candidate, plan: plan, limits: options.limits))
                    record = VerificationRecord(candidate: candidate, plan: plan, outcome: outcome, machine: options.machine, runner: runner.name, batch: options.batch)
                    recordedByRunner = runner.recordsVerifications
                } catch {
                    failure = error
                    summary.runnerFailure = error.description
                    record = VerificationRecord(
                        candidate: candidate, plan: plan, machine: options.machine, device: device, runner: runner.name, batch: options.batch,
                        verdict: .notRun, reason: .runnerFailed, message: "not run: \(error.message)\(error.cause.map { " (\($0))" } ?? "")")
                }
            }
            var stored = record
            if let store, !recordedByRunner { stored.id = try store.record(record) }
            switch record.verdict {
            case .pass: summary.passed += 1
            case .reject: summary.rejected += 1
            case .notRun: summary.notRun += 1
            }
            summary.records.append(stored)
            let after = monotonicSeconds() - started
            let left = Double(pending.count - index - 1) * after / Double(index + 1)
            progress.candidateFinished(position, candidate, record: stored, timeLeft: index + 1 == pending.count ? 0 : left)
        }
        progress.batchFinished(summary)
        return summary
    }

    /// The entries still to verify on `device`: not verified there before (unless forced), each fingerprint once,
    /// at most `limit`.
    func select(_ entries: some Sequence<BatchEntry>, device: DeviceDescription) throws(VerifierError) -> (BatchSummary, [BatchEntry]) {
        let known = options.force ? [:] : (try store?.latestVerdicts(machine: options.machine, deviceName: device.name) ?? [:])
        var summary = BatchSummary(total: 0, alreadyVerified: 0)
        var pending: [BatchEntry] = []
        var seen: Set<String> = []
        for entry in entries {
            summary.total += 1
            let fingerprint = entry.candidate.fingerprint
            if let verdict = known[fingerprint], verdict != .notRun {
                summary.alreadyVerified += 1
            } else if !seen.insert(fingerprint).inserted {
                // The same kernel on the same problem twice in one input (two schedules that build the same kernel).
                summary.duplicates += 1
            } else if let limit = options.limit, pending.count >= limit {
                summary.beyondLimit += 1
            } else {
                pending.append(entry)
            }
        }
        return (summary, pending)
    }

    /// Queues the entries still to verify as jobs for `device` (workers run them), in one transaction; a candidate
    /// rejected before running is stored at once, as `run` stores it. Returns the jobs' ids.
    public func enqueue(_ entries: some Sequence<BatchEntry>, on queue: VerificationQueue, device: DeviceDescription) throws(VerifierError) -> (summary: BatchSummary, jobs: [Int64]) {
        var (summary, pending) = try select(entries, device: device)
        var requests: [RunRequest] = []
        for entry in pending {
            if let rejection = entry.rejection {
                let record = VerificationRecord(
                    candidate: entry.candidate, plan: nil, machine: options.machine, device: device, runner: "queue", batch: options.batch,
                    verdict: .reject, reason: rejection.reason, message: rejection.message)
                if let store { try store.record(record) }
                summary.rejected += 1
                summary.records.append(record)
            } else {
                let plan = options.policy.plan(for: entry.candidate.problem, lastLevelCache: options.limits?.lastLevelCache.map { Bytes($0) })
                requests.append(RunRequest(candidate: entry.candidate, plan: plan, limits: options.limits))
            }
        }
        return (summary, try queue.enqueue(requests, device: device, machine: options.machine, batch: options.batch))
    }

}
