import Foundation
import MachineModel

/// Reports a batch as it runs.
public protocol VerificationProgress: Sendable {
    func batchStarted(total: Int, toRun: Int, alreadyVerified: Int, device: DeviceDescription, runner: String)
    func candidateStarted(_ position: (index: Int, count: Int), _ candidate: Candidate, timeLeft: Double?)
    func candidateFinished(_ position: (index: Int, count: Int), _ candidate: Candidate, record: VerificationRecord, timeLeft: Double?)
    func batchFinished(_ summary: BatchSummary)
}

/// Reports nothing (tests, `--format json`).
public struct SilentProgress: VerificationProgress {
    public init() {}
    public func batchStarted(total: Int, toRun: Int, alreadyVerified: Int, device: DeviceDescription, runner: String) {}
    public func candidateStarted(_ position: (index: Int, count: Int), _ candidate: Candidate, timeLeft: Double?) {}
    public func candidateFinished(_ position: (index: Int, count: Int), _ candidate: Candidate, record: VerificationRecord, timeLeft: Double?) {}
    public func batchFinished(_ summary: BatchSummary) {}
}

/// One line per candidate on standard output (`[ 3/40] pass     1.23 ms ±2.1%  gemm 512x512x512 ...  stored #17,
/// 0:42 left`); on a terminal, a status line on standard error says which candidate runs now and the time left.
public final class TerminalProgress: VerificationProgress, @unchecked Sendable {
    private let interactive: Bool
    private let lock = NSLock()

    public init(interactive: Bool = isatty(STDERR_FILENO) != 0) {
        self.interactive = interactive
    }

    private func out(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    private func status(_ text: String) {
        guard interactive else { return }
        lock.lock()
        defer { lock.unlock() }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
    }

    public func batchStarted(total: Int, toRun: Int, alreadyVerified: Int, device: DeviceDescription, runner: String) {
        var line = "verifying \(toRun) of \(total) candidates on \(device.name) (\(device.id), driver \(device.driver)) via \(runner)"
        if alreadyVerified > 0 { line += "; \(alreadyVerified) already verified on this machine and device, skipped" }
        out(line)
    }

    public func candidateStarted(_ position: (index: Int, count: Int), _ candidate: Candidate, timeLeft: Double?) {
        status("[\(Self.counter(position))] running \(candidate.id)" + (timeLeft.map { ", \(Self.clock($0)) left" } ?? ""))
    }

    public func candidateFinished(_ position: (index: Int, count: Int), _ candidate: Candidate, record: VerificationRecord, timeLeft: Double?) {
        let verdict = record.verdict == .pass ? "pass" : (record.verdict == .reject ? "REJECT" : "not run")
        var line = "[\(Self.counter(position))] \(verdict.padding(toLength: 7, withPad: " ", startingAt: 0)) "
        if let median = record.median, record.verdict == .pass {
            line += "\(Seconds(base: median)) ±\(formatSignificant(100 * (record.spread ?? 0) / 2, digits: 2))%  "
        }
        line += candidate.id
        if record.verdict != .pass { line += ": \(record.reason?.rawValue ?? "-"): \(record.message)" }
        if let id = record.id { line += "  (stored #\(id))" }
        if let timeLeft, timeLeft > 0 { line += "  \(Self.clock(timeLeft)) left" }
        out(line)
        for launch in record.compiler ?? [] {
            out("    \(launch.kernel): \(launch.facts.summary); kernelcast predict ... --compiler \"\(launch.candidateFormText)\"")
        }
    }

    public func batchFinished(_ summary: BatchSummary) {
        var line = "\(summary.passed) passed, \(summary.rejected) rejected, \(summary.notRun) not run"
        if summary.alreadyVerified > 0 { line += ", \(summary.alreadyVerified) already verified" }
        if summary.duplicates > 0 { line += ", \(summary.duplicates) duplicates of another candidate" }
        if summary.beyondLimit > 0 { line += ", \(summary.beyondLimit) left for a later run (--limit)" }
        out(line)
        if let failure = summary.runnerFailure {
            out("the runner failed: \(failure); rerun the same command to resume (verified candidates are skipped)")
        }
    }

    static func counter(_ position: (index: Int, count: Int)) -> String {
        let width = String(position.count).count
        let index = String(position.index)
        return String(repeating: " ", count: max(0, width - index.count)) + index + "/\(position.count)"
    }

    /// `0:42`, `12:05`, `1:02:03`.
    static func clock(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        let (h, m, s) = (total / 3600, (total % 3600) / 60, total % 60)
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, s) : String(format: "%d:%02d", m, s)
    }
}
