import Devices
import Foundation

/// Runs candidates through the store's verification queue: each request becomes a job for one device, and whichever
/// worker of that device claims it runs it and stores the verification (so the batch does not store it again).
public final class QueueRunner: CandidateRunner, Sendable {
    public let queue: VerificationQueue
    public let device: DeviceDescription
    public let machine: String
    public let batch: String
    /// Seconds a job may wait and run before the runner gives up on it (the job stays queued).
    public let timeout: Double

    public init(queue: VerificationQueue, device: DeviceDescription, machine: String, batch: String, timeout: Double) {
        self.queue = queue
        self.device = device
        self.machine = machine
        self.batch = batch
        self.timeout = timeout
    }

    /// The one device advertised on the store whose name or vendor contains `pattern` (any, when nil); an error
    /// names the devices there are when none or several match.
    public static func device(on queue: VerificationQueue, matching pattern: String?) throws(VerifierError) -> DeviceDescription {
        try device(among: queue.advertisedDevices(), matching: pattern)
    }

    /// What a store says when no worker has advertised a device on it.
    public static let noWorker = "no worker has advertised a device on this store"

    /// The one of `devices` whose name or vendor contains `pattern`, as `device(on:matching:)` chooses.
    public static func device(among devices: [DeviceDescription], matching pattern: String?) throws(VerifierError) -> DeviceDescription {
        let matching = devices.filter { device in
            guard let pattern, !pattern.isEmpty else { return true }
            return device.name.localizedCaseInsensitiveContains(pattern) || device.vendor.localizedCaseInsensitiveContains(pattern)
        }
        guard !devices.isEmpty else {
            throw VerifierError(.device, "\(noWorker); start one with kernelcast worker --device D --store STORE")
        }
        guard matching.count == 1 else {
            let names = devices.map { "\($0.name) (\($0.vendor), driver \($0.driver), \($0.platform))" }.joined(separator: "; ")
            throw VerifierError(.device, matching.isEmpty
                ? "no worker's device matches \"\(pattern ?? "")\"; workers advertise: \(names)"
                : "several devices match; pass --device with part of one name: \(names)")
        }
        return matching[0]
    }

    public var name: String { "queue" }

    public var recordsVerifications: Bool { true }

    public func describeDevice() async throws(VerifierError) -> DeviceDescription { device }

    public func run(_ request: RunRequest) async throws(VerifierError) -> RunOutcome {
        let id = try queue.enqueue([request], device: device, machine: machine, batch: batch)
        let states = try await Self.wait(for: id, on: queue, timeout: timeout)
        guard let text = states.first?.outcome, let outcome = try? JSONDecoder().decode(RunOutcome.self, from: Data(text.utf8)) else {
            throw VerifierError(.runner, "job \(id[0]) finished without an outcome")
        }
        return outcome
    }

    /// Waits until every job in `ids` is done; polls the store, as workers on other hosts tell it nothing else.
    public static func wait(for ids: [Int64], on queue: VerificationQueue, timeout: Double,
                            progress: ([JobState]) -> Void = { _ in }) async throws(VerifierError) -> [JobState] {
        let deadline = monotonicSeconds() + timeout
        while true {
            let states = try queue.states(ids)
            progress(states)
            if states.allSatisfy({ $0.status == .done }) { return states }
            guard monotonicSeconds() < deadline else {
                let left = states.filter { $0.status != .done }.count
                throw VerifierError(.runner, "\(left) of \(ids.count) jobs not done after \(Int(timeout)) s; they stay queued for the workers (is one running for this device?)")
            }
            try? await Task.sleep(nanoseconds: 100_000_000)
        }
    }
}
