import CostModel
import Foundation
import MachineModel
import Refinement
import Workloads

/// Carries what refinement learned on a measured machine to one known only by its datasheet, and says how a space's
/// ranking changes there and why.
///
/// What travels: each family's efficiency terms as they are (they describe how code of that family uses any GPU of
/// the kind), and each fitted machine field as a *ratio*: the source's fitted value over what its spec gave the model,
/// applied to the target's own spec figure (an HBM that reaches 97% of the derated spec on the source is assumed to
/// on the target too). The bands widen by `widening` (docs/ports.md measures how much a port loses).
public enum Port {
    /// How much wider a ported band is than the source's (docs/ports.md).
    public static let defaultWidening = 1.5

    /// The refinement for `target`, carried from `source`'s.
    ///
    /// Nothing is carried between machines of different kinds (a CPU's terms and field ratios describe other code on
    /// other hardware: docs/ports.md measures a PoCL CPU refinement carried to the H100 making it worse); the
    /// result then has no terms and no fields, and says so.
    public static func carry(_ refinement: Refinement, from source: Machine, to target: Machine, widening: Double = defaultWidening) -> Refinement {
        var ported = refinement
        ported.machine = target.name
        ported.portedFrom = source.name
        ported.sources = refinement.sources
        ported.validation = "ported from \(source.name): \(refinement.validation)"
        if source.kind != target.kind {
            ported.validation = "nothing carried from \(source.name) (a \(source.kind.rawValue)) to \(target.name) (a \(target.kind.rawValue))"
            ported.machineFields = []
            ported.families = [:]
            return ported
        }
        let note = "ported from \(source.name), widened x\(formatSignificant(widening, digits: 3))"
        for (family, entry) in refinement.families {
            var e = entry
            e.bands = entry.bands.widened(by: widening, note: note)
            e.before = nil
            e.after = nil
            ported.families[family] = e
        }
        // Machine fields: the same scale on the target's own figure, by the level's role (device memory, L2).
        ported.machineFields = []
        let sourceTerms = Refiner.machineTerms(source)
        let targetTerms = Refiner.machineTerms(target)
        let sameArchitecture = source.identity.architecture == target.identity.architecture && source.identity.vendor == target.identity.vendor
        for sourceTerm in sourceTerms {
            guard let role = Self.role(of: sourceTerm.path, in: source) else { continue }
            let fitted = refinement.machineFields.first { $0.path == sourceTerm.path }
            let scale = fitted.map { $0.value / sourceTerm.current } ?? 1
            if let targetTerm = targetTerms.first(where: { Self.role(of: $0.path, in: target) == role }) {
                guard fitted != nil else { continue }
                // The target was never measured: the value stays `derived`, written before the achievable-share
                // derating the model applies to non-measured bandwidths, so that the model ends at current x scale.
                let measuredThere = Self.isMeasured(targetTerm.path, in: target)
                let derating = role.hasSuffix(".bandwidth") && !measuredThere
                    ? (role.hasPrefix("dram") ? Parameters.default.dramFraction : Parameters.default.l2Fraction) : 1
                ported.machineFields.append(FittedField(
                    path: targetTerm.path, value: targetTerm.current * scale / derating, unit: targetTerm.unit, previous: targetTerm.previous,
                    scale: scale, provenance: measuredThere ? .measured(run: "\(target.name)'s measurement, x\(formatSignificant(scale, digits: 3)) as fitted on \(source.name)")
                        : .derived(formula: "ported from \(source.name): x\(formatSignificant(scale, digits: 3)) of what the model used there, fitted to its measurements")))
            } else if sameArchitecture, role.hasSuffix(".latency"), let path = Self.path(of: role, in: target) {
                // A latency the target's datasheet does not state: the same architecture's (fitted) latency.
                ported.machineFields.append(FittedField(
                    path: path, value: sourceTerm.current * scale, unit: sourceTerm.unit, previous: "not given",
                    scale: scale, provenance: .derived(formula: "from \(source.name) (same architecture, \(source.identity.architecture)); \(target.name) states none")))
            }
        }
        return ported
    }

