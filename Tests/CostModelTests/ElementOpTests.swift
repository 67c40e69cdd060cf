import MachineModel
import Testing
@testable import CostModel
import Workloads

/// Named ops and GEMM epilogues on the frozen H100 fixture, worked by hand.
@Suite struct ElementOpTests {
    @Test func uncalibratedMachinesUseTheDocumentedDefaults() {
        let c = h100.figures.cost(of: [.bias, .gelu_erf])
        // bias: 1 slot, 4 cycles; gelu_erf: 22 slots, 1 special, 86 cycles.
        #expect(c == ElementOpCost(vector: 23, special: 1, latency: 90))
        #expect(h100.figures.cost(of: []) == ElementOpCost(vector: 0, special: 0))
    }

    @Test func aMeasuredOpReplacesItsDefaultWhole() {
        var machine = fixtureMachine
        machine.elementOps[.gelu_erf] = Sourced(37, .measured(run: "run-1"))
        let c = CostModel(machine: machine).figures.cost(of: [.bias, .gelu_erf])
        // The measured figure holds the special-function work too; the dependent chain keeps its default.
        #expect(c == ElementOpCost(vector: 38, special: 0, latency: 90))
    }

    @Test func chainTimeIsSlotsOverTheIssueRate() {
        // 66.9 TFLOP/s over 132 SMs, 2 FLOP per FMA lane, 32 lanes a warp: 7.919e9 warp instructions/s per SM;
        // 4.182 TFLOP/s of special functions over 132 SMs: 3.168e10 per SM.
        let eight = h100.figures.chainTimes(ElementOpCost(vector: 23, special: 1), elements: 32768, warps: 8)
        #expect(abs(eight.vector - 32768 * 23 / 32 / (66.9e12 / 132 / 2 / 32)) < 1e-12)
        #expect(abs(eight.vector - 2.974e-6) < 1e-9)
        #expect(abs(eight.special - 32768 / (4.182e12 / 132)) < 1e-12)
        // Two warps fill two of the four schedulers: half the issue rate.
        let two = h100.figures.chainTimes(ElementOpCost(vector: 23, special: 1), elements: 32768, warps: 2)
        #expect(abs(two.vector - 2 * eight.vector) < 1e-12)
    }

    @Test func anExpensiveChainCostsMoreWhereIssueBinds() {
        // fp32 values in cache-resident sizes: the chain's issue time shows.
        let schedule = ElementwiseSchedule(fused: true, blockElements: 1024, warps: 4)
        let relu = h100.predict(elementwise: ElementwiseProblem(elements: 1 << 24, chain: [.relu], dtype: .fp32), schedule)
        let erf = h100.predict(elementwise: ElementwiseProblem(elements: 1 << 24, chain: [.gelu_erf], dtype: .fp32), schedule)
        // Index, load and store arithmetic is the same in each; the chains differ by their ops: gelu_erf 22 slots,
        // relu 1, two ops of the count shorthand 1.5 each.
        let counted = h100.predict(elementwise: ElementwiseProblem(elements: 1 << 24, ops: 2, dtype: .fp32), schedule)
        #expect(abs((erf.resources.vector - relu.resources.vector) / (counted.resources.vector - relu.resources.vector) - 21.0 / 2) < 1e-9)
        #expect(erf.resources.special > 0 && relu.resources.special == 0)
    }

    @Test func anEpilogueRunsAfterTheMainLoopUnlessTheKernelIsPersistent() {
        let plain = tile(128, 256, 64, warps: 8, stages: 3)
        var persistent = plain
        persistent.persistent = true
        func time(_ epilogue: [ElementOp], _ s: GemmSchedule) -> Double {
            h100.predict(gemm: GemmProblem(m: 8192, n: 8192, k: 4096, dtype: .fp16, epilogue: epilogue), s).time.base
        }
        let serial = time([.bias, .gelu_erf], plain) - time([], plain)
        let hidden = time([.bias, .gelu_erf], persistent) - time([], persistent)
        #expect(serial > 0)
        #expect(hidden >= 0 && hidden < serial)
        #expect(time([.bias, .gelu_erf], plain) > time([.bias, .relu], plain))
    }

