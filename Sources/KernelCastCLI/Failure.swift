import ArgumentParser
import Calibration
import Devices
import Foundation
import Service
import Store
import Verifier

/// How kernelcast ends when something is wrong: one message style and one exit code per kind of mistake, for every
/// command (README, "Exit codes"). A file's error is `file:line:col: error: field: ...`; anything else is
/// `error: what; remedy`. Usage text follows only a mistake in the command line itself, never a bad input.
enum Failure {
    /// The input is wrong: a file, a value, a name.
    static let badInput: Int32 = 1
    /// The command line is wrong: an unknown option, a missing argument, a value that is not of its type.
    static let usage: Int32 = 2
    /// A device, a runner, the store or the runtime failed on good input.
    static let runtime: Int32 = 3

    /// A command line that cannot be parsed: the message, the command's usage line, exit 2.
    static func exitOnUsage(_ error: any Error) -> Never {
        if KernelCast.exitCode(for: error) == .success { KernelCast.exit(withError: error) }
        var lines = KernelCast.fullMessage(for: error, columns: 120).split(separator: "\n", omittingEmptySubsequences: false)
        if let first = lines.first, first.hasPrefix("Error: ") { lines.removeFirst() }
        let usage = lines.map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        report(([line(KernelCast.message(for: error))] + usage).joined(separator: "\n"))
        exit(Failure.usage)
    }

    /// An error while running: one line, no usage text, the exit code of its kind.
    static func exitOnRun(_ error: any Error) -> Never {
        if let code = error as? ExitCode { exit(code.rawValue) }
        if KernelCast.exitCode(for: error) == .success { KernelCast.exit(withError: error) }
        report(line(String(describing: error)))
        exit(code(for: error))
    }

    /// The message with `error: ` in front, once: most of the library's errors already say where and that it is one.
    static func line(_ message: String) -> String {
        message.hasPrefix("error: ") || message.contains(": error: ") ? message : "error: \(message)"
    }

    /// Whether the error is the input's fault (1) or the hardware's, the store's or the runtime's (3).
    static func code(for error: any Error) -> Int32 {
        switch error {
        case is DeviceError: runtime
        case let error as VerifierError: [.device, .runner, .crashed, .store].contains(error.code) ? runtime : badInput
        case let error as StoreError: [.query, .migration].contains(error.code) ? runtime : badInput
        case let error as ServiceError: error.code == .failed ? runtime : badInput
        case let error as CalibrationError:
            switch error.code {
            case .noDevice, .benchmarkFailed, .store, .output: runtime
            case .fit, .importFormat, .unknownField, .unitMismatch: badInput
            }
        default: badInput
        }
    }

    private static func report(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
