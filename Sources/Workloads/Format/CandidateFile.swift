import Foundation
import MachineModel

/// Reads candidate files (docs/candidate-format.md): one space per file, YAML or JSON (JSON is YAML).
public enum CandidateFile {
    /// The newest format version this build reads.
    public static let version = 1

    /// Parses the text of a candidate file; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws(FormatError) -> CandidateSpace {
        try read(YAMLDocument(text: text, file: file))
    }

    /// Reads a candidate space from a parsed document (a file, or a space nested in a request).
    public static func read(_ document: YAMLDocument) throws(FormatError) -> CandidateSpace {
        let top = try document.checkVersion(supported: version)
        let name = try top.required("name") { v throws(FormatError) in try v.nonEmptyString() }
        let family = try top.required("family") { v throws(FormatError) in try v.oneOf(Family.self) }
        let body: CandidateSpace.Body
        if family == .generic {
            let candidates = try top.required("candidates") { v throws(FormatError) in
                var list: [GenericCandidate] = []
                for item in try v.sequence() { list.append(try FamilyReader.genericCandidate(item.mapping())) }
                guard !list.isEmpty else { throw v.error("expected at least one candidate") }
                return list
            }
            body = .generic(candidates)
        } else {
            let compiler = try top.optional("compiler") { v throws(FormatError) in try FamilyReader.compilerFacts(v) } ?? .none
            body = try top.required("problem") { p throws(FormatError) in
                try top.required("schedule") { s throws(FormatError) in
                    try space(family: family, problem: p.mapping(), schedule: s.mapping(), compiler: compiler)
                }
            }
        }
        try top.finish()
        let result = CandidateSpace(name: name, body: body)
        if result.count == 0 {
            throw FormatError(top.location(of: "schedule"), field: "schedule", "the space is empty; give at least one value per key")
        }
        return result
    }

    /// Reads a candidate file from disk (for the command line; the module itself does no I/O elsewhere).
    public static func load(path: String) throws(FormatError) -> CandidateSpace {
        try parse(readText(path), file: path)
    }

    /// Candidates of one problem from a list of schedules, one value per key (a batch from a program, not a cross
    /// product); each schedule is read by the same rules as a file's `schedule`.
    public static func candidates(family: Family, problem: ValueReader, schedules: [ValueReader], compiler: CompilerFacts)
        throws(FormatError) -> [Candidate]
    {
        guard family != .generic else {
            throw problem.error("generic kernels are listed as candidates in a space, not as schedules of a problem")
        }
        // The problem is read once; each schedule by the family's schedule reader, as a space that must hold one.
        let read: (MappingReader) throws(FormatError) -> CandidateSpace.Body
        let m = try problem.mapping()
        switch family {
        case .gemm:
            let p = try FamilyReader.gemmProblem(m)
            read = { s throws(FormatError) in .gemm(p, try FamilyReader.gemmAxes(s), compiler) }
        case .elementwise:
            let p = try FamilyReader.elementwiseProblem(m)
            read = { s throws(FormatError) in .elementwise(p, try FamilyReader.elementwiseAxes(s), compiler) }
        case .reduction:
            let p = try FamilyReader.reductionProblem(m)
            read = { s throws(FormatError) in .reduction(p, try FamilyReader.reductionAxes(s), compiler) }
        case .attention:
            let p = try FamilyReader.attentionProblem(m)
            read = { s throws(FormatError) in .attention(p, try FamilyReader.attentionAxes(s), compiler) }
        case .generic:
            preconditionFailure("handled above")
        }
        var out: [Candidate] = []
        out.reserveCapacity(schedules.count)
        for item in schedules {
            let one = CandidateSpace(name: "", body: try read(item.mapping()))
            guard one.count == 1 else {
                throw item.error("expected one value per key in a list of schedules; give a space to predict a cross product")
            }
            out.append(one.candidate(at: 0))
        }
        return out
    }

    static func space(family: Family, problem: MappingReader, schedule: MappingReader, compiler: CompilerFacts)
        throws(FormatError) -> CandidateSpace.Body
    {
        switch family {
        case .gemm:
            return .gemm(try FamilyReader.gemmProblem(problem), try FamilyReader.gemmAxes(schedule), compiler)
        case .elementwise:
            return .elementwise(try FamilyReader.elementwiseProblem(problem), try FamilyReader.elementwiseAxes(schedule), compiler)
        case .reduction:
            return .reduction(try FamilyReader.reductionProblem(problem), try FamilyReader.reductionAxes(schedule), compiler)
        case .attention:
            return .attention(try FamilyReader.attentionProblem(problem), try FamilyReader.attentionAxes(schedule), compiler)
        case .generic:
            preconditionFailure("generic spaces list their candidates")
        }
    }
}

func readText(_ path: String) throws(FormatError) -> String { try TextFile.read(path) }
