import MachineModel
import Workloads

/// Reads a PyTorch profiler trace (Chrome trace JSON from `torch.profiler` with `record_shapes=True`) into a block
/// graph: each GPU kernel is traced to the innermost aten op that launched it, classified by that op (GEMM, its
/// bias, elementwise, norm, softmax, attention) with its problem from the recorded shapes; kernels of ops the model
/// has no family for stay in the graph as unmodelled, with their measured time. When the trace holds several
/// profiler steps, the graph is the first step's and each node's time the median over steps.
public enum ProfilerTrace {
    public static func parse(_ text: String, file: String, name: String) throws(FormatError) -> BlockGraph {
        let document = try YAMLDocument(json: text, file: file)
        let top = try document.root.mapping()
        let events = try top.required("traceEvents") { v throws(FormatError) in try v.sequence() }

        struct Op { var name: String; var ts: Double; var end: Double; var tid: String; var reader: MappingReader? }
        var ops: [Op] = []
        var opByExternal: [Int: Int] = [:]
        var launches: [Int: (ts: Double, tid: String)] = [:]
        typealias Kernel = (name: String, dur: Double, ts: Double, external: Int?, correlation: Int?, launch: BlockGraph.Launch?)
        var kernels: [Kernel] = []
        var steps: [(ts: Double, end: Double)] = []
        for event in events {
            guard event.isMapping else { continue }
            let e = try event.mapping()
            guard try e.optional("ph", { v throws(FormatError) in try v.string() }) == "X" else { continue }
            let cat = try e.optional("cat") { v throws(FormatError) in try v.string() } ?? ""
            let eventName = try e.optional("name") { v throws(FormatError) in try v.string() } ?? ""
            let ts = try e.required("ts") { v throws(FormatError) in try v.double() }
            let dur = try e.optional("dur") { v throws(FormatError) in try v.double() } ?? 0
            let tid = try e.optional("tid") { v throws(FormatError) in try v.string() } ?? ""
            let args = try e.optional("args") { v throws(FormatError) in try v.mapping() }
            func intArg(_ key: String) throws(FormatError) -> Int? {
                try args?.optional(key) { v throws(FormatError) in try v.int() }
            }
            switch cat {
            case "cpu_op":
                if let id = try intArg("External id") { opByExternal[id] = ops.count }
                ops.append(Op(name: eventName, ts: ts, end: ts + dur, tid: tid, reader: args))
            case "cuda_runtime", "cuda_driver":
                if let c = try intArg("correlation") { launches[c] = (ts, tid) }
            case "kernel":
                kernels.append((eventName, dur, ts, try intArg("External id"), try intArg("correlation"), try launch(eventName, args)))
            case "user_annotation" where eventName.hasPrefix("ProfilerStep#"):
                steps.append((ts, ts + dur))
            default: continue
            }
        }
        guard !kernels.isEmpty else {
            throw FormatError(top.location, field: "traceEvents", "no GPU kernels in the trace; profile with activities=[CPU, CUDA]")
        }

        /// The innermost op that launched a kernel: by the correlation of its launch (the innermost op on the
        /// launching thread whose span holds the launch), else by the kernel's external id.
        func launcher(_ k: Kernel) -> Int? {
            if let c = k.correlation, let launch = launches[c] {
                var best: Int?
                for (i, op) in ops.enumerated() where op.tid == launch.tid && op.ts <= launch.ts && launch.ts <= op.end {
                    if best == nil || op.end - op.ts <= ops[best!].end - ops[best!].ts { best = i }
                }
                if let best { return best }
            }
            return k.external.flatMap { opByExternal[$0] }
        }

        // Kernels grouped by the op that launched them, in launch order; a group per op and step.
        struct Group { var op: Int?; var kernels: [String]; var time: Double; var step: Int; var launch: BlockGraph.Launch? }
        var groups: [Group] = []
        for k in kernels.sorted(by: { $0.ts < $1.ts }) {
            let op = launcher(k)
            let at = op.map { ops[$0].ts } ?? k.ts
            let step = steps.firstIndex { $0.ts <= at && at <= $0.end } ?? 0
            if let last = groups.last, let op, last.op == op {
                groups[groups.count - 1].kernels.append(k.name)
                groups[groups.count - 1].time += k.dur
                groups[groups.count - 1].launch = nil
            } else {
                groups.append(Group(op: op, kernels: [k.name], time: k.dur, step: step, launch: k.launch))
            }
        }
        let firstStep = groups.map(\.step).min() ?? 0
        let first = groups.filter { $0.step == firstStep }
        // The same position in every step that launched the same number of groups gives the median time.
        var byStep: [Int: [Group]] = [:]
        for g in groups { byStep[g.step, default: []].append(g) }
        let comparable = byStep.values.filter { $0.count == first.count }

        var nodes: [BlockGraph.Node] = []
        for (position, group) in first.enumerated() {
            var times = comparable.map { $0[position].time }.sorted()
            if times.isEmpty { times = [group.time] }
            let median = times[times.count / 2] * 1e-6
            let kernelText = group.kernels.count == 1 ? group.kernels[0] : "\(group.kernels.count) kernels: \(group.kernels.joined(separator: ", "))"
            guard let index = group.op else {
                nodes.append(BlockGraph.Node(name: "kernel\(position)", work: .unmodelled(reason: "no aten op launched it"),
                                             measured: median, origin: kernelText))
                continue
            }
            let op = ops[index]
            let work = try classify(op.name, op.reader)
            let short = op.name.replacingOccurrences(of: "aten::", with: "")
            nodes.append(BlockGraph.Node(name: "\(position):\(short)", work: work, measured: median, origin: kernelText, launch: group.launch))
        }
        return BlockGraph(name: name, nodes: nodes, timing: .burst)
    }

