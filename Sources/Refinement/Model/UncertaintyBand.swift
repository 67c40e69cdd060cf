import CostModel
import Foundation

/// How far a measured time may fall from a prediction: the interval a planner trusts when it prunes.
///
/// Written as natural-log ratios ln(measured / predicted): a candidate predicted at t lies in
/// `t x exp(below) ... t x exp(above)`. Bands are calibrated (`Refiner`) from residuals of shapes the fit did not
/// see, per family and, where enough residuals exist, per bottleneck, so that they cover `coverage` of them. The
/// model's own `lower`/`upper` bounds (perfect overlap, none) are not used: on the H100 data the measured time sits
/// well inside them and their width says little about the error.
public struct UncertaintyBand: Hashable, Sendable {
    /// ln of the optimistic factor (at most 0).
    public var below: Double
    /// ln of the pessimistic factor (at least 0).
    public var above: Double
    /// The share of held-out results the band was calibrated to cover.
    public var coverage: Double
    /// Where the band comes from, in words ("out-of-fold residuals of 300 results over 5 shapes").
    public var source: String

    public init(below: Double, above: Double, coverage: Double, source: String) {
        self.below = below
        self.above = above
        self.coverage = coverage
        self.source = source
    }

    /// The band of a machine nothing has been measured on: about the spread of the unrefined model's residuals on
    /// the H100 hold-out spaces (5th to 95th percentile, all families), rounded outwards (docs/planner.md).
    public static let uncalibrated = UncertaintyBand(
        below: -0.6, above: 0.6, coverage: 0.9, source: "uncalibrated default (x0.55 to x1.8)")

    /// Within one space once measurements fix its scale: about the spread of residuals around their space's mean
    /// on the H100 hold-out spaces, rounded outwards.
    public static let uncalibratedWithinSpace = UncertaintyBand(
        below: -0.45, above: 0.45, coverage: 0.9, source: "uncalibrated default within a space (x0.64 to x1.57)")

    /// The band widened by a factor on both sides (a port to a machine never measured is less certain).
    public func widened(by factor: Double, note: String) -> UncertaintyBand {
        UncertaintyBand(below: below * factor, above: above * factor, coverage: coverage, source: "\(source); \(note)")
    }

    /// The band widened by `margin` (ln) on both sides.
    public func widened(byLog margin: Double) -> UncertaintyBand {
        UncertaintyBand(below: below - margin, above: above + margin, coverage: coverage, source: source)
    }

    /// The two multipliers, shifted by `offset` (ln).
    public func factors(offset: Double = 0) -> BandFactors {
        BandFactors(optimistic: exp(below + offset), pessimistic: exp(above + offset))
    }
}

/// A band's two multipliers, precomputed for the hot loop.
public struct BandFactors: Hashable, Sendable {
    public var optimistic: Double
    public var pessimistic: Double

    public init(optimistic: Double, pessimistic: Double) {
        self.optimistic = optimistic
        self.pessimistic = pessimistic
    }
}

/// A family's bands: before anything is measured in a space, and once its scale is anchored by measurements; each
/// overall and per bottleneck (where refinement had enough residuals of that bottleneck).
public struct FamilyBands: Hashable, Sendable {
    public var total: UncertaintyBand
    public var withinSpace: UncertaintyBand
    public var totalByBottleneck: [Resource: UncertaintyBand]
    public var withinSpaceByBottleneck: [Resource: UncertaintyBand]

    public init(total: UncertaintyBand, withinSpace: UncertaintyBand, totalByBottleneck: [Resource: UncertaintyBand] = [:],
                withinSpaceByBottleneck: [Resource: UncertaintyBand] = [:]) {
        self.total = total
        self.withinSpace = withinSpace
        self.totalByBottleneck = totalByBottleneck
        self.withinSpaceByBottleneck = withinSpaceByBottleneck
    }

    public static let uncalibrated = FamilyBands(total: .uncalibrated, withinSpace: .uncalibratedWithinSpace)

    /// The band of a candidate with this bottleneck.
    public func band(for bottleneck: Resource, anchored: Bool) -> UncertaintyBand {
        anchored ? (withinSpaceByBottleneck[bottleneck] ?? withinSpace) : (totalByBottleneck[bottleneck] ?? total)
    }

    /// Every band widened by a factor (ports).
    public func widened(by factor: Double, note: String) -> FamilyBands {
        FamilyBands(total: total.widened(by: factor, note: note), withinSpace: withinSpace.widened(by: factor, note: note),
                    totalByBottleneck: totalByBottleneck.mapValues { $0.widened(by: factor, note: note) },
                    withinSpaceByBottleneck: withinSpaceByBottleneck.mapValues { $0.widened(by: factor, note: note) })
    }
}
