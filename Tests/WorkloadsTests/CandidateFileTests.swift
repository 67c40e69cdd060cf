import MachineModel
import Testing
@testable import Workloads

@Suite struct CandidateFileTests {
    static let gemm = """
        version: 1
        name: g
        family: gemm
        problem: {m: 4096, n: 4096, k: 4096, dtype: fp16}
        schedule:
          block_m: [64, 128]
          block_n: [64, 128, 256]
          block_k: 64
          warps: [4, 8]
          stages: [3, 4]
        """

    @Test func gemmSpaceIsTheCrossProductWithDefaults() throws {
        let space = try CandidateFile.parse(Self.gemm, file: "g.yaml")
        #expect(space.family == .gemm)
        #expect(space.count == 2 * 3 * 1 * 2 * 2)
        guard case let .gemm(problem, first) = space.candidate(at: 0) else { Issue.record("not a gemm"); return }
        #expect(problem == GemmProblem(m: 4096, n: 4096, k: 4096, batch: 1, dtype: .fp16, epilogue: []))
        #expect(first == GemmSchedule(blockM: 64, blockN: 64, blockK: 64, warps: 4, stages: 3, groupM: 1, splitK: 1, matrixUnits: true))
        // The last key varies fastest.
        guard case let .gemm(_, second) = space.candidate(at: 1) else { return }
        #expect(second.stages == 4 && second.warps == 4)
        guard case let .gemm(_, last) = space.candidate(at: space.count - 1) else { return }
        #expect(last.blockM == 128 && last.blockN == 256 && last.warps == 8 && last.stages == 4)
    }

    @Test func everyIndexDecodesToADistinctSchedule() throws {
        let space = try CandidateFile.parse(Self.gemm, file: "g.yaml")
        let labels = Set(space.candidates.map(\.label))
        #expect(labels.count == space.count)
    }

    @Test func theCompilerIsAToolchainOrItsFacts() throws {
        let head = "version: 1\nname: c\nfamily: gemm\nproblem: {m: 64, n: 64, k: 64, dtype: fp16}\nschedule: {block_m: 64, block_n: 64, block_k: 32, warps: 4, stages: 2}\n"
        let cuda = try CandidateFile.parse(head + "compiler: cuda\n", file: "c.yaml")
        guard case let .gemm(_, s) = cuda.candidate(at: 0) else { Issue.record("not a gemm"); return }
        #expect(s.compiler.toolchain == .cuda && s.compiler.isEmpty)
        let facts = try CandidateFile.parse(head + "compiler: {toolchain: opencl, registers_per_thread: 96}\n", file: "c.yaml")
        guard case let .gemm(_, t) = facts.candidate(at: 0) else { Issue.record("not a gemm"); return }
        #expect(t.compiler.toolchain == .opencl && t.compiler.registersPerThread == 96)
        #expect(throws: FormatError.self) { try CandidateFile.parse(head + "compiler: rocm\n", file: "c.yaml") }
    }

    @Test func jsonReadsLikeYAML() throws {
        let json = """
            {"version": 1, "name": "g", "family": "gemm",
             "problem": {"m": 4096, "n": 4096, "k": 4096, "dtype": "fp16"},
             "schedule": {"block_m": [64, 128], "block_n": [64, 128, 256], "block_k": 64, "warps": [4, 8], "stages": [3, 4]}}
            """
        let a = try CandidateFile.parse(Self.gemm, file: "g.yaml")
        let b = try CandidateFile.parse(json, file: "g.json")
        #expect(a.count == b.count)
        #expect(Array(a.candidates) == Array(b.candidates))
    }

    @Test func attentionNaiveIsOneCandidateWhateverTheTileAxes() throws {
        let text = """
            version: 1
            name: a
            family: attention
            problem: {batch: 4, heads: 16, seq_len: 2048, head_dim: 64, causal: true, dtype: fp16}
            schedule: {variant: [naive, flash], block_q: [64, 128], block_kv: [32, 64, 128], warps: [4, 8], stages: [2, 3]}
            """
        let space = try CandidateFile.parse(text, file: "a.yaml")
        #expect(space.count == 1 + 2 * 3 * 2 * 2)
        #expect(space.candidate(at: 0).label == "naive")
        #expect(space.candidate(at: 1).label == "flash q64 kv32 w4 s2")
    }

