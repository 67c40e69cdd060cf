import ArgumentParser
import Foundation
import HTTPAPI
import MachineModel
import MCPSurface
import Service
import Store

/// The options every presentation of the service shares: where machines and the store are, and where verify jobs run.
struct ServiceOptions: ParsableArguments {
    @OptionGroup var machines: MachineOptions
    @OptionGroup var storeOption: VerificationStoreOption
    @Flag(help: "Verify jobs queue their candidates on the store for `kernelcast worker`s instead of running on this host's device; a job's device is then part of an advertised device's name.")
    var queue = false

    func service() throws -> KernelCastService {
        let directory = try machines.directory()
        do {
            return try KernelCastService(configuration: .init(
                machinesDirectory: directory, storePath: Store.resolvePath(option: storeOption.path),
                storePasswordFile: storeOption.password.file, version: Version.current, queue: queue))
        } catch {
            printError(error.description)
            throw ExitCode(1)
        }
    }
}

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the HTTP JSON API (docs/api.md, /openapi.json) and MCP over streamable HTTP at /mcp.",
        discussion: "Binds 127.0.0.1 by default. Any other address needs --token-file: every request then carries Authorization: Bearer TOKEN.")
    @OptionGroup var options: ServiceOptions
    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(parsing: .unconditional, help: "Port (0: any free port; the first line printed names it).") var port = 8471
    @Option(name: .customLong("token-file"), help: "File holding the bearer token (default: $KERNELCAST_TOKEN when set).")
    var tokenFile: String?
    @Option(name: .customLong("max-body"), parsing: .unconditional, help: "Largest request body, bytes.") var maxBody = Limits.bodyBytes
    @Option(name: .customLong("max-connections"), parsing: .unconditional, help: "Connections served at once.") var maxConnections = 256
    @Flag(name: .customLong("print-openapi"), help: "Print the OpenAPI document (docs/openapi.json) and exit.") var printOpenAPI = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard maxBody >= 1024, maxConnections >= 1 else { throw ValidationError("--max-body must be at least 1024 and --max-connections at least 1") }
    }

    func run() async throws {
        if printOpenAPI {
            print(OpenAPI.document(version: Version.current).rendered())
            return
        }
        let service = try options.service()
        var token = ProcessInfo.processInfo.environment["KERNELCAST_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        if let tokenFile {
            do {
                token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                printError("error: cannot read the token file \(tokenFile): \(error.localizedDescription); write the token into it, one line")
                throw ExitCode(1)
            }
        }
        let settings = ServerSettings(host: host, port: port, token: token, maxBodyBytes: maxBody, maxConnections: maxConnections)
        do {
            try settings.validate()
            try await HTTPServer.run(service, settings: settings) { url in
                FileHandle.standardOutput.write(Data("kernelcast serve: listening on \(url)\nMCP (streamable HTTP): \(url)/mcp\n".utf8))
            }
        } catch let error as ServiceError {
            printError(error.description)
            throw ExitCode(1)
        } catch {
            printError("error: cannot serve on \(host):\(port): \(error); is another server on that port? Try --port 0")
            throw ExitCode(3)
        }
    }
}

struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve KernelCast's tools over MCP on standard input and output (for agents; see README).")
    @OptionGroup var options: ServiceOptions

    func run() async throws {
        try await MCPTools.runStdio(try options.service())
    }
}

struct APICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api",
        abstract: "Answer one API operation: the request JSON on standard input (or --input), the answer JSON on standard output.",
        discussion: "Operations: \(APIOperation.allCases.map(\.rawValue).joined(separator: ", ")). The same requests and answers as the HTTP API (docs/api.md); an error prints {code, message, remedy} and exits 1.")
    @OptionGroup var options: ServiceOptions
    @Argument(help: "The operation.") var operation: String
    @Option(help: "Read the request from this file instead of standard input.") var input: String?

    func run() async throws {
        guard let op = APIOperation(rawValue: operation) else {
            let names = APIOperation.allCases.map(\.rawValue)
            let hint = suggestion(for: operation, among: names).map { "did you mean \($0)? " } ?? ""
            throw ValidationError("no operation \"\(operation)\"; \(hint)operations: \(names.joined(separator: ", "))")
        }
        let body: String
        if let input {
            body = try readFile(input)
        } else {
            body = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        }
        let service = try options.service()
        do {
            print(try await service.perform(op, body: body).rendered())
        } catch {
            print(error.json.rendered())
            printError(error.description)
            throw ExitCode(1)
        }
    }
}
