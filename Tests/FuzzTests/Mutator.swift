import Verifier

/// The verifier's seeded generator (SplitMix64), so that a seed and an index name one input on every platform.
extension SplitMix64 {
    /// The generator of input `index` of a run: each input is reproducible without replaying the ones before it.
    static func input(seed: UInt64, index: Int) -> SplitMix64 {
        var mixer = SplitMix64(seed: seed ^ (UInt64(index) &* 0xD1B5_4A32_D192_ED03))
        return SplitMix64(seed: mixer.next())
    }
}

/// Turns a committed file into a hostile one. Each mutation works on bytes, so a mutant may stop being UTF-8,
/// which the text reader must refuse in one line like everything else.
struct Mutator {
    /// Numbers the readers must bound: zero and signs, the ends of Int64 and Double, 2^32, NaN and infinities.
    static let extremes = ["0", "-1", "-0.0", "1e308", "1e-308", "9223372036854775807", "-9223372036854775808",
                           "4294967296", "nan", "inf", ".inf", "-.inf", "1e30", "18446744073709551616", "0x7fffffff"]

    static let depth = 10_000
    static let parentheses = 100_000

    var rng: SplitMix64

    /// One to three mutations stacked on `bytes`; `applied` names them, for the reproduction note.
    mutating func mutate(_ bytes: [UInt8]) -> (bytes: [UInt8], applied: [String]) {
        var bytes = bytes
        var applied: [String] = []
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            let (next, name) = mutateOnce(bytes)
            bytes = next
            applied.append(name)
        }
        return (bytes, applied)
    }

    private mutating func mutateOnce(_ bytes: [UInt8]) -> ([UInt8], String) {
        switch Int.random(in: 0..<20, using: &rng) {
        case 0...4:
            let value = Self.extremes.randomElement(using: &rng)!
            return (replaceNumber(bytes, with: Array(value.utf8)), "number=\(value)")
        case 5: return (flipByte(bytes), "flip")
        case 6: return (insertBytes(bytes, [UInt8.random(in: 0...255, using: &rng)]), "insert-byte")
        case 7: return (deleteBytes(bytes), "delete-bytes")
        case 8: return (lineEdit(bytes), "line-edit")
        case 9: return (Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng))), "truncate")
        case 10:
            let odd: [[UInt8]] = [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x00], [0x07], [0x1B], [0x7F], [0x0B]]
            return (insertBytes(bytes, odd.randomElement(using: &rng)!), "odd-byte")
        case 11:
            let open = ["[", "{", "- "].randomElement(using: &rng)!
            let close = open == "[" ? "]" : open == "{" ? "}" : ""
            let nested = String(repeating: open, count: Self.depth) + "1" + String(repeating: close, count: Self.depth)
            return (replaceNumber(bytes, with: Array(nested.utf8)), "nest\(open)")
        case 12:
            let nested = String(repeating: "(", count: Self.parentheses) + "1" + String(repeating: ")", count: Self.parentheses)
            return (replaceNumber(bytes, with: Array(nested.utf8)), "parentheses")
        case 13: return (replaceNumber(bytes, with: Array(Self.aliasBomb.utf8)), "alias-bomb")
        case 14: return (replaceNumber(bytes, with: Array(Self.aliasKey.utf8)), "alias-key")
        case 15:
            let list = "[" + (0..<1000).map { _ in String(Int.random(in: 1...512, using: &rng)) }.joined(separator: ", ") + "]"
            return (replaceNumber(bytes, with: Array(list.utf8)), "list1000")
        case 16:
            let long = Bool.random(using: &rng) ? String(repeating: "9", count: 100_000) : String(repeating: "a", count: 100_000)
            return (replaceNumber(bytes, with: Array(long.utf8)), "long-value")
        case 17: return ([], "empty")
        case 18: return (replaceQuoted(bytes), "string")
        default: return (lineEdit(lineEdit(bytes)), "line-edits")
        }
    }

    /// Ten anchors of ten aliases each: 10^7 values if expanded, past the readers' limit of a million.
    static let aliasBomb: String = {
        var parts = ["&a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
        for level in 1..<7 {
            parts.append("&a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]")
        }
        return "[" + parts.joined(separator: ", ") + "]"
    }()

    /// An alias used as a key, which the readers refuse.
    static let aliasKey = "{&k name: 1, *k : 2}"

    /// Spans of number-like bytes (digits with sign, point and exponent); a file without one gets the value appended.
    private mutating func replaceNumber(_ bytes: [UInt8], with value: [UInt8]) -> [UInt8] {
        let spans = Self.numberSpans(bytes)
        guard let span = spans.randomElement(using: &rng) else { return bytes + value }
        return Array(bytes[..<span.lowerBound]) + value + Array(bytes[span.upperBound...])
    }

    static func numberSpans(_ bytes: [UInt8]) -> [Range<Int>] {
        func digit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        var spans: [Range<Int>] = []
        var i = 0
        while i < bytes.count {
            guard digit(bytes[i]) else { i += 1; continue }
            var start = i
            if start > 0 && bytes[start - 1] == UInt8(ascii: "-") { start -= 1 }
            while i < bytes.count && (digit(bytes[i]) || bytes[i] == UInt8(ascii: ".") || bytes[i] == UInt8(ascii: "e")
                                      || (bytes[i] == UInt8(ascii: "-") && bytes[i - 1] == UInt8(ascii: "e"))) { i += 1 }
            spans.append(start..<i)
        }
        return spans
    }

    /// Replaces the inside of a quoted string with an empty, odd or very long one.
    private mutating func replaceQuoted(_ bytes: [UInt8]) -> [UInt8] {
        var quotes: [Int] = []
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\"") { quotes.append(i) }
        guard quotes.count >= 2 else { return bytes }
        let pair = Int.random(in: 0..<(quotes.count / 2), using: &rng) * 2
        let values = ["", " ", "\\u0000", "\\ud800", "\\n\\n", String(repeating: "x", count: 100_000), "../../../../etc/passwd", "ü∞€"]
        let value = Array(values.randomElement(using: &rng)!.utf8)
        return Array(bytes[...quotes[pair]]) + value + Array(bytes[quotes[pair + 1]...])
    }

    private mutating func flipByte(_ bytes: [UInt8]) -> [UInt8] {
        guard !bytes.isEmpty else { return bytes }
        var bytes = bytes
        bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
        return bytes
    }

    private mutating func insertBytes(_ bytes: [UInt8], _ inserted: [UInt8]) -> [UInt8] {
        var bytes = bytes
        bytes.insert(contentsOf: inserted, at: Int.random(in: 0...bytes.count, using: &rng))
        return bytes
    }

    private mutating func deleteBytes(_ bytes: [UInt8]) -> [UInt8] {
        guard !bytes.isEmpty else { return bytes }
        let start = Int.random(in: 0..<bytes.count, using: &rng)
        let end = min(bytes.count, start + Int.random(in: 1...16, using: &rng))
        return Array(bytes[..<start]) + Array(bytes[end...])
    }

    /// Deletes, duplicates or swaps whole lines.
    private mutating func lineEdit(_ bytes: [UInt8]) -> [UInt8] {
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
        guard lines.count > 1 else { return bytes }
        let i = Int.random(in: 0..<lines.count, using: &rng), j = Int.random(in: 0..<lines.count, using: &rng)
        switch Int.random(in: 0..<3, using: &rng) {
        case 0: lines.remove(at: i)
        case 1: lines.insert(lines[i], at: j)
        default: lines.swapAt(i, j)
        }
        return Array(lines.joined(separator: [UInt8(ascii: "\n")]))
    }

    /// A structurally valid document whose every number is the same extreme: all zero, all 2^63 - 1, all NaN, ...
    mutating func everyNumber(_ bytes: [UInt8]) -> (bytes: [UInt8], applied: [String]) {
        let value = Array(Self.extremes.randomElement(using: &rng)!.utf8)
        var out: [UInt8] = []
        var at = 0
        for span in Self.numberSpans(bytes) {
            out += bytes[at..<span.lowerBound]
            out += value
            at = span.upperBound
        }
        out += bytes[at...]
        return (out, ["every-number=\(String(decoding: value, as: UTF8.self))"])
    }
}
