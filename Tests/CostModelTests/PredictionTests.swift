import MachineModel
import Testing
@testable import CostModel
import Workloads

@Suite struct PredictionTests {
    @Test func boundsEncloseTheEstimate() {
        let cases: [Candidate] = [
            .gemm(gemm(4096, 4096, 4096), tile(128, 256, 64, warps: 8, stages: 3)),
            .gemm(gemm(64, 8192, 8192), tile(64, 128, 64, warps: 4, stages: 4)),
            .elementwise(ElementwiseProblem(elements: 4096, ops: 2, dtype: .fp32), ElementwiseSchedule(fused: false, blockElements: 1024, warps: 4)),
            .reduction(ReductionProblem(op: .softmax, rows: 4096, cols: 16384, dtype: .fp32), ReductionSchedule(rowsPerBlock: 1, blockWidth: 4096, warps: 8)),
            .attention(AttentionProblem(batch: 4, heads: 16, seqLen: 1024, headDim: 128, causal: true, dtype: .fp16),
                       AttentionSchedule(variant: .flash, blockQ: 128, blockKV: 64, warps: 8, stages: 3)),
        ]
        for c in cases {
            let p = h100.predict(c)
            #expect(p.isFeasible, "\(c.label)")
            #expect(p.lower <= p.time && p.time <= p.upper, "\(c.label): \(p.lower) \(p.time) \(p.upper)")
            #expect(p.resources.launch > 0)
        }
    }

    @Test func spillingAccumulatorsCost() {
        // 256x256 with 8 warps needs 256 accumulator registers per thread: it spills.
        let spill = h100.predict(gemm: gemm(4096, 4096, 4096), tile(256, 256, 64, warps: 8, stages: 3))
        let fits = h100.predict(gemm: gemm(4096, 4096, 4096), tile(128, 256, 64, warps: 8, stages: 3))
        #expect(spill.spilledRegisters > 0 && fits.spilledRegisters == 0)
        #expect(spill.time > fits.time)
        // 128 accumulators per thread x 1.45 + 30 (Triton reports 220 for this schedule on the H100).
        #expect(fits.registersPerThread == 216)
    }

    @Test func smallTilesUseMmaSync() {
        let p = h100.predict(gemm: gemm(4096, 4096, 4096), tile(32, 64, 32, warps: 4, stages: 5))
        #expect(p.matrixPath == .mmaSync)
        #expect(h100.predict(gemm: gemm(4096, 4096, 4096), tile(64, 64, 32, warps: 4, stages: 5)).matrixPath == .wgmma)
    }

    @Test func aMeasuredMatrixPeakIsTheRateOfTheGemmItWasTimedOn() {
        // Calibration times a library GEMM of 8192^3; the model takes the ceiling at which it predicts that GEMM at
        // the measured rate, not the measured rate as its ceiling (which would derate it a second time).
        var machine = fixtureMachine
        machine.compute.peak[.matrix]?[.fp16] = Sourced(OpsPerSecond(base: 700e12), .measured(run: "run-1"))
        let model = CostModel(machine: machine)
        let reference = GemmProblem(m: 8192, n: 8192, k: 8192, dtype: .fp16)
        #expect(abs(model.libraryRate(reference)! / 700e12 - 1) < 1e-3)
        #expect(model.figures.matrixPeak(.fp16) > 700e12 / 132)
        // A stated peak stays the datasheet's, derated.
        #expect(abs(h100.figures.matrixPeak(.fp16) - 989.4e12 / 132 * Parameters.default.wgmmaFraction) < 1e3)
    }

