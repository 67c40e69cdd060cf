import ArgumentParser
import Foundation
import MachineModel

struct MachinesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "machines",
        abstract: "List, show, validate, compare and detect machine models.",
        subcommands: [List.self, Show.self, Validate.self, Diff.self, Detect.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the machine library.")
        @OptionGroup var machines: MachineOptions
        @Option(help: "table or json") var format: OutputFormat = .table
        @Flag(help: "Keep each row on one line, however wide (default: wrapped to \(tableWidth) columns).") var wide = false

        func run() throws {
            let library = try machines.library()
            switch format {
            case .json:
                print(JSONValue.array(library.machines.map { m in
                    .object([
                        ("name", .string(m.name)), ("kind", .string(m.kind.rawValue)), ("vendor", .string(m.identity.vendor)),
                        ("product", .string(m.identity.product)), ("architecture", .string(m.identity.architecture)),
                        ("units", .int(m.compute.unitCount.value)),
                        ("memory_bandwidth", m.deviceMemory?.bandwidth.map { .number($0.value.base) } ?? .null),
                        ("file", .string(library.paths[m.name] ?? "")),
                    ])
                }).rendered())
            case .table:
                var rows = [["NAME", "KIND", "VENDOR", "PRODUCT", "UNITS", "FP32 VECTOR", "BEST MATRIX", "MEMORY BW", "MEASURED"]]
                for m in library.machines {
                    let matrix = m.compute.peak[.matrix]?.values.map(\.value).max()
                    let measured = m.tree.fields.filter { $0.number.provenance.isMeasured }.count
                    rows.append([
                        m.name, m.kind.rawValue, m.identity.vendor, m.identity.product,
                        "\(m.compute.unitCount.value) \(m.compute.unitName)",
                        m.compute.peak(.vector, .fp32)?.value.description ?? "-",
                        matrix?.description ?? "-",
                        m.deviceMemory?.bandwidth?.value.description ?? "-",
                        measured == 0 ? "-" : "\(measured) fields",
                    ])
                }
                print(renderTable(rows, rightAligned: [4, 5, 6, 7], width: wide ? nil : tableWidth))
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one machine with provenance and derived figures.")
        @OptionGroup var machines: MachineOptions
        @Argument(help: "Machine name or path to a machine file.") var name: String
        @Option(help: "table or json") var format: OutputFormat = .table
        @Flag(help: "Keep each row on one line, however wide (default: wrapped to \(tableWidth) columns).") var wide = false

        func run() throws {
            let machine = try machines.machine(name)
            let derived = machine.derivedFigures
            switch format {
            case .json:
                guard case let .object(pairs) = machine.tree.json(sources: machine.sources) else { return }
                let derivedJSON = JSONValue.object(derived.map { figure in
                    (figure.name, .object([
                        ("value", .number(figure.value)), ("unit", .string(figure.unit)), ("text", .string(figure.text)),
                        ("provenance", .object([("kind", .string("derived")), ("formula", .string(figure.formula))])),
                    ]))
                })
                print(JSONValue.object(pairs + [("derived", derivedJSON)]).rendered())
            case .table:
                print("\(machine.name): \(machine.identity.vendor) \(machine.identity.product) (\(machine.identity.architecture)\(machine.identity.computeCapability.map { ", \($0)" } ?? ""))")
                var rows = [["FIELD", "VALUE", "PROVENANCE"]]
                for field in machine.tree.fields {
                    rows.append([field.path, field.number.text, field.number.provenance.description])
                }
                for figure in derived { rows.append([figure.name, figure.text, "derived: \(figure.formula)"]) }
                print(renderTable(rows, rightAligned: [1]))
                if !machine.unknown.isEmpty { print("unknown: \(machine.unknown.joined(separator: ", "))") }
            }
        }
    }

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check machine files; print one line per error.")
        @OptionGroup var machines: MachineOptions
        @Argument(help: "Machine files (default: every file in the machines folder).") var files: [String] = []

        func run() throws {
            let paths: [String]
            if files.isEmpty {
                let directory = try machines.directory()
                paths = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
                    .filter { $0.hasSuffix(".yaml") }.sorted().map { "\(directory)/\($0)" }
            } else {
                paths = files
            }
            var library = MachineLibrary()
            var failures = 0
            for path in paths {
                do {
                    try library.add(MachineFile.load(path: path), path: path)
                    print("ok     \(path)")
                } catch {
                    failures += 1
                    printError(error.description)
                }
            }
            print("\(paths.count - failures) valid, \(failures) invalid")
            if failures > 0 { throw ExitCode(1) }
        }
    }

    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Compare two machines number by number (spec vs measured, A vs B).")
        @OptionGroup var machines: MachineOptions
        @Argument(help: "First machine (name or file).") var left: String
        @Argument(help: "Second machine (name or file).") var right: String
        @Option(help: "table or json") var format: OutputFormat = .table
        @Flag(help: "Keep each row on one line, however wide (default: wrapped to \(tableWidth) columns).") var wide = false
        @Flag(help: "Show every field, not only those that differ.") var all = false

        func run() throws {
            let a = try machines.machine(left)
            let b = try machines.machine(right)
            let rows = a.difference(from: b).filter { all || $0.left?.base != $0.right?.base || $0.left?.provenance != $0.right?.provenance }
            switch format {
            case .json:
                print(JSONValue.array(rows.map { row in
                    .object([
                        ("field", .string(row.path)),
                        (a.name, row.left.map { $0.json(sources: a.sources) } ?? .null),
                        (b.name, row.right.map { $0.json(sources: b.sources) } ?? .null),
                        ("ratio", row.ratio.map(JSONValue.number) ?? .null),
                    ])
                }).rendered())
            case .table:
                var table = [["FIELD", a.name, "PROVENANCE", b.name, "PROVENANCE", "RATIO"]]
                for row in rows {
                    table.append([
                        row.path, row.left?.text ?? "-", row.left?.provenance.description ?? "",
                        row.right?.text ?? "-", row.right?.provenance.description ?? "",
                        row.ratio.map { "x" + formatSignificant($0, digits: 3) } ?? "",
                    ])
                }
                print(renderTable(table, rightAligned: [1, 3, 5], width: wide ? nil : tableWidth))
            }
        }
    }
}
