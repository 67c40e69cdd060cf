import Foundation
import Testing
@testable import CostModel
import MachineModel
import Workloads

/// Each family's traffic formula on hand-worked cases.
@Suite struct TrafficTests {
    let MiB = 1_048_576.0

    @Test func gemmStreamsPanelsThroughL2() {
        // 1024 blocks x 64 K-steps x (128x64 + 64x128) x 2 B = 2 GiB of panel loads, plus C (32 MiB).
        let p = h100.predict(gemm: gemm(4096, 4096, 4096), tile(128, 128, 64, warps: 4, stages: 3))
        #expect(p.traffic.l2 == 2_147_483_648 + 32 * MiB)
        // Larger tiles reuse more: 128x256 halves the B-side loads.
        let q = h100.predict(gemm: gemm(4096, 4096, 4096), tile(128, 256, 64, warps: 8, stages: 3))
        #expect(q.traffic.l2 == 512 * 64 * (128 * 64 + 64 * 256) * 2 + 32 * MiB)
    }

    @Test func gemmThatFitsInL2ReadsItsInputsOnce() {
        // A and B are 2 MiB each, well inside L2: DRAM sees A + B + C once.
        let p = h100.predict(gemm: gemm(1024, 1024, 1024), tile(64, 64, 64, warps: 4, stages: 3))
        #expect(p.traffic.dram == 6 * MiB)
    }

    @Test func gemmWavesRefetchPanelsWhenTheyDoNotFit() {
        // 16384 x 16384 x 4096 fp16: A and B are 128 MiB each. Group-M 8 keeps a wave inside 8 tile rows.
        let problem = gemm(16384, 16384, 4096)
        let grouped = h100.predict(gemm: problem, tile(128, 128, 64, warps: 4, stages: 3, groupM: 8))
        let rowMajor = h100.predict(gemm: problem, tile(128, 128, 64, warps: 4, stages: 3, groupM: 1))
        #expect(grouped.traffic.dram < rowMajor.traffic.dram)
        // Row-major: a wave of 264 blocks covers 3 tile rows (1 MiB each) and all 128 tile columns (1 MiB each).
        let waves = 16384.0 / 264.0
        #expect(abs(rowMajor.traffic.dram - (waves * (3 + 128) * MiB + 512 * MiB)) < 1)
        // Group-M 8: 8 rows and 33 columns per wave.
        #expect(abs(grouped.traffic.dram - (waves * (8 + 33) * MiB + 512 * MiB)) < 1)
    }

    @Test func fusedChainReadsOnceUnfusedOncePerOp() {
        // 16M fp32 = 64 MiB per tensor, larger than L2: every pass reads and writes DRAM.
        let problem = ElementwiseProblem(elements: 16_777_216, ops: 4, dtype: .fp32)
        let fused = h100.predict(elementwise: problem, ElementwiseSchedule(fused: true, blockElements: 1024, warps: 4))
        let unfused = h100.predict(elementwise: problem, ElementwiseSchedule(fused: false, blockElements: 1024, warps: 4))
        #expect(fused.traffic.dram == 128 * MiB)
        #expect(unfused.traffic.dram == 4 * 128 * MiB)
        #expect(unfused.kernels == 4 && fused.kernels == 1)
        #expect(unfused.time > fused.time)
        let words = h100.explain(unfused, for: .elementwise(problem, ElementwiseSchedule(fused: false, blockElements: 1024, warps: 4)))
        #expect(words.sentence.hasPrefix("DRAM-bound at "))
        #expect(words.sentence.hasSuffix("of spec bandwidth: fusing the chain removes 3 of 4 passes"))
    }

    @Test func aStreamPaysItsRampOnceAtEachEnd() {
        // 1M fp32, one op: 8 MiB through DRAM. Before any bytes flow the first loads make a DRAM round trip
        // (1.5 x 353.5 ns), and the last stores settle in L2 (1.5 x 147 ns): 750.75 ns beside the stream, once
        // however many blocks run. An unfused chain's later kernels find their input in L2: an L2 round trip each.
        let problem = ElementwiseProblem(elements: 1_048_576, ops: 2, dtype: .fp32)
        let fused = h100.predict(elementwise: problem, ElementwiseSchedule(fused: true, blockElements: 1024, warps: 4))
        #expect(abs(fused.resources.pipeline - 750.75e-9) < 1e-15)
        #expect(fused.time.base - fused.resources.launch > fused.resources.dram + fused.resources.pipeline - 1e-15)
        let unfused = h100.predict(elementwise: problem, ElementwiseSchedule(fused: false, blockElements: 1024, warps: 4))
        #expect(abs(unfused.resources.pipeline - (750.75e-9 + 441e-9)) < 1e-15)
    }

