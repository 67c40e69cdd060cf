import MachineModel

/// Reads the `problem`, `schedule` and `compiler` mappings of each family. Candidate files and measurement files
/// share these readers, so both accept exactly the same keys.
///
/// Schedule values may be a single value or a list (an axis of the space); measurement results give single values
/// and read back as a space of one.
public enum FamilyReader {
    // MARK: problems

    public static func gemmProblem(_ m: MappingReader) throws(FormatError) -> GemmProblem {
        let problem = GemmProblem(
            m: try m.required("m", positive), n: try m.required("n", positive), k: try m.required("k", positive),
            batch: try m.optional("batch", positive) ?? 1,
            dtype: try m.required("dtype") { v throws(FormatError) in try dtype(v, allowed: [.fp32, .tf32, .fp16, .bf16, .fp8, .int8]) },
            epilogue: try m.optional("epilogue") { v throws(FormatError) in try opChain(v, aliases: GemmProblem.epilogueAliases) } ?? [],
            transA: try m.optional("trans_a") { v throws(FormatError) in try v.bool() } ?? false,
            transB: try m.optional("trans_b") { v throws(FormatError) in try v.bool() } ?? false)
        try m.finish()
        try checkTensor(m, "A (m x k x batch)", [problem.m, problem.k, problem.batch])
        try checkTensor(m, "B (k x n x batch)", [problem.k, problem.n, problem.batch])
        try checkTensor(m, "C (m x n x batch)", [problem.m, problem.n, problem.batch])
        return problem
    }

    public static func elementwiseProblem(_ m: MappingReader) throws(FormatError) -> ElementwiseProblem {
        let elements = try m.required("elements") { v throws(FormatError) in
            let value = try v.positiveInt()
            // Rule: one tensor holds at most 2^40 elements (maxTensorElements).
            guard value <= maxTensorElements else { throw v.error("expected a positive whole number of at most 2^40 (\(maxTensorElements)), got \(value)") }
            return value
        }
        let chain = try m.required("ops") { v throws(FormatError) -> [ElementOp] in
            if let count = Int(v.scalarText ?? "") {
                guard count > 0 else { throw v.error("expected a positive number of ops or a list of op names, got \(count)") }
                guard count <= maxChain else { throw v.error("expected at most \(maxChain) ops, got \(count)") }
                return Array(repeating: .generic, count: count)
            }
            return try opChain(v, aliases: [])
        }
        let type = try m.required("dtype") { v throws(FormatError) in try dtype(v, allowed: [.fp32, .fp16, .bf16, .fp8]) }
        let extra = try m.optional("extra_inputs") { v throws(FormatError) in
            let value = try v.nonNegativeInt()
            guard value <= maxChain else { throw v.error("expected at most \(maxChain) extra inputs, got \(value)") }
            return value
        }
        // Rule: named ops say what they read; a separate count could only contradict them.
        if extra != nil && chain.contains(where: { $0 != .generic }) {
            throw FormatError(m.location(of: "extra_inputs"), field: m.fieldPath("extra_inputs"),
                              "extra_inputs follows from named ops (add, mul, div and residual read a tensor each); leave it out")
        }
        try m.finish()
        return ElementwiseProblem(elements: elements, chain: chain, dtype: type, extraInputs: extra)
    }

    /// The longest chain a file may state: far beyond any kernel, short enough that costing it stays instant.
    public static let maxChain = 256

    /// A list of op names (`[bias, gelu_erf]`), the same joined by `+`, or one of `aliases` (`bias_gelu`).
    public static func opChain(_ v: ValueReader, aliases: [(name: String, chain: [ElementOp])]) throws(FormatError) -> [ElementOp] {
        let names = ElementOp.named.map(\.rawValue)
        func op(_ name: String, _ at: ValueReader) throws(FormatError) -> ElementOp {
            guard let op = ElementOp(named: name) else {
                let hint = suggestion(for: name, among: names + aliases.map(\.name)).map { "did you mean \($0)? " } ?? ""
                throw at.error("unknown op \"\(name)\"; \(hint)expected one of \(names.joined(separator: ", "))")
            }
            return op
        }
        var chain: [ElementOp] = []
        if let text = v.scalarText {
            if let alias = aliases.first(where: { $0.name == text }) { return alias.chain }
            for part in text.split(separator: "+") { chain.append(try op(part.trimmingCharacters(in: .whitespaces), v)) }
        } else {
            for item in try v.sequence() { chain.append(try op(try item.nonEmptyString(), item)) }
        }
        guard chain.count <= maxChain else { throw v.error("expected at most \(maxChain) ops, got \(chain.count)") }
        return chain
    }

