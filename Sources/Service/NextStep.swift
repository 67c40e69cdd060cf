import CostModel

/// What to try next on a candidate, by what bounds it: a sentence an agent can act on. Each line says why.
enum NextStep {
    static func advice(_ p: Prediction) -> String {
        let occupancyLow = p.occupancy.fraction < 0.25
        switch p.bottleneck {
        case .matrix:
            return "matrix units bound it: the schedule is near what the tensor cores give; only less work (a lower precision such as fp8, or skipping work) moves it"
        case .vector:
            return "vector arithmetic bounds it: move products to matrix units (matrix_units: true), or do fewer operations per element"
        case .special:
            return "special functions (exp, rsqrt, erf) bound it: use cheaper forms (exp2 with a folded scale, tanh-GELU) or fewer of them per element"
        case .shared:
            return "shared-memory bandwidth bounds it: larger block_k or larger register tiles reuse each loaded value more"
        case .l2:
            return "L2 bandwidth bounds it: larger tiles (block_m, block_n) or group_m rasterisation keep more reuse on chip"
        case .dram:
            return "device memory bounds it: fuse it with its neighbours or use a smaller number format to cut bytes; schedule changes barely help"
        case .latency:
            return occupancyLow
                ? "latency bounds it at low occupancy (\(p.occupancy.limiter.rawValue) limits it): fewer registers or less shared memory per block, or more warps"
                : "latency bounds it: keep more in flight (more stages, more elements per thread) or give each unit more blocks"
        case .pipeline:
            return "the software pipeline fills and drains: more stages, or fewer and longer tiles per block"
        case .launch:
            return "launch overhead bounds it: fuse kernels or capture the sequence in a graph"
        }
    }
}
