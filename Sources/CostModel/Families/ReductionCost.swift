import MachineModel
import Workloads

extension CostModel {
    /// Row-wise softmax, layernorm, rmsnorm or sum: one block per `rows_per_block` rows. A row wider than
    /// `block_width` is walked in chunks: softmax then reads it twice (online max and sum, then normalise).
    public func predict(reduction p: ReductionProblem, _ s: ReductionSchedule) -> Prediction {
        predict(reduction: p, s, launch: figures.launch)
    }

    func predict(reduction p: ReductionProblem, _ s: ReductionSchedule, launch: Double) -> Prediction {
        let f = figures
        let q = parameters
        // Rule: Triton block shapes (rows x width) come from tl.arange: powers of two; num_warps likewise (Triton's only).
        if s.compiler.needsPowerOfTwoTiles {
            if !isPowerOfTwo(s.blockWidth) { return .infeasible(.notPowerOfTwo(key: .block_width, value: s.blockWidth)) }
            if !isPowerOfTwo(s.rowsPerBlock) { return .infeasible(.notPowerOfTwo(key: .rows_per_block, value: s.rowsPerBlock)) }
            if !isPowerOfTwo(s.warps) { return .infeasible(.notPowerOfTwo(key: .warps, value: s.warps)) }
        }
        let threads = s.warps * f.warpWidth
        // Rule: a block has at most max_threads_per_block threads.
        if threads > f.maxThreadsPerBlock {
            return .infeasible(.threadsPerBlock(threads: threads, limit: f.maxThreadsPerBlock))
        }
        let e = Double(p.dtype.bytes)
        let rows = Double(p.rows), cols = Double(p.cols)
        let looped = s.blockWidth < p.cols
        let chunks = Double(looped ? ceilDiv(p.cols, s.blockWidth) : 1)
        let lanes = Double(s.blockWidth * s.rowsPerBlock)
        let perThread = max(1, (lanes / Double(threads)).rounded(.up))

        // Per element: reads of the row, special functions, instructions; reductions per row.
        let passes: Double, special: Double, reductions: Double
        var instructions: Double
        let squares: Double = looped ? 10 : 7  // an rmsnorm's per element: its square, then its scaling
        switch p.op {
        case .softmax: passes = looped ? 2 : 1; special = looped ? 3 : 1; instructions = looped ? 16 : 9; reductions = 2
        case .layernorm: passes = looped ? 2 : 1; special = 0; instructions = looped ? 14 : 10; reductions = 2
        case .rmsnorm: passes = looped ? 2 : 1; special = 0; instructions = squares; reductions = 1
        case .sum: passes = 1; special = 0; instructions = 3; reductions = 1
        }
        // Each reduction's steps across lanes and warps, per thread and row.
        let reductionInstructions = reductions * 8
        // Rule: Welford's online update gathers a layernorm's mean and variance; softmax, rmsnorm and sum have none.
        if s.statistics == .welford && p.op != .layernorm { return .infeasible(.welfordNeedsLayernorm) }
        // Welford's update costs each element a reciprocal of the running count and two dependent updates in place
        // of the deviations' sum, and each row the merging of (count, mean, M2) triples at every step across lanes
        // and warps. PyTorch's layer_norm kernel runs 28.8 instructions per element and 288 per thread per row as a
        // layernorm, 10.8 and 124 as an rmsnorm (the same kernel without the update): ncu on the H100,
        // calibration/measurements/h100-sxm/fusion/norm_counters.csv. The row's share is that kernel's whole 288,
        // the reductions' own steps included: with 37.0, 64 and 46 instructions per element at 4096, 1024 and 2048
        // columns the count matches ncu's 37.8, 64.7 and 46.7.
        var mergeInstructions = 0.0
        if s.statistics == .welford {
            instructions = squares + 18
            mergeInstructions = 288 - reductionInstructions
        }

        // Registers: the row chunk in fp32 (about 1.4 registers per element while exponentiating), or the
        // running max and sum per lane besides the chunk (about 3 per element, plus a base that only a lane with
        // 32 or more elements needs: 8 elements take 32 registers, 16 take 54-58); Triton on the H100 reports these.
        let wanted = looped ? min(24 + 3 * perThread, 4 + 3.6 * perThread) : 16 + 1.4 * perThread
        let (registers, spilled) = self.registers(estimate: wanted, threads: threads, facts: s.compiler)
        let scratch = s.compiler.sharedBytes ?? (s.warps > 1 ? s.warps * 4 * s.rowsPerBlock * Int(reductions) : 0)
        let occupancy = f.occupancy(threadsPerBlock: threads, registersPerThread: registers, sharedBytes: scratch)
        if occupancy.blocksPerUnit == 0 { return .infeasible(doesNotFit(occupancy)) }

        var w = KernelWork(occupancy: occupancy)
        w.grid = ceilDiv(p.rows, s.rowsPerBlock)
        w.threads = threads
        w.registers = registers
        w.spilled = spilled
        w.sharedBytes = scratch
        w.launch = launch
        w.flops = rows * cols * instructions / 2

        // A prologue (residual + norm) reads its tensor operands, stores their sum and runs its ops on every element.
        let prologueTensors = Double(ElementOp.tensorOperands(p.prologue))
        let prologue = f.chainTimes(f.cost(of: p.prologue), elements: lanes * chunks, warps: f.subPartitions)
        let input = rows * cols * e * (1 + prologueTensors)
        let output = (p.op == .sum ? rows * e : rows * cols * e) + prologueTensors * rows * cols * e
        let weights = p.op == .layernorm ? 2 * cols * e : (p.op == .rmsnorm ? cols * e : 0)
        // The second pass over a row finds it in L2 while what flows through L2 in between fits: the resident
        // blocks' rows, read and written. Blocks start and finish out of step, so beyond that the share of rows
        // evicted before their second pass grows with the overflow instead of jumping to all of them.
        let inFlightRows = 2 * f.units * Double(occupancy.blocksPerUnit * s.rowsPerBlock) * cols * e
        let rereadMiss = passes > 1 ? max(0, 1 - f.l2Usable / inFlightRows) : 0
        w.l2Bytes = input * passes + output + weights * Double(w.grid)
        // Every write reaches DRAM (L2 is write-back and full of dirty lines when a timed kernel starts).
        w.dramBytes = input * (1 + (passes - 1) * rereadMiss) + output + weights

        let warpInstructions = perThread * chunks * instructions + reductionInstructions + mergeInstructions
        w.vectorPerBlock = warpInstructions * Double(s.warps) / f.issuePerUnit
        w.vectorPerBlock += prologue.vector
        w.specialPerBlock = lanes * chunks * special / f.specialPerUnit + prologue.special
        // Spilled row elements are stored once and reloaded by each later step; running state once per chunk.
        f.addSpills(&w, spilled: spilled, accesses: looped ? 2 * chunks * passes : 1 + q.rowSpillReloads, parallelism: q.spillParallelism)

        // Chain of one block: load the row (a chunk at a time, the loads of later chunks overlapped), reduce
        // across lanes (shuffles, then shared memory and a barrier across warps), the lane's own instructions,
        // store.
        let steps = Double(f.warpWidth.trailingZeroBitCount)
        var reduce = steps * q.shuffleCycles
        if s.warps > 1 { reduce += q.barrierCycles + Double(s.warps.trailingZeroBitCount) * q.shuffleCycles }
        let rowBytes = Double(s.rowsPerBlock) * cols * e * (1 + prologueTensors)
        // Each of the unit's four schedulers issues its warps' instructions in turn; one warp alone on a scheduler
        // cannot issue every cycle.
        let ownInstructions = (perThread * chunks * instructions + mergeInstructions)
            * max(Double(s.warps) / 4, q.loneWarpCyclesPerInstruction)
        // A unit's blocks start one dispatch interval apart and each asks for its row (or first chunk) at once; the
        // unit's share of DRAM delivers one such burst in `share`. Where that outlasts the interval, the bursts of a
        // round queue: the last block started waits for its own and what each earlier one left undelivered.
        let burst = min(rowBytes, Double(s.blockWidth * s.rowsPerBlock) * e)
        let resident = Double(f.residentPerUnit(grid: w.grid, blocksPerUnit: occupancy.blocksPerUnit))
        let share = burst * f.units / f.dramBandwidth
        let queued = share + (resident - 1) * max(0, share - f.dispatchInterval)
        var chain = f.dramLatency + max(rowBytes / f.unitLoadBandwidth, queued)
        if looped { chain += (chunks - 1) * f.l2Latency / 2 + passes * f.l2Latency }
        // After a row arrives, its reductions and arithmetic run with nothing of this block left to overlap; at
        // the end of the kernel no later block hides them either: the tail. One warp over a 4096-column row
        // (128 elements per lane) runs 4-6 us longer than four warps at 4096 and 8192 rows alike on the H100.
        let compute = (reductions * reduce + ownInstructions) / f.clock
        chain += compute + q.blockCycles / f.clock
        w.chainPerBlock = chain
        w.fillDrainPerBlock = compute
        // The first rows arrive a DRAM round trip after the kernel starts and the last stores settle an L2 round
        // trip after they issue (H100 tune spaces: softmax MAPE 11.9% -> 10.4%, mostly the 256- and 1024-column
        // rows of a few microseconds).
        w.ramp = f.dramLatency + f.l2Latency
        w.inflightPerBlock = burst
        // A block holds its row through the reductions, with no load outstanding for much of its life: the rows
        // resident bound the address range streamed at once without giving it. (With the DRAM in-flight term,
        // the tune softmax spaces fall from 0.890 to 0.843 and the confirmation campaign's from 0.50 to 0.40.)
        w.inflightIsExact = false
        // Its loads come a chunk at a time, so each chunk's round trip adds to its transfer: torch's norms stream
        // at 1.5-2.6 TB/s of the H100's 3.0 (calibration/measurements/h100-sxm/fusion/norm_pairs.json).
        w.burstNorm = q.burstNorm
        return f.evaluate(w, overlap: q.overlap, latencyMargin: q.latencyMargin)
    }
}
