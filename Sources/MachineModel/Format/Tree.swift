import Yams

/// A place in a document's text, 1-based; columns count Unicode scalars, as libyaml does.
struct Position: Hashable, Sendable {
    var line: Int
    var column: Int
    static let start = Position(line: 1, column: 1)
}

/// A parsed value with its place in the text: what the readers walk, whether the text was YAML (through Yams) or
/// JSON (through `JSONTree`, which is much faster on large requests and knows no aliases).
enum TreeNode {
    case scalar(String, plain: Bool, Position)
    case sequence([TreeNode], Position)
    case mapping([TreeEntry], Position)
    case alias(Position)

    var position: Position {
        switch self {
        case let .scalar(_, _, p), let .sequence(_, p), let .mapping(_, p), let .alias(p): p
        }
    }

    var entries: [TreeEntry]? { if case let .mapping(entries, _) = self { entries } else { nil } }
    var items: [TreeNode]? { if case let .sequence(items, _) = self { items } else { nil } }
    var text: String? { if case let .scalar(text, _, _) = self { text } else { nil } }

    init(yaml node: Node) {
        func at(_ mark: Mark?) -> Position { mark.map { Position(line: $0.line, column: $0.column) } ?? .start }
        switch node {
        case let .scalar(scalar):
            self = .scalar(scalar.string, plain: scalar.style == .plain, at(scalar.mark))
        case let .sequence(sequence):
            self = .sequence(sequence.map(TreeNode.init(yaml:)), at(sequence.mark))
        case let .mapping(mapping):
            self = .mapping(mapping.map { pair in
                TreeEntry(key: pair.key.scalar?.string, keyPosition: at(pair.key.mark), value: TreeNode(yaml: pair.value))
            }, at(mapping.mark))
        case let .alias(alias):
            self = .alias(at(alias.mark))
        }
    }

    /// The value as JSON text (which YAML reads as the same value): for a nested document handed on whole.
    func json(into out: inout String) {
        switch self {
        case let .scalar(text, plain, _):
            if plain, text == "true" || text == "false" || text == "null" || (Double(text) != nil && Double(text)!.isFinite) {
                out += text
            } else if plain, ["", "~", "Null", "NULL"].contains(text) {
                out += "null"
            } else {
                JSONValue.quote(text, into: &out)
            }
        case let .sequence(items, _):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += ", " }
                item.json(into: &out)
            }
            out += "]"
        case let .mapping(entries, _):
            out += "{"
            for (i, entry) in entries.enumerated() {
                if i > 0 { out += ", " }
                JSONValue.quote(entry.key ?? "", into: &out)
                out += ": "
                entry.value.json(into: &out)
            }
            out += "}"
        case .alias:
            out += "null"
        }
    }
}

struct TreeEntry {
    /// nil for a key that is not a scalar (YAML allows it; no KernelCast format does).
    var key: String?
    var keyPosition: Position
    var value: TreeNode
}
