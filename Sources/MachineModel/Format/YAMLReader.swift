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
        // Rule: an alias may not be a mapping key: the YAML library compares such keys whole, and a nested alias
        // makes that cost grow as a power of the file's length.
        if text.contains("&"), let line = Self.aliasKeyLine(text) {
            throw FormatError(FileLocation(file: file, line: line, column: 1), field: "-",
                              "an alias (*name) used as a mapping key; write the key out")
        }
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
        // Rule: aliases may not expand a document past a million values or its own length (a plain document has
        // fewer values than characters): nine nested aliases of nine make 387 million from 500 bytes.
        let limit = max(Self.expansionLimit, text.utf8.count)
        guard Self.countValues(node, upTo: limit) <= limit else {
            throw FormatError(FileLocation(file: file, line: 1, column: 1), field: "-",
                              "aliases expand the document past \(limit) values; write the values out")
        }
        root = ValueReader(node: TreeNode(yaml: node), path: "", file: file)
    }

    static let expansionLimit = 1_000_000

    /// The first line holding an alias in a key's place (`? *a`, `*a: 1`, `{*a: 1}`), if any.
    static func aliasKeyLine(_ text: String) -> Int? {
        var number = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            let chars = Array(line.utf8)
            for (i, c) in chars.enumerated() where c == UInt8(ascii: "*") {
                // An alias starts after a line's indentation, `? `, `{` or `, `.
                let before = chars[..<i].last { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
                guard before == nil || [UInt8(ascii: "?"), UInt8(ascii: "{"), UInt8(ascii: ","), UInt8(ascii: "-")].contains(before!) else { continue }
                var j = i + 1
                while j < chars.count, ![UInt8(ascii: " "), UInt8(ascii: ":"), UInt8(ascii: ","), UInt8(ascii: "}")].contains(chars[j]) { j += 1 }
                while j < chars.count, chars[j] == UInt8(ascii: " ") { j += 1 }
                if before == UInt8(ascii: "?") || (j < chars.count && chars[j] == UInt8(ascii: ":")) { return number }
            }
        }
        return nil
    }

    /// The values under `node` with aliases expanded, counted only until `limit` is passed (so a bomb costs no more).
    static func countValues(_ node: Node, upTo limit: Int) -> Int {
        var count = 0
        var pending = [node]
        while let next = pending.popLast(), count <= limit {
            count += 1
            switch next {
            case .scalar, .alias: break
            case let .sequence(items): pending.append(contentsOf: items)
            case let .mapping(pairs):
                for pair in pairs { pending.append(pair.key); pending.append(pair.value) }
            }
        }
        return count
    }

    /// Parses JSON text strictly (RFC 8259; no anchors, aliases or YAML-only syntax), keeping every value's line and
    /// column; for request bodies, which can be large.
    public init(json text: String, file: String) throws(FormatError) {
        self.file = file
        root = ValueReader(node: try JSONTree.parse(text, file: file), path: "", file: file)
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
    let node: TreeNode
    public let file: String
    /// The parent's dotted path and this node's place in it; the path is only spelt out when asked for (an error),
    /// so that reading 10,000 schedules builds no path strings.
    let parent: String
    let leaf: Leaf

    enum Leaf {
        case root, key(String), index(Int)
    }

    init(node: TreeNode, path: String, file: String) {
        self.init(node: node, parent: path, leaf: .root, file: file)
    }

    init(node: TreeNode, parent: String, leaf: Leaf, file: String) {
        self.node = node
        self.parent = parent
        self.leaf = leaf
        self.file = file
    }

    public var path: String {
        switch leaf {
        case .root: parent
        case let .key(key): parent.isEmpty ? key : "\(parent).\(key)"
        case let .index(index): "\(parent)[\(index)]"
        }
    }

    public var location: FileLocation {
        let p = node.position
        return FileLocation(file: file, line: p.line, column: p.column)
    }

    /// Whether the value is a mapping (for readers that accept a mapping or a scalar).
    public var isMapping: Bool { node.entries != nil }

    /// The text of a scalar value, nil for a list or a mapping (for readers that accept a scalar or a list).
    public var scalarText: String? { node.text }

    public func error(_ message: String) -> FormatError { FormatError(location, field: path.isEmpty ? "-" : path, message) }

    public func mapping() throws(FormatError) -> MappingReader {
        guard let entries = node.entries else { throw error("expected a mapping of fields, got \(describe())") }
        return MappingReader(entries: entries, reader: self)
    }

    public func sequence() throws(FormatError) -> [ValueReader] {
        guard let items = node.items else { throw error("expected a list, got \(describe())") }
        let prefix = path
        return items.enumerated().map { ValueReader(node: $0.element, parent: prefix, leaf: .index($0.offset), file: file) }
    }

    public func string() throws(FormatError) -> String {
        guard let text = node.text else { throw error("expected a text value, got \(describe())") }
        return text
    }

    /// A text written in quotes: what a JSON string is (a bare number or true is not a name).
    public func quotedString() throws(FormatError) -> String {
        guard case let .scalar(text, plain, _) = node, !plain else { throw error("expected a text in double quotes, got \(describe())") }
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw error("expected a non-empty text") }
        return text
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
        if node.items != nil {
            let items = try sequence()
            guard !items.isEmpty else { throw error("expected at least one value") }
            var values: [T] = []
            for item in items { values.append(try read(item)) }
            return values
        }
        return [try read(self)]
    }

    var isNull: Bool {
        guard case let .scalar(text, plain, _) = node, plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(text)
    }

    func describe() -> String {
        switch node {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case let .scalar(text, _, _): "\"\(text)\""
        case .alias: "an alias"
        }
    }
}

