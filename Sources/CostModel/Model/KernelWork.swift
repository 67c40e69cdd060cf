import Foundation
import MachineModel

/// What one kernel asks of the machine, as the family formulas derive it; `MachineFigures.evaluate` turns it into a
/// `Prediction`. Times are seconds of one unit working on one block at the unit's full rate.
struct KernelWork {
    var grid = 1
    var threads = 32
    var registers = 32
    var spilled = 0
    var sharedBytes = 0
    var occupancy: OccupancyResult
    var matrixPath = MatrixPath.none

    var matrixPerBlock = 0.0
    var vectorPerBlock = 0.0
    var specialPerBlock = 0.0
    var sharedPerBlock = 0.0
    /// Dependent steps of one block running alone (load latency, reductions, serial MMA chains).
    var chainPerBlock = 0.0
    /// For a grid whose blocks differ in length (a causal attention's last query tile sees every key, the first
    /// only its own): the busiest unit's time when a longest block is dispatched last, after the unit has worked
    /// through its other blocks in its slots, and then runs its own chain (0: the blocks are alike).
    var unevenMakespan = 0.0
    /// Prologue and epilogue of one block that only another resident block can hide.
    var fillDrainPerBlock = 0.0
    /// Once per kernel, at either end of a stream: the first loads' round trip before any bytes flow and the last
    /// stores' settling, which no other block can hide.
    var ramp = 0.0
    /// Share of the smaller compute terms that adds to the largest (0: matrix, vector and special units overlap).
    var computeSerialFraction = 0.0
    /// Waiting on spill reloads, added to the chain.
    var spillLatencyPerBlock = 0.0
    /// Bytes one block keeps in flight towards device memory (Little's law).
    var inflightPerBlock = 0.0
    /// Whether `inflightPerBlock` is what the schedule really keeps in flight, not just a bound on it; only then
    /// can it say that DRAM streams too wide a range.
    var inflightIsExact = true
    /// A block whose loads come in bursts (a row chunk, then none while it reduces) waits each burst's round trip
    /// on top of its transfer: its DRAM time and the round trips of the bytes in flight (Little's law) then
    /// combine as this p-norm instead of the larger standing alone (0: they do not).
    var burstNorm = 0.0

    var l2Bytes = 0.0
    var dramBytes = 0.0
    var sharedBytesMoved = 0.0
    var flops = 0.0
    /// Launch cost of this kernel (the first of a sequence pays the full overhead).
    var launch = 0.0

    init(occupancy: OccupancyResult) { self.occupancy = occupancy }

    /// The compute side of matrix, vector and special times: the largest, plus `computeSerialFraction` of the rest.
    @inline(__always) func compute(matrix: Double, vector: Double, special: Double) -> Double {
        let largest = max(max(matrix, vector), special)
        return largest + computeSerialFraction * (matrix + vector + special - largest)
    }
}

/// The p-norm of two non-negative times: a smooth maximum.
@inline(__always) func smoothMax(_ a: Double, _ b: Double, p: Double) -> Double {
    if p == 3 { return cbrt(a * a * a + b * b * b) }
    return pow(pow(a, p) + pow(b, p), 1 / p)
}

extension MachineFigures {
    /// Spilled registers live in local memory. On the H100 their traffic is served by L2 (a block's spills
    /// interleave across its threads and do not stay in L1 beside the tiles), and by DRAM as well once the spills
    /// of all resident blocks outgrow L2.
    ///
    /// - Parameter accesses: 32-bit loads and stores per spilled word over the block's life.
    @inline(__always)
    func addSpills(_ w: inout KernelWork, spilled: Int, accesses: Double, parallelism: Double) {
        guard spilled > 0 else { return }
        w.spillLatencyPerBlock = spillWait(spilled: spilled, accesses: accesses, parallelism: parallelism, roundTrip: l2Latency)
        let perBlock = Double(spilled) * 4 * Double(w.threads) * accesses
        w.l2Bytes += perBlock * Double(w.grid)
        let resident = Double(min(w.grid, unitCount * max(1, w.occupancy.blocksPerUnit)))
        let footprint = resident * Double(spilled) * 4 * Double(w.threads)
        if footprint > l2Usable { w.dramBytes += perBlock * Double(w.grid) }
    }

