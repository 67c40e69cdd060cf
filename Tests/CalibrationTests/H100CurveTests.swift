import Foundation
import MachineModel
import Testing
@testable import Calibration

/// Curves measured on an NVIDIA H100 80GB HBM3 through its OpenCL driver (run cal-h100-sxm-20261125-020259):
/// the fitting must find the L1, the L2's near-partition reach and the whole L2.
@Suite struct H100CurveTests {
    static let footprints = [
        4096, 6144, 8192, 12288, 16384, 24576, 32768, 49152, 65536, 98304, 131072, 196608, 262144, 393216, 524288,
        786432, 1048576, 1572864, 2097152, 3145728, 4194304, 6291456, 8388608, 12582912, 16777216, 25165824, 33554432,
        50331648, 67108864, 100663296, 134217728, 201326592, 268435456, 402653184, 536870912,
    ]
    static let latencies = [
        19.76, 19.77, 19.75, 19.76, 19.71, 19.7, 19.69, 19.7, 19.76, 19.75, 19.74, 19.75, 82.96, 146.5, 146.1, 146.1,
        146.6, 146.2, 146.2, 146.2, 145.7, 146, 146.3, 146.3, 146.3, 155.9, 270, 279.7, 349.8, 347.5, 297.5, 314, 321.8,
        332.9, 337.7,
    ].map { $0 * 1e-9 }
    static let spreads = [
        0.004, 0.003, 0.007, 0.006, 0.006, 0.006, 0.003, 0.007, 0.006, 0.002, 0.003, 0.004, 0.010, 0.019, 0.003, 0.004,
        0.009, 0.002, 0.003, 0.003, 0.006, 0.005, 0.004, 0.003, 0.006, 0.027, 0.014, 0.033, 0.016, 0.016, 0.064, 0.033,
        0.021, 0.022, 0.015,
    ]

    @Test func latencyStepsOfTheH100() throws {
        let knees = PlateauFinder.knees(footprints: Self.footprints, values: Self.latencies, rising: true,
                                        noise: PlateauFinder.noise(spreads: Self.spreads, values: Self.latencies))
        let capacities = knees.map { Double($0.capacity) / 1_048_576 }
        // L1 (about 200 KiB of the 256 KiB left to the cache), near L2 (about 28 MiB), the whole L2 (about 50 MiB).
        #expect(knees.count == 3, "\(capacities) MiB")
        #expect(capacities.first.map { $0 > 0.15 && $0 < 0.3 } == true)
        #expect(capacities.last.map { $0 > 40 && $0 < 70 } == true, "\(capacities) MiB; plateaus \(knees.map { ($0.inside.level, $0.beyond.level) })")

        let spec = try MachineFile.load(path: repositoryRoot.appendingPathComponent("machines/h100-sxm.yaml").path)
        let caches = spec.memory.filter { $0.kind == .cache }
        let pairs = PlateauFinder.match(knees, to: caches.map { ($0, $0.size?.value.base) })
        #expect(pairs.map(\.level.name) == ["l1", "l2"])
        #expect(pairs[1].knee.map { Double($0.capacity) / 1_048_576 > 40 } == true)
        // Past the whole L2 the walk is at device memory's latency at once: the step is the level's end.
        #expect(pairs[1].knee.flatMap { PlateauFinder.reach(of: $0, footprints: Self.footprints, values: Self.latencies) } == nil)
    }
}

/// The same walk on an NVIDIA H200 (run cal-h200-sxm-20261204-190552): one step out of L2, at its near partition's
/// reach, because the far partition (269 ns at 48 MiB) is too close to HBM (about 322 ns) for a plateau of its own.
@Suite struct H200CurveTests {
    static let latencies = [
        19.85, 19.87, 19.87, 19.87, 19.86, 19.85, 19.87, 19.87, 19.86, 19.87, 19.88, 19.9, 82.36, 145.2, 145.5, 145.1,
        144.9, 145.2, 145.1, 144.8, 145.1, 145.2, 145.1, 145, 145, 146.1, 221.1, 268.8, 342.2, 349.9, 289.4, 308.1,
        316.5, 328.2, 335.8,
    ].map { $0 * 1e-9 }
    static let spreads = [
        0.011, 0.003, 0.005, 0.002, 0.013, 0.003, 0.002, 0.001, 0.008, 0.009, 0.010, 0.003, 0.026, 0.002, 0.001, 0.006,
        0.002, 0.005, 0.002, 0.005, 0.006, 0.004, 0.009, 0.004, 0.006, 0.011, 0.047, 0.013, 0.018, 0.020, 0.050, 0.039,
        0.016, 0.032, 0.022,
    ]

    @Test func theL2ReachesPastItsNearPartition() throws {
        let knees = PlateauFinder.knees(footprints: H100CurveTests.footprints, values: Self.latencies, rising: true,
                                        noise: PlateauFinder.noise(spreads: Self.spreads, values: Self.latencies))
        #expect(knees.map(\.capacity) == [240 << 10, 32 << 20])
        // 0.9 x 322 ns = 290 ns falls between 48 MiB (269 ns) and 64 MiB (342 ns), 36% of the way in log space.
        #expect(PlateauFinder.reach(of: knees[1], footprints: H100CurveTests.footprints, values: Self.latencies) == 52 << 20)
    }

    @Test func aCalibrationSizesTheWholeL2() throws {
        let spec = try MachineFile.load(path: repositoryRoot.appendingPathComponent("machines/h200-sxm.yaml").path)
        let run = try String(contentsOf: repositoryRoot.appendingPathComponent(
            "calibration/results/h200-sxm/cal-h200-sxm-20261204-190552.json"), encoding: .utf8)
        let refit = try CalibrationRefit.refit(run, file: "cal-h200-sxm-20261204-190552.json", spec: spec)
        let fits = Dictionary(refit.fits.map { ($0.path, $0.value.base) }, uniquingKeysWith: { a, _ in a })
        #expect(fits["memory.l2.size"] == Double(52 << 20))
        // The latencies stay those of the near partition and of HBM.
        #expect(fits["memory.l2.latency"].map { abs($0 / 145.1e-9 - 1) < 0.01 } == true)
        #expect(fits["memory.hbm.latency"].map { abs($0 / 322.3e-9 - 1) < 0.01 } == true)
    }
}
