import MachineModel

/// Why the verifier could not do what it was asked (as opposed to a candidate being rejected, which is a `Verdict`).
///
/// One error type for the module: a code programs can match on, a message that says what went wrong and how to fix
/// it, an optional cause, and a location when the fault is in a file written by people.
public struct VerifierError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Hashable, Sendable, Codable {
        /// A candidate, space, plan or list file is malformed.
        case format
        /// A launch-geometry or argument expression does not parse or refers to an unknown name.
        case expression
        /// The candidate names something the verifier cannot run (an unknown family, a missing kernel source).
        case unsupported
        /// The device could not be opened or failed outside a candidate's own fault.
        case device
        /// The remote runner or an external command could not be reached, timed out or answered nonsense.
        case runner
        /// A child process running a candidate died of a signal or passed its deadline.
        case crashed
        /// The runner answered 401: the shared token is missing or wrong.
        case unauthorized
        /// The store could not be opened or written.
        case store
    }

    public var code: Code
    public var message: String
    public var cause: String?
    public var location: FileLocation?

    public init(_ code: Code, _ message: String, cause: String? = nil, location: FileLocation? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
        self.location = location
    }

    public var description: String {
        var text = location.map { "\($0): error: " } ?? "error: "
        text += message
        if let cause { text += " (\(cause))" }
        return text
    }
}

extension VerifierError {
    init(_ error: FormatError) {
        self.init(.format, error.detail, location: error.location)
    }
}
