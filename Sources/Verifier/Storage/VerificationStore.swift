import Foundation
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
    /// The compiler's facts per launch, shown with the verdict (not a column of the store).
    public var compiler: [LaunchFacts]?

    /// A record of an outcome.
    public init(candidate: Candidate, plan: ExecutionPlan, outcome: RunOutcome, machine: String, runner: String, batch: String, hostSamples: [Double] = []) {
        let timing = outcome.judgement.timing
        self.init(
            candidate: candidate, plan: plan, machine: machine, device: outcome.device, runner: runner, batch: batch,
            verdict: outcome.judgement.verdict, reason: outcome.judgement.reason, message: outcome.judgement.message)
        compiler = outcome.judgement.compiler
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

    /// Every schema a store with verifications opens with.
    public static let schemas: [any StoreSchema.Type] = Store.builtInSchemas + [VerificationSchema.self, VerificationQueueSchema.self]

    /// Opens the store at `path` (a file or a `postgres://` URL) with the verifier's tables and every built-in schema.
    public init(path: String, passwordFile: String? = nil) throws(VerifierError) {
        do {
            store = try Store(path: path, schemas: Self.schemas, passwordFile: passwordFile)
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
            return try store.write("record a verification") { tx in try Self.insert(record, tx) }
        } catch {
            throw VerifierError(.store, "cannot record the verification of \(record.candidateID)", cause: "\(error)")
        }
    }

    /// Inserts a verification and its samples inside the caller's transaction (a worker's also completes its job).
    static func insert(_ record: VerificationRecord, _ tx: StoreTransaction) throws -> Int64 {
        let id = try tx.insert(
            """
            INSERT INTO verifier_verification (created_at, batch, candidate_id, fingerprint, family, shape, schedule,
                origin, machine, device_id, device_name, device_vendor, driver, platform, runner, seeds, sample_count,
                median_s, p10_s, p90_s, spread, host_median_s, lower_bound_s, flush_bytes, verdict, reason, message,
                checks, elapsed_s, candidate)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                record.createdAt, record.batch, record.candidateID, record.fingerprint, record.family, record.shape,
                record.schedule, record.origin, record.machine, record.device.id, record.device.name,
                record.device.vendor, record.device.driver, record.device.platform, record.runner,
                Self.json(record.seeds), record.samples.count, record.median, record.p10, record.p90, record.spread,
                record.hostMedian, record.lowerBound, record.flushBytes, record.verdict.rawValue, record.reason?.rawValue,
                record.message, Self.json(record.checks), record.elapsed, record.candidateJSON,
            ])
        for (index, sample) in record.samples.enumerated() {
            let host: Double? = index < record.hostSamples.count ? record.hostSamples[index] : nil
            try tx.execute("INSERT INTO verifier_sample (verification_id, repetition, device_s, host_s) VALUES (?, ?, ?, ?)",
                           [id, index, sample, host])
        }
        return id
    }

    /// The latest verdict per fingerprint for a machine and device (by the device's name, as runners report it).
    public func latestVerdicts(machine: String, deviceName: String) throws(VerifierError) -> [String: Verdict] {
        do {
            return try store.read("read verdicts") { tx in
                let rows = try tx.rows(
                    """
                    SELECT fingerprint, verdict FROM verifier_verification
                    WHERE id IN (SELECT MAX(id) FROM verifier_verification WHERE machine = ? AND device_name = ? GROUP BY fingerprint)
                    """,
                    [machine, deviceName])
                var result: [String: Verdict] = [:]
                for row in rows {
                    guard let fingerprint = row.text("fingerprint"), let verdict = row.text("verdict").flatMap(Verdict.init(rawValue:)) else { continue }
                    result[fingerprint] = verdict
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
        var arguments: [any StoreBindable] = []
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
        let finalArguments = arguments
        do {
            return try store.read("list verifications") { tx in
                try tx.rows(finalSQL, finalArguments).reversed().map { row in try Self.record(row, tx) }
            }
        } catch {
            throw VerifierError(.store, "cannot list verifications", cause: "\(error)")
        }
    }

    /// The verification in `row`, with its samples.
    static func record(_ row: StoreRow, _ tx: StoreTransaction) throws -> VerificationRecord {
        let samples = try tx.rows("SELECT device_s, host_s FROM verifier_sample WHERE verification_id = ? ORDER BY repetition", [row.integer("id")])
        return record(row, samples: samples)
    }

    static func record(_ row: StoreRow, samples: [StoreRow]) -> VerificationRecord {
        let decoder = JSONDecoder()
        let text = { (column: String) in row.text(column) ?? "" }
        let device = DeviceDescription(
            id: text("device_id"), name: text("device_name"), vendor: text("device_vendor"), driver: text("driver"),
            platform: text("platform"), timerResolution: nil)
        let candidate = row.text("candidate").flatMap { try? decoder.decode(Candidate.self, from: Data($0.utf8)) }
        var record = VerificationRecord(
            candidate: candidate ?? Candidate(id: text("candidate_id"), problem: .copy(CopyProblem(count: 1)), launches: [], origin: text("origin")),
            plan: nil, machine: text("machine"), device: device, runner: text("runner"), batch: text("batch"),
            verdict: Verdict(rawValue: text("verdict")) ?? .notRun, reason: row.text("reason").flatMap(Reason.init(rawValue:)),
            message: text("message"))
        record.id = row.integer("id")
        record.createdAt = text("created_at")
        record.candidateID = text("candidate_id")
        record.fingerprint = text("fingerprint")
        record.family = text("family")
        record.shape = text("shape")
        record.schedule = text("schedule")
        record.origin = text("origin")
        record.seeds = (try? decoder.decode([UInt64].self, from: Data(text("seeds").utf8))) ?? []
        record.samples = samples.map { $0.real("device_s") ?? 0 }
        record.hostSamples = samples.compactMap { $0.real("host_s") }
        record.median = row.real("median_s")
        record.p10 = row.real("p10_s")
        record.p90 = row.real("p90_s")
        record.spread = row.real("spread")
        record.hostMedian = row.real("host_median_s")
        record.lowerBound = row.real("lower_bound_s")
        record.flushBytes = row.integer("flush_bytes").map(Int.init)
        record.checks = (try? decoder.decode([CheckSummary].self, from: Data(text("checks").utf8))) ?? []
        record.elapsed = row.real("elapsed_s")
        record.candidateJSON = text("candidate")
        return record
    }

    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}