    /// A block's wait on its spill reloads: half the accesses are loads, `parallelism` of them in flight at once,
    /// each a round trip to L2.
    @inline(__always)
    func spillWait(spilled: Int, accesses: Double, parallelism: Double, roundTrip: Double) -> Double {
        Double(spilled) * accesses / 2 * roundTrip / parallelism
    }

    /// Latency of a pipelined tile load that hits L2 (and misses to DRAM for a share `miss` of its bytes),
    /// queued behind the kernel's own traffic: each level's unloaded latency over (1 - its utilisation), the
    /// utilisation being the level's share of the time the kernel runs, `running` (at least its throughput-bound
    /// time; 0 takes that bound, the longest queue). Use `settled` to find the running time this latency implies.
    @inline(__always)
    func tileLatency(_ w: KernelWork, miss: Double, bytes: Double, running: Double = 0) -> Double {
        let perUnit = Double(ceilDiv(w.grid, unitCount))
        let busyUnits = Double(min(w.grid, unitCount))
        let fill = busyUnits * unitLoadBandwidth
        let l2Time = w.l2Bytes / min(l2Bandwidth, fill)
        let dramTime = w.dramBytes / min(dramBandwidth, fill)
        let bound = max(max(perUnit * max(w.matrixPerBlock, w.sharedPerBlock), perUnit * w.vectorPerBlock), max(l2Time, dramTime))
        let window = max(bound, running)
        guard window > 0 else { return unloadedL2Latency + miss * unloadedDRAMLatency }
        let l2Busy = min(utilisationCap, l2Time / window)
        let dramBusy = min(dramUtilisationCap, dramTime / window)
        // A stage's bytes that miss to DRAM arrive no faster than the unit's share of DRAM while every busy unit
        // streams: on the H100 a skinny GEMM's B tiles (64 x 8192 x 8192, tune) wait about 0.7 us plus 15 ns per KiB
        // of stage, where the load port alone would take 8 ns per KiB.
        let transfer = max(bytes / unitLoadBandwidth, miss * bytes * busyUnits / dramBandwidth)
        return unloadedL2Latency / (1 - l2Busy) + miss * unloadedDRAMLatency / (1 - dramBusy) + transfer
    }

    /// The prediction whose tile loads queue behind the kernel's traffic over the time the kernel itself runs.
    ///
    /// A latency-bound kernel spreads its traffic over a longer time than its throughput bound, so its queues are
    /// shorter than that bound says; taking the bound made a machine with faster DRAM look slower on a decode GEMM
    /// (L2 then looked busier). `finish` predicts the kernel for a running time (as `tileLatency` takes it); the run
    /// time falls as that window grows, so the fixed point lies between the bound's answer and the answer over it,
    /// found by bisection to half a percent.
    @inline(__always)
    func settled(_ finish: (_ running: Double) -> Prediction) -> Prediction {
        @inline(__always) func body(_ p: Prediction) -> Double { p.time.base - p.resources.launch }
        let first = finish(0)
        guard first.isFeasible else { return first }
        var high = body(first)
        var answer = finish(high)
        var low = body(answer)
        while high - low > 0.005 * high {
            let middle = (low + high) / 2
            let trial = finish(middle)
            if body(trial) > middle { low = middle } else { (high, answer) = (middle, trial) }
        }
        return answer
    }

