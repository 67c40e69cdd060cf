import Foundation
import PostgresTestSupport
import Store
import Testing
@testable import Verifier

extension DeviceSuites {
    /// Workers in separate processes share one store's queue; one is killed with SIGKILL in the middle of a job.
    /// Every job completes exactly once, and what the store held before is all still there.
    @Suite(.serialized) struct FleetTests {
        static let jobs = 60

        @Test(.enabled(if: PostgresServer.enabled, "PostgreSQL is not installed"))
        func threeWorkersOnPostgreSQLLoseAndRepeatNothing() throws {
            let server = try PostgresServer()
            defer { server.stop() }
            try fleet(store: try server.database("fleet"), workers: 3)
        }

        @Test func twoWorkersOnOneSQLiteFileLoseAndRepeatNothing() throws {
            try fleet(store: temporaryFolder("fleet").appendingPathComponent("store.sqlite").path, workers: 2)
        }

        func fleet(store: String, workers count: Int) throws {
            let folder = temporaryFolder("fleet-lists")
            let machine = repositoryRoot.appendingPathComponent("machines/amd-epyc-9654.yaml").path
            let quick = ["--machine", machine, "--store", store, "--repetitions", "2", "--warmup", "0", "--checks", "2", "--flush-bytes", "0"]

            // What the store holds before: two verifications made in-process.
            let before = folder.appendingPathComponent("before.txt")
            try ["transpose rows=64 cols=48 tile=16 warps=2", "transpose rows=32 cols=80 tile=16 warps=1"]
                .joined(separator: "\n").write(to: before, atomically: true, encoding: .utf8)
            let first = try ChildProcess(["verify", before.path] + quick)
            #expect(first.finish() == 0, "\(first.output) \(first.standardError)")
            let earlier = try VerificationStore(path: store).records()
            try #require(earlier.count == 2)

            var workers: [String: ChildProcess] = [:]
            for index in 1...count {
                workers["w\(index)"] = try ChildProcess(["worker", "--store", store, "--name", "w\(index)", "--lease", "2", "--idle-exit", "8"])
            }
            defer { workers.values.forEach { if $0.process.isRunning { $0.kill9() } } }
            for (name, worker) in workers {
                #expect(worker.wait(timeout: 60) { $0.contains { $0.hasPrefix("worker \(name): device ") } }, "\(worker.output) \(worker.standardError)")
            }

            let list = folder.appendingPathComponent("jobs.txt")
            try (0..<Self.jobs).map { "elementwise elements=\(4096 + 16 * $0) ops=2 extra_inputs=1 warps=2 block_elements=256" }
                .joined(separator: "\n").write(to: list, atomically: true, encoding: .utf8)
            let enqueue = try ChildProcess(["verify", list.path, "--queue"] + quick)
            #expect(enqueue.finish() == 0, "\(enqueue.output) \(enqueue.standardError)")
            let queuedLine = try #require(enqueue.output.first { $0.hasPrefix("queued \(Self.jobs) jobs (batch ") }, "\(enqueue.output)")
            let batch = String(queuedLine.split(separator: "(batch ")[1].prefix { $0 != ")" })

            // Kill a worker that has claimed a job and not completed it, once a few jobs are done.
            func completed() -> Int { workers.values.map { $0.output.filter { $0.hasPrefix("completed job ") }.count }.reduce(0, +) }
            var victim: (name: String, job: Int64)?
            let deadline = Date().addingTimeInterval(120)
            while victim == nil, Date() < deadline {
                if completed() >= 5 {
                    for (name, worker) in workers {
                        guard let last = worker.output.last, last.hasPrefix("claimed job ") else { continue }
                        worker.kill9()
                        victim = (name, Int64(last.dropFirst("claimed job ".count).prefix { $0.isNumber }) ?? -1)
                        break
                    }
                }
                usleep(5_000)
            }
            let killed = try #require(victim, "no worker was seen in the middle of a job")

            for (name, worker) in workers where name != killed.name {
                #expect(worker.finish(timeout: 240) == 0, "\(name): \(worker.output.suffix(5)) \(worker.standardError)")
            }

            let verifications = VerificationStore(store: try Store(path: store, schemas: VerificationStore.schemas, mode: .existing))
            let states = try VerificationQueue(store: verifications.store).states(batch: batch)
            let records = try verifications.records(batch: batch)
            let done = states.filter { $0.status == .done }
            let ids = states.compactMap(\.verificationID)
            let lost = Self.jobs - done.count
            let duplicated = records.count - Set(records.map(\.fingerprint)).count
            print("fleet on \(store.hasPrefix("postgres") ? "PostgreSQL" : "SQLite"): \(Self.jobs) jobs, \(count) workers, 1 killed (\(killed.name) in job \(killed.job)), "
                  + "\(lost) lost, \(duplicated) duplicated, \(states.filter { $0.attempts > 1 }.count) claimed again")
            #expect(states.count == Self.jobs)
            #expect(lost == 0, "\(states.filter { $0.status != .done })")
            #expect(Set(ids).count == Self.jobs && records.count == Self.jobs, "\(records.count) verifications for \(Self.jobs) jobs")
            #expect(duplicated == 0)
            #expect(Set(records.compactMap(\.id)) == Set(ids))
            #expect(records.allSatisfy { $0.verdict == .pass && $0.samples.count == 2 }, "\(records.filter { $0.verdict != .pass }.map(\.message))")
            // The job the killed worker held was taken by another worker, whose verification is the only one.
            let taken = try #require(states.first { $0.id == killed.job })
            #expect(taken.attempts == 2 && taken.worker != killed.name, "\(taken)")
            #expect(workers[killed.name]?.output.contains("completed job \(killed.job)") == false)
            // Nothing stored before is lost or changed.
            let after = try verifications.records()
            #expect(Array(after.prefix(2)) == earlier)
            #expect(after.count == earlier.count + Self.jobs)
        }
    }
}
