import Foundation
import GRDB

/// The SQLite file that records calibration runs (and, through their own schemas, other modules' results).
///
/// One file, opened with GRDB over the system SQLite. The default path is `kernelcast.sqlite` in the working folder;
/// `--store PATH` and `$KERNELCAST_STORE` override it (see `resolvePath`). Every method that writes does so in one
/// transaction, so a run that fails halfway leaves whatever was committed before it untouched.
public final class Store: Sendable {
    /// The store file (`:memory:` for an in-memory store).
    public let path: String
    /// The GRDB connection, for modules that add their own tables and queries.
    public let database: DatabaseQueue

    /// The schemas kernelcast opens every store with; a module with tables of its own adds its schema here.
    public static let builtInSchemas: [any StoreSchema.Type] = [CalibrationSchema.self, RecordedMeasurementsSchema.self]

    /// The default file name, in the working folder.
    public static let defaultFileName = "kernelcast.sqlite"

    /// `option` when given, else `$KERNELCAST_STORE`, else `kernelcast.sqlite`.
    public static func resolvePath(option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let option, !option.isEmpty { return option }
        if let env = environment["KERNELCAST_STORE"], !env.isEmpty { return env }
        return defaultFileName
    }

    /// Opens (creating if needed) the store at `path` and brings its schemas up to date.
    public init(path: String, schemas: [any StoreSchema.Type] = Store.builtInSchemas) throws(StoreError) {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.foreignKeysEnabled = true
        do {
            if path == ":memory:" {
                database = try DatabaseQueue(configuration: configuration)
            } else {
                let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
                if !folder.isEmpty { try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
                database = try DatabaseQueue(path: path, configuration: configuration)
            }
        } catch {
            throw StoreError(.open, path: path, "cannot open the store; check the path and permissions, or pass --store PATH", cause: error)
        }
        var migrator = DatabaseMigrator()
        var seen: Set<String> = []
        for schema in schemas {
            for migration in schema.migrations where seen.insert(migration.identifier).inserted {
                let sql = migration.sql
                migrator.registerMigration(migration.identifier) { db in try db.execute(sql: sql) }
            }
        }
        do {
            try migrator.migrate(database)
        } catch {
            throw StoreError(.migration, path: path, "cannot bring the store's tables up to date; is it a kernelcast store?", cause: error)
        }
    }

    /// A store that lives in memory only, for tests.
    public static func inMemory(schemas: [any StoreSchema.Type] = Store.builtInSchemas) throws(StoreError) -> Store {
        try Store(path: ":memory:", schemas: schemas)
    }

    /// Runs `body` in one transaction: all of its writes are kept, or none.
    public func write<T>(_ what: String, _ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try database.write(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.query, path: path, "cannot \(what)", cause: error)
        }
    }

    /// Runs `body` with read-only access.
    public func read<T>(_ what: String, _ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try database.read(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.query, path: path, "cannot \(what)", cause: error)
        }
    }

    /// Identifiers of the migrations applied to this file, in order.
    public func appliedMigrations() throws(StoreError) -> [String] {
        try read("list migrations") { db in
            try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid")
        }
    }
}
