import CostModel
import MachineModel
import Refinement
import Workloads

/// The predicted best of a space on one machine: what it is, how long it takes, what binds it.
public struct SpaceBest: Sendable {
    public var machine: String
    public var index: Int
    public var candidate: Candidate
    public var prediction: Prediction
    public var feasible: Int
    public var explanation: String
}

/// What-if answers: the same space on a changed machine, or on several machines side by side.
public enum WhatIf {
    /// The best predicted candidate of a space, or nil when nothing is feasible.
    public static func best(_ space: CandidateSpace, model: PlanModel) -> SpaceBest? {
        let scored = Scorer.score(space, model: model)
        guard let i = scored.fastest else { return nil }
        let index = scored.indices[i]
        let candidate = space.candidate(at: index)
        let cost = model.model(for: space.family)
        let prediction = cost.predict(candidate)
        return SpaceBest(machine: model.machine.name, index: index, candidate: candidate, prediction: prediction,
                         feasible: scored.feasibleCount, explanation: cost.explain(prediction, for: candidate).sentence)
    }

    public struct Change: Sendable {
        public var edit: MachineEdit
        public var before: String
        public var after: String
    }

    public struct Comparison: Sendable {
        public var changes: [Change]
        public var baseline: SpaceBest?
        public var variant: SpaceBest?
        /// The baseline's best schedule predicted on the changed machine.
        public var baselineOnVariant: Prediction?
    }

    /// Applies `edits` to the model's machine and compares the space's best before and after.
    public static func compare(_ space: CandidateSpace, model: PlanModel, edits: [MachineEdit]) throws(RefinementError) -> Comparison {
        var machine = model.machine
        var changes: [Change] = []
        for edit in edits {
            let (before, after) = try edit.apply(to: &machine)
            changes.append(Change(edit: edit, before: before, after: after))
        }
        // The model's machine already carries any refined fields; the variant keeps them and the family terms.
        let variantModel = PlanModel(machine: machine, refinement: model.refinement?.withoutMachineFields())
        let baseline = best(space, model: model)
        let variant = best(space, model: variantModel)
        let carried = baseline.map { variantModel.predict($0.candidate) }
        return Comparison(changes: changes, baseline: baseline, variant: variant, baselineOnVariant: carried)
    }

    /// Machines put on the same footing for a comparison: a latency (or the launch overhead, the sustained matrix
    /// rate, the block dispatch interval) that one machine does not state is left to the model's default on every
    /// machine, so that a figure only one datasheet publishes does not decide which machine is faster. Returns the
    /// machines and the fields so aligned.
    public static func alike(_ machines: [Machine]) -> (machines: [Machine], aligned: [String]) {
        var machines = machines
        var aligned: [String] = []
        for role in Machine.levelRoles {
            let levels = machines.map { $0.level(addressed: role) }
            guard levels.allSatisfy({ $0 != nil }), levels.contains(where: { $0?.latency == nil }),
                  levels.contains(where: { $0?.latency != nil }) else { continue }
            for (i, level) in levels.enumerated() {
                guard let name = level?.name, let index = machines[i].memory.firstIndex(where: { $0.name == name }) else { continue }
                machines[i].memory[index].latency = nil
            }
            aligned.append("\(role) latency")
        }
        // A launch overhead, a sustained matrix rate (it slows the machine that states it) or a dispatch interval that
        // only some machines state would count against those.
        func align<Value>(_ field: WritableKeyPath<Machine, Value?>, _ name: String) {
            guard machines.contains(where: { $0[keyPath: field] == nil }), machines.contains(where: { $0[keyPath: field] != nil }) else { return }
            for i in machines.indices { machines[i][keyPath: field] = nil }
            aligned.append(name)
        }
        align(\.launchOverhead, "launch overhead")
        align(\.compute.sustainedMatrixRate, "sustained matrix rate")
        align(\.compute.blockDispatchInterval, "block dispatch interval")
        return (machines, aligned)
    }

    /// The sentence on a bottleneck shift: "latency -> matrix".
    public static func shift(_ a: Prediction?, _ b: Prediction?) -> String {
        guard let a, let b else { return "-" }
        return a.bottleneck == b.bottleneck ? "\(a.bottleneck.name) (unchanged)" : "\(a.bottleneck.name) -> \(b.bottleneck.name)"
    }
}
