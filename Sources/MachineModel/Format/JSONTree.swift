/// A strict JSON reader (RFC 8259) that keeps each value's line and column: request bodies are JSON, and reading
/// them here is several times faster than through the YAML parser, admits no anchors or aliases, and bounds nesting.
enum JSONTree {
    /// Deeper nesting is refused rather than risking the stack.
    static let maximumDepth = 256

    static func parse(_ text: String, file: String) throws(FormatError) -> TreeNode {
        var parser = Parser(bytes: Array(text.utf8), file: file)
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.index == parser.bytes.count else { throw parser.error("unexpected text after the JSON value") }
        return value
    }

    struct Parser {
        let bytes: [UInt8]
        let file: String
        var index = 0
        var line = 1
        var column = 1

        init(bytes: [UInt8], file: String) {
            self.bytes = bytes
            self.file = file
        }

        var position: Position { Position(line: line, column: column) }

        func error(_ message: String) -> FormatError {
            FormatError(FileLocation(file: file, line: line, column: column), field: "-", "not valid JSON: \(message)")
        }

        var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        /// Moves one byte on; a UTF-8 continuation byte does not start a new column.
        mutating func advance() {
            let byte = bytes[index]
            index += 1
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }

        mutating func skipSpace() {
            while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { advance() }
        }

        mutating func expect(_ byte: UInt8, _ what: String) throws(FormatError) {
            guard current == byte else { throw error("expected \(what)") }
            advance()
        }

        mutating func value(depth: Int) throws(FormatError) -> TreeNode {
            guard depth < JSONTree.maximumDepth else { throw error("nested deeper than \(JSONTree.maximumDepth) levels") }
            let start = position
            switch current {
            case UInt8(ascii: "{"): return try object(depth: depth, start: start)
            case UInt8(ascii: "["): return try array(depth: depth, start: start)
            case UInt8(ascii: "\""): return .scalar(try string(), plain: false, start)
            case UInt8(ascii: "t"): try word("true"); return .scalar("true", plain: true, start)
            case UInt8(ascii: "f"): try word("false"); return .scalar("false", plain: true, start)
            case UInt8(ascii: "n"): try word("null"); return .scalar("null", plain: true, start)
            case let byte? where byte == UInt8(ascii: "-") || (byte >= 0x30 && byte <= 0x39):
                return .scalar(try number(), plain: true, start)
            case nil: throw error("the text ends where a value should be")
            default: throw error("expected a value (an object, a list, a string, a number, true, false or null)")
            }
        }

        mutating func word(_ text: String) throws(FormatError) {
            for byte in text.utf8 {
                guard current == byte else { throw error("expected \(text)") }
                advance()
            }
        }

        mutating func object(depth: Int, start: Position) throws(FormatError) -> TreeNode {
            advance()
            var entries: [TreeEntry] = []
            var seen: Set<String> = []
            skipSpace()
            if current == UInt8(ascii: "}") { advance(); return .mapping(entries, start) }
            while true {
                skipSpace()
                let keyPosition = position
                guard current == UInt8(ascii: "\"") else { throw error("expected a key in double quotes") }
                let key = try string()
                // Objects are small: a scan finds a duplicate faster than hashing, up to a few dozen keys.
                let duplicate = entries.count < 32 ? entries.contains { $0.key == key } : !seen.insert(key).inserted
                if entries.count == 31 { seen = Set(entries.compactMap(\.key) + [key]) }
                guard !duplicate else {
                    throw FormatError(FileLocation(file: file, line: keyPosition.line, column: keyPosition.column), field: key,
                                      "duplicate key; each key may appear once in a mapping")
                }
                skipSpace()
                try expect(UInt8(ascii: ":"), "':' after the key")
                skipSpace()
                entries.append(TreeEntry(key: key, keyPosition: keyPosition, value: try value(depth: depth + 1)))
                skipSpace()
                if current == UInt8(ascii: ",") { advance(); continue }
                try expect(UInt8(ascii: "}"), "',' or '}'")
                return .mapping(entries, start)
            }
        }

        mutating func array(depth: Int, start: Position) throws(FormatError) -> TreeNode {
            advance()
            var items: [TreeNode] = []
            skipSpace()
            if current == UInt8(ascii: "]") { advance(); return .sequence(items, start) }
            while true {
                skipSpace()
                items.append(try value(depth: depth + 1))
                skipSpace()
                if current == UInt8(ascii: ",") { advance(); continue }
                try expect(UInt8(ascii: "]"), "',' or ']'")
                return .sequence(items, start)
            }
        }

        mutating func number() throws(FormatError) -> String {
            let begin = index
            func digits(_ parser: inout Parser) -> Int {
                var count = 0
                while let byte = parser.current, byte >= 0x30 && byte <= 0x39 { parser.advance(); count += 1 }
                return count
            }
            if current == UInt8(ascii: "-") { advance() }
            if current == UInt8(ascii: "0") {
                advance()
            } else if digits(&self) == 0 {
                throw error("expected digits")
            }
            if current == UInt8(ascii: ".") {
                advance()
                guard digits(&self) > 0 else { throw error("expected digits after the decimal point") }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                advance()
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { advance() }
                guard digits(&self) > 0 else { throw error("expected digits in the exponent") }
            }
            return String(decoding: bytes[begin..<index], as: UTF8.self)
        }

        mutating func string() throws(FormatError) -> String {
            advance()
            // Most strings have no escape: read them as one run of bytes.
            var end = index
            while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"), bytes[end] >= 0x20 { end += 1 }
            if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
                let text = String(decoding: bytes[index..<end], as: UTF8.self)
                while index <= end { advance() }
                return text
            }
            var scalars = String.UnicodeScalarView()
            var runStart = index
            func flush(_ parser: Parser, to end: Int) {
                if end > runStart { scalars.append(contentsOf: String(decoding: parser.bytes[runStart..<end], as: UTF8.self).unicodeScalars) }
            }
            while true {
                guard let byte = current else { throw error("the text ends inside a string") }
                if byte == UInt8(ascii: "\"") {
                    flush(self, to: index)
                    advance()
                    return String(scalars)
                }
                if byte < 0x20 { throw error("a control character inside a string must be escaped") }
                if byte != UInt8(ascii: "\\") { advance(); continue }
                flush(self, to: index)
                advance()
                guard let escape = current else { throw error("the text ends inside a string") }
                advance()
                switch escape {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800...0xDBFF).contains(code) {
                        guard current == UInt8(ascii: "\\") else { throw error("a high surrogate must be followed by a low one") }
                        advance()
                        guard current == UInt8(ascii: "u") else { throw error("a high surrogate must be followed by a low one") }
                        advance()
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw error("a high surrogate must be followed by a low one") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw error("\\u escape of a lone surrogate") }
                    scalars.append(scalar)
                default: throw error("unknown escape \\\(Character(Unicode.Scalar(escape)))")
                }
                runStart = index
            }
        }

        mutating func hex4() throws(FormatError) -> UInt32 {
            var code: UInt32 = 0
            for _ in 0..<4 {
                guard let byte = current else { throw error("the text ends inside a \\u escape") }
                let digit: UInt32
                switch byte {
                case 0x30...0x39: digit = UInt32(byte - 0x30)
                case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
                case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
                default: throw error("expected four hexadecimal digits after \\u")
                }
                code = code * 16 + digit
                advance()
            }
            return code
        }
    }
}
