import Foundation
import PostgresTestSupport
import Store
import Testing

/// The PostgreSQL backend against a real server: the same records, the same refusals, and copies from SQLite.
@Suite(.enabled(if: PostgresServer.enabled, "PostgreSQL is not installed"), .serialized) struct PostgresStoreTests {
    func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("kernelcast-store-\(UUID().uuidString)/kernelcast.sqlite").path
    }

    /// Writes the same calibration run, results, fields and measurement files, and reads them back.
    func fill(_ store: Store) throws -> String {
        let run = try store.beginCalibrationRun(machine: "h100-sxm", device: "opencl:0", source: .suite, tool: "kernelcast calibrate",
                                                settings: "{\"repetitions\":3}", startedAt: Date(timeIntervalSince1970: 1_800_000_000.25))
        var updated = run
        updated.deviceName = "NVIDIA H100"
        updated.driver = "550.54"
        try store.updateCalibrationRun(updated)
        try store.recordBenchmarkResults([
            BenchmarkResult(runID: run.id, benchmark: "stream", measurement: "copy.float4", parameters: "{\"bytes\":1024}", samples: "[0.001,0.0011]",
                            sampleUnit: "s", value: 3.01e12, unit: "B/s", spread: 0.1, status: .ok),
            BenchmarkResult(runID: run.id, benchmark: "stream", measurement: "read.float4", parameters: "{}", samples: "[]",
                            sampleUnit: "s", value: nil, unit: nil, spread: nil, status: .failed, message: "timed out"),
        ])
        try store.finishCalibrationRun(id: run.id, status: .ok, failureReason: nil, fields: [
            CalibratedField(runID: run.id, field: "memory.hbm.bandwidth", value: 3.01e12, unit: "B/s", text: "3.01 TB/s", benchmark: "stream", specValue: 3.35e12),
        ], finishedAt: Date(timeIntervalSince1970: 1_800_000_060))
        _ = try store.recordMeasurements(machine: "h100-sxm", spaces: 1, results: 2, receivedAt: "2026-12-04T10:00:00Z", body: "kind: kernelcast-measurements")
        return run.id
    }

    struct Contents: Equatable {
        var runs: [CalibrationRun]
        var results: [BenchmarkResult]
        var fields: [CalibratedField]
        var measurements: [RecordedMeasurements]
    }

    func contents(_ store: Store, run: String) throws -> Contents {
        Contents(runs: try store.calibrationRuns(), results: try store.benchmarkResults(runID: run), fields: try store.calibratedFields(runID: run),
                 measurements: try store.recordedMeasurements(machine: "h100-sxm"))
    }

    @Test func bothBackendsHoldTheSameRecords() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let postgres = try Store(path: try server.database("same"))
        let sqlite = try Store(path: temporaryPath())
        let run = try fill(postgres)
        #expect(try fill(sqlite) == run)
        let fromPostgres = try contents(postgres, run: run)
        #expect(fromPostgres == (try contents(sqlite, run: run)))
        #expect(fromPostgres.results.count == 2 && fromPostgres.fields.count == 1 && fromPostgres.runs.first?.status == .ok)
        #expect(try postgres.appliedMigrations() == (try sqlite.appliedMigrations()))
        // A second run in the same second gets the next id, as in SQLite.
        let again = try postgres.beginCalibrationRun(machine: "h100-sxm", device: "opencl:0", source: .suite, tool: nil, settings: nil,
                                                     startedAt: Date(timeIntervalSince1970: 1_800_000_000.25))
        #expect(again.id == run + "-2")
    }

    @Test func aReadNeverCreatesTablesAndAForeignDatabaseIsRefused() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let url = try server.database("empty")
        for _ in 0..<2 {
            do {
                _ = try Store(path: url, mode: .existing)
                Issue.record("a read opened a database without a store")
            } catch {
                #expect(error.code == .notFound)
                #expect(error.description.contains("holds no kernelcast store"))
            }
        }
        #expect(try server.psql("empty", "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'") == "0\n")

        let foreign = try server.database("foreign")
        try server.psql("foreign", "CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('ada')")
        do {
            _ = try Store(path: foreign)
            Issue.record("opened another application's database")
        } catch {
            #expect(error.description.contains("is not a kernelcast store (it holds tables users)"))
        }
        #expect(try server.psql("foreign", "SELECT string_agg(table_name, ',') FROM information_schema.tables WHERE table_schema = 'public'") == "users\n")
    }

    @Test func anSQLiteStoreIsCopiedWholeIntoPostgres() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let sqlite = try Store(path: temporaryPath())
        let run = try fill(sqlite)
        let postgres = try Store(path: try server.database("copy"))
        let summary = try postgres.copy(from: sqlite)
        #expect(summary.rows.first { $0.table == "benchmark_result" }?.count == 2)
        #expect(try contents(postgres, run: run) == (try contents(sqlite, run: run)))
        // The copy's ids go on after the copied ones.
        let next = try postgres.recordMeasurements(machine: "h100-sxm", spaces: 1, results: 1, receivedAt: "2026-12-04T11:00:00Z", body: "b")
        #expect(next == (try sqlite.recordedMeasurements(machine: "h100-sxm")).map(\.id).max()! + 1)
        // A store that holds rows is never copied into: nothing in it is overwritten.
        do {
            _ = try postgres.copy(from: sqlite)
            Issue.record("copied into a store that holds rows")
        } catch {
            #expect(error.description.contains("already holds rows"))
        }
        #expect(try postgres.recordedMeasurements(machine: "h100-sxm").count == 2)
    }
}

@Suite struct PostgresLocationTests {
    @Test func aURLWithAPasswordIsRefusedAndNeverPrinted() {
        do {
            _ = try Store(path: "postgres://kc:hunter2@db.example:5432/kernelcast")
            Issue.record("accepted a password on the command line")
        } catch {
            #expect(!error.description.contains("hunter2"))
            #expect(error.description.contains("carries a password"))
            #expect(error.description.contains("PGPASSWORD"))
        }
    }

    @Test func aURLNeedsAUserAndADatabase() throws {
        for url in ["postgres://db.example/kernelcast", "postgres://kc@db.example", "postgres://kc@db.example/kernelcast?sslmode=require"] {
            #expect(throws: StoreError.self) { try PostgresLocation(url: url) }
        }
        let location = try PostgresLocation(url: "postgresql://kc@db.example/kernelcast")
        #expect(location.display == "postgres://kc@db.example:5432/kernelcast")
    }

    @Test func thePasswordComesFromTheEnvironmentOrAFile() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kc-password-\(UUID().uuidString)")
        try "s3cret\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(try PostgresLocation.password(file: file.path, environment: [:]) == "s3cret")
        #expect(try PostgresLocation.password(file: nil, environment: ["KERNELCAST_STORE_PASSWORD_FILE": file.path]) == "s3cret")
        #expect(try PostgresLocation.password(file: file.path, environment: ["PGPASSWORD": "env"]) == "env")
        #expect(try PostgresLocation.password(file: nil, environment: [:]) == nil)
    }
}
