import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A request as the small HTTP/1.1 server reads it.
public struct HTTPRequest: Sendable {
    public var method: String
    public var path: String
    /// Header names in lower case.
    public var headers: [String: String]
    public var body: Data
}

public struct HTTPResponse: Error, Sendable {
    public var status: Int
    public var body: Data
    public var contentType: String

    public init(status: Int, body: Data, contentType: String = "application/json") {
        self.status = status
        self.body = body
        self.contentType = contentType
    }

    /// `{"error": message}` with a status.
    public static func error(_ status: Int, _ message: String) -> HTTPResponse {
        let body = (try? JSONEncoder().encode(["error": message])) ?? Data()
        return HTTPResponse(status: status, body: body)
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 413: "Payload Too Large"
        case 500: "Internal Server Error"
        default: "Status"
        }
    }
}

/// A small HTTP/1.1 server over POSIX sockets: one request per connection (`Connection: close`), bodies sized by
/// `Content-Length`, each connection on its own thread. Enough for the remote runner; not a general web server.
public final class HTTPServer: @unchecked Sendable {
    public typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse
    /// Looks at a request's headers before its body is read: a response refuses it there.
    public typealias Gate = @Sendable (_ headers: [String: String]) -> HTTPResponse?

    public let host: String
    public private(set) var port: Int
    private let handler: Handler
    private let gate: Gate?
    private var listener: Int32 = -1
    /// Largest request body accepted (candidates carry source text, not data).
    public var maximumBody = 64 << 20
    /// Seconds a client may wait between two packets of its request.
    public var readTimeout = 60
    /// Seconds a client may take to send its whole request, however it trickles.
    public var requestDeadline = 120.0
    /// Connections served at once; one more is answered 503 at once, so idle sockets cannot pile up threads.
    public var maximumConnections = 32
    private let connections = Mutex(0)

    public init(host: String, port: Int, gate: Gate? = nil, handler: @escaping Handler) {
        self.host = host
        self.port = port
        self.gate = gate
        self.handler = handler
    }

    /// Binds and listens; afterwards `port` is the bound port (useful when asked for port 0).
    public func bind() throws(VerifierError) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw VerifierError(.runner, "cannot create a socket", cause: String(cString: strerror(errno))) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(fd)
            throw VerifierError(.runner, "\"\(host)\" is not an IPv4 address; use 127.0.0.1 (this host only) or 0.0.0.0 (every interface)")
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw VerifierError(.runner, "cannot listen on \(host):\(port)", cause: reason)
        }
        guard listen(fd, 64) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw VerifierError(.runner, "cannot listen on \(host):\(port)", cause: reason)
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: actual.sin_port))
        listener = fd
    }

    /// Accepts connections until the listening socket is closed; each is served on its own thread.
    public func serve() {
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                if errno == EINTR { continue }
                return
            }
            let admitted = connections.withLock { count in
                guard count < maximumConnections else { return false }
                count += 1
                return true
            }
            guard admitted else {
                write(connection, .error(503, "the runner serves \(maximumConnections) connections at once; try again"))
                close(connection)
                continue
            }
            Thread.detachNewThread { [self] in
                self.handle(connection)
                connections.withLock { $0 -= 1 }
            }
        }
    }

    /// Stops accepting connections.
    public func stop() {
        if listener >= 0 {
            shutdown(listener, Int32(SHUT_RDWR))
            close(listener)
            listener = -1
        }
    }

    private func handle(_ fd: Int32) {
        defer { close(fd) }
        var timeout = timeval(tv_sec: readTimeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let response: HTTPResponse
        switch readRequest(fd) {
        case let .success(request): response = handler(request)
        case let .failure(error): response = error
        }
        write(fd, response)
    }

    private func readRequest(_ fd: Int32) -> Result<HTTPRequest, HTTPResponse> {
        var buffer = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        let separator: [UInt8] = [13, 10, 13, 10]
        var headerEnd: Int?
        let deadline = Date().addingTimeInterval(requestDeadline)
        while headerEnd == nil {
            let count = recv(fd, &chunk, chunk.count, 0)
            if count <= 0 || Date() > deadline { return .failure(.error(408, "the request did not arrive in time")) }
            buffer.append(contentsOf: chunk[0..<count])
            if let range = Self.find(separator, in: buffer) { headerEnd = range }
            if buffer.count > 1 << 20, headerEnd == nil { return .failure(.error(413, "request headers over 1 MiB")) }
        }
        let head = String(decoding: buffer[0..<headerEnd!], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count >= 2 else { return .failure(.error(400, "malformed request line")) }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? -1
        guard length >= 0 else { return .failure(.error(400, "bad Content-Length")) }
        guard length <= maximumBody else { return .failure(.error(413, "request body of \(length) bytes exceeds \(maximumBody)")) }
        // Rule: who may send a body is decided before a byte of it is read.
        if let refusal = gate?(headers) { return .failure(refusal) }
        if headers["expect"]?.lowercased() == "100-continue" {
            let continueLine = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
            _ = continueLine.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        var body = Array(buffer[(headerEnd! + 4)...])
        while body.count < length {
            let count = recv(fd, &chunk, min(chunk.count, length - body.count), 0)
            if count <= 0 || Date() > deadline {
                return .failure(.error(408, "the request body stopped after \(body.count) of \(length) bytes"))
            }
            body.append(contentsOf: chunk[0..<count])
        }
        return .success(HTTPRequest(method: String(requestLine[0]), path: String(requestLine[1]), headers: headers, body: Data(body.prefix(length))))
    }

    private func write(_ fd: Int32, _ response: HTTPResponse) {
        let head = "HTTP/1.1 \(response.status) \(HTTPResponse.reason(response.status))\r\nContent-Type: \(response.contentType)\r\nContent-Length: \(response.body.count)\r\nConnection: close\r\n\r\n"
        var bytes = Array(head.utf8)
        bytes.append(contentsOf: response.body)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count <= 0 { return }
            sent += count
        }
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if Array(haystack[i..<(i + needle.count)]) == needle { return i }
        }
        return nil
    }
}