    static func isMeasured(_ path: String, in machine: Machine) -> Bool {
        machine.tree.fields.first { $0.path == path }?.number.provenance.isMeasured ?? false
    }

    /// The field of a role on a machine (`dram.latency` -> `memory.hbm.latency`).
    static func path(of role: String, in machine: Machine) -> String? {
        let parts = role.split(separator: ".").map(String.init)
        guard parts.count == 2 else { return nil }
        let level = parts[0] == "dram" ? machine.deviceMemory : machine.memory.last { $0.kind == .cache && $0.scope == .device }
        return level.map { "memory.\($0.name).\(parts[1])" }
    }

    /// `dram.bandwidth`, `l2.latency`, `launch`: what a field is to the model, whatever the level is called.
    static func role(of path: String, in machine: Machine) -> String? {
        if path == "launch_overhead" { return "launch" }
        let parts = path.split(separator: ".").map(String.init)
        guard parts.count == 3, parts[0] == "memory", let level = machine.level(parts[1]) else { return nil }
        if level.kind == .dram { return "dram.\(parts[2])" }
        if level.kind == .cache && level.scope == .device { return "l2.\(parts[2])" }
        return nil
    }

    public struct Row: Sendable {
        public var index: Int
        public var candidate: Candidate
        public var source: Prediction
        public var target: Prediction
        public var sourceRank: Int
        public var targetRank: Int
    }

    public struct Report: Sendable {
        public var space: String
        public var sourceBest: SpaceBest?
        public var targetBest: SpaceBest?
        /// The source's top candidates and the target's, with both predictions and ranks.
        public var rows: [Row]
        /// Machine fields the model reads that differ, with the ratio target / source.
        public var differences: [(path: String, source: String, target: String, ratio: Double?)]
        /// Why the choices change, in sentences.
        public var reasons: [String]
        /// Feasible candidates on each side.
        public var sourceFeasible: Int
        public var targetFeasible: Int
    }

