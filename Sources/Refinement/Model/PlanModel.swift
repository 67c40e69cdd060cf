import CostModel
import MachineModel
import Workloads

/// The cost model as the planner uses it: one `CostModel` per kernel family (each with its own efficiency terms),
/// on a machine whose fields a refinement may have replaced, and the uncertainty band of each family.
///
/// Without a refinement every family uses the cost model's default `Parameters` and the uncalibrated bands.
public struct PlanModel: Sendable {
    /// The machine as predicted on: the given machine with the refinement's fitted fields applied.
    public let machine: Machine
    /// The refinement in use, if any.
    public let refinement: Refinement?
    /// How the kernels predicted are timed (a burst for a profiler trace, sustained for benchmark loops).
    public let timing: Timing
    private let models: [CostModel]
    private let bands: [FamilyBands]

    /// - Parameter refinement: fitted terms for this machine (or carried from another one by a port).
    /// A refinement fitted on another machine carries its family terms only: its fitted machine fields describe
    /// that machine (a port sets `machine` to its target and keeps the fields it scaled).
    public init(machine: Machine, refinement: Refinement? = nil, timing: Timing = .sustained) {
        let refinement = refinement.map { $0.machine == machine.name ? $0 : $0.withoutMachineFields() }
        var effective = machine
        if let refinement {
            for field in refinement.machineFields {
                // A field the machine cannot take (a level it lacks) is skipped: a port carries what fits.
                _ = try? MachineEdit(path: field.path, value: .absolute(field.value)).apply(to: &effective, provenance: field.provenance)
            }
        }
        self.machine = effective
        self.refinement = refinement
        self.timing = timing
        models = Family.allCases.map { family in
            CostModel(machine: effective, parameters: refinement?.families[family]?.parameters(over: .default) ?? .default, timing: timing)
        }
        bands = Family.allCases.map { refinement?.families[$0]?.bands ?? .uncalibrated }
    }

    /// The cost model of one family.
    public func model(for family: Family) -> CostModel { models[family.ordinal] }

    /// The uncertainty bands of one family.
    public func bands(for family: Family) -> FamilyBands { bands[family.ordinal] }

    /// Predicts one candidate with its family's model.
    public func predict(_ candidate: Candidate) -> Prediction { models[candidate.family.ordinal].predict(candidate) }

    /// The same model on another machine (what-if edits, ports): machine-field fits are not carried, family terms are.
    public func on(_ other: Machine) -> PlanModel {
        PlanModel(machine: other, refinement: refinement?.withoutMachineFields(), timing: timing)
    }

    /// The same model for kernels timed another way.
    public func timed(_ timing: Timing) -> PlanModel {
        timing == self.timing ? self : PlanModel(machine: machine, refinement: refinement, timing: timing)
    }
}

extension Family {
    /// Position in `allCases`, without searching.
    @inline(__always) var ordinal: Int {
        switch self {
        case .gemm: 0
        case .elementwise: 1
        case .reduction: 2
        case .attention: 3
        case .generic: 4
        }
    }
}
