import MachineModel

/// The machine's numbers as the hot path needs them: plain doubles per unit, efficiency already applied, with the
/// provenance of every field used kept aside for the report.
///
/// Built once per model so that predicting never touches a dictionary or a string.
public struct MachineFigures: Sendable {
    public var units: Double
    public var unitCount: Int
    public var clock: Double
    public var warpWidth: Int
    /// Matrix and vector peak per unit (FLOP/s), indexed by `Precision.ordinal`; 0 where the machine has none.
    var matrixPeakPerUnit: [Double]
    /// The share of its burst matrix ceiling a full device keeps at its power limit (the fp16 ceiling anchored on
    /// `compute.sustained_matrix_rate` over the one anchored on the measured peak, when timed sustained; 1
    /// otherwise), already taken out of `matrixPeakPerUnit`.
    var powerLimitedFraction = 1.0
    var vectorPeakPerUnit: [Double]
    /// Special-function evaluations per second per unit.
    var specialPerUnit: Double
    /// Warp instructions issued per second per unit (the fp32 vector rate: one FMA lane-op per lane per clock).
    var issuePerUnit: Double
    /// Cost per element of each named op, indexed by `ElementOp.ordinal`.
    var elementOpCosts: [ElementOpCost]

    // occupancy rules
    var maxThreadsPerUnit: Int
    var maxWarpsPerUnit: Int
    var maxBlocksPerUnit: Int
    var maxThreadsPerBlock: Int
    var registersPerUnit: Int
    var maxRegistersPerThread: Int
    var registerAllocationUnit: Int
    var sharedPerUnit: Int
    var maxSharedPerBlock: Int
    var reservedSharedPerBlock: Int
    var sharedAllocationUnit: Int
    /// Register files per unit (warp schedulers); NVIDIA allocates registers per sub-partition.
    var subPartitions: Int
    /// Whether the matrix units take asynchronous warpgroup MMAs (wgmma, NVIDIA compute capability 9.0 and
    /// later). Elsewhere the synchronous warp-level MMA (mma.sync, MFMA) is the native path and reaches the rate
    /// the wgmma path reaches on Hopper.
    public var asyncMatrixUnits: Bool

    // memory
    var dramBandwidth: Double
    var dramLatency: Double
    var l2Bandwidth: Double
    var l2Latency: Double
    /// Pointer-chase latencies, for queueing.
    var unloadedL2Latency: Double
    var unloadedDRAMLatency: Double
    var utilisationCap: Double
    /// Bytes in flight per unit past which DRAM slows, and the slowdown per doubling past it.
    var dramInflightKnee: Double
    var dramWideRangePenalty: Double
    var dramUtilisationCap: Double
    var l2Usable: Double
    var sharedBandwidthPerUnit: Double
    var unitLoadBandwidth: Double
    /// Bytes of the unit's L1/shared array (spills live in what shared memory leaves).
    var l1Size: Double
    var launch: Double
    /// Time between blocks the scheduler hands one unit (0 where the machine states none).
    var dispatchInterval: Double

    /// Raw (un-derated) figures for the words of an explanation.
    public var dramBandwidthStated: Double
    public var dramBandwidthMeasured: Bool
    public var l2BandwidthStated: Double

    /// Names of the memory levels the model maps generic traffic onto.
    public var dramName: String
    public var l2Name: String
    public var l1Name: String

    /// Every machine field the model reads, with its provenance (for "which fields were measured").
    public var fieldsUsed: [(path: String, provenance: Provenance)]

