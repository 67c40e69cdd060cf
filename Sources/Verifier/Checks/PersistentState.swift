import Devices
import Foundation

/// Finds state a kernel source keeps between launches outside the buffers it is given: program-scope variables
/// (OpenCL C 2.0 puts them in the global address space, alive as long as the program, and PoCL builds them; CUDA's
/// `__device__` variables live as long as the module) and `static` variables inside functions. Read-only ones
/// (`__constant`, `__constant__`, `constexpr`, or `const` on the variable itself) hold no state, nor does per-block
/// shared memory (`__shared__`), which a launch starts without. For PTX, a module-scope `.global` variable is state.
///
/// Read before the build, on the source without comments, string literals and preprocessor lines. Kernel parameters
/// are not program scope: only declarations at brace depth 0, and `static` ones inside bodies, count. The reading is
/// conservative: a statement at depth 0 that is neither a function, a type nor read-only counts as state, so a macro
/// that expands to a declaration is caught unless it looks like a call (`STATE(64);`).
enum PersistentState {
    /// What to write instead, in the language's own words.
    static func remedy(_ language: KernelLanguage) -> String {
        switch language {
        case .opencl: "use __constant for tables and a declared scratch buffer for workspace"
        case .cuda: "use __constant__ or constexpr for tables and a declared scratch buffer for workspace"
        case .ptx: "use .const for tables and a declared scratch buffer for workspace"
        }
    }

    /// The first mutable program-scope or static declaration, as written with its whitespace collapsed; nil if none.
    static func firstDeclaration(in source: String, language: KernelLanguage = .opencl) -> String? {
        if language == .ptx { return firstPTXGlobal(in: source) }
        let tokens = withoutAttributes(withoutLinkageBlocks(tokenize(stripped(source))))
        var typeNames: Set<String> = []
        var statement: [String] = []
        var depth = 0
        var index = 0
        while index < tokens.count {
            let token = tokens[index]
            index += 1
            switch token {
            case "{" where depth == 0 ? statement.contains("=") : statement.last == "=":
                // An initializer (inside a body only right after `=`: `if (a == b) {` opens a block): the declaration
                // goes on after it.
                index = matchingBrace(tokens, from: index)
                statement.append("{...}")
            case "{" where depth == 0 && !statement.contains("("):
                // A struct, union or enum body at program scope: the declaration goes on after it.
                index = matchingBrace(tokens, from: index)
                statement.append("{}")
            case "{":
                // A function body, or a block inside one.
                depth += 1
                statement = []
            case "}":
                depth = max(0, depth - 1)
                statement = []
            case ";":
                if statement.first == "typedef", let name = statement.last(where: isIdentifier) { typeNames.insert(name) }
                let candidate = depth == 0 ? isVariable(statement, typeNames: typeNames) : statement.contains("static")
                if candidate, holdsState(statement) { return statement.joined(separator: " ") }
                statement = []
            default:
                statement.append(token)
            }
        }
        return nil
    }

    /// A PTX module-scope statement in the global state space (`.global .u32 calls;`, `.visible .global ...`): kernel
    /// parameters (`.param .u64 .ptr .global`) sit inside an entry's parentheses and entries end in a body, not `;`.
    private static func firstPTXGlobal(in source: String) -> String? {
        // Module directives that end at the line's end, not at a semicolon.
        let directives = [".version", ".target", ".address_size", ".file", ".section"]
        var statement = ""
        var braces = 0, parens = 0
        for character in stripped(source) {
            switch character {
            case "{": braces += 1; statement = ""
            case "}": braces = max(0, braces - 1); statement = ""
            case "(": parens += 1; statement.append(character)
            case ")": parens = max(0, parens - 1); statement.append(character)
            case "\n" where directives.contains { statement.trimmingCharacters(in: .whitespaces).hasPrefix($0) }:
                statement = ""
            case ";" where braces == 0 && parens == 0:
                let words = statement.split(whereSeparator: \.isWhitespace)
                if words.contains(".global"), !words.contains(".entry"), !words.contains(".func") {
                    return words.joined(separator: " ")
                }
                statement = ""
            default: statement.append(character)
            }
        }
        return nil
    }

