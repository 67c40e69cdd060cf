import Foundation
import MachineModel
import Workloads

/// What `kernelcast verify` accepts, recognised by content:
/// - a space file of the cost model (docs/candidate-format.md): every candidate of the cross product;
/// - a plan written by `kernelcast plan` (`"kind": "kernelcast-plan"`): its picks;
/// - a candidate with its own source (a `source` or `launches` section);
/// - a list file (`.txt` or `.list`): one candidate per line, either a path to one of the files above (relative to
///   the list) or `FAMILY key=value ...` with the problem's and the schedule's keys, `#` starting a comment.
///
/// Schedules become OpenCL library kernels when `materialize` is true (in-process and remote runners); for an
/// external command they stay schedules, for the command to build its own kernels. A schedule the library cannot
/// build, or a family the verifier has no reference for, becomes an entry recorded as rejected with its reason.
public enum VerifyInput {
    /// Spaces larger than this are refused without `--limit`: plan first, then verify the plan.
    public static let largestSpace = 10_000

    public struct Loaded {
        public var count: Int
        public var entries: AnySequence<BatchEntry>
        public var description: String
    }

    public static func load(path: String, materialize: Bool, limit: Int?) throws(VerifierError) -> Loaded {
        let text: String
        do {
            text = try TextFile.read(path)
        } catch {
            throw VerifierError(error)
        }
        if path.hasSuffix(".txt") || path.hasSuffix(".list") {
            let entries = try listFile(text, path: path, materialize: materialize, limit: limit)
            return Loaded(count: entries.count, entries: AnySequence(entries), description: "list \(path)")
        }
        let keys: [String]
        do {
            keys = try YAMLDocument(text: text, file: path).root.mapping().keys
        } catch {
            throw VerifierError(error)
        }
        if SourceCandidateFile.isSourceCandidate(keys) {
            let candidate = try SourceCandidateFile.parse(text, file: path)
            return Loaded(count: 1, entries: AnySequence([BatchEntry(candidate: candidate)]), description: "candidate \(candidate.id)")
        }
        if keys.contains("kind") || keys.contains("picks") {
            let entries = try plan(text, path: path, materialize: materialize)
            return Loaded(count: entries.count, entries: AnySequence(entries), description: "plan \(path)")
        }
        let space: CandidateSpace
        do {
            space = try CandidateFile.parse(text, file: path)
        } catch {
            throw VerifierError(error)
        }
        if space.count > largestSpace, limit == nil {
            throw VerifierError(.format, "\(path) holds \(space.count) candidates; plan it first (kernelcast plan \(path) --budget K --output plan.json) and verify the plan, or pass --limit")
        }
        let count = space.count
        let sequence = (0..<count).lazy.map { index -> BatchEntry in
            let candidate = space.candidate(at: index)
            return entry(id: "\(space.name)#\(index) \(candidate.label)", family: space.family.rawValue,
                         problem: Dictionary(uniqueKeysWithValues: space.problemFields.map { ($0.key, $0.value) }),
                         schedule: candidate.scheduleFields, origin: path, materialize: materialize)
        }
        return Loaded(count: count, entries: AnySequence(sequence), description: "space \(space.name) (\(count) candidates)")
    }

    /// One entry from a family, problem fields and schedule fields (the cost model's names and spellings).
    public static func entry(id: String, family: String, problem: [String: String], schedule: [(key: String, value: String?)],
                             origin: String, materialize: Bool) -> BatchEntry {
        var keys: [String: String] = [:]
        for field in schedule { if let value = field.value, value != "null" { keys[field.key] = value } }
        let placeholder = Candidate(id: id, problem: .copy(CopyProblem(count: 1)), launches: [], origin: origin, schedule: keys)
        let parsed: Problem
        do {
            parsed = try ProblemReader.read(family: family, fields: problem)
        } catch {
            var rejected = placeholder
            rejected.schedule["problem"] = problem.keys.sorted().map { "\($0)=\(problem[$0]!)" }.joined(separator: ",")
            return BatchEntry(candidate: rejected, rejection: (.unsupported, error.message))
        }
        guard materialize else {
            return BatchEntry(candidate: Candidate(id: id, problem: parsed, launches: [], origin: origin, schedule: keys))
        }
        do {
            var candidate = try LibraryCandidates.make(id: id, problem: parsed, schedule: keys)
            candidate.origin = origin
            return BatchEntry(candidate: candidate)
        } catch {
            let reason: Reason = error.message.contains("fp32 only") || error.message.contains("not in the OpenCL library") ? .unsupported : .invalidSchedule
            return BatchEntry(candidate: Candidate(id: id, problem: parsed, launches: [], origin: origin, schedule: keys), rejection: (reason, error.message))
        }
    }

