/// Schedules of the OpenCL library and how each becomes a launch of a `LibrarySources` template.
///
/// Mapping from the cost model's schedule keys (docs/verifier.md): an OpenCL work-group is a CUDA block, so
/// `warps` = work-group size / 32; a GEMM's `block_m` x `block_n` x `block_k` is the work-group tile MWG x NWG x KWG.
/// Keys that only the OpenCL kernels have (vector widths, local-memory staging, unroll) are extra schedule keys.
public enum LibraryKernels {
    /// Threads per warp used to turn `warps` into a work-group size, whatever the device's real SIMD width.
    public static let threadsPerWarp = 32
    public static let vectorWidths: Set<Int> = [1, 2, 4, 8, 16]
}

/// A schedule the library cannot build; the message names the rule, as in "block_m 48 is not a multiple of 16
/// threads along M".
public struct ScheduleError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Tiled SGEMM (`LibrarySources.gemm`).
public struct GemmSchedule: Hashable, Sendable {
    /// MWG x NWG x KWG: the work-group tile (`block_m`, `block_n`, `block_k`).
    public var tileM: Int
    public var tileN: Int
    public var tileK: Int
    /// MDIMC x NDIMC: threads of the work-group along M and N; their product is 32 x `warps`.
    public var threadsM: Int
    public var threadsN: Int
    /// VWK: vector width of A loads along K (`vector_width_k`).
    public var vectorK: Int
    /// VWN: vector width of B loads and C stores along N (`vector_width`).
    public var vectorN: Int
    /// SA, SB: stage the A / B tile in local memory (`stage_a`, `stage_b`).
    public var stageA: Bool
    public var stageB: Bool
    /// KWI: unroll factor of the inner K loop (`unroll`).
    public var unroll: Int

    public init(
        tileM: Int, tileN: Int, tileK: Int, threadsM: Int, threadsN: Int, vectorK: Int = 1, vectorN: Int = 1,
        stageA: Bool = true, stageB: Bool = true, unroll: Int = 1
    ) {
        self.tileM = tileM
        self.tileN = tileN
        self.tileK = tileK
        self.threadsM = threadsM
        self.threadsN = threadsN
        self.vectorK = vectorK
        self.vectorN = vectorN
        self.stageA = stageA
        self.stageB = stageB
        self.unroll = unroll
    }

    /// A schedule from the cost model's keys: `warps` threads are split into MDIMC x NDIMC, the split that fits the
    /// tile with the squarest per-thread tile (then the widest NDIMC, for coalesced stores), unless `threadsM` is given.
    public init(
        blockM: Int, blockN: Int, blockK: Int, warps: Int, vectorN: Int = 1, vectorK: Int = 1, stageA: Bool = true,
        stageB: Bool = true, unroll: Int = 1, threadsM: Int? = nil
    ) throws(ScheduleError) {
        let threads = warps * LibraryKernels.threadsPerWarp
        guard warps > 0 else { throw ScheduleError("warps must be positive, got \(warps)") }
        guard LibraryKernels.vectorWidths.contains(vectorN), LibraryKernels.vectorWidths.contains(vectorK) else {
            throw ScheduleError("vector widths must be 1, 2, 4, 8 or 16, got vector_width \(vectorN), vector_width_k \(vectorK)")
        }
        var best: (m: Int, n: Int)?
        var bestScore = Int.max
        for n in (1...threads).reversed() where threads % n == 0 {
            let m = threads / n
            if let threadsM, m != threadsM { continue }
            guard blockM % m == 0, blockN % (n * vectorN) == 0 else { continue }
            let score = abs(blockM / m - blockN / n)
            if score < bestScore { best = (m, n); bestScore = score }
        }
        guard let best else {
            throw ScheduleError("no split of \(threads) threads (\(warps) warps) fits block \(blockM)x\(blockN) with vector width \(vectorN): block_m must be a multiple of the threads along M and block_n of the threads along N times the vector width")
        }
        self.init(tileM: blockM, tileN: blockN, tileK: blockK, threadsM: best.m, threadsN: best.n, vectorK: vectorK,
                  vectorN: vectorN, stageA: stageA, stageB: stageB, unroll: unroll)
        try check()
    }

