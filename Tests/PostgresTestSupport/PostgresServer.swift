import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A PostgreSQL server of the distribution's packages, started for one test on a free loopback port in a folder of
/// its own, with trust authentication for the user `kernelcast`, and stopped (its folder removed) by `stop()`.
///
/// Tests that need it run when the binaries are installed, or when `KERNELCAST_REQUIRE_POSTGRES=1` (scripts/test
/// sets it after installing them): then a missing server fails the test loudly instead of skipping it.
public final class PostgresServer: @unchecked Sendable {
    public let port: Int
    public let folder: URL
    let binaries: URL
    private var running = true

    /// Where initdb and pg_ctl are: `$KERNELCAST_POSTGRES_BIN`, else the newest /usr/lib/postgresql/N/bin.
    public static var binaryFolder: URL? {
        if let folder = ProcessInfo.processInfo.environment["KERNELCAST_POSTGRES_BIN"], !folder.isEmpty { return URL(fileURLWithPath: folder) }
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        return versions.last.map { URL(fileURLWithPath: "\(root)/\($0)/bin") }
            .flatMap { FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("initdb").path) ? $0 : nil }
    }

    /// Whether the PostgreSQL tests run: the server is installed, or CI says it must be.
    public static var enabled: Bool {
        binaryFolder != nil || ProcessInfo.processInfo.environment["KERNELCAST_REQUIRE_POSTGRES"] == "1"
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Makes a cluster and starts it (initdb and pg_ctl refuse root: as root they run as the `postgres` user).
    public init() throws {
        guard let binaries = Self.binaryFolder else {
            throw Failure(description: "PostgreSQL is not installed (no /usr/lib/postgresql/N/bin/initdb); scripts/install-deps installs it")
        }
        self.binaries = binaries
        folder = URL(fileURLWithPath: "/tmp").appendingPathComponent("kernelcast-pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if getuid() == 0 { try Self.run("/bin/chown", ["postgres:postgres", folder.path]) }
        port = try Self.freePort()
        let data = folder.appendingPathComponent("data").path
        try runAsOwner("initdb", ["-D", data, "-U", "kernelcast", "--auth=trust", "-E", "UTF8", "--no-sync"])
        try runAsOwner("pg_ctl", ["-D", data, "-l", folder.appendingPathComponent("log").path, "-w", "-t", "60", "-o",
                                  "-p \(port) -k \(folder.path) -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50", "start"])
    }

    deinit { stop() }

    /// A new, empty database; its URL.
    public func database(_ name: String) throws -> String {
        try Self.run(binaries.appendingPathComponent("createdb").path, ["-h", "127.0.0.1", "-p", "\(port)", "-U", "kernelcast", name])
        return url(name)
    }

    /// Runs SQL with psql, as another program sharing the server would.
    @discardableResult
    public func psql(_ database: String, _ sql: String) throws -> String {
        try Self.run(binaries.appendingPathComponent("psql").path,
                     ["-h", "127.0.0.1", "-p", "\(port)", "-U", "kernelcast", "-d", database, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql])
    }

    public func url(_ database: String) -> String { "postgres://kernelcast@127.0.0.1:\(port)/\(database)" }

    /// Stops the server at once and removes its folder.
    public func stop() {
        guard running else { return }
        running = false
        try? runAsOwner("pg_ctl", ["-D", folder.appendingPathComponent("data").path, "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(at: folder)
    }

    private func runAsOwner(_ tool: String, _ arguments: [String]) throws {
        let path = binaries.appendingPathComponent(tool).path
        if getuid() == 0 {
            try Self.run("/usr/sbin/runuser", ["-u", "postgres", "--", path] + arguments)
        } else {
            try Self.run(path, arguments)
        }
    }

    /// Runs a program to its end, its output into a file: a file, not a pipe, because the server pg_ctl starts
    /// inherits the descriptors and would hold a pipe open for good. Spawned and reaped here with waitpid, since
    /// Foundation's Process never saw runuser's exit in a test process that also runs NIO's event loops.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("kernelcast-pg-run-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else { throw Failure(description: "cannot run \(executable): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw Failure(description: "cannot wait for \(executable)") }
        }
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        // Exited normally with status 0 (the low 7 bits are the signal, the next 8 the exit status).
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            throw Failure(description: "\(executable) \(arguments.joined(separator: " ")) failed (wait status \(status)): \(text)")
        }
        return text
    }

    /// A loopback port nobody listens on now (the kernel's pick for port 0).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "cannot open a socket") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw Failure(description: "cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
