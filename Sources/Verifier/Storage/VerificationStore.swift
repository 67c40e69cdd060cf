import Foundation
import GRDB
import Store

/// The verifier's tables in the store: one row per verification, one per timed repetition.
///
/// A verification and its samples are written in one transaction, and `record` returns only after the commit: a
/// process killed at any moment (kill -9 included) loses nothing it has reported as stored, and a rerun resumes from
/// what was committed.
public enum VerificationSchema: StoreSchema {
    public static let migrations = [
        StoreMigration("verifier-1-verifications", sql: """
            CREATE TABLE verifier_verification (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                created_at TEXT NOT NULL,
                batch TEXT NOT NULL,
                candidate_id TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                family TEXT NOT NULL,
                shape TEXT NOT NULL,
                schedule TEXT NOT NULL,
                origin TEXT NOT NULL,
                machine TEXT NOT NULL,
                device_id TEXT NOT NULL,
                device_name TEXT NOT NULL,
                device_vendor TEXT NOT NULL,
                driver TEXT NOT NULL,
                platform TEXT NOT NULL,
                runner TEXT NOT NULL,
                seeds TEXT NOT NULL,
                sample_count INTEGER NOT NULL,
                median_s REAL,
                p10_s REAL,
                p90_s REAL,
                spread REAL,
                host_median_s REAL,
                lower_bound_s REAL,
                flush_bytes INTEGER,
                verdict TEXT NOT NULL CHECK (verdict IN ('pass', 'reject', 'not_run')),
                reason TEXT,
                message TEXT NOT NULL,
                checks TEXT NOT NULL,
                elapsed_s REAL,
                candidate TEXT NOT NULL
            );
            CREATE INDEX verifier_verification_lookup ON verifier_verification (machine, device_name, fingerprint);
            CREATE TABLE verifier_sample (
                verification_id INTEGER NOT NULL REFERENCES verifier_verification(id) ON DELETE CASCADE,
                repetition INTEGER NOT NULL,
                device_s REAL NOT NULL,
                host_s REAL,
                PRIMARY KEY (verification_id, repetition)
            );
            """),
    ]
}

/// One stored verification, as `measurements list` and `export` show it.
public struct VerificationRecord: Hashable, Sendable, Codable {
    public var id: Int64?
    /// ISO 8601, UTC.
    public var createdAt: String
    /// Groups the verifications of one `kernelcast verify` run.
    public var batch: String
    public var candidateID: String
    public var fingerprint: String
    public var family: String
    public var shape: String
    public var schedule: String
    public var origin: String
    public var machine: String
    public var device: DeviceDescription
    public var runner: String
    public var seeds: [UInt64]
    /// Device seconds per timed repetition.
    public var samples: [Double]
    public var hostSamples: [Double]
    public var median: Double?
    public var p10: Double?
    public var p90: Double?
    public var spread: Double?
    public var hostMedian: Double?
    public var lowerBound: Double?
    public var flushBytes: Int?
    public var verdict: Verdict
    public var reason: Reason?
    public var message: String
    public var checks: [CheckSummary]
    public var elapsed: Double?
    /// The candidate as it ran (wire JSON), so that a verification can be replayed.
    public var candidateJSON: String

    /// A record of an outcome.
    public init(candidate: Candidate, plan: ExecutionPlan, outcome: RunOutcome, machine: String, runner: String, batch: String, hostSamples: [Double] = []) {
        let timing = outcome.judgement.timing
        self.init(
            candidate: candidate, plan: plan, machine: machine, device: outcome.device, runner: runner, batch: batch,
            verdict: outcome.judgement.verdict, reason: outcome.judgement.reason, message: outcome.judgement.message)
        samples = timing?.samples ?? []
        self.hostSamples = hostSamples
        median = timing?.median
        p10 = timing?.p10
        p90 = timing?.p90
        spread = timing?.spread
        hostMedian = timing?.hostMedian
        lowerBound = timing?.lowerBound
        flushBytes = timing?.flushBytes
        checks = outcome.judgement.checks
        elapsed = outcome.elapsed
    }

