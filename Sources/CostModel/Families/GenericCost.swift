import MachineModel
import Workloads

extension CostModel {
    /// A sequence of kernels described by counters.
    public func predict(generic c: GenericCandidate) -> Prediction {
        var total: Prediction?
        for (index, kernel) in c.kernels.enumerated() {
            let next = predict(kernel: kernel, launch: launchCost(index: index))
            total = total.map { $0.followed(by: next) } ?? next
        }
        return total ?? .infeasible(.missing(key: .block))
    }

    func predict(kernel k: GenericKernel, launch: Double) -> Prediction {
        let f = figures
        let q = parameters
        // Rule: a block has at most max_threads_per_block threads.
        if k.block > f.maxThreadsPerBlock { return .infeasible(.threadsPerBlock(threads: k.block, limit: f.maxThreadsPerBlock)) }
        // Rule: one block may not use more shared memory than max_shared_memory_per_block.
        if k.sharedBytes > f.maxSharedPerBlock {
            return .infeasible(.sharedMemory(required: k.sharedBytes, limit: f.maxSharedPerBlock))
        }
        let registers = k.registersPerThread ?? 32
        let occupancy = f.occupancy(threadsPerBlock: k.block, registersPerThread: registers, sharedBytes: k.sharedBytes)
        if occupancy.blocksPerUnit == 0 { return .infeasible(doesNotFit(occupancy)) }
        var w = KernelWork(occupancy: occupancy)
        w.grid = k.grid
        w.threads = k.block
        w.registers = registers
        w.sharedBytes = k.sharedBytes
        w.launch = launch
        let blocks = Double(k.grid)
        var matrixPath = MatrixPath.none
        for work in k.flops {
            w.flops += work.operations
            switch work.unit {
            case .matrix:
                let rate = f.matrixPeak(work.precision)
                // Rule: matrix work needs a matrix rate for its precision.
                if rate == 0 { return .infeasible(.noMatrixRate(work.precision)) }
                w.matrixPerBlock += work.operations / blocks / rate
                matrixPath = .wgmma
            case .vector:
                let rate = f.vectorPeak(work.precision) > 0 ? f.vectorPeak(work.precision) : f.vectorPeak(.fp32)
                w.vectorPerBlock += work.operations / blocks / rate
                if matrixPath == .none { matrixPath = .vector }
            }
        }
        w.matrixPath = matrixPath
        w.specialPerBlock = k.specialOps / blocks / f.specialPerUnit
        var dram = 0.0
        for traffic in k.bytes {
            guard let level = machine.level(addressed: traffic.level) else { return .infeasible(.unknownMemoryLevel) }
            switch (level.kind, level.scope) {
            case (.dram, _):
                dram += traffic.bytes
                w.dramBytes += traffic.bytes
            case (.cache, .device):
                w.l2Bytes += traffic.bytes
            case (.cache, .unit), (.scratchpad, _), (.registers, _):
                w.sharedPerBlock += traffic.bytes / blocks / f.sharedBandwidthPerUnit
                w.sharedBytesMoved += traffic.bytes
            default:
                w.dramBytes += traffic.bytes
            }
        }
        // Traffic that reaches device memory passes through L2 too.
        w.l2Bytes = max(w.l2Bytes, dram)
        let perBlock = (w.dramBytes + w.l2Bytes) / blocks
        w.chainPerBlock = (dram > 0 ? f.dramLatency : f.l2Latency) + perBlock / f.unitLoadBandwidth + q.blockCycles / f.clock
        // Counters say how many bytes a block moves, not how many it keeps in flight: at most all of them.
        w.inflightPerBlock = w.dramBytes / blocks
        w.inflightIsExact = false
        return f.evaluate(w, overlap: q.overlap, latencyMargin: q.latencyMargin)
    }
}