    @Test func bytesInFlightFarPastLittlesNeedCostBandwidth() {
        // 256M fp32, one op: 2 GiB through DRAM at 0.9 x 3.35 TB/s. Little's law needs 3.015 TB/s x 530.25 ns
        // (1.5 x 353.5) / 132 SMs = 12.1 KB in flight per SM; the knee is three times that.
        let problem = ElementwiseProblem(elements: 268_435_456, ops: 1, dtype: .fp32)
        let narrow = h100.predict(elementwise: problem, ElementwiseSchedule(fused: true, blockElements: 1024, warps: 8))
        let wide = h100.predict(elementwise: problem, ElementwiseSchedule(fused: true, blockElements: 4096, warps: 4))
        let knee = 3 * 3.015e12 * 530.25e-9 / 132
        let plain = 2 * 1024 * MiB / 3.015e12
        // 8 blocks of 256 threads, 4 KiB in flight each: 32 KiB, under the knee.
        #expect(narrow.inflightPerUnit == 32768 && narrow.inflightPerUnit < knee)
        #expect(abs(narrow.resources.dram / plain - 1) < 1e-12)
        // 32 elements per thread want 50 registers (56 allocated): 9 blocks of 128 threads fit in 64 K registers,
        // 16 KiB in flight each: 144 KiB, 2.02 doublings past the knee, 0.4% of DRAM time each.
        #expect(wide.occupancy.blocksPerUnit == 9 && wide.inflightPerUnit == 147_456)
        #expect(abs(wide.resources.dram / plain - (1 + 0.004 * log2(147_456 / knee))) < 1e-9)
        // Measured on the H100: 707.7 us against 716.0 us.
        #expect(narrow.bottleneck == .dram && wide.bottleneck == .dram)
        #expect(narrow.time < wide.time)
    }

    @Test func rowKernelsPayNothingForAWideRange() {
        // Softmax over 4096 fp16 columns with one warp: 8 rows of 8 KiB resident per SM (registers), 64 KiB, past
        // the knee; but a block holds its row through its reductions, so that only bounds what is in flight.
        let problem = ReductionProblem(op: .softmax, rows: 4096, cols: 4096, dtype: .fp16)
        let p = h100.predict(reduction: problem, ReductionSchedule(rowsPerBlock: 1, blockWidth: 4096, warps: 1))
        #expect(p.inflightPerUnit == 65536 && p.inflightPerUnit > 3 * 3.015e12 * 530.25e-9 / 132)
        // It still waits its bursts' round trips beside the transfer (a 4-norm), with no wide-range factor.
        let transfer = 64 * MiB / 3.015e12, roundTrips = 64 * MiB * 530.25e-9 / (132 * 65536)
        #expect(abs(p.resources.dram / pow(pow(transfer, 4) + pow(roundTrips, 4), 0.25) - 1) < 1e-12)
    }

    @Test func smallChainsReadIntermediatesFromL2() {
        // 64K fp32 = 256 KiB: later kernels read their input from L2; only the first read comes from DRAM.
        // Every write reaches DRAM (L2 is write-back and full of dirty lines when a timed kernel starts).
        let problem = ElementwiseProblem(elements: 65536, ops: 4, dtype: .fp32)
        let unfused = h100.predict(elementwise: problem, ElementwiseSchedule(fused: false, blockElements: 1024, warps: 4))
        #expect(unfused.traffic.dram == 256 * 1024 + 4 * 256 * 1024)
        #expect(unfused.traffic.l2 == 4 * 2 * 256 * 1024)
        #expect(unfused.bottleneck == .launch)
    }