    public var workGroupSize: Int { threadsM * threadsN }
    public var localMemoryBytes: Int { 4 * tileK * ((stageA ? tileM : 0) + (stageB ? tileN : 0)) }

    /// The template's rules, each with its reason.
    public func check() throws(ScheduleError) {
        for (name, value) in [("block_m", tileM), ("block_n", tileN), ("block_k", tileK), ("unroll", unroll)] where value <= 0 {
            throw ScheduleError("\(name) must be positive, got \(value)")
        }
        guard LibraryKernels.vectorWidths.contains(vectorN), LibraryKernels.vectorWidths.contains(vectorK) else {
            throw ScheduleError("vector widths must be 1, 2, 4, 8 or 16, got vector_width \(vectorN), vector_width_k \(vectorK)")
        }
        guard tileM % threadsM == 0 else { throw ScheduleError("block_m \(tileM) is not a multiple of the \(threadsM) threads along M") }
        guard tileN % (threadsN * vectorN) == 0 else {
            throw ScheduleError("block_n \(tileN) is not a multiple of \(threadsN) threads along N times vector_width \(vectorN)")
        }
        guard tileK % vectorK == 0 else { throw ScheduleError("block_k \(tileK) is not a multiple of vector_width_k \(vectorK)") }
        guard tileK % unroll == 0 else { throw ScheduleError("block_k \(tileK) is not a multiple of unroll \(unroll)") }
        let accumulators = (tileM / threadsM) * (tileN / threadsN)
        guard accumulators <= 256 else {
            throw ScheduleError("each thread would hold \(accumulators) accumulators (more than 256): too few threads for a \(tileM)x\(tileN) tile")
        }
    }

    public var defines: [(String, Int)] {
        [("MWG", tileM), ("NWG", tileN), ("KWG", tileK), ("MDIMC", threadsM), ("NDIMC", threadsN), ("VWK", vectorK),
         ("VWN", vectorN), ("SA", stageA ? 1 : 0), ("SB", stageB ? 1 : 0), ("KWI", unroll)]
    }

    public var scheduleKeys: [String: String] {
        ["block_m": "\(tileM)", "block_n": "\(tileN)", "block_k": "\(tileK)", "warps": "\(workGroupSize / LibraryKernels.threadsPerWarp)",
         "threads_m": "\(threadsM)", "threads_n": "\(threadsN)", "vector_width": "\(vectorN)", "vector_width_k": "\(vectorK)",
         "stage_a": "\(stageA)", "stage_b": "\(stageB)", "unroll": "\(unroll)"]
    }

    public func launch(epilogue: GemmProblem.Epilogue = .none) -> KernelLaunch {
        let code = GemmProblem.Epilogue.allCases.firstIndex(of: epilogue)!
        let extra: [ArgumentBinding] = switch epilogue {
        case .none: []
        case .bias, .biasRelu, .biasGelu: [.buffer("bias")]
        case .residual: [.buffer("R")]
        }
        return KernelLaunch(
            source: librarySource(LibrarySources.gemm, defines: defines + [("EPILOGUE", code)]), sourceName: "library:sgemm.cl", kernel: "sgemm",
            global: [try! SizeExpression("ceil_div(N, \(tileN)) * \(threadsN)"), try! SizeExpression("ceil_div(M, \(tileM)) * \(threadsM)"),
                     try! SizeExpression("batch")],
            local: [SizeExpression(constant: threadsN), SizeExpression(constant: threadsM), SizeExpression(constant: 1)],
            arguments: [.int(try! SizeExpression("M")), .int(try! SizeExpression("N")), .int(try! SizeExpression("K")),
                        .buffer("A"), .int(try! SizeExpression("lda")), .buffer("B"), .int(try! SizeExpression("ldb"))]
                + extra + [.buffer("C"), .int(try! SizeExpression("ldc"))])
    }
}