    @Test func keptBusyTheMatrixUnitsRunAtTheSustainedRate() {
        // Hand-worked: fp16 peak 700 TFLOP/s and bf16 720 measured on the reference GEMM; kept busy, that GEMM runs
        // 609 TFLOP/s (0.87 of the peak), so bf16's reference runs 720 x 0.87 = 626.4.
        var machine = fixtureMachine
        machine.compute.peak[.matrix]?[.fp16] = Sourced(OpsPerSecond(base: 700e12), .measured(run: "run-1"))
        machine.compute.peak[.matrix]?[.bf16] = Sourced(OpsPerSecond(base: 720e12), .measured(run: "run-1"))
        machine.compute.sustainedMatrixRate = Sourced(OpsPerSecond(base: 609e12), .measured(run: "run-2"))
        let sustained = CostModel(machine: machine)
        let burst = CostModel(machine: machine, timing: .burst)
        func rate(_ model: CostModel, _ dtype: ElementType) -> Double {
            model.libraryRate(GemmProblem(m: 8192, n: 8192, k: 8192, dtype: dtype))!
        }
        #expect(abs(rate(sustained, .fp16) / 609e12 - 1) < 1e-3)
        #expect(abs(rate(sustained, .bf16) / 626.4e12 - 1) < 1e-3)
        #expect(abs(rate(burst, .fp16) / 700e12 - 1) < 1e-3)
        #expect(sustained.figures.fieldsUsed.contains { $0.path == "compute.sustained_matrix_rate" })
        #expect(!burst.figures.fieldsUsed.contains { $0.path == "compute.sustained_matrix_rate" })
        // Memory-bound work does not move; without a sustained rate the two timings agree.
        let copy = ElementwiseProblem(elements: 1 << 26, ops: 1, dtype: .fp32)
        let s = ElementwiseSchedule(fused: true, blockElements: 1024, warps: 4)
        #expect(sustained.predict(elementwise: copy, s).time == burst.predict(elementwise: copy, s).time)
        machine.compute.sustainedMatrixRate = nil
        #expect(rate(CostModel(machine: machine), .fp16) == rate(CostModel(machine: machine, timing: .burst), .fp16))
    }

    @Test func aGridOnAFewUnitsKeepsItsClockUnderThePowerLimit() {
        // Kept busy, a full device runs the reference GEMM at 609 / 700 = 0.87 of its peak, its matrix ceiling lower by
        // a fraction f a little under that. A GEMM of 32 tiles draws the power of 32 of 132 SMs: it keeps the full
        // clock, its ceiling 1 / f of the sustained one; 125 tiles (over f x 132 units) keep 132 / 125 of it.
        var machine = fixtureMachine
        machine.compute.peak[.matrix]?[.fp16] = Sourced(OpsPerSecond(base: 700e12), .measured(run: "run-1"))
        machine.compute.sustainedMatrixRate = Sourced(OpsPerSecond(base: 609e12), .measured(run: "run-2"))
        let sustained = CostModel(machine: machine)
        let f = sustained.figures.powerLimitedFraction
        #expect(f > 0.8 && f <= 0.87)
        #expect(abs(sustained.figures.powerHeadroom(activeUnits: 32) - 1 / f) < 1e-12)
        #expect(abs(sustained.figures.powerHeadroom(activeUnits: 125) - 132.0 / 125) < 1e-12)
        #expect(sustained.figures.powerHeadroom(activeUnits: 4096) == 1)
        #expect(CostModel(machine: machine, timing: .burst).figures.powerHeadroom(activeUnits: 32) == 1)
        // 1024 x 2048 in 128 x 256 tiles: 32 blocks, their products at the burst rate however the device is timed.
        let problem = GemmProblem(m: 1024, n: 2048, k: 16384, dtype: .fp16)
        let s = tile(128, 256, 64, warps: 8, stages: 3)
        let burst = CostModel(machine: machine, timing: .burst)
        #expect(abs(sustained.predict(gemm: problem, s).resources.matrix / burst.predict(gemm: problem, s).resources.matrix - 1) < 1e-9)
    }

    @Test func manyShortBlocksWaitOnTheBlockScheduler() {
        // 132 x 1000 blocks of 256 elements: each SM is handed 1000 blocks 100 ns apart, so the last starts 99.9 us
        // after the first and the kernel's latency is at least that plus one block's own chain.
        var machine = fixtureMachine
        machine.compute.blockDispatchInterval = Sourced(Seconds(base: 100e-9), .measured(run: "run-1"))
        let problem = ElementwiseProblem(elements: 132 * 1000 * 256, ops: 1, dtype: .fp32)
        let s = ElementwiseSchedule(fused: true, blockElements: 256, warps: 1)
        let dispatched = CostModel(machine: machine).predict(elementwise: problem, s)
        let free = CostModel(machine: fixtureMachine).predict(elementwise: problem, s)
        #expect(dispatched.resources.latency >= 99.9e-6 && dispatched.resources.latency < 99.9e-6 + 5e-6)
        #expect(free.resources.latency < 50e-6)
        #expect(CostModel(machine: machine).figures.fieldsUsed.contains { $0.path == "compute.block_dispatch_interval" })
    }

