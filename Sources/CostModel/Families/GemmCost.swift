import MachineModel
import Workloads

extension CostModel {
    /// One tiled GEMM kernel (Triton's tl.dot loop with group-M rasterisation; split-K adds a reduction of fp32
    /// partials through L2 atomics).
    ///
    /// - Complexity: O(1), no allocation: this is the planner's hot path.
    public func predict(gemm p: GemmProblem, _ s: GemmSchedule) -> Prediction {
        predict(gemm: p, s, launch: figures.launch)
    }

    func predict(gemm p: GemmProblem, _ s: GemmSchedule, launch: Double) -> Prediction {
        let f = figures
        let q = parameters
        // Rule: Triton block shapes come from tl.arange, which needs powers of two; num_warps likewise (Triton's
        // rule, for Triton's candidates only: a CUDA C++ kernel may tile by 192).
        if s.compiler.needsPowerOfTwoTiles {
            if !isPowerOfTwo(s.blockM) { return .infeasible(.notPowerOfTwo(key: .block_m, value: s.blockM), flops: p.flops) }
            if !isPowerOfTwo(s.blockN) { return .infeasible(.notPowerOfTwo(key: .block_n, value: s.blockN), flops: p.flops) }
            if !isPowerOfTwo(s.blockK) { return .infeasible(.notPowerOfTwo(key: .block_k, value: s.blockK), flops: p.flops) }
            if !isPowerOfTwo(s.warps) { return .infeasible(.notPowerOfTwo(key: .warps, value: s.warps), flops: p.flops) }
        }
        let onMatrixUnits = s.matrixUnits && p.dtype != .fp32
        // Rule: int8 products run on matrix units; the FMA path is for floating point.
        if p.dtype == .int8 && !s.matrixUnits { return .infeasible(.integerNeedsMatrixUnits, flops: p.flops) }
        // Rule: tl.dot tiles are at least 16 in every dimension.
        if s.blockM < 16 { return .infeasible(.belowDotMinimum(key: .block_m, value: s.blockM), flops: p.flops) }
        if s.blockN < 16 { return .infeasible(.belowDotMinimum(key: .block_n, value: s.blockN), flops: p.flops) }
        if s.blockK < 16 { return .infeasible(.belowDotMinimum(key: .block_k, value: s.blockK), flops: p.flops) }
        // Rule: a block has at most max_threads_per_block threads.
        let threads = s.warps * f.warpWidth
        if threads > f.maxThreadsPerBlock {
            return .infeasible(.threadsPerBlock(threads: threads, limit: f.maxThreadsPerBlock), flops: p.flops)
        }

        let e = Double(p.dtype.bytes)
        let eo = Double(p.outputBytes)
        let bm = Double(s.blockM), bn = Double(s.blockN), bk = Double(s.blockK)
        let t = Double(threads)

        // Which instructions multiply: wgmma needs a warpgroup (4 warps) per 64 rows; Triton falls back to
        // mma.sync for smaller tiles or fewer warps; fp32 (IEEE) and matrix_units: false use FMAs.
        var path = MatrixPath.vector
        var rate = f.vectorPeak(.fp32)
        if onMatrixUnits {
            let peak = f.matrixPeak(p.dtype.precision)
            // Rule: matrix units need a rate for the input precision.
            if peak == 0 { return .infeasible(.noMatrixRate(p.dtype.precision), flops: p.flops) }
            if !f.asyncMatrixUnits {
                path = .mmaSync
                rate = peak
            } else if s.blockM >= 64 && s.warps >= 4 {
                path = .wgmma
                rate = peak
            } else {
                path = .mmaSync
                rate = peak * q.mmaSyncFraction / q.wgmmaFraction
            }
        }

        // Shared memory: buffers of an A and a B tile, `stages` of them on the wgmma path, `stages - 1` on the
        // mma.sync and FMA paths (Triton's two pipeliners); the epilogue reuses it to re-layout C.
        let stageBytes = (bm * bk + bk * bn) * e
        let buffers = path == .wgmma ? max(1, s.stages) : max(1, s.stages - 1)
        let estimate = max(Double(buffers) * stageBytes, bm * bn * eo)
        let shared = s.compiler.sharedBytes ?? Int(estimate)
        // Rule: one block may not use more shared memory than max_shared_memory_per_block (Triton: OutOfResources).
        if shared > f.maxSharedPerBlock {
            return .infeasible(.sharedMemory(required: shared, limit: f.maxSharedPerBlock), flops: p.flops)
        }

        // A persistent wgmma kernel is warp-specialised (CUTLASS's and cuBLAS's Hopper kernels): one warpgroup only
        // issues the tile loads and hands its registers to the others (setmaxnreg), which multiply.
        let producer = s.persistent && path == .wgmma && s.warps >= 8
        let consumerWarps = producer ? s.warps - 4 : s.warps

        // Registers: the fp32 accumulator tile spread over the threads, operand fragments for mma.sync and FMAs,
        // and the kernel's bookkeeping.
        var wgN = 1.0, warpsM = 1.0, warpsN = 1.0
        var operandRegisters = 0.0
        switch path {
        case .wgmma:
            let groups = consumerWarps / 4
            let alongM = min(groups, max(1, s.blockM / 64))
            wgN = Double(groups / alongM)
        case .mmaSync, .vector, .none:
            // Triton's warpsPerTile for mma v2: double the dimension with more 16x8 tiles left per warp.
            var wm = 1, wn = 1
            while wm * wn < s.warps {
                if s.blockM / (16 * wm) >= s.blockN / (8 * wn) && wm * 16 < s.blockM { wm *= 2 } else { wn *= 2 }
            }
            warpsM = Double(wm)
            warpsN = Double(wn)
            // Fragments of at most 64 columns of K are live at once.
            operandRegisters = (bm / warpsM + bn / warpsN) * min(bk, 64) * e / 4 / Double(f.warpWidth)
            if path == .vector { operandRegisters = 2 * (bm * bn / t).squareRoot() }
        }
        let accumulator = bm * bn / Double(consumerWarps * f.warpWidth)
        // Consumers that issue no loads hold little besides the accumulator.
        let mainLoop = (path == .wgmma && !producer ? q.wgmmaRegistersPerAccumulator * accumulator : accumulator)
            + operandRegisters + q.baseRegisters
        // The epilogue holds each tensor operand's tile (a residual), loaded packed in its own type, beside the
        // accumulator, plus a few temporaries; the main loop's operand registers are dead by then.
        let tensorOperands = Double(ElementOp.tensorOperands(p.epilogue))
        let epilogueRegisters = accumulator * (1 + tensorOperands * e / 4) + q.baseRegisters
            + (p.epilogue.isEmpty ? 0 : 4)
        // With a producer, a block's registers per thread average the consumers' need and the producer's.
        func perThread(_ need: Double) -> Double {
            producer ? (need * Double(consumerWarps) + q.producerRegisters * 4) / Double(s.warps) : need
        }
        let wanted = max(perThread(mainLoop), perThread(epilogueRegisters))
        let (registers, spilled) = self.registers(estimate: wanted, threads: threads, facts: s.compiler)

        let occupancy = f.occupancy(threadsPerBlock: threads, registersPerThread: registers, sharedBytes: shared)
        if occupancy.blocksPerUnit == 0 { return .infeasible(doesNotFit(occupancy), flops: p.flops) }

        // Grid and main loop.
        let tilesM = ceilDiv(p.m, s.blockM)
        let tilesN = ceilDiv(p.n, s.blockN)
        let kPerSplit = ceilDiv(p.k, max(1, s.splitK))
        let kIterations = max(1, ceilDiv(kPerSplit, s.blockK))
        let grid = tilesM * tilesN * p.batch * max(1, s.splitK)
        let iterations = Double(kIterations)
        let resident = f.residentPerUnit(grid: grid, blocksPerUnit: occupancy.blocksPerUnit)

        var w = KernelWork(occupancy: occupancy)
        w.grid = grid
        w.threads = threads
        w.registers = registers
        w.spilled = spilled
        w.sharedBytes = shared
        w.matrixPath = path
        w.flops = p.flops
        w.launch = launch

        // Products: padded tiles are computed in full (masked loads feed zeros).
        var productRate = rate * f.powerHeadroom(activeUnits: grid)
        if path == .wgmma && resident * consumerWarps / 4 <= 1 { productRate *= q.singleWarpgroupFraction }
        if path != .vector && spilled > 0 { productRate /= 1 + Double(spilled) / q.spillHalvingRegisters }
        let productTime = 2 * bm * bn * bk * iterations / productRate
        if path == .vector { w.vectorPerBlock += productTime } else { w.matrixPerBlock = productTime }
        w.vectorPerBlock += iterations * Double(s.warps) * q.gemmLoopInstructionsPerWarp / f.issuePerUnit

        // Shared memory: async copies write each stage; mma.sync reads A once per warp along N and B once per warp
        // along M (wgmma below); spilled registers go through L1 every iteration.
        var operandReads: Double
        switch path {
        case .wgmma:
            // Each wgmma multiplies 64 rows by at most 256 columns and reads both operands from shared memory
            // itself: B once per 64 rows of the tile, A once per 256 columns of a warpgroup's share.
            operandReads = bk * e * (bm * wgN * (bn / wgN / 256).rounded(.up) + bn * bm / 64)
        case .mmaSync: operandReads = bk * e * (bm * warpsN + bn * warpsM)
        case .vector, .none: operandReads = bk * e * 2 * t * (bm * bn / t).squareRoot() / 4
        }
        // An MN-major 8-bit or tf32 operand is transposed through shared memory before the matrix units read it
        // (they take only K-major operands of those types): one more write and read of its tile a stage.
        let mnMajor = p.mnMajorOperands
        if path != .vector { operandReads += 2 * bk * e * ((mnMajor.a ? bm : 0) + (mnMajor.b ? bn : 0)) }
        let sharedMoved = iterations * (stageBytes + operandReads) + 2 * bm * bn * eo
        w.sharedPerBlock = sharedMoved / f.sharedBandwidthPerUnit
        w.sharedBytesMoved = sharedMoved * Double(grid)

        // Epilogue: the conversion to the output type and the named ops, per accumulator element, on the vector and
        // special units. It runs after the tile's main loop, so only another resident block's main loop (or a
        // persistent kernel's next tile) can hide it; its tensor operands are loaded then, a DRAM round trip.
        var epilogueCost = f.cost(of: p.epilogue)
        epilogueCost.vector += 1
        let epilogue = f.chainTimes(epilogueCost, elements: bm * bn, warps: s.warps)
        w.vectorPerBlock += epilogue.vector
        w.specialPerBlock = epilogue.special
        // Each thread then walks its share of the tile one element at a time: a chain of dependent instructions
        // (libdevice's tanh, erf) is latency that the block's few warps cannot hide.
        let elementsPerThread = bm * bn / Double(s.warps * f.warpWidth)
        var epilogueSerial = max(epilogue.vector, epilogue.special, elementsPerThread * epilogueCost.latency / f.clock)
        if tensorOperands > 0 { epilogueSerial += f.dramLatency + tensorOperands * bm * bn * e / f.unitLoadBandwidth }
        if p.epilogue.contains(where: { $0.operand == .row }) { epilogueSerial += f.l2Latency }

        // L2: every block streams its A and B panels; C (and bias or residual) once.
        let batch = Double(p.batch)
        let m = Double(p.m), n = Double(p.n), k = Double(p.k)
        let loads = Double(grid) * iterations * stageBytes
        let output = m * n * eo * batch
        var epilogueInputs = 0.0
        for op in p.epilogue {
            switch op.operand {
            case .row: epilogueInputs += Double(grid / max(1, s.splitK)) * bn * e
            case .tensor: epilogueInputs += output
            case .none, .scalar: break
            }
        }
        var splitTraffic = 0.0
        if s.splitK > 1 { splitTraffic = m * n * 4 * batch * Double(s.splitK) * 2 }
        w.l2Bytes = loads + output + epilogueInputs + splitTraffic

        // DRAM: compulsory A and B when they fit in L2; otherwise every wave fetches the panels it touches.
        // A wave of resident blocks in group-M order covers `rows` tile rows and `cols` tile columns.
        let compulsory = (m * k + k * n) * e * batch
        let wave = Double(min(grid, f.unitCount * occupancy.blocksPerUnit))
        let group = Double(min(max(1, s.groupM), tilesM))
        let band = group * Double(tilesN)
        var rows: Double, cols: Double
        if wave <= band {
            rows = min(group, wave)
            cols = min(Double(tilesN), (wave / group).rounded(.up))
        } else {
            rows = min(Double(tilesM), (wave / Double(tilesN)).rounded(.up))
            cols = Double(tilesN)
        }
        let waveBytes = (rows * bm + cols * bn) * Double(kPerSplit) * e
        var reads = compulsory
        if (m * k + k * n) * e > f.l2Usable { reads = max(compulsory, Double(grid) / wave * waveBytes) }
        reads = min(reads, loads)
        w.dramBytes = reads + output + tensorOperands * output + (s.splitK > 1 ? m * n * 4 * batch : 0)

        // Spilled accumulators are stored and reloaded around the MMAs of every iteration.
        f.addSpills(&w, spilled: spilled, accesses: 2 * iterations, parallelism: q.accumulatorSpillParallelism)

        // Latency: each iteration waits for a stage issued `stages - 1` iterations earlier (a producer warpgroup
        // keeps all `stages` in flight); without pipelining (one stage) the wait adds to the compute. Loop
        // bookkeeping adds a fixed number of cycles.
        let miss = loads > 0 ? min(1, reads / loads) : 1
        let iterationWork = max(productTime, w.sharedPerBlock) / iterations
        let depth = Double(producer ? s.stages : s.stages - 1)
        w.inflightPerBlock = max(1, depth) * stageBytes
        let work = w
        return f.settled { running in
            var w = work
            let loadLatency = stageLatency(w, miss: miss, bytes: stageBytes, running: running, depth: depth)
            // Spill reloads queue in L2 like the tiles' loads: a grid that leaves most SMs idle (a skinny or
            // long-K GEMM) finds L2 near its unloaded latency.
            if spilled > 0 {
                let roundTrip = f.tileLatency(w, miss: 0, bytes: 0, running: running)
                w.spillLatencyPerBlock = f.spillWait(spilled: spilled, accesses: 2 * iterations,
                                                     parallelism: q.accumulatorSpillParallelism, roundTrip: roundTrip)
            }
            var iteration = depth >= 1
                ? smoothMax(iterationWork, loadLatency / depth, p: q.pipelineNorm) : iterationWork + loadLatency
            iteration += q.iterationCycles / f.clock
            // A warp-specialised block never retires between tiles, and its producer loads the next tile's stages
            // while the consumers finish this one: no tile waits for its first loads (the first of each block, once,
            // is left out).
            w.fillDrainPerBlock = bm * bn * eo / f.unitLoadBandwidth
                + (producer ? 0 : loadLatency + q.blockCycles / f.clock) + (s.persistent ? 0 : epilogueSerial)
            w.chainPerBlock = iterations * iteration + w.fillDrainPerBlock
            // A producer warpgroup's loads run beside the consumers' MMAs: no share of the memory side is serialised.
            return f.evaluate(w, overlap: producer ? 0 : q.overlap, latencyMargin: q.latencyMargin)
        }
    }
}
