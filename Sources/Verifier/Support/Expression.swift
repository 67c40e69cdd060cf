import MachineModel

/// An integer expression over a problem's named sizes, for launch geometry and scalar arguments:
/// `ceil_div(N, 64) * 16`, `M * K`, `round_up(N, 128)`, `max(1, K / 4)`.
///
/// Grammar: integers, names, `+ - * / %` (integer division truncates toward zero), parentheses, unary minus, and the
/// functions `ceil_div(a, b)`, `round_up(a, b)`, `min(a, b, ...)`, `max(a, b, ...)`. Names are the problem's variables
/// (`M`, `N`, `K`, `lda`, ...); an unknown name is an error that lists the known ones.
public struct SizeExpression: Hashable, Sendable, Codable, CustomStringConvertible {
    public let text: String
    private let root: Node

    indirect enum Node: Hashable, Sendable {
        case literal(Int)
        case name(String)
        case negate(Node)
        case binary(Character, Node, Node)
        case call(String, [Node])
    }

    /// The longest expression read: launch geometry is a line, and a bounded text bounds the depth of the tree that
    /// a long chain (`1+1+1+...`) builds, which evaluation walks recursively.
    public static let longest = 1000

    public init(_ text: String) throws(VerifierError) {
        guard text.count <= Self.longest else {
            throw VerifierError(.expression, "\(quoted(text)): an expression of \(text.count) characters; at most \(Self.longest) are read")
        }
        self.text = text
        var parser = Parser(text: text)
        root = try parser.parseAll()
    }

    /// A constant, for geometry the library computes itself.
    public init(constant: Int) {
        text = String(constant)
        root = .literal(constant)
    }

