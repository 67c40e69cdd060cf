import CostModel
import MachineModel
import Planner
import Workloads

/// The feasible candidates of a space ranked by predicted time (only the best `keep` are kept), and the
/// infeasible ones counted by reason.
public struct SpaceRanking {
    public struct Entry {
        public var index: Int
        public var candidate: Candidate
        public var prediction: Prediction
    }
    public struct InfeasibleGroup {
        public var category: String
        public var count: Int
        public var example: Infeasibility
    }

    public let space: CandidateSpace
    public var best: [Entry] = []
    public var feasibleCount = 0
    public var infeasible: [InfeasibleGroup] = []

    public init(space: CandidateSpace, model: CostModel, keep: Int) {
        self.space = space
        var times: [(time: Double, index: Int)] = []
        times.reserveCapacity(space.count)
        for index in 0..<space.count {
            let prediction = model.predict(space.candidate(at: index))
            if let reason = prediction.infeasibility {
                if let g = infeasible.firstIndex(where: { $0.category == reason.category }) {
                    infeasible[g].count += 1
                    if case let .sharedMemory(required, _) = reason, case let .sharedMemory(previous, _) = infeasible[g].example,
                       required > previous {
                        infeasible[g].example = reason
                    }
                } else {
                    infeasible.append(InfeasibleGroup(category: reason.category, count: 1, example: reason))
                }
            } else {
                times.append((prediction.time.base, index))
            }
        }
        feasibleCount = times.count
        infeasible.sort { $0.count > $1.count }
        times.sort { $0.time < $1.time || ($0.time == $1.time && $0.index < $1.index) }
        best = times.prefix(keep).map { item in
            let candidate = space.candidate(at: item.index)
            return Entry(index: item.index, candidate: candidate, prediction: model.predict(candidate))
        }
    }

    /// The ranking as JSON: counts, the infeasible by reason, the top candidates and the machine fields used.
    public func json(model: CostModel) -> JSONValue {
        .object([
            ("space", .string(space.name)), ("family", .string(space.family.rawValue)),
            ("machine", .string(model.machine.name)),
            ("problem", .object(space.problemFields.map { ($0.key, scalar($0.value)) })),
            ("candidates", .int(space.count)), ("feasible", .int(feasibleCount)),
            ("infeasible", .array(infeasible.map { group in
                .object([("reason", .string(group.category)), ("count", .int(group.count)),
                         ("example", .string(group.example.message))])
            })),
            ("top", .array(best.enumerated().map { rank, entry in
                predictionJSON(entry.prediction, candidate: entry.candidate, model: model,
                               leading: [("rank", .int(rank + 1)), ("index", .int(entry.index))])
            })),
            ("machine_fields", .array(model.figures.fieldsUsed.map { field in
                .object([("field", .string(field.path)), ("provenance", .string(field.provenance.key)),
                         ("detail", .string(field.provenance.detail))])
            })),
        ])
    }
}

/// One prediction as JSON, every number in SI base units.
public func predictionJSON(_ p: Prediction, candidate: Candidate, model: CostModel, leading: [(String, JSONValue)] = []) -> JSONValue {
    var pairs = leading
    pairs.append(("schedule", .object(candidate.scheduleFields.map { ($0.key, $0.value.map(scalar) ?? .null) })))
    if let reason = p.infeasibility {
        pairs.append(("feasible", .bool(false)))
        pairs.append(("reason", .string(reason.message)))
        return .object(pairs)
    }
    let explanation = model.explain(p, for: candidate)
    pairs += [
        ("feasible", .bool(true)),
        ("time_s", .number(p.time.base)), ("lower_s", .number(p.lower.base)), ("upper_s", .number(p.upper.base)),
        ("bottleneck", .string(p.bottleneck.name)), ("explanation", .string(explanation.sentence)),
        ("resources_s", .object(Resource.allCases.map { ($0.name, .number(p.resources[$0].base)) })),
        ("flops", .number(p.flops)), ("achieved_flops_per_s", .number(p.achievedFlops.base)),
        ("achieved_dram_bytes_per_s", .number(p.achievedDRAM.base)),
        ("traffic_bytes", .object([("dram", .number(p.traffic.dram)), ("l2", .number(p.traffic.l2)),
                                   ("shared", .number(p.traffic.shared))])),
        ("kernels", .int(p.kernels)), ("grid", .int(p.grid)), ("threads_per_block", .int(p.threadsPerBlock)),
        ("registers_per_thread", .int(p.registersPerThread)), ("spilled_registers", .int(p.spilledRegisters)),
        ("shared_bytes", .int(p.sharedBytes)),
        ("occupancy", .object([("blocks_per_unit", .int(p.occupancy.blocksPerUnit)),
                               ("warps_per_unit", .int(p.occupancy.warpsPerUnit)),
                               ("fraction", .number(p.occupancy.fraction)),
                               ("limited_by", .string(p.occupancy.limiter.rawValue))])),
        ("waves", .number(p.waves)), ("matrix_path", .string(p.matrixPath.rawValue)),
    ]
    return .object(pairs)
}