    public static func reductionProblem(_ m: MappingReader) throws(FormatError) -> ReductionProblem {
        let problem = ReductionProblem(
            op: try m.required("op") { v throws(FormatError) in try v.oneOf(ReductionProblem.Op.self) },
            rows: try m.required("rows", positive), cols: try m.required("cols", positive),
            dtype: try m.required("dtype") { v throws(FormatError) in try dtype(v, allowed: [.fp32, .fp16, .bf16]) },
            prologue: try m.optional("prologue") { v throws(FormatError) in try opChain(v, aliases: []) } ?? [])
        try m.finish()
        try checkTensor(m, "the input (rows x cols)", [problem.rows, problem.cols])
        return problem
    }

    public static func attentionProblem(_ m: MappingReader) throws(FormatError) -> AttentionProblem {
        let heads = try m.required("heads", positive)
        let seqLen = try m.required("seq_len", positive)
        let problem = AttentionProblem(
            batch: try m.required("batch", positive), heads: heads, seqLen: seqLen, headDim: try m.required("head_dim", positive),
            causal: try m.required("causal") { v throws(FormatError) in try v.bool() },
            dtype: try m.required("dtype") { v throws(FormatError) in try dtype(v, allowed: [.fp16, .bf16, .fp8]) },
            kvHeads: try m.optional("kv_heads") { v throws(FormatError) in
                let kv = try v.positiveInt()
                // Rule: each key/value head serves the same number of query heads.
                guard heads % kv == 0 else { throw v.error("expected a divisor of heads (\(heads)), got \(kv)") }
                return kv
            },
            queryLen: try m.optional("query_len") { v throws(FormatError) in
                let length = try v.positiveInt()
                // Rule: queries are positions of the sequence, so there are at most seq_len of them.
                guard length <= seqLen else { throw v.error("expected at most seq_len (\(seqLen)) queries, got \(length)") }
                return length
            })
        try m.finish()
        let p = problem
        try checkTensor(m, "Q (batch x heads x query_len x head_dim)", [p.batch, p.heads, p.queryLen, p.headDim])
        try checkTensor(m, "K (batch x kv_heads x seq_len x head_dim)", [p.batch, p.kvHeads, p.seqLen, p.headDim])
        // The scores are never stored by flash kernels, but the model counts them: 2^56 keeps their bytes in range.
        let scores = Double(p.batch) * Double(p.heads) * Double(p.queryLen) * Double(p.seqLen)
        guard scores <= Double(1 << 56) else {
            throw FormatError(m.location, field: m.path.isEmpty ? "problem" : m.path,
                              "the scores (batch x heads x query_len x seq_len) would number \(formatSignificant(scores)); expected at most 2^56")
        }
        return problem
    }

    // MARK: schedule axes

    public static func gemmAxes(_ m: MappingReader) throws(FormatError) -> GemmAxes {
        let axes = GemmAxes(
            blockM: try m.required("block_m", positives), blockN: try m.required("block_n", positives),
            blockK: try m.required("block_k", positives), warps: try m.required("warps", positives),
            stages: try m.required("stages", positives),
            groupM: try m.optional("group_m", positives) ?? [1],
            splitK: try m.optional("split_k", positives) ?? [1],
            matrixUnits: try m.optional("matrix_units", bools) ?? [true],
            persistent: try m.optional("persistent", bools) ?? [false])
        try m.finish()
        try checkSpace(m, [axes.blockM.count, axes.blockN.count, axes.blockK.count, axes.warps.count, axes.stages.count,
                           axes.groupM.count, axes.splitK.count, axes.matrixUnits.count, axes.persistent.count])
        return axes
    }

    public static func elementwiseAxes(_ m: MappingReader) throws(FormatError) -> ElementwiseAxes {
        let axes = ElementwiseAxes(
            fused: try m.required("fused", bools), blockElements: try m.required("block_elements", positives),
            warps: try m.required("warps", positives),
            vectorWidth: try m.optional("vector_width", positives)?.map { Optional($0) } ?? [nil])
        try m.finish()
        try checkSpace(m, [axes.fused.count, axes.blockElements.count, axes.warps.count, axes.vectorWidth.count])
        return axes
    }