    /// A record without measurements (a candidate not run, or rejected before running).
    public init(
        candidate: Candidate, plan: ExecutionPlan?, machine: String, device: DeviceDescription, runner: String, batch: String,
        verdict: Verdict, reason: Reason?, message: String
    ) {
        createdAt = ISO8601DateFormatter().string(from: Date())
        self.batch = batch
        candidateID = candidate.id
        fingerprint = candidate.fingerprint
        family = candidate.problem.family
        shape = candidate.problem.definition.shapeText
        schedule = candidate.scheduleText
        origin = candidate.origin
        self.machine = machine
        self.device = device
        self.runner = runner
        seeds = plan?.seeds ?? []
        samples = []
        hostSamples = []
        self.verdict = verdict
        self.reason = reason
        self.message = message
        checks = []
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        candidateJSON = (try? encoder.encode(candidate)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

/// Reads and writes verifications in the store.
public struct VerificationStore: Sendable {
    public let store: Store

    /// Opens the store at `path` with the verifier's tables (and every built-in schema).
    public init(path: String) throws(VerifierError) {
        do {
            store = try Store(path: path, schemas: Store.builtInSchemas + [VerificationSchema.self])
        } catch {
            throw VerifierError(.store, "cannot open the store \(path)", cause: "\(error)")
        }
    }

    public init(store: Store) {
        self.store = store
    }

    /// Writes a verification and its samples in one transaction; returns its id once committed.
    @discardableResult
    public func record(_ record: VerificationRecord) throws(VerifierError) -> Int64 {
        do {
            return try store.write("record a verification") { db in
                try db.execute(
                    sql: """
                    INSERT INTO verifier_verification (created_at, batch, candidate_id, fingerprint, family, shape, schedule,
                        origin, machine, device_id, device_name, device_vendor, driver, platform, runner, seeds, sample_count,
                        median_s, p10_s, p90_s, spread, host_median_s, lower_bound_s, flush_bytes, verdict, reason, message,
                        checks, elapsed_s, candidate)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    arguments: [
                        record.createdAt, record.batch, record.candidateID, record.fingerprint, record.family, record.shape,
                        record.schedule, record.origin, record.machine, record.device.id, record.device.name,
                        record.device.vendor, record.device.driver, record.device.platform, record.runner,
                        Self.json(record.seeds), record.samples.count, record.median, record.p10, record.p90, record.spread,
                        record.hostMedian, record.lowerBound, record.flushBytes, record.verdict.rawValue, record.reason?.rawValue,
                        record.message, Self.json(record.checks), record.elapsed, record.candidateJSON,
                    ])
                let id = db.lastInsertedRowID
                for (index, sample) in record.samples.enumerated() {
                    let host: Double? = index < record.hostSamples.count ? record.hostSamples[index] : nil
                    try db.execute(
                        sql: "INSERT INTO verifier_sample (verification_id, repetition, device_s, host_s) VALUES (?, ?, ?, ?)",
                        arguments: [id, index, sample, host])
                }
                return id
            }
        } catch {
            throw VerifierError(.store, "cannot record the verification of \(record.candidateID)", cause: "\(error)")
        }
    }

    /// The latest verdict per fingerprint for a machine and device (by the device's name, as runners report it).
    public func latestVerdicts(machine: String, deviceName: String) throws(VerifierError) -> [String: Verdict] {
        do {
            return try store.read("read verdicts") { db in
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                    SELECT fingerprint, verdict FROM verifier_verification
                    WHERE id IN (SELECT MAX(id) FROM verifier_verification WHERE machine = ? AND device_name = ? GROUP BY fingerprint)
                    """,
                    arguments: [machine, deviceName])
                var result: [String: Verdict] = [:]
                for row in rows {
                    let fingerprint: String = row["fingerprint"]
                    let verdict: String = row["verdict"]
                    result[fingerprint] = Verdict(rawValue: verdict)
                }
                return result
            }
        } catch {
            throw VerifierError(.store, "cannot read earlier verifications", cause: "\(error)")
        }
    }

    /// Stored verifications, newest last, filtered.
    public func records(machine: String? = nil, device: String? = nil, verdict: Verdict? = nil, family: String? = nil,
                        batch: String? = nil, limit: Int? = nil) throws(VerifierError) -> [VerificationRecord] {
        var conditions: [String] = []
        var arguments: [any DatabaseValueConvertible] = []
        if let machine { conditions.append("machine = ?"); arguments.append(machine) }
        if let device { conditions.append("(device_name = ? OR device_id = ?)"); arguments.append(device); arguments.append(device) }
        if let verdict { conditions.append("verdict = ?"); arguments.append(verdict.rawValue) }
        if let family { conditions.append("family = ?"); arguments.append(family) }
        if let batch { conditions.append("batch = ?"); arguments.append(batch) }
        var sql = "SELECT * FROM verifier_verification"
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        sql += " ORDER BY id DESC"
        if let limit { sql += " LIMIT \(max(0, limit))" }
        let finalSQL = sql
        let finalArguments = StatementArguments(arguments) ?? StatementArguments()
        do {
            return try store.read("list verifications") { db in
                let rows = try Row.fetchAll(db, sql: finalSQL, arguments: finalArguments)
                var records: [VerificationRecord] = []
                for row in rows.reversed() {
                    let id: Int64 = row["id"]
                    let samples = try Row.fetchAll(db, sql: "SELECT device_s, host_s FROM verifier_sample WHERE verification_id = ? ORDER BY repetition", arguments: [id])
                    records.append(Self.record(row, samples: samples))
                }
                return records
            }
        } catch {
            throw VerifierError(.store, "cannot list verifications", cause: "\(error)")
        }
    }

    static func record(_ row: Row, samples: [Row]) -> VerificationRecord {
        let decoder = JSONDecoder()
        let device = DeviceDescription(
            id: row["device_id"], name: row["device_name"], vendor: row["device_vendor"], driver: row["driver"],
            platform: row["platform"], timerResolution: nil)
        let candidate = (row["candidate"] as String?).flatMap { try? decoder.decode(Candidate.self, from: Data($0.utf8)) }
        var record = VerificationRecord(
            candidate: candidate ?? Candidate(id: row["candidate_id"], problem: .copy(CopyProblem(count: 1)), launches: [], origin: row["origin"]),
            plan: nil, machine: row["machine"], device: device, runner: row["runner"], batch: row["batch"],
            verdict: Verdict(rawValue: row["verdict"]) ?? .notRun, reason: (row["reason"] as String?).flatMap(Reason.init(rawValue:)),
            message: row["message"])
        record.id = row["id"]
        record.createdAt = row["created_at"]
        record.candidateID = row["candidate_id"]
        record.fingerprint = row["fingerprint"]
        record.family = row["family"]
        record.shape = row["shape"]
        record.schedule = row["schedule"]
        record.origin = row["origin"]
        record.seeds = (try? decoder.decode([UInt64].self, from: Data((row["seeds"] as String).utf8))) ?? []
        record.samples = samples.map { $0["device_s"] }
        record.hostSamples = samples.compactMap { $0["host_s"] }
        record.median = row["median_s"]
        record.p10 = row["p10_s"]
        record.p90 = row["p90_s"]
        record.spread = row["spread"]
        record.hostMedian = row["host_median_s"]
        record.lowerBound = row["lower_bound_s"]
        record.flushBytes = row["flush_bytes"]
        record.checks = (try? decoder.decode([CheckSummary].self, from: Data((row["checks"] as String).utf8))) ?? []
        record.elapsed = row["elapsed_s"]
        record.candidateJSON = row["candidate"]
        return record
    }

    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}
