import MachineModel

/// Why a refinement or a machine edit could not be made.
///
/// One error type for the module: a code programs can match on, a message that says what went wrong and how to fix
/// it, an optional cause, and a location when the fault is in a file written by people.
public struct RefinementError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Hashable, Sendable {
        /// A `--set` edit names no machine field, or gives a value that does not fit it.
        case edit
        /// Too little data to fit and validate (refine with fewer than two shapes).
        case insufficientData
        /// Inputs that must agree do not (measurements of another machine).
        case mismatch
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