/// "128" -> 128, "true" -> true, other text as a string.
public func scalar(_ text: String) -> JSONValue {
    if let number = Int(text) { return .int(number) }
    if text == "true" { return .bool(true) }
    if text == "false" { return .bool(false) }
    return .string(text)
}

/// A space's predicted best on one machine.
public func bestJSON(_ b: SpaceBest?) -> JSONValue {
    guard let b else { return .null }
    return .object([("machine", .string(b.machine)), ("index", .int(b.index)), ("label", .string(b.candidate.label)),
                    ("time_s", .number(b.prediction.time.base)), ("bottleneck", .string(b.prediction.bottleneck.name)),
                    ("feasible", .int(b.feasible)), ("explanation", .string(b.explanation)),
                    ("resources_s", .object(Resource.allCases.map { ($0.name, .number(b.prediction.resources[$0].base)) }))])
}

public func whatIfJSON(_ c: WhatIf.Comparison, space: CandidateSpace, machine: String) -> JSONValue {
    .object([("space", .string(space.name)), ("machine", .string(machine)),
             ("changes", .array(c.changes.map { .object([("field", .string($0.edit.path)), ("before", .string($0.before)), ("after", .string($0.after))]) })),
             ("as_is", bestJSON(c.baseline)), ("what_if", bestJSON(c.variant)),
             ("old_best_on_what_if_s", c.baselineOnVariant.map { .number($0.time.base) } ?? .null)])
}

public func compareJSON(space: CandidateSpace, results: [(machine: String, best: SpaceBest?, model: String)]) -> JSONValue {
    .object([("space", .string(space.name)),
             ("machines", .array(results.map { r in
                 guard case let .object(pairs) = bestJSON(r.best) else {
                     return .object([("machine", .string(r.machine)), ("model", .string(r.model)), ("feasible", .int(0))])
                 }
                 return .object(pairs + [("model", .string(r.model))])
             }))])
}

public func portJSON(_ report: Port.Report, from source: String, to target: String, refinement: String?) -> JSONValue {
    .object([
        ("space", .string(report.space)), ("from", .string(source)), ("to", .string(target)),
        ("refinement", refinement.map(JSONValue.string) ?? .null),
        ("source_best", bestJSON(report.sourceBest)), ("target_best", bestJSON(report.targetBest)),
        ("rows", .array(report.rows.map { r in
            .object([("label", .string(r.candidate.label)), ("source_rank", .int(r.sourceRank == Int.max ? 0 : r.sourceRank)),
                     ("target_rank", .int(r.targetRank == Int.max ? 0 : r.targetRank)),
                     ("source_s", .number(r.source.time.base)), ("target_s", r.target.isFeasible ? .number(r.target.time.base) : .null),
                     ("source_bound", .string(r.source.bottleneck.name)), ("target_bound", .string(r.target.isFeasible ? r.target.bottleneck.name : "infeasible"))])
        })),
        ("differences", .array(report.differences.map { .object([("field", .string($0.path)), ("from", .string($0.source)), ("to", .string($0.target)),
                                                                  ("ratio", $0.ratio.map(JSONValue.number) ?? .null)]) })),
        ("reasons", .array(report.reasons.map(JSONValue.string))),
    ])
}

public func fusionJSON(_ report: Fusion.Report, block: Block, machine: String, checks: [BlockGraph.NodeCheck]? = nil) -> JSONValue {
    let base = report.alternatives[0]
    var kernels: [(String, JSONValue)] = []
    if let checks {
        kernels.append(("kernels_as_run", .array(checks.map { c in
            var reason: JSONValue = .null
            if case let .unmodelled(why) = c.node.work { reason = .string(why) }
            return .object([("name", .string(c.node.name)), ("origin", c.node.origin.map(JSONValue.string) ?? .null),
                            ("measured_s", c.node.measured.map(JSONValue.number) ?? .null), ("unmodelled", reason),
                            ("best", bestJSON(c.best)), ("predicted_kernel_s", c.predicted.map(JSONValue.number) ?? .null),
                            ("error", c.error.map(JSONValue.number) ?? .null)])
        })))
    }
    return .object(kernels + [
        ("block", .string(block.name)), ("machine", .string(machine)),
        ("alternatives", .array(report.alternatives.map { a in
            .object([("name", .string(a.name)), ("time_s", a.feasible ? .number(a.time) : .null),
                     ("optimistic_s", a.feasible ? .number(a.optimistic) : .null), ("pessimistic_s", a.feasible ? .number(a.pessimistic) : .null),
                     ("dram_bytes", .number(a.dramBytes)), ("launches", .int(a.launches)),
                     ("saving_vs_first_s", a.saving.map(JSONValue.number) ?? .null),
                     ("saving_low_s", a.savingLow.map(JSONValue.number) ?? .null), ("saving_high_s", a.savingHigh.map(JSONValue.number) ?? .null),
                     ("verdict", .string(Fusion.verdict(base, a))),
                     ("kernels", .array(a.kernels.map { k in
                         .object([("name", .string(k.name)), ("best", bestJSON(k.best))])
                     }))])
        })),
    ])
}
