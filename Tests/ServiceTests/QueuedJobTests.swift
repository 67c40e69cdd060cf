import Foundation
import HTTPAPI
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PostgresTestSupport
import Service
import Testing
import Verifier

/// Verify jobs of a server started with `--queue`: submitted through the HTTP API over a real socket, run by a real
/// `QueueWorker` on the PoCL device, read back through the API and the store.
@Suite(.serialized) struct QueuedJobTests {
    /// The PoCL device, opened once (PoCL 3.1 crashes when its first calls arrive concurrently).
    static let runner: InProcessRunner = {
        do {
            return try InProcessRunner(selector: ProcessInfo.processInfo.environment["KERNELCAST_TEST_DEVICE"] ?? "opencl:0")
        } catch {
            fatalError("the queued job tests need an OpenCL device (PoCL): \(error)")
        }
    }()

    /// Two elementwise candidates of the OpenCL library, quick to check and time.
    static let request = """
        {"machine": "amd-epyc-9654", "checks": 2, "repetitions": 3, "candidate": {"version": 1, "name": "ew-queue",
         "family": "elementwise", "problem": {"elements": 4096, "ops": 2, "dtype": "fp32", "extra_inputs": 1},
         "schedule": {"fused": [true], "block_elements": [256, 512], "warps": [2]}}}
        """

    @Test func aJobGoesThroughTheSQLiteQueueAndItsVerdictsAreStoredOnce() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kc-queued-job-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try await roundTrip(store: folder.appendingPathComponent("store.sqlite").path)
    }

    @Test(.enabled(if: PostgresServer.enabled, "PostgreSQL is not installed"))
    func aJobGoesThroughThePostgreSQLQueueAndItsVerdictsAreStoredOnce() async throws {
        let server = try PostgresServer()
        defer { server.stop() }
        try await roundTrip(store: try server.database("apiqueue"))
    }

    func roundTrip(store: String) async throws {
        let service = try makeService(store: store, queue: true)
        let verifications = try VerificationStore(path: store)
        let queue = VerificationQueue(store: verifications.store)
        let app = try await HTTPServer.application(service, settings: ServerSettings(port: 0))
        try await app.test(.live) { live in
            let client = try PatientClient(port: #require(live.port))
            // No worker has advertised a device: refused with the remedy, and the server answers the next request.
            let refused = try await client.execute(uri: "/v1/jobs", method: .post, body: Self.request)
            #expect(refused.status == .notFound)
            // The remedy once, in its own field.
            let body = refused.body
            #expect(body.contains("kernelcast worker --device D --store \(store)"))
            #expect(body.components(separatedBy: "kernelcast worker").count == 2)
            #expect(try await client.execute(uri: "/v1/health", method: .get).status == .ok)

            // The worker's device is advertised before any job exists, so the job is seen queued before it runs.
            let device = try await Self.runner.describeDevice()
            try queue.advertise(name: "api-test-worker", device: device)
            let submitted = try json(try await client.execute(uri: "/v1/jobs", method: .post, body: Self.request))
            #expect(submitted["status"] as? String == "queued" && submitted["candidates"] as? Int == 2 && submitted["jobs"] as? Int == 2)
            let id = try #require(submitted["id"] as? String)
            let waiting = try await status(client, id)
            #expect(waiting["status"] as? String == "queued")
            #expect(waiting["jobs"] as? [String: Int] == ["queued": 2, "running": 0, "done": 0])
            #expect(waiting["device"] as? String == device.name)

            let worker = QueueWorker(queue: queue, runner: Self.runner, name: "api-test-worker", lease: 30, poll: 0.05)
            let stopped = DispatchSemaphore(value: 0)
            Thread {
                do {
                    try worker.run(idleExit: 1) { _ in }
                } catch {
                    Issue.record("the worker failed: \(error)")
                }
                stopped.signal()
            }.start()

            var answer = waiting
            let deadline = Date().addingTimeInterval(180)
            while answer["status"] as? String != "done", Date() < deadline {
                try await Task.sleep(nanoseconds: 100_000_000)
                answer = try await status(client, id)
            }
            #expect(answer["status"] as? String == "done", "\(answer)")
            #expect(answer["jobs"] as? [String: Int] == ["queued": 0, "running": 0, "done": 2])
            #expect(answer["finished"] is String)
            let summary = try #require(answer["summary"] as? [String: Int])
            #expect(summary["total"] == 2 && summary["already_verified"] == 0 && summary["not_run"] == 0)
            #expect(summary["passed"].map { $0 + (summary["rejected"] ?? 0) } == 2)
            let reported = try #require(answer["verifications"] as? [[String: Any]])
            #expect(reported.count == 2 && reported.allSatisfy { $0["verdict"] as? String != "not_run" })
            await Task.detached { stopped.wait() }.value

            // Exactly once: one verification per queue job, each the one its job points to, and nothing else stored.
            let batch = try #require(answer["batch"] as? String)
            let states = try queue.states(batch: batch)
            let records = try verifications.records(batch: batch)
            #expect(states.count == 2 && states.allSatisfy { $0.status == .done && $0.attempts == 1 })
            #expect(Set(records.compactMap(\.id)) == Set(states.compactMap(\.verificationID)) && records.count == 2)
            #expect(records.map(\.verdict.rawValue) == reported.compactMap { $0["verdict"] as? String })
            #expect(try verifications.records().count == 2)

            // The same candidates again: both already verified, no queue job, done at once, nothing stored.
            let again = try json(try await client.execute(uri: "/v1/jobs", method: .post, body: Self.request))
            #expect(again["status"] as? String == "done" && again["jobs"] as? Int == 0)
            let repeated = try await status(client, try #require(again["id"] as? String))
            #expect((repeated["summary"] as? [String: Int])?["already_verified"] == 2)
            #expect(try verifications.records().count == 2)
            try await client.close()
        }
    }

    func status(_ client: PatientClient, _ id: String) async throws -> [String: Any] {
        let response = try await client.execute(uri: "/v1/jobs/\(id)", method: .get)
        #expect(response.status == .ok, "\(response.body)")
        return try json(response)
    }

    func json(_ response: PatientClient.Response) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(response.body.utf8))
        return try #require(object as? [String: Any], "\(response.body)")
    }
}

/// A live client that waits as long as a loaded CI machine needs. HummingbirdTesting's own gives up after 20 s without
/// a read, and a status poll beside the PoCL worker and the rest of the suite once went past that: these tests check
/// what the server answers, not how fast.
struct PatientClient {
    struct Response {
        var status: HTTPTypes.HTTPResponse.Status
        var body: String
    }

    let client: TestClient

    init(port: Int) {
        client = TestClient(host: "localhost", port: port, configuration: .init(timeout: .seconds(300)))
        client.connect()
    }

    func execute(uri: String, method: HTTPTypes.HTTPRequest.Method, body: String? = nil) async throws -> Response {
        let request = TestClient.Request(uri, method: method, authority: "localhost", headers: [.connection: "keep-alive"],
                                         body: body.map { ByteBuffer(string: $0) })
        let response = try await client.execute(request)
        return Response(status: response.status, body: response.body.map { String(buffer: $0) } ?? "")
    }

    func close() async throws {
        try await client.shutdown()
    }
}
