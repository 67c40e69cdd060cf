import Foundation
import Hummingbird
import HummingbirdCore
import HTTPTypes
import Logging
import MachineModel
import MCP
import MCPSurface
import NIOCore
import Service

/// How `kernelcast serve` listens.
public struct ServerSettings: Sendable {
    public var host: String
    public var port: Int
    /// The bearer token every request must carry; required on any address but loopback.
    public var token: String?
    public var maxBodyBytes: Int
    public var maxConnections: Int
    /// Seconds an idle connection is kept.
    public var idleTimeout: Int

    public init(host: String = "127.0.0.1", port: Int = 8471, token: String? = nil, maxBodyBytes: Int = Limits.bodyBytes,
                maxConnections: Int = 256, idleTimeout: Int = 60) {
        self.host = host
        self.port = port
        self.token = token
        self.maxBodyBytes = maxBodyBytes
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
    }

    /// Loopback addresses need no token; any other address does.
    public var isLoopback: Bool { host == "localhost" || host == "::1" || host.hasPrefix("127.") }

    /// Checks the settings before anything binds.
    public func validate() throws(ServiceError) {
        if !isLoopback && token == nil {
            throw ServiceError(.unauthorized, "serving on \(host), beyond loopback, needs a bearer token",
                               remedy: "pass --token-file FILE (a file holding at least 16 random characters) or bind 127.0.0.1")
        }
        if let token, token.count < 16 {
            throw ServiceError(.badRequest, "the token has \(token.count) characters, too few to resist guessing",
                               remedy: "use at least 16 random characters, e.g. openssl rand -hex 24 > token")
        }
    }
}

/// The HTTP API (JSON over HTTP/1.1, Hummingbird 2) and MCP's streamable HTTP transport at /mcp, over one service.
public enum HTTPServer {
    /// Serves until the process is stopped; `ready` receives the URL once the socket is bound (port 0 picks one).
    public static func run(_ service: KernelCastService, settings: ServerSettings, ready: @escaping @Sendable (String) -> Void) async throws {
        try await application(service, settings: settings, ready: ready).runService()
    }

    /// The server, not yet running (tests drive it with HummingbirdTesting).
    public static func application(_ service: KernelCastService, settings: ServerSettings,
                                   ready: @escaping @Sendable (String) -> Void = { _ in }) async throws -> some ApplicationProtocol {
        try settings.validate()
        let mcpTransport = StatelessHTTPServerTransport()
        let mcpServer = await MCPTools.server(service)
        try await mcpServer.start(transport: mcpTransport)
        let router = makeRouter(service, settings: settings, mcp: mcpTransport)
        let app = Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: .seconds(Int64(settings.idleTimeout)))),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "kernelcast",
                                 availableConnectionsDelegate: MaximumAvailableConnections(settings.maxConnections)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? settings.port
                let host = settings.host.contains(":") ? "[\(settings.host)]" : settings.host
                ready("http://\(host):\(port)")
            },
            logger: quietLogger())
        return app
    }

    static func quietLogger() -> Logger {
        var logger = Logger(label: "kernelcast.serve")
        logger.logLevel = .error
        return logger
    }

    static func makeRouter(_ service: KernelCastService, settings: ServerSettings, mcp: StatelessHTTPServerTransport) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ErrorMiddleware(routes: routes()))
        router.add(middleware: BearerTokenMiddleware(token: settings.token))
        let openAPI = OpenAPI.document(version: service.configuration.version).rendered()
        router.get("/openapi.json") { _, _ in json(openAPI) }
        for operation in APIOperation.allCases {
            let path = operation.path.replacingOccurrences(of: "{", with: ":").replacingOccurrences(of: "}", with: "")
            let method: HTTPRequest.Method = operation.method == .get ? .get : .post
            router.on(RouterPath(path), method: method) { request, context -> Response in
                var body = "{}"
                if let name = operation.pathParameter {
                    let value = context.parameters.get(name) ?? ""
                    body = JSONValue.object([(name, .string(value))]).rendered()
                } else if operation.method == .post {
                    body = try await readBody(request, limit: settings.maxBodyBytes)
                }
                // Compact: answers are for programs, and a 10,000-prediction answer is half the size and time.
                return json(try await service.perform(operation, body: body).compact())
            }
        }
        router.post("/mcp") { request, _ -> Response in
            let body = try await readBody(request, limit: settings.maxBodyBytes)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let answer = await mcp.handleRequest(MCP.HTTPRequest(method: "POST", headers: headers, body: Data(body.utf8), path: "/mcp"))
            var responseHeaders = HTTPFields()
            for (name, value) in answer.headers { if let field = HTTPField.Name(name) { responseHeaders[field] = value } }
            let data = answer.bodyData ?? Data()
            return Response(status: .init(code: answer.statusCode), headers: responseHeaders,
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        }
        return router
    }

    /// Every route's path (`:name` for a parameter) and its methods, for answering 405 to any other method.
    static func routes() -> [(path: [Substring], methods: [String])] {
        var routes: [(path: [Substring], methods: [String])] = [(["openapi.json"], ["GET"]), (["mcp"], ["POST"])]
        for operation in APIOperation.allCases {
            let path = operation.path.replacingOccurrences(of: "{", with: ":").replacingOccurrences(of: "}", with: "")
                .split(separator: "/")
            if let i = routes.firstIndex(where: { $0.path == path }) {
                routes[i].methods.append(operation.method.rawValue)
            } else {
                routes.append((path, [operation.method.rawValue]))
            }
        }
        return routes
    }

    static func readBody(_ request: Request, limit: Int) async throws -> String {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw ServiceError(.tooLarge, "the body is larger than \(limit) bytes",
                               remedy: "send fewer schedules per request, or a space (a cross product) instead of a list")
        }
        return String(buffer: buffer)
    }

    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: text + "\n")))
    }
}

