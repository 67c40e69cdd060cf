import Foundation
import Yams

/// Reads a YAML document field by field, keeping every node's line and column so that errors can name them.
///
/// Readers record which keys were consumed; `finish()` rejects any key nobody asked for, so that a misspelt field
/// is an error instead of being silently ignored.
public struct YAMLDocument {
    public let file: String
    public let root: ValueReader

    /// Parses `text` (the contents of `file`) into a document whose root must be a mapping.
    public init(text: String, file: String) throws(FormatError) {
        self.file = file
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw Self.translate(error, file: file)
        } catch {
            throw FormatError(FileLocation(file: file, line: 1, column: 1), field: "-", "not valid YAML: \(error)")
        }
        guard let node else {
            throw FormatError(FileLocation(file: file, line: 1, column: 1), field: "-", "the file is empty")
        }
        root = ValueReader(node: node, path: "", file: file)
    }

    /// A document nested in another one (a space inside an API request): errors keep the outer file's lines and
    /// the nested field's path (`request:4:9: error: space.schedule.block_m: ...`).
    public init(nested reader: ValueReader) {
        file = reader.file
        root = reader
    }

    private static func translate(_ error: YamlError, file: String) -> FormatError {
        func at(_ mark: Mark, _ message: String) -> FormatError {
            FormatError(FileLocation(file: file, line: mark.line, column: mark.column), field: "-", message)
        }
        switch error {
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
            return at(mark, "not valid YAML: \(problem)")
        case let .duplicatedKeysInMapping(duplicates, context):
            return FormatError(
                FileLocation(file: file, line: context.mark.line, column: context.mark.column),
                field: duplicates.joined(separator: ", "), "duplicate key; each key may appear once in a mapping")
        default:
            return FormatError(FileLocation(file: file, line: 1, column: 1), field: "-", "not valid YAML: \(error)")
        }
    }

    /// Reads the leading `version:` field and rejects versions newer than `supported`.
    public func checkVersion(supported: Int) throws(FormatError) -> MappingReader {
        let mapping = try root.mapping()
        let version = try mapping.required("version") { v throws(FormatError) in try v.int() }
        guard version >= 1, version <= supported else {
            throw FormatError(
                mapping.location(of: "version"), field: "version",
                "version \(version) is not supported; this kernelcast reads versions 1 to \(supported)")
        }
        return mapping
    }
}

/// One node of the document with its dotted path.
public struct ValueReader {
    let node: Node
    public let path: String
    public let file: String

    public var location: FileLocation {
        FileLocation(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
    }

    public func error(_ message: String) -> FormatError { FormatError(location, field: path.isEmpty ? "-" : path, message) }

    public func mapping() throws(FormatError) -> MappingReader {
        guard let mapping = node.mapping else { throw error("expected a mapping of fields, got \(describe())") }
        return MappingReader(mapping: mapping, reader: self)
    }

    public func sequence() throws(FormatError) -> [ValueReader] {
        guard let sequence = node.sequence else { throw error("expected a list, got \(describe())") }
        return sequence.enumerated().map { ValueReader(node: $0.element, path: "\(path)[\($0.offset)]", file: file) }
    }

    public func string() throws(FormatError) -> String {
        guard let scalar = node.scalar else { throw error("expected a text value, got \(describe())") }
        return scalar.string
    }

    public func nonEmptyString() throws(FormatError) -> String {
        let text = try string()
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw error("expected a non-empty text") }
        return text
    }

    public func int() throws(FormatError) -> Int {
        let text = try string()
        guard let value = Int(text) else { throw error("expected a whole number, got \"\(text)\"") }
        return value
    }

    public func nonNegativeInt() throws(FormatError) -> Int {
        let value = try int()
        guard value >= 0 else { throw error("expected a non-negative whole number, got \(value)") }
        return value
    }

    public func positiveInt() throws(FormatError) -> Int {
        let value = try int()
        guard value > 0 else { throw error("expected a positive whole number, got \(value)") }
        return value
    }

    public func double() throws(FormatError) -> Double {
        let text = try string()
        guard let value = Double(text), value.isFinite else { throw error("expected a number, got \"\(text)\"") }
        return value
    }

    public func bool() throws(FormatError) -> Bool {
        switch try string() {
        case "true": return true
        case "false": return false
        case let other: throw error("expected true or false, got \"\(other)\"")
        }
    }

    public func quantity<Q: Quantity>(_: Q.Type = Q.self) throws(FormatError) -> Q {
        let text = try string()
        do {
            return try Q(parsing: text)
        } catch {
            throw self.error(error.description)
        }
    }

    /// Reads one of the listed words; the error lists them all.
    public func oneOf<E: RawRepresentable & CaseIterable>(_: E.Type = E.self) throws(FormatError) -> E
    where E.RawValue == String {
        let text = try string()
        guard let value = E(rawValue: text) else {
            throw error("expected one of \(E.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(text)\"")
        }
        return value
    }

