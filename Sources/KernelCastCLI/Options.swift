import ArgumentParser
import Foundation
import MachineModel

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}

/// Where machine files are read from: `--machines-dir`, then $KERNELCAST_MACHINES, then `machines/` in the
/// working folder or in a folder above the executable (so a build run from anywhere finds the shipped library).
struct MachineOptions: ParsableArguments {
    @Option(name: .customLong("machines-dir"), help: "Folder of machine files (default: the shipped machines/).")
    var machinesDirectory: String?

    func directory() throws -> String {
        if let machinesDirectory { return machinesDirectory }
        if let env = ProcessInfo.processInfo.environment["KERNELCAST_MACHINES"] { return env }
        let fm = FileManager.default
        if fm.fileExists(atPath: "machines") { return "machines" }
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = folder.appendingPathComponent("machines").path
            if fm.fileExists(atPath: candidate) { return candidate }
            folder.deleteLastPathComponent()
        }
        throw ValidationError("no machines folder found; pass --machines-dir or set KERNELCAST_MACHINES")
    }

    func library() throws -> MachineLibrary { try MachineLibrary(directory: directory()) }

    /// A machine by name from the library, or from a file when NAME is a path to one.
    func machine(_ name: String) throws -> Machine {
        if name.hasSuffix(".yaml") || name.contains("/") { return try MachineFile.load(path: name) }
        let library = try library()
        guard let machine = library.machine(named: name) else {
            let names = library.machines.map(\.name)
            let hint = suggestion(for: name, among: names).map { "did you mean \($0)? " } ?? ""
            throw ValidationError("no machine named \(quoted(name)); \(hint)known: \(names.joined(separator: ", "))")
        }
        return machine
    }
}

/// Progress of a long command on standard error, when a person watches it (a terminal): at most a line every two
/// seconds, the first after two, so that quick runs and pipelines stay quiet.
final class ProgressLine: @unchecked Sendable {
    private let command: String
    private let started = Date()
    private var last: Date
    private let lock = NSLock()
    private let shown = isatty(2) == 1

    init(_ command: String) {
        self.command = command
        last = started
    }

    func say(_ text: @autoclosure () -> String) {
        guard shown else { return }
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(last) >= 2 else { return }
        last = now
        printError("\(command): \(text()) (\(Int(now.timeIntervalSince(started))) s)")
    }
}

/// The remote runner's shared token: from `--token-file` or $KERNELCAST_RUNNER_TOKEN, never the command line,
/// where every user of the host can read it (`ps`).
struct RunnerTokenOption: ParsableArguments {
    @Option(name: .customLong("token-file"), help: "File holding the remote runner's shared token (default: $KERNELCAST_RUNNER_TOKEN).")
    var file: String?

    /// The token, or nil when neither the file nor the environment gives one.
    func resolve() throws -> String? {
        if let file {
            let token = try TextFile.read(file).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else { throw ValidationError("\(file) holds no token; write the shared token into it") }
            return token
        }
        let value = ProcessInfo.processInfo.environment["KERNELCAST_RUNNER_TOKEN"]
        return value?.isEmpty == false ? value : nil
    }
}

/// The widest a table is printed unless the command is asked for `--wide`: a terminal or a review pane shows it whole.
let tableWidth = 120

/// Aligned text columns; the first row is the header. Past `width`, columns are wrapped at word boundaries (text
/// columns, and the headers of number columns; numbers never are), where that adds the fewest lines; only if that
/// is not enough are long words broken. `width: nil` keeps each row on one line.
func renderTable(_ rows: [[String]], rightAligned: Set<Int> = [], width: Int? = tableWidth) -> String {
    guard let header = rows.first else { return "" }
    var widths = Array(repeating: 0, count: header.count)
    for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
    if let width {
        // What each column needs whole: its longest word, or its longest number.
        let whole = widths.indices.map { i in
            rows.enumerated().map { r, row -> Int in
                guard i < row.count else { return 0 }
                return rightAligned.contains(i) && r > 0 ? row[i].count : row[i].split(separator: " ").map(\.count).max() ?? 0
            }.max() ?? 0
        }
        narrow(&widths, rows, to: width, least: whole)
        // Rule: a text column broken inside words keeps room for a word and a unit.
        narrow(&widths, rows, to: width, least: widths.indices.map { rightAligned.contains($0) ? whole[$0] : min(whole[$0], 12) })
    }
    return rows.map { row in
        let cells = row.enumerated().map { i, cell in wrap(cell, to: widths[i]) }
        let height = cells.map(\.count).max() ?? 1
        return (0..<height).map { line in
            let text = cells.enumerated().map { i, lines in
                let cell = line < lines.count ? lines[line] : ""
                let gap = String(repeating: " ", count: max(0, widths[i] - cell.count))
                return rightAligned.contains(i) ? gap + cell : (i == row.count - 1 ? cell : cell + gap)
            }.joined(separator: "  ")
            return line == 0 ? text : text.trailingSpacesRemoved
        }.joined(separator: "\n")
    }.joined(separator: "\n")
}

/// Text with every line past `width` broken at spaces, the continuation indented under the line's own text.
func fitted(_ text: String, width: Int = tableWidth) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).flatMap { line -> [String] in
        guard line.count > width else { return [String(line)] }
        let indent = String(line.prefix { $0 == " " })
        let continuation = indent + "    "
        var lines = wrap(String(line.dropFirst(indent.count)), to: width - continuation.count)
        lines = lines.enumerated().map { ($0 == 0 ? indent : continuation) + $1 }
        return lines
    }.joined(separator: "\n")
}

/// Shrinks, one character at a time, the column whose narrowing adds the fewest lines to the table (the widest of
/// those), never below its `least`, until the table fits.
private func narrow(_ widths: inout [Int], _ rows: [[String]], to width: Int, least: [Int]) {
    func height(_ widths: [Int]) -> Int {
        rows.reduce(0) { sum, row in sum + (row.indices.map { wrap(row[$0], to: widths[$0]).count }.max() ?? 1) }
    }
    var total = widths.reduce(0, +) + 2 * (widths.count - 1)
    while total > width {
        let choices = widths.indices.filter { widths[$0] > least[$0] }.map { i -> (column: Int, lines: Int) in
            var narrower = widths
            narrower[i] -= 1
            return (i, height(narrower))
        }
        guard let best = choices.min(by: { ($0.lines, -widths[$0.column]) < ($1.lines, -widths[$1.column]) }) else { return }
        widths[best.column] -= 1
        total -= 1
    }
}

/// `text` in lines of at most `width` characters, broken at spaces where it can be, else inside a word.
private func wrap(_ text: String, to width: Int) -> [String] {
    guard text.count > width, width > 0 else { return [text] }
    var lines: [String] = []
    var line = ""
    for word in text.split(separator: " ", omittingEmptySubsequences: false).map(String.init) {
        var word = word
        if !line.isEmpty, line.count + 1 + word.count > width {
            lines.append(line)
            line = ""
        }
        while word.count > width {
            if !line.isEmpty { lines.append(line); line = "" }
            lines.append(String(word.prefix(width)))
            word = String(word.dropFirst(width))
        }
        line = line.isEmpty ? word : line + " " + word
    }
    if !line.isEmpty { lines.append(line) }
    return lines
}

private extension String {
    var trailingSpacesRemoved: String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}

/// Prints a line to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
