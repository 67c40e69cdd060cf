import Foundation
import MachineModel

/// Reads a candidate that carries its own kernel source (docs/candidate-format.md, "Candidates with their own
/// source"): the cost model's header (`version`, `name`, `family`, `problem`) with a `source` (one launch) or
/// `launches` (several, run in order) instead of a `schedule`.
///
/// ```yaml
/// version: 1
/// name: swarm-sgemm-017
/// family: gemm
/// problem: {m: 1024, n: 1024, k: 1024, dtype: fp32}
/// source:
///   file: sgemm_017.cl          # relative to this file; or `text:` with the OpenCL C inline
///   kernel: sgemm_017
///   global: ["ceil_div(N, 64) * 16", "ceil_div(M, 64) * 16"]
///   local: [16, 16]
///   args: [M, N, K, A, lda, B, ldb, C, ldc]
/// ```
public enum SourceCandidateFile {
    public static let version = 1

    /// Whether a parsed top-level mapping is a source candidate (has `source` or `launches`).
    public static func isSourceCandidate(_ keys: [String]) -> Bool {
        keys.contains("source") || keys.contains("launches")
    }

    public static func load(path: String) throws(VerifierError) -> Candidate {
        let text: String
        do {
            text = try TextFile.read(path)
        } catch {
            throw VerifierError(error)
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws(VerifierError) -> Candidate {
        do {
            let document = try YAMLDocument(text: text, file: file)
            let top = try document.checkVersion(supported: version)
            return try parse(top, file: file)
        } catch let error as FormatError {
            throw VerifierError(error)
        } catch let error as VerifierError {
            throw error
        } catch {
            throw VerifierError(.format, "\(file): \(error)")
        }
    }

    static func parse(_ top: MappingReader, file: String) throws -> Candidate {
        let name = try top.required("name") { v throws(FormatError) in try v.nonEmptyString() }
        let family = try top.required("family") { v throws(FormatError) in try v.nonEmptyString() }
        let problem = try top.required("problem") { v throws(FormatError) in try ProblemReader.read(family: family, v.mapping(), at: v) }
        let scratch: [ScratchBuffer] = try top.optional("scratch") { v throws(FormatError) -> [ScratchBuffer] in
            var list: [ScratchBuffer] = []
            for item in try v.sequence() {
                let m = try item.mapping()
                let name = try m.required("name") { v throws(FormatError) in try v.nonEmptyString() }
                let bytes = try m.required("bytes") { v throws(FormatError) in try expression(v) }
                try m.finish()
                list.append(ScratchBuffer(name: name, bytes: bytes))
            }
            return list
        } ?? []
        let deterministic = try top.optional("deterministic") { v throws(FormatError) in try v.bool() } ?? true
        let bufferNames = Set(problem.definition.buffers.map(\.name) + scratch.map(\.name))
        let folder = URL(fileURLWithPath: file).deletingLastPathComponent()
        let single = try top.optional("source") { v throws(FormatError) in try launch(v.mapping(), buffers: bufferNames, folder: folder) }
        let several = try top.optional("launches") { v throws(FormatError) in
            var list: [KernelLaunch] = []
            for item in try v.sequence() { list.append(try launch(item.mapping(), buffers: bufferNames, folder: folder)) }
            guard !list.isEmpty else { throw v.error("expected at least one launch") }
            return list
        }
        guard (single == nil) != (several == nil) else {
            throw FormatError(top.location, field: "source", "give either source (one launch) or launches (several), not both")
        }
        try top.finish()
        let candidate = Candidate(
            id: name, problem: problem, launches: single.map { [$0] } ?? several!, scratch: scratch,
            deterministic: deterministic, origin: file)
        do throws(VerifierError) {
            try candidate.validate()
        } catch {
            throw VerifierError(.format, error.message, location: top.location)
        }
        return candidate
    }

    static func launch(_ m: MappingReader, buffers: Set<String>, folder: URL) throws(FormatError) -> KernelLaunch {
        let language = try m.optional("language") { v throws(FormatError) in try v.nonEmptyString() } ?? "opencl"
        let path = try m.optional("file") { v throws(FormatError) in try v.nonEmptyString() }
        let inline = try m.optional("text") { v throws(FormatError) in try v.nonEmptyString() }
        let source: String
        let sourceName: String
        switch (path, inline) {
        case let (path?, nil):
            let resolved = path.hasPrefix("/") ? path : folder.appendingPathComponent(path).path
            do {
                source = try String(contentsOfFile: resolved, encoding: .utf8)
            } catch {
                throw FormatError(m.location(of: "file"), field: m.fieldPath("file"), "cannot read \(resolved): \(error.localizedDescription)")
            }
            sourceName = path
        case let (nil, text?):
            source = text
            sourceName = "inline"
        default:
            throw FormatError(m.location, field: m.fieldPath("file"), "give either file (a path to the kernel source) or text (the source inline)")
        }
        let kernel = try m.required("kernel") { v throws(FormatError) in try v.nonEmptyString() }
        let options = try m.optional("options") { v throws(FormatError) in try v.string() } ?? ""
        func sizes(_ key: String) throws(FormatError) -> [SizeExpression]? {
            try m.optional(key) { v throws(FormatError) in try v.list { i throws(FormatError) in try expression(i) } }
        }
        var arguments = try m.required("args") { v throws(FormatError) in
            var list: [ArgumentBinding] = []
            for item in try v.sequence() { list.append(try argument(item, buffers: buffers)) }
            return list
        }
        let global: [SizeExpression]
        let local: [SizeExpression]?
        if ["cuda", "ptx"].contains(language) {
            // CUDA's terms: blocks per dimension and threads per block; `global`/`local` (threads, as in OpenCL) also do.
            let grid = try sizes("grid")
            let blockSizes = try sizes("block"), localSizes = try sizes("local")
            guard let block = blockSizes ?? localSizes else { throw FormatError(m.location, field: m.fieldPath("block"), "a \(language) launch needs block (threads per block per dimension)") }
            if let grid {
                guard m.keys.contains("global") == false else { throw FormatError(m.location(of: "global"), field: m.fieldPath("global"), "give grid (blocks) or global (threads), not both") }
                guard grid.count == block.count else { throw FormatError(m.location(of: "grid"), field: m.fieldPath("grid"), "grid has \(grid.count) dimensions but block has \(block.count)") }
                global = try zip(grid, block).map { (g, b) throws(FormatError) in try threads(g, b, at: m) }
            } else {
                guard let threads = try sizes("global") else { throw FormatError(m.location, field: m.fieldPath("grid"), "a \(language) launch needs grid (blocks per dimension) or global (threads)") }
                global = threads
            }
            local = block
            // Dynamic shared memory (`extern __shared__`): passed as a `local` binding, which CUDA takes as no parameter.
            if let shared = try m.optional("shared", { v throws(FormatError) in try expression(v) }) { arguments.append(.local(shared)) }
        } else {
            global = try m.required("global") { v throws(FormatError) in try v.list { i throws(FormatError) in try expression(i) } }
            local = try sizes("local")
        }
        try m.finish()
        return KernelLaunch(language: language, source: source, sourceName: sourceName, kernel: kernel, options: options,
                            global: global, local: local, arguments: arguments)
    }

    /// Threads in one dimension: blocks times threads per block, as one expression.
    static func threads(_ grid: SizeExpression, _ block: SizeExpression, at m: MappingReader) throws(FormatError) -> SizeExpression {
        do {
            return try SizeExpression("(\(grid.text)) * (\(block.text))")
        } catch {
            throw FormatError(m.location(of: "grid"), field: m.fieldPath("grid"), error.message)
        }
    }

    /// A bare word naming a buffer binds it; other scalars are integer expressions; mappings give the kind.
    static func argument(_ v: ValueReader, buffers: Set<String>) throws(FormatError) -> ArgumentBinding {
        if let m = try? v.mapping() {
            guard m.keys.count == 1, let key = m.keys.first else { throw v.error("an argument mapping has one key: buffer, int, long, float or local") }
            let value: ArgumentBinding
            switch key {
            case "buffer": value = .buffer(try m.required(key) { v throws(FormatError) in try v.nonEmptyString() })
            case "int": value = .int(try m.required(key) { v throws(FormatError) in try expression(v) })
            case "long": value = .long(try m.required(key) { v throws(FormatError) in try expression(v) })
            case "float": value = .float(try m.required(key) { v throws(FormatError) in try v.double() })
            case "local": value = .local(try m.required(key) { v throws(FormatError) in try expression(v) })
            default: throw v.error("unknown argument kind \"\(key)\"; expected buffer, int, long, float or local")
            }
            try m.finish()
            return value
        }
        let text = try v.string()
        if buffers.contains(text) { return .buffer(text) }
        return .int(try expression(v))
    }

    static func expression(_ v: ValueReader) throws(FormatError) -> SizeExpression {
        let text = try v.string()
        do {
            return try SizeExpression(text)
        } catch {
            throw v.error(error.message)
        }
    }
}

/// Reads a problem with the cost model's keys (docs/candidate-format.md), into the verifier's problem.
public enum ProblemReader {
    /// The bounds candidate files put on problems (Workloads' FamilyReader.maxExtent and maxTensorElements), so that
    /// buffer sizes never overflow.
    static let maxExtent = Int(Int32.max)
    static let maxTensorElements = 1 << 40

    public static func read(family: String, _ m: MappingReader, at v: ValueReader) throws(FormatError) -> Problem {
        func extent(_ v: ValueReader) throws(FormatError) -> Int {
            let value = try v.positiveInt()
            guard value <= maxExtent else { throw v.error("expected a positive whole number of at most \(maxExtent), got \(value)") }
            return value
        }
        func size(_ key: String) throws(FormatError) -> Int { try m.required(key, extent) }
        func tensor(_ name: String, _ extents: Int...) throws(FormatError) {
            let elements = extents.reduce(1.0) { $0 * Double($1) }
            guard elements <= Double(maxTensorElements) else {
                throw v.error("\(name) would hold \(elements) elements; expected at most 2^40 (\(maxTensorElements))")
            }
        }
        let dtype = try m.optional("dtype") { v throws(FormatError) in try v.oneOf(DataType.self) } ?? .fp32
        let problem: Problem
        switch family {
        case "gemm":
            let batch = try m.optional("batch", extent) ?? 1
            let epilogue = try m.optional("epilogue") { v throws(FormatError) in try v.oneOf(GemmProblem.Epilogue.self) } ?? .none
            let (rows, columns, depth) = (try size("m"), try size("n"), try size("k"))
            try tensor("A (m x k x batch)", rows, depth, batch)
            try tensor("B (k x n x batch)", depth, columns, batch)
            try tensor("C (m x n x batch)", rows, columns, batch)
            problem = .gemm(GemmProblem(m: rows, n: columns, k: depth, batch: batch, epilogue: epilogue, dataType: dtype))
        case "elementwise":
            let elements = try size("elements")
            let extra = try m.optional("extra_inputs") { v throws(FormatError) in try v.nonNegativeInt() }
            let ops = try m.required("ops") { v throws(FormatError) -> [ElementwiseOp] in
                if let count = try? v.positiveInt() { return ElementwiseOp.defaultChain(ops: count, extraInputs: extra ?? 0) }
                guard extra == nil else { throw v.error("extra_inputs goes with a count of ops; a list of ops says which steps read extra inputs") }
                return try v.list { i throws(FormatError) in try i.oneOf(ElementwiseOp.self) }
            }
            problem = .elementwise(ElementwiseProblem(count: elements, ops: ops, dataType: dtype))
        case "reduction":
            let op = try m.required("op") { v throws(FormatError) in try v.oneOf(RowOp.self) }
            let (rows, columns) = (try size("rows"), try size("cols"))
            try tensor("the matrix (rows x cols)", rows, columns)
            problem = .rows(RowProblem(op: op, rows: rows, columns: columns, dataType: dtype))
        case "transpose":
            let (rows, columns) = (try size("rows"), try size("cols"))
            try tensor("the matrix (rows x cols)", rows, columns)
            problem = .transpose(TransposeProblem(rows: rows, columns: columns, dataType: dtype))
        case "copy":
            problem = .copy(CopyProblem(count: try size("elements"), dataType: dtype))
        default:
            throw v.error("the verifier checks gemm, elementwise, reduction, transpose and copy; \(family) has no host reference")
        }
        try m.finish()
        return problem
    }
}