    public var description: String { text }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int.self) {
            self.init(constant: value)
        } else {
            let text = try container.decode(String.self)
            do {
                try self.init(text)
            } catch {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: error.message)
            }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }

    /// The names the expression refers to.
    public var names: Set<String> {
        var found: Set<String> = []
        func walk(_ node: Node) {
            switch node {
            case .literal: break
            case let .name(name): found.insert(name)
            case let .negate(inner): walk(inner)
            case let .binary(_, lhs, rhs): walk(lhs); walk(rhs)
            case let .call(_, arguments): arguments.forEach(walk)
            }
        }
        walk(root)
        return found
    }

    /// Evaluates with the given variables.
    public func evaluate(_ variables: [String: Int]) throws(VerifierError) -> Int {
        try evaluate(root, variables)
    }

    /// Sizes come from files: a sum or product past 64 bits is an error, not a trap.
    private func checked(_ result: (partialValue: Int, overflow: Bool)) throws(VerifierError) -> Int {
        guard !result.overflow else { throw VerifierError(.expression, "\(quoted(text)): the value does not fit in 64 bits") }
        return result.partialValue
    }

    private func evaluate(_ node: Node, _ variables: [String: Int]) throws(VerifierError) -> Int {
        switch node {
        case let .literal(value):
            return value
        case let .name(name):
            guard let value = variables[name] else {
                throw VerifierError(.expression, "\(quoted(text)): unknown name \(quoted(name)); known: \(variables.keys.sorted().joined(separator: ", "))")
            }
            return value
        case let .negate(inner):
            return try checked(0.subtractingReportingOverflow(try evaluate(inner, variables)))
        case let .binary(op, lhs, rhs):
            let a = try evaluate(lhs, variables)
            let b = try evaluate(rhs, variables)
            switch op {
            case "+": return try checked(a.addingReportingOverflow(b))
            case "-": return try checked(a.subtractingReportingOverflow(b))
            case "*": return try checked(a.multipliedReportingOverflow(by: b))
            default:
                guard b != 0 else { throw VerifierError(.expression, "\(quoted(text)): division by zero") }
                return try checked(op == "/" ? a.dividedReportingOverflow(by: b) : a.remainderReportingOverflow(dividingBy: b))
            }
        case let .call(function, arguments):
            var values: [Int] = []
            for argument in arguments { values.append(try evaluate(argument, variables)) }
            switch function {
            case "ceil_div", "round_up":
                guard values.count == 2 else {
                    throw VerifierError(.expression, "\(quoted(text)): \(function) takes two arguments, got \(values.count)")
                }
                guard values[1] > 0 else { throw VerifierError(.expression, "\(quoted(text)): \(function) needs a positive divisor") }
                let quotient = try checked(values[0].addingReportingOverflow(values[1] - 1)) / values[1]
                return function == "ceil_div" ? quotient : try checked(quotient.multipliedReportingOverflow(by: values[1]))
            case "min", "max":
                guard !values.isEmpty else { throw VerifierError(.expression, "\(quoted(text)): \(function) needs arguments") }
                return function == "min" ? values.min()! : values.max()!
            default:
                throw VerifierError(.expression, "\(quoted(text)): unknown function \(quoted(function)); known: ceil_div, round_up, min, max")
            }
        }
    }

    private struct Parser {
        let characters: [Character]
        let text: String
        var index = 0
        var depth = 0
        static let deepest = 200

        init(text: String) {
            self.text = text
            characters = Array(text)
        }

        func fail(_ message: String) -> VerifierError {
            VerifierError(.expression, "\(quoted(text)): \(message) at column \(index + 1)")
        }

        mutating func skipSpaces() {
            while index < characters.count, characters[index] == " " { index += 1 }
        }

        mutating func parseAll() throws(VerifierError) -> Node {
            let node = try parseSum()
            skipSpaces()
            guard index == characters.count else { throw fail("unexpected \"\(characters[index])\"") }
            return node
        }

        mutating func parseSum() throws(VerifierError) -> Node {
            var node = try parseProduct()
            while true {
                skipSpaces()
                guard index < characters.count, characters[index] == "+" || characters[index] == "-" else { return node }
                let op = characters[index]
                index += 1
                node = .binary(op, node, try parseProduct())
            }
        }

        mutating func parseProduct() throws(VerifierError) -> Node {
            var node = try parseUnary()
            while true {
                skipSpaces()
                guard index < characters.count, "*/%".contains(characters[index]) else { return node }
                let op = characters[index]
                index += 1
                node = .binary(op, node, try parseUnary())
            }
        }

        mutating func parseUnary() throws(VerifierError) -> Node {
            // Each parenthesis, call or minus recurses; a bound keeps 100,000 of them from overflowing the stack.
            guard depth < Self.deepest else { throw fail("nested deeper than \(Self.deepest) levels") }
            depth += 1
            defer { depth -= 1 }
            skipSpaces()
            if index < characters.count, characters[index] == "-" {
                index += 1
                return .negate(try parseUnary())
            }
            return try parseAtom()
        }

        mutating func parseAtom() throws(VerifierError) -> Node {
            skipSpaces()
            guard index < characters.count else { throw fail("expected a number, a name or \"(\"") }
            let c = characters[index]
            if c == "(" {
                index += 1
                let inner = try parseSum()
                skipSpaces()
                guard index < characters.count, characters[index] == ")" else { throw fail("expected \")\"") }
                index += 1
                return inner
            }
            if c.isNumber {
                var digits = ""
                while index < characters.count, characters[index].isNumber { digits.append(characters[index]); index += 1 }
                guard let value = Int(digits) else { throw fail("number \(digits) is too large") }
                return .literal(value)
            }
            if c.isLetter || c == "_" {
                var name = ""
                while index < characters.count, characters[index].isLetter || characters[index].isNumber || characters[index] == "_" {
                    name.append(characters[index])
                    index += 1
                }
                skipSpaces()
                if index < characters.count, characters[index] == "(" {
                    index += 1
                    var arguments: [Node] = []
                    skipSpaces()
                    if index < characters.count, characters[index] == ")" {
                        index += 1
                        return .call(name, arguments)
                    }
                    while true {
                        arguments.append(try parseSum())
                        skipSpaces()
                        guard index < characters.count else { throw fail("expected \")\"") }
                        if characters[index] == "," { index += 1; continue }
                        if characters[index] == ")" { index += 1; break }
                        throw fail("expected \",\" or \")\"")
                    }
                    return .call(name, arguments)
                }
                return .name(name)
            }
            throw fail("unexpected \"\(c)\"")
        }
    }
}
