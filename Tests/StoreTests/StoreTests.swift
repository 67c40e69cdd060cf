import Foundation
import GRDB
import Store
import Testing

@Suite struct StoreTests {
    func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("kernelcast-store-\(UUID().uuidString)/kernelcast.sqlite").path
    }

    func result(_ run: String, _ name: String, value: Double = 1) -> BenchmarkResult {
        BenchmarkResult(runID: run, benchmark: "stream", measurement: name, parameters: "{\"bytes\":1024}", samples: "[0.001,0.0011]",
                        sampleUnit: "s", value: value, unit: "B/s", spread: 0.1, status: .ok)
    }

    @Test func opensMigratesAndReopens() throws {
        let path = temporaryPath()
        let first = try Store(path: path)
        #expect(try first.appliedMigrations() == ["calibration-v1", "measurements-v1"])
        let again = try Store(path: path)
        #expect(try again.appliedMigrations() == ["calibration-v1", "measurements-v1"])
        #expect(FileManager.default.fileExists(atPath: path))
    }

    /// Another application's SQLite file is refused, untouched; a store made before the application id is kept.
    @Test func aForeignSQLiteFileIsRefusedAndLeftAsItWas() throws {
        let path = temporaryPath()
        let other = try Store(path: path, schemas: [])
        try #require(other.sqliteDatabase).write { db in try db.execute(sql: "PRAGMA application_id = 0; CREATE TABLE users (name TEXT)") }
        do {
            _ = try Store(path: path)
            Issue.record("opened a foreign file")
        } catch {
            #expect(error.description.contains("is not a kernelcast store (it holds tables users); pass --store PATH for a kernelcast store"))
        }
        let tables = try #require(other.sqliteDatabase).read { db in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'") }
        #expect(tables == ["users"])

        let legacy = temporaryPath()
        let old = try Store(path: legacy)
        try #require(old.sqliteDatabase).write { db in try db.execute(sql: "PRAGMA application_id = 0") }
        let reopened = try Store(path: legacy)
        #expect(try #require(reopened.sqliteDatabase).read { db in try Int32.fetchOne(db, sql: "PRAGMA application_id") } == Store.applicationID)
    }

    @Test func recordedMeasurementsComeBackWholeByMachine() throws {
        let store = try Store.inMemory()
        let first = try store.recordMeasurements(machine: "h100-sxm", spaces: 1, results: 2, receivedAt: "2026-12-04T10:00:00Z", body: "a")
        _ = try store.recordMeasurements(machine: "h200-sxm", spaces: 1, results: 1, receivedAt: "2026-12-04T10:00:01Z", body: "b")
        let second = try store.recordMeasurements(machine: "h100-sxm", spaces: 3, results: 9, receivedAt: "2026-12-04T10:00:02Z", body: "c")
        let recorded = try store.recordedMeasurements(machine: "h100-sxm")
        #expect(recorded.map(\.id) == [first, second])
        #expect(recorded.map(\.body) == ["a", "c"])
        #expect(try store.recordedMeasurements(machine: "l4").isEmpty)
    }

    @Test func runIDsNameTheMachineAndTimeAndNeverCollide() throws {
        let store = try Store.inMemory()
        let moment = Date(timeIntervalSince1970: 1_800_000_000)
        let a = try store.beginCalibrationRun(machine: "h100-sxm", device: "opencl:0", source: .suite, tool: nil, settings: nil, startedAt: moment)
        let b = try store.beginCalibrationRun(machine: "h100-sxm", device: "opencl:0", source: .suite, tool: nil, settings: nil, startedAt: moment)
        #expect(a.id == "cal-h100-sxm-20270115-080000")
        #expect(b.id == "cal-h100-sxm-20270115-080000-2")
        #expect(a.status == .running)
    }

    @Test func recordsAndReadsBackARun() throws {
        let store = try Store.inMemory()
        let run = try store.beginCalibrationRun(machine: "m", device: "opencl:0", source: .suite, tool: "test", settings: "{}")
        try store.recordBenchmarkResults([result(run.id, "copy.float4", value: 3e12), result(run.id, "read.float4", value: 2e12)])
        try store.finishCalibrationRun(id: run.id, status: .ok, failureReason: nil, fields: [
            CalibratedField(runID: run.id, field: "memory.hbm.bandwidth", value: 3e12, unit: "B/s", text: "3 TB/s", benchmark: "stream", specValue: 3.35e12),
        ])
        let stored = try #require(try store.calibrationRun(id: run.id))
        #expect(stored.status == .ok)
        #expect(stored.finishedAt != nil)
        #expect(try store.benchmarkResults(runID: run.id).map(\.measurement) == ["copy.float4", "read.float4"])
        #expect(try store.calibratedFields(runID: run.id).first?.specValue == 3.35e12)
    }

    @Test func aFailedRunKeepsEarlierRunsIntact() throws {
        let store = try Store.inMemory()
        let good = try store.beginCalibrationRun(machine: "m", device: "opencl:0", source: .suite, tool: nil, settings: nil,
                                                 startedAt: Date(timeIntervalSince1970: 1_800_000_000))
        try store.recordBenchmarkResults([result(good.id, "copy.float4")])
        try store.finishCalibrationRun(id: good.id, status: .ok, failureReason: nil, fields: [])

        let bad = try store.beginCalibrationRun(machine: "m", device: "opencl:0", source: .suite, tool: nil, settings: nil,
                                                startedAt: Date(timeIntervalSince1970: 1_800_000_100))
        try store.recordBenchmarkResults([result(bad.id, "read.float4")])
        // A batch that cannot be written (it names a run that does not exist) is rolled back whole.
        #expect(throws: StoreError.self) {
            try store.recordBenchmarkResults([result(bad.id, "write.float4"), result("cal-no-such-run", "x")])
        }
        try store.finishCalibrationRun(id: bad.id, status: .failed, failureReason: "stream: CL_OUT_OF_RESOURCES", fields: [])

        let runs = try store.calibrationRuns(machine: "m")
        #expect(runs.map(\.id) == [bad.id, good.id])
        #expect(runs[0].status == .failed && runs[0].failureReason == "stream: CL_OUT_OF_RESOURCES")
        #expect(runs[1].status == .ok)
        #expect(try store.benchmarkResults(runID: good.id).map(\.measurement) == ["copy.float4"])
        #expect(try store.benchmarkResults(runID: bad.id).map(\.measurement) == ["read.float4"])
    }

    @Test func finishingAnUnknownRunIsNotFound() throws {
        let store = try Store.inMemory()
        do {
            try store.finishCalibrationRun(id: "cal-x", status: .ok, failureReason: nil, fields: [])
            Issue.record("finished a run that does not exist")
        } catch {
            #expect(error.code == .notFound)
        }
    }

    enum NotesSchema: StoreSchema {
        static let migrations = [StoreMigration("notes-v1", sql: "CREATE TABLE note (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")]
    }

    @Test func anotherModuleAddsItsTablesThroughItsOwnSchema() throws {
        let path = temporaryPath()
        let store = try Store(path: path, schemas: Store.builtInSchemas + [NotesSchema.self])
        try store.write("add a note") { tx in try tx.execute("INSERT INTO note (text) VALUES ('hello')") }
        #expect(try store.appliedMigrations() == ["calibration-v1", "measurements-v1", "notes-v1"])
        // Opened again without that schema (an older kernelcast), the store still opens and keeps the table.
        let plain = try Store(path: path)
        #expect(try plain.read("count notes") { tx in try tx.rows("SELECT COUNT(*) AS n FROM note").first?.integer("n") } == 1)
    }

    @Test func pathComesFromOptionThenEnvironmentThenDefault() {
        #expect(Store.resolvePath(option: "a.sqlite", environment: ["KERNELCAST_STORE": "b.sqlite"]) == "a.sqlite")
        #expect(Store.resolvePath(option: nil, environment: ["KERNELCAST_STORE": "b.sqlite"]) == "b.sqlite")
        #expect(Store.resolvePath(option: nil, environment: [:]) == "kernelcast.sqlite")
    }

    @Test func anUnopenablePathIsAnOpenError() {
        do {
            _ = try Store(path: "/proc/kernelcast/nope.sqlite")
            Issue.record("opened a store under /proc")
        } catch {
            #expect(error.code == .open)
            #expect(error.description.hasPrefix("/proc/kernelcast/nope.sqlite: store error (open)"))
        }
    }
}
