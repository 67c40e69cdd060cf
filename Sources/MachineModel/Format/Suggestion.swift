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
