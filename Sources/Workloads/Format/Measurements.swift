import MachineModel

/// Ground truth from a measurement harness (docs/measurement-format.md): spaces of candidates with measured times.
public struct Measurements: Sendable {
    public var machine: String
    public var device: String?
    public var driver: String?
    public var harness: String?
    public var created: String?
    public var spaces: [MeasuredSpace]

    public init(machine: String, device: String? = nil, driver: String? = nil, harness: String? = nil,
                created: String? = nil, spaces: [MeasuredSpace]) {
        self.machine = machine
        self.device = device
        self.driver = driver
        self.harness = harness
        self.created = created
        self.spaces = spaces
    }
}

public struct MeasuredSpace: Sendable {
    public var name: String
    public var family: Family
    /// Whether the space may be used to tune the model or is held out to test it.
    public var split: Split
    public var results: [MeasuredResult]

    public enum Split: String, CaseIterable, Hashable, Sendable { case tune, holdout }

    public init(name: String, family: Family, split: Split, results: [MeasuredResult]) {
        self.name = name
        self.family = family
        self.split = split
        self.results = results
    }
}

public struct MeasuredResult: Sendable {
    /// The problem with the measured schedule; carries the compiler facts the harness reported.
    public var candidate: Candidate
    public var status: Status
    public var median: Seconds?
    public var p20: Seconds?
    public var p80: Seconds?
    public var relativeError: Double?
    public var reason: String?

    public enum Status: String, CaseIterable, Hashable, Sendable {
        case ok
        /// The kernel needs more shared memory, registers or threads than the device has.
        case out_of_resources
        case compile_error
        case wrong_result
        case runtime_error
        /// Not run (time budget, an earlier fatal error).
        case skipped
    }

    public init(candidate: Candidate, status: Status, median: Seconds? = nil, p20: Seconds? = nil, p80: Seconds? = nil,
                relativeError: Double? = nil, reason: String? = nil) {
        self.candidate = candidate
        self.status = status
        self.median = median
        self.p20 = p20
        self.p80 = p80
        self.relativeError = relativeError
        self.reason = reason
    }
}

/// Reads measurement files.
public enum MeasurementsFile {
    public static let version = 1
    public static let kind = "kernelcast-measurements"

    public static func parse(_ text: String, file: String) throws(FormatError) -> Measurements {
        try read(YAMLDocument(text: text, file: file))
    }

    /// Reads measurements from a parsed document (a file, or measurements nested in a request).
    public static func read(_ document: YAMLDocument) throws(FormatError) -> Measurements {
        let top = try document.checkVersion(supported: version)
        let kind = try top.required("kind") { v throws(FormatError) in try v.string() }
        guard kind == Self.kind else {
            throw FormatError(top.location(of: "kind"), field: "kind", "expected \"\(Self.kind)\", got \"\(kind)\"; is this a measurement file?")
        }
        func field(_ key: String) throws(FormatError) -> String? { try top.optional(key) { v throws(FormatError) in try v.string() } }
        let machine = try top.required("machine") { v throws(FormatError) in try v.nonEmptyString() }
        let measurements = Measurements(
            machine: machine, device: try field("device"), driver: try field("driver"), harness: try field("harness"),
            created: try field("created"),
            spaces: try top.required("spaces") { v throws(FormatError) in
                var spaces: [MeasuredSpace] = []
                for item in try v.sequence() { spaces.append(try space(item.mapping())) }
                return spaces
            })
        try top.finish()
        return measurements
    }

    public static func load(path: String) throws(FormatError) -> Measurements {
        try parse(readText(path), file: path)
    }

    static func space(_ m: MappingReader) throws(FormatError) -> MeasuredSpace {
        let name = try m.required("name") { v throws(FormatError) in try v.nonEmptyString() }
        let family = try m.required("family") { v throws(FormatError) in try v.oneOf(Family.self) }
        guard family != .generic else {
            throw FormatError(m.location(of: "family"), field: m.fieldPath("family"), "generic kernels cannot be measured by schedule; give a family")
        }
        let split = try m.required("split") { v throws(FormatError) in try v.oneOf(MeasuredSpace.Split.self) }
        let problem = try m.required("problem") { v throws(FormatError) in v }
        let results = try m.required("results") { v throws(FormatError) in
            var list: [MeasuredResult] = []
            for item in try v.sequence() { list.append(try result(item.mapping(), family: family, problem: problem)) }
            return list
        }
        try m.finish()
        return MeasuredSpace(name: name, family: family, split: split, results: results)
    }

    static func result(_ m: MappingReader, family: Family, problem: ValueReader) throws(FormatError) -> MeasuredResult {
        let compiler = try m.optional("compiler") { v throws(FormatError) in try FamilyReader.compilerFacts(v) } ?? .none
        let body = try m.required("schedule") { v throws(FormatError) in
            try CandidateFile.space(family: family, problem: problem.mapping(), schedule: v.mapping(), compiler: compiler)
        }
        let space = CandidateSpace(name: "", body: body)
        guard space.count == 1 else {
            throw FormatError(m.location(of: "schedule"), field: m.fieldPath("schedule"), "a measured schedule gives one value per key, not lists")
        }
        func seconds(_ key: String) throws(FormatError) -> Seconds? {
            try m.optional(key) { v throws(FormatError) in
                let value = try v.double()
                guard value > 0 else { throw v.error("expected a positive time in seconds, got \(value)") }
                return Seconds(base: value)
            }
        }
        let status = try m.required("status") { v throws(FormatError) in try v.oneOf(MeasuredResult.Status.self) }
        let result = MeasuredResult(
            candidate: space.candidate(at: 0), status: status, median: try seconds("median_s"), p20: try seconds("p20_s"),
            p80: try seconds("p80_s"), relativeError: try m.optional("rel_error") { v throws(FormatError) in try v.double() },
            reason: try m.optional("reason") { v throws(FormatError) in try v.string() })
        if status == .ok && result.median == nil {
            throw FormatError(m.location, field: m.fieldPath("median_s"), "a result with status ok needs median_s")
        }
        try m.finish()
        return result
    }
}
