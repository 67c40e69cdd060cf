import ArgumentParser
import Foundation
import MachineModel
import Verifier

struct MeasurementsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "measurements",
        abstract: "List or export the verifications in the store.",
        subcommands: [List.self, Export.self])

    struct Filters: ParsableArguments {
        @Option(help: "Only this machine model.") var machine: String?
        @Option(help: "Only this device (its name or id).") var device: String?
        @Option(help: "Only this verdict: pass, reject or not_run.") var verdict: String?
        @Option(help: "Only this family.") var family: String?
        @Option(help: "Only this batch (one verify run).") var batch: String?
        @Option(parsing: .unconditional, help: "Only the latest N.") var limit: Int?

        func validate() throws {
            if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        }

        func records(_ store: VerificationStore) throws -> [VerificationRecord] {
            var parsed: Verdict?
            if let verdict {
                guard let v = Verdict(rawValue: verdict) else {
                    throw ValidationError("--verdict must be one of \(Verdict.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                parsed = v
            }
            return try store.records(machine: machine, device: device, verdict: parsed, family: family, batch: batch, limit: limit)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Verifications as a table (or JSON), oldest first.")
        @OptionGroup var storeOption: VerificationStoreOption
        @OptionGroup var filters: Filters
        @Option(help: "table or json") var format: OutputFormat = .table

        func run() throws {
            let records = try filters.records(storeOption.openExisting())
            switch format {
            case .json:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(records.map(MeasurementRow.init)), as: UTF8.self))
            case .table:
                var rows = [["ID", "CANDIDATE", "FAMILY", "SHAPE", "MACHINE", "DEVICE", "VERDICT", "MEDIAN", "SPREAD", "REASON"]]
                for record in records {
                    rows.append([
                        record.id.map(String.init) ?? "-", record.candidateID, record.family, record.shape, record.machine,
                        record.device.name, record.verdict.rawValue,
                        record.median.map { Seconds(base: $0).description } ?? "-",
                        record.spread.map { formatSignificant(100 * $0, digits: 2) + "%" } ?? "-",
                        record.reason?.rawValue ?? "",
                    ])
                }
                print(renderTable(rows, rightAligned: [0, 7, 8]))
                print("\(records.count) verifications")
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every field of the verifications, samples included, for programs.")
        @OptionGroup var storeOption: VerificationStoreOption
        @OptionGroup var filters: Filters
        @Option(help: "json or csv") var format: ExportFormat = .json
        @Option(help: "Write to this file instead of standard output.") var output: String?

        enum ExportFormat: String, ExpressibleByArgument, CaseIterable { case json, csv }

        func run() throws {
            let rows = try filters.records(storeOption.openExisting()).map(MeasurementRow.init)
            let text: String
            switch format {
            case .json:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                text = String(decoding: try encoder.encode(rows), as: UTF8.self) + "\n"
            case .csv:
                text = ([MeasurementRow.csvHeader] + rows.map(\.csvLine)).joined(separator: "\n") + "\n"
            }
            if let output {
                try text.write(toFile: output, atomically: true, encoding: .utf8)
            } else {
                FileHandle.standardOutput.write(Data(text.utf8))
            }
        }
    }
}
