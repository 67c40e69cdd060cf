import Foundation
import PostgresTestSupport
import Store
import Testing
@testable import Verifier

/// The queue's leases on both backends, without hardware: a lease that ran out is taken over, and the worker that
/// lost it can neither renew it nor store anything.
@Suite struct QueueTests {
    let device = DeviceDescription(id: "opencl:0:0", name: "Test GPU", vendor: "Vendor", driver: "1.0", platform: "OpenCL 3.0", timerResolution: nil)

    func record(_ id: String) -> VerificationRecord {
        VerificationRecord(candidate: Candidate(id: id, problem: .copy(CopyProblem(count: 1)), launches: [], origin: "test"), plan: nil,
                           machine: "m", device: device, runner: "worker a", batch: "b", verdict: .pass, reason: nil, message: "")
    }

    func leases(_ path: String) throws {
        let store = try VerificationStore(path: path)
        let queue = VerificationQueue(store: store.store)
        let ids = try queue.enqueueNoOps(2, device: device, batch: "b")
        var other = device
        other.driver = "2.0"
        #expect(try queue.claim(worker: "c", device: other, lease: 60) == nil, "a job was claimed for another driver")

        // Worker a claims the first job with a lease that has already run out (as if a killed worker stopped renewing).
        let lost = try #require(try queue.claim(worker: "a", device: device, lease: -1))
        #expect(lost.id == ids[0] && lost.attempts == 1)
        let taken = try #require(try queue.claim(worker: "b", device: device, lease: 60))
        #expect(taken.id == ids[0] && taken.attempts == 2)
        #expect(try queue.renew(lost, worker: "a", lease: 60) == false)
        let late = try queue.complete(lost, record: record("late"), outcome: "{}")
        #expect(late.held == false && late.verificationID == nil)
        #expect(try store.records().isEmpty, "the worker that lost the lease stored a verification")

        #expect(try queue.renew(taken, worker: "b", lease: 60))
        let done = try queue.complete(taken, record: record("kept"), outcome: "{}")
        #expect(done.held && done.verificationID != nil)
        #expect(try store.records().map(\.candidateID) == ["kept"])
        let states = try queue.states(ids)
        #expect(states.map(\.status) == [.done, .queued])
        #expect(states[0].worker == "b" && states[0].verificationID == done.verificationID)
        // Completed once: the job is never claimed again, the second one is next.
        #expect(try queue.claim(worker: "a", device: device, lease: 60)?.id == ids[1])
        #expect(try queue.claim(worker: "a", device: device, lease: 60) == nil)
    }

    @Test func anExpiredLeaseIsTakenOverOnSQLite() throws {
        try leases(temporaryFolder("queue").appendingPathComponent("store.sqlite").path)
    }

    @Test(.enabled(if: PostgresServer.enabled, "PostgreSQL is not installed"))
    func anExpiredLeaseIsTakenOverOnPostgreSQL() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        try leases(try server.database("queue"))
    }
}
