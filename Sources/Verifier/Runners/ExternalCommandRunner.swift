import Devices
import Foundation

/// The request an external command reads on standard input (one JSON object), per docs/verifier.md:
/// `{"kind": "describe"}` asks for the device (answer: a `DeviceDescription`); `{"kind": "run", "candidate": ...,
/// "plan": ...}` asks to execute a plan (answer: `Observations`). The verifier judges the observations itself, so
/// an external harness only runs kernels and reports what it saw; it never decides a verdict.
public struct ExternalRequest: Sendable, Codable {
    public enum Kind: String, Sendable, Codable { case describe, run }
    public var kind: Kind
    public var candidate: Candidate?
    public var plan: ExecutionPlan?

    public init(kind: Kind, candidate: Candidate? = nil, plan: ExecutionPlan? = nil) {
        self.kind = kind
        self.candidate = candidate
        self.plan = plan
    }
}

/// Runs candidates through an external command, one process per request: a Triton or CUDA harness on a GPU host, or
/// `kernelcast runner exec` itself (the in-process runner isolated in a child, so that a kernel that hangs or
/// crashes costs one candidate, not the batch).
///
/// A command that times out, crashes or answers nonsense for one candidate leaves that candidate not run and the
/// batch goes on; a command that cannot describe its device fails the batch before it starts.
public final class ExternalCommandRunner: CandidateRunner, @unchecked Sendable {
    public let command: [String]
    /// Seconds one request may take before the command is killed.
    public let timeout: Double
    public let environment: [String: String]?
    /// The command is kernelcast's own `runner exec`, isolating a candidate in a child process: it takes the whole
    /// plan (input ranges, unannounced checked repetitions), and a child killed by a signal or its deadline is the
    /// candidate's doing (`crashed`), not the runner's.
    public let isolating: Bool

    public init(command: [String], timeout: Double = 1800, environment: [String: String]? = nil, isolating: Bool = false) throws(VerifierError) {
        guard !command.isEmpty else { throw VerifierError(.runner, "the external runner command is empty") }
        self.command = command
        self.timeout = timeout
        self.environment = environment
        self.isolating = isolating
    }

    public var name: String { "command: " + command.joined(separator: " ") }

    public func describeDevice() async throws(VerifierError) -> DeviceDescription {
        let data = try exchange(ExternalRequest(kind: .describe))
        do {
            return try JSONDecoder().decode(DeviceDescription.self, from: data)
        } catch {
            throw VerifierError(.runner, "\(name) answered describe with something that is not a device description", cause: Self.excerpt(data))
        }
    }

    /// Other commands implement the protocol's inputs as generated (uniform in [-1, 1)), so the plan is sent and
    /// judged without input ranges; kernelcast's own child takes it whole.
    public func run(_ request: RunRequest) async throws(VerifierError) -> RunOutcome {
        let start = monotonicSeconds()
        let device = try await describeDeviceCached()
        let plan = isolating ? request.plan : request.plan.withGeneratedInputs
        var observations: Observations, judgement: Judgement, runs = 0
        repeat {
            do throws(VerifierError) {
                let data = try exchange(ExternalRequest(kind: .run, candidate: request.candidate, plan: plan))
                guard let decoded = try? JSONDecoder().decode(Observations.self, from: data) else {
                    throw VerifierError(.runner, "\(name) answered with something that is not observations", cause: Self.excerpt(data))
                }
                observations = decoded
            } catch {
                let message = "\(error.message)\(error.cause.map { " (\($0))" } ?? "")"
                // Rule: kernelcast's own child dies only of what it ran; another command's death says nothing of it.
                let judgement = isolating && error.code == .crashed
                    ? Judgement(verdict: .reject, reason: .crashed, message: message)
                    : Judgement(verdict: .notRun, reason: .runnerFailed, message: message)
                return RunOutcome(device: device, judgement: judgement, elapsed: monotonicSeconds() - start)
            }
            judgement = Judge(limits: request.limits).judge(request.candidate, plan: plan, observations: observations)
            runs += 1
        } while judgement.reason == .timerInconsistent && runs < Judgement.timerRuns
        return RunOutcome(device: observations.device, judgement: judgement.afterTimerRuns(runs), elapsed: monotonicSeconds() - start)
    }

