import Foundation
import MachineModel

/// A `kernelcast-calibration-import` file (docs/measurement-format.md): figures an external harness measured, in
/// machine-file field names, such as tensor-core peaks that OpenCL cannot reach.
public struct CalibrationImport: Sendable {
    public static let kind = "kernelcast-calibration-import"
    public static let version = 1

    public struct Entry: Sendable {
        /// Position in `measurements`, for messages.
        public var index: Int
        public var field: String
        public var value: Double
        public var unit: String
        public var samples: [Double]
        public var method: String?
    }

    public var path: String
    public var machine: String
    public var device: String
    public var driver: String?
    public var tool: String?
    public var created: String?
    public var measurements: [Entry]
    /// Probes the harness could not run, with its reason.
    public var skipped: [(field: String, reason: String)]

    /// A value from the file as an error quotes it: on one line, cut past 100 characters (a list may hold thousands).
    static func shown(_ value: Any?) -> String {
        value.map { escapedForError(String(describing: $0)) } ?? "nothing"
    }

    /// Reads and checks the file's shape; field paths and units are checked against a machine by `fits(for:)`.
    public static func load(path: String) throws(CalibrationError) -> CalibrationImport {
        func fail(_ message: String) -> CalibrationError { CalibrationError(.importFormat, "\(path): \(message)") }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw fail("cannot read the file: \(error.localizedDescription)")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw fail("not valid JSON: \(error.localizedDescription)")
        }
        guard let top = object as? [String: Any] else { throw fail("expected a JSON object at the top") }
        guard let version = top["version"] as? Int else { throw fail("version: missing; expected 1") }
        guard version >= 1, version <= Self.version else {
            throw fail("version: \(version) is not supported; this kernelcast reads version 1 to \(Self.version)")
        }
        guard let kind = top["kind"] as? String, kind == Self.kind else {
            throw fail("kind: expected \"\(Self.kind)\", got \(Self.shown(top["kind"]))")
        }
        guard let machine = top["machine"] as? String, !machine.isEmpty else { throw fail("machine: missing; expected a machine name") }
        guard let list = top["measurements"] as? [Any] else { throw fail("measurements: missing; expected a list") }

        var entries: [Entry] = []
        for (index, item) in list.enumerated() {
            guard let entry = item as? [String: Any] else { throw fail("measurements[\(index)]: expected an object") }
            guard let field = entry["field"] as? String, !field.isEmpty else {
                throw fail("measurements[\(index)]: field: missing; expected a dotted machine-file path")
            }
            // Rule: a machine-file path is a few words; errors about a longer one would quote it whole.
            guard field.count <= 200 else {
                throw fail("measurements[\(index)]: field: expected a dotted machine-file path, got \(field.count) characters")
            }
            let at = "measurements[\(index)] (\(Self.shown(field)))"
            guard let value = (entry["value"] as? NSNumber)?.doubleValue, value.isFinite, value > 0 else {
                throw fail("\(at): value: expected a positive number, got \(Self.shown(entry["value"]))")
            }
            guard let unit = entry["unit"] as? String else { throw fail("\(at): unit: missing; expected FLOP/s, OP/s, B/s, B, s or Hz") }
            var samples: [Double] = []
            if let raw = entry["samples"] {
                guard let array = raw as? [Any] else { throw fail("\(at): samples: expected a list of numbers") }
                for sample in array {
                    guard let number = (sample as? NSNumber)?.doubleValue, number.isFinite else {
                        throw fail("\(at): samples: expected numbers, got \(Self.shown(sample))")
                    }
                    samples.append(number)
                }
            }
            if entries.contains(where: { $0.field == field }) { throw fail("\(at): the field appears twice") }
            entries.append(Entry(index: index, field: field, value: value, unit: unit, samples: samples, method: entry["method"] as? String))
        }
        let skipped = ((top["skipped"] as? [[String: Any]]) ?? []).map {
            (field: ($0["field"] as? String) ?? "?", reason: ($0["reason"] as? String) ?? "")
        }
        return CalibrationImport(
            path: path, machine: machine, device: (top["device"] as? String) ?? "unknown device", driver: top["driver"] as? String,
            tool: top["tool"] as? String, created: top["created"] as? String, measurements: entries, skipped: skipped)
    }

    /// The measurements as fits for `machine`: each path must be a measurable field of it, each unit one its quantity
    /// is written in (FLOP/s or OP/s for rates, B/s for bandwidths, ...). Values are converted to base units.
    public func fits(for machine: Machine) throws(CalibrationError) -> [FieldFit] {
        var fits: [FieldFit] = []
        for entry in measurements {
            let at = "\(path): measurements[\(entry.index)] (\(Self.shown(entry.field)))"
            let kind: FieldValue.Kind
            do {
                kind = try MachineFields.kind(of: entry.field, in: machine)
            } catch {
                throw CalibrationError(.unknownField, "\(at): \(error.message)")
            }
            guard let factor = kind.factor(of: entry.unit) else {
                throw CalibrationError(.unitMismatch, "\(at): unit \"\(Self.shown(entry.unit))\" does not fit the field, which holds \(kind.noun)")
            }
            fits.append(FieldFit(
                path: entry.field, value: FieldValue(kind, entry.value * factor), benchmark: "import",
                basis: (entry.method ?? "imported") + " (\(tool ?? "external harness"), \(entry.samples.count) samples)"))
        }
        return fits
    }
}
