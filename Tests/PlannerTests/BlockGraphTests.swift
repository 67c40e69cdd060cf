import CostModel
import MachineModel
import Planner
import Testing
import Workloads

/// Blocks from graph files and profiler traces, and the fusions generated from them, on hand-worked cases.
@Suite struct BlockGraphTests {
    /// An eager addmm (bias) then an exact GELU, then an op the model has no family for; each launched from its
    /// own aten op, linked by correlation through the runtime launch.
    static let trace = """
        {"traceEvents": [
          {"ph": "X", "cat": "cpu_op", "name": "aten::linear", "ts": 0, "dur": 100, "pid": 1, "tid": 7, "args": {"External id": 1}},
          {"ph": "X", "cat": "cpu_op", "name": "aten::addmm", "ts": 10, "dur": 50, "pid": 1, "tid": 7,
           "args": {"External id": 2, "Input Dims": [[256], [128, 64], [64, 256], [], []],
                    "Input type": ["c10::Half", "c10::Half", "c10::Half", "Scalar", "Scalar"]}},
          {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "ts": 20, "dur": 5, "pid": 1, "tid": 7, "args": {"correlation": 11}},
          {"ph": "X", "cat": "kernel", "name": "nvjet_bias", "ts": 30, "dur": 40, "pid": 0, "tid": 9, "args": {"correlation": 11, "External id": 2}},
          {"ph": "X", "cat": "cpu_op", "name": "aten::gelu", "ts": 110, "dur": 20, "pid": 1, "tid": 7,
           "args": {"External id": 3, "Input Dims": [[128, 256], []], "Input type": ["c10::Half", ""], "Concrete Inputs": ["", "none"]}},
          {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "ts": 115, "dur": 5, "pid": 1, "tid": 7, "args": {"correlation": 12}},
          {"ph": "X", "cat": "kernel", "name": "vectorized_gelu", "ts": 120, "dur": 6, "pid": 0, "tid": 9, "args": {"correlation": 12}},
          {"ph": "X", "cat": "cpu_op", "name": "aten::index", "ts": 140, "dur": 20, "pid": 1, "tid": 7, "args": {"External id": 4}},
          {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "ts": 145, "dur": 5, "pid": 1, "tid": 7, "args": {"correlation": 13}},
          {"ph": "X", "cat": "kernel", "name": "index_kernel", "ts": 150, "dur": 3, "pid": 0, "tid": 9, "args": {"correlation": 13}}
        ]}
        """

    @Test func aTraceBecomesKernelsAsRunWithTheirProblems() throws {
        let graph = try ProfilerTrace.parse(Self.trace, file: "t.json", name: "t")
        #expect(graph.nodes.map(\.name) == ["0:addmm", "1:gelu", "2:index"])
        let measured = graph.nodes.compactMap(\.measured)
        #expect(measured.count == 3 && zip(measured, [40e-6, 6e-6, 3e-6]).allSatisfy { abs($0 - $1) < 1e-12 })
        guard case let .gemm(g) = graph.nodes[0].work else { Issue.record("addmm is not a GEMM"); return }
        // addmm(bias [256], x [128, 64], w [64, 256]): M 128, N 256, K 64, the bias a row operand.
        #expect(g == GemmProblem(m: 128, n: 256, k: 64, batch: 1, dtype: .fp16, epilogue: [.bias]))
        guard case let .elementwise(e) = graph.nodes[1].work else { Issue.record("gelu is not elementwise"); return }
        #expect(e.elements == 128 * 256 && e.chain == [.gelu_erf] && e.dtype == .fp16)
        guard case .unmodelled = graph.nodes[2].work else { Issue.record("index was modelled"); return }
        #expect(graph.nodes[0].origin == "nvjet_bias")
        // A profiler records one pass: its kernels ran at the clock the matrix peak was timed at.
        #expect(graph.timing == .burst)
    }

    @Test func theEpilogueFusionIsGenerated() throws {
        let graph = try ProfilerTrace.parse(Self.trace, file: "t.json", name: "t")
        let fusions = graph.fusions
        #expect(fusions.count == 1)
        #expect(fusions[0].kind == .epilogue && fusions[0].nodes == 0..<2)
        guard case let .gemm(fused) = fusions[0].work else { Issue.record("not a GEMM"); return }
        #expect(fused.epilogue == [.bias, .gelu_erf])
        // The unmodelled kernel is reported, not costed: two kernels as run, one fused.
        let block = graph.alternatives()
        #expect(block.alternatives.map(\.name) == ["as run", "epilogue 0:addmm+1:gelu"])
        #expect(block.alternatives.map { $0.kernels.count } == [2, 1])
    }

