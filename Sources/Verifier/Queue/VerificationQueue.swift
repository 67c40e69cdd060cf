import Foundation
import Store

/// The verification queue's tables: the workers that advertised a device, and the jobs waiting for one.
///
/// A job names the device it must run on by vendor, name, driver and platform (the toolchain), never by a host's own
/// selector: a worker takes only jobs for the device it has, so that one GPU's numbers never answer for another.
public enum VerificationQueueSchema: StoreSchema {
    public static let migrations = [
        StoreMigration("verifier-2-queue", sql: """
            CREATE TABLE verifier_worker (
                name TEXT PRIMARY KEY NOT NULL,
                host TEXT NOT NULL,
                pid INTEGER NOT NULL,
                device_id TEXT NOT NULL,
                device_name TEXT NOT NULL,
                device_vendor TEXT NOT NULL,
                driver TEXT NOT NULL,
                platform TEXT NOT NULL,
                started_at TEXT NOT NULL,
                seen_at REAL NOT NULL
            );
            CREATE TABLE verifier_job (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                created_at TEXT NOT NULL,
                batch TEXT NOT NULL,
                machine TEXT NOT NULL,
                kind TEXT NOT NULL CHECK (kind IN ('verify', 'noop')),
                device_name TEXT NOT NULL,
                device_vendor TEXT NOT NULL,
                driver TEXT NOT NULL,
                platform TEXT NOT NULL,
                request TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done')),
                worker TEXT,
                lease_token TEXT,
                lease_until REAL,
                attempts INTEGER NOT NULL,
                verification_id INTEGER REFERENCES verifier_verification(id),
                outcome TEXT,
                finished_at TEXT
            );
            CREATE INDEX verifier_job_claim ON verifier_job (status, device_name, id);
            CREATE INDEX verifier_job_batch ON verifier_job (batch, id);
            """),
    ]
}

/// A job as a worker holds it: what to run, and the lease token that proves the job is still its own.
public struct ClaimedJob: Sendable, Hashable {
    public enum Kind: String, Sendable { case verify, noop }
    public var id: Int64
    public var kind: Kind
    public var batch: String
    public var machine: String
    /// The request as JSON (`RunRequest`); empty for a no-op job.
    public var request: String
    public var token: String
    /// How many times the job was claimed, this claim included (more than one: a worker before this one lost it).
    public var attempts: Int
}

/// A job's state, as whoever queued it waits for it.
public struct JobState: Sendable, Hashable {
    public enum Status: String, Sendable { case queued, running, done }
    public var id: Int64
    public var status: Status
    public var worker: String?
    public var attempts: Int
    public var verificationID: Int64?
    /// The outcome as JSON (`RunOutcome`), once done.
    public var outcome: String?
    /// When it was completed (ISO 8601), once done.
    public var finishedAt: String?
}

/// Verification jobs on the store, claimed under leases.
///
/// A worker claims the oldest job for its device (PostgreSQL: `SELECT ... FOR UPDATE SKIP LOCKED`, so that workers
/// never wait on each other's claims; SQLite: inside a `BEGIN IMMEDIATE` transaction, which holds the one write lock),
/// renews its lease while it runs the job, and completes it in one transaction that checks the lease is still its
/// own and writes the verification and its samples. A worker that dies stops renewing: once its lease has run out,
/// the next claim takes the job again, and the dead worker's completion, should it ever come, is refused. So every
/// job ends with exactly one stored verification.
public struct VerificationQueue: Sendable {
    public let store: Store

    public init(store: Store) { self.store = store }

    /// Seconds since 1970, the clock leases are measured on (the hosts' clocks must agree to well within a lease).
    public static func now() -> Double { Date().timeIntervalSince1970 }

