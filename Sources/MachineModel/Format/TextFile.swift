import Foundation

/// Reads the text files every format is written in, with one-line errors that say what is wrong with the file itself:
/// missing, a folder, unreadable (with the system's reason), not UTF-8 or holding control characters (with where).
public enum TextFile {
    public static func read(_ path: String) throws(FormatError) -> String {
        func fail(_ message: String, line: Int = 1, column: Int = 1) -> FormatError {
            FormatError(FileLocation(file: path, line: line, column: column), field: "-", message)
        }
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw fail("cannot read the file: \(String(cString: strerror(errno)))", line: 0) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw fail("cannot read the file: \(String(cString: strerror(errno)))", line: 0) }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw fail(status.st_mode & S_IFMT == S_IFDIR ? "is a folder; expected a file" : "is not a regular file", line: 0)
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 { throw fail("cannot read the file: \(String(cString: strerror(errno)))", line: 0) }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[..<count])
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            let (line, column, byte) = firstInvalidByte(bytes)
            throw fail("not UTF-8 text: byte 0x\(String(byte, radix: 16, uppercase: true)) cannot start or continue a character", line: line, column: column)
        }
        var line = 1, column = 1
        for scalar in text.unicodeScalars {
            // Rule: text files hold no control characters but tabs and line ends.
            if scalar.value < 0x20 && scalar != "\n" && scalar != "\t" && scalar != "\r" || scalar.value == 0x7F {
                throw fail("control character U+\(String(format: "%04X", scalar.value)); expected text", line: line, column: column)
            }
            if scalar == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return text
    }

    /// Line, column and value of the first byte that breaks UTF-8.
    static func firstInvalidByte(_ bytes: [UInt8]) -> (Int, Int, UInt8) {
        var line = 1, column = 1, i = 0
        while i < bytes.count {
            let b = bytes[i]
            let length = b < 0x80 ? 1 : b >> 5 == 0b110 ? 2 : b >> 4 == 0b1110 ? 3 : b >> 3 == 0b11110 ? 4 : 0
            guard length > 0, i + length <= bytes.count,
                  bytes[(i + 1)..<(i + length)].allSatisfy({ $0 >> 6 == 0b10 }),
                  String(validating: bytes[i..<(i + length)], as: UTF8.self) != nil else {
                return (line, column, b)
            }
            if b == UInt8(ascii: "\n") { line += 1; column = 1 } else { column += 1 }
            i += length
        }
        return (line, column, 0)
    }
}
