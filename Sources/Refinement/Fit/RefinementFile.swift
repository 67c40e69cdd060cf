import CostModel
import MachineModel
import Workloads

/// Reads and writes refinement files (docs/planner.md, "kernelcast refine"): JSON, `kind: kernelcast-refinement`.
public enum RefinementFile {
    public static let version = 1
    public static let kind = "kernelcast-refinement"

    /// Where `kernelcast refine` writes a machine's refinement and where `predict`, `plan` and `loop` look for it.
    public static func defaultPath(machine: String) -> String { "calibration/results/\(machine)/refinement.json" }

    public static func render(_ r: Refinement) -> String {
        func band(_ b: UncertaintyBand) -> JSONValue {
            .object([("below", .number(b.below)), ("above", .number(b.above)), ("coverage", .number(b.coverage)),
                     ("source", .string(b.source))])
        }
        func summary(_ s: ErrorSummary?) -> JSONValue {
            guard let s else { return .null }
            return .object([("count", .int(s.count)), ("shapes", .int(s.shapes)), ("mape", .number(s.mape)),
                            ("mean_log_error", .number(s.meanLogError)), ("spearman", s.spearman.map(JSONValue.number) ?? .null),
                            ("top5_regret", s.top5Regret.map(JSONValue.number) ?? .null)])
        }
        let families: [(String, JSONValue)] = Family.allCases.compactMap { family in
            guard let f = r.families[family] else { return nil }
            return (family.rawValue, .object([
                ("accepted", .bool(f.accepted)), ("note", .string(f.note)),
                ("terms", .object(f.terms.sorted { $0.key < $1.key }.map { ($0.key, .number($0.value)) })),
                ("band", band(f.bands.total)), ("band_within_space", band(f.bands.withinSpace)),
                ("band_by_bottleneck", .object(Resource.allCases.compactMap { r in f.bands.totalByBottleneck[r].map { (r.name, band($0)) } })),
                ("band_within_space_by_bottleneck", .object(Resource.allCases.compactMap { r in
                    f.bands.withinSpaceByBottleneck[r].map { (r.name, band($0)) }
                })),
                ("before", summary(f.before)), ("after", summary(f.after)),
            ]))
        }
        let value = JSONValue.object([
            ("version", .int(version)), ("kind", .string(kind)), ("machine", .string(r.machine)),
            ("created", .string(r.created)), ("ported_from", r.portedFrom.map(JSONValue.string) ?? .null),
            ("sources", .array(r.sources.map(JSONValue.string))), ("validation", .string(r.validation)),
            ("machine_fields", .array(r.machineFields.map { f in
                .object([("field", .string(f.path)), ("value", .number(f.value)), ("unit", .string(f.unit)),
                         ("previous", .string(f.previous)), ("scale", .number(f.scale)),
                         ("provenance", .object([("kind", .string(f.provenance.key)), ("detail", .string(f.provenance.detail))]))])
            })),
            ("families", .object(families)),
        ])
        return value.rendered() + "\n"
    }