    @Test func softmaxReadsOnceWhenTheRowFitsTwiceWhenWalked() {
        let problem = ReductionProblem(op: .softmax, rows: 4096, cols: 4096, dtype: .fp16)
        let whole = h100.predict(reduction: problem, ReductionSchedule(rowsPerBlock: 1, blockWidth: 4096, warps: 8))
        // 32 MiB in, 32 MiB out; together larger than L2's usable share, so the output reaches DRAM.
        #expect(whole.traffic.dram == 64 * MiB)
        #expect(whole.traffic.l2 == 64 * MiB)
        let walked = h100.predict(reduction: problem, ReductionSchedule(rowsPerBlock: 1, blockWidth: 1024, warps: 8))
        #expect(walked.traffic.l2 == 96 * MiB)
        #expect(walked.traffic.dram == 64 * MiB)
    }

    @Test func flashAttentionReadsQKVAndWritesOOnce() {
        let problem = AttentionProblem(batch: 4, heads: 16, seqLen: 2048, headDim: 64, causal: false, dtype: .fp16)
        let p = h100.predict(attention: problem, AttentionSchedule(variant: .flash, blockQ: 128, blockKV: 64, warps: 4, stages: 2))
        #expect(p.traffic.dram == 4 * 64 * 2048 * 64 * 2)
        // Each of 16 query blocks per head streams all K and V tiles from L2.
        #expect(p.traffic.l2 == Double(1024) * (32 * 2 * 64 * 64 * 2 + 2 * 128 * 64 * 2))
        let naive = h100.predict(attention: problem, AttentionSchedule(variant: .naive))
        #expect(naive.kernels == 3)
        #expect(naive.traffic.dram > 3 * 64 * 2048 * 2048 * 2)
        #expect(naive.time > p.time)
    }

    @Test func genericCountersMapOntoTheMachineLevels() {
        let kernel = GenericKernel(name: "k", grid: 1024, block: 256, flops: [.init(unit: .vector, precision: .fp32, operations: 1e9)],
                                   bytes: [.init(level: "hbm", bytes: 1e9), .init(level: "l2", bytes: 2e9), .init(level: "l1", bytes: 3e9)])
        let p = h100.predict(generic: GenericCandidate(name: "c", kernels: [kernel]))
        #expect(p.traffic.dram == 1e9 && p.traffic.l2 == 2e9 && p.traffic.shared == 3e9)
        let unknown = GenericKernel(name: "k", grid: 1, block: 32, bytes: [.init(level: "gddr", bytes: 1)])
        #expect(h100.predict(generic: GenericCandidate(name: "c", kernels: [unknown])).infeasibility == .unknownMemoryLevel)
        // By role, the same counters land on the same levels of a machine whose levels have other names.
        let byRole = GenericKernel(name: "k", grid: 1024, block: 256, flops: [.init(unit: .vector, precision: .fp32, operations: 1e9)],
                                   bytes: [.init(level: "dram", bytes: 1e9), .init(level: "l2", bytes: 2e9), .init(level: "l1", bytes: 3e9)])
        let roles = h100.predict(generic: GenericCandidate(name: "c", kernels: [byRole]))
        #expect(roles.traffic.dram == 1e9 && roles.traffic.l2 == 2e9 && roles.traffic.shared == 3e9)
        #expect(roles.time == p.time)
    }

    /// Integer work counts: at the machine's vector int32 peak where it states one, else at its fp32 vector peak.
    @Test func integerOperationsAreCounted() {
        let kernel = GenericKernel(name: "hash", grid: 1024, block: 256, flops: [.init(unit: .vector, precision: .int32, operations: 4e11)],
                                   bytes: [.init(level: "dram", bytes: 1e6)])
        let p = h100.predict(generic: GenericCandidate(name: "c", kernels: [kernel]))
        #expect(p.infeasibility == nil)
        #expect(p.bottleneck == .vector)
        #expect(p.resources.vector > 4e11 / 66.9e12 * 0.99)
    }

    @Test func levelRolesFindEachMachinesOwnLevels() throws {
        var folder = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        folder.removeLast(3)
        let library = try MachineLibrary(directory: folder.joined(separator: "/") + "/machines")
        for (machine, dram) in [("h100-sxm", "hbm"), ("l4", "gddr6")] {
            let m = try #require(library.machine(named: machine))
            #expect(m.level(addressed: "dram")?.name == dram)
            #expect(m.level(addressed: "l2")?.name == "l2")
            #expect(m.level(addressed: "l1")?.name == "l1")
            #expect(m.level(addressed: "registers")?.kind == .registers)
            #expect(m.level(addressed: "l9") == nil)
        }
    }
}
