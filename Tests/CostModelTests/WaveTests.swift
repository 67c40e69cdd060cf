import Foundation
import Testing
@testable import CostModel
import MachineModel
import Workloads

@Suite struct WaveTests {
    @Test func wavesCountBlocksOverResidentBlocks() {
        // 4096^2 in 128x128 tiles: 1024 blocks; 96 KiB of shared memory each: 2 per SM, 264 at once.
        let p = h100.predict(gemm: gemm(4096, 4096, 4096), tile(128, 128, 64, warps: 4, stages: 3))
        #expect(p.grid == 1024)
        #expect(p.occupancy.blocksPerUnit == 2)
        #expect(abs(p.waves - 1024.0 / 264.0) < 1e-12)
        #expect(abs(p.lastWaveFill - (1024.0 / 264.0 - 3)) < 1e-12)
    }

    @Test func oneBlockOverAFullWaveDoublesTheTileWork() {
        // 128 KiB per block: one per SM. 12 x 11 = 132 tiles fill one wave; 12 x 12 = 144 need a second.
        let s = tile(128, 128, 64, warps: 4, stages: 4)
        let full = h100.predict(gemm: gemm(128 * 12, 128 * 11, 4096), s)
        let over = h100.predict(gemm: gemm(128 * 12, 128 * 12, 4096), s)
        #expect(full.occupancy.blocksPerUnit == 1 && full.grid == 132 && over.grid == 144)
        #expect(abs(over.resources.matrix / full.resources.matrix - 2) < 1e-9)
        // Device-wide terms (L2, DRAM) do not quantise, so the whole time grows less than the tile work.
        #expect(over.time.base > 1.4 * full.time.base)
        #expect(full.lastWaveFill == 1)
    }

    @Test func aSmallGridLeavesUnitsIdle() {
        // 512^2 in 128x128 tiles: 16 blocks on 132 SMs.
        let p = h100.predict(gemm: gemm(512, 512, 512), tile(128, 128, 64, warps: 4, stages: 3))
        #expect(p.grid == 16)
        let words = h100.explain(p, for: .gemm(gemm(512, 512, 512), tile(128, 128, 64, warps: 4, stages: 3))).sentence
        #expect(words.contains("16 blocks fill 16 of 132 SMs"))
    }

    @Test func aTinyTilesLoopInstructionsBindItsWarps() {
        // 32 x 32 x 32 tiles over 8192^3: 65536 blocks, 497 on the busiest SM, 256 iterations each. Every warp issues
        // 120 instructions an iteration besides its products, on the unit's four schedulers: eight warps issue twice
        // what four do, for the same products (measured on the H100: 15.7 against 8.95 ms).
        let f = h100.figures
        let four = h100.predict(gemm: gemm(8192, 8192, 8192), tile(32, 32, 32, warps: 4, stages: 3))
        let eight = h100.predict(gemm: gemm(8192, 8192, 8192), tile(32, 32, 32, warps: 8, stages: 3))
        let loop = 497 * 256 * 120 / f.issuePerUnit
        #expect(abs((eight.resources.vector - four.resources.vector) / (4 * loop) - 1) < 1e-9)
        #expect(abs(eight.resources.vector / (8 * loop) - 1) < 1e-3)  // and the epilogue's few instructions
        #expect(eight.resources.matrix == four.resources.matrix)
        #expect(eight.bottleneck == .vector && eight.time.base > 1.5 * four.time.base)
    }