/// A mapping whose keys are read one by one; unread keys are errors at `finish()`.
public final class MappingReader {
    let pairs: [TreeEntry]
    let reader: ValueReader
    /// Keys read so far; a mapping has a few dozen keys at most, so a list is faster than a set.
    private var consumed: [String] = []

    private func consume(_ key: String) {
        if !consumed.contains(key) { consumed.append(key) }
    }

    init(entries: [TreeEntry], reader: ValueReader) {
        self.pairs = entries
        self.reader = reader
    }

    private func entry(_ key: String) -> TreeEntry? { pairs.first { $0.key == key } }

    public var path: String { reader.path }
    public var location: FileLocation { reader.location }
    public var keys: [String] { pairs.compactMap(\.key) }

    func child(_ key: String) -> ValueReader? {
        guard let entry = entry(key) else { return nil }
        let reader = ValueReader(node: entry.value, parent: path, leaf: .key(key), file: reader.file)
        return reader.isNull ? nil : reader
    }

    /// The location of a key, or of the mapping when the key is absent.
    public func location(of key: String) -> FileLocation {
        guard let entry = entry(key) else { return location }
        return FileLocation(file: reader.file, line: entry.keyPosition.line, column: entry.keyPosition.column)
    }

    public func fieldPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    public func has(_ key: String) -> Bool { child(key) != nil }

    public func required<T>(_ key: String, _ read: (ValueReader) throws(FormatError) -> T) throws(FormatError) -> T {
        consume(key)
        guard let value = child(key) else {
            // A field misspelt is reported where the misspelling is, not where the mapping starts. Only swapped,
            // doubled or dropped letters count: fields one letter apart (block_m, block_n) are both real.
            let unread = pairs.compactMap(\.key).filter { !consumed.contains($0) }
            if let typo = unread.first(where: { isLikelyMisspelling($0, of: key) }) {
                throw FormatError(location(of: typo), field: fieldPath(key), "missing required field; is \"\(typo)\" here a misspelling of it?")
            }
            throw FormatError(location, field: fieldPath(key), "missing required field")
        }
        return try read(value)
    }

    public func optional<T>(_ key: String, _ read: (ValueReader) throws(FormatError) -> T) throws(FormatError) -> T? {
        consume(key)
        guard let value = child(key) else { return nil }
        return try read(value)
    }

    /// Every entry, for mappings whose keys are data (source ids, precisions).
    public func entries() -> [(key: String, value: ValueReader)] {
        pairs.compactMap { entry in
            guard let key = entry.key else { return nil }
            consume(key)
            return (key, ValueReader(node: entry.value, path: fieldPath(key), file: reader.file))
        }
    }

    /// Rejects keys that no reader consumed.
    public func finish() throws(FormatError) {
        for entry in pairs {
            let key = entry.key ?? "?"
            if !consumed.contains(key) {
                // A likely typo is one of the fields this mapping lacks.
                let absent = consumed.filter { name in !pairs.contains { $0.key == name } }.sorted()
                let hint = suggestion(for: key, among: absent).map { "did you mean \($0)? " } ?? ""
                throw FormatError(
                    FileLocation(file: reader.file, line: entry.keyPosition.line, column: entry.keyPosition.column),
                    field: fieldPath(key), "unknown field; \(hint)expected one of \(consumed.sorted().joined(separator: ", "))")
            }
        }
    }
}

extension ValueReader {
    /// The node at a path of keys (String) and list indices (Int) below this one, for locating semantic errors.
    public func descend(_ steps: [any Sendable]) -> ValueReader {
        var current = self
        for step in steps {
            if let key = step as? String, let entry = current.node.entries?.first(where: { $0.key == key }) {
                let path = current.path.isEmpty ? key : "\(current.path).\(key)"
                current = ValueReader(node: entry.value, path: path, file: file)
            } else if let index = step as? Int, let items = current.node.items, index < items.count {
                current = ValueReader(node: items[index], path: "\(current.path)[\(index)]", file: file)
            } else {
                break
            }
        }
        return current
    }
}

extension ValueReader {
    /// The value written back as JSON text, for a nested document that is stored or handed on whole.
    public func serialized() -> String {
        var out = ""
        node.json(into: &out)
        return out + "\n"
    }
}

/// Whether `typed` is `name` with two letters swapped, or one letter added or dropped.
func isLikelyMisspelling(_ typed: String, of name: String) -> Bool {
    let a = Array(typed), b = Array(name)
    if a.count == b.count { return a != b && a.sorted() == b.sorted() && zip(a, b).filter { $0 != $1 }.count == 2 }
    let (long, short) = a.count > b.count ? (a, b) : (b, a)
    guard long.count == short.count + 1 else { return false }
    return long.indices.contains { i in Array(long[..<i] + long[(i + 1)...]) == short }
}