    public init(machine: Machine, parameters p: Parameters) {
        var used: [(String, Provenance)] = []
        func note<T>(_ path: String, _ s: Sourced<T>?) { if let s { used.append((path, s.provenance)) } }
        unitCount = machine.compute.unitCount.value
        units = Double(unitCount)
        note("compute.unit_count", machine.compute.unitCount)
        clock = (machine.compute.boostClock ?? machine.compute.baseClock)?.value.base ?? 1.5e9
        note(machine.compute.boostClock != nil ? "compute.boost_clock" : "compute.base_clock",
             machine.compute.boostClock ?? machine.compute.baseClock)
        warpWidth = machine.compute.warpWidth?.value ?? 32
        note("compute.warp_width", machine.compute.warpWidth)
        matrixPeakPerUnit = Array(repeating: 0, count: Precision.allCases.count)
        vectorPeakPerUnit = Array(repeating: 0, count: Precision.allCases.count)
        for precision in Precision.allCases {
            if let rate = machine.compute.peak(.matrix, precision) {
                let fraction = rate.provenance.isMeasured ? 1 : p.wgmmaFraction
                matrixPeakPerUnit[precision.ordinal] = rate.value.base / Double(unitCount) * fraction
                note("compute.peak.matrix.\(precision.rawValue)", rate)
            }
            if let rate = machine.compute.peak(.vector, precision) {
                let fraction = rate.provenance.isMeasured ? 1 : p.vectorFraction
                vectorPeakPerUnit[precision.ordinal] = rate.value.base / Double(unitCount) * fraction
                note("compute.peak.vector.\(precision.rawValue)", rate)
            }
        }
        let fp32 = machine.compute.peak(.vector, .fp32)?.value.base ?? Double(unitCount) * 128 * clock
        issuePerUnit = fp32 / Double(unitCount) / 2 / Double(warpWidth)
        specialPerUnit = (machine.compute.specialFunctionRate?.value.base ?? fp32 / 8) / Double(unitCount)
        note("compute.special_function_rate", machine.compute.specialFunctionRate)
        elementOpCosts = ElementOp.allCases.map { op in
            if let stated = machine.elementOps[op] {
                used.append(("element_ops.\(op.rawValue)", stated.provenance))
                // The benchmark measures throughput; the dependent chain keeps its default.
                return ElementOpCost(vector: stated.value, special: 0, latency: ElementOpCost.latency(op))
            }
            return ElementOpCost.fallback(op)
        }

        if let o = machine.occupancy {
            maxThreadsPerUnit = o.maxThreadsPerUnit.value
            maxWarpsPerUnit = o.maxWarpsPerUnit.value
            maxBlocksPerUnit = o.maxBlocksPerUnit.value
            maxThreadsPerBlock = o.maxThreadsPerBlock.value
            registersPerUnit = o.registersPerUnit.value
            maxRegistersPerThread = o.maxRegistersPerThread.value
            registerAllocationUnit = o.registerAllocationUnit.value
            sharedPerUnit = o.sharedMemoryPerUnit.value.count
            maxSharedPerBlock = o.maxSharedMemoryPerBlock.value.count
            reservedSharedPerBlock = o.reservedSharedMemoryPerBlock.value.count
            sharedAllocationUnit = max(1, o.sharedMemoryAllocationUnit.value.count)
            note("occupancy.max_threads_per_unit", o.maxThreadsPerUnit)
            note("occupancy.max_warps_per_unit", o.maxWarpsPerUnit)
            note("occupancy.max_blocks_per_unit", o.maxBlocksPerUnit)
            note("occupancy.max_threads_per_block", o.maxThreadsPerBlock)
            note("occupancy.registers_per_unit", o.registersPerUnit)
            note("occupancy.max_registers_per_thread", o.maxRegistersPerThread)
            note("occupancy.register_allocation_unit", o.registerAllocationUnit)
            note("occupancy.shared_memory_per_unit", o.sharedMemoryPerUnit)
            note("occupancy.max_shared_memory_per_block", o.maxSharedMemoryPerBlock)
            note("occupancy.reserved_shared_memory_per_block", o.reservedSharedMemoryPerBlock)
            note("occupancy.shared_memory_allocation_unit", o.sharedMemoryAllocationUnit)
        } else {
            // A machine without occupancy rules (a CPU): one block per unit, generous limits.
            maxThreadsPerUnit = 1024; maxWarpsPerUnit = 1024 / warpWidth; maxBlocksPerUnit = 1
            maxThreadsPerBlock = 1024; registersPerUnit = 1 << 20; maxRegistersPerThread = 1 << 10
            registerAllocationUnit = 1; sharedPerUnit = 1 << 20; maxSharedPerBlock = 1 << 20
            reservedSharedPerBlock = 0; sharedAllocationUnit = 1
        }
        // NVIDIA SMs since Volta hold four register-file sub-partitions; the occupancy rules allocate per partition.
        subPartitions = machine.identity.vendor.uppercased() == "NVIDIA" ? 4 : 1
        asyncMatrixUnits = machine.identity.vendor.uppercased() == "NVIDIA"
            && (Double(machine.identity.computeCapability ?? "") ?? 0) >= 9.0

        let dram = machine.deviceMemory
        let l2 = machine.memory.last { $0.kind == .cache && $0.scope == .device }
        let l1 = machine.memory.first { ($0.kind == .cache || $0.kind == .scratchpad) && $0.scope == .unit }
        dramName = dram?.name ?? "dram"
        l2Name = l2?.name ?? "l2"
        l1Name = l1?.name ?? "l1"
        let dramStated = dram?.bandwidth?.value.base ?? 1e12
        dramBandwidthStated = dramStated
        dramBandwidthMeasured = dram?.bandwidth?.provenance.isMeasured ?? false
        dramBandwidth = dramStated * (dramBandwidthMeasured ? 1 : p.dramFraction)
        dramLatency = (dram?.latency?.value.base ?? 500e-9) * p.loadedLatencyFactor
        unloadedDRAMLatency = dram?.latency?.value.base ?? 500e-9
        utilisationCap = p.utilisationCap
        dramInflightKnee = p.dramInflightKnee * dramBandwidth * dramLatency / units
        dramWideRangePenalty = p.dramWideRangePenalty
        dramUtilisationCap = p.dramUtilisationCap
        note("memory.\(dramName).bandwidth", dram?.bandwidth)
        note("memory.\(dramName).latency", dram?.latency)
        if let stated = l2?.bandwidth {
            l2BandwidthStated = stated.value.base
            l2Bandwidth = stated.value.base * (stated.provenance.isMeasured ? 1 : p.l2Fraction)
        } else {
            l2BandwidthStated = p.assumedL2BytesPerClockPerUnit * units * clock
            l2Bandwidth = l2BandwidthStated
            used.append(("memory.\(l2?.name ?? "l2").bandwidth", .derived(formula: "model default: \(formatSignificant(p.assumedL2BytesPerClockPerUnit)) B/clk per unit x unit_count x clock")))
        }
        l2Latency = (l2?.latency?.value.base ?? 200e-9) * p.loadedLatencyFactor
        unloadedL2Latency = l2?.latency?.value.base ?? 200e-9
        l2Usable = (l2?.size?.value.base ?? 0) * p.l2UsableFraction
        note("memory.\(l2Name).bandwidth", l2?.bandwidth)
        note("memory.\(l2Name).latency", l2?.latency)
        note("memory.\(l2Name).size", l2?.size)
        let l1Bandwidth = l1?.bandwidth?.value.base ?? 128 * clock
        sharedBandwidthPerUnit = l1Bandwidth * ((l1?.bandwidth?.provenance.isMeasured ?? false) ? 1 : p.sharedFraction)
        unitLoadBandwidth = l1Bandwidth * p.unitLoadFraction
        l1Size = l1?.size?.value.base ?? 0
        note("memory.\(l1Name).bandwidth", l1?.bandwidth)
        launch = (machine.launchOverhead?.value.base ?? p.assumedLaunchOverhead) * p.launchFraction
        if machine.launchOverhead == nil {
            used.append(("launch_overhead", .derived(formula: "model default: \(Seconds(base: p.assumedLaunchOverhead))")))
        }
        note("launch_overhead", machine.launchOverhead)
        dispatchInterval = machine.compute.blockDispatchInterval?.value.base ?? 0
        note("compute.block_dispatch_interval", machine.compute.blockDispatchInterval)
        fieldsUsed = used
    }

