import Foundation

/// A JSON value whose object keys keep their order, so that output for programs is stable and reads like the file.
public enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool { lhs.rendered() == rhs.rendered() }
    public func hash(into hasher: inout Hasher) { hasher.combine(rendered()) }

    public static func int(_ value: Int) -> JSONValue { .number(Double(value)) }

    /// Pretty-printed with two-space indentation.
    public func rendered(indent: Int = 0) -> String {
        var out = ""
        render(into: &out, indent: indent, pretty: true)
        return out
    }

    /// On one line, without spaces: for answers read by programs or language models.
    public func compact() -> String {
        var out = ""
        render(into: &out, indent: 0, pretty: false)
        return out
    }

    /// Appends to one buffer: a large answer (10,000 predictions) is written without intermediate strings.
    func render(into out: inout String, indent: Int, pretty: Bool) {
        func pad(_ level: Int) { if pretty { for _ in 0..<level { out += "  " } } }
        switch self {
        case .null: out += "null"
        case let .bool(value): out += value ? "true" : "false"
        case let .number(value): out += Self.number(value)
        case let .string(value): Self.quote(value, into: &out)
        case let .array(items):
            if items.isEmpty { out += "[]"; return }
            if !pretty || items.allSatisfy(\.isScalar) {
                out += "["
                for (i, item) in items.enumerated() {
                    if i > 0 { out += pretty ? ", " : "," }
                    item.render(into: &out, indent: indent + 1, pretty: pretty)
                }
                out += "]"
                return
            }
            out += "[\n"
            for (i, item) in items.enumerated() {
                if i > 0 { out += ",\n" }
                pad(indent + 1)
                item.render(into: &out, indent: indent + 1, pretty: pretty)
            }
            out += "\n"
            pad(indent)
            out += "]"
        case let .object(pairs):
            if pairs.isEmpty { out += "{}"; return }
            out += pretty ? "{\n" : "{"
            for (i, pair) in pairs.enumerated() {
                if i > 0 { out += pretty ? ",\n" : "," }
                pad(indent + 1)
                Self.quote(pair.0, into: &out)
                out += pretty ? ": " : ":"
                pair.1.render(into: &out, indent: indent + 1, pretty: pretty)
            }
            if pretty { out += "\n" }
            pad(indent)
            out += "}"
        }
    }

    var isScalar: Bool {
        switch self {
        case .array, .object: false
        default: true
        }
    }

    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    static func quote(_ text: String) -> String {
        var out = ""
        quote(text, into: &out)
        return out
    }

    static func quote(_ text: String, into out: inout String) {
        // Most text needs no escape: then it is appended whole.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            out += "\""
            out += text
            out += "\""
            return
        }
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let s where s.value < 0x20: out += String(format: "\\u%04x", s.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
