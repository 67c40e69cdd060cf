/// Any family's problem, for candidates, requests and stored results.
///
/// On the wire and in files a problem is one flat object: `{"family": "gemm", "m": 512, "n": 512, "k": 512}` (with
/// optional `"batch"` and `"epilogue"`), `{"family": "elementwise", "n": 1048576, "ops": ["add", "gelu"]}`,
/// `{"family": "softmax", "m": 64, "n": 1000}` (also layernorm, rmsnorm, sum),
/// `{"family": "transpose", "m": 512, "n": 256}`, `{"family": "copy", "n": 4096}`; `"dtype"` defaults to fp32.
public enum Problem: Hashable, Sendable {
    case gemm(GemmProblem)
    case elementwise(ElementwiseProblem)
    case rows(RowProblem)
    case transpose(TransposeProblem)
    case copy(CopyProblem)

    public var definition: any ProblemDefinition {
        switch self {
        case let .gemm(p): p
        case let .elementwise(p): p
        case let .rows(p): p
        case let .transpose(p): p
        case let .copy(p): p
        }
    }

    public var family: String { definition.family }

    /// The shape with a ragged tail that a check seeded `seed` uses: drawn per check, so that a kernel cannot
    /// special-case the one small shape it would otherwise always see.
    public func ragged(seed: UInt64) -> Problem {
        var draw = RaggedDraw(seed: seed)
        return switch self {
        case let .gemm(p): .gemm(p.ragged(&draw))
        case let .elementwise(p): .elementwise(p.ragged(&draw))
        case let .rows(p): .rows(p.ragged(&draw))
        case let .transpose(p): .transpose(p.ragged(&draw))
        case let .copy(p): .copy(p.ragged(&draw))
        }
    }

    /// The families a verifier problem can be.
    public static let families = ["gemm", "elementwise", "softmax", "layernorm", "rmsnorm", "sum", "transpose", "copy"]
}

extension Problem: Codable {
    enum Keys: String, CodingKey { case family, m, n, k, batch, epilogue, ops, dtype }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let family = try c.decode(String.self, forKey: .family)
        let dtype = try c.decodeIfPresent(DataType.self, forKey: .dtype) ?? .fp32
        func size(_ key: Keys) throws -> Int {
            let value = try c.decode(Int.self, forKey: key)
            guard value > 0 else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "\(key.stringValue) must be positive, got \(value)")
            }
            return value
        }
        switch family {
        case "gemm":
            let batch = try c.decodeIfPresent(Int.self, forKey: .batch) ?? 1
            guard batch > 0 else { throw DecodingError.dataCorruptedError(forKey: .batch, in: c, debugDescription: "batch must be positive") }
            let epilogue = try c.decodeIfPresent(GemmProblem.Epilogue.self, forKey: .epilogue) ?? GemmProblem.Epilogue.none
            self = .gemm(GemmProblem(m: try size(.m), n: try size(.n), k: try size(.k), batch: batch, epilogue: epilogue, dataType: dtype))
        case "elementwise":
            let ops = try c.decode([ElementwiseOp].self, forKey: .ops)
            guard !ops.isEmpty else { throw DecodingError.dataCorruptedError(forKey: .ops, in: c, debugDescription: "an elementwise chain needs at least one op") }
            self = .elementwise(ElementwiseProblem(count: try size(.n), ops: ops, dataType: dtype))
        case "softmax", "layernorm", "rmsnorm", "sum":
            self = .rows(RowProblem(op: RowOp(rawValue: family)!, rows: try size(.m), columns: try size(.n), dataType: dtype))
        case "transpose": self = .transpose(TransposeProblem(rows: try size(.m), columns: try size(.n), dataType: dtype))
        case "copy": self = .copy(CopyProblem(count: try size(.n), dataType: dtype))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .family, in: c, debugDescription: "unknown family \"\(family)\"; expected one of \(Problem.families.joined(separator: ", "))")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(family, forKey: .family)
        switch self {
        case let .gemm(p):
            try c.encode(p.m, forKey: .m); try c.encode(p.n, forKey: .n); try c.encode(p.k, forKey: .k)
            if p.batch != 1 { try c.encode(p.batch, forKey: .batch) }
            if p.epilogue != .none { try c.encode(p.epilogue, forKey: .epilogue) }
        case let .elementwise(p):
            try c.encode(p.count, forKey: .n); try c.encode(p.ops, forKey: .ops)
        case let .rows(p):
            try c.encode(p.rows, forKey: .m); try c.encode(p.columns, forKey: .n)
        case let .transpose(p):
            try c.encode(p.rows, forKey: .m); try c.encode(p.columns, forKey: .n)
        case let .copy(p):
            try c.encode(p.count, forKey: .n)
        }
        try c.encode(definition.dataType, forKey: .dtype)
    }
}
