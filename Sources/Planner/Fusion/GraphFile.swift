import MachineModel
import Workloads

/// Reads graph files: `version: 1`, `kind: graph`, `name`, and `nodes` in stream order, each a `name` and one of
/// `gemm`, `elementwise`, `reduction` or `attention` holding that family's problem (docs/fusion.md). An
/// elementwise node may leave out `elements` and `dtype`: it works on what the node before it wrote.
public enum GraphFile {
    public static let version = 1

    public static func parse(_ text: String, file: String) throws(FormatError) -> BlockGraph {
        try read(YAMLDocument(text: text, file: file))
    }

    public static func read(_ document: YAMLDocument) throws(FormatError) -> BlockGraph {
        let top = try document.checkVersion(supported: version)
        let kind = try top.required("kind") { v throws(FormatError) in try v.string() }
        guard kind == "graph" else {
            throw FormatError(top.location(of: "kind"), field: "kind", "expected \"graph\", got \"\(kind)\"; is this a graph file?")
        }
        let name = try top.required("name") { v throws(FormatError) in try v.nonEmptyString() }
        let nodes = try top.required("nodes") { v throws(FormatError) -> [BlockGraph.Node] in
            var nodes: [BlockGraph.Node] = []
            for item in try v.sequence() { nodes.append(try node(item.mapping(), after: nodes.last)) }
            guard !nodes.isEmpty else { throw v.error("expected at least one node") }
            return nodes
        }
        try top.finish()
        return BlockGraph(name: name, nodes: nodes)
    }

    static let families = ["gemm", "elementwise", "reduction", "attention"]

    static func node(_ m: MappingReader, after previous: BlockGraph.Node?) throws(FormatError) -> BlockGraph.Node {
        let name = try m.required("name") { v throws(FormatError) in try v.nonEmptyString() }
        let given = families.filter { m.has($0) }
        guard given.count == 1 else {
            throw FormatError(m.location, field: m.path.isEmpty ? "nodes" : m.path,
                              "a node holds exactly one of \(families.joined(separator: ", ")); found \(given.isEmpty ? "none" : given.joined(separator: " and "))")
        }
        let work: BlockGraph.Work
        switch given[0] {
        case "gemm": work = .gemm(try m.required("gemm") { v throws(FormatError) in try FamilyReader.gemmProblem(v.mapping()) })
        case "reduction": work = .reduction(try m.required("reduction") { v throws(FormatError) in try FamilyReader.reductionProblem(v.mapping()) })
        case "attention": work = .attention(try m.required("attention") { v throws(FormatError) in try FamilyReader.attentionProblem(v.mapping()) })
        default:
            work = .elementwise(try m.required("elementwise") { v throws(FormatError) in
                let e = try v.mapping()
                let chain = try e.required("ops") { o throws(FormatError) in try FamilyReader.opChain(o, aliases: []) }
                guard !chain.isEmpty else { throw FormatError(e.location, field: e.fieldPath("ops"), "expected at least one op") }
                let elements = try e.optional("elements") { o throws(FormatError) in try o.positiveInt() } ?? previous?.work.outputElements
                let dtype = try e.optional("dtype") { o throws(FormatError) in try FamilyReader.dtype(o, allowed: [.fp32, .fp16, .bf16, .fp8]) }
                    ?? previous.flatMap { $0.work.dtype }
                guard let elements, let dtype else {
                    throw FormatError(e.location, field: e.path, "the first node (or one after an unmodelled kernel) needs elements and dtype")
                }
                try e.finish()
                return ElementwiseProblem(elements: elements, chain: chain, dtype: dtype)
            })
        }
        try m.finish()
        return BlockGraph.Node(name: name, work: work)
    }
}

extension BlockGraph.Work {
    /// The element type of what the node writes.
    var dtype: ElementType? {
        switch self {
        case let .gemm(p): p.dtype == .fp8 ? .fp16 : p.dtype
        case let .elementwise(p): p.dtype
        case let .reduction(p): p.dtype
        case let .attention(p): p.dtype
        case .unmodelled: nil
        }
    }
}
