import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import Verifier

/// Kills a process when a chosen candidate starts.
final class KillOnStart: VerificationProgress, @unchecked Sendable {
    let index: Int
    let delay: Double
    let victim: @Sendable () -> Void
    init(index: Int, delay: Double, victim: @escaping @Sendable () -> Void) {
        self.index = index
        self.delay = delay
        self.victim = victim
    }
    func batchStarted(total: Int, toRun: Int, alreadyVerified: Int, device: DeviceDescription, runner: String) {}
    func candidateStarted(_ position: (index: Int, count: Int), _ candidate: Candidate, timeLeft: Double?) {
        guard position.index == index else { return }
        let (delay, victim) = (delay, victim)
        Thread.detachNewThread {
            usleep(UInt32(delay * 1e6))
            victim()
        }
    }
    func candidateFinished(_ position: (index: Int, count: Int), _ candidate: Candidate, record: VerificationRecord, timeLeft: Double?) {}
    func batchFinished(_ summary: BatchSummary) {}
}

extension DeviceSuites {
    /// `kernelcast runner serve` as a child process on 127.0.0.1, driven through URLSession.
    @Suite(.serialized) struct RemoteRunnerTests {
        static let token = "t0ken-\(UUID().uuidString.prefix(13))"

        static func entries() throws -> [BatchEntry] {
            var list = [
                try library(gemm(64, 64, 64), "block_m=32 block_n=32 block_k=8 warps=2"),
                try library(.rows(RowProblem(op: .softmax, rows: 16, columns: 200)), "warps=1 vector_width=2"),
                try library(gemm(192, 192, 192), "block_m=64 block_n=64 block_k=16 warps=4 vector_width=4"),
                try library(.elementwise(ElementwiseProblem(count: 5000, ops: [.add, .relu])), "warps=2 block_elements=256"),
                try library(.transpose(TransposeProblem(rows: 48, columns: 80)), "tile=16 warps=2"),
            ].map { BatchEntry(candidate: $0) }
            list.append(BatchEntry(candidate: try SourceCandidateFile.load(path: cheaterFolder.appendingPathComponent("skip_tail.yaml").path)))
            return list
        }

        @Test func tokenIsRequired() async throws {
            let server = try RunnerServer(token: Self.token)
            defer { server.kill() }
            // No token at all.
            var request = URLRequest(url: URL(string: server.url + "/v1/device")!)
            request.httpMethod = "GET"
            let (data, response) = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<(Data, URLResponse), any Error>) in
                URLSession.shared.dataTask(with: request) { data, response, error in
                    if let error { continuation.resume(throwing: error) } else { continuation.resume(returning: (data ?? Data(), response!)) }
                }.resume()
            }
            #expect((response as? HTTPURLResponse)?.statusCode == 401)
            #expect(String(decoding: data, as: UTF8.self).contains("missing token"))
            // A wrong token.
            let wrong = try RemoteRunner(url: server.url, token: "not-the-token", retries: 0)
            await #expect {
                _ = try await wrong.describeDevice()
            } throws: { error in
                (error as? VerifierError)?.code == .unauthorized
            }
            // The right one.
            let right = try RemoteRunner(url: server.url, token: Self.token, retries: 0)
            let device = try await right.describeDevice()
            #expect(device.id == "opencl:0:0")
        }

        @Test func verifiesThroughTheRemoteRunner() async throws {
            let server = try RunnerServer(token: Self.token)
            defer { server.kill() }
            let folder = temporaryFolder("remote")
            let store = try VerificationStore(path: folder.appendingPathComponent("store.sqlite").path)
            let runner = try RemoteRunner(url: server.url, token: Self.token, retries: 1, backoff: 0.1)
            let options = BatchOptions(machine: "test-ceiling", limits: TestDevice.generousLimits, policy: .quick)
            let summary = try await BatchVerifier(runner: runner, store: store, options: options).run(try Self.entries())
            #expect(summary.passed == 5, "\(summary.records.map { "\($0.candidateID): \($0.message)" })")
            #expect(summary.rejected == 1)
            let records = try store.records()
            #expect(records.count == 6)
            #expect(records.allSatisfy { $0.runner == server.url })
            #expect(records.last?.reason == .unwrittenOutput)
            #expect(records.first?.samples.count == 5)
        }

        @Test func runnerKilledMidBatchThenResumed() async throws {
            let folder = temporaryFolder("killed")
            let store = try VerificationStore(path: folder.appendingPathComponent("store.sqlite").path)
            let entries = try Self.entries()
            let options = BatchOptions(machine: "test-ceiling", limits: TestDevice.generousLimits, policy: .quick)

            // First run: the runner dies while the third candidate (the largest) is in flight.
            let first = try RunnerServer(token: Self.token)
            let runner = try RemoteRunner(url: first.url, token: Self.token, retries: 2, backoff: 0.1)
            let killer = KillOnStart(index: 3, delay: 0.15) { first.kill() }
            let summary = try await BatchVerifier(runner: runner, store: store, options: options, progress: killer).run(entries)
            #expect(summary.passed == 2)
            #expect(summary.notRun == 4)
            #expect(summary.runnerFailure?.contains("cannot reach the runner") == true)
            var records = try store.records()
            #expect(records.map(\.verdict) == [.pass, .pass, .notRun, .notRun, .notRun, .notRun])
            #expect(records[0].samples.count == 5 && records[1].samples.count == 5)
            #expect(records[2...].allSatisfy { $0.reason == .runnerFailed && $0.samples.isEmpty })

            // A new runner (another port); the same batch resumes: the two measured candidates are skipped.
            let second = try RunnerServer(token: Self.token)
            defer { second.kill() }
            let resumed = try await BatchVerifier(
                runner: try RemoteRunner(url: second.url, token: Self.token, retries: 1, backoff: 0.1), store: store, options: options
            ).run(entries)
            #expect(resumed.alreadyVerified == 2)
            #expect(resumed.passed == 3)
            #expect(resumed.rejected == 1)
            #expect(resumed.notRun == 0)
            records = try store.records()
            #expect(records.count == 10)
            let latest = try store.latestVerdicts(machine: "test-ceiling", deviceName: records[0].device.name)
            #expect(latest.count == 6)
            #expect(latest.values.filter { $0 == .notRun }.isEmpty)
        }
    }
}

