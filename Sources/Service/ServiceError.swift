import MachineModel
import Refinement
import Store
import Verifier

/// Why an operation could not answer: the one error shape of every presentation (HTTP body, MCP tool error,
/// `kernelcast api` output): a code programs match on, a message that says what was wrong, and the remedy.
public struct ServiceError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Hashable, Sendable, CaseIterable {
        /// The request is not a JSON object, or a field is missing, misspelt, of the wrong type or out of range.
        case badRequest = "bad_request"
        /// A machine, device, job or route that does not exist.
        case notFound = "not_found"
        /// No bearer token, or the wrong one.
        case unauthorized
        /// The body is larger than the server accepts.
        case tooLarge = "too_large"
        /// The request asks for more work than one answer may take (a space past the cap).
        case tooMuchWork = "too_much_work"
        /// The inputs are well formed but cannot be combined (a space with nothing feasible to plan).
        case unprocessable
        /// A device, the store or a runner failed.
        case failed
    }

    public var code: Code
    public var message: String
    public var remedy: String

    public init(_ code: Code, _ message: String, remedy: String) {
        self.code = code
        self.message = message
        self.remedy = remedy
    }

    /// The HTTP status that goes with the code.
    public var status: Int {
        switch code {
        case .badRequest: 400
        case .unauthorized: 401
        case .notFound: 404
        case .tooLarge: 413
        case .tooMuchWork, .unprocessable: 422
        case .failed: 500
        }
    }

    public var description: String { "error: \(message); \(remedy)" }

    /// `{code, message, remedy}`.
    public var json: JSONValue {
        .object([("code", .string(code.rawValue)), ("message", .string(message)), ("remedy", .string(remedy))])
    }

    static func format(_ error: FormatError) -> ServiceError {
        ServiceError(.badRequest, error.description,
                     remedy: "fix the field named; the formats are in docs/candidate-format.md and docs/api.md")
    }

    static func refinement(_ error: RefinementError) -> ServiceError {
        let code: Code = switch error.code {
        case .edit: .badRequest
        case .insufficientData, .mismatch: .unprocessable
        }
        return ServiceError(code, error.description, remedy: "see docs/planner.md for what this operation needs")
    }

    static func verifier(_ error: VerifierError) -> ServiceError {
        let code: Code = switch error.code {
        case .format, .expression, .unsupported: .badRequest
        case .device, .runner, .crashed, .unauthorized, .store: .failed
        }
        return ServiceError(code, error.description, remedy: "see docs/verifier.md")
    }

    static func store(_ error: StoreError) -> ServiceError {
        ServiceError(.failed, error.description, remedy: "check the store path the server was started with (--store)")
    }
}
