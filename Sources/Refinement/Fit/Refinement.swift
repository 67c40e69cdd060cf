import CostModel
import MachineModel
import Workloads

/// What refinement learned for one machine: fitted machine fields, per-family efficiency terms, calibrated bands,
/// and the error before and after on data the fit did not see. Read and written as a refinement file
/// (`calibration/results/<machine>/refinement.json`, docs/planner.md "kernelcast refine").
public struct Refinement: Sendable {
    public var machine: String
    /// ISO 8601, UTC.
    public var created: String
    /// The measurement files and store runs the fit used.
    public var sources: [String]
    /// How the fit was validated, in words.
    public var validation: String
    public var machineFields: [FittedField]
    public var families: [Family: FamilyRefinement]
    /// Set when the refinement was carried from another machine by a port.
    public var portedFrom: String?

    public init(machine: String, created: String, sources: [String], validation: String, machineFields: [FittedField],
                families: [Family: FamilyRefinement], portedFrom: String? = nil) {
        self.machine = machine
        self.created = created
        self.sources = sources
        self.validation = validation
        self.machineFields = machineFields
        self.families = families
        self.portedFrom = portedFrom
    }

    /// The family terms only (for another machine, whose own fields the fit says nothing about).
    public func withoutMachineFields() -> Refinement {
        var copy = self
        copy.machineFields = []
        return copy
    }
}

/// A machine field replaced by a fit: the model uses `value` as an achieved figure (provenance `measured`).
public struct FittedField: Hashable, Sendable {
    /// Dotted path: `memory.hbm.bandwidth`, `launch_overhead`.
    public var path: String
    /// In the field's SI base unit.
    public var value: Double
    public var unit: String
    /// What the machine said before, as written ("3.35 TB/s, spec").
    public var previous: String
    /// The fitted value over the value the model used before (after its achievable-share derating).
    public var scale: Double
    public var provenance: Provenance

    public init(path: String, value: Double, unit: String, previous: String, scale: Double, provenance: Provenance) {
        self.path = path
        self.value = value
        self.unit = unit
        self.previous = previous
        self.scale = scale
        self.provenance = provenance
    }
}

/// One family's fitted terms, its bands and what the fit achieved.
public struct FamilyRefinement: Sendable {
    /// Term name to fitted value; terms not listed keep the cost model's default.
    public var terms: [String: Double]
    public var bands: FamilyBands
    /// Error on the validation data before and after (nil when the family had no validation data).
    public var before: ErrorSummary?
    public var after: ErrorSummary?
    /// Whether the fitted terms are in use; a fit that did not improve validation error is recorded but not used.
    public var accepted: Bool
    /// Why not, or what was fitted, in words.
    public var note: String

    public init(terms: [String: Double], bands: FamilyBands, before: ErrorSummary?, after: ErrorSummary?, accepted: Bool, note: String) {
        self.terms = terms
        self.bands = bands
        self.before = before
        self.after = after
        self.accepted = accepted
        self.note = note
    }

    /// `base` with this family's accepted terms set.
    public func parameters(over base: Parameters) -> Parameters {
        guard accepted else { return base }
        var p = base
        for (name, value) in terms {
            if let term = ParameterTerm.named(name) { p[keyPath: term.keyPath] = value }
        }
        return p
    }
}

/// Errors of predictions against measurements.
public struct ErrorSummary: Hashable, Sendable {
    /// Timed results compared.
    public var count: Int
    /// Distinct shapes (spaces) they come from.
    public var shapes: Int
    /// Mean absolute percentage error.
    public var mape: Double
    /// Mean |ln(predicted / measured)|.
    public var meanLogError: Double
    /// Mean Spearman rank correlation within shapes of three or more results (nil when none).
    public var spearman: Double?
    /// Mean top-5 regret within shapes.
    public var top5Regret: Double?

    public init(count: Int, shapes: Int, mape: Double, meanLogError: Double, spearman: Double?, top5Regret: Double?) {
        self.count = count
        self.shapes = shapes
        self.mape = mape
        self.meanLogError = meanLogError
        self.spearman = spearman
        self.top5Regret = top5Regret
    }
}
