/// Builds library candidates from a problem and the cost model's schedule keys.
///
/// Keys per family (defaults in brackets; docs/verifier.md has the table):
/// - gemm: `block_m`, `block_n`, `block_k`, `warps`, `vector_width` [1], `vector_width_k` [1], `stage_a` [true],
///   `stage_b` [true] (or `local_memory` for both), `unroll` [1], `threads_m` [chosen]. `stages` and `group_m` are
///   cost-model keys the OpenCL kernel does not vary; `matrix_units` means nothing for fp32 (the only type the
///   OpenCL library stores); `split_k` > 1 cannot be built.
/// - elementwise, copy: `warps`, `block_elements`, `vector_width` [4 (16-byte accesses) where the block allows, else 2,
///   else 1], `fused` [true].
/// - softmax, layernorm, rmsnorm, sum: `warps`, `rows_per_block` [1], `block_width` [threads per row] or
///   `vector_width` [1]: a row's 32 x warps / rows_per_block threads cover block_width columns at a time;
///   `statistics` [sums] (`welford`: a layernorm's mean and variance in one pass).
/// - transpose: `tile`, `warps`, `local_memory` [true], `pad` [1].
public enum LibraryCandidates {
    /// Keys that the cost model knows and the OpenCL library accepts without varying anything.
    public static let ignoredKeys: Set<String> = ["stages", "group_m", "matrix_units"]

    /// `vector_width` left to "the compiler's choice": 16-byte accesses (4 floats) where the block allows, else 2, else 1.
    static func defaultVectorWidth(warps: Int, blockElements: Int) -> Int {
        let threads = warps * LibraryKernels.threadsPerWarp
        return [4, 2].first { threads > 0 && blockElements % (threads * $0) == 0 } ?? 1
    }

    public static func make(id: String, problem: Problem, schedule: [String: String]) throws(ScheduleError) -> Candidate {
        var keys = ScheduleKeys(schedule)
        let candidate: Candidate
        switch problem {
        case let .gemm(p):
            if let splitK = try keys.int("split_k", default: 1), splitK > 1 {
                throw ScheduleError("split_k \(splitK) is not in the OpenCL library; supply the kernel's source instead")
            }
            guard p.dataType == .fp32 else { throw ScheduleError("the OpenCL library stores fp32 only, got \(p.dataType.rawValue)") }
            let both = try keys.bool("local_memory", default: nil)
            let schedule = try GemmSchedule(
                blockM: try keys.required("block_m"), blockN: try keys.required("block_n"), blockK: try keys.required("block_k"),
                warps: try keys.required("warps"), vectorN: try keys.int("vector_width", default: 1)!,
                vectorK: try keys.int("vector_width_k", default: 1)!,
                stageA: try keys.bool("stage_a", default: both ?? true)!, stageB: try keys.bool("stage_b", default: both ?? true)!,
                unroll: try keys.int("unroll", default: 1)!, threadsM: try keys.int("threads_m", default: nil))
            candidate = Candidate(id: id, problem: problem, launches: [schedule.launch(epilogue: p.epilogue)], origin: "library", schedule: schedule.scheduleKeys)
        case let .elementwise(p):
            guard p.dataType == .fp32 else { throw ScheduleError("the OpenCL library stores fp32 only, got \(p.dataType.rawValue)") }
            let warps = try keys.required("warps"), blockElements = try keys.required("block_elements")
            let schedule = try ElementwiseSchedule(
                warps: warps, elementsPerBlock: blockElements,
                vectorWidth: try keys.int("vector_width", default: nil) ?? Self.defaultVectorWidth(warps: warps, blockElements: blockElements),
                fused: try keys.bool("fused", default: true)!)
            let (launches, scratch) = schedule.launches(ops: p.ops, output: "Z")
            candidate = Candidate(id: id, problem: problem, launches: launches, scratch: scratch, origin: "library", schedule: schedule.scheduleKeys)
        case let .copy(p):
            guard p.dataType == .fp32 else { throw ScheduleError("the OpenCL library stores fp32 only, got \(p.dataType.rawValue)") }
            let warps = try keys.required("warps"), blockElements = try keys.required("block_elements")
            let schedule = try ElementwiseSchedule(
                warps: warps, elementsPerBlock: blockElements,
                vectorWidth: try keys.int("vector_width", default: nil) ?? Self.defaultVectorWidth(warps: warps, blockElements: blockElements),
                fused: true)
            let (launches, _) = schedule.launches(ops: [], output: "Y")
            var shown = schedule.scheduleKeys
            shown["fused"] = nil
            candidate = Candidate(id: id, problem: problem, launches: launches, origin: "library", schedule: shown)
        case let .rows(p):
            guard p.dataType == .fp32 else { throw ScheduleError("the OpenCL library stores fp32 only, got \(p.dataType.rawValue)") }
            let schedule = try RowSchedule(
                warps: try keys.required("warps"), rowsPerBlock: try keys.int("rows_per_block", default: 1)!,
                blockWidth: try keys.int("block_width", default: nil), vectorWidth: try keys.int("vector_width", default: nil),
                welford: try keys.statistics())
            candidate = Candidate(id: id, problem: problem, launches: [try schedule.launch(op: p.op)], origin: "library", schedule: schedule.scheduleKeys)
        case let .transpose(p):
            guard p.dataType == .fp32 else { throw ScheduleError("the OpenCL library stores fp32 only, got \(p.dataType.rawValue)") }
            let schedule = try TransposeSchedule(
                tile: try keys.required("tile"), warps: try keys.required("warps"),
                staged: try keys.bool("local_memory", default: true)!, pad: try keys.int("pad", default: 1)!)
            candidate = Candidate(id: id, problem: problem, launches: [schedule.launch()], origin: "library", schedule: schedule.scheduleKeys)
        }
        for key in ignoredKeys { _ = keys.take(key) }
        try keys.finish(family: problem.family)
        return candidate
    }
}

/// Schedule values read one key at a time; keys nobody read are an error naming them.
struct ScheduleKeys {
    private var values: [String: String]

    init(_ values: [String: String]) { self.values = values }

    mutating func take(_ key: String) -> String? { values.removeValue(forKey: key) }

    mutating func required(_ key: String) throws(ScheduleError) -> Int {
        guard let value = try int(key, default: nil) else { throw ScheduleError("missing schedule key \(key)") }
        return value
    }

    mutating func int(_ key: String, default fallback: Int?) throws(ScheduleError) -> Int? {
        guard let text = take(key) else { return fallback }
        guard let value = Int(text) else { throw ScheduleError("\(key) must be a whole number, got \"\(text)\"") }
        return value
    }

    mutating func bool(_ key: String, default fallback: Bool?) throws(ScheduleError) -> Bool? {
        guard let text = take(key) else { return fallback }
        switch text {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw ScheduleError("\(key) must be true or false, got \"\(text)\"")
        }
    }

    /// `statistics`: `sums` (the default) or `welford`; true for Welford's.
    mutating func statistics() throws(ScheduleError) -> Bool {
        switch take("statistics") {
        case nil, "sums": return false
        case "welford": return true
        case let text?: throw ScheduleError("statistics must be sums or welford, got \"\(text)\"")
        }
    }

    func finish(family: String) throws(ScheduleError) {
        guard values.isEmpty else {
            throw ScheduleError("unknown schedule keys for \(family) in the OpenCL library: \(values.keys.sorted().joined(separator: ", "))")
        }
    }
}
