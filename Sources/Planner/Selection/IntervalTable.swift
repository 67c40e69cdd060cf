import CostModel
import Refinement

/// The intervals of one space as the hot loop computes them: one pair of multipliers per bottleneck, applied to
/// predicted times already on the space's measured scale (`Plan.times`).
public struct IntervalTable: Sendable {
    var factors: [BandFactors]
    /// The band of the space as a whole, for reports.
    public let band: UncertaintyBand

    init(bands: FamilyBands, anchor: SpaceAnchor) {
        band = anchor.band(bands.withinSpace, bands.total)
        factors = Resource.allCases.map { resource in
            anchor.band(bands.band(for: resource, anchored: true), bands.band(for: resource, anchored: false)).factors()
        }
    }

    /// `time x optimistic`, `time x pessimistic` for the candidate's bottleneck.
    ///
    /// - Complexity: O(1), no allocation.
    @inline(__always)
    public func interval(time: Double, bottleneck: Resource) -> (optimistic: Double, pessimistic: Double) {
        let f = factors[bottleneck.rawValue]
        return (time * f.optimistic, time * f.pessimistic)
    }
}
