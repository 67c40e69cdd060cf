import Foundation
import GRDB

/// The store that records calibration runs (and, through their own schemas, other modules' results): an SQLite file,
/// or a PostgreSQL database that a team shares.
///
/// SQLite is the default: one file, opened with GRDB over the system SQLite, `kernelcast.sqlite` in the working folder
/// unless `--store PATH` or `$KERNELCAST_STORE` says otherwise (see `resolvePath`). A `postgres://user@host/db` location
/// opens PostgreSQL instead, with the same tables and the same statements. Every method that writes does so in one
/// transaction, so a run that fails halfway leaves whatever was committed before it untouched.
public final class Store: Sendable {
    /// The store file (`:memory:` for an in-memory store), or the PostgreSQL URL (without a password).
    public let path: String
    let backend: Backend

    enum Backend: Sendable {
        case sqlite(DatabaseQueue)
        case postgres(PostgresBackend)
    }

    /// The GRDB connection of an SQLite store (nil for PostgreSQL), for tests that look at the file itself.
    public var sqliteDatabase: DatabaseQueue? {
        if case .sqlite(let queue) = backend { return queue }
        return nil
    }

    /// Which SQL the store speaks.
    public var dialect: StoreDialect {
        if case .postgres = backend { return .postgres }
        return .sqlite
    }

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

    /// Whether opening may make a new store: commands that only read never leave a file (or folders, or tables) behind.
    public enum OpenMode: Sendable {
        /// Creates the file (and its folder) when missing; an empty file or database becomes a store.
        case create
        /// The store must exist: a missing or empty file, or a database without kernelcast's tables, is an error,
        /// and nothing is created.
        case existing
    }

    /// Opens the store at `path` (an SQLite file, or a `postgres://` URL), creating it if `mode` allows, and brings
    /// its schemas up to date. A PostgreSQL password comes from `$PGPASSWORD` or `passwordFile`, never the URL.
    public init(path: String, schemas: [any StoreSchema.Type] = Store.builtInSchemas, mode: OpenMode = .create,
                passwordFile: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws(StoreError) {
        if PostgresLocation.isURL(path) {
            let location = try PostgresLocation(url: path)
            self.path = location.display
            let postgres = try PostgresBackend(location: location, password: try PostgresLocation.password(file: passwordFile, environment: environment))
            backend = .postgres(postgres)
            try Self.migratePostgres(postgres, path: self.path, migrations: Self.migrations(schemas), mode: mode)
            return
        }
        self.path = path
        if mode == .existing, path != ":memory:" { try Self.requireExisting(path) }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.foreignKeysEnabled = true
        let database: DatabaseQueue
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
        backend = .sqlite(database)
        var migrator = DatabaseMigrator()
        let migrations = Self.migrations(schemas)
        for migration in migrations {
            let sql = migration.sql
            migrator.registerMigration(migration.identifier) { db in try db.execute(sql: sql) }
        }
        try Self.claim(database, path: path, ours: Set(migrations.map(\.identifier)))
        do {
            try migrator.migrate(database)
        } catch {
            throw StoreError(.migration, path: path, "cannot bring the store's tables up to date; is it a kernelcast store?", cause: error)
        }
    }

    /// The migrations of `schemas`, in order, each once.
    static func migrations(_ schemas: [any StoreSchema.Type]) -> [StoreMigration] {
        var seen: Set<String> = []
        var migrations: [StoreMigration] = []
        for schema in schemas {
            for migration in schema.migrations where seen.insert(migration.identifier).inserted { migrations.append(migration) }
        }
        return migrations
    }

    /// PostgreSQL's record of applied migrations (SQLite's is GRDB's `grdb_migrations`).
    static let postgresMigrationsTable = "kernelcast_migrations"

    /// Applies the missing migrations in one transaction, under an advisory lock so that workers starting together
    /// migrate once. A database with tables of its own but none of kernelcast's is refused, as a foreign SQLite file is.
    static func migratePostgres(_ backend: PostgresBackend, path: String, migrations: [StoreMigration], mode: OpenMode) throws(StoreError) {
        do {
            try backend.transaction(readOnly: false) { tx in
                try tx.execute("SELECT pg_advisory_xact_lock(\(applicationID))")
                let tables = try tx.rows("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name")
                    .compactMap { $0.text("table_name") }
                if !tables.contains(postgresMigrationsTable) {
                    guard mode == .create else {
                        throw StoreError(.notFound, path: path, "holds no kernelcast store; a store is made by kernelcast store migrate --store URL (or any command that records)")
                    }
                    guard tables.isEmpty else {
                        throw StoreError(.open, path: path, "is not a kernelcast store (it holds tables \(tables.prefix(5).joined(separator: ", "))); pass --store URL for a kernelcast database")
                    }
                    try tx.execute("CREATE TABLE \(postgresMigrationsTable) (seq BIGINT GENERATED ALWAYS AS IDENTITY, identifier TEXT PRIMARY KEY NOT NULL, applied_at TEXT NOT NULL)")
                }
                let applied = Set(try tx.rows("SELECT identifier FROM \(postgresMigrationsTable)").compactMap { $0.text("identifier") })
                for migration in migrations where !applied.contains(migration.identifier) {
                    for statement in StoreDialect.statements(StoreDialect.postgresDDL(migration.sql)) { try tx.execute(statement) }
                    try tx.execute("INSERT INTO \(postgresMigrationsTable) (identifier, applied_at) VALUES (?, ?)",
                                   [migration.identifier, StoreDate.text(Date())])
                }
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.migration, path: path, "cannot bring the store's tables up to date", cause: error)
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
    public func write<T>(_ what: String, _ body: (StoreTransaction) throws -> T) throws(StoreError) -> T {
        try transaction(what, readOnly: false, body)
    }

    /// Runs `body` with read-only access.
    public func read<T>(_ what: String, _ body: (StoreTransaction) throws -> T) throws(StoreError) -> T {
        try transaction(what, readOnly: true, body)
    }

    private func transaction<T>(_ what: String, readOnly: Bool, _ body: (StoreTransaction) throws -> T) throws(StoreError) -> T {
        do {
            switch backend {
            case .sqlite(let queue):
                // GRDB begins each write with BEGIN IMMEDIATE: a writer takes SQLite's one write lock when it starts,
                // so that two processes never both read and then wait on each other to write.
                let run: (Database) throws -> T = { db in try body(StoreTransaction(connection: SQLiteConnection(db: db))) }
                return readOnly ? try queue.read(run) : try queue.write(run)
            case .postgres(let postgres):
                return try postgres.transaction(readOnly: readOnly, body)
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.query, path: path, "cannot \(what)", cause: error)
        }
    }

    /// Identifiers of the migrations applied to this store, in order.
    public func appliedMigrations() throws(StoreError) -> [String] {
        let sql = dialect == .postgres
            ? "SELECT identifier FROM \(Self.postgresMigrationsTable) ORDER BY seq"
            : "SELECT identifier FROM grdb_migrations ORDER BY rowid"
        return try read("list migrations") { tx in try tx.rows(sql).compactMap { $0.text("identifier") } }
    }
}
