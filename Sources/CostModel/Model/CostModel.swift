import MachineModel
import Workloads

/// Predicts the run time of candidate kernels on one machine model and explains it.
///
/// Build one per machine (it extracts the machine's figures once), then call `predict` as often as needed: a GEMM
/// prediction allocates nothing and takes well under a microsecond (docs/performance.md).
///
/// ```swift
/// let model = CostModel(machine: h100)
/// let p = model.predict(.gemm(problem, schedule))
/// print(p.time, p.bottleneck, model.explain(p, for: candidate).sentence)
/// ```
public struct CostModel: Sendable {
    public let machine: Machine
    public let parameters: Parameters
    public let figures: MachineFigures

    public init(machine: Machine, parameters: Parameters = .default, timing: Timing = .sustained) {
        self.init(machine: machine, parameters: parameters, figures: MachineFigures(machine: machine, parameters: parameters))
        // A measured matrix peak is what calibration can measure: the throughput of a library GEMM of 8192^3
        // (calibration/harness/tensor_rates.py times torch.matmul). The model's matrix term is the ceiling below the
        // tiles, waves and latencies it charges, so it takes the ceiling at which it predicts that GEMM at the
        // measured rate: the measured figure then replaces the datasheet's derated one without being derated twice.
        // Timed sustained, the target is that GEMM's rate once the device has been kept busy (the power limit lowers
        // the clock); every measured precision falls by the same fraction, the clock being the device's, and the
        // fp16 ceilings' ratio is what a grid on a few units wins back (`MachineFigures.powerHeadroom`).
        var anchored = Self.anchor(figures, machine: machine, parameters: parameters, clockFraction: 1)
        if timing == .sustained, let sustained = machine.compute.sustainedMatrixRate,
           let fp16 = machine.compute.peak(.matrix, .fp16), fp16.provenance.isMeasured {
            let burst = anchored
            anchored = Self.anchor(burst, machine: machine, parameters: parameters,
                                   clockFraction: min(1, sustained.value.base / fp16.value.base))
            anchored.fieldsUsed.append(("compute.sustained_matrix_rate", sustained.provenance))
            if burst.matrixPeak(.fp16) > 0 { anchored.powerLimitedFraction = anchored.matrixPeak(.fp16) / burst.matrixPeak(.fp16) }
        }
        self = CostModel(machine: machine, parameters: parameters, figures: anchored)
    }

    /// `figures` with each measured matrix ceiling moved to where the library GEMM of the reference runs at the
    /// measured peak times `clockFraction` (the sustained anchoring starts from the burst one: a few steps away).
    static func anchor(_ figures: MachineFigures, machine: Machine, parameters: Parameters, clockFraction: Double) -> MachineFigures {
        var anchored = figures
        for precision in Precision.allCases where machine.compute.peak(.matrix, precision)?.provenance.isMeasured == true {
            guard let peak = machine.compute.peak(.matrix, precision)?.value.base,
                  let dtype = ElementType.allCases.first(where: { $0.precision == precision }) else { continue }
            let measured = peak * clockFraction
            let reference = GemmProblem(m: Self.referenceGemm, n: Self.referenceGemm, k: Self.referenceGemm, dtype: dtype)
            func rate(_ figures: MachineFigures) -> Double? {
                CostModel(machine: machine, parameters: parameters, figures: figures).libraryRate(reference)
            }
            guard var predicted = rate(anchored) else { continue }
            for _ in 0..<6 where abs(measured / predicted - 1) > 1e-3 {
                var trial = anchored
                trial.matrixPeakPerUnit[precision.ordinal] *= measured / predicted
                // Not matrix-bound at the reference (the ceiling moves nothing): the measured figure stands as it is.
                guard let next = rate(trial), abs(next / predicted - 1) > 1e-6 else { break }
                (anchored, predicted) = (trial, next)
            }
        }
        return anchored
    }

    /// The side of the square GEMM a measured matrix peak was timed on.
    static let referenceGemm = 8192

    /// The throughput of a GEMM at the best of the library's schedules (`GemmAxes.library`), or nil if none fits.
    func libraryRate(_ problem: GemmProblem) -> Double? {
        let facts = CompilerFacts(toolchain: .cuda)
        let best = (0..<GemmAxes.library.count).lazy.map { predict(gemm: problem, GemmAxes.library.schedule(at: $0, compiler: facts)) }
            .filter(\.isFeasible).map(\.time.base).min()
        return best.map { problem.flops / $0 }
    }

    private init(machine: Machine, parameters: Parameters, figures: MachineFigures) {
        self.machine = machine
        self.parameters = parameters
        self.figures = figures
    }

    /// The predicted time of one candidate (a sequence of kernels where the family runs several).
    public func predict(_ candidate: Candidate) -> Prediction {
        switch candidate {
        case let .gemm(problem, schedule): predict(gemm: problem, schedule)
        case let .elementwise(problem, schedule): predict(elementwise: problem, schedule)
        case let .reduction(problem, schedule): predict(reduction: problem, schedule)
        case let .attention(problem, schedule): predict(attention: problem, schedule)
        case let .generic(candidate): predict(generic: candidate)
        }
    }

    /// Launch cost of the `index`-th kernel of a sequence: the first pays the full overhead, later ones the gap
    /// between kernels of a captured sequence.
    @inline(__always) func launchCost(index: Int) -> Double {
        index == 0 ? figures.launch : figures.launch * parameters.followingLaunchFraction
    }

    /// How long a pipelined loop waits for a tile `depth` stages ahead: its load queued behind the kernel's traffic
    /// (`MachineFigures.tileLatency`) and, with one stage in flight, the handshake between that stage landing and the
    /// next copy being issued, which a second stage would hide (`Parameters.singleStageHandshakeRoundTrips`).
    @inline(__always)
    func stageLatency(_ w: KernelWork, miss: Double, bytes: Double, running: Double, depth: Double) -> Double {
        let latency = figures.tileLatency(w, miss: miss, bytes: bytes, running: running)
        return depth == 1 ? latency + parameters.singleStageHandshakeRoundTrips * figures.unloadedL2Latency : latency
    }

    /// Registers a kernel gets (compiler facts win), the words it spills, and the ceiling ptxas enforces.
    @inline(__always)
    func registers(estimate: Double, threads: Int, facts: CompilerFacts) -> (registers: Int, spilled: Int) {
        let cap = figures.registerCap(threadsPerBlock: threads)
        let wanted = Int(estimate.rounded(.up))
        let registers = facts.registersPerThread ?? min(wanted, cap)
        let spilled = facts.spills ?? max(0, wanted - cap)
        return (registers, spilled)
    }

    /// The rejection for a block that does not fit on a unit at all.
    @inline(__always) func doesNotFit(_ occupancy: OccupancyResult) -> Infeasibility {
        occupancy.limiter == .registers
            ? .registers(perBlock: occupancy.registersPerBlock, limit: figures.registersPerUnit)
            : .sharedMemory(required: occupancy.sharedPerBlock, limit: figures.sharedPerUnit)
    }
}
