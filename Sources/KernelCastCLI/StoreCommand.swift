import ArgumentParser
import Devices
import Foundation
import Store
import Verifier

struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Make or update a store's tables, copy an SQLite store into PostgreSQL, measure the job queue.",
        subcommands: [Migrate.self, Copy.self, BenchQueue.self])

    struct Migrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the store's tables, or bring them up to date, and list the migrations applied.")
        @OptionGroup var storeOption: StoreOptions

        func run() throws {
            let store = try Store(path: Store.resolvePath(option: storeOption.path), schemas: VerificationStore.schemas,
                                  passwordFile: storeOption.password.file)
            print("store \(store.path): \(try store.appliedMigrations().joined(separator: ", "))")
        }
    }

    struct Copy: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy every row of a store into a new, empty one (an SQLite file into PostgreSQL), ids included.",
            discussion: "The source is only read (its tables are brought up to date first); the destination must hold no rows yet.")
        @Option(help: "The store to copy (an SQLite file or a postgres:// URL).") var from: String
        @Option(help: "The store to copy into (created or migrated first).") var to: String
        @OptionGroup var password: StorePasswordOption

        func run() throws {
            let source = try Store(path: from, schemas: VerificationStore.schemas, mode: .existing, passwordFile: password.file)
            let destination = try Store(path: to, schemas: VerificationStore.schemas, passwordFile: password.file)
            let summary = try destination.copy(from: source)
            let moved = summary.rows.filter { $0.count > 0 }.map { "\($0.table) \($0.count)" }
            print("copied \(source.path) into \(destination.path): \(moved.isEmpty ? "no rows" : moved.joined(separator: ", "))")
        }
    }

    struct BenchQueue: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench-queue",
            abstract: "Jobs claimed and completed per second: queues no-op jobs, then one worker claims and completes each.",
            discussion: "The jobs are for a device no worker has (\"no-op\"), and are all done when the command ends.")
        @OptionGroup var storeOption: StoreOptions
        @Option(parsing: .unconditional, help: "No-op jobs to queue and run.") var jobs = 1000

        func validate() throws {
            guard (1...1_000_000).contains(jobs) else { throw ValidationError("--jobs must be between 1 and 1000000") }
        }

        func run() throws {
            let store = try Store(path: Store.resolvePath(option: storeOption.path), schemas: VerificationStore.schemas,
                                  passwordFile: storeOption.password.file)
            let queue = VerificationQueue(store: store)
            let device = DeviceDescription(id: "none", name: "no-op", vendor: "kernelcast", driver: "none", platform: "bench-queue", timerResolution: nil)
            let batch = "bench-queue-\(UUID().uuidString.prefix(8))"
            let queued = monotonicSeconds()
            _ = try queue.enqueueNoOps(jobs, device: device, batch: batch)
            let started = monotonicSeconds()
            var done = 0
            while let job = try queue.claim(worker: "bench-queue", device: device, lease: 60) {
                guard try queue.complete(job, record: nil, outcome: nil).held else { throw ValidationError("lost the lease of job \(job.id)") }
                done += 1
            }
            let seconds = monotonicSeconds() - started
            print(String(format: "%@: %d no-op jobs claimed and completed in %.2f s: %.0f jobs/s (queued in %.2f s)",
                         store.path, done, seconds, Double(done) / seconds, started - queued))
        }
    }
}
