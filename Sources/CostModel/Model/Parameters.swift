/// The efficiency terms of the model: what fraction of a peak a real kernel can reach, how long fixed steps take.
///
/// Machine files say what the hardware is; these say how close code gets to it. Defaults come from first
/// principles and published Hopper/Triton behaviour, then were adjusted on the `tune` spaces of the H100
/// measurements only (docs/accuracy.md). Fractions of a *spec* figure apply only while the machine field is `spec`:
/// a `measured` bandwidth is already what code achieves, so it is used as is.
public struct Parameters: Hashable, Sendable {
    /// Achievable share of a spec DRAM bandwidth (streaming kernels reach ~90% on HBM3).
    public var dramFraction = 0.90
    /// Achievable share of a spec L2 bandwidth.
    public var l2Fraction = 0.75
    /// Achievable share of a spec matrix peak with asynchronous warpgroup MMA (wgmma) under the power limit.
    public var wgmmaFraction = 0.80
    /// Share of the wgmma figure left when one warpgroup per unit issues alone (it waits on its own MMAs).
    public var singleWarpgroupFraction = 0.88
    /// Achievable share of a spec matrix peak with synchronous warp MMA (mma.sync), Triton's path for tiles under
    /// 64 rows or fewer than 4 warps on Hopper. (On machines without wgmma, mma.sync or MFMA is the native path
    /// and gets `wgmmaFraction`.)
    public var mmaSyncFraction = 0.45
    /// Achievable share of a spec vector peak for FMA-heavy loops.
    public var vectorFraction = 0.75
    /// Achievable share of the per-unit shared-memory (L1) bandwidth.
    public var sharedFraction = 0.85
    /// Per-unit fill bandwidth from L2, as a share of the unit's L1 bandwidth (64 of 128 B/clk on Hopper).
    public var unitLoadFraction = 0.5
    /// Loaded latency over the unloaded (pointer-chase) latency of a level while streaming kernels keep the
    /// memory system busy (Little's law on small-block elementwise kernels gives about 1.5).
    public var loadedLatencyFactor = 1.5
    /// Pipelined tile loads (GEMM, flash) queue: their latency is the unloaded one over (1 - utilisation) of
    /// the level, the utilisation taken at the kernel's throughput-bound time and capped here (a saturated
    /// H100 L2 shows about 1.1 us per 48 KiB stage, 5x its pointer-chase latency plus the transfer; a lightly loaded one, little
    /// more than the pointer chase).
    public var utilisationCap = 0.8
    /// The same cap for DRAM: its loaded latency tops out near twice the pointer chase (skinny GEMMs that stream
    /// B from DRAM expose about 0.7-0.8 us per stage).
    public var dramUtilisationCap = 0.5
    /// Bytes a unit keeps in flight towards DRAM beyond this many times what Little's law needs to cover the
    /// loaded latency (bandwidth x latency / units) only widen the address range streamed at once: more DRAM rows
    /// open together, more row conflicts. On the H100 (tune spaces: elementwise chains of 16 M and 256 M elements)
    /// each doubling of a unit's in-flight bytes from 32 KiB to 256 KiB costs 0.35-0.5% of bandwidth, in the same
    /// order at every size and op count, fused and unfused alike.
    public var dramInflightKnee = 3.0
    /// Share of DRAM time added per doubling of the in-flight bytes beyond that knee.
    public var dramWideRangePenalty = 0.004
    /// Share of the L2 size that holds reusable data (the rest: other partition's copies, writes, conflicts).
    public var l2UsableFraction = 0.5
    /// Imperfect overlap of the compute side (matrix, vector, special) with the memory side (shared, L2, DRAM):
    /// time = max(compute, memory) + overlap x min(compute, memory).
    public var overlap = 0.15
    /// Cycles of loop bookkeeping per main-loop iteration (barriers, waits, address arithmetic).
    public var iterationCycles = 80.0
    /// Instructions each warp of a GEMM issues per main-loop iteration besides its products (fragment loads, address
    /// arithmetic and masks, the copies' issue, the barrier); they share the schedulers. Only tiny tiles with many
    /// warps are bound by them: on the H100's tune spaces 32 x 32 x 32 tiles run 8192^3 in 8.95 ms with four warps and
    /// 15.7 ms with eight (the same 64 warps per SM), 124 and 108 issue slots per warp and iteration; tune GEMM MAPE
    /// 11.9% -> 11.0% at 120 (100: 11.3%, 140: 11.5%).
    public var gemmLoopInstructionsPerWarp = 120.0
    /// Cycles a unit spends starting and retiring one block.
    public var blockCycles = 600.0
    /// Cycles of one warp-shuffle step; a cross-warp reduction adds a barrier.
    public var shuffleCycles = 30.0
    public var barrierCycles = 80.0
    /// Cycles between the instructions of a warp that has its scheduler to itself: even independent instructions
    /// do not issue every cycle (the compiler's stall counts, register-bank conflicts), so a row kernel of four warps
    /// or fewer takes longer over its row's arithmetic than one whose schedulers interleave several warps. Chosen on
    /// the H100's tune softmax spaces, where four warps over a 16384-column row ran 7-8 us slower than sixteen (fp16
    /// 102.5 against 94.6 us, fp32 190.0 against 182.9): 1 (before) 0.897 / 2.63% / 9.3% (Spearman / top-1 / MAPE),
    /// pairs ordered right 95.5%; 1.25 0.900 / 1.42% / 9.18%, 97.0%; 1.5 0.869 / 1.41% / 9.09%, 97.7%; 2 0.806 /
    /// 2.67% / 8.97%, 97.0%.
    public var loneWarpCyclesPerInstruction = 1.25
    /// Registers per thread a Triton kernel needs besides its tiles (indices, pointers, masks, loop state).
    public var baseRegisters = 30.0
    /// Registers ptxas spends per fp32 accumulator element on the wgmma path (fragments, staging, unrolling):
    /// Triton on the H100 reports about 1.45 x the accumulator plus the base (122-124 registers for a
    /// 128x128 tile on 8 warps, 216-244 on 4).
    public var wgmmaRegistersPerAccumulator = 1.45
    /// Registers per thread a warp-specialised kernel's producer warpgroup keeps (CUTLASS's Hopper kernels set 40
    /// with setmaxnreg and give the rest to the consumers).
    public var producerRegisters = 40.0
    /// Spill reloads a thread keeps in flight at once. Spilled row elements are reloaded right before use (about 4
    /// in flight: a 2-warp 16K-column softmax fits); flash kernels spill loop invariants that the compiler can
    /// prefetch (about 16).
    public var spillParallelism = 4.0
    public var invariantSpillParallelism = 16.0
    /// A GEMM's spilled accumulators are stored and reloaded around every iteration's MMAs, all independent of
    /// each other: about 8 reloads in flight per thread. The H100 tune spaces' spilling tiles (176-256 words per
    /// thread, 1 or 2 blocks per SM) move 34-58 GB/s of spills per SM, twice what 4 in flight allow.
    public var accumulatorSpillParallelism = 8.0
    /// Loads of a spilled word per store in a single-pass row kernel (max, exponentiate and sum, normalise).
    public var rowSpillReloads = 3.0
    /// Spilled registers per thread that halve the matrix rate: ptxas serialises the asynchronous MMAs around
    /// local-memory traffic ("wgmma serialized"); the rate is divided by 1 + spilled / this.
    public var spillHalvingRegisters = 185.0
    /// The latency term must exceed the largest throughput term by this factor before a prediction is called
    /// latency-bound (the chain of one block also contains its own work).
    public var latencyMargin = 1.15
    /// Launch cost of a kernel that follows another one in a captured sequence (CUDA graph), as a share of the
    /// machine's launch overhead. Chosen on the H100's tune elementwise chains (unfused chains replay as graphs):
    /// each kernel added to a chain of 4096 elements costs 1.28-1.68 us with its own work, about 1 us of it
    /// waiting; tune elementwise MAPE 5.42% at 0.4, 4.85% at 0.2, 4.2% at 0.25, 4.25% at 0.3, 4.73% at 0.35.
    public var followingLaunchFraction = 0.25
    /// Share of the machine's launch overhead a lone timed kernel shows (event-to-event).
    public var launchFraction = 1.0
    /// How sharply a pipelined iteration goes from compute-bound to latency-bound: the iteration takes the
    /// p-norm of its work and its exposed wait (p = infinity would be a plain max; near the balance point real
    /// pipelines lose some of both).
    public var pipelineNorm = 3.0
    /// Unloaded L2 round trips a pipelined loop with one stage in flight (Triton's `num_stages = 2`) waits per
    /// iteration on top of the stage's own latency: the handshake between a stage landing and the next copy being
    /// issued (wait, barrier) that a second stage in flight would hide. Chosen on the H100's tune GEMMs, where
    /// two-stage candidates ran 4-23% slower than predicted (median by shape) and deeper ones did not: 0 -> 1
    /// takes GEMM MAPE from 12.9% to 11.9% and Spearman from 0.959 to 0.966; anything from 0.7 to 2 round trips
    /// scores 11.7-12.2%. Flash tiles loop the same way: tune attention MAPE 19.9% -> 19.7%, top-5 2% -> 1.97%.
    public var singleStageHandshakeRoundTrips = 1.0
    /// How a row kernel's DRAM time and its round trips combine (`KernelWork.burstNorm`). Chosen on the H100's
    /// tune data: 4 takes torch's layer and rms norms alone from 11.1% to 4.4% mean |error| (they were 4-17.5%
    /// fast) and the tune softmax MAPE from 9.76% to 9.3%, Spearman unchanged; 3 costs that Spearman (0.897 ->
    /// 0.860), 6 gains less.
    public var burstNorm = 4.0

