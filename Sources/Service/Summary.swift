import MachineModel

extension JSONValue {
    subscript(key: String) -> JSONValue? {
        guard case let .object(pairs) = self else { return nil }
        return pairs.first { $0.0 == key }?.1
    }
    var text: String? { if case let .string(s) = self { s } else { nil } }
    var double: Double? { if case let .number(x) = self { x } else { nil } }
    var items: [JSONValue] { if case let .array(a) = self { a } else { [] } }
}

/// Short text answers for language models (the MCP tools): the bottleneck sentence, the top candidates with their
/// reasons and what to try next, instead of every number.
public enum Summary {
    public static func text(_ operation: APIOperation, _ result: JSONValue) -> String {
        switch operation {
        case .predict: return result["predictions"] != nil ? batch(result) : ranking(result)
        case .plan: return plan(result)
        case .explain: return explain(result)
        case .bound: return result["sentence"]?.text ?? result.compact()
        default: return result.compact()
        }
    }

    static func time(_ value: JSONValue?) -> String {
        guard let seconds = value?.double else { return "-" }
        return Seconds(base: seconds).description
    }

    static func batch(_ r: JSONValue) -> String {
        let predictions = r["predictions"]?.items ?? []
        let feasible = predictions.filter { $0["feasible"] == .bool(true) }
            .sorted { ($0["time_s"]?.double ?? .infinity) < ($1["time_s"]?.double ?? .infinity) }
        var lines = ["\(predictions.count) candidates on \(r["machine"]?.text ?? "?"): \(feasible.count) feasible"]
        for (rank, p) in feasible.prefix(10).enumerated() {
            lines.append("\(rank + 1). #\(Int(p["index"]?.double ?? 0)) \(p["label"]?.text ?? ""): \(time(p["time_s"])) "
                + "(\(time(p["lower_s"])) to \(time(p["upper_s"]))), \(p["bottleneck"]?.text ?? "")-bound")
        }
        let infeasible = predictions.filter { $0["feasible"] == .bool(false) }
        if let first = infeasible.first {
            lines.append("infeasible: \(infeasible.count), e.g. #\(Int(first["index"]?.double ?? 0)) \(first["reason"]?.text ?? "")")
        }
        return lines.joined(separator: "\n")
    }

    static func ranking(_ r: JSONValue) -> String {
        var lines = ["\(r["space"]?.text ?? "space") on \(r["machine"]?.text ?? "?"): "
            + "\(Int(r["candidates"]?.double ?? 0)) candidates, \(Int(r["feasible"]?.double ?? 0)) feasible"]
        for group in r["infeasible"]?.items ?? [] {
            lines.append("infeasible \(Int(group["count"]?.double ?? 0)): \(group["reason"]?.text ?? "") (e.g. \(group["example"]?.text ?? ""))")
        }
        for p in r["top"]?.items ?? [] {
            lines.append("\(Int(p["rank"]?.double ?? 0)). \(label(p["schedule"])): \(time(p["time_s"])), \(p["bottleneck"]?.text ?? "")-bound")
        }
        if let best = r["top"]?.items.first { lines.append("best: \(best["explanation"]?.text ?? "")") }
        return lines.joined(separator: "\n")
    }

    static func label(_ schedule: JSONValue?) -> String {
        guard case let .object(pairs)? = schedule else { return "" }
        return pairs.filter { $0.1 != .null }.map { "\($0.0)=\($0.1.compact())" }.joined(separator: " ")
    }

    static func plan(_ r: JSONValue) -> String {
        var lines = ["plan \(r["space"]?.text ?? "") on \(r["machine"]?.text ?? ""): \(Int(r["candidates"]?.double ?? 0)) candidates, "
            + "\(Int(r["feasible"]?.double ?? 0)) feasible; \(Int(r["pruning"]?["ruled_out"]?.double ?? 0)) ruled out, "
            + "\(Int(r["pruning"]?["in_doubt"]?.double ?? 0)) in doubt"]
        for group in r["infeasible"]?.items ?? [] {
            lines.append("infeasible \(Int(group["count"]?.double ?? 0)): \(group["reason"]?.text ?? "")")
        }
        lines.append("verify these, in order:")
        for p in r["picks"]?.items ?? [] {
            lines.append("\(Int(p["pick"]?.double ?? 0)). \(p["label"]?.text ?? ""): \(time(p["time_s"])) "
                + "(\(time(p["optimistic_s"])) to \(time(p["pessimistic_s"]))), \(p["reason"]?.text ?? ""): \(p["why"]?.text ?? "")")
        }
        return lines.joined(separator: "\n")
    }

    static func explain(_ r: JSONValue) -> String {
        guard r["feasible"] == .bool(true) else {
            return "\(r["label"]?.text ?? "candidate") cannot run on \(r["machine"]?.text ?? "?"): \(r["reason"]?.text ?? "")"
        }
        var lines = ["\(r["label"]?.text ?? "") on \(r["machine"]?.text ?? ""): \(time(r["time_s"])) "
            + "(\(time(r["lower_s"])) to \(time(r["upper_s"]))), \(r["bottleneck"]?.text ?? "")-bound",
                     r["explanation"]?.text ?? ""]
        lines += (r["notes"]?.items ?? []).compactMap(\.text)
        if let next = r["next"]?.text { lines.append("next: \(next)") }
        return lines.joined(separator: "\n")
    }
}