    @Test func asynchronousMMAOnlyWhereTheMachineHasIt() {
        // The same machine described as compute capability 8.0: mma.sync is then the native path, at full rate.
        var ampere = fixtureMachine
        ampere.identity.computeCapability = "8.0"
        let model = CostModel(machine: ampere)
        let s = tile(128, 128, 64, warps: 4, stages: 3)
        #expect(!model.figures.asyncMatrixUnits && h100.figures.asyncMatrixUnits)
        #expect(model.predict(gemm: gemm(4096, 4096, 4096), s).matrixPath == .mmaSync)
        #expect(h100.predict(gemm: gemm(4096, 4096, 4096), s).matrixPath == .wgmma)
        // Small tiles on Hopper lose rate on mma.sync; on Ampere they do not.
        let small = tile(32, 64, 32, warps: 4, stages: 3)
        #expect(model.predict(gemm: gemm(4096, 4096, 4096), small).resources.matrix
                < h100.predict(gemm: gemm(4096, 4096, 4096), small).resources.matrix)
    }

    @Test func achievedRatesFollowTheTime() {
        let p = h100.predict(gemm: gemm(4096, 4096, 4096), tile(128, 256, 64, warps: 8, stages: 3))
        #expect(abs(p.achievedFlops.base * p.time.base - 2 * 4096.0 * 4096 * 4096) < 1)
    }

    @Test func theReportNamesMeasuredAndSpecFields() {
        let used = h100.figures.fieldsUsed
        #expect(used.contains { $0.path == "memory.hbm.bandwidth" && $0.provenance == .spec(source: "h100-datasheet") })
        #expect(!used.contains { $0.provenance.isMeasured })
    }

    @Test func measuredBandwidthIsUsedAsIs() {
        var machine = fixtureMachine
        let index = machine.memory.firstIndex { $0.name == "hbm" }!
        machine.memory[index].bandwidth = Sourced(BytesPerSecond(base: 3.0e12), .measured(run: "copy"))
        let model = CostModel(machine: machine)
        #expect(model.figures.dramBandwidth == 3.0e12)
        #expect(h100.figures.dramBandwidth == 3.35e12 * h100.parameters.dramFraction)
        #expect(model.figures.fieldsUsed.contains { $0.path == "memory.hbm.bandwidth" && $0.provenance.isMeasured })
    }
}

/// cuBLAS's and CUTLASS's Hopper GEMMs: persistent, one producer warpgroup loading for two consumer warpgroups.
@Suite struct WarpSpecialisedGemmTests {
    /// The QKV GEMM of a profiled transformer block as cuBLAS ran it: a 192x192 tile, 384 threads at 168 registers.
    let problem = GemmProblem(m: 8192, n: 12288, k: 4096, dtype: .fp16, epilogue: [.bias])
    func schedule(persistent: Bool) -> GemmSchedule {
        GemmSchedule(blockM: 192, blockN: 192, blockK: 64, warps: 12, stages: 4, groupM: 8, persistent: persistent,
                     compiler: CompilerFacts(toolchain: .cuda, registersPerThread: 168, sharedBytes: 213_204))
    }

    @Test func theAccumulatorLivesInTheConsumersWithoutSpilling() {
        // 192 x 192 fp32 over 256 consumer threads is 144 registers each (plus 30 of bookkeeping); the producer's
        // 40 leave them room: (174 x 8 + 40 x 4) / 12 = 129 per thread on average, under the 168 allocated. Spread
        // over all 384 threads as a Triton kernel would, with its 1.45 registers per accumulator, it spills.
        let specialised = h100.predict(gemm: problem, schedule(persistent: true))
        let plain = h100.predict(gemm: problem, schedule(persistent: false))
        #expect(specialised.spilledRegisters == 0)
        #expect(plain.spilledRegisters > 0)
    }

