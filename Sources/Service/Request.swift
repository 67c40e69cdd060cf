import Foundation
import MachineModel

/// A request body: a JSON object read field by field with the same strict reader as files, so an error names the
/// line, column and field (`request:3:14: error: problem.m: expected a positive whole number, got "-4"`), and a key
/// nobody reads is refused.
struct Request {
    let fields: MappingReader

    init(_ body: String) throws(ServiceError) {
        // An empty body is an empty object (GET routes, operations whose fields are all optional).
        let text = body.utf8.allSatisfy { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 } ? "{}" : body
        // JSON only, read strictly with every value's place: no anchors or aliases to expand, nesting bounded.
        let root: ValueReader
        do {
            root = try YAMLDocument(json: text, file: "request").root
        } catch {
            throw ServiceError(.badRequest, error.description, remedy: "send one JSON object with Content-Type: application/json")
        }
        guard root.isMapping else {
            throw ServiceError(.badRequest, "the body is not a JSON object", remedy: "send an object such as {\"machine\": \"h200-sxm\", ...}")
        }
        do {
            fields = try root.mapping()
        } catch {
            throw .format(error)
        }
    }

    func string(_ key: String) throws(FormatError) -> String {
        try fields.required(key) { v throws(FormatError) in try v.quotedString() }
    }

    func optionalString(_ key: String) throws(FormatError) -> String? {
        try fields.optional(key) { v throws(FormatError) in try v.quotedString() }
    }

    func positive(_ key: String, default value: Int, minimum: Int = 1, maximum: Int = 1_000_000) throws(FormatError) -> Int {
        try fields.optional(key) { v throws(FormatError) in
            let n = try v.positiveInt()
            guard n >= minimum, n <= maximum else { throw v.error("expected \(minimum) to \(maximum), got \(n)") }
            return n
        } ?? value
    }

    /// A list of non-empty texts with at least one item (machine names, edits).
    func texts(_ key: String) throws(FormatError) -> [String] {
        try fields.required(key) { v throws(FormatError) in
            let items = try v.sequence()
            guard !items.isEmpty else { throw v.error("expected at least one value") }
            return try items.map { item throws(FormatError) in try item.quotedString() }
        }
    }

    func bool(_ key: String, default value: Bool) throws(FormatError) -> Bool {
        try fields.optional(key) { v throws(FormatError) in try v.bool() } ?? value
    }

    /// A nested document (a space, a block, measurements).
    func document(_ key: String) throws(FormatError) -> YAMLDocument {
        try fields.required(key) { v throws(FormatError) in YAMLDocument(nested: v) }
    }

    func finish() throws(FormatError) { try fields.finish() }
}
