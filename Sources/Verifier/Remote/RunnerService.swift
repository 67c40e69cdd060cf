import Foundation

/// `kernelcast runner serve`: the in-process runner over HTTP, for a hardware host.
///
/// Routes (JSON bodies; every request must carry `Authorization: Bearer TOKEN`, else 401):
/// - `GET /v1/device` returns the `DeviceDescription` of the device candidates run on;
/// - `POST /v1/verify` takes a `RunRequest` (candidate, plan, limits), runs and judges it here, returns a `RunOutcome`.
/// Requests are served one candidate at a time (one device); a second waits for the first. With `isolation`, each
/// candidate runs in a child process (`kernelcast runner exec`) with a deadline: a kernel that crashes or hangs
/// costs its own verdict (`crashed`), and the service answers the next request.
public final class RunnerService: @unchecked Sendable {
    public let runner: InProcessRunner
    private let isolation: ExternalCommandRunner?
    private let token: String
    public let server: HTTPServer
    private let oneAtATime = NSLock()

    /// Shortest token accepted: one a client cannot guess in the time a runner is up (16 hex digits are 64 bits).
    public static let minimumTokenLength = 16

    /// A service on `host:port` (port 0 picks a free one); bound when `bind()` is called.
    public init(runner: InProcessRunner, isolation: ExternalCommandRunner? = nil, token: String, host: String = "127.0.0.1", port: Int = 0) throws(VerifierError) {
        guard token.count >= Self.minimumTokenLength else {
            throw VerifierError(.unauthorized, "the runner's token has \(token.count) characters; it needs at least \(Self.minimumTokenLength) (e.g. openssl rand -hex 16 > token)")
        }
        self.runner = runner
        self.isolation = isolation
        self.token = token
        let box = ServiceBox()
        server = HTTPServer(host: host, port: port, gate: { headers in
            guard let service = box.service else { return .error(503, "the runner is shutting down") }
            return service.refusal(headers)
        }) { request in
            box.service?.respond(request) ?? .error(500, "the runner is shutting down")
        }
        box.service = self
    }

    private final class ServiceBox: @unchecked Sendable {
        weak var service: RunnerService?
    }

    public func bind() throws(VerifierError) { try server.bind() }
    public var url: String { "http://\(server.host):\(server.port)" }
    public func serve() { server.serve() }

    /// Shared token: a missing or wrong token is refused from the headers, before the body is read.
    func refusal(_ headers: [String: String]) -> HTTPResponse? {
        guard let authorization = headers["authorization"], authorization.hasPrefix("Bearer ") else {
            return .error(401, "missing token: send Authorization: Bearer TOKEN (kernelcast verify --token-file FILE)")
        }
        guard Self.constantTimeEqual(String(authorization.dropFirst("Bearer ".count)), token) else {
            return .error(401, "wrong token")
        }
        return nil
    }

    func respond(_ request: HTTPRequest) -> HTTPResponse {
        if let refusal = refusal(request.headers) { return refusal }
        let encoder = JSONEncoder()
        switch (request.method, request.path) {
        case ("GET", "/v1/device"):
            let device = runner.executor.description
            return HTTPResponse(status: 200, body: (try? encoder.encode(device)) ?? Data())
        case ("POST", "/v1/verify"):
            let runRequest: RunRequest
            do {
                runRequest = try JSONDecoder().decode(RunRequest.self, from: request.body)
            } catch {
                return .error(400, "the body is not a run request: \(error)")
            }
            do { try runRequest.validate() } catch { return .error(400, error.message) }
            oneAtATime.lock()
            defer { oneAtATime.unlock() }
            let outcome: Result<RunOutcome, VerifierError>
            if let isolation {
                outcome = Self.waitFor { () async throws(VerifierError) -> RunOutcome in try await isolation.run(runRequest) }
            } else {
                outcome = .success(runner.runSynchronously(runRequest))
            }
            switch outcome {
            case let .success(outcome): return HTTPResponse(status: 200, body: (try? encoder.encode(outcome)) ?? Data())
            case let .failure(error): return .error(500, error.description)
            }
        case (_, "/v1/device"), (_, "/v1/verify"):
            return .error(405, "\(request.method) is not allowed on \(request.path)")
        default:
            return .error(404, "no route \(request.path); the runner serves GET /v1/device and POST /v1/verify")
        }
    }

    /// The result of async work, waited for on this connection's own thread.
    static func waitFor(_ work: @escaping @Sendable () async throws(VerifierError) -> RunOutcome) -> Result<RunOutcome, VerifierError> {
        final class Box: @unchecked Sendable { var result: Result<RunOutcome, VerifierError>? }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        Task {
            do throws(VerifierError) { box.result = .success(try await work()) } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        return box.result!
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return difference == 0
    }
}