    /// Queues one job per request for `device`, in one transaction; returns their ids.
    public func enqueue(_ requests: [RunRequest], device: DeviceDescription, machine: String, batch: String) throws(VerifierError) -> [Int64] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let texts = requests.map { (try? encoder.encode($0)).map { String(decoding: $0, as: UTF8.self) } ?? "{}" }
        return try enqueue(kind: .verify, requests: texts, device: device, machine: machine, batch: batch)
    }

    /// Queues `count` jobs that do nothing, to measure the queue itself.
    public func enqueueNoOps(_ count: Int, device: DeviceDescription, batch: String) throws(VerifierError) -> [Int64] {
        try enqueue(kind: .noop, requests: Array(repeating: "", count: count), device: device, machine: "none", batch: batch)
    }

    func enqueue(kind: ClaimedJob.Kind, requests: [String], device: DeviceDescription, machine: String, batch: String) throws(VerifierError) -> [Int64] {
        let created = ISO8601DateFormatter().string(from: Date())
        return try run("queue \(requests.count) jobs") {
            try store.write("queue jobs") { tx in
                try requests.map { request in
                    try tx.insert("""
                        INSERT INTO verifier_job (created_at, batch, machine, kind, device_name, device_vendor, driver, platform, request,
                            status, attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0)
                        """, [created, batch, machine, kind.rawValue, device.name, device.vendor, device.driver, device.platform, request])
                }
            }
        }
    }

    /// Records that `name` runs jobs for `device` (a restarted worker replaces its row).
    public func advertise(name: String, device: DeviceDescription) throws(VerifierError) {
        let host = ProcessInfo.processInfo.hostName
        let pid = Int(ProcessInfo.processInfo.processIdentifier)
        try run("advertise worker \(name)") {
            try store.write("advertise a worker") { tx in
                try tx.execute("DELETE FROM verifier_worker WHERE name = ?", [name])
                try tx.execute("""
                    INSERT INTO verifier_worker (name, host, pid, device_id, device_name, device_vendor, driver, platform, started_at, seen_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, [name, host, pid, device.id, device.name, device.vendor, device.driver, device.platform,
                          ISO8601DateFormatter().string(from: Date()), Self.now()])
            }
        }
    }

    /// The devices workers have advertised on this store, most recently seen first (each once).
    public func advertisedDevices() throws(VerifierError) -> [DeviceDescription] {
        try run("read the workers") {
            try store.read("read the workers") { tx in
                var seen: Set<[String]> = []
                return try tx.rows("SELECT device_id, device_name, device_vendor, driver, platform FROM verifier_worker ORDER BY seen_at DESC")
                    .compactMap { row -> DeviceDescription? in
                        let key = ["device_name", "device_vendor", "driver", "platform"].map { row.text($0) ?? "" }
                        guard seen.insert(key).inserted else { return nil }
                        return DeviceDescription(id: row.text("device_id") ?? "", name: key[0], vendor: key[1], driver: key[2],
                                                 platform: key[3], timerResolution: nil)
                    }
            }
        }
    }

    /// Takes the oldest job for `device` that is queued, or whose lease ran out, under a new lease; nil when none.
    public func claim(worker: String, device: DeviceDescription, lease: Double) throws(VerifierError) -> ClaimedJob? {
        let now = Self.now()
        let token = UUID().uuidString
        return try run("claim a job") {
            try store.write("claim a job") { tx in
                let rows = try tx.rows("""
                    SELECT id, kind, batch, machine, request, attempts FROM verifier_job
                    WHERE device_name = ? AND device_vendor = ? AND driver = ? AND platform = ?
                      AND (status = 'queued' OR (status = 'running' AND lease_until < ?))
                    ORDER BY id LIMIT 1
                    """ + tx.dialect.claimLocking, [device.name, device.vendor, device.driver, device.platform, now])
                guard let row = rows.first, let id = row.integer("id") else { return nil }
                let attempts = Int(row.integer("attempts") ?? 0) + 1
                try tx.execute("""
                    UPDATE verifier_job SET status = 'running', worker = ?, lease_token = ?, lease_until = ?, attempts = ? WHERE id = ?
                    """, [worker, token, now + lease, attempts, id])
                try tx.execute("UPDATE verifier_worker SET seen_at = ? WHERE name = ?", [now, worker])
                return ClaimedJob(id: id, kind: ClaimedJob.Kind(rawValue: row.text("kind") ?? "") ?? .noop, batch: row.text("batch") ?? "",
                                  machine: row.text("machine") ?? "", request: row.text("request") ?? "", token: token, attempts: attempts)
            }
        }
    }

    /// Extends the lease of a job still held; false when the lease was lost (another worker has the job).
    public func renew(_ job: ClaimedJob, worker: String, lease: Double) throws(VerifierError) -> Bool {
        let now = Self.now()
        return try run("renew the lease of job \(job.id)") {
            try store.write("renew a lease") { tx in
                let held = try tx.rows("SELECT id FROM verifier_job WHERE id = ? AND lease_token = ? AND status = 'running'" + tx.dialect.rowLocking,
                                       [job.id, job.token])
                guard !held.isEmpty else { return false }
                try tx.execute("UPDATE verifier_job SET lease_until = ? WHERE id = ?", [now + lease, job.id])
                try tx.execute("UPDATE verifier_worker SET seen_at = ? WHERE name = ?", [now, worker])
                return true
            }
        }
    }

    /// Completes a job: the verification (if any), its samples and the job's state in one transaction, and only
    /// while the lease is this worker's. Returns the verification's id, or nil when the lease was lost and nothing
    /// was written.
    public func complete(_ job: ClaimedJob, record: VerificationRecord?, outcome: String?) throws(VerifierError) -> (held: Bool, verificationID: Int64?) {
        try run("complete job \(job.id)") {
            try store.write("complete a job") { tx in
                let held = try tx.rows("SELECT id FROM verifier_job WHERE id = ? AND lease_token = ? AND status = 'running'" + tx.dialect.rowLocking,
                                       [job.id, job.token])
                guard !held.isEmpty else { return (false, nil) }
                let verificationID = try record.map { try VerificationStore.insert($0, tx) }
                try tx.execute("""
                    UPDATE verifier_job SET status = 'done', verification_id = ?, outcome = ?, finished_at = ?, lease_until = NULL WHERE id = ?
                    """, [verificationID, outcome, ISO8601DateFormatter().string(from: Date()), job.id])
                return (true, verificationID)
            }
        }
    }

    /// The state of jobs, by id.
    public func states(_ ids: [Int64]) throws(VerifierError) -> [JobState] {
        guard !ids.isEmpty else { return [] }
        return try run("read job states") {
            try store.read("read job states") { tx in
                var states: [JobState] = []
                // In slices: both backends bound the number of binds in one statement.
                for start in stride(from: 0, to: ids.count, by: 500) {
                    let slice = Array(ids[start..<min(ids.count, start + 500)])
                    let marks = slice.map { _ in "?" }.joined(separator: ", ")
                    states += try tx.rows("SELECT id, status, worker, attempts, verification_id, outcome, finished_at FROM verifier_job WHERE id IN (\(marks)) ORDER BY id",
                                          slice).map(Self.state)
                }
                return states
            }
        }
    }

    /// Every job of a batch, oldest first.
    public func states(batch: String) throws(VerifierError) -> [JobState] {
        try run("read the jobs of \(batch)") {
            try store.read("read job states") { tx in
                try tx.rows("SELECT id, status, worker, attempts, verification_id, outcome, finished_at FROM verifier_job WHERE batch = ? ORDER BY id", [batch])
                    .map(Self.state)
            }
        }
    }

    static func state(_ row: StoreRow) -> JobState {
        JobState(id: row.integer("id") ?? 0, status: JobState.Status(rawValue: row.text("status") ?? "") ?? .queued, worker: row.text("worker"),
                 attempts: Int(row.integer("attempts") ?? 0), verificationID: row.integer("verification_id"), outcome: row.text("outcome"),
                 finishedAt: row.text("finished_at"))
    }

    private func run<T>(_ what: String, _ body: () throws -> T) throws(VerifierError) -> T {
        do {
            return try body()
        } catch {
            throw VerifierError(.store, "cannot \(what)", cause: "\(error)")
        }
    }
}