    /// A cuBLAS GEMM and a torch elementwise kernel with their launches recorded, as torch.profiler writes them.
    static let launchedTrace = """
        {"traceEvents": [
          {"ph": "X", "cat": "cpu_op", "name": "aten::addmm", "ts": 10, "dur": 50, "pid": 1, "tid": 7,
           "args": {"External id": 2, "Input Dims": [[4096], [8192, 4096], [4096, 4096], [], []],
                    "Input type": ["c10::Half", "c10::Half", "c10::Half", "Scalar", "Scalar"]}},
          {"ph": "X", "cat": "cuda_runtime", "name": "cuLaunchKernelEx", "ts": 20, "dur": 5, "pid": 1, "tid": 7, "args": {"correlation": 11}},
          {"ph": "X", "cat": "kernel", "name": "nvjet_sm90_hsh_128x256_64x4_2x1_v_bz_coopA_bias_TNN", "ts": 30, "dur": 350, "pid": 0,
           "tid": 9, "args": {"correlation": 11, "registers per thread": 168, "shared memory": 213188, "grid": [2, 66, 1], "block": [384, 1, 1]}},
          {"ph": "X", "cat": "cpu_op", "name": "aten::gelu", "ts": 400, "dur": 20, "pid": 1, "tid": 7,
           "args": {"External id": 3, "Input Dims": [[8192, 4096], []], "Input type": ["c10::Half", ""], "Concrete Inputs": ["", "none"]}},
          {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "ts": 405, "dur": 5, "pid": 1, "tid": 7, "args": {"correlation": 12}},
          {"ph": "X", "cat": "kernel", "name": "vectorized_elementwise_kernel<8, GeluCUDAKernelImpl>", "ts": 420, "dur": 40, "pid": 0,
           "tid": 9, "args": {"correlation": 12, "registers per thread": 32, "shared memory": 0, "grid": [32768, 1, 1], "block": [128, 1, 1]}}
        ]}
        """