    /// Combines per-block work into a kernel time.
    ///
    /// Per-unit resources are charged for the blocks on the busiest unit (wave quantisation at unit granularity);
    /// device resources for all bytes at a bandwidth that shrinks when few units are busy; latency is the longer of
    /// the blocks' dependent chains (run `resident` at a time) and Little's law for device memory. Far more bytes in
    /// flight than Little's law needs cost DRAM a little bandwidth (`Parameters.dramInflightKnee`).
    @inline(__always)
    func evaluate(_ w: KernelWork, overlap: Double, latencyMargin: Double) -> Prediction {
        let bps = max(1, w.occupancy.blocksPerUnit)
        let perUnit = ceilDiv(w.grid, unitCount)
        let activeUnits = Double(min(w.grid, unitCount))
        let resident = residentPerUnit(grid: w.grid, blocksPerUnit: bps)
        let rounds = Double(ceilDiv(perUnit, resident))
        let blocks = Double(perUnit)

        var r = ResourceTimes()
        r.matrix = blocks * w.matrixPerBlock
        r.vector = blocks * w.vectorPerBlock
        r.special = blocks * w.specialPerBlock
        r.shared = blocks * w.sharedPerBlock
        let fill = activeUnits * unitLoadBandwidth
        r.l2 = w.l2Bytes / min(l2Bandwidth, fill)
        r.dram = w.dramBytes / min(dramBandwidth, fill)
        let inflightPerUnit = Double(resident) * w.inflightPerBlock
        if w.inflightIsExact && inflightPerUnit > dramInflightKnee {
            r.dram *= 1 + dramWideRangePenalty * log2(inflightPerUnit / dramInflightKnee)
        }
        // The block scheduler hands a unit its blocks one interval apart: the last starts that many intervals after
        // the first and then runs its own chain.
        let chain = max(rounds * (w.chainPerBlock + w.spillLatencyPerBlock),
                        (blocks - 1) * dispatchInterval + w.chainPerBlock + w.spillLatencyPerBlock, w.unevenMakespan)
        var little = 0.0
        if w.inflightPerBlock > 0 && w.dramBytes > 0 {
            let inflight = activeUnits * Double(resident) * w.inflightPerBlock
            little = w.dramBytes * dramLatency / inflight
        }
        r.latency = max(chain, little)
        if w.burstNorm > 0 && little > 0 { r.dram = smoothMax(r.dram, little, p: w.burstNorm) }
        r.pipeline = w.ramp + (resident > 1 ? w.fillDrainPerBlock : rounds * w.fillDrainPerBlock)
        r.launch = w.launch

        // No arrays here: this runs millions of times. The compute side and the memory side overlap imperfectly;
        // L2 and DRAM carry the same requests in series, so within a side the largest term stands.
        let compute = w.compute(matrix: r.matrix, vector: r.vector, special: r.special)
        let memory = max(max(r.shared, r.l2), r.dram)
        let peak = max(compute, memory)
        let sum = r.matrix + r.vector + r.special + r.shared + r.l2 + r.dram
        let overlapped = peak + overlap * min(compute, memory)
        let body = max(r.latency, overlapped + r.pipeline)
        let time = r.launch + body
        let lower = r.launch + max(r.latency, peak)
        let upper = r.launch + max(r.latency, sum) + w.ramp + rounds * w.fillDrainPerBlock

        // The bottleneck: the largest single term of the body, or the launch when it outweighs the body.
        var bottleneck = Resource.matrix
        var best = r.matrix
        @inline(__always) func consider(_ resource: Resource, _ t: Double) {
            if t > best { bottleneck = resource; best = t }
        }
        consider(.vector, r.vector); consider(.special, r.special); consider(.shared, r.shared)
        consider(.l2, r.l2); consider(.dram, r.dram)
        if r.latency > latencyMargin * best { consider(.latency, r.latency) }
        consider(.pipeline, r.pipeline); consider(.launch, r.launch)
        var traffic = Traffic()
        traffic.dram = w.dramBytes
        traffic.l2 = w.l2Bytes
        traffic.shared = w.sharedBytesMoved
        return Prediction(
            infeasibility: nil, time: Seconds(base: time), lower: Seconds(base: lower), upper: Seconds(base: upper),
            resources: r, bottleneck: bottleneck, flops: w.flops, traffic: traffic, kernels: 1, grid: w.grid,
            threadsPerBlock: w.threads, registersPerThread: w.registers, spilledRegisters: w.spilled,
            sharedBytes: w.sharedBytes, occupancy: w.occupancy,
            waves: Double(w.grid) / (units * Double(bps)), matrixPath: w.matrixPath,
            inflightPerUnit: inflightPerUnit, latencyIsChain: chain >= little)
    }
}
