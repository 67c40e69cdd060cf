import Foundation
import Refinement
import Workloads

/// What hardware has said about candidates of one space so far: measured times and rejections, by space index.
public struct SpaceKnowledge: Sendable {
    public struct Measured: Hashable, Sendable {
        public var median: Double
        /// The spread of the samples (20th and 80th percentile), when known.
        public var low: Double?
        public var high: Double?

        public init(median: Double, low: Double? = nil, high: Double? = nil) {
            self.median = median
            self.low = low
            self.high = high
        }

        /// The measured interval, never narrower than +-1% of the median (repeat runs differ by about that).
        public var interval: (optimistic: Double, pessimistic: Double) {
            (min(low ?? median, median * 0.99), max(high ?? median, median * 1.01))
        }

        /// Spread past which a measurement says more about the host than the kernel: repeat runs on a quiet device
        /// differ by about 1%, while a device shared with other work spreads its runs by tens of percent (a busy
        /// host's demo stored runs spread 55-88%).
        public static let noisySpread = 0.25

        /// The spread between the 20th and 80th percentiles, over the median.
        public var spread: Double {
            guard let low, let high, median > 0 else { return 0 }
            return (high - low) / median
        }

        /// Too noisy to anchor the scale or to rule candidates out (`noisySpread`).
        public var isNoisy: Bool { spread > Self.noisySpread }
    }

    public var measured: [Int: Measured] = [:]
    /// Candidates the verifier rejected (wrong results, does not build), with its reason.
    public var rejected: [Int: String] = [:]

    public init(measured: [Int: Measured] = [:], rejected: [Int: String] = [:]) {
        self.measured = measured
        self.rejected = rejected
    }

    public var isEmpty: Bool { measured.isEmpty && rejected.isEmpty }
}

/// The scale of a space fixed by its measurements: the mean of ln(measured / predicted) over what was measured
/// there. Once anchored, the rest of the space takes the family's within-space band, widened by the uncertainty of
/// that mean (half the band's width over the square root of the count).
public struct SpaceAnchor: Hashable, Sendable {
    public var offset: Double
    public var count: Int

    public init(residuals: [Double]) {
        count = residuals.count
        offset = residuals.isEmpty ? 0 : residuals.reduce(0, +) / Double(residuals.count)
    }

    /// The band that applies: `total` with nothing measured, `within` widened once anchored.
    public func band(_ within: UncertaintyBand, _ total: UncertaintyBand) -> UncertaintyBand {
        guard count > 0 else { return total }
        var band = within.widened(byLog: (within.above - within.below) / 2 / Double(count).squareRoot())
        band.source = "\(within.source); scale anchored by \(count) measurement(s) of this space"
        return band
    }
}
