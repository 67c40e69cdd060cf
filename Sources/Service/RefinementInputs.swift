import Foundation
import MachineModel
import Orchestration
import Refinement
import Store
import Verifier
import Workloads

/// What `refine` fits a machine to: the harness files in calibration/measurements/<machine>/, the measurement files
/// recorded in the store, and the store's passing verifications of space candidates.
public struct RefinementInputs {
    public var observations: [Observation] = []
    public var sources: [String] = []
    /// Stored data left out, with why and how many.
    public var notes: [String] = []

    /// - Parameters:
    ///   - files: measurement files to use instead of the machine's folder (empty: the folder).
    ///   - storePath: the store to read, or nil to leave it out; a store that does not exist is skipped, never created.
    public static func gather(machine: Machine, root: String, storePath: String?, files: [String] = []) throws -> RefinementInputs {
        var inputs = RefinementInputs()
        var paths = files
        if paths.isEmpty {
            let folder = "\(root)/calibration/measurements/\(machine.name)"
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            paths = names.filter { $0.hasSuffix(".json") }.sorted().map { "\(folder)/\($0)" }.filter { path in
                (try? String(contentsOfFile: path, encoding: .utf8))?.contains("\"\(MeasurementsFile.kind)\"") ?? false
            }
        }
        for path in paths {
            let measurements = try MeasurementsFile.load(path: path)
            guard measurements.machine == machine.name else {
                throw RefinementError(.mismatch, "\(path) measured \(measurements.machine), not \(machine.name); refine each machine with its own measurements")
            }
            inputs.observations += Observation.from(measurements, source: displayPath(path))
            inputs.sources.append(displayPath(path))
        }
        guard let storePath, FileManager.default.fileExists(atPath: storePath) else { return inputs }
        let store = try Store(path: storePath, schemas: VerificationStore.schemas)
        for recorded in try store.recordedMeasurements(machine: machine.name) {
            let source = "\(storePath): recorded measurements #\(recorded.id)"
            inputs.observations += Observation.from(try MeasurementsFile.parse(recorded.body, file: source), source: source)
            inputs.sources.append(source)
        }
        let loaded = try StoredObservations.load(VerificationStore(store: store), machine: machine.name)
        if !loaded.observations.isEmpty {
            inputs.observations += loaded.observations
            inputs.sources.append("store \(storePath): \(loaded.observations.count) verification(s) of \(loaded.spaces.joined(separator: ", "))")
        }
        for (why, count) in loaded.skipped.sorted(by: { $0.key < $1.key }) {
            inputs.notes.append("\(count) stored verification(s) left out: \(why)")
        }
        return inputs
    }
}

/// A refinement for programs: error before and after by family, the fields and terms fitted.
enum RefinementSummary {
    static func json(_ r: Refinement, observations: Int, written: String?) -> JSONValue {
        func metric(_ x: Double?) -> JSONValue { x.map(JSONValue.number) ?? .null }
        return .object([
            ("machine", .string(r.machine)), ("observations", .int(observations)), ("sources", .array(r.sources.map(JSONValue.string))),
            ("validation", .string(r.validation)), ("written", written.map(JSONValue.string) ?? .null),
            ("families", .array(Family.allCases.compactMap { family -> JSONValue? in
                guard let f = r.families[family] else { return nil }
                return .object([
                    ("family", .string(family.rawValue)), ("accepted", .bool(f.accepted)), ("note", .string(f.note)),
                    ("terms", .object(f.terms.sorted { $0.key < $1.key }.map { ($0.key, .number($0.value)) })),
                    ("before", .object([("mape", metric(f.before?.mape)), ("spearman", metric(f.before?.spearman)),
                                        ("top5_regret", metric(f.before?.top5Regret))])),
                    ("after", .object([("mape", metric(f.after?.mape)), ("spearman", metric(f.after?.spearman)),
                                       ("top5_regret", metric(f.after?.top5Regret))])),
                ])
            })),
            ("machine_fields", .array(r.machineFields.map { field in
                .object([("field", .string(field.path)), ("was", .string(field.previous)), ("value", .number(field.value)),
                         ("unit", .string(field.unit)), ("scale", .number(field.scale))])
            })),
        ])
    }
}

/// A path as people typed it: relative to the working folder when inside it.
public func displayPath(_ path: String) -> String {
    let cwd = FileManager.default.currentDirectoryPath + "/"
    let standard = URL(fileURLWithPath: path).standardizedFileURL.path
    return standard.hasPrefix(cwd) ? String(standard.dropFirst(cwd.count)) : path
}