    @Test func aStageFromDRAMArrivesAtTheUnitsShareOfIt() {
        // A 48 KiB stage with nothing else queued (a kernel that runs long enough for its traffic to take no share
        // of either level): one L2 round trip, one DRAM round trip for the bytes that miss, and the transfer. From
        // DRAM, 64 busy SMs share its bandwidth, so the stage takes 64 x 48 KiB over it (1.04 us), not 48 KiB over
        // the SM's load port; from L2 the port is the limit. One busy SM is limited by its port either way.
        let f = h100.figures
        var w = KernelWork(occupancy: f.occupancy(threadsPerBlock: 256, registersPerThread: 128, sharedBytes: 0))
        w.grid = 64
        let stage = 49152.0
        let roundTrips = f.unloadedL2Latency + f.unloadedDRAMLatency
        #expect(abs(f.tileLatency(w, miss: 1, bytes: stage, running: 1) - (roundTrips + 64 * stage / f.dramBandwidth)) < 1e-15)
        #expect(abs(f.tileLatency(w, miss: 0, bytes: stage, running: 1) - (f.unloadedL2Latency + stage / f.unitLoadBandwidth)) < 1e-15)
        w.grid = 1
        #expect(abs(f.tileLatency(w, miss: 1, bytes: stage, running: 1) - (roundTrips + stage / f.unitLoadBandwidth)) < 1e-15)
    }

    @Test func theLastRowsArithmeticIsATailNothingHides() {
        // Softmax over 4096 fp16 columns. One warp: 128 elements per lane, 9 instructions each, issued alone on its
        // scheduler at 1.25 cycles each (1440 cycles), and two 5-step shuffle reductions of 30 cycles (300). Four
        // warps, one per scheduler: 32 per lane (360), and each reduction adds a barrier (80) and 2 cross-warp steps
        // (60): 2 x 290. Before the tail, the ramp: the first row's DRAM round trip and the last store's L2 round trip.
        let problem = ReductionProblem(op: .softmax, rows: 4096, cols: 4096, dtype: .fp16)
        let one = h100.predict(reduction: problem, ReductionSchedule(rowsPerBlock: 1, blockWidth: 4096, warps: 1))
        let four = h100.predict(reduction: problem, ReductionSchedule(rowsPerBlock: 1, blockWidth: 4096, warps: 4))
        let clock = h100.figures.clock
        let ramp = h100.figures.dramLatency + h100.figures.l2Latency
        #expect(abs(one.resources.pipeline - (ramp + 1740 / clock)) < 1e-15)
        #expect(abs(four.resources.pipeline - (ramp + 940 / clock)) < 1e-15)
        // Both are DRAM-bound; the tail is what orders them (measured on the H100: 32.5 us against 27.4 us).
        #expect(one.bottleneck == .dram && four.bottleneck == .dram)
        #expect(one.time.base > four.time.base)
    }

    @Test func aRowKernelsBurstsWaitTheirRoundTripsBesideTheTransfer() {
        // An rmsnorm over 4096 fp16 columns as PyTorch runs it: 128 threads, 512 columns (1 KiB) in flight per block
        // at a time. Its DRAM time and the round trips of its bytes in flight (Little's law) combine as a 4-norm.
        let problem = ReductionProblem(op: .rmsnorm, rows: 8192, cols: 4096, dtype: .fp16)
        let p = h100.predict(reduction: problem, ReductionSchedule(rowsPerBlock: 1, blockWidth: 512, warps: 4))
        let f = h100.figures
        #expect(p.inflightPerUnit == Double(p.occupancy.blocksPerUnit) * 1024)
        let transfer = p.traffic.dram / min(f.dramBandwidth, f.units * f.unitLoadBandwidth)
        let roundTrips = p.traffic.dram * f.dramLatency / (f.units * p.inflightPerUnit)
        #expect(abs(p.resources.dram / pow(pow(transfer, 4) + pow(roundTrips, 4), 0.25) - 1) < 1e-12)
        #expect(p.resources.dram > transfer && p.resources.dram > roundTrips)
        #expect(p.bottleneck == .dram)
    }