    /// C++ linkage and namespace blocks (`extern "C" { ... }`, `namespace tile { ... }`) removed with their braces
    /// kept out: what they hold is at program scope. (`"C"` is already gone with the string literals.)
    private static func withoutLinkageBlocks(_ tokens: [String]) -> [String] {
        var result: [String] = []
        var depth = 0
        var transparentDepths: [Int] = []
        var index = 0
        while index < tokens.count {
            let token = tokens[index]
            if token == "extern", index + 1 < tokens.count, tokens[index + 1] == "{" {
                transparentDepths.append(depth)
                index += 2
                continue
            }
            if token == "namespace" {
                var next = index + 1
                while next < tokens.count, isIdentifier(tokens[next]) || tokens[next] == ":" { next += 1 }
                if next < tokens.count, tokens[next] == "{" {
                    transparentDepths.append(depth)
                    index = next + 1
                    continue
                }
            }
            if token == "{" { depth += 1 }
            if token == "}" {
                if transparentDepths.last == depth { transparentDepths.removeLast(); index += 1; continue }
                depth -= 1
            }
            result.append(token)
            index += 1
        }
        return result
    }

    /// Not a typedef, a function prototype, a type declared ahead (`struct Tile;`) or defined without a variable (its
    /// body, `{}`, comes last). A parenthesis after a type (`int (x);`, `float (*p)[4];`) is a declarator's, not a
    /// parameter list.
    private static func isVariable(_ statement: [String], typeNames: Set<String>) -> Bool {
        guard let first = statement.first, !["typedef", "using", "template", "static_assert"].contains(first), statement.last != "{}" else { return false }
        if statement.contains("__shared__") { return false }
        if statement.count == 2, ["struct", "union", "enum"].contains(first) { return false }
        guard let paren = statement.firstIndex(of: "("), paren < (statement.firstIndex { $0 == "=" || $0 == "[" } ?? statement.endIndex) else {
            return true
        }
        guard paren > 0 else { return true }
        let before = statement[paren - 1]
        let tagged = paren > 1 && ["struct", "union", "enum"].contains(statement[paren - 2])
        return tagged || before == "*" || isTypeWord(before) || typeNames.contains(before)
            || (paren + 1 < statement.count && statement[paren + 1] == "*")
    }

    /// A built-in type (vectors included) or a qualifier: what may stand before a declarator's parenthesis.
    private static func isTypeWord(_ word: String) -> Bool {
        let qualifiers: Set<String> = [
            "__global", "global", "__local", "local", "__private", "private", "const", "volatile", "restrict", "static",
            "extern", "unsigned", "signed", "void", "bool", "size_t", "ptrdiff_t", "intptr_t", "uintptr_t",
        ]
        if qualifiers.contains(word) { return true }
        let scalar = word.prefix { !$0.isNumber }
        let width = word.dropFirst(scalar.count)
        let scalars: Set<Substring> = ["char", "uchar", "short", "ushort", "int", "uint", "long", "ulong", "float", "double", "half"]
        return scalars.contains(scalar) && (width.isEmpty || ["2", "3", "4", "8", "16"].contains(width))
    }

    private static func isIdentifier(_ token: String) -> Bool {
        guard let first = token.unicodeScalars.first else { return false }
        return first == "_" || (first.properties.isAlphabetic)
    }

    /// Writable: not in the constant address space, and not `const` on the variable itself (after its last `*`).
    private static func holdsState(_ statement: [String]) -> Bool {
        let declarator = statement.prefix { $0 != "=" }
        if declarator.contains("__constant") || declarator.contains("constant") || declarator.contains("__constant__") { return false }
        if declarator.contains("constexpr") { return false }
        let lastPointer = declarator.lastIndex(of: "*") ?? declarator.startIndex
        return !declarator[lastPointer...].contains("const")
    }