    /// Used only when the machine file gives no figure (the report then lists it as a model default).
    /// L2 bandwidth per unit and clock: Hopper sustains about 32 B/clk/SM of L2 hits across the chip.
    public var assumedL2BytesPerClockPerUnit = 40.0
    /// Launch overhead of one kernel as timed between CUDA events on an idle GPU.
    public var assumedLaunchOverhead = 4.0e-6

    /// Cycles to exchange row statistics between warpgroups through shared memory (a barrier each way), paid
    /// twice per key/value tile when a flash kernel splits score rows across warpgroups.
    public var crossWarpgroupCycles = 700.0
    /// Share of a flash tile's non-dominant compute (exp on the special units, vector softmax arithmetic, the
    /// two products) that does not overlap the dominant one: Triton's flash loop on Hopper runs them nearly in
    /// series (H100: about 0.8 x their sum per tile).
    public var flashSerialFraction = 0.7
    /// The same share when the consumer warpgroups of a warp-specialised kernel take turns (FlashAttention-3's
    /// ping-pong): a quarter. FA3 on the H100 at head_dim 128 levels off at about 620 TFLOP/s for long sequences
    /// (pytorch/benchmark #2391: 565, 590, 614, 621 TFLOP/s at 2K, 4K, 8K, 16K tokens), about 1.25 x the products'
    /// time at the ceiling the library GEMM reaches, where exp and the softmax arithmetic take about as long as
    /// the products (head_dim 128).
    public var pingPongSerialFraction = 0.25
    /// torch's masked_fill_ with a broadcast mask takes the non-vectorised indexing path: the share of DRAM
    /// bandwidth it reaches.
    public var broadcastMaskFraction = 0.35

    public init() {}

    public static let `default` = Parameters()
}
