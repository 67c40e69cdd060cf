/// A place in a file written by people: `machines/h100-sxm.yaml:14:3`, or line 0 for the file as a whole.
public struct FileLocation: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { line > 0 ? "\(file):\(line):\(column)" : file }
}

/// A malformed input file: one line naming the file, line, field and what was expected.
public struct FormatError: Error, Hashable, Sendable, CustomStringConvertible {
    public var location: FileLocation
    /// Dotted path of the field at fault (`memory.l2.size`), or `-` for the document itself.
    public var field: String
    public var message: String

    public init(_ location: FileLocation, field: String, _ message: String) {
        self.location = location
        self.field = Self.shortened(field, limit: Self.longestField)
        self.message = Self.shortened(message)
    }

    /// The longest field or message kept whole: an error is one line, and a 100 KB value it quotes is cut.
    public static let longest = 600

    /// The longest field path kept whole: a path is short, and what follows it must still fit one line.
    public static let longestField = 160

    /// `text` cut to `limit` characters with the cut said, control characters and line breaks shown escaped.
    static func shortened(_ text: String, limit: Int = longest) -> String {
        let (shown, cut) = escapedPrefix(text, limit: limit)
        return cut ? shown + "... (\(text.count - limit) more characters)" : shown
    }

    /// `field: message`, or the message alone for an error of the document itself.
    public var detail: String { field == "-" ? message : "\(field): \(message)" }

    /// `file:line:col: error: field: message`.
    public var description: String { "\(location): error: \(detail)" }
}
