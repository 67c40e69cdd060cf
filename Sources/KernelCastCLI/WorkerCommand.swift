import ArgumentParser
import Foundation
import Store
import Verifier

struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run the store's verification jobs for one device of this host, one at a time.",
        discussion: """
        The worker advertises its device (vendor, name, driver, OpenCL version) on the store and claims only jobs \
        queued for that device (kernelcast verify --queue, kernelcast loop --queue), under a lease it renews while the \
        job runs. Each verification is stored in the transaction that completes its job. A worker that dies loses its \
        lease, and another worker of the same device takes the job; nothing is stored twice. Start one worker per \
        device; two workers of one device on one host take turns.
        """)

    @OptionGroup var storeOption: VerificationStoreOption
    @Option(help: "OpenCL device: opencl:P:D, opencl:N or part of its name (default opencl:0).") var device: String?
    @Option(help: "The worker's name in the store (default HOST:PID).") var name: String?
    @Option(parsing: .unconditional, help: "Seconds a claimed job is held without renewal (renewed every third of it).") var lease: Double = 60
    @Option(name: .customLong("idle-exit"), parsing: .unconditional, help: "Exit after this many seconds with no job to claim (default: never).")
    var idleExit: Double?

    func validate() throws {
        guard lease >= 1 else { throw ValidationError("--lease must be at least 1 second") }
        if let idleExit, idleExit < 0 { throw ValidationError("--idle-exit must be at least 0 seconds") }
        if let name, name.isEmpty { throw ValidationError("--name must not be empty") }
    }

    func run() throws {
        let store = try storeOption.open()
        let runner = try InProcessRunner(selector: device ?? "opencl:0")
        let workerName = name ?? "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
        let worker = QueueWorker(queue: VerificationQueue(store: store.store), runner: runner, name: workerName, lease: lease)
        let path = store.store.path
        try worker.run(idleExit: idleExit) { event in
            switch event {
            case .started(let device):
                say("worker \(workerName): device \(device.name) (\(device.vendor), driver \(device.driver), \(device.platform)); store \(path)")
            case .claimed(let job):
                say("claimed job \(job.id) (attempt \(job.attempts))")
            case .completed(let job, let verdict, let id):
                say("completed job \(job.id): \(verdict?.rawValue ?? "no-op")" + (id.map { " (verification \($0))" } ?? ""))
            case .leaseLost(let job):
                say("job \(job.id): the lease ran out and another worker has the job; nothing stored")
            case .failed(let job, let why):
                say("job \(job.id) failed: \(why)")
            }
        }
    }
}

/// A line on standard output at once (a worker's log is read while it runs).
private func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
