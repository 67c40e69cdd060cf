import Testing
@testable import Verifier

extension DeviceSuites {
    /// Every honest kernel of the library passes every check on PoCL, ragged shapes included.
    @Suite(.serialized) struct LibraryKernelTests {
        static let cases: [(Problem, String)] = [
            (gemm(64, 64, 64), "block_m=32 block_n=32 block_k=8 warps=1"),
            (gemm(64, 64, 64), "block_m=64 block_n=64 block_k=16 warps=8 vector_width=4 vector_width_k=4 unroll=4 stages=3"),
            (gemm(64, 48, 40), "block_m=32 block_n=16 block_k=8 warps=2 local_memory=false unroll=2"),
            (gemm(48, 64, 72), "block_m=16 block_n=64 block_k=8 warps=2 vector_width=2 stage_a=false"),
            (.gemm(GemmProblem(m: 40, n: 48, k: 32, batch: 3, epilogue: .biasGelu)), "block_m=16 block_n=16 block_k=8 warps=2 vector_width=2"),
            (.gemm(GemmProblem(m: 40, n: 48, k: 32, epilogue: .residual)), "block_m=32 block_n=32 block_k=16 warps=4"),
            (.gemm(GemmProblem(m: 40, n: 48, k: 32, epilogue: .biasRelu)), "block_m=32 block_n=32 block_k=16 warps=4 stage_b=false"),
            (.elementwise(ElementwiseProblem(count: 5000, ops: [.add, .gelu, .mul, .relu])), "warps=2 block_elements=512 vector_width=4"),
            (.elementwise(ElementwiseProblem(count: 5000, ops: [.add, .gelu, .mul, .relu])), "warps=2 block_elements=256 fused=false vector_width=1"),
            (.elementwise(ElementwiseProblem(count: 3000, ops: [.silu, .exp, .sigmoid, .tanh, .square])), "warps=1 block_elements=128 vector_width=2"),
            (.copy(CopyProblem(count: 4100)), "warps=4 block_elements=1024 vector_width=8"),
            (.rows(RowProblem(op: .softmax, rows: 24, columns: 300)), "warps=2 vector_width=4"),
            (.rows(RowProblem(op: .softmax, rows: 24, columns: 300)), "warps=2 rows_per_block=4 block_width=32"),
            (.rows(RowProblem(op: .layernorm, rows: 20, columns: 256)), "warps=4 block_width=256"),
            (.rows(RowProblem(op: .layernorm, rows: 21, columns: 300)), "warps=2 rows_per_block=2 vector_width=4 statistics=welford"),
            (.rows(RowProblem(op: .rmsnorm, rows: 20, columns: 200)), "warps=1 rows_per_block=2 vector_width=4"),
            (.rows(RowProblem(op: .sum, rows: 30, columns: 500)), "warps=2 block_width=128"),
            (.transpose(TransposeProblem(rows: 64, columns: 48)), "tile=16 warps=2"),
            (.transpose(TransposeProblem(rows: 64, columns: 48)), "tile=32 warps=4 local_memory=false"),
        ]

        @Test(arguments: 0..<cases.count)
        func honestKernelPasses(_ index: Int) throws {
            let (problem, keys) = Self.cases[index]
            let candidate = try library(problem, keys)
            let outcome = TestDevice.verify(candidate)
            #expect(outcome.judgement.verdict == .pass, "\(candidate.id): \(outcome.judgement.reason?.rawValue ?? "") \(outcome.judgement.message)")
            #expect(outcome.judgement.checks.count == 3)
            #expect(outcome.judgement.timing?.samples.count == 5)
        }
    }
}

extension DeviceSuites.LibraryKernelTests {
    /// Every template, with every option the cases use, compiles without a warning (-Werror).
    @Test(arguments: 0..<cases.count)
    func compilesWithoutWarnings(_ index: Int) throws {
        let (problem, keys) = Self.cases[index]
        for launch in try library(problem, keys).launches {
            do {
                _ = try TestDevice.runner.executor.device.buildProgram(source: launch.source, options: "-Werror")
            } catch {
                Issue.record("\(keys): \(error.description)")
            }
        }
    }
}
