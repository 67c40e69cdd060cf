import Foundation
import Logging
import PostgresNIO

/// Where a PostgreSQL store is and who connects: `postgres://user@host:port/database`.
///
/// The password never comes from the command line, where other users of the host see it: a URL that carries one is
/// refused. It comes from `$PGPASSWORD`, or from a file (`--store-password-file` or `$KERNELCAST_STORE_PASSWORD_FILE`);
/// with neither, the server must trust the user (as the tests' loopback server does).
public struct PostgresLocation: Sendable, Hashable {
    public var user: String
    public var host: String
    public var port: Int
    public var database: String

    /// Whether `text` names a PostgreSQL store rather than an SQLite file.
    public static func isURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    public init(url text: String) throws(StoreError) {
        func refuse(_ what: String) -> StoreError {
            StoreError(.open, path: text, "\(what); expected postgres://USER@HOST[:PORT]/DATABASE")
        }
        guard let url = URLComponents(string: text), let host = url.host, !host.isEmpty else { throw refuse("is not a PostgreSQL URL") }
        if url.password != nil {
            throw StoreError(.open, path: Self.redacted(text),
                             "carries a password, which the command line shows to every user of this host; remove it from the URL and set PGPASSWORD or pass --store-password-file FILE")
        }
        guard let user = url.user, !user.isEmpty else { throw refuse("names no user") }
        let database = String(url.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw refuse("names no database") }
        guard url.query == nil else { throw refuse("has options (?...), which kernelcast does not read") }
        let port = url.port ?? 5432
        guard (1...65535).contains(port) else { throw refuse("has port \(port)") }
        self.user = user
        self.host = host
        self.port = port
        self.database = database
    }

    /// The URL as shown in messages and output.
    public var display: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    /// The URL with any password replaced, for an error message about that URL.
    static func redacted(_ text: String) -> String {
        text.replacingOccurrences(of: #"(://[^:/@]*):[^@]*@"#, with: "$1:***@", options: .regularExpression)
    }

    /// `$PGPASSWORD`, else the first line of the password file, else none.
    public static func password(file: String?, environment: [String: String]) throws(StoreError) -> String? {
        if let password = environment["PGPASSWORD"], !password.isEmpty { return password }
        guard let file = file ?? environment["KERNELCAST_STORE_PASSWORD_FILE"], !file.isEmpty else { return nil }
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw StoreError(.open, path: file, "cannot read the store's password file; check the path and permissions")
        }
        return text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
    }
}

/// One connection to a PostgreSQL server, used from synchronous callers: each call blocks on postgres-nio's future,
/// on an event loop of its own, and transactions take turns (one connection runs one transaction at a time).
final class PostgresBackend: @unchecked Sendable {
    let location: PostgresLocation
    let password: String?
    /// Guards `connection` and keeps transactions from interleaving on it.
    private let lock = NSLock()
    private var connection: PostgresConnection?

    /// The event loop all stores of this process share; callers block on it, so it is never one of theirs.
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    static let logger = Logger(label: "kernelcast.store", factory: { _ in SwiftLogNoOpLogHandler() })

    init(location: PostgresLocation, password: String?) throws(StoreError) {
        self.location = location
        self.password = password
        do {
            connection = try connect()
        } catch {
            throw StoreError(.open, path: location.display,
                             "cannot connect to the PostgreSQL server; check that it runs, the URL, and the password ($PGPASSWORD or --store-password-file)",
                             cause: PostgresFailure(error))
        }
    }

    deinit {
        _ = try? connection?.close().wait()
    }

    private func connect() throws -> PostgresConnection {
        var configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user, password: password, database: location.database, tls: .disable)
        configuration.options.connectTimeout = .seconds(10)
        return try PostgresConnection.connect(on: Self.group.next(), configuration: configuration, id: 1, logger: Self.logger).wait()
    }

    /// Runs `body` between BEGIN and COMMIT; any error rolls back. A connection the server closed is opened again
    /// before the next transaction (a worker outlives a server restart).
    func transaction<T>(readOnly: Bool, _ body: (StoreTransaction) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        if connection == nil || connection!.isClosed { connection = try connect() }
        let session = PostgresSession(connection: connection!)
        try session.execute(readOnly ? "BEGIN READ ONLY" : "BEGIN", [])
        do {
            let result = try body(StoreTransaction(connection: session))
            try session.execute("COMMIT", [])
            return result
        } catch {
            _ = try? session.execute("ROLLBACK", [])
            throw error
        }
    }
}

/// Statements on a connection inside a transaction.
struct PostgresSession: StoreConnection {
    let connection: PostgresConnection

    var dialect: StoreDialect { .postgres }

    func execute(_ sql: String, _ binds: [StoreValue]) throws {
        _ = try run(sql, binds)
    }

    func rows(_ sql: String, _ binds: [StoreValue]) throws -> [StoreRow] {
        try run(sql, binds).map { row in
            var columns: [String] = []
            var values: [StoreValue] = []
            for cell in row {
                columns.append(cell.columnName)
                values.append(try Self.value(cell))
            }
            return StoreRow(columns: columns, values: values)
        }
    }

    func insert(_ sql: String, _ binds: [StoreValue]) throws -> Int64 {
        guard let id = try rows(sql + " RETURNING id", binds).first?.integer("id") else {
            throw PostgresFailure(message: "the insert returned no id")
        }
        return id
    }

    private func run(_ sql: String, _ binds: [StoreValue]) throws -> [PostgresRow] {
        var bindings = PostgresBindings(capacity: binds.count)
        for value in binds {
            switch value {
            case .null: bindings.appendNull()
            case .integer(let number): bindings.append(number)
            case .real(let number): bindings.append(number)
            case .text(let text): bindings.append(text)
            }
        }
        let query = PostgresQuery(unsafeSQL: StoreDialect.numberedBinds(sql), binds: bindings)
        do {
            return try connection.query(query, logger: PostgresBackend.logger).wait().rows
        } catch {
            throw PostgresFailure(error)
        }
    }

    static func value(_ cell: PostgresCell) throws -> StoreValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
        case .float4, .float8: return .real(try cell.decode(Double.self))
        case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
        default: return .text(try cell.decode(String.self))
        }
    }
}

/// A PostgreSQL error as one line: the server's message and SQLSTATE, or what the client saw (postgres-nio's own
/// description hides both).
struct PostgresFailure: Error, CustomStringConvertible {
    var message: String

    init(message: String) { self.message = message }

    init(_ error: any Error) {
        if let failure = error as? PostgresFailure {
            message = failure.message
        } else if let error = error as? PSQLError {
            if let server = error.serverInfo, let text = server[.message] {
                message = text + (server[.sqlState].map { " (SQLSTATE \($0))" } ?? "")
            } else {
                message = "\(error.code)" + (error.underlying.map { ": \($0)" } ?? "")
            }
        } else {
            message = String(describing: error)
        }
    }

    var description: String { message }
}