/// Elementwise chains and copies (`LibrarySources.elementwise`).
public struct ElementwiseSchedule: Hashable, Sendable {
    /// WGS: threads per work-group (32 x `warps`).
    public var workGroupSize: Int
    /// Elements a work-group covers (`block_elements`); EPT = this / WGS.
    public var elementsPerBlock: Int
    /// VW (`vector_width`).
    public var vectorWidth: Int
    /// One kernel for the whole chain, or one per step (`fused`).
    public var fused: Bool

    public init(warps: Int, elementsPerBlock: Int, vectorWidth: Int = 1, fused: Bool = true) throws(ScheduleError) {
        workGroupSize = warps * LibraryKernels.threadsPerWarp
        self.elementsPerBlock = elementsPerBlock
        self.vectorWidth = vectorWidth
        self.fused = fused
        try check()
    }

    public var elementsPerThread: Int { elementsPerBlock / workGroupSize }

    public func check() throws(ScheduleError) {
        guard workGroupSize > 0 else { throw ScheduleError("warps must be positive") }
        guard LibraryKernels.vectorWidths.contains(vectorWidth) else { throw ScheduleError("vector_width must be 1, 2, 4, 8 or 16, got \(vectorWidth)") }
        guard elementsPerBlock > 0, elementsPerBlock % (workGroupSize * vectorWidth) == 0 else {
            throw ScheduleError("block_elements \(elementsPerBlock) is not a multiple of \(workGroupSize) threads times vector_width \(vectorWidth)")
        }
    }

    public var scheduleKeys: [String: String] {
        ["warps": "\(workGroupSize / LibraryKernels.threadsPerWarp)", "block_elements": "\(elementsPerBlock)",
         "vector_width": "\(vectorWidth)", "fused": "\(fused)"]
    }

    /// The launches for a chain: one when fused (or a copy), else one per step through scratch buffers T1, T2, ...;
    /// binary steps read the extra inputs Y1, Y2, ... in order.
    public func launches(ops: [ElementwiseOp], output: String) -> (launches: [KernelLaunch], scratch: [ScratchBuffer]) {
        func launch(_ steps: [(op: ElementwiseOp, input: String?)], from: String, to: String) -> KernelLaunch {
            var extras: [String] = []
            var code: [String] = []
            for step in steps {
                var y = "0.0f"
                if let input = step.input {
                    extras.append(input)
                    y = "y\(extras.count)"
                }
                code.append(step.op.openCL(y: y))
            }
            var header = "#define CHAIN(v) { \(code.joined(separator: " ")) }\n"
            if !extras.isEmpty {
                let names = extras.indices.map { "Y\($0 + 1)" }
                header += "#define EXTRA_PARAMS " + names.map { ", const __global float* restrict \($0)" }.joined() + "\n"
                header += "#define LOAD_EXTRA_V(i) " + names.enumerated().map { "const floatv y\($0.offset + 1) = LOADV(\($0.element) + (i));" }.joined(separator: " ") + "\n"
                header += "#define LOAD_EXTRA_S(i) " + names.enumerated().map { "const float y\($0.offset + 1) = \($0.element)[(i)];" }.joined(separator: " ") + "\n"
            }
            let source = header + librarySource(
                LibrarySources.elementwise, defines: [("WGS", workGroupSize), ("EPT", elementsPerThread), ("VW", vectorWidth)])
            return KernelLaunch(
                source: source, sourceName: "library:elementwise.cl", kernel: "elementwise",
                global: [try! SizeExpression("ceil_div(N, \(elementsPerBlock)) * \(workGroupSize)")],
                local: [SizeExpression(constant: workGroupSize)],
                arguments: [.int(try! SizeExpression("N")), .buffer(from)] + extras.map { .buffer($0) } + [.buffer(to)])
        }
        var steps: [(op: ElementwiseOp, input: String?)] = []
        var extra = 0
        for op in ops {
            if op.isBinary {
                extra += 1
                steps.append((op, "Y\(extra)"))
            } else {
                steps.append((op, nil))
            }
        }
        if fused || steps.count <= 1 { return ([launch(steps, from: "X", to: output)], []) }
        var launches: [KernelLaunch] = []
        var scratch: [ScratchBuffer] = []
        var current = "X"
        for (index, step) in steps.enumerated() {
            let next = index == steps.count - 1 ? output : "T\(index + 1)"
            if next != output { scratch.append(ScratchBuffer(name: next, bytes: try! SizeExpression("N * 4"))) }
            launches.append(launch([step], from: current, to: next))
            current = next
        }
        return (launches, scratch)
    }
}

