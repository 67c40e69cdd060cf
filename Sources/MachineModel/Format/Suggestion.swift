/// The closest of `names` to `name` by edit distance, when it is close enough to be a likely typo.
public func suggestion(for name: String, among names: [String]) -> String? {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return a.isEmpty ? b.count : row[b.count]
    }
    let target = Array(name.lowercased())
    // A name typed short ("h900" for "h200-sxm") is compared with the start of each name too.
    let scored = names.map { candidate -> (String, Int) in
        let full = Array(candidate.lowercased())
        return (candidate, min(distance(target, full), distance(target, Array(full.prefix(target.count)))))
    }.sorted { $0.1 < $1.1 }
    guard let best = scored.first, best.1 <= max(2, name.count / 3) else { return nil }
    return best.0
}

/// `text` in double quotes for an error message: cut past `limit` characters with the length said, line breaks and
/// control characters escaped, so that an error quoting what a user typed (a 100 KB name) stays one short line.
public func quoted(_ text: String, limit: Int = 100) -> String {
    let (shown, cut) = escapedPrefix(text, limit: limit)
    return cut ? "\"\(shown)...\" (\(text.count) characters)" : "\"\(shown)\""
}

/// `text` as an error message shows it unquoted: cut past `limit` characters with the length said, line breaks and
/// control characters escaped.
public func escapedForError(_ text: String, limit: Int = 100) -> String {
    let (shown, cut) = escapedPrefix(text, limit: limit)
    return cut ? "\(shown)... (\(text.count) characters)" : shown
}

/// The first `limit` characters of `text`, control characters and line breaks escaped, and whether more followed.
func escapedPrefix(_ text: String, limit: Int) -> (shown: String, cut: Bool) {
    var out = ""
    for (count, c) in text.enumerated() {
        guard count < limit else { return (out, true) }
        if let ascii = c.asciiValue, ascii < 0x20 || ascii == 0x7F { out += "\\u{\(String(ascii, radix: 16))}" } else { out.append(c) }
    }
    return (out, false)
}
