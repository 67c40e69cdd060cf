import Foundation
import MachineModel
import Testing
@testable import Calibration

@Suite struct PlateauTests {
    /// Footprints 4 KiB ... 64 MiB in 1.5x half steps.
    static let footprints = SuiteSettings.footprints(from: 4096, to: 64 << 20, halfSteps: true)

    static func curve(_ noise: Double = 0, seed: UInt64 = 1) -> [Double] {
        var random = SplitMix64(seed: seed)
        return footprints.map { footprint in
            let value = SyntheticCPU.level(Double(footprint)).bandwidth
            let jitter = 1 + noise * (Double(random.next() % 2001) / 1000 - 1)
            return value * jitter
        }
    }

    @Test func findsEachStepOfAStaircase() {
        let knees = PlateauFinder.knees(footprints: Self.footprints, values: Self.curve(), rising: false)
        #expect(knees.count == 3)
        for (knee, level) in zip(knees, SyntheticCPU.levels) {
            let ratio = Double(knee.capacity) / level.capacity
            #expect(ratio >= 1 && ratio <= 1.3, "knee \(knee.capacity) for a \(level.capacity)-byte level")
            #expect(abs(knee.inside.level / level.bandwidth - 1) < 0.01)
        }
    }

    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func toleratesFivePercentNoise(seed: UInt64) {
        let knees = PlateauFinder.knees(footprints: Self.footprints, values: Self.curve(0.05, seed: seed), rising: false)
        #expect(knees.count == 3)
        for (knee, level) in zip(knees, SyntheticCPU.levels) {
            let ratio = Double(knee.capacity) / level.capacity
            #expect(ratio > 0.75 && ratio < 1.5)
        }
    }

    @Test func ignoresAnOutlier() {
        var values = Self.curve()
        values[3] *= 3
        values[20] /= 4
        #expect(PlateauFinder.knees(footprints: Self.footprints, values: values, rising: false).count == 3)
    }

    @Test func latencyStepsRise() {
        let latencies = Self.footprints.map { SyntheticCPU.level(Double($0)).latency }
        let knees = PlateauFinder.knees(footprints: Self.footprints, values: latencies, rising: true)
        #expect(knees.map { $0.inside.level } == [1.5e-9, 5e-9, 20e-9])
    }

    @Test func aFlatCurveHasNoKnee() {
        #expect(PlateauFinder.knees(footprints: Self.footprints, values: Self.footprints.map { _ in 5e10 }, rising: false).isEmpty)
    }

    @Test func matchesKneesToLevelsBySizeAndSkipsStrays() throws {
        let machine = try SyntheticCPU.machine()
        let caches = machine.memory.filter { $0.kind == .cache }
        let plateau = Plateau(first: 0, last: 1, level: 1)
        // A stray step at 3 MiB (a TLB's reach, say) is more than 4x from L2 and nearer L3 than L3's own step.
        let knees = [36 << 10, 3 << 20, 9 << 20].map { Knee(capacity: $0, inside: plateau, beyond: plateau) }
        let pairs = PlateauFinder.match(knees, to: caches.map { ($0, $0.size?.value.base) })
        #expect(pairs.map { $0.knee?.capacity } == [36 << 10, nil, 9 << 20])
        #expect(pairs.map(\.level.name) == ["l1", "l2", "l3"])
    }

    @Test func rangesLieWellInsideEachLevel() throws {
        let machine = try SyntheticCPU.machine()
        let levels = machine.memory.map { ($0, $0.size?.value.base) }
        let ranges = PlateauFinder.insideRanges(levels)
        #expect(ranges.map(\.range?.upperBound).prefix(3) == [24_576.0, 393_216.0, 6_291_456.0])
        #expect(ranges.map(\.range?.lowerBound).dropFirst() == [(65_536.0).nextUp, (1_048_576.0).nextUp, 25_165_824.0])
    }

    /// The H100's L2 (52 MiB measured, inside range 480 KiB to 39 MiB): its bandwidth comes from 17.3 MiB up, where
    /// data spreads over both partitions; a range wholly below a third of the size has no such part.
    @Test func aCacheBandwidthComesFromFootprintsSpreadOverTheLevel() {
        let size = 52.0 * 1_048_576
        let spread = PlateauFinder.spreadRange(of: (2 * 245_760.0)...(0.75 * size), size: size)
        #expect(spread == (size / 3)...(0.75 * size))
        #expect(PlateauFinder.spreadRange(of: 1024.0...4096.0, size: 65_536) == nil)
    }

    /// A busy host can measure an L2 only a little over twice the L1 (40 KiB, 96 KiB): no footprint lies well inside
    /// it, so it gets no range, and the levels outside it still do.
    @Test func aLevelTooCloseToTheOneInsideGetsNoRange() throws {
        let machine = try SyntheticCPU.machine()
        var levels = machine.memory.map { ($0, $0.size?.value.base) }
        levels[0].1 = 40 * 1024
        levels[1].1 = 96 * 1024
        let ranges = PlateauFinder.insideRanges(levels)
        #expect(ranges[0].range != nil && ranges[1].range == nil)
        #expect(ranges[2].range?.lowerBound == (2.0 * 96 * 1024).nextUp)
    }

    @Test(arguments: [(725_504.0, 704 << 10), (33_554_432.0, 32 << 20), (37_748_736.0, 36 << 20), (5.0, 5)])
    func roundsCapacities(bytes: Double, expected: Int) {
        #expect(PlateauFinder.roundCapacity(bytes) == expected)
    }
}
