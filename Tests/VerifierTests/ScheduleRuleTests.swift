import Testing
@testable import Verifier

/// Schedules the library cannot build are refused with the rule that failed.
@Suite struct ScheduleRuleTests {
    @Test(arguments: [
        ("block_m=48 block_n=48 block_k=16 warps=8 vector_width=4", "no split of 256 threads (8 warps) fits block 48x48 with vector width 4"),
        ("block_m=64 block_n=64 block_k=12 warps=4 vector_width_k=8", "block_k 12 is not a multiple of vector_width_k 8"),
        ("block_m=64 block_n=64 block_k=16 warps=4 unroll=3", "block_k 16 is not a multiple of unroll 3"),
        ("block_m=64 block_n=64 block_k=16 warps=4 vector_width=3", "vector widths must be 1, 2, 4, 8 or 16"),
        ("block_m=256 block_n=256 block_k=16 warps=1", "each thread would hold 2048 accumulators"),
        ("block_m=64 block_n=64 block_k=16 warps=4 split_k=2", "split_k 2 is not in the OpenCL library"),
        ("block_m=64 block_n=64 block_k=16 warps=4 swizzle=2", "unknown schedule keys for gemm in the OpenCL library: swizzle"),
        ("block_m=64 block_n=64 warps=4", "missing schedule key block_k"),
    ])
    func gemmRule(_ keys: String, _ message: String) {
        #expect {
            _ = try library(gemm(128, 128, 128), keys)
        } throws: { error in
            (error as? ScheduleError)?.message.contains(message) ?? false
        }
    }

    @Test func rowAndElementwiseRules() {
        #expect(throws: ScheduleError("block_width 96 is not a multiple of the 64 threads per row (2 warps / 1 rows per block)")) {
            _ = try library(.rows(RowProblem(op: .softmax, rows: 4, columns: 100)), "warps=2 block_width=96")
        }
        #expect(throws: ScheduleError("block_elements 100 is not a multiple of 64 threads times vector_width 1")) {
            _ = try library(.elementwise(ElementwiseProblem(count: 100, ops: [.relu])), "warps=2 block_elements=100")
        }
        #expect(throws: ScheduleError("96 threads per row is not a power of two (the row reduction halves it)")) {
            _ = try library(.rows(RowProblem(op: .sum, rows: 4, columns: 100)), "warps=3")
        }
        #expect(throws: ScheduleError("statistics welford gathers a layernorm's mean and variance, not rmsnorm's")) {
            _ = try library(.rows(RowProblem(op: .rmsnorm, rows: 4, columns: 100)), "warps=2 statistics=welford")
        }
        #expect(throws: ScheduleError("statistics must be sums or welford, got \"online\"")) {
            _ = try library(.rows(RowProblem(op: .layernorm, rows: 4, columns: 100)), "warps=2 statistics=online")
        }
    }

    @Test func mappingFromCostModelKeys() throws {
        let candidate = try library(gemm(128, 128, 128), "block_m=64 block_n=128 block_k=32 warps=8 stages=3 group_m=8 matrix_units=true vector_width=4")
        // 256 threads: the squarest per-thread tile that fits 64 x 128 with vectors of 4 is 8 x 32 threads (8 x 4 each).
        #expect(candidate.schedule["threads_m"] == "8")
        #expect(candidate.schedule["threads_n"] == "32")
        #expect(candidate.launches.count == 1)
        #expect(candidate.launches[0].source.hasPrefix("#define MWG 64\n#define NWG 128\n#define KWG 32\n"))
        let unfused = try library(.elementwise(ElementwiseProblem(count: 1000, ops: [.add, .gelu, .mul])), "warps=1 block_elements=128 fused=false vector_width=1")
        #expect(unfused.launches.count == 3)
        #expect(unfused.scratch.map(\.name) == ["T1", "T2"])
        #expect(ElementwiseOp.defaultChain(ops: 5, extraInputs: 2) == [.add, .mul, .gelu, .relu, .tanh])
    }
}
