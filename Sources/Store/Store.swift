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

    /// Whether opening may make a new store: commands that only read never leave a file (or folders) behind.
    public enum OpenMode: Sendable {
        /// Creates the file (and its folder) when missing; an empty file becomes a store.
        case create
        /// The store must exist: a missing or empty file is an error, and nothing is created.
        case existing
    }

    /// Opens the store at `path` (creating it if `mode` allows) and brings its schemas up to date.
    public init(path: String, schemas: [any StoreSchema.Type] = Store.builtInSchemas, mode: OpenMode = .create) throws(StoreError) {
        self.path = path
        if mode == .existing, path != ":memory:" { try Self.requireExisting(path) }
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
        try Self.claim(database, path: path, ours: seen)
        do {
            try migrator.migrate(database)
        } catch {
            throw StoreError(.migration, path: path, "cannot bring the store's tables up to date; is it a kernelcast store?", cause: error)
        }
    }

    /// A read finds nothing to read in a missing or empty file: say so rather than make an empty store.
    static func requireExisting(_ path: String) throws(StoreError) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw StoreError(.notFound, path: path, "no store here; a store is made by calibrate, verify, loop or record (pass --store PATH or set KERNELCAST_STORE for another)")
        }
        if isFolder.boolValue { throw StoreError(.open, path: path, "is a folder, not a store file; pass --store PATH for a kernelcast store") }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        if size == 0 { throw StoreError(.open, path: path, "is an empty file, not a store; only a command that records makes a store of it") }
    }

    /// SQLite's application id of a kernelcast store ("KCST"), written into every store it creates.
    public static let applicationID: Int32 = 0x4B43_5354

    /// Refuses another application's SQLite file rather than adding tables to it: a file is a store when it carries
    /// kernelcast's application id, or is empty, or (stores made before the id) holds only kernelcast's migrations.
    static func claim(_ database: DatabaseQueue, path: String, ours: Set<String>) throws(StoreError) {
        do {
            try database.writeWithoutTransaction { db in
                let id = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                if id == applicationID { return }
                guard id == 0 else {
                    throw StoreError(.open, path: path, "is another application's SQLite file (application id \(id)); pass --store PATH for a kernelcast store")
                }
                let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
                if !tables.isEmpty {
                    let applied = tables.contains("grdb_migrations")
                        ? try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") : []
                    guard !applied.isEmpty, applied.allSatisfy(ours.contains) else {
                        throw StoreError(.open, path: path, "is not a kernelcast store (it holds tables \(tables.prefix(5).joined(separator: ", "))); pass --store PATH for a kernelcast store")
                    }
                }
                try db.execute(sql: "PRAGMA application_id = \(applicationID)")
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.open, path: path, "cannot read the store's header; is it an SQLite file?", cause: error)
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