    /// Ranks the space on both machines and explains the differences.
    public static func compare(_ space: CandidateSpace, source: PlanModel, target: PlanModel, top: Int = 5) -> Report {
        let s = Scorer.score(space, model: source)
        let t = Scorer.score(space, model: target)
        func ranking(_ scored: ScoredSpace) -> [Int: Int] {
            let order = scored.indices.indices.sorted { scored.times[$0] < scored.times[$1] || (scored.times[$0] == scored.times[$1] && scored.indices[$0] < scored.indices[$1]) }
            var rank: [Int: Int] = [:]
            for (r, i) in order.enumerated() { rank[scored.indices[i]] = r + 1 }
            return rank
        }
        let sRank = ranking(s), tRank = ranking(t)
        let picked = Set(sRank.filter { $0.value <= top }.keys).union(tRank.filter { $0.value <= top }.keys)
        let sCost = source.model(for: space.family), tCost = target.model(for: space.family)
        let rows = picked.map { index -> Row in
            let c = space.candidate(at: index)
            return Row(index: index, candidate: c, source: sCost.predict(c), target: tCost.predict(c),
                       sourceRank: sRank[index] ?? Int.max, targetRank: tRank[index] ?? Int.max)
        }.sorted { ($0.targetRank, $0.sourceRank) < ($1.targetRank, $1.sourceRank) }

        // Differences in what the model reads.
        let used = Set(CostModel(machine: source.machine).figures.fieldsUsed.map(\.path) + CostModel(machine: target.machine).figures.fieldsUsed.map(\.path))
        var differences: [(String, String, String, Double?)] = []
        for d in source.machine.difference(from: target.machine) where used.contains(d.path) || d.path.hasPrefix("compute.peak") {
            let a = d.left.map(Self.words) ?? "-", b = d.right.map(Self.words) ?? "-"
            if a != b { differences.append((d.path, a, b, d.ratio)) }
        }

        let sourceBest = WhatIf.best(space, model: source)
        let targetBest = WhatIf.best(space, model: target)
        var reasons: [String] = []
        if let sb = sourceBest, let tb = targetBest {
            let old = tCost.predict(sb.candidate)
            if sb.index == tb.index {
                reasons.append("the best stays \(sb.candidate.label): \(sb.prediction.time) on \(source.machine.name), \(tb.prediction.time) on \(target.machine.name) (\(WhatIf.shift(sb.prediction, tb.prediction)))")
            } else {
                let oldWords = old.isFeasible ? "the old best takes \(old.time) (\(old.bottleneck.name)-bound)"
                    : "the old best cannot run (\(old.infeasibility?.message ?? "infeasible"))"
                reasons.append("the best changes from \(sb.candidate.label) to \(tb.candidate.label): on \(target.machine.name) \(oldWords), the new one takes \(tb.prediction.time) (\(tb.prediction.bottleneck.name)-bound)")
                if old.isFeasible {
                    reasons.append("why: " + resourceDelta(old, tb.prediction, oldName: sb.candidate.label, newName: tb.candidate.label))
                }
            }
            // Ranking changes among the source's top picks.
            for row in rows where row.sourceRank <= top && row.targetRank > top {
                if row.target.isFeasible {
                    reasons.append("\(row.candidate.label) drops from #\(row.sourceRank) to #\(row.targetRank): \(row.target.bottleneck.name)-bound there at \(row.target.time)")
                } else {
                    reasons.append("\(row.candidate.label) (#\(row.sourceRank)) cannot run there: \(row.target.infeasibility?.message ?? "infeasible")")
                }
            }
        }
        if s.feasibleCount != t.feasibleCount {
            let lost = t.infeasible.map { "\($0.count) \($0.category) (e.g. \($0.example))" }.joined(separator: "; ")
            reasons.append("feasible: \(s.feasibleCount) on \(source.machine.name), \(t.feasibleCount) on \(target.machine.name)" + (lost.isEmpty ? "" : "; infeasible on \(target.machine.name): \(lost)"))
        }
        return Report(space: space.name, sourceBest: sourceBest, targetBest: targetBest, rows: rows, differences: differences,
                      reasons: reasons, sourceFeasible: s.feasibleCount, targetFeasible: t.feasibleCount)
    }

    /// A machine number in its display unit with four significant digits ("10.03 TB/s", "132").
    static func words(_ n: SourcedNumber) -> String {
        switch n.unit {
        case "B/s": BytesPerSecond(base: n.base).description
        case "B": Bytes(base: n.base).description
        case "s": Seconds(base: n.base).description
        case "Hz": Hertz(base: n.base).description
        case "FLOP/s": OpsPerSecond(base: n.base).description
        case "OP/s": OpsPerSecond(base: n.base).description.replacingOccurrences(of: "FLOP/s", with: "OP/s")
        default: formatSignificant(n.base)
        }
    }

    /// "the new best spends 40 us less on dram, 12 us more on matrix".
    static func resourceDelta(_ old: Prediction, _ new: Prediction, oldName: String, newName: String) -> String {
        let deltas = Resource.allCases.map { ($0, new.resources[$0].base - old.resources[$0].base) }
            .filter { abs($0.1) > 0.02 * max(old.time.base, new.time.base) }
            .sorted { abs($0.1) > abs($1.1) }
            .prefix(3)
        guard !deltas.isEmpty else { return "the two are within 2% on every resource" }
        return "\(newName) against \(oldName) there: " + deltas.map { r, d in
            "\(Seconds(base: abs(d))) \(d < 0 ? "less" : "more") \(r.name)"
        }.joined(separator: ", ")
    }
}
