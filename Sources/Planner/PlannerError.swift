import MachineModel

/// Why the planner could not do what it was asked.
///
/// One error type for the module: a code programs can match on, a message that says what went wrong and how to fix
/// it, an optional cause, and a location when the fault is in a file written by people.
public struct PlannerError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Hashable, Sendable {
        /// A block, refinement or plan file is malformed.
        case format
        /// A `--set` edit names no machine field, or gives a value that does not fit it.
        case edit
        /// Too little data to do what was asked (refine without measurements, validate with one shape).
        case insufficientData
        /// Inputs that must agree do not (measurements of another machine, a space of another family).
        case mismatch
        /// The space, after feasibility, has nothing to plan.
        case empty
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

    /// A malformed file, reported where the file is wrong.
    public init(_ error: FormatError) {
        self.init(.format, error.detail, location: error.location)
    }

    public var description: String {
        var text = location.map { "\($0): error: " } ?? "error: "
        text += message
        if let cause { text += " (\(cause))" }
        return text
    }
}