    @Test func aLongDependentChainBindsAnEpilogueWithFewWarps() {
        // 128 x 256 tile on 8 warps: 128 elements a thread. gelu_tanh on the H100 fixture (1.98 GHz): issue
        // (11 + 1 conversion + 1 bias) slots and 2 special functions a element, 32768 elements: 1.68 us at the
        // issue rate, 2.07 us at the special-function rate; its chain, (165 + 4) cycles a element: 10.9 us.
        let schedule = tile(128, 256, 64, warps: 8, stages: 3)
        func time(_ epilogue: [ElementOp]) -> Double {
            h100.predict(gemm: GemmProblem(m: 8192, n: 8192, k: 4096, dtype: .fp16, epilogue: epilogue), schedule).time.base
        }
        let chain = 128 * 169 / h100.figures.clock
        #expect(abs(chain - 10.93e-6) < 0.01e-6)
        let cost = h100.figures.cost(of: [.bias, .gelu_tanh])
        let issue = h100.figures.chainTimes(ElementOpCost(vector: cost.vector + 1, special: cost.special), elements: 32768, warps: 8)
        #expect(max(issue.vector, issue.special) < chain / 4)
        // Every block pays it after its main loop: 64 x 32 tiles over 132 SMs, one block each, 16 rounds.
        let extra = time([.bias, .gelu_tanh]) - time([.bias, .relu])
        #expect(extra > 10 * (chain - 128 * 5 / h100.figures.clock))
    }

    @Test func aResidualEpilogueReadsItsTensorAndHoldsItsTile() {
        let s = tile(128, 256, 64, warps: 8, stages: 3)
        let none = h100.predict(gemm: GemmProblem(m: 4096, n: 4096, k: 4096, dtype: .fp16, epilogue: []), s)
        let residual = h100.predict(gemm: GemmProblem(m: 4096, n: 4096, k: 4096, dtype: .fp16, epilogue: [.residual]), s)
        // One more 4096 x 4096 fp16 tensor from DRAM.
        #expect(residual.traffic.dram - none.traffic.dram == 4096 * 4096 * 2)
        // 128 fp32 accumulators a thread plus the residual tile packed two to a register: more registers than the
        // main loop needs.
        #expect(residual.registersPerThread > none.registersPerThread)
    }
}

/// Shapes of issue 12's fifth part: int8 and transposed GEMMs, grouped-query and decode attention.
@Suite struct NewShapeTests {
    @Test func int8RunsOnTheInt8MatrixPeakAndWritesInt32() {
        let s = tile(128, 128, 128, warps: 8, stages: 3)
        let p = h100.predict(gemm: GemmProblem(m: 8192, n: 8192, k: 8192, dtype: .int8, transB: true), s)
        #expect(p.isFeasible && p.matrixPath == .wgmma)
        // The output is int32: 8192^2 x 4 bytes written.
        #expect(p.traffic.dram >= 8192.0 * 8192 * 4)
        var simt = s
        simt.matrixUnits = false
        #expect(h100.predict(gemm: GemmProblem(m: 8192, n: 8192, k: 8192, dtype: .int8), simt).infeasibility == .integerNeedsMatrixUnits)
    }

    @Test func anMNMajor8BitOperandIsTransposedThroughSharedMemory() {
        let s = tile(128, 128, 128, warps: 8, stages: 3)
        let kMajor = h100.predict(gemm: GemmProblem(m: 4096, n: 4096, k: 4096, dtype: .fp8, transB: true), s)
        let mnMajor = h100.predict(gemm: GemmProblem(m: 4096, n: 4096, k: 4096, dtype: .fp8), s)
        // One more write and read of the 128 x 128 B tile (1 byte an element) per K step: 32 steps x 32 KiB per block.
        let blocks = 32.0 * 32
        #expect(abs(mnMajor.traffic.shared - kMajor.traffic.shared - blocks * 32 * 2 * 128 * 128) < 1)
        let half = h100.predict(gemm: GemmProblem(m: 4096, n: 4096, k: 4096, dtype: .fp16), s)
        let halfT = h100.predict(gemm: GemmProblem(m: 4096, n: 4096, k: 4096, dtype: .fp16, transB: true), s)
        #expect(half.traffic.shared == halfT.traffic.shared)
    }

