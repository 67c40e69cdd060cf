import Foundation
#if canImport(Glibc)
import Glibc
#endif

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The `kernelcast` executable built next to the test bundle.
func kernelcastExecutable() -> String {
    var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = folder.appendingPathComponent("kernelcast")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
        folder.deleteLastPathComponent()
    }
    return repositoryRoot.appendingPathComponent(".build/debug/kernelcast").path
}

/// A fresh folder under the temporary directory.
func temporaryFolder(_ name: String) -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("kernelcast-verifier-\(name)-\(UUID().uuidString.prefix(8))")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A child process whose standard output is read line by line as it arrives.
final class ChildProcess: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var lines: [String] = []
    private var partial = ""
    private let errors = Pipe()

    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: kernelcastExecutable())
        process.arguments = arguments
        process.currentDirectoryURL = repositoryRoot
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = errors
        output.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.lock()
            self.partial += String(decoding: data, as: UTF8.self)
            while let newline = self.partial.firstIndex(of: "\n") {
                self.lines.append(String(self.partial[..<newline]))
                self.partial = String(self.partial[self.partial.index(after: newline)...])
            }
            self.lock.unlock()
        }
        try process.run()
    }

    var output: [String] {
        lock.lock()
        defer { lock.unlock() }
        return lines
    }

    /// Waits until `predicate` holds for the lines so far (or the process ends, or the timeout passes).
    @discardableResult
    func wait(timeout: Double = 120, until predicate: ([String]) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if predicate(output) { return true }
            if !process.isRunning { return predicate(output) }
            usleep(20_000)
        }
        return false
    }

    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func finish(timeout: Double = 300) -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { kill9() }
        process.waitUntilExit()
        usleep(50_000)
        return process.terminationStatus
    }

    var standardError: String { String(decoding: errors.fileHandleForReading.availableData, as: UTF8.self) }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}

/// `kernelcast runner serve` on a free loopback port.
final class RunnerServer: @unchecked Sendable {
    let child: ChildProcess
    let url: String

    init(token: String) throws {
        child = try ChildProcess(["runner", "serve", "--bind", "127.0.0.1:0", "--device", "opencl:0"], environment: ["KERNELCAST_RUNNER_TOKEN": token])
        guard child.wait(timeout: 60, until: { $0.contains { $0.contains("listening on http://") } }),
              let line = child.output.first(where: { $0.contains("listening on http://") }),
              let start = line.range(of: "http://"), let end = line[start.lowerBound...].firstIndex(of: " ") else {
            throw NSError(domain: "RunnerServer", code: 1, userInfo: [NSLocalizedDescriptionKey: "the runner did not start: \(child.output) \(child.standardError)"])
        }
        url = String(line[start.lowerBound..<end])
        precondition(url.hasPrefix("http://127.0.0.1:"))
    }

    func kill() { child.kill9() }
}