    /// The index just past the `}` closing the brace opened before `start`.
    private static func matchingBrace(_ tokens: [String], from start: Int) -> Int {
        var depth = 1
        var index = start
        while index < tokens.count, depth > 0 {
            if tokens[index] == "{" { depth += 1 } else if tokens[index] == "}" { depth -= 1 }
            index += 1
        }
        return index
    }

    /// `__attribute__((...))` removed: its parentheses would look like a function's.
    private static func withoutAttributes(_ tokens: [String]) -> [String] {
        var result: [String] = []
        var index = 0
        while index < tokens.count {
            guard tokens[index] == "__attribute__" || tokens[index] == "__attribute" else {
                result.append(tokens[index])
                index += 1
                continue
            }
            index += 1
            var depth = 0
            repeat {
                guard index < tokens.count else { break }
                if tokens[index] == "(" { depth += 1 } else if tokens[index] == ")" { depth -= 1 }
                index += 1
            } while depth > 0
        }
        return result
    }

    /// Identifiers and numbers as words, every other character on its own (the digraphs `<%` and `%>` as braces).
    private static func tokenize(_ text: String) -> [String] {
        var tokens: [String] = []
        var word = ""
        var previous: Unicode.Scalar = " "
        for scalar in text.unicodeScalars {
            if scalar == "_" || scalar.properties.isAlphabetic || scalar.properties.numericType != nil || (scalar == "." && word.first?.isNumber == true) {
                word.unicodeScalars.append(scalar)
                previous = scalar
                continue
            }
            if !word.isEmpty { tokens.append(word); word = "" }
            if previous == "<", scalar == "%" {
                tokens[tokens.count - 1] = "{"
            } else if previous == "%", scalar == ">" {
                tokens[tokens.count - 1] = "}"
            } else if !scalar.properties.isWhitespace {
                tokens.append(String(scalar))
            }
            previous = scalar
        }
        if !word.isEmpty { tokens.append(word) }
        return tokens
    }

    /// The source with its lines spliced (backslash-newline removed), then comments, string and character literals,
    /// and preprocessor lines replaced by spaces. Works on Unicode scalars, so "\r\n" is two of them.
    static func stripped(_ source: String) -> String {
        var characters: [Unicode.Scalar] = []
        let scalars = Array(source.unicodeScalars)
        var index = 0
        while index < scalars.count {
            if scalars[index] == "\\" {
                var end = index + 1
                if end < scalars.count, scalars[end] == "\r" { end += 1 }
                if end < scalars.count, scalars[end] == "\n" { index = end + 1; continue }
            }
            characters.append(scalars[index])
            index += 1
        }
        var result = String.UnicodeScalarView()
        index = 0
        var lineStart = true
        while index < characters.count {
            let character = characters[index]
            let next: Unicode.Scalar = index + 1 < characters.count ? characters[index + 1] : "\0"
            if character == "/", next == "/" {
                while index < characters.count, characters[index] != "\n" { index += 1 }
                continue
            }
            if character == "/", next == "*" {
                index += 2
                while index < characters.count, !(characters[index] == "*" && index + 1 < characters.count && characters[index + 1] == "/") { index += 1 }
                index += 2
                result.append(" ")
                continue
            }
            if character == "\"" || character == "'" {
                index += 1
                while index < characters.count, characters[index] != character, characters[index] != "\n" {
                    index += characters[index] == "\\" ? 2 : 1
                }
                index += 1
                result.append(" ")
                continue
            }
            if lineStart, character == "#" || (character == "%" && next == ":") {
                while index < characters.count, characters[index] != "\n" { index += 1 }
                continue
            }
            if character == "\n" { lineStart = true } else if !character.properties.isWhitespace { lineStart = false }
            result.append(character)
            index += 1
        }
        return String(result)
    }
}