/// Abuse on loopback: the runner refuses before reading, caps its connections and keeps answering.
extension DeviceSuites.RemoteRunnerTests {
    /// A connected loopback socket to the runner at `url` (http://127.0.0.1:PORT), with a receive timeout so that a
    /// server that never answers fails the test instead of hanging it.
    static func connect(_ url: String) throws -> Int32 {
        let port = UInt16(url.split(separator: ":").last.flatMap { Int($0) } ?? 0)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(port.bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw NSError(domain: "connect", code: Int(errno)) }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    /// Sends `text` and reads the answer until the server closes the connection.
    static func exchange(_ fd: Int32, _ text: String) -> String {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var answer = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &chunk, chunk.count, 0)
            if count <= 0 { break }
            answer.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: answer, as: UTF8.self)
    }

    @Test func aBodyIsNotReadBeforeTheTokenIsChecked() async throws {
        let server = try RunnerServer(token: Self.token)
        defer { server.kill() }
        // 60 MiB announced, none sent: a server that read the body first would wait for it.
        let fd = try Self.connect(server.url)
        defer { close(fd) }
        let answer = Self.exchange(fd, "POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Length: 62914560\r\n\r\n")
        #expect(answer.hasPrefix("HTTP/1.1 401"), "\(answer)")
        #expect(answer.contains("missing token"))
    }

    @Test func connectionsPastTheCapAreTurnedAwayAndTheRunnerStillServes() async throws {
        let server = try RunnerServer(token: Self.token)
        defer { server.kill() }
        let idle = try (0..<32).map { _ in try Self.connect(server.url) }
        let extra = try Self.connect(server.url)
        let answer = Self.exchange(extra, "GET /v1/device HTTP/1.1\r\nHost: x\r\n\r\n")
        close(extra)
        #expect(answer.hasPrefix("HTTP/1.1 503"), "\(answer)")
        for fd in idle { close(fd) }
        let runner = try RemoteRunner(url: server.url, token: Self.token, retries: 5, backoff: 0.2)
        #expect(try await runner.describeDevice().id == "opencl:0:0")
    }

    @Test func aShortTokenIsRefusedAtStart() throws {
        let child = try ChildProcess(["runner", "serve", "--bind", "127.0.0.1:0"], environment: ["KERNELCAST_RUNNER_TOKEN": "short"])
        #expect(child.finish() == 1)
        #expect(child.standardError.contains("the runner's token has 5 characters; it needs at least 16"))
    }
}

extension DeviceSuites.RemoteRunnerTests {
    /// A request the executor cannot run (a timing loop without seeds) is a 400, and the runner answers the next.
    @Test func aRequestWithoutTimingSeedsIsRefusedAndTheRunnerServesOn() async throws {
        let server = try RunnerServer(token: Self.token)
        defer { server.kill() }
        let runner = try RemoteRunner(url: server.url, token: Self.token, retries: 0)
        let candidate = try library(gemm(64, 64, 64), "block_m=32 block_n=32 block_k=8 warps=2")
        var plan = VerificationPolicy.quick.plan(for: candidate.problem, lastLevelCache: nil)
        plan.timing?.seeds = []
        await #expect {
            _ = try await runner.run(RunRequest(candidate: candidate, plan: plan, limits: nil))
        } throws: { error in
            (error as? VerifierError)?.message.contains("timing has 0 seeds; expected 1 to 10000") == true
                || (error as? VerifierError)?.cause?.contains("timing has 0 seeds; expected 1 to 10000") == true
        }
        #expect(try await runner.describeDevice().id == "opencl:0:0")
    }
}