    public static func reductionAxes(_ m: MappingReader) throws(FormatError) -> ReductionAxes {
        let axes = ReductionAxes(
            rowsPerBlock: try m.required("rows_per_block", positives),
            blockWidth: try m.required("block_width", positives), warps: try m.required("warps", positives),
            statistics: try m.optional("statistics") { v throws(FormatError) in try v.list { i throws(FormatError) in try i.oneOf(RowStatistics.self) } } ?? [.sums])
        try m.finish()
        try checkSpace(m, [axes.rowsPerBlock.count, axes.blockWidth.count, axes.warps.count, axes.statistics.count])
        return axes
    }

    public static func attentionAxes(_ m: MappingReader) throws(FormatError) -> AttentionAxes {
        let variants = try m.required("variant") { v throws(FormatError) in
            try v.list { i throws(FormatError) in try i.oneOf(AttentionSchedule.Variant.self) }
        }
        let flash = variants.contains(.flash)
        func axis(_ key: String) throws(FormatError) -> [Int] {
            if flash { return try m.required(key, positives) }
            return try m.optional(key, positives) ?? []
        }
        let axes = AttentionAxes(
            variants: variants, blockQ: try axis("block_q"), blockKV: try axis("block_kv"), warps: try axis("warps"),
            stages: try axis("stages"), splitKV: try m.optional("split_kv", positives) ?? [1],
            persistent: try m.optional("persistent", bools) ?? [false], mmaSync: try m.optional("mma_sync", bools) ?? [false])
        try m.finish()
        try checkSpace(m, [axes.blockQ.count, axes.blockKV.count, axes.warps.count, axes.stages.count, axes.splitKV.count,
                           axes.persistent.count, axes.mmaSync.count])
        return axes
    }

    /// `compiler: cuda` (the toolchain alone) or a mapping of what the compiler reported, with `toolchain` among them.
    public static func compilerFacts(_ v: ValueReader) throws(FormatError) -> CompilerFacts {
        guard v.isMapping else { return CompilerFacts(toolchain: try v.oneOf(CompilerFacts.Toolchain.self)) }
        let m = try v.mapping()
        let facts = CompilerFacts(
            toolchain: try m.optional("toolchain") { v throws(FormatError) in try v.oneOf(CompilerFacts.Toolchain.self) } ?? .triton,
            registersPerThread: try m.optional("registers_per_thread", positive),
            sharedBytes: try m.optional("shared_bytes") { v throws(FormatError) in try byteCount(v) },
            spills: try m.optional("spills") { v throws(FormatError) in try v.nonNegativeInt() })
        try m.finish()
        return facts
    }

    // MARK: generic kernels

    public static func genericCandidate(_ m: MappingReader) throws(FormatError) -> GenericCandidate {
        let name = try m.required("name") { v throws(FormatError) in try v.nonEmptyString() }
        let kernels = try m.required("kernels") { v throws(FormatError) in
            var list: [GenericKernel] = []
            for item in try v.sequence() { list.append(try genericKernel(item.mapping())) }
            guard !list.isEmpty else { throw v.error("expected at least one kernel") }
            return list
        }
        try m.finish()
        return GenericCandidate(name: name, kernels: kernels)
    }

    public static func genericKernel(_ m: MappingReader) throws(FormatError) -> GenericKernel {
        let name = try m.required("name") { v throws(FormatError) in try v.nonEmptyString() }
        let grid = try m.required("grid", dimensions)
        let block = try m.required("block", dimensions)
        let registers = try m.optional("registers_per_thread", positive)
        let shared = try m.optional("shared_bytes") { v throws(FormatError) in try byteCount(v) } ?? 0
        var work: [GenericKernel.Work] = []
        if let flops = try m.optional("flops", { v throws(FormatError) in try v.mapping() }) {
            for unit in ExecutionUnit.allCases {
                guard let rates = try flops.optional(unit.rawValue, { v throws(FormatError) in try v.mapping() }) else { continue }
                for precision in Precision.allCases {
                    if let count = try rates.optional(precision.rawValue, { v throws(FormatError) in try nonNegative(v) }) {
                        work.append(.init(unit: unit, precision: precision, operations: count))
                    }
                }
                try rates.finish()
            }
            try flops.finish()
        }
        let special = try m.optional("special_ops") { v throws(FormatError) in try nonNegative(v) } ?? 0
        var traffic: [GenericKernel.Traffic] = []
        if let bytes = try m.optional("bytes", { v throws(FormatError) in try v.mapping() }) {
            for (level, value) in bytes.entries() {
                traffic.append(.init(level: level, bytes: Double(try byteCount(value))))
            }
        }
        try m.finish()
        return GenericKernel(
            name: name, grid: grid, block: block, registersPerThread: registers, sharedBytes: shared, flops: work,
            specialOps: special, bytes: traffic)
    }

    // MARK: values