    /// A kernel event's launch (`grid`, `block`, `registers per thread`, `shared memory`), when it records one.
    static func launch(_ kernel: String, _ args: MappingReader?) throws(FormatError) -> BlockGraph.Launch? {
        guard let args else { return nil }
        func extent(_ key: String) throws(FormatError) -> Int? {
            try args.optional(key) { v throws(FormatError) in
                guard let product = elements(try v.list({ x throws(FormatError) in try x.nonNegativeInt() })) else {
                    throw v.error("expected dimensions whose product is a count, got one past \(Int.max)")
                }
                return product
            }
        }
        guard let blocks = try extent("grid"), let threads = try extent("block"), blocks > 0, threads > 0 else { return nil }
        return BlockGraph.Launch(kernel: kernel, blocks: blocks, threadsPerBlock: threads,
                                 registersPerThread: try args.optional("registers per thread") { v throws(FormatError) in try v.nonNegativeInt() },
                                 sharedBytes: try args.optional("shared memory") { v throws(FormatError) in try v.nonNegativeInt() })
    }

    static func dims(_ args: MappingReader?) throws(FormatError) -> [[Int]] {
        guard let args else { return [] }
        return try args.optional("Input Dims") { v throws(FormatError) in
            try v.list { d throws(FormatError) in
                let shape = d.isMapping ? [] : ((try? d.list { x throws(FormatError) in try x.nonNegativeInt() }) ?? [])
                guard elements(shape) != nil else { throw d.error("expected a shape whose elements are a count, got \(shape)") }
                return shape
            }
        } ?? []
    }

    /// The elements of a shape, or nil past Int.
    static func elements(_ shape: [Int]) -> Int? {
        var product = 1
        for x in shape {
            let (next, overflow) = product.multipliedReportingOverflow(by: x)
            if overflow { return nil }
            product = next
        }
        return product
    }

    static func strings(_ args: MappingReader?, _ key: String) throws(FormatError) -> [String] {
        guard let args else { return [] }
        return try args.optional(key) { v throws(FormatError) in
            try v.list { s throws(FormatError) in (try? s.string()) ?? "" }
        } ?? []
    }

    static func elementType(_ torch: String) -> ElementType? {
        switch torch {
        case "c10::Half": .fp16
        case "c10::BFloat16": .bf16
        case "float": .fp32
        case "c10::Float8_e4m3fn", "c10::Float8_e5m2": .fp8
        case "signed char": .int8
        default: nil
        }
    }