    @Test func groupedQueryDecodeAttentionWithSplitKeys() throws {
        let text = """
            version: 1
            name: decode
            family: attention
            problem: {batch: 8, heads: 32, kv_heads: 8, seq_len: 8192, query_len: 1, head_dim: 128, causal: true, dtype: fp16}
            schedule: {variant: flash, block_q: 16, block_kv: 64, warps: 4, stages: 2, split_kv: [1, 8]}
            """
        let space = try CandidateFile.parse(text, file: "a.yaml")
        #expect(space.count == 2)
        #expect(space.candidate(at: 1).label == "flash q16 kv64 w4 s2 split8")
        guard case let .attention(p, _) = space.candidate(at: 0) else { Issue.record("not attention"); return }
        #expect(p.kvHeads == 8 && p.queryLen == 1)
        // One query sees every key of the cache: 4 x 8 x 32 x 1 x 8192 x 128 FLOPs.
        let flops: Double = 4 * 8 * 32 * 8192 * 128
        #expect(p.flops == flops)
        // Q and O per query head, K and V per key/value head.
        let queries: Int = 2 * 8 * 32 * 1 * 128 * 2
        let keys: Int = 2 * 8 * 8 * 8192 * 128 * 2
        #expect(p.tensorBytes == Double(queries + keys))
        #expect(space.problemFields.map(\.key).suffix(2) == ["kv_heads", "query_len"])
    }

    /// The attention flags a file may list as axes: each doubles the space, names itself in the label and is written
    /// back only when set.
    @Test(arguments: [
        ("compiler: cuda", "block_q: 128, block_kv: 128, warps: 12", "persistent", "flash q128 kv128 w12 s2 persistent"),
        ("", "block_q: 128, block_kv: 64, warps: 4", "mma_sync", "flash q128 kv64 w4 s2 mma.sync"),
    ])
    func anAttentionFlagIsAnAxis(compiler: String, tile: String, key: String, label: String) throws {
        let text = """
            version: 1
            name: a
            family: attention
            \(compiler)
            problem: {batch: 4, heads: 32, seq_len: 2048, head_dim: 128, causal: true, dtype: fp16}
            schedule: {variant: flash, \(tile), stages: 2, \(key): [false, true]}
            """
        let space = try CandidateFile.parse(text, file: "a.yaml")
        #expect(space.count == 2)
        #expect(space.candidate(at: 1).label == label)
        #expect(space.candidate(at: 1).scheduleFields.last?.key == key)
        #expect(space.candidate(at: 0).scheduleFields.map(\.key) == ["variant", "block_q", "block_kv", "warps", "stages"])
    }

    @Test func aCausalPrefillKeepsItsTriangle() {
        let square = AttentionProblem(batch: 1, heads: 1, seqLen: 1024, headDim: 64, causal: true, dtype: .fp16)
        #expect(square.flops == 4 * 1024 * 512 * 64)
        // 256 new queries after 768 cached keys: 768 keys each plus a triangle of 256.
        let chunk = AttentionProblem(batch: 1, heads: 1, seqLen: 1024, headDim: 64, causal: true, dtype: .fp16, queryLen: 256)
        let chunkFlops: Double = 4 * 256 * (768 + 257.0 / 2) * 64
        #expect(chunk.flops == chunkFlops)
    }

    @Test(arguments: [
        ("kv_heads: 8", "kv_heads: 5", "a.yaml:4:42: error: problem.kv_heads: expected a divisor of heads (32), got 5"),
        ("query_len: 1", "query_len: 9000", "a.yaml:4:71: error: problem.query_len: expected at most seq_len (8192) queries, got 9000"),
    ])
    func attentionShapesAreChecked(find: String, replace: String, expected: String) {
        let text = """
            version: 1
            name: decode
            family: attention
            problem: {batch: 8, heads: 32, kv_heads: 8, seq_len: 8192, query_len: 1, head_dim: 128, causal: true, dtype: fp16}
            schedule: {variant: flash, block_q: 16, block_kv: 64, warps: 4, stages: 2}
            """.replacingOccurrences(of: find, with: replace)
        do {
            _ = try CandidateFile.parse(text, file: "a.yaml")
            Issue.record("parsed")
        } catch {
            #expect(error.description == expected)
        }
    }

