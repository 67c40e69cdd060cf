import MachineModel
import Workloads

extension CostModel {
    /// Attention forward: `naive` runs S = Q K^T (cuBLAS), a causal mask, softmax and P V as separate kernels
    /// that materialise the S x S scores; `flash` walks key/value tiles with an online softmax in one kernel.
    public func predict(attention p: AttentionProblem, _ s: AttentionSchedule) -> Prediction {
        switch s.variant {
        case .naive: return naiveAttention(p)
        case .flash: return flashAttention(p, s)
        }
    }

    /// Library kernels pick good tiles: the best of a few standard schedules.
    func libraryGemm(_ problem: GemmProblem, launch: Double) -> Prediction {
        let schedules = [
            GemmSchedule(blockM: 128, blockN: 256, blockK: 64, warps: 8, stages: 3, groupM: 8),
            GemmSchedule(blockM: 128, blockN: 128, blockK: 64, warps: 8, stages: 4, groupM: 8),
            GemmSchedule(blockM: 128, blockN: 64, blockK: 64, warps: 4, stages: 4, groupM: 8),
            GemmSchedule(blockM: 64, blockN: 128, blockK: 64, warps: 4, stages: 4, groupM: 8),
            GemmSchedule(blockM: 64, blockN: 64, blockK: 64, warps: 4, stages: 4, groupM: 8),
        ]
        var best = Prediction.infeasible(.missing(key: .block_m))
        for schedule in schedules {
            let p = predict(gemm: problem, schedule, launch: launch)
            if p.time < best.time { best = p }
        }
        return best
    }

    func naiveAttention(_ p: AttentionProblem) -> Prediction {
        let heads = p.batch * p.heads
        let scores = libraryGemm(
            GemmProblem(m: p.queryLen, n: p.seqLen, k: p.headDim, batch: heads, dtype: p.dtype), launch: launchCost(index: 0))
        var total = scores
        var index = 1
        if p.causal {
            // masked_fill_ with a [S, S] mask broadcast over batch and heads: reads and writes the scores; its
            // non-vectorised indexing path issues instructions slower than DRAM could stream.
            let mask = maskedFill(elements: heads * p.queryLen * p.seqLen, bytes: p.dtype.bytes, launch: launchCost(index: index))
            total = total.followed(by: mask)
            index += 1
        }
        let width = 1 << (Int.bitWidth - (p.seqLen - 1).leadingZeroBitCount)
        let softmax = predict(
            reduction: ReductionProblem(op: .softmax, rows: heads * p.queryLen, cols: p.seqLen, dtype: p.dtype),
            ReductionSchedule(rowsPerBlock: 1, blockWidth: min(width, 4096), warps: max(1, min(16, width / 256))),
            launch: launchCost(index: index))
        total = total.followed(by: softmax)
        index += 1
        let output = libraryGemm(
            GemmProblem(m: p.queryLen, n: p.headDim, k: p.seqLen, batch: heads, dtype: p.dtype), launch: launchCost(index: index))
        total = total.followed(by: output)
        total.flops = p.flops
        return total
    }

    func maskedFill(elements: Int, bytes: Int, launch: Double) -> Prediction {
        let f = figures
        let block = 1024
        let occupancy = f.occupancy(threadsPerBlock: 128, registersPerThread: 32, sharedBytes: 0)
        var w = KernelWork(occupancy: occupancy)
        w.grid = ceilDiv(elements, block)
        w.threads = 128
        w.launch = launch
        let tensor = Double(elements * bytes)
        w.dramBytes = 2 * tensor
        w.l2Bytes = 2 * tensor + Double(elements)
        w.vectorPerBlock = 2 * Double(block * bytes) / (f.dramBandwidth / f.units * parameters.broadcastMaskFraction)
        w.chainPerBlock = f.dramLatency + Double(block * bytes * 2) / f.unitLoadBandwidth
        w.inflightPerBlock = Double(block * bytes)
        return f.evaluate(w, overlap: parameters.overlap, latencyMargin: parameters.latencyMargin)
    }

