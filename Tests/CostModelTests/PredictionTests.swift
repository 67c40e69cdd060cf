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