    /// Integers or quantity strings given as a single value or a list (a space's axis).
    public func list<T>(_ read: (ValueReader) throws(FormatError) -> T) throws(FormatError) -> [T] {
        if node.sequence != nil {
            let items = try sequence()
            guard !items.isEmpty else { throw error("expected at least one value") }
            var values: [T] = []
            for item in items { values.append(try read(item)) }
            return values
        }
        return [try read(self)]
    }

    var isNull: Bool {
        guard let scalar = node.scalar, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    func describe() -> String {
        switch node {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case let .scalar(scalar): "\"\(scalar.string)\""
        case .alias: "an alias"
        }
    }
}

/// A mapping whose keys are read one by one; unread keys are errors at `finish()`.
public final class MappingReader {
    let mapping: Node.Mapping
    let reader: ValueReader
    private var consumed: Set<String> = []
    /// Each key's text, in order, read once: looking a key up then compares strings instead of copying nodes.
    private let keyTexts: [String?]

    init(mapping: Node.Mapping, reader: ValueReader) {
        self.mapping = mapping
        self.reader = reader
        keyTexts = mapping.map { $0.key.scalar?.string }
    }

    private func pair(_ key: String) -> (key: Node, value: Node)? {
        guard let offset = keyTexts.firstIndex(of: key) else { return nil }
        return mapping[mapping.index(mapping.startIndex, offsetBy: offset)]
    }

    public var path: String { reader.path }
    public var location: FileLocation { reader.location }
    public var keys: [String] { keyTexts.compactMap { $0 } }

    func child(_ key: String) -> ValueReader? {
        guard let pair = pair(key) else { return nil }
        let reader = ValueReader(node: pair.value, path: path.isEmpty ? key : "\(path).\(key)", file: reader.file)
        return reader.isNull ? nil : reader
    }

    /// The location of a key, or of the mapping when the key is absent.
    public func location(of key: String) -> FileLocation {
        guard let pair = pair(key), let mark = pair.key.mark else {
            return location
        }
        return FileLocation(file: reader.file, line: mark.line, column: mark.column)
    }

    public func fieldPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    public func has(_ key: String) -> Bool { child(key) != nil }

    public func required<T>(_ key: String, _ read: (ValueReader) throws(FormatError) -> T) throws(FormatError) -> T {
        consumed.insert(key)
        guard let value = child(key) else {
            throw FormatError(location, field: fieldPath(key), "missing required field")
        }
        return try read(value)
    }

    public func optional<T>(_ key: String, _ read: (ValueReader) throws(FormatError) -> T) throws(FormatError) -> T? {
        consumed.insert(key)
        guard let value = child(key) else { return nil }
        return try read(value)
    }

    /// Every entry, for mappings whose keys are data (source ids, precisions).
    public func entries() -> [(key: String, value: ValueReader)] {
        mapping.compactMap { pair in
            guard let key = pair.key.scalar?.string else { return nil }
            consumed.insert(key)
            return (key, ValueReader(node: pair.value, path: fieldPath(key), file: reader.file))
        }
    }

    /// Rejects keys that no reader consumed.
    public func finish() throws(FormatError) {
        for pair in mapping {
            let key = pair.key.scalar?.string ?? "?"
            if !consumed.contains(key) {
                let mark = pair.key.mark
                throw FormatError(
                    FileLocation(file: reader.file, line: mark?.line ?? 1, column: mark?.column ?? 1),
                    field: fieldPath(key), "unknown field; expected one of \(consumed.sorted().joined(separator: ", "))")
            }
        }
    }
}

extension ValueReader {
    /// The node at a path of keys (String) and list indices (Int) below this one, for locating semantic errors.
    public func descend(_ steps: [any Sendable]) -> ValueReader {
        var current = self
        for step in steps {
            if let key = step as? String, let mapping = current.node.mapping,
               let pair = mapping.first(where: { $0.key.scalar?.string == key }) {
                let path = current.path.isEmpty ? key : "\(current.path).\(key)"
                current = ValueReader(node: pair.value, path: path, file: file)
            } else if let index = step as? Int, let sequence = current.node.sequence, index < sequence.count {
                current = ValueReader(node: sequence[sequence.index(sequence.startIndex, offsetBy: index)],
                                      path: "\(current.path)[\(index)]", file: file)
            } else {
                break
            }
        }
        return current
    }
}

extension ValueReader {
    /// The node written back as YAML text, for a nested document that is stored or handed on whole.
    public func serialized() throws(FormatError) -> String {
        do {
            return try Yams.serialize(node: node)
        } catch {
            throw self.error("cannot be written back as text: \(error)")
        }
    }
}
