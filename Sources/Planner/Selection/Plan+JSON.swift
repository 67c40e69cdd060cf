import CostModel
import MachineModel
import Refinement
import Workloads

extension Plan {
    /// The plan as the file `plan --output` writes (docs/planner.md): every time in seconds.
    public func json(model: PlanModel) -> JSONValue {
        let space = scored.space
        func scalar(_ text: String?) -> JSONValue {
            guard let text else { return .null }
            if let n = Int(text) { return .int(n) }
            if text == "true" { return .bool(true) }
            if text == "false" { return .bool(false) }
            return .string(text)
        }
        func schedule(_ c: Candidate) -> JSONValue { .object(c.scheduleFields.map { ($0.key, scalar($0.value)) }) }
        return .object([
            ("version", .int(1)), ("kind", .string("kernelcast-plan")),
            ("space", .string(space.name)), ("family", .string(space.family.rawValue)), ("machine", .string(machine)),
            ("problem", .object(space.problemFields.map { ($0.key, scalar($0.value)) })),
            ("candidates", .int(space.count)), ("strategy", .string(scored.strategy)), ("visited", .int(scored.visited)),
            ("skipped", .array(scored.skipped.map { .object([("reason", .string($0.reason)), ("count", .int($0.count))]) })),
            ("feasible", .int(scored.feasibleCount)),
            ("infeasible", .array(scored.infeasible.map {
                .object([("reason", .string($0.category)), ("count", .int($0.count)), ("example", .string($0.example))])
            })),
            ("uncertainty", .object([
                ("below", .number(intervals.band.below)), ("above", .number(intervals.band.above)),
                ("coverage", .number(intervals.band.coverage)), ("source", .string(intervals.band.source)),
                ("scale_offset", .number(anchor.offset)), ("anchored_by", .int(anchor.count)),
            ])),
            ("pruning", .object([
                ("threshold_s", .number(threshold)), ("threshold_index", thresholdIndex.map(JSONValue.int) ?? .null),
                ("threshold_measured", .bool(thresholdMeasured)), ("ruled_out", .int(ruledOut)), ("in_doubt", .int(inDoubt)),
                ("measured", .int(measuredCount)), ("rejected", .int(rejectedCount)),
            ])),
            ("budget", .int(budget)),
            ("picks", .array(picks.enumerated().map { n, p in
                .object([
                    ("pick", .int(n + 1)), ("index", .int(p.index)), ("label", .string(p.candidate.label)),
                    ("schedule", schedule(p.candidate)), ("reason", .string(p.reason.rawValue)), ("why", .string(p.words)),
                    ("time_s", .number(p.time)), ("optimistic_s", .number(p.optimistic)), ("pessimistic_s", .number(p.pessimistic)),
                    ("bottleneck", .string(p.prediction.bottleneck.name)), ("explanation", .string(p.explanation)),
                ])
            })),
            ("top", .array(top.enumerated().map { n, r in
                .object([
                    ("rank", .int(n + 1)), ("index", .int(r.index)), ("label", .string(r.candidate.label)),
                    ("schedule", schedule(r.candidate)), ("time_s", .number(r.time)), ("optimistic_s", .number(r.optimistic)),
                    ("pessimistic_s", .number(r.pessimistic)), ("bottleneck", .string(r.bottleneck.name)),
                    ("measured_s", r.measured.map(JSONValue.number) ?? .null), ("ruled_out", .bool(r.ruledOut)),
                ])
            })),
        ])
    }
}