    @Test func groupedHeadsReadKeysOncePerKeyValueHead() {
        let s = AttentionSchedule(variant: .flash, blockQ: 128, blockKV: 64, warps: 8, stages: 2)
        let mha = h100.predict(attention: AttentionProblem(batch: 2, heads: 32, seqLen: 4096, headDim: 128, causal: false, dtype: .fp16), s)
        let gqa = h100.predict(attention: AttentionProblem(batch: 2, heads: 32, seqLen: 4096, headDim: 128, causal: false, dtype: .fp16, kvHeads: 8), s)
        // K and V: 2 x 2 x 4096 x 128 x 2 bytes per head; GQA reads 8 of the 32 heads' worth.
        let perHead = 2.0 * 2 * 4096 * 128 * 2
        #expect(abs(mha.traffic.dram - gqa.traffic.dram - 24 * perHead) < 1)
        #expect(gqa.time <= mha.time)
    }

    @Test func aCausalGridInOneWaveWaitsForItsLastQueryTile() {
        // 4 x 16 heads x 4 query tiles of 128 = 256 blocks, two per SM: one wave. The last query tile of a head walks
        // all 8 key tiles, as a full block does, and then its diagonal loop fills its pipeline again: measured on the
        // H100 (Triton, kv64 w4 s3) 20.2 us causal against 18.9 us full.
        let s = AttentionSchedule(variant: .flash, blockQ: 128, blockKV: 64, warps: 4, stages: 3)
        let full = h100.predict(attention: AttentionProblem(batch: 4, heads: 16, seqLen: 512, headDim: 64, causal: false, dtype: .fp16), s)
        let causal = h100.predict(attention: AttentionProblem(batch: 4, heads: 16, seqLen: 512, headDim: 64, causal: true, dtype: .fp16), s)
        #expect(causal.grid == 256 && causal.occupancy.blocksPerUnit >= 2)
        #expect(causal.resources.latency > full.resources.latency)
        #expect(causal.resources.latency < full.resources.latency + 2e-6)
        // The throughput terms still see the average block: half the products.
        #expect(causal.resources.matrix < 0.7 * full.resources.matrix)
    }

    @Test func aCausalGridsLastBlockRunsAfterTheUnitsOtherTiles() {
        // 4 x 16 heads x 64 query tiles of 64 = 4096 blocks, four per SM, 32 on the busiest. Blocks see 32.5 key
        // tiles on average, the last dispatched (the last query tile of the last head) all 64. Before it starts, the
        // SM works through its other 32 x 32.5 - 64 tiles four at a time, each at no less than a quarter of the SM's
        // throughput: that alone outlasts the average block's chain taken round by round.
        let s = AttentionSchedule(variant: .flash, blockQ: 64, blockKV: 64, warps: 4, stages: 3)
        let p = h100.predict(attention: AttentionProblem(batch: 4, heads: 16, seqLen: 4096, headDim: 64, causal: true, dtype: .fp16), s)
        #expect(p.grid == 4096 && p.occupancy.blocksPerUnit == 4)
        let r = p.resources
        let computeMax = max(r.matrix, r.vector, r.special)
        let compute = computeMax + h100.parameters.flashSerialFraction * (r.matrix + r.vector + r.special - computeMax)
        let perBlock = max(compute, r.shared) / 32
        #expect(r.latency > (32 * 32.5 - 64) / 32.5 * perBlock)
        #expect(p.bottleneck == .latency)
    }

    @Test func splittingADecodeStepAddsACombiningKernel() {
        let decode = AttentionProblem(batch: 1, heads: 8, seqLen: 65536, headDim: 128, causal: true, dtype: .fp16, queryLen: 1)
        let whole = h100.predict(attention: decode, AttentionSchedule(variant: .flash, blockQ: 64, blockKV: 64, warps: 4, stages: 2))
        let split = h100.predict(attention: decode, AttentionSchedule(variant: .flash, blockQ: 64, blockKV: 64, warps: 4, stages: 2, splitKV: 16))
        #expect(whole.kernels == 1 && split.kernels == 2)
        #expect(whole.grid == 8 && split.grid == 8 * 16)
        // Eight blocks cannot fill 132 SMs; sixteen splits each walk a sixteenth of the cache.
        #expect(split.time < whole.time)
        #expect(split.flops == decode.flops)
    }
}
