import CostModel
import MachineModel

/// Every operation the service answers, with its route, its summary and the JSON schema of its input: the one source
/// of the HTTP routes, the OpenAPI document and the MCP tools.
public enum APIOperation: String, CaseIterable, Sendable {
    case health, machines, machine, predict, plan, explain, bound, whatif, compare, port, fusion
    case verify, job, record, refine

    public enum Method: String, Sendable { case get = "GET", post = "POST" }

    public var method: Method {
        switch self {
        case .health, .machines, .machine, .job: .get
        default: .post
        }
    }

    /// The route; `{name}` and `{id}` are path parameters.
    public var path: String {
        switch self {
        case .health: "/v1/health"
        case .machines: "/v1/machines"
        case .machine: "/v1/machines/{name}"
        case .verify: "/v1/jobs"
        case .job: "/v1/jobs/{id}"
        case .record: "/v1/measurements"
        default: "/v1/\(rawValue)"
        }
    }

    /// The path parameter's name, for the two routes that have one.
    public var pathParameter: String? {
        switch self {
        case .machine: "name"
        case .job: "id"
        default: nil
        }
    }

    public var summary: String {
        switch self {
        case .health: "Whether the server is up, and its version."
        case .machines: "The machine library: every machine's name, vendor, units and device memory."
        case .machine: "One machine: every number with its provenance (spec, measured, detected, derived)."
        case .predict: "Predict a batch of candidates (family, problem, schedules) in input order, or rank a whole space and keep the top ones."
        case .plan: "Prune a space and choose the candidates worth verifying on hardware, with the reason for each pick, the bands and what was pruned and why."
        case .explain: "One candidate: its time per resource, the bottleneck in words, and what to try next."
        case .bound: "The speed-of-light lower bound of a problem on a machine: the least time its FLOPs and compulsory bytes can take."
        case .whatif: "How the predicted best of a space moves when machine fields change (l2.bandwidth=x2, units=160)."
        case .compare: "The predicted best of a space on several machines."
        case .port: "Carry a measured machine's refinement to a datasheet-only machine and compare the rankings."
        case .fusion: "Fused against unfused alternatives of a model block: which pays and by how much."
        case .verify: "Submit candidates to run strictly on a device (OpenCL), or, on a server started with --queue, as jobs on its store for workers; answers a job id at once."
        case .job: "A verification job's status (with --queue: its queue jobs queued, running and done), and its verdicts."
        case .record: "Record a measurement file (kernelcast-measurements) in the store, for refine."
        case .refine: "Fit the model's bounded terms to a machine's measurements (files, store); optionally write the refinement."
        }
    }

    /// Whether an MCP client may call it as a tool (jobs are read through `job`, health is for servers).
    public var isTool: Bool { self != .health }