/// Row softmax, layernorm, rmsnorm and sum (`LibrarySources.rows`).
public struct RowSchedule: Hashable, Sendable {
    /// WIDTH: threads per row, a power of two (32 x `warps` / `rows_per_block`).
    public var width: Int
    /// ROWS: rows per work-group (`rows_per_block`).
    public var rowsPerGroup: Int
    /// VW: consecutive elements per thread per step along the row; the threads of a row cover `block_width` =
    /// WIDTH x VW columns at once.
    public var vectorWidth: Int
    /// WELFORD: a layernorm's mean and variance in one pass of running (count, mean, M2) (`statistics: welford`).
    public var welford = false

    /// From the cost model's keys: `warps` x 32 threads hold `rows_per_block` rows of WIDTH threads each, and a row's
    /// threads cover `block_width` columns at a time (VW = block_width / WIDTH; `vector_width` gives VW instead).
    public init(warps: Int, rowsPerBlock: Int = 1, blockWidth: Int? = nil, vectorWidth: Int? = nil, welford: Bool = false) throws(ScheduleError) {
        let threads = warps * LibraryKernels.threadsPerWarp
        guard warps > 0, rowsPerBlock > 0, threads % rowsPerBlock == 0 else {
            throw ScheduleError("\(threads) threads (\(warps) warps) do not split into \(rowsPerBlock) rows per block")
        }
        let width = threads / rowsPerBlock
        var vw = vectorWidth ?? 1
        if let blockWidth {
            guard blockWidth % width == 0 else {
                throw ScheduleError("block_width \(blockWidth) is not a multiple of the \(width) threads per row (\(warps) warps / \(rowsPerBlock) rows per block)")
            }
            if let vectorWidth, vectorWidth != blockWidth / width {
                throw ScheduleError("vector_width \(vectorWidth) disagrees with block_width \(blockWidth) over \(width) threads per row")
            }
            vw = blockWidth / width
        }
        try self.init(width: width, rowsPerGroup: rowsPerBlock, vectorWidth: vw)
        self.welford = welford
    }

    public init(width: Int, rowsPerGroup: Int, vectorWidth: Int) throws(ScheduleError) {
        self.width = width
        self.rowsPerGroup = rowsPerGroup
        self.vectorWidth = vectorWidth
        try check()
    }

    public var workGroupSize: Int { width * rowsPerGroup }
    /// One float per thread to reduce through; Welford's merge, three (count, mean, M2).
    public var localMemoryBytes: Int { 4 * workGroupSize * (welford ? 3 : 1) }

    public func check() throws(ScheduleError) {
        guard width > 0, width & (width - 1) == 0 else { throw ScheduleError("\(width) threads per row is not a power of two (the row reduction halves it)") }
        guard LibraryKernels.vectorWidths.contains(vectorWidth) else {
            throw ScheduleError("elements per thread (block_width / threads per row) must be 1, 2, 4, 8 or 16, got \(vectorWidth)")
        }
    }

    public var scheduleKeys: [String: String] {
        var keys = ["warps": "\(workGroupSize / LibraryKernels.threadsPerWarp)", "block_width": "\(width * vectorWidth)",
                    "rows_per_block": "\(rowsPerGroup)", "vector_width": "\(vectorWidth)"]
        if welford { keys["statistics"] = "welford" }
        return keys
    }

