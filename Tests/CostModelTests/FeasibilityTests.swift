import Testing
@testable import CostModel
import Workloads

@Suite struct FeasibilityTests {
    @Test func sharedMemoryOfLargeTilesIsNamed() {
        // 4 stages x (256x128 + 128x256) x 2 B = 512 KiB; Hopper allows 227 KiB per block.
        let p = h100.predict(gemm: gemm(4096, 4096, 4096), tile(256, 256, 128, warps: 8, stages: 4))
        #expect(p.infeasibility == .sharedMemory(required: 524_288, limit: 232_448))
        #expect(p.infeasibility?.message == "shared memory 512 KiB > 227 KiB per block")
        #expect(p.time.base == .infinity)
    }

    @Test func theHarnessBoundaryCases() {
        // 3 stages of 256x256x64 fit (192 KiB); 4 do not (256 KiB).
        #expect(h100.predict(gemm: gemm(4096, 4096, 4096), tile(256, 256, 64, warps: 8, stages: 3)).isFeasible)
        #expect(!h100.predict(gemm: gemm(4096, 4096, 4096), tile(256, 256, 64, warps: 8, stages: 4)).isFeasible)
        #expect(!h100.predict(gemm: gemm(4096, 4096, 4096), tile(128, 128, 128, warps: 4, stages: 5)).isFeasible)
        #expect(h100.predict(gemm: gemm(4096, 4096, 4096), tile(128, 128, 128, warps: 4, stages: 3)).isFeasible)
    }

    @Test func threadsPerBlock() {
        let p = h100.predict(gemm: gemm(1024, 1024, 1024), tile(128, 128, 32, warps: 64, stages: 2))
        #expect(p.infeasibility == .threadsPerBlock(threads: 2048, limit: 1024))
        #expect(p.infeasibility?.message == "2048 threads per block > 1024")
    }

    @Test func registersReportedByTheCompiler() {
        // 16 warps x 255 registers: 16 x 8192 = 131072 > 65536 registers per SM.
        var s = tile(128, 128, 32, warps: 16, stages: 2)
        s.compiler = CompilerFacts(registersPerThread: 255)
        let p = h100.predict(gemm: gemm(1024, 1024, 1024), s)
        #expect(p.infeasibility == .registers(perBlock: 131_072, limit: 65_536))
    }

    @Test func compilerSharedMemoryOverridesTheEstimate() {
        var s = tile(128, 128, 64, warps: 4, stages: 3)
        s.compiler = CompilerFacts(sharedBytes: 240_000)
        #expect(h100.predict(gemm: gemm(1024, 1024, 1024), s).infeasibility == .sharedMemory(required: 240_000, limit: 232_448))
    }

    /// Triton's power-of-two rule is Triton's: a CUDA C++ or OpenCL candidate may tile by 96 or 192.
    @Test func powerOfTwoTilesAreTritonsRuleOnly() {
        var cuda = tile(192, 128, 32, warps: 12, stages: 3)
        cuda.compiler = CompilerFacts(toolchain: .cuda)
        #expect(h100.predict(gemm: gemm(4096, 4096, 4096), cuda).infeasibility == nil)
        #expect(h100.predict(gemm: gemm(4096, 4096, 4096), tile(192, 128, 32, warps: 12, stages: 3)).infeasibility
                == .notPowerOfTwo(key: .block_m, value: 192))
    }

    @Test func tritonShapeRules() {
        #expect(h100.predict(gemm: gemm(1024, 1024, 1024), tile(96, 128, 32, warps: 4, stages: 2)).infeasibility
                == .notPowerOfTwo(key: .block_m, value: 96))
        #expect(h100.predict(gemm: gemm(1024, 1024, 1024), tile(128, 8, 32, warps: 4, stages: 2)).infeasibility
                == .belowDotMinimum(key: .block_n, value: 8))
        let flash = h100.predict(
            attention: AttentionProblem(batch: 1, heads: 1, seqLen: 1000, headDim: 64, causal: false, dtype: .fp16),
            AttentionSchedule(variant: .flash, blockQ: 128, blockKV: 64, warps: 4, stages: 2))
        #expect(flash.infeasibility == .doesNotDivide(key: .block_q, value: 128, extent: 1000))
    }

    @Test func allOutOfResourceConfigurationsOfTheHarnessAreFlagged() {
        // The harness's "expected to exceed" list.
        for (bm, bn, bk, w, s) in [(256, 256, 64, 8, 4), (256, 256, 128, 8, 4), (128, 256, 128, 8, 4), (256, 128, 128, 8, 5),
                                   (128, 128, 128, 4, 5)] {
            let p = h100.predict(gemm: gemm(4096, 4096, 4096), tile(bm, bn, bk, warps: w, stages: s))
            #expect(p.infeasibility?.category == "shared memory")
        }
    }
}