    @Test func launchedKernelsArePredictedAsTheyRan() throws {
        let graph = try ProfilerTrace.parse(Self.launchedTrace, file: "t.json", name: "t")
        #expect(graph.nodes[0].launch == BlockGraph.Launch(kernel: "nvjet_sm90_hsh_128x256_64x4_2x1_v_bz_coopA_bias_TNN", blocks: 132,
                                                           threadsPerBlock: 384, registersPerThread: 168, sharedBytes: 213_188))
        let block = graph.alternatives()
        #expect(block.alternatives.map(\.name) == ["as run", "epilogue 0:addmm+1:gelu"])
        let asRun = block.alternatives[0].kernels.map { Array($0.space.candidates) }
        // The tile, K step and stages from the name; 12 warps and 132 blocks for 64 x 16 tiles: persistent.
        let facts = CompilerFacts(toolchain: .cuda, registersPerThread: 168, sharedBytes: 213_188)
        #expect(asRun[0] == [.gemm(GemmProblem(m: 8192, n: 4096, k: 4096, dtype: .fp16, epilogue: [.bias]),
                                   GemmSchedule(blockM: 128, blockN: 256, blockK: 64, warps: 12, stages: 4, groupM: 8,
                                                persistent: true, compiler: facts))])
        // 8192 x 4096 elements over 32768 blocks of 128 threads: 1024 a block.
        #expect(asRun[1] == [.elementwise(ElementwiseProblem(elements: 8192 * 4096, chain: [.gelu_erf], dtype: .fp16),
                                          ElementwiseSchedule(fused: true, blockElements: 1024, warps: 4,
                                                              compiler: CompilerFacts(toolchain: .cuda, registersPerThread: 32, sharedBytes: 0)))])
        // The fused kernel is a compiler's to make: the default (Triton) space.
        #expect(block.alternatives[1].kernels[0].space.count > 1)
    }

    @Test func torchsLayerNormKernelRunsWelfordFourElementsAThread() throws {
        let trace = """
            {"traceEvents": [
              {"ph": "X", "cat": "cpu_op", "name": "aten::native_layer_norm", "ts": 10, "dur": 50, "pid": 1, "tid": 7,
               "args": {"External id": 2, "Input Dims": [[4, 2048, 4096], [], [4096], [4096], []],
                        "Input type": ["c10::Half", "", "c10::Half", "c10::Half", "Scalar"]}},
              {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "ts": 20, "dur": 5, "pid": 1, "tid": 7, "args": {"correlation": 11}},
              {"ph": "X", "cat": "kernel", "name": "void at::native::(anonymous namespace)::vectorized_layer_norm_kernel<c10::Half, float, false>(int, float, c10::Half const*, c10::Half const*, c10::Half const*, float*, float*, c10::Half*)",
               "ts": 30, "dur": 60, "pid": 0, "tid": 9, "args": {"correlation": 11, "registers per thread": 30, "shared memory": 0, "grid": [8192, 1, 1], "block": [32, 4, 1]}}
            ]}
            """
        let candidates = Array(try ProfilerTrace.parse(trace, file: "t.json", name: "t").alternatives().alternatives[0].kernels[0].space.candidates)
        // One row a block of 128 threads, 4 elements each a step: 512 columns at a time.
        #expect(candidates == [.reduction(ReductionProblem(op: .layernorm, rows: 8192, cols: 4096, dtype: .fp16),
                                          ReductionSchedule(rowsPerBlock: 1, blockWidth: 512, warps: 4, statistics: .welford,
                                                            compiler: CompilerFacts(toolchain: .cuda, registersPerThread: 30, sharedBytes: 0)))])
    }

    @Test(arguments: [
        ("nvjet_sm90_hsh_192x192_64x4_1x2_h_bz_coopB_bias_TNN", [192, 192, 64, 4]),
        ("cutlass3x_sm90_tensorop_gemm_f16_f16_f32_f16_f16_128x256x64_1x2x1_0_tnn_align8_warpspecialized_cooperative_epi_tma", [128, 256, 64, 0]),
        ("sm90_xmma_gemm_f16f16_f16f32_f32_tn_n_tilesize128x128x64_warpgroupsize1x1x1_execute_segment_k_off_kernel__5x_cublas", [128, 128, 64, 0]),
    ])
    func aLibraryKernelNameSpellsItsTile(name: String, tile: [Int]) throws {
        let trace = Self.launchedTrace.replacingOccurrences(of: "nvjet_sm90_hsh_128x256_64x4_2x1_v_bz_coopA_bias_TNN", with: name)
        let candidates = Array(try ProfilerTrace.parse(trace, file: "t.json", name: "t").alternatives().alternatives[0].kernels[0].space.candidates)
        guard candidates.count == 1, case let .gemm(_, s) = candidates[0] else { Issue.record("not one GEMM schedule"); return }
        // Stages the name leaves out: as many 48 KiB (128x256) or 32 KiB (128x128) stages as 213188 bytes hold.
        let stages = tile[3] > 0 ? tile[3] : 213_188 / ((tile[0] + tile[1]) * tile[2] * 2)
        #expect([s.blockM, s.blockN, s.blockK, s.stages] == [tile[0], tile[1], tile[2], stages])
    }

    /// The schedule torch.profiler's record of one causal 4 x 32 x 2048 x 128 fp16 attention imports as: `op` with
    /// its arguments as recorded (is_causal among them), then the launched kernel.
    static func importedAttention(op: String, arguments: Int, causalAt: Int, kernel: String, launch: String) throws -> [Candidate] {
        let q = "[4, 32, 2048, 128]"
        let dims = [q, q, q] + Array(repeating: "[]", count: arguments - 3)
        let concrete = (0..<arguments).map { $0 == causalAt ? "\"True\"" : "\"\"" }
        let trace = """
            {"traceEvents": [
              {"ph": "X", "cat": "cpu_op", "name": "aten::\(op)", "ts": 10, "dur": 50, "pid": 1, "tid": 7,
               "args": {"External id": 2, "Input Dims": [\(dims.joined(separator: ", "))],
                        "Input type": ["c10::Half", "c10::Half", "c10::Half"], "Concrete Inputs": [\(concrete.joined(separator: ", "))]}},
              {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "ts": 20, "dur": 5, "pid": 1, "tid": 7, "args": {"correlation": 11}},
              {"ph": "X", "cat": "kernel", "name": "\(kernel)", "ts": 30, "dur": 300, "pid": 0, "tid": 9, "args": {"correlation": 11, \(launch)}}
            ]}
            """
        return Array(try ProfilerTrace.parse(trace, file: "t.json", name: "t").alternatives().alternatives[0].kernels[0].space.candidates)
    }

    static let tracedAttention = AttentionProblem(batch: 4, heads: 32, seqLen: 2048, headDim: 128, causal: true, dtype: .fp16)

    @Test func cuDNNsAttentionRunsPersistentWithTheTileItsNameSpells() throws {
        // The H100 eager block's attention as torch.profiler recorded it: 132 blocks of 384 threads, 227 KiB.
        let candidates = try Self.importedAttention(
            op: "_scaled_dot_product_cudnn_attention", arguments: 8, causalAt: 6,
            kernel: "cudnn_generated_fort_native_sdpa_sm90_flash_fprop_wgmma_f16_knob_7_64x128x128_4x1x1_cga1x1x1_kernel0_0",
            launch: #""registers per thread": 168, "shared memory": 232448, "grid": [132, 1, 1], "block": [384, 1, 1]"#)
        // 64 query rows x 128 keys at head_dim 128; 132 blocks for 4 x 32 x 32 query tiles: persistent. Its two
        // consumer warpgroups work on 128 queries at once (32 KiB of Q), leaving three 64 KiB stages of K and V.
        #expect(candidates == [.attention(Self.tracedAttention,
                                          AttentionSchedule(variant: .flash, blockQ: 64, blockKV: 128, warps: 12, stages: 3, persistent: true,
                                                            compiler: CompilerFacts(toolchain: .cuda, registersPerThread: 168, sharedBytes: 232_448)))])
    }

    @Test func flashAttention2RunsItsTraitsTileOnMmaSync() throws {
        // torch's flash backend on the H100: 16 x 4 x 32 blocks of 128 threads, 64 KiB, 255 registers.
        let candidates = try Self.importedAttention(
            op: "_scaled_dot_product_flash_attention", arguments: 7, causalAt: 4,
            kernel: "void pytorch_flash::flash_fwd_kernel<Flash_fwd_kernel_traits<128, 128, 64, 4, false, false, cutlass::half_t, Flash_kernel_traits<128, 128, 64, 4, cutlass::half_t> >, false, true, false, false, true, true, false, false>(pytorch_flash::Flash_fwd_params)",
            launch: #""registers per thread": 255, "shared memory": 65536, "grid": [16, 4, 32], "block": [128, 1, 1]"#)
        // head_dim 128, 128 query rows, 64 keys a tile, 4 warps; 32 KiB of Q leave one 32 KiB K and V pair (stages: at least 2).
        #expect(candidates == [.attention(Self.tracedAttention,
                                          AttentionSchedule(variant: .flash, blockQ: 128, blockKV: 64, warps: 4, stages: 2, mmaSync: true,
                                                            compiler: CompilerFacts(toolchain: .cuda, registersPerThread: 255, sharedBytes: 65_536)))])
    }

    @Test func aLibraryGemmWithoutATileInItsNameGetsTheLibrarysSchedules() throws {
        let trace = Self.launchedTrace.replacingOccurrences(of: "nvjet_sm90_hsh_128x256_64x4_2x1_v_bz_coopA_bias_TNN", with: "gemm_kernel")
        let space = try ProfilerTrace.parse(trace, file: "t.json", name: "t").alternatives().alternatives[0].kernels[0].space
        guard case let .gemm(_, axes, facts) = space.body else { Issue.record("not a GEMM"); return }
        #expect(axes.persistent == [true] && axes.warps == [12] && facts.toolchain == .cuda)
    }

    static let graph = """
        version: 1
        kind: graph
        name: mlp
        nodes:
          - name: up
            gemm: {m: 1024, n: 4096, k: 1024, dtype: fp16, epilogue: bias}
          - name: act
            elementwise: {ops: silu}
          - name: down
            gemm: {m: 1024, n: 1024, k: 4096, dtype: fp16, epilogue: bias}
          - name: residual
            elementwise: {ops: residual}
          - name: norm
            reduction: {op: rmsnorm, rows: 1024, cols: 1024, dtype: fp16}
        """

    @Test func overlappingFusionsAreEachTriedAndTheCompatibleOnesTogether() throws {
        let graph = try GraphFile.parse(Self.graph, file: "g.yaml")
        guard case let .elementwise(act) = graph.nodes[1].work else { Issue.record("act"); return }
        // An elementwise node without elements or dtype works on what the node before it wrote.
        #expect(act.elements == 1024 * 4096 && act.dtype == .fp16)
        #expect(graph.fusions.map(\.kind) == [.epilogue, .epilogue, .normResidual])
        #expect(graph.compatibleFusions.map(\.nodes) == [0..<2, 2..<4])
        let names = graph.alternatives().alternatives.map(\.name)
        #expect(names == ["as run", "epilogue up+act", "epilogue down+residual", "norm+residual residual+norm", "all fusions"])
        guard case let .reduction(norm) = graph.fusions[2].work else { Issue.record("norm"); return }
        #expect(norm.prologue == [.residual])
    }

    static let malformed: [(String, String, String)] = [
        ("no kernels", #"{"traceEvents": [{"ph": "X", "cat": "cpu_op", "name": "aten::mm", "ts": 0, "dur": 1}]}"#,
         "t.json:1:1: error: traceEvents: no GPU kernels in the trace; profile with activities=[CPU, CUDA]"),
        ("broken JSON", "{\"traceEvents\": [\n{\"ph\": \"X\",}]}",
         "t.json:2:12: error: not valid JSON: expected a key in double quotes"),
        ("event without a time", #"{"traceEvents": [{"ph": "X", "cat": "kernel", "name": "k"}]}"#,
         "t.json:1:18: error: traceEvents[0].ts: missing required field"),
        ("correlation past Int", #"{"traceEvents": [{"ph": "X", "cat": "kernel", "name": "k", "ts": 0, "args": {"correlation": 1e300}}]}"#,
         "t.json:1:93: error: traceEvents[0].args.correlation: expected a whole number, got \"1e300\""),
        ("a grid past Int", #"{"traceEvents": [{"ph": "X", "cat": "kernel", "name": "k", "ts": 0, "args": {"grid": [4611686018427387904, 4, 1], "block": [128, 1, 1]}}]}"#,
         "t.json:1:86: error: traceEvents[0].args.grid: expected dimensions whose product is a count, got one past 9223372036854775807"),
        ("a shape past Int", #"{"traceEvents": [{"ph": "X", "cat": "cpu_op", "name": "aten::add", "ts": 0, "dur": 9, "args": {"External id": 1, "Input Dims": [[4611686018427387904, 4]]}}, {"ph": "X", "cat": "kernel", "name": "k", "ts": 1, "dur": 1, "args": {"External id": 1}}]}"#,
         "t.json:1:129: error: traceEvents[0].args.Input Dims[0]: expected a shape whose elements are a count, got [4611686018427387904, 4]"),
    ]

    @Test(arguments: malformed)
    func aMalformedTraceIsOneLine(name: String, text: String, expected: String) {
        do {
            _ = try ProfilerTrace.parse(text, file: "t.json", name: "t")
            Issue.record("\(name): parsed")
        } catch {
            #expect(error.description == expected, "\(name)")
        }
    }

    @Test func aNodeWithTwoFamiliesIsOneLine() {
        let text = Self.graph.replacingOccurrences(of: "    elementwise: {ops: silu}", with: "    elementwise: {ops: silu}\n    reduction: {op: softmax, rows: 1, cols: 8, dtype: fp16}")
        do {
            _ = try GraphFile.parse(text, file: "g.yaml")
            Issue.record("parsed")
        } catch {
            #expect(error.description == "g.yaml:7:5: error: nodes[1]: a node holds exactly one of gemm, elementwise, reduction, attention; found elementwise and reduction")
        }
    }

    @Test func anUnknownOpSuggestsTheNearestName() {
        let text = Self.graph.replacingOccurrences(of: "{ops: silu}", with: "{ops: gelu_err}")
        do {
            _ = try GraphFile.parse(text, file: "g.yaml")
            Issue.record("parsed")
        } catch {
            #expect(error.description.hasPrefix("g.yaml:8:24: error: nodes[1].elementwise.ops"), "\(error.description)")
            #expect(error.description.contains("gelu_erf"))
        }
    }
}