    func flashAttention(_ p: AttentionProblem, _ s: AttentionSchedule) -> Prediction {
        let f = figures
        let q = parameters
        // Rule: a flash schedule names its tiles, warps and stages.
        guard let blockQ = s.blockQ else { return .infeasible(.missing(key: .block_q), flops: p.flops) }
        guard let blockKV = s.blockKV else { return .infeasible(.missing(key: .block_kv), flops: p.flops) }
        guard let warps = s.warps else { return .infeasible(.missing(key: .warps), flops: p.flops) }
        let stages = s.stages ?? 2
        // Rule: Triton block shapes are powers of two (head_dim too: it is a tl.arange); Triton's candidates only.
        if s.compiler.needsPowerOfTwoTiles {
            if !isPowerOfTwo(blockQ) { return .infeasible(.notPowerOfTwo(key: .block_q, value: blockQ), flops: p.flops) }
            if !isPowerOfTwo(blockKV) { return .infeasible(.notPowerOfTwo(key: .block_kv, value: blockKV), flops: p.flops) }
            if !isPowerOfTwo(warps) { return .infeasible(.notPowerOfTwo(key: .warps, value: warps), flops: p.flops) }
            if !isPowerOfTwo(p.headDim) { return .infeasible(.notPowerOfTwo(key: .head_dim, value: p.headDim), flops: p.flops) }
        }
        // Rule: tl.dot tiles are at least 16 in every dimension.
        if blockQ < 16 { return .infeasible(.belowDotMinimum(key: .block_q, value: blockQ), flops: p.flops) }
        if blockKV < 16 { return .infeasible(.belowDotMinimum(key: .block_kv, value: blockKV), flops: p.flops) }
        // Rule: the kernel has no masks on the keys: tiles must divide them (each split's share, when split); a
        // query length shorter than one tile is one masked tile (decoding), longer ones must divide.
        if p.queryLen >= blockQ && p.queryLen % blockQ != 0 {
            return .infeasible(.doesNotDivide(key: .block_q, value: blockQ, extent: p.queryLen), flops: p.flops)
        }
        if s.splitKV < 1 { return .infeasible(.doesNotDivide(key: .split_kv, value: s.splitKV, extent: p.seqLen), flops: p.flops) }
        if p.seqLen % (blockKV * s.splitKV) != 0 {
            return .infeasible(.doesNotDivide(key: .block_kv, value: blockKV * s.splitKV, extent: p.seqLen), flops: p.flops)
        }
        let threads = warps * f.warpWidth
        // Rule: a block has at most max_threads_per_block threads.
        if threads > f.maxThreadsPerBlock {
            return .infeasible(.threadsPerBlock(threads: threads, limit: f.maxThreadsPerBlock), flops: p.flops)
        }
        let peak = f.matrixPeak(p.dtype.precision)
        // Rule: matrix units need a rate for the input precision.
        if peak == 0 { return .infeasible(.noMatrixRate(p.dtype.precision), flops: p.flops) }

        let wgmma = f.asyncMatrixUnits && blockQ >= 64 && warps >= 4 && !s.mmaSync
        // Rule: a persistent kernel is warp-specialised: a producer warpgroup issues the loads and hands its
        // registers to the warpgroups that multiply, on wgmma's 64-row tiles.
        let producer = s.persistent
        if producer && !(wgmma && warps >= 8) { return .infeasible(.persistentNeedsWarpgroups(warps: warps), flops: p.flops) }
        let consumerWarps = producer ? warps - 4 : warps
        let rows = s.rowsAtOnce ?? blockQ
        let e = Double(p.dtype.bytes)
        let bq = Double(rows), bkv = Double(blockKV), d = Double(p.headDim)
        let rate = wgmma || !f.asyncMatrixUnits ? peak : peak * q.mmaSyncFraction / q.wgmmaFraction
        // Shared memory: the Q tile and `stages` buffers of K and V tiles.
        let estimate = Int(bq * d * e + Double(max(1, stages)) * 2 * bkv * d * e)
        let shared = s.compiler.sharedBytes ?? estimate
        // Rule: one block may not use more shared memory than max_shared_memory_per_block.
        if shared > f.maxSharedPerBlock {
            return .infeasible(.sharedMemory(required: shared, limit: f.maxSharedPerBlock), flops: p.flops)
        }
        // Registers: the output accumulator and the score tile in fp32 (with their fragments and staging, about
        // 1.15 per element on the H100), row statistics, the kernel's bookkeeping.
        let consumerThreads = Double(consumerWarps * f.warpWidth)
        let need = 1.15 * (bq * d + bq * bkv) / consumerThreads + 2 * bq / consumerThreads + q.baseRegisters + 20
        // With a producer, a block's registers per thread average the consumers' need and the producer's.
        let wanted = producer ? (need * Double(consumerWarps) + q.producerRegisters * 4) / Double(warps) : need
        let (registers, spilled) = self.registers(estimate: wanted, threads: threads, facts: s.compiler)
        let occupancy = f.occupancy(threadsPerBlock: threads, registersPerThread: registers, sharedBytes: shared)
        if occupancy.blocksPerUnit == 0 { return .infeasible(doesNotFit(occupancy), flops: p.flops) }

        let qBlocks = ceilDiv(p.queryLen, rows)
        // Key/value tiles per block: all of its split's keys, or (causal) those up to the diagonal, on average; the
        // queries are the last query_len positions, so a query tile sees the keys before them all.
        let kv = Double(p.seqLen), ql = Double(p.queryLen)
        let keysPerBlock = p.causal ? min(kv, kv - ql + ql / 2 + bq / 2) : kv
        let tiles = keysPerBlock / bkv / Double(s.splitKV)
        let longest = (kv / bkv / Double(s.splitKV)).rounded(.up)
        var w = KernelWork(occupancy: occupancy)
        w.grid = qBlocks * p.batch * p.heads * s.splitKV
        w.threads = threads
        w.registers = registers
        w.spilled = spilled
        w.sharedBytes = shared
        w.matrixPath = wgmma ? .wgmma : .mmaSync
        w.flops = p.flops
        w.launch = launchCost(index: 0)

        let resident = f.residentPerUnit(grid: w.grid, blocksPerUnit: occupancy.blocksPerUnit)
        var productRate = rate * f.powerHeadroom(activeUnits: w.grid)
        if wgmma && resident * consumerWarps / 4 <= 1 { productRate *= q.singleWarpgroupFraction }
        if spilled > 0 { productRate /= 1 + Double(spilled) / q.spillHalvingRegisters }
        let mmaPerTile = 4 * bq * bkv * d / productRate
        let softmaxSpecial = (bq * bkv + bq) / f.specialPerUnit
        // Scale, mask, max, subtract, sum, convert per score; rescale the accumulator per tile.
        let softmaxVector = (bq * bkv * 7 + bq * d * 2) / Double(f.warpWidth) / f.issuePerUnit
        // Consumer warpgroups of a warp-specialised block take turns: one's softmax runs while another multiplies.
        let pingPong = producer && consumerWarps / 4 >= 2
        w.computeSerialFraction = pingPong ? q.pingPongSerialFraction : q.flashSerialFraction
        w.matrixPerBlock = tiles * mmaPerTile
        w.specialPerBlock = tiles * softmaxSpecial
        w.vectorPerBlock = tiles * softmaxVector
        let groupsAlongQ = wgmma ? Double(max(1, min(consumerWarps / 4, rows / 64))) : Double(warps)
        let tileBytes = 2 * bkv * d * e
        let sharedMoved = tiles * tileBytes * (1 + groupsAlongQ) + bq * d * e * 2
        w.sharedPerBlock = sharedMoved / f.sharedBandwidthPerUnit
        w.sharedBytesMoved = sharedMoved * Double(w.grid)

        // Grouped heads read their shared key/value head's tiles from L2: DRAM sees K and V once per kv head. Split
        // blocks write fp32 partial outputs and row statistics for the combining kernel.
        let partials = s.splitKV > 1 ? Double(p.batch * p.heads * p.queryLen * s.splitKV) * (d + 2) * 4 : 0
        w.l2Bytes = Double(w.grid) * (tiles * tileBytes + 2 * bq * d * e) + partials
        w.dramBytes = p.tensorBytes + partials

        // Flash spills hold loop-invariant values (pointers, Q fragments): reloaded once per tile.
        f.addSpills(&w, spilled: spilled, accesses: tiles, parallelism: q.invariantSpillParallelism)

        // Within a block the two products and the softmax between them are dependent: per tile they add up.
        // When more warpgroups than 64-row slices share a query tile, each score row is split across them and
        // its max and sum cross warpgroups through shared memory, twice per tile.
        let groupsAlongKV = wgmma ? Double(max(1, (consumerWarps / 4) / max(1, rows / 64))) : 1
        var reduce = (2 * q.shuffleCycles + q.iterationCycles) / f.clock
        if groupsAlongKV > 1 {
            // Shared-memory exchanges and barriers stall every warp of the block: throughput as well as latency.
            reduce += q.crossWarpgroupCycles / f.clock
            w.vectorPerBlock += tiles * q.crossWarpgroupCycles / f.clock
        }
        // A producer keeps all `stages` loads in flight and never retires: the next query tile's loads are issued
        // while this one finishes, so no tile waits for its first loads. Its first key/value tile still runs its
        // chain alone (no earlier scores to overlap with), and it stores its output.
        let depth = Double(producer ? stages : max(1, stages - 1))
        w.fillDrainPerBlock = producer ? mmaPerTile + softmaxSpecial + softmaxVector + reduce + bq * d * e / f.unitLoadBandwidth
            : f.dramLatency + bq * d * e * 2 / f.unitLoadBandwidth + q.blockCycles / f.clock
        w.inflightPerBlock = depth * tileBytes
        let groups = pingPong ? Double(consumerWarps / 4) : 1
        let work = w
        let attention = f.settled { running in
            var w = work
            let loadLatency = stageLatency(w, miss: 0, bytes: tileBytes, running: running, depth: depth)
            // Taking turns, the warpgroups keep the matrix units busy unless one tile's chain outlasts their products.
            let step = max(mmaPerTile, (mmaPerTile + softmaxSpecial + softmaxVector + reduce) / groups)
            let perTile = smoothMax(step, loadLatency / depth, p: q.pipelineNorm)
            w.chainPerBlock = tiles * perTile + w.fillDrainPerBlock
            // A causal block masks the tiles on the diagonal in a loop of their own after the free ones: that
            // loop's pipeline fills again, its first tile's loads waited on.
            if p.causal && !producer { w.chainPerBlock += loadLatency }
            if p.causal {
                // Query tiles vary fastest in the grid, so the last block dispatched is a last query tile, which sees
                // every key. Until then the unit works through its other tiles in `resident` slots, each tile taking
                // the longer of its chain and its slot's share of the unit's throughput; the last block then runs
                // its whole chain, its neighbours finishing beside it. (Measured alone, one block per SM, the
                // per-tile chain is within 15% of `perTile` in 38 of 48 H100 configurations, 0.73-1.17x:
                // calibration/measurements/h100-sxm/flash-chain/.)
                let compute = w.compute(matrix: w.matrixPerBlock, vector: w.vectorPerBlock, special: w.specialPerBlock)
                let slotTile = max(perTile, Double(resident) * max(compute, w.sharedPerBlock) / tiles)
                let unitTiles = Double(ceilDiv(w.grid, f.unitCount)) * tiles
                w.unevenMakespan = max(0, unitTiles - longest) / Double(resident) * slotTile + longest * perTile
                    + w.chainPerBlock - tiles * perTile + w.spillLatencyPerBlock
            }
            return f.evaluate(w, overlap: producer ? 0 : q.overlap, latencyMargin: q.latencyMargin)
        }
        guard s.splitKV > 1 else { return attention }
        // The combining kernel reads each query's split partials and writes its output once.
        let outputs = p.batch * p.heads * p.queryLen * p.headDim
        let partialsProblem = ElementwiseProblem(elements: outputs, ops: 2 * s.splitKV, dtype: .fp32, extraInputs: s.splitKV - 1)
        let combine = elementwiseKernel(partialsProblem, ElementwiseSchedule(fused: true, blockElements: 1024, warps: 4),
                                        ops: partialsProblem.chain[...], extraInputs: s.splitKV - 1, producedBefore: true,
                                        launch: launchCost(index: 1))
        var total = attention.followed(by: combine)
        total.flops = p.flops
        return total
    }
}
