import MachineModel
import Workloads

/// A model block written as alternatives, each a sequence of kernels: the same work unfused, partly fused, fused
/// (docs/fusion.md). Each kernel is a family problem with an optional schedule space; the planner runs each kernel's
/// best predicted schedule and sums.
public struct Block: Sendable {
    public var name: String
    public var description: String?
    public var alternatives: [Alternative]

    public struct Alternative: Sendable {
        public var name: String
        public var kernels: [Kernel]
    }

    public struct Kernel: Sendable {
        public var name: String
        public var space: CandidateSpace
    }
}

/// Reads block files: `version: 1`, `kind: block`, `name`, `description`, `alternatives` (each a `name` and
/// `kernels`: `name`, `family`, `problem`, and either `schedule` (lists allowed) or the shortcuts `fused`
/// (elementwise) and `variant` (attention) over the default schedule space of the family).
public enum BlockFile {
    public static let version = 1

    public static func parse(_ text: String, file: String) throws(FormatError) -> Block {
        try read(YAMLDocument(text: text, file: file))
    }

    /// Reads a block from a parsed document (a file, or a block nested in a request).
    public static func read(_ document: YAMLDocument) throws(FormatError) -> Block {
        let top = try document.checkVersion(supported: version)
        let kind = try top.required("kind") { v throws(FormatError) in try v.string() }
        guard kind == "block" else {
            throw FormatError(top.location(of: "kind"), field: "kind", "expected \"block\", got \"\(kind)\"; is this a block file?")
        }
        let name = try top.required("name") { v throws(FormatError) in try v.nonEmptyString() }
        let description = try top.optional("description") { v throws(FormatError) in try v.string() }
        let alternatives = try top.required("alternatives") { v throws(FormatError) in
            var out: [Block.Alternative] = []
            for item in try v.sequence() {
                let m = try item.mapping()
                let altName = try m.required("name") { v throws(FormatError) in try v.nonEmptyString() }
                let kernels = try m.required("kernels") { v throws(FormatError) in
                    var list: [Block.Kernel] = []
                    for k in try v.sequence() { list.append(try kernel(k.mapping())) }
                    guard !list.isEmpty else { throw v.error("expected at least one kernel") }
                    return list
                }
                try m.finish()
                out.append(Block.Alternative(name: altName, kernels: kernels))
            }
            guard out.count >= 2 else { throw v.error("expected at least two alternatives to compare") }
            return out
        }
        try top.finish()
        return Block(name: name, description: description, alternatives: alternatives)
    }

    static func kernel(_ m: MappingReader) throws(FormatError) -> Block.Kernel {
        let name = try m.required("name") { v throws(FormatError) in try v.nonEmptyString() }
        let family = try m.required("family") { v throws(FormatError) in try v.oneOf(Family.self) }
        guard family != .generic else {
            throw FormatError(m.location(of: "family"), field: m.fieldPath("family"), "a block's kernels are gemm, elementwise, reduction or attention")
        }
        let fused = try m.optional("fused") { v throws(FormatError) in try v.bool() }
        let variant = try m.optional("variant") { v throws(FormatError) in try v.oneOf(AttentionSchedule.Variant.self) }
        if fused != nil && family != .elementwise {
            throw FormatError(m.location(of: "fused"), field: m.fieldPath("fused"), "fused is a shortcut of elementwise kernels")
        }
        if variant != nil && family != .attention {
            throw FormatError(m.location(of: "variant"), field: m.fieldPath("variant"), "variant is a shortcut of attention kernels")
        }
        let body: CandidateSpace.Body = try m.required("problem") { p throws(FormatError) in
            let problem = try p.mapping()
            let given = try m.optional("schedule") { s throws(FormatError) in try s.mapping() }
            switch family {
            case .gemm:
                let g = try FamilyReader.gemmProblem(problem)
                return .gemm(g, try given.map { s throws(FormatError) in try FamilyReader.gemmAxes(s) } ?? Self.defaultGemm, .none)
            case .elementwise:
                let e = try FamilyReader.elementwiseProblem(problem)
                var axes = try given.map { s throws(FormatError) in try FamilyReader.elementwiseAxes(s) } ?? Self.defaultElementwise
                if let fused { axes.fused = [fused] }
                return .elementwise(e, axes, .none)
            case .reduction:
                let r = try FamilyReader.reductionProblem(problem)
                return .reduction(r, try given.map { s throws(FormatError) in try FamilyReader.reductionAxes(s) } ?? Self.defaultReduction(cols: r.cols), .none)
            case .attention:
                let a = try FamilyReader.attentionProblem(problem)
                var axes = try given.map { s throws(FormatError) in try FamilyReader.attentionAxes(s) } ?? Self.defaultAttention
                if let variant { axes.variants = [variant] }
                return .attention(a, axes, .none)
            case .generic:
                preconditionFailure("rejected above")
            }
        }
        try m.finish()
        return Block.Kernel(name: name, space: CandidateSpace(name: name, body: body))
    }

    /// Default schedule spaces, used when a kernel gives none: the tiles a Triton autotuner would try.
    static let defaultGemm = GemmAxes(blockM: [64, 128, 256], blockN: [64, 128, 256], blockK: [32, 64, 128], warps: [4, 8],
                                      stages: [2, 3, 4], groupM: [8])
    static let defaultElementwise = ElementwiseAxes(fused: [true], blockElements: [256, 1024, 4096], warps: [4, 8])
    static func defaultReduction(cols: Int) -> ReductionAxes {
        var width = 1
        while width < cols { width *= 2 }
        return ReductionAxes(rowsPerBlock: [1], blockWidth: [min(width, 4096), width].reduce(into: [Int]()) { if !$0.contains($1) { $0.append($1) } },
                             warps: [4, 8, 16])
    }
    static let defaultAttention = AttentionAxes(variants: [.flash], blockQ: [64, 128], blockKV: [32, 64, 128], warps: [4, 8], stages: [2, 3])
}