    @Test func itsLoadsOverlapItsProductsEntirely() {
        // The producer's loads run beside the MMAs: the time is the larger side (or the latency chain), with no
        // share of the smaller added as for a kernel whose own warps load.
        let p = h100.predict(gemm: problem, schedule(persistent: true))
        let r = p.resources
        let throughput = max(r.matrix, r.vector, r.special, r.shared, r.l2, r.dram)
        #expect(p.time.base <= max(throughput, r.latency) + r.launch + r.pipeline + 1e-12)
        #expect(p.bottleneck == .matrix)
    }
}

/// FlashAttention-3's and cuDNN's Hopper attention: persistent, a producer warpgroup loading for two consumer
/// warpgroups that take turns between their products and their softmax.
@Suite struct WarpSpecialisedAttentionTests {
    func problem(batch: Int, seqLen: Int) -> AttentionProblem {
        AttentionProblem(batch: batch, heads: 16, seqLen: seqLen, headDim: 128, causal: false, dtype: .fp16)
    }
    func schedule(warps: Int, persistent: Bool) -> AttentionSchedule {
        AttentionSchedule(variant: .flash, blockQ: 128, blockKV: 128, warps: warps, stages: 2, persistent: persistent,
                          compiler: CompilerFacts(toolchain: .cuda))
    }

    @Test func aPersistentKernelNeedsAProducerAndAWarpgroupThatMultiplies() {
        let p = h100.predict(attention: problem(batch: 8, seqLen: 2048), schedule(warps: 4, persistent: true))
        #expect(p.infeasibility == .persistentNeedsWarpgroups(warps: 4))
        #expect(p.infeasibility?.message.contains("at least 8 warps") == true)
    }

    /// pytorch/benchmark #2391 timed FA3 on an H100 at head_dim 128, batch x length = 16K tokens, 16 heads: 430,
    /// 517, 566, 590, 614 and 621 TFLOP/s from 512 to 16K tokens. The turn-taking share was read off the long end;
    /// the short end, where each query tile's first key/value tile runs alone, checks the per-tile cost.
    @Test(arguments: [(32, 512, 430.3), (16, 1024, 517.1), (8, 2048, 565.5), (4, 4096, 590.2), (2, 8192, 614.2), (1, 16384, 620.7)])
    func itRunsAtFlashAttention3sPublishedRates(batch: Int, seqLen: Int, published: Double) {
        let p = h100.predict(attention: problem(batch: batch, seqLen: seqLen), schedule(warps: 12, persistent: true))
        let rate = problem(batch: batch, seqLen: seqLen).flops / p.time.base / 1e12
        #expect(abs(rate / published - 1) < 0.05, "\(seqLen) tokens: \(rate) TFLOP/s against \(published)")
    }

    @Test func mmaSyncIsTheAmperePathOnHopper() {
        // FlashAttention-2's tile on the H100: the same tile and warps that would take wgmma run on mma.sync when the
        // schedule says so, at the lower rate.
        let shape = AttentionProblem(batch: 4, heads: 32, seqLen: 2048, headDim: 128, causal: true, dtype: .fp16)
        func predict(_ mmaSync: Bool) -> Prediction {
            h100.predict(attention: shape, AttentionSchedule(variant: .flash, blockQ: 128, blockKV: 64, warps: 4, stages: 2,
                                                             mmaSync: mmaSync, compiler: CompilerFacts(toolchain: .cuda)))
        }
        #expect(predict(false).matrixPath == .wgmma)
        #expect(predict(true).matrixPath == .mmaSync)
        #expect(predict(true).time.base > predict(false).time.base)
    }

    @Test func takingTurnsHidesMostOfTheSoftmax() {
        // The same tiles and warps without warp specialisation run softmax and products nearly in series.
        let shape = problem(batch: 4, seqLen: 4096)
        let specialised = h100.predict(attention: shape, schedule(warps: 12, persistent: true))
        let plain = h100.predict(attention: shape, schedule(warps: 8, persistent: false))
        #expect(specialised.time.base < 0.8 * plain.time.base)
        #expect(specialised.bottleneck == .matrix)
    }
}