    public func launch(op: RowOp) throws(ScheduleError) -> KernelLaunch {
        // Rule: Welford's running statistics are a layernorm's mean and variance; other row ops have none.
        if welford && op != .layernorm { throw ScheduleError("statistics welford gathers a layernorm's mean and variance, not \(op.rawValue)'s") }
        let code = RowOp.allCases.firstIndex(of: op)!
        let buffers: [ArgumentBinding] = switch op {
        case .softmax, .sum: []
        case .layernorm: [.buffer("gamma"), .buffer("beta")]
        case .rmsnorm: [.buffer("gamma")]
        }
        return KernelLaunch(
            source: librarySource(LibrarySources.rows, defines: [("ROWOP", code), ("WIDTH", width), ("ROWS", rowsPerGroup), ("VW", vectorWidth),
                                                                   ("WELFORD", welford ? 1 : 0)]),
            sourceName: "library:rows.cl", kernel: "rowop",
            global: [SizeExpression(constant: width), try! SizeExpression("ceil_div(M, \(rowsPerGroup)) * \(rowsPerGroup)")],
            local: [SizeExpression(constant: width), SizeExpression(constant: rowsPerGroup)],
            arguments: [.int(try! SizeExpression("M")), .int(try! SizeExpression("N")), .buffer("X")] + buffers + [.buffer("Y")])
    }
}

/// Tiled transpose (`LibrarySources.transpose`).
public struct TransposeSchedule: Hashable, Sendable {
    /// TS: the square tile's side (`tile`).
    public var tile: Int
    /// TR: thread rows; TS x TR = 32 x `warps`.
    public var threadRows: Int
    /// STAGE (`local_memory`).
    public var staged: Bool
    /// PAD: columns of padding in the local tile (`pad`).
    public var pad: Int

    public init(tile: Int, warps: Int, staged: Bool = true, pad: Int = 1) throws(ScheduleError) {
        let threads = warps * LibraryKernels.threadsPerWarp
        guard tile > 0, threads % tile == 0 else { throw ScheduleError("\(threads) threads (\(warps) warps) are not a multiple of tile \(tile)") }
        self.tile = tile
        threadRows = threads / tile
        self.staged = staged
        self.pad = pad
        guard threadRows <= tile, tile % threadRows == 0 else {
            throw ScheduleError("tile \(tile) is not a multiple of its \(threadRows) thread rows (\(threads) threads / tile)")
        }
        guard pad >= 0 else { throw ScheduleError("pad must not be negative") }
    }

    public var workGroupSize: Int { tile * threadRows }
    public var localMemoryBytes: Int { staged ? 4 * tile * (tile + pad) : 0 }

    public var scheduleKeys: [String: String] {
        ["tile": "\(tile)", "warps": "\(workGroupSize / LibraryKernels.threadsPerWarp)", "local_memory": "\(staged)", "pad": "\(pad)"]
    }

    public func launch() -> KernelLaunch {
        KernelLaunch(
            source: librarySource(LibrarySources.transpose, defines: [("TS", tile), ("TR", threadRows), ("STAGE", staged ? 1 : 0), ("PAD", pad)]),
            sourceName: "library:transpose.cl", kernel: "transpose",
            global: [try! SizeExpression("ceil_div(N, \(tile)) * \(tile)"), try! SizeExpression("ceil_div(M, \(tile)) * \(threadRows)")],
            local: [SizeExpression(constant: tile), SizeExpression(constant: threadRows)],
            arguments: [.int(try! SizeExpression("M")), .int(try! SizeExpression("N")), .buffer("X"), .buffer("Y")])
    }
}

/// A template with its defines in front, as `#define NAME value` lines.
func librarySource(_ template: String, defines: [(String, Int)]) -> String {
    defines.map { "#define \($0.0) \($0.1)\n" }.joined() + template
}