/// Every failure answers `{code, message, remedy}` with its status; the server goes on.
struct ErrorMiddleware<Context: Hummingbird.RequestContext>: RouterMiddleware {
    let routes: [(path: [Substring], methods: [String])]

    /// The methods of the route that `path` matches, if any.
    func methods(of path: String) -> [String]? {
        let parts = path.split(separator: "/")
        return routes.first { route in
            route.path.count == parts.count && zip(route.path, parts).allSatisfy { $0.hasPrefix(":") || $0 == $1 }
        }?.methods
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ServiceError {
            return HTTPServer.json(error.json.compact(), status: .init(code: error.status))
        } catch let error as HTTPError {
            if error.status == .notFound || error.status == .methodNotAllowed, let allowed = methods(of: request.uri.path) {
                let service = ServiceError(.badRequest, "\(request.method.rawValue) is not allowed on \(request.uri.path)",
                                           remedy: "use \(allowed.joined(separator: " or ")); see /openapi.json")
                var response = HTTPServer.json(service.json.compact(), status: .methodNotAllowed)
                response.headers[.allow] = allowed.joined(separator: ", ")
                return response
            }
            let service: ServiceError = switch error.status {
            case .notFound: ServiceError(.notFound, "no route \(request.method.rawValue) \(request.uri.path)",
                                         remedy: "see /openapi.json for the routes")
            case .methodNotAllowed: ServiceError(.badRequest, "\(request.method.rawValue) is not allowed on \(request.uri.path)",
                                                 remedy: "see /openapi.json for each route's method")
            case .contentTooLarge: ServiceError(.tooLarge, "the body is too large", remedy: "send a smaller request")
            default: ServiceError(.badRequest, error.body ?? "\(error.status)", remedy: "see docs/api.md")
            }
            return HTTPServer.json(service.json.compact(), status: error.status)
        } catch {
            let service = ServiceError(.failed, "\(error)", remedy: "report this with the request that caused it")
            return HTTPServer.json(service.json.compact(), status: .internalServerError)
        }
    }
}

/// Refuses a request without the configured bearer token before its body is read.
struct BearerTokenMiddleware<Context: Hummingbird.RequestContext>: RouterMiddleware {
    let token: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token else { return try await next(request, context) }
        let given = request.headers[.authorization] ?? ""
        guard constantTimeEqual(given, "Bearer \(token)") else {
            throw ServiceError(.unauthorized, given.isEmpty ? "no bearer token" : "wrong bearer token",
                               remedy: "send Authorization: Bearer <the token in the server's --token-file>")
        }
        return try await next(request, context)
    }

    func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<min(x.count, y.count) { difference |= x[i] ^ y[i] }
        return difference == 0
    }
}