    public static func parse(_ text: String, file: String) throws(FormatError) -> Refinement {
        let document = try YAMLDocument(text: text, file: file)
        let top = try document.checkVersion(supported: version)
        let kind = try top.required("kind") { v throws(FormatError) in try v.string() }
        guard kind == Self.kind else {
            throw FormatError(top.location(of: "kind"), field: "kind", "expected \"\(Self.kind)\", got \"\(kind)\"; is this a refinement file?")
        }
        func string(_ m: MappingReader, _ key: String) throws(FormatError) -> String {
            try m.required(key) { v throws(FormatError) in try v.string() }
        }
        func band(_ v: ValueReader) throws(FormatError) -> UncertaintyBand {
            let m = try v.mapping()
            let b = UncertaintyBand(
                below: try m.required("below") { v throws(FormatError) in try v.double() },
                above: try m.required("above") { v throws(FormatError) in try v.double() },
                coverage: try m.required("coverage") { v throws(FormatError) in try v.double() },
                source: try string(m, "source"))
            try m.finish()
            guard b.below <= 0, b.above >= 0 else { throw v.error("a band needs below <= 0 <= above") }
            return b
        }
        func summary(_ v: ValueReader) throws(FormatError) -> ErrorSummary {
            let m = try v.mapping()
            let s = ErrorSummary(
                count: try m.required("count") { v throws(FormatError) in try v.nonNegativeInt() },
                shapes: try m.required("shapes") { v throws(FormatError) in try v.nonNegativeInt() },
                mape: try m.required("mape") { v throws(FormatError) in try v.double() },
                meanLogError: try m.required("mean_log_error") { v throws(FormatError) in try v.double() },
                spearman: try m.optional("spearman") { v throws(FormatError) in try v.double() },
                top5Regret: try m.optional("top5_regret") { v throws(FormatError) in try v.double() })
            try m.finish()
            return s
        }
        let machine = try top.required("machine") { v throws(FormatError) in try v.nonEmptyString() }
        let created = try string(top, "created")
        let ported = try top.optional("ported_from") { v throws(FormatError) in try v.string() }
        let sources = try top.required("sources") { v throws(FormatError) in
            var out: [String] = []
            for item in try v.sequence() { out.append(try item.string()) }
            return out
        }
        let validation = try string(top, "validation")
        let fields = try top.required("machine_fields") { v throws(FormatError) in
            var out: [FittedField] = []
            for item in try v.sequence() {
                let m = try item.mapping()
                let path = try m.required("field") { v throws(FormatError) in try v.nonEmptyString() }
                let provenance = try m.required("provenance") { v throws(FormatError) in
                    let p = try v.mapping()
                    let key = try string(p, "kind")
                    let detail = try string(p, "detail")
                    try p.finish()
                    guard let provenance = Provenance(key: key, detail: detail) else {
                        throw v.error("unknown provenance \"\(key)\"; expected one of \(Provenance.keys.joined(separator: ", "))")
                    }
                    return provenance
                }
                let field = FittedField(
                    path: path, value: try m.required("value") { v throws(FormatError) in try v.double() },
                    unit: try string(m, "unit"), previous: try string(m, "previous"),
                    scale: try m.required("scale") { v throws(FormatError) in try v.double() }, provenance: provenance)
                try m.finish()
                out.append(field)
            }
            return out
        }
        var families: [Family: FamilyRefinement] = [:]
        if let f = try top.optional("families", { v throws(FormatError) in try v.mapping() }) {
            for (key, value) in f.entries() {
                guard let family = Family(rawValue: key) else {
                    throw value.error("unknown family \"\(key)\"; expected one of \(Family.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                let m = try value.mapping()
                var terms: [String: Double] = [:]
                if let t = try m.optional("terms", { v throws(FormatError) in try v.mapping() }) {
                    for (name, number) in t.entries() {
                        guard let term = ParameterTerm.named(name) else {
                            throw number.error("unknown term \"\(name)\"; expected one of \(ParameterTerm.all.map(\.name).joined(separator: ", "))")
                        }
                        let x = try number.double()
                        guard term.bounds.contains(x) else {
                            throw number.error("\(name) \(x) is outside its bounds \(term.bounds.lowerBound) to \(term.bounds.upperBound)")
                        }
                        terms[name] = x
                    }
                }
                func byBottleneck(_ key: String) throws(FormatError) -> [Resource: UncertaintyBand] {
                    var out: [Resource: UncertaintyBand] = [:]
                    guard let b = try m.optional(key, { v throws(FormatError) in try v.mapping() }) else { return out }
                    for (name, value) in b.entries() {
                        guard let resource = Resource.allCases.first(where: { $0.name == name }) else {
                            throw value.error("unknown bottleneck \"\(name)\"; expected one of \(Resource.allCases.map(\.name).joined(separator: ", "))")
                        }
                        out[resource] = try band(value)
                    }
                    return out
                }
                families[family] = FamilyRefinement(
                    terms: terms,
                    bands: FamilyBands(total: try m.required("band", band), withinSpace: try m.required("band_within_space", band),
                                       totalByBottleneck: try byBottleneck("band_by_bottleneck"),
                                       withinSpaceByBottleneck: try byBottleneck("band_within_space_by_bottleneck")),
                    before: try m.optional("before", summary), after: try m.optional("after", summary),
                    accepted: try m.required("accepted") { v throws(FormatError) in try v.bool() },
                    note: try m.optional("note") { v throws(FormatError) in try v.string() } ?? "")
                try m.finish()
            }
        }
        try top.finish()
        return Refinement(machine: machine, created: created, sources: sources, validation: validation,
                          machineFields: fields, families: families, portedFrom: ported)
    }
}