    @Test func int8AndTransposedGemms() throws {
        let space = try CandidateFile.parse("""
            version: 1
            name: q
            family: gemm
            problem: {m: 4096, n: 4096, k: 4096, dtype: int8, trans_b: true}
            schedule: {block_m: 128, block_n: 128, block_k: 128, warps: 8, stages: 3}
            """, file: "q.yaml")
        guard case let .gemm(p, _) = space.candidate(at: 0) else { Issue.record("not a gemm"); return }
        #expect(p.dtype == .int8 && p.outputBytes == 4 && p.transB && !p.transA)
        // B stored [N, K] is K-major: nothing to transpose.
        #expect(p.mnMajorOperands == (false, false))
        var rowMajor = p
        rowMajor.transB = false
        #expect(rowMajor.mnMajorOperands == (false, true))
        var half = rowMajor
        half.dtype = .fp16
        #expect(half.mnMajorOperands == (false, false))
    }

    @Test func elementwiseAndReductionSpaces() throws {
        let e = try CandidateFile.parse("""
            version: 1
            name: e
            family: elementwise
            problem: {elements: 1048576, ops: 4, dtype: fp32}
            schedule: {fused: [true, false], block_elements: [256, 1024], warps: 4, vector_width: [1, 4]}
            """, file: "e.yaml")
        #expect(e.count == 8)
        guard case let .elementwise(p, s) = e.candidate(at: 7) else { Issue.record("not elementwise"); return }
        #expect(p.extraInputs == 0)
        #expect(s == ElementwiseSchedule(fused: false, blockElements: 1024, warps: 4, vectorWidth: 4))
        let r = try CandidateFile.parse("""
            version: 1
            name: r
            family: reduction
            problem: {op: softmax, rows: 4096, cols: 4096, dtype: fp16}
            schedule: {rows_per_block: 1, block_width: 4096, warps: [1, 2, 4, 8, 16]}
            """, file: "r.yaml")
        #expect(r.count == 5)
        let n = try CandidateFile.parse("""
            version: 1
            name: n
            family: reduction
            problem: {op: layernorm, rows: 8192, cols: 4096, dtype: fp16}
            schedule: {rows_per_block: 1, block_width: 512, warps: [4, 8], statistics: [sums, welford]}
            """, file: "n.yaml")
        #expect(n.count == 4)
        guard case let .reduction(_, s) = n.candidate(at: 3) else { Issue.record("not a reduction"); return }
        #expect(s == ReductionSchedule(rowsPerBlock: 1, blockWidth: 512, warps: 8, statistics: .welford))
        #expect(n.candidate(at: 3).label == "r1 b512 w8 welford")
        #expect {
            try CandidateFile.parse("""
                version: 1
                name: n
                family: reduction
                problem: {op: layernorm, rows: 8192, cols: 4096, dtype: fp16}
                schedule: {rows_per_block: 1, block_width: 512, warps: 4, statistics: online}
                """, file: "n.yaml")
        } throws: { error in
            "\(error)" == "n.yaml:5:71: error: schedule.statistics: expected one of sums, welford, got \"online\""
        }
    }

    @Test func genericKernelsWithSizesAndDimensions() throws {
        let space = try CandidateFile.parse("""
            version: 1
            name: s
            family: generic
            candidates:
              - name: one
                kernels:
                  - name: k
                    grid: [256, 256]
                    block: [32, 8]
                    shared_bytes: 5 KiB
                    flops: {vector: {fp32: 4.0e8}, matrix: {fp16: 1e9}}
                    special_ops: 1000
                    bytes: {hbm: 512 MiB, l2: 1073741824}
            """, file: "s.yaml")
        guard case let .generic(c) = space.candidate(at: 0) else { Issue.record("not generic"); return }
        let k = c.kernels[0]
        #expect(k.grid == 65536 && k.block == 256 && k.sharedBytes == 5120)
        // Work is listed vector before matrix, each by precision (the machine file's order).
        #expect(k.flops == [.init(unit: .vector, precision: .fp32, operations: 4e8), .init(unit: .matrix, precision: .fp16, operations: 1e9)])
        #expect(k.bytes == [.init(level: "hbm", bytes: 536_870_912), .init(level: "l2", bytes: 1_073_741_824)])
    }

    @Test func shippedExamplesParse() throws {
        let folder = repositoryRoot + "/plans/examples"
        for name in ["gemm-fp16-4096.yaml", "elementwise-chain.yaml", "softmax-fp16.yaml", "layernorm-fp16.yaml", "attention-causal.json", "attention-warp-specialised.yaml", "generic-stencil.yaml"] {
            let space = try CandidateFile.load(path: "\(folder)/\(name)")
            #expect(space.count > 0, "\(name)")
        }
    }
}

let repositoryRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()