    /// The largest extent a problem may give one dimension (2^31 - 1: what a CUDA grid's x dimension and 32-bit
    /// index arithmetic reach), so that products of extents never overflow.
    public static let maxExtent = Int(Int32.max)
    /// The most elements one tensor may hold: 2^40, more than any device's memory holds of the smallest type.
    public static let maxTensorElements = 1 << 40
    /// The largest schedule value (a tile, a warp count, a stage count, a split): 2^20, beyond any device's limits.
    public static let maxScheduleValue = 1 << 20

    static func positive(_ v: ValueReader) throws(FormatError) -> Int {
        let value = try v.positiveInt()
        // Rule: an extent past 2^31 - 1 is no tensor dimension any device indexes, and would overflow the model.
        guard value <= maxExtent else { throw v.error("expected a positive whole number of at most \(maxExtent), got \(value)") }
        return value
    }

    static func positives(_ v: ValueReader) throws(FormatError) -> [Int] {
        try v.list { i throws(FormatError) in
            let value = try i.positiveInt()
            // Rule: schedule values beyond 2^20 are no tile, warp, stage or split count any device runs.
            guard value <= maxScheduleValue else {
                throw i.error("expected a positive whole number of at most \(maxScheduleValue), got \(value)")
            }
            return value
        }
    }

    /// The most candidates one space may hold (2^40): beyond it the count itself nears Int's range, and no search
    /// visits such a space anyway.
    public static let maxSpaceSize = 1 << 40

    /// Checks the cross product of the schedule's lists against `maxSpaceSize`, without overflowing.
    static func checkSpace(_ m: MappingReader, _ counts: [Int]) throws(FormatError) {
        let size = counts.reduce(1.0) { $0 * Double($1) }
        // Rule: a space of more than 2^40 candidates cannot be counted, sampled or ranked; split it.
        guard size <= Double(maxSpaceSize) else {
            throw FormatError(m.location, field: m.path.isEmpty ? "schedule" : m.path,
                              "the lists make \(formatSignificant(size)) candidates; expected at most 2^40 (\(maxSpaceSize)); split the space")
        }
    }

    /// Checks that a tensor of `extents` fits `maxTensorElements`; the error names the problem and the tensor.
    static func checkTensor(_ m: MappingReader, _ name: String, _ extents: [Int]) throws(FormatError) {
        let elements = extents.reduce(1.0) { $0 * Double($1) }
        // Rule: a tensor of more than 2^40 elements fits no device, and its byte counts would overflow.
        guard elements <= Double(maxTensorElements) else {
            throw FormatError(m.location, field: m.path.isEmpty ? "problem" : m.path,
                              "\(name) would hold \(formatSignificant(elements)) elements; expected at most 2^40 (\(maxTensorElements))")
        }
    }

    static func bools(_ v: ValueReader) throws(FormatError) -> [Bool] {
        try v.list { i throws(FormatError) in try i.bool() }
    }

    static func nonNegative(_ v: ValueReader) throws(FormatError) -> Double {
        let value = try v.double()
        guard value >= 0 else { throw v.error("expected a non-negative number, got \(value)") }
        return value
    }

    /// Bytes, as a number or a size with a unit ("48 KiB"), from 0 to `maxBytes`.
    static func byteCount(_ v: ValueReader) throws(FormatError) -> Int {
        let text = try v.string()
        let bytes: Double
        if let count = Double(text) {
            bytes = count
        } else {
            bytes = (try v.quantity(Bytes.self)).base
        }
        // Rule: a byte count is checked as a Double, before it becomes an Int that 1e30 would not fit.
        guard bytes >= 0, bytes <= Double(maxBytes) else {
            throw v.error("expected a number of bytes from 0 to 2^50 (1 PiB), got \"\(text)\"")
        }
        return Int(bytes.rounded())
    }

    /// The most bytes one count may name (1 PiB): more than any kernel moves in one launch.
    static let maxBytes = 1 << 50

    /// A grid or block: one positive number, or a list of up to three (their product is used).
    static func dimensions(_ v: ValueReader) throws(FormatError) -> Int {
        let values = try positives(v)
        guard values.count <= 3 else { throw v.error("expected at most three dimensions, got \(values.count)") }
        return values.reduce(1, *)
    }

    public static func dtype(_ v: ValueReader, allowed: [ElementType]) throws(FormatError) -> ElementType {
        let value = try v.oneOf(ElementType.self)
        guard allowed.contains(value) else {
            throw v.error("dtype \(value.rawValue) is not supported here; expected one of \(allowed.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }
}
