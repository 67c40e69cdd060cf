import Foundation

/// Measurement files (kernelcast-measurements) handed to KernelCast by programs (`POST /v1/measurements`, the MCP
/// tool `record`), kept whole so that `refine` reads them exactly as it reads the files in calibration/measurements/.
public enum RecordedMeasurementsSchema: StoreSchema {
    public static let migrations: [StoreMigration] = [
        StoreMigration("measurements-v1", sql: """
            CREATE TABLE recorded_measurements (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                machine TEXT NOT NULL,
                spaces INTEGER NOT NULL,
                results INTEGER NOT NULL,
                received_at DATETIME NOT NULL,
                body TEXT NOT NULL
            );
            CREATE INDEX recorded_measurements_machine ON recorded_measurements(machine, id);
            """),
    ]
}

/// One recorded measurement file.
public struct RecordedMeasurements: Sendable, Hashable {
    public var id: Int
    public var machine: String
    public var receivedAt: String
    public var body: String
}

extension Store {
    /// Stores a measurement file's text in one transaction and returns its id.
    public func recordMeasurements(machine: String, spaces: Int, results: Int, receivedAt: String, body: String) throws(StoreError) -> Int {
        try write("record measurements") { tx in
            Int(try tx.insert("INSERT INTO recorded_measurements (machine, spaces, results, received_at, body) VALUES (?, ?, ?, ?, ?)",
                              [machine, spaces, results, receivedAt, body]))
        }
    }

    /// The recorded measurement files of a machine, oldest first.
    public func recordedMeasurements(machine: String) throws(StoreError) -> [RecordedMeasurements] {
        try read("read recorded measurements") { tx in
            try tx.rows("SELECT id, machine, received_at, body FROM recorded_measurements WHERE machine = ? ORDER BY id", [machine]).map { row in
                RecordedMeasurements(id: Int(row.integer("id") ?? 0), machine: row.text("machine") ?? "", receivedAt: row.text("received_at") ?? "",
                                     body: row.text("body") ?? "")
            }
        }
    }
}