    /// What an aten op's kernel is, from the op's name and recorded inputs.
    static func classify(_ name: String, _ args: MappingReader?) throws(FormatError) -> BlockGraph.Work {
        let d = try dims(args)
        let types = try strings(args, "Input type")
        let concrete = try strings(args, "Concrete Inputs")
        let dtype = types.lazy.compactMap(elementType).first
        func count(_ shape: [Int]) -> Int { elements(shape) ?? 0 }  // every recorded shape was checked by dims()
        func unmodelled(_ why: String) -> BlockGraph.Work { .unmodelled(reason: "\(name): \(why)") }
        guard let dtype else { return unmodelled("no floating-point input recorded (record_shapes=True?)") }
        let op = name.hasPrefix("aten::") ? String(name.dropFirst(6)) : name
        switch op {
        case "addmm", "mm", "bmm", "baddbmm", "_int_mm":
            let biased = op == "addmm" || op == "baddbmm"
            let shapes = biased ? Array(d.dropFirst()) : d
            guard shapes.count >= 2, let a = shapes.first, let b = shapes.dropFirst().first, a.count == b.count, a.count >= 2 else {
                return unmodelled("expected two matrix operands, got \(d)")
            }
            let m = a[a.count - 2], k = a[a.count - 1], n = b[b.count - 1]
            let batch = a.count == 3 ? a[0] : 1
            guard m > 0, n > 0, k > 0, b[b.count - 2] == k else { return unmodelled("operands \(a) and \(b) do not multiply") }
            var epilogue: [ElementOp] = []
            if biased, let bias = d.first, !bias.isEmpty { epilogue = count(bias) == n ? [.bias] : [.residual] }
            return .gemm(GemmProblem(m: m, n: n, k: k, batch: batch, dtype: dtype, epilogue: epilogue))
        case "native_layer_norm", "layer_norm", "rms_norm", "_fused_rms_norm", "_softmax", "softmax":
            guard let x = d.first, let cols = x.last, cols > 0 else { return unmodelled("no input shape") }
            let kind: ReductionProblem.Op = op.contains("rms") ? .rmsnorm : op.contains("softmax") ? .softmax : .layernorm
            guard [.fp32, .fp16, .bf16].contains(dtype) else { return unmodelled("\(dtype.rawValue) rows") }
            return .reduction(ReductionProblem(op: kind, rows: count(x) / cols, cols: cols, dtype: dtype))
        case "_scaled_dot_product_flash_attention", "_scaled_dot_product_efficient_attention",
             "_scaled_dot_product_cudnn_attention", "_cudnn_attention_forward", "_flash_attention_forward",
             "_efficient_attention_forward":
            guard let q = d.first, q.count == 4 else { return unmodelled("expected a 4-D query") }
            guard [.fp16, .bf16, .fp8].contains(dtype) else { return unmodelled("\(dtype.rawValue) attention") }
            // The flash and efficient forwards take [B, S, H, D]; the scaled_dot_product entries [B, H, S, D].
            let bshd = op.hasPrefix("_flash") || op.hasPrefix("_efficient")
            let (b, h, s, hd) = bshd ? (q[0], q[2], q[1], q[3]) : (q[0], q[1], q[2], q[3])
            // Keys may have fewer heads (grouped-query) and another length (a decode step against a cache).
            var (kvHeads, kvLen) = (h, s)
            if d.count > 1, d[1].count == 4 { (kvHeads, kvLen) = bshd ? (d[1][2], d[1][1]) : (d[1][1], d[1][2]) }
            guard kvHeads > 0, h % kvHeads == 0, s <= kvLen else { return unmodelled("query \(q) and key \(d[1]) do not pair") }
            // is_causal sits at a fixed argument of each op (PyTorch's native_functions.yaml); the efficient forward
            // records a mask type instead, 1 and 2 being causal.
            let causalArgument = ["_scaled_dot_product_flash_attention": 4, "_scaled_dot_product_efficient_attention": 6,
                                  "_scaled_dot_product_cudnn_attention": 6, "_cudnn_attention_forward": 10,
                                  "_flash_attention_forward": 8, "_efficient_attention_forward": 9][op]!
            let flag = causalArgument < concrete.count ? concrete[causalArgument] : ""
            let causal = flag == "True" || (op == "_efficient_attention_forward" && ["1", "2"].contains(flag))
            return .attention(AttentionProblem(batch: b, heads: h, seqLen: kvLen, headDim: hd, causal: causal, dtype: dtype,
                                               kvHeads: kvHeads, queryLen: s))
        default:
            guard let x = d.first, !x.isEmpty || count(x) > 0 else { return unmodelled("no input shape") }
            guard dtype != .int8 else { return unmodelled("int8 elementwise") }
            let elements = d.map(count).max() ?? count(x)
            let tensors = d.filter { !$0.isEmpty && count($0) > 1 }
            var chain: [ElementOp]
            switch op {
            case "gelu", "gelu_": chain = [concrete.contains("tanh") ? .gelu_tanh : .gelu_erf]
            case "relu", "relu_": chain = [.relu]
            case "silu", "silu_": chain = [.silu]
            case "sigmoid": chain = [.sigmoid]
            case "tanh": chain = [.tanh]
            case "exp": chain = [.exp]
            case "log": chain = [.log]
            case "rsqrt": chain = [.rsqrt]
            case "square", "pow": chain = [.square]
            case "add", "add_", "sub", "sub_":
                chain = tensors.count >= 2 ? (tensors.map(count).min() == elements ? [.add] : [.bias]) : [.scale]
            case "mul", "mul_": chain = tensors.count >= 2 ? [.mul] : [.scale]
            case "div", "div_": chain = tensors.count >= 2 ? [.div] : [.scale]
            case "native_dropout", "dropout": chain = [.dropout]
            case "copy_", "_to_copy", "to", "clone", "contiguous":
                chain = types.count >= 2 && types[0] != types[1] ? [.cast] : [.generic]
            default:
                return unmodelled("no family for this op")
            }
            return .elementwise(ElementwiseProblem(elements: elements, chain: chain, dtype: dtype))
        }
    }
}