    static func plan(_ text: String, path: String, materialize: Bool) throws(VerifierError) -> [BatchEntry] {
        let plan: PlanFile
        do {
            plan = try JSONDecoder().decode(PlanFile.self, from: Data(text.utf8))
        } catch {
            throw VerifierError(.format, "\(path) is not a plan written by kernelcast plan (family, problem and picks)", cause: "\(error)")
        }
        guard plan.kind == "kernelcast-plan" else {
            throw VerifierError(.format, "\(path): kind is \(plan.kind ?? "missing"), expected kernelcast-plan")
        }
        guard plan.version == 1 else {
            throw VerifierError(.format, "\(path): plan version \(plan.version) is not supported; this kernelcast reads version 1")
        }
        let fields = plan.problem.compactMapValues(\.text)
        return plan.picks.enumerated().map { n, pick in
            let index = pick.index ?? n
            return entry(id: "\(plan.space ?? "plan")#\(index) \(pick.label ?? "")".trimmingCharacters(in: .whitespaces), family: plan.family,
                         problem: fields, schedule: pick.schedule.keys.sorted().map { ($0, pick.schedule[$0]!.text) },
                         origin: path, materialize: materialize)
        }
    }

    struct PlanFile: Decodable {
        var version: Int
        var kind: String?
        var space: String?
        var family: String
        var problem: [String: Scalar]
        var picks: [Pick]
    }

    struct Pick: Decodable {
        var index: Int?
        var label: String?
        var schedule: [String: Scalar]
    }

    /// A JSON scalar as the text a schedule or problem key holds; null is "not given".
    enum Scalar: Decodable {
        case value(String)
        case null

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .null }
            else if let b = try? c.decode(Bool.self) { self = .value(b ? "true" : "false") }
            else if let i = try? c.decode(Int.self) { self = .value(String(i)) }
            else if let d = try? c.decode(Double.self) { self = .value(String(d)) }
            else if let t = try? c.decode(String.self) { self = .value(t) }
            else if let list = try? c.decode([String].self) { self = .value(list.joined(separator: ",")) }
            else { throw DecodingError.dataCorruptedError(in: c, debugDescription: "expected a number, text, true/false or null") }
        }

        var text: String? {
            if case let .value(t) = self { return t }
            return nil
        }
    }

    static func listFile(_ text: String, path: String, materialize: Bool, limit: Int?) throws(VerifierError) -> [BatchEntry] {
        var entries: [BatchEntry] = []
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            guard !line.isEmpty else { continue }
            let location = FileLocation(file: path, line: number + 1, column: 1)
            let words = line.split(separator: " ").map(String.init)
            if words.count == 1, !words[0].contains("=") {
                let target = words[0].hasPrefix("/") ? words[0] : folder.appendingPathComponent(words[0]).path
                do {
                    entries.append(contentsOf: try load(path: target, materialize: materialize, limit: limit).entries)
                } catch {
                    throw VerifierError(error.code, error.message, cause: error.cause, location: error.location ?? location)
                }
                continue
            }
            let family = words[0]
            var problem: [String: String] = [:]
            var schedule: [(key: String, value: String?)] = []
            var id: String?
            let problemKeys = ProblemReader.keys(family: family)
            for word in words.dropFirst() {
                let parts = word.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else {
                    throw VerifierError(.format, "expected key=value, got \"\(word)\"", location: location)
                }
                if parts[0] == "id" { id = parts[1] } else if problemKeys.contains(parts[0]) { problem[parts[0]] = parts[1] } else { schedule.append((parts[0], parts[1])) }
            }
            let name = id ?? line
            entries.append(entry(id: name, family: family, problem: problem, schedule: schedule, origin: "\(path):\(number + 1)", materialize: materialize))
        }
        return entries
    }
}

