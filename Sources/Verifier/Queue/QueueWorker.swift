import Devices
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A worker: claims the store's jobs for its device, one at a time, runs each on the device and completes it with its
/// verification (`kernelcast worker`).
///
/// Jobs never share the device: each job runs while the worker holds the device's lock file on this host, so two
/// workers started for one GPU take turns, and a lease is renewed by a thread of its own while the job runs.
public final class QueueWorker: @unchecked Sendable {
    public let queue: VerificationQueue
    public let runner: InProcessRunner
    public let name: String
    /// Seconds a claim holds a job without renewal; renewed every third of it.
    public let lease: Double
    /// Seconds to wait between claims when no job is there.
    public let poll: Double

    public enum Event: Sendable {
        case started(DeviceDescription)
        case claimed(ClaimedJob)
        case completed(ClaimedJob, verdict: Verdict?, verificationID: Int64?)
        /// The lease ran out before the job completed and another worker may have it: nothing was stored.
        case leaseLost(ClaimedJob)
        case failed(ClaimedJob, String)
    }

    public init(queue: VerificationQueue, runner: InProcessRunner, name: String, lease: Double, poll: Double = 0.2) {
        self.queue = queue
        self.runner = runner
        self.name = name
        self.lease = lease
        self.poll = poll
    }

    /// Works until `idleExit` seconds pass with no job to claim (forever when nil).
    public func run(idleExit: Double?, _ observe: @escaping @Sendable (Event) -> Void) throws(VerifierError) {
        let device = runner.executor.description
        try queue.advertise(name: name, device: device)
        observe(.started(device))
        let lock = try DeviceLock(device: device)
        var idleSince = monotonicSeconds()
        while true {
            let done = try lock.holding { () throws(VerifierError) -> Bool in
                guard let job = try queue.claim(worker: name, device: device, lease: lease) else { return false }
                observe(.claimed(job))
                try work(job, observe)
                return true
            }
            if done {
                idleSince = monotonicSeconds()
            } else {
                if let idleExit, monotonicSeconds() - idleSince >= idleExit { return }
                usleep(useconds_t(poll * 1_000_000))
            }
        }
    }

    func work(_ job: ClaimedJob, _ observe: @escaping @Sendable (Event) -> Void) throws(VerifierError) {
        let heartbeat = Heartbeat(interval: lease / 3) { [queue, name, lease] in
            (try? queue.renew(job, worker: name, lease: lease)) ?? true
        }
        defer { heartbeat.stop() }
        var record: VerificationRecord?
        var outcomeText: String?
        var verdict: Verdict?
        if job.kind == .verify {
            guard let request = try? JSONDecoder().decode(RunRequest.self, from: Data(job.request.utf8)) else {
                observe(.failed(job, "the job's request is not a run request"))
                _ = try queue.complete(job, record: nil, outcome: nil)
                return
            }
            let outcome = runner.runSynchronously(request)
            record = VerificationRecord(candidate: request.candidate, plan: request.plan, outcome: outcome, machine: job.machine,
                                        runner: "worker \(name)", batch: job.batch)
            verdict = outcome.judgement.verdict
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            outcomeText = (try? encoder.encode(outcome)).map { String(decoding: $0, as: UTF8.self) }
        }
        heartbeat.stop()
        let completed = try queue.complete(job, record: record, outcome: outcomeText)
        observe(completed.held ? .completed(job, verdict: verdict, verificationID: completed.verificationID) : .leaseLost(job))
    }
}

/// Renews a lease every `interval` seconds on a thread of its own until stopped, or until renewal says the lease is lost.
final class Heartbeat: @unchecked Sendable {
    private let condition = NSCondition()
    private var stopped = false

    init(interval: Double, renew: @escaping @Sendable () -> Bool) {
        let thread = Thread { [self] in
            condition.lock()
            defer { condition.unlock() }
            while !stopped {
                if condition.wait(until: Date().addingTimeInterval(interval)) { continue }
                if stopped { break }
                condition.unlock()
                let held = renew()
                condition.lock()
                if !held { break }
            }
        }
        thread.start()
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }
}

/// An exclusive lock on one device of this host, by a lock file in the temporary folder: the kernel lets it go when
/// the holder exits, killed or not.
struct DeviceLock {
    let descriptor: Int32

    init(device: DeviceDescription) throws(VerifierError) {
        let safe = "\(device.vendor)-\(device.name)-\(device.id)".map { $0.isLetter || $0.isNumber ? $0 : "_" }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kernelcast-device-\(String(safe)).lock").path
        descriptor = open(path, O_RDWR | O_CREAT, 0o666)
        guard descriptor >= 0 else { throw VerifierError(.device, "cannot open the device's lock file \(path)", cause: String(cString: strerror(errno))) }
    }

    func holding<T>(_ body: () throws(VerifierError) -> T) throws(VerifierError) -> T {
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else { throw VerifierError(.device, "cannot lock the device", cause: String(cString: strerror(errno))) }
        }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }
}