    @Test func theRowsOfARoundQueueForTheUnitsShareOfDRAM() {
        // Softmax over 1024 fp32 columns, sixteen warps: 4 KiB rows, four blocks per SM, 4096 rows in 8 rounds of
        // 4 x 132. Each round's four rows reach a unit at its share of DRAM, 4 KiB x 132 / bandwidth apiece; the
        // last block waits for all four unless the block scheduler starts them further apart than that. The rest
        // of a block's chain: the DRAM round trip, two reductions of 350 cycles, 2 elements x 9 instructions on
        // four warps per scheduler (72) and the block's 600 cycles.
        let problem = ReductionProblem(op: .softmax, rows: 4096, cols: 1024, dtype: .fp32)
        let schedule = ReductionSchedule(rowsPerBlock: 1, blockWidth: 1024, warps: 16)
        func latency(dispatch: Double) -> (Double, MachineFigures) {
            var machine = fixtureMachine
            machine.compute.blockDispatchInterval = Sourced(Seconds(base: dispatch), .measured(run: "run-1"))
            let model = CostModel(machine: machine)
            let p = model.predict(reduction: problem, schedule)
            #expect(p.occupancy.blocksPerUnit == 4 && p.latencyIsChain)
            return (p.resources.latency, model.figures)
        }
        let (together, f) = latency(dispatch: 0)
        let share = 4096 * f.units / f.dramBandwidth
        let rest = f.dramLatency + (700 + 72 + 600) / f.clock
        #expect(abs(together / (8 * (4 * share + rest)) - 1) < 1e-12)
        let (apart, _) = latency(dispatch: share / 2)
        #expect(abs(apart / (8 * (4 * share - 3 * share / 2 + rest)) - 1) < 1e-12)
        // Started a full share apart, the rows never queue: each block waits for its own row alone, and the unit's
        // 32 blocks start over 31 intervals.
        let (spread, _) = latency(dispatch: share)
        #expect(abs(spread / max(8 * (share + rest), 31 * share + share + rest) - 1) < 1e-12)
    }

    @Test func welfordStatisticsCostAnUpdatePerElementAndAMergePerRow() {
        // A layernorm over 4096 fp16 columns as PyTorch runs it: 128 threads, 512 columns at a time (4 per lane, 8
        // chunks). Sums: 14 instructions per element and 8 per reduction, 32 x 14 + 16 = 464 per lane. Welford: 28 per
        // element (rmsnorm's 10 and the update's 18) and the rest of the kernel's 288 per row, 32 x 28 + 16 + 272 =
        // 1184 (ncu counts 1208 per warp on the H100).
        let problem = ReductionProblem(op: .layernorm, rows: 8192, cols: 4096, dtype: .fp16)
        let sums = h100.predict(reduction: problem, ReductionSchedule(rowsPerBlock: 1, blockWidth: 512, warps: 4))
        let welford = h100.predict(reduction: problem, ReductionSchedule(rowsPerBlock: 1, blockWidth: 512, warps: 4, statistics: .welford))
        #expect(abs(welford.resources.vector / sums.resources.vector - 1184.0 / 464) < 1e-12)
        // The tail: two reductions of 290 cycles (four warps) and the lane's own instructions, one warp per scheduler
        // at 1.25 cycles each (448 -> 560, 1168 -> 1460), after the ramp.
        let clock = h100.figures.clock
        let ramp = h100.figures.dramLatency + h100.figures.l2Latency
        #expect(abs(sums.resources.pipeline - (ramp + (580 + 560) / clock)) < 1e-15)
        #expect(abs(welford.resources.pipeline - (ramp + (580 + 1460) / clock)) < 1e-15)
        #expect(welford.time.base > sums.time.base)
        // Rule: only a layernorm has a mean and variance to gather.
        let rms = ReductionProblem(op: .rmsnorm, rows: 8192, cols: 4096, dtype: .fp16)
        #expect(h100.predict(reduction: rms, ReductionSchedule(rowsPerBlock: 1, blockWidth: 512, warps: 4, statistics: .welford))
            .infeasibility == .welfordNeedsLayernorm)
    }
}