    private var cachedDevice: DeviceDescription?

    private func describeDeviceCached() async throws(VerifierError) -> DeviceDescription {
        if let cachedDevice { return cachedDevice }
        let device = try await describeDevice()
        cachedDevice = device
        return device
    }

    /// Writes the request to a fresh process, reads its standard output; kills it after `timeout`.
    func exchange(_ request: ExternalRequest) throws(VerifierError) -> Data {
        let input: Data
        do {
            input = try JSONEncoder().encode(request)
        } catch {
            throw VerifierError(.runner, "cannot encode the request", cause: "\(error)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        var environment = ProcessInfo.processInfo.environment.merging(self.environment ?? [:]) { _, new in new }
        // kernelcast's own child: a crash there is the candidate's verdict. Swift's crash backtracer would only add
        // noise, and it can outlive the child holding its pipes, which Foundation's Process waits on before it calls
        // the child finished (a CI run's isolated crash hung 10 minutes on a backtracer that never ended).
        if isolating { environment["SWIFT_BACKTRACE"] = "enable=no" }
        process.environment = environment
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        do {
            try process.run()
        } catch {
            throw VerifierError(.runner, "cannot start \(command.joined(separator: " "))", cause: error.localizedDescription)
        }
        let collector = OutputCollector()
        let reader = Thread { collector.output = stdout.fileHandleForReading.readDataToEndOfFile() }
        let errorReader = Thread { collector.errors = stderr.fileHandleForReading.readDataToEndOfFile() }
        let writer = Thread {
            stdin.fileHandleForWriting.write(input)
            try? stdin.fileHandleForWriting.close()
        }
        reader.start()
        errorReader.start()
        writer.start()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            usleep(500_000)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            throw VerifierError(.crashed, "\(name) took more than \(Int(timeout)) s and was stopped")
        }
        process.waitUntilExit()
        while !collector.finished(reader, errorReader) { usleep(1000) }
        let status = process.terminationStatus
        if process.terminationReason == .uncaughtSignal {
            throw VerifierError(.crashed, "\(name) died with signal \(status)", cause: Self.excerpt(collector.errors))
        }
        guard status == 0 else {
            throw VerifierError(.runner, "\(name) exited with status \(status)", cause: Self.excerpt(collector.errors.isEmpty ? collector.output : collector.errors))
        }
        return collector.output
    }

    private final class OutputCollector: @unchecked Sendable {
        var output = Data()
        var errors = Data()
        func finished(_ a: Thread, _ b: Thread) -> Bool { a.isFinished && b.isFinished }
    }

    static func excerpt(_ data: Data) -> String {
        let text = String(decoding: data.suffix(600), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "no output" : text
    }
}

/// `kernelcast runner exec`: answers one `ExternalRequest` from standard input with the in-process executor.
public enum ExternalProtocolHandler {
    /// The answer to one request, as JSON.
    public static func answer(_ input: Data, executor: DeviceExecutor) throws(VerifierError) -> Data {
        let request: ExternalRequest
        do {
            request = try JSONDecoder().decode(ExternalRequest.self, from: input)
        } catch {
            throw VerifierError(.format, "standard input is not a runner request", cause: "\(error)")
        }
        let encoder = JSONEncoder()
        do {
            switch request.kind {
            case .describe:
                return try encoder.encode(executor.description)
            case .run:
                guard let candidate = request.candidate, let plan = request.plan else {
                    throw VerifierError(.format, "a run request needs candidate and plan")
                }
                try RunRequest(candidate: candidate, plan: plan, limits: nil).validate()
                return try encoder.encode(executor.execute(candidate, plan: plan))
            }
        } catch let error as VerifierError {
            throw error
        } catch {
            throw VerifierError(.format, "cannot encode the answer", cause: "\(error)")
        }
    }
}
