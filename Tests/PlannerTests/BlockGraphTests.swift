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
