import Devices
import Foundation

/// Runs candidates on a device opened in this process and judges them here.
///
/// One candidate at a time: a device is used from one thread, so requests queue on a lock (the remote runner serves
/// several connections through one of these).
public final class InProcessRunner: CandidateRunner, @unchecked Sendable {
    public let executor: DeviceExecutor
    private let lock = NSLock()

    public init(device: any ComputeDevice) {
        executor = DeviceExecutor(device: device)
    }

    /// Opens a device by selector (`cuda:0`, `opencl:0`, `opencl:0:1`, part of a name).
    public convenience init(selector: String) throws(VerifierError) {
        do {
            self.init(device: try DeviceCatalog.open(selector))
        } catch {
            throw VerifierError(.device, "cannot open device \"\(selector)\"", cause: error.description)
        }
    }

    public var name: String { "in-process" }

    public func describeDevice() async throws(VerifierError) -> DeviceDescription { executor.description }

    public func run(_ request: RunRequest) async throws(VerifierError) -> RunOutcome {
        runSynchronously(request)
    }

    /// Executes and judges on the calling thread.
    public func runSynchronously(_ request: RunRequest) -> RunOutcome {
        lock.lock()
        defer { lock.unlock() }
        let start = monotonicSeconds()
        var observations: Observations, judgement: Judgement, runs = 0
        repeat {
            observations = executor.execute(request.candidate, plan: request.plan)
            judgement = Judge(limits: request.limits).judge(request.candidate, plan: request.plan, observations: observations)
            runs += 1
        } while judgement.reason == .timerInconsistent && runs < Judgement.timerRuns
        return RunOutcome(device: observations.device, judgement: judgement.afterTimerRuns(runs), elapsed: monotonicSeconds() - start)
    }
}
