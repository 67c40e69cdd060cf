import CostModel
import Workloads

/// One bounded efficiency term of the cost model that refinement may fit: a `Parameters` field, its bounds, and the
/// families whose predictions it moves.
///
/// Terms scale what the analytical model derives (a share of a peak, cycles of a fixed step, how far resources
/// overlap); they never replace a predicted time. Bounds keep a fit physical: no share of a peak above one, no
/// negative cycles.
public struct ParameterTerm: Sendable {
    /// The key in refinement files (snake_case).
    public let name: String
    public let keyPath: WritableKeyPath<Parameters, Double> & Sendable
    public let bounds: ClosedRange<Double>
    /// What the term means, for reports.
    public let meaning: String

    public init(_ name: String, _ keyPath: WritableKeyPath<Parameters, Double> & Sendable, _ bounds: ClosedRange<Double>, _ meaning: String) {
        self.name = name
        self.keyPath = keyPath
        self.bounds = bounds
        self.meaning = meaning
    }

    /// Every term refinement knows, by name.
    public static let all: [ParameterTerm] = [
        ParameterTerm("wgmma_fraction", \.wgmmaFraction, 0.4...1.0, "share of the matrix peak reached with wgmma"),
        ParameterTerm("single_warpgroup_fraction", \.singleWarpgroupFraction, 0.5...1.0, "share left when one warpgroup issues alone"),
        ParameterTerm("mma_sync_fraction", \.mmaSyncFraction, 0.15...0.9, "share of the matrix peak reached with mma.sync"),
        ParameterTerm("vector_fraction", \.vectorFraction, 0.3...1.0, "share of the vector peak reached by FMA loops"),
        ParameterTerm("shared_fraction", \.sharedFraction, 0.4...1.0, "share of the shared-memory bandwidth reached"),
        ParameterTerm("unit_load_fraction", \.unitLoadFraction, 0.2...1.0, "per-unit fill bandwidth from L2, share of L1's"),
        ParameterTerm("loaded_latency_factor", \.loadedLatencyFactor, 1.0...6.0, "loaded over unloaded memory latency"),
        ParameterTerm("l2_usable_fraction", \.l2UsableFraction, 0.3...1.0, "share of L2 holding reusable data"),
        ParameterTerm("dram_inflight_knee", \.dramInflightKnee, 1.0...16.0, "bytes in flight, over Little's need, past which DRAM slows"),
        ParameterTerm("dram_wide_range_penalty", \.dramWideRangePenalty, 0.0...0.03, "share of DRAM time added per doubling past that knee"),
        ParameterTerm("overlap", \.overlap, 0.0...0.8, "imperfect overlap: time = max + overlap x (sum - max)"),
        ParameterTerm("iteration_cycles", \.iterationCycles, 10...400, "cycles of bookkeeping per main-loop iteration"),
        ParameterTerm("block_cycles", \.blockCycles, 50...4000, "cycles to start and retire one block"),
        ParameterTerm("shuffle_cycles", \.shuffleCycles, 5...120, "cycles of one warp-shuffle step"),
        ParameterTerm("barrier_cycles", \.barrierCycles, 10...400, "cycles of one block barrier"),
        ParameterTerm("latency_margin", \.latencyMargin, 1.0...2.0, "margin on latency-bound chains"),
        ParameterTerm("following_launch_fraction", \.followingLaunchFraction, 0.05...1.0, "launch cost of a kernel that follows another, share of the overhead"),
        ParameterTerm("launch_fraction", \.launchFraction, 0.3...2.0, "share of the launch overhead a lone timed kernel shows"),
    ]

    /// The terms fitted for a family, in fitting order (the ones that move most time first).
    public static func terms(for family: Family) -> [ParameterTerm] {
        let names: [String]
        switch family {
        case .gemm:
            names = ["wgmma_fraction", "mma_sync_fraction", "single_warpgroup_fraction", "overlap", "iteration_cycles",
                     "block_cycles", "shared_fraction", "unit_load_fraction", "loaded_latency_factor", "l2_usable_fraction",
                     "latency_margin", "vector_fraction"]
        case .elementwise:
            names = ["overlap", "block_cycles", "loaded_latency_factor", "unit_load_fraction", "l2_usable_fraction",
                     "latency_margin", "following_launch_fraction", "launch_fraction", "dram_wide_range_penalty",
                     "dram_inflight_knee"]
        case .reduction:
            names = ["overlap", "block_cycles", "shuffle_cycles", "barrier_cycles", "loaded_latency_factor",
                     "unit_load_fraction", "latency_margin", "launch_fraction"]
        case .attention:
            names = ["wgmma_fraction", "mma_sync_fraction", "overlap", "iteration_cycles", "block_cycles",
                     "shuffle_cycles", "single_warpgroup_fraction", "loaded_latency_factor",
                     "following_launch_fraction", "latency_margin"]
        case .generic:
            names = ["overlap", "block_cycles", "latency_margin", "launch_fraction"]
        }
        return names.compactMap { name in all.first { $0.name == name } }
    }

    public static func named(_ name: String) -> ParameterTerm? { all.first { $0.name == name } }
}