extension ProblemReader {
    /// The problem keys of a family, as the cost model spells them.
    public static func keys(family: String) -> Set<String> {
        switch family {
        case "gemm": ["m", "n", "k", "batch", "dtype", "epilogue"]
        case "elementwise": ["elements", "ops", "dtype", "extra_inputs"]
        case "reduction": ["op", "rows", "cols", "dtype"]
        case "transpose": ["rows", "cols", "dtype"]
        case "copy": ["elements", "dtype"]
        default: []
        }
    }

    /// A problem from text fields (a plan's or a space's problem, a list line): `ops` is a count or a comma list.
    public static func read(family: String, fields: [String: String]) throws(VerifierError) -> Problem {
        let known = keys(family: family)
        guard !known.isEmpty else {
            throw VerifierError(.unsupported, "the verifier checks gemm, elementwise, reduction, transpose and copy; \(family) has no host reference")
        }
        if let unknown = fields.keys.filter({ !known.contains($0) }).sorted().first {
            throw VerifierError(.format, "unknown problem key \(unknown) for \(family); expected \(known.sorted().joined(separator: ", "))")
        }
        func size(_ key: String, default fallback: Int? = nil) throws(VerifierError) -> Int {
            guard let text = fields[key] else {
                if let fallback { return fallback }
                throw VerifierError(.format, "missing problem key \(key) for \(family)")
            }
            guard let value = Int(text), value > 0 else { throw VerifierError(.format, "\(key) must be a positive whole number, got \"\(text)\"") }
            return value
        }
        let dtypeText = fields["dtype"] ?? "fp32"
        guard let dtype = DataType(rawValue: dtypeText) else {
            throw VerifierError(.unsupported, "dtype \(dtypeText) has no verifier reference; expected \(DataType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        switch family {
        case "gemm":
            let epilogueText = fields["epilogue"] ?? "none"
            guard let epilogue = GemmProblem.Epilogue(rawValue: epilogueText) else {
                throw VerifierError(.format, "unknown epilogue \(epilogueText); expected \(GemmProblem.Epilogue.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return .gemm(GemmProblem(m: try size("m"), n: try size("n"), k: try size("k"), batch: try size("batch", default: 1), epilogue: epilogue, dataType: dtype))
        case "elementwise":
            let opsText = fields["ops"] ?? ""
            let ops: [ElementwiseOp]
            if let count = Int(opsText), count > 0 {
                ops = ElementwiseOp.defaultChain(ops: count, extraInputs: Int(fields["extra_inputs"] ?? "0") ?? 0)
            } else {
                var list: [ElementwiseOp] = []
                for name in opsText.split(separator: ",") {
                    guard let op = ElementwiseOp(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                        throw VerifierError(.format, "unknown elementwise op \(name); expected \(ElementwiseOp.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    list.append(op)
                }
                guard !list.isEmpty else { throw VerifierError(.format, "ops must be a count or a comma list of ops") }
                ops = list
            }
            return .elementwise(ElementwiseProblem(count: try size("elements"), ops: ops, dataType: dtype))
        case "reduction":
            guard let op = RowOp(rawValue: fields["op"] ?? "") else {
                throw VerifierError(.format, "reduction op must be one of \(RowOp.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return .rows(RowProblem(op: op, rows: try size("rows"), columns: try size("cols"), dataType: dtype))
        case "transpose":
            return .transpose(TransposeProblem(rows: try size("rows"), columns: try size("cols"), dataType: dtype))
        default:
            return .copy(CopyProblem(count: try size("elements"), dataType: dtype))
        }
    }
}
