import Foundation
import HTTPAPI
import HummingbirdTesting
import NIOCore
import Service
import Testing

/// The HTTP API over a real socket (HummingbirdTesting's live client).
@Suite struct HTTPServerTests {
    func body(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    @Test func predictAnswersAndABadRequestLeavesTheServerUp() async throws {
        let app = try await HTTPServer.application(try makeService(), settings: ServerSettings(port: 0))
        try await app.test(.live) { client in
            try await client.execute(uri: "/v1/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("\"status\":\"ok\""))
            }
            try await client.execute(uri: "/v1/predict", method: .post, body: body("{\"machine\": \"h200-sxm\", \"family\": \"gemm\"")) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("\"code\":\"bad_request\""))
            }
            try await client.execute(uri: "/v1/predict", method: .post, body: body("""
                {"machine": "h200-sxm", "family": "gemm", \(gemm4096),
                 "schedules": [{"block_m": 128, "block_n": 128, "block_k": 64, "warps": 4, "stages": 4}]}
                """)) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("\"feasible\":1"))
            }
            try await client.execute(uri: "/v1/machines/h200-sxn", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body).contains("did you mean h200-sxm?"))
            }
            try await client.execute(uri: "/v1/nothing", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body).contains("\"remedy\":\"see /openapi.json for the routes\""))
            }
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                #expect(String(buffer: response.body) == OpenAPI.document(version: Version.current).rendered() + "\n")
            }
        }
    }

    @Test func aBodyOverTheLimitIs413() async throws {
        let app = try await HTTPServer.application(try makeService(), settings: ServerSettings(port: 0, maxBodyBytes: 2048))
        try await app.test(.live) { client in
            let big = "{\"machine\": \"h200-sxm\", \"pad\": \"" + String(repeating: "x", count: 4096) + "\"}"
            try await client.execute(uri: "/v1/predict", method: .post, body: body(big)) { response in
                #expect(response.status == .contentTooLarge)
                #expect(String(buffer: response.body).contains("\"code\":\"too_large\""))
            }
        }
    }

    @Test func withATokenEveryRequestMustCarryIt() async throws {
        let token = "0123456789abcdef0123"
        let app = try await HTTPServer.application(try makeService(), settings: ServerSettings(port: 0, token: token))
        try await app.test(.live) { client in
            try await client.execute(uri: "/v1/health", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(String(buffer: response.body).contains("no bearer token"))
            }
            try await client.execute(uri: "/v1/health", method: .get, headers: [.authorization: "Bearer wrong"]) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/v1/health", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func anAddressBeyondLoopbackNeedsAToken() {
        #expect(throws: ServiceError.self) { try ServerSettings(host: "0.0.0.0", port: 0).validate() }
        #expect(throws: ServiceError.self) { try ServerSettings(host: "0.0.0.0", port: 0, token: "short").validate() }
        #expect(throws: Never.self) { try ServerSettings(host: "0.0.0.0", port: 0, token: "0123456789abcdef").validate() }
    }
}