    @inline(__always) func matrixPeak(_ precision: Precision) -> Double { matrixPeakPerUnit[precision.ordinal] }
    @inline(__always) func vectorPeak(_ precision: Precision) -> Double { vectorPeakPerUnit[precision.ordinal] }

    /// Blocks of a grid that one unit holds at once: its occupancy, or its share of a grid too small to fill it.
    @inline(__always) func residentPerUnit(grid: Int, blocksPerUnit: Int) -> Int {
        min(max(1, blocksPerUnit), ceilDiv(grid, unitCount))
    }

    /// How much faster than `matrixPeak` a kernel on `activeUnits` units multiplies: the power limit is the device's,
    /// so units drawing a share of its power below the fraction it holds at the limit keep their full clock.
    @inline(__always) func powerHeadroom(activeUnits: Int) -> Double {
        min(1 / powerLimitedFraction, Double(unitCount) / Double(max(1, min(activeUnits, unitCount))))
    }
}

extension Precision {
    /// Position in `allCases`, without searching.
    @inline(__always) var ordinal: Int {
        switch self {
        case .fp64: 0
        case .fp32: 1
        case .tf32: 2
        case .fp16: 3
        case .bf16: 4
        case .fp8: 5
        case .fp4: 6
        case .int8: 7
        case .int32: 8
        }
    }
}