    /// The JSON schema of the request body (or of the MCP tool's arguments; path parameters become properties).
    public var inputSchema: JSONValue {
        switch self {
        case .health, .machines: return Schema.object([], required: [])
        case .machine: return Schema.object([("name", Schema.string("Machine name, e.g. h200-sxm."))], required: ["name"])
        case .job: return Schema.object([("id", Schema.string("The job id that verify answered."))], required: ["id"])
        case .predict:
            return Schema.object([
                Schema.machine, Schema.refinement, Schema.timing,
                ("space", Schema.space),
                ("top", Schema.integer("With a space: how many of the fastest to list (default 10).", minimum: 1)),
                Schema.family,
                ("problem", Schema.freeObject("The problem, with the family's keys (docs/candidate-format.md).")),
                ("schedules", .object([("type", .string("array")), ("minItems", .int(1)),
                                       ("maxItems", .int(Limits.scheduleList)),
                                       ("description", .string("Schedules, one value per key; answered in this order.")),
                                       ("items", Schema.freeObject("One schedule."))])),
                ("compiler", Schema.freeObject("Compiler facts for every schedule: registers_per_thread, shared_bytes, spills.")),
            ], required: ["machine"])
        case .plan:
            return Schema.object([Schema.machine, Schema.refinement, Schema.timing, ("space", Schema.space),
                                  ("budget", Schema.integer("How many candidates to choose (default 5).", minimum: 1)),
                                  ("top", Schema.integer("Rows of the ranking to keep (default 10).", minimum: 1))],
                                 required: ["machine", "space"])
        case .explain:
            return Schema.object([Schema.machine, Schema.refinement, Schema.timing, Schema.family,
                                  ("problem", Schema.freeObject("The problem.")), ("schedule", Schema.freeObject("One schedule.")),
                                  ("compiler", Schema.freeObject("Compiler facts."))],
                                 required: ["machine", "family", "problem", "schedule"])
        case .bound:
            return Schema.object([Schema.machine, Schema.family, ("problem", Schema.freeObject("The problem."))],
                                 required: ["machine", "family", "problem"])
        case .whatif:
            return Schema.object([Schema.machine, Schema.refinement, Schema.timing, ("space", Schema.space),
                                  ("set", .object([("type", .string("array")), ("minItems", .int(1)),
                                                   ("items", Schema.string("PATH=VALUE: l2.bandwidth=x2, units=160, hbm.bandwidth=4.8 TB/s"))]))],
                                 required: ["machine", "space", "set"])
        case .compare:
            return Schema.object([("machines", .object([("type", .string("array")), ("minItems", .int(1)),
                                                        ("items", Schema.string("Machine name."))])),
                                  ("space", Schema.space)], required: ["machines", "space"])
        case .port:
            return Schema.object([("space", Schema.space), ("from", Schema.string("The measured machine.")),
                                  ("to", Schema.string("The datasheet-only machine.")),
                                  ("top", Schema.integer("Candidates of each ranking to compare (default 5).", minimum: 1))],
                                 required: ["space", "from", "to"])
        case .fusion:
            return Schema.object([Schema.machine, Schema.refinement, Schema.timing,
                                  ("block", Schema.freeObject("A block (docs/fusion.md): version, kind: block, name, alternatives."))],
                                 required: ["machine", "block"])
        case .verify:
            return Schema.object([
                Schema.machine,
                ("device", Schema.string("OpenCL device: opencl:0, opencl:P:D or part of its name (default opencl:0); with --queue, part of the name of a device workers advertised (default: the only one).")),
                ("candidate", Schema.freeObject("A candidate with its own source, or a space (docs/candidate-format.md).")),
                ("limit", Schema.integer("Verify at most this many candidates of a space.", minimum: 1)),
                ("repetitions", Schema.integer("Timed repetitions (default 25).", minimum: 1)),
                ("checks", Schema.integer("Correctness checks (default 3).", minimum: 2)),
            ], required: ["machine", "candidate"])
        case .record:
            return Schema.object([("measurements", Schema.freeObject("A kernelcast-measurements file (docs/measurement-format.md)."))],
                                 required: ["measurements"])
        case .refine:
            return Schema.object([Schema.machine,
                                  ("write", .object([("type", .string("boolean")),
                                                     ("description", .string("Write calibration/results/<machine>/refinement.json and use it from now on (default false)."))]))],
                                 required: ["machine"])
        }
    }
}

/// Caps that keep one request's work bounded; the errors that enforce them name the cap and how to stay under it.
public enum Limits {
    /// Schedules in one predict batch.
    public static let scheduleList = 100_000
    /// Candidates of a space that predict ranks exhaustively (plan samples larger ones).
    public static let predictSpace = 5_000_000
    /// Bytes of one request body.
    public static let bodyBytes = 8 << 20
}

/// JSON-schema fragments of the catalog.
enum Schema {
    /// An object whose optional properties may also be null: the readers take a null as "not given".
    static func object(_ properties: [(String, JSONValue)], required: [String]) -> JSONValue {
        let properties = properties.map { name, schema -> (String, JSONValue) in
            guard !required.contains(name), case let .object(pairs) = schema,
                  let i = pairs.firstIndex(where: { $0.0 == "type" }), case let .string(type) = pairs[i].1 else { return (name, schema) }
            var nullable = pairs
            nullable[i].1 = .array([.string(type), .string("null")])
            return (name, .object(nullable))
        }
        return .object([("type", .string("object")), ("properties", .object(properties)),
                 ("required", .array(required.map(JSONValue.string))), ("additionalProperties", .bool(false))])
    }

    static func string(_ description: String) -> JSONValue {
        .object([("type", .string("string")), ("minLength", .int(1)), ("description", .string(description))])
    }

    static func integer(_ description: String, minimum: Int) -> JSONValue {
        .object([("type", .string("integer")), ("minimum", .int(minimum)), ("description", .string(description))])
    }

    static func freeObject(_ description: String) -> JSONValue {
        .object([("type", .string("object")), ("description", .string(description))])
    }

    static let machine = ("machine", string("Machine name from the library (GET /v1/machines), e.g. h200-sxm."))
    static let refinement = ("refinement", JSONValue.object([
        ("type", .string("boolean")),
        ("description", .string("Use the machine's refinement (calibration/results/<machine>/refinement.json) when it has one (default true).")),
    ]))
    static let timing = ("timing", JSONValue.object([
        ("type", .string("string")), ("enum", .array(Timing.allCases.map { JSONValue.string($0.rawValue) })),
        ("description", .string(Timing.help)),
    ]))
    static let family = ("family", JSONValue.object([
        ("type", .string("string")), ("enum", .array(["gemm", "elementwise", "reduction", "attention"].map(JSONValue.string))),
    ]))
    static let space = freeObject("A candidate space as in a candidate file (docs/candidate-format.md): version, name, family, problem, schedule.")
}

/// This build's version, for `--version`, the health answer and the OpenAPI document.
public enum Version {
    public static let current = "0.4.0"
}
