import Foundation
import MachineModel

/// What a runner does with one candidate: the checks and the timing loop, decided by the verifier.
///
/// Every runner executes the same plan (in-process OpenCL, the remote runner, an external command) and reports
/// `Observations`; the `Judge` turns those into a verdict. docs/verifier.md describes the protocol an external
/// command implements.
public struct ExecutionPlan: Hashable, Sendable, Codable {
    /// One correctness check: inputs from `seed` on `problem` (the candidate's shape or its ragged variant).
    public struct Check: Hashable, Sendable, Codable {
        public var problem: Problem
        public var seed: UInt64

        public init(problem: Problem, seed: UInt64) {
            self.problem = problem
            self.seed = seed
        }
    }

    /// The timing loop: `seeds[r]` gives the inputs of repetition r (the first `warmup` are not timed). Before each
    /// repetition: write that repetition's inputs, poison the outputs, write `flushBytes` to evict caches; then
    /// launch and time with device events.
    public struct Timing: Hashable, Sendable, Codable {
        public var problem: Problem
        public var seeds: [UInt64]
        public var warmup: Int
        public var flushBytes: Int

        public init(problem: Problem, seeds: [UInt64], warmup: Int, flushBytes: Int) {
            self.problem = problem
            self.seeds = seeds
            self.warmup = warmup
            self.flushBytes = flushBytes
        }

        public var repetitions: Int { seeds.count - warmup }
        /// The seed of the last repetition, whose output is checked after the loop.
        public var lastSeed: UInt64 { seeds.last! }
    }

    public var checks: [Check]
    public var timing: Timing?
    /// The float32 bit pattern written over outputs and their guard zones before every run. Plans from a policy draw
    /// it per verification (`poison(seed:)`), so that no fixed pattern tells a kernel it is being checked.
    public var poison: UInt32
    /// The pattern in the guard zone past every input during runs 1, 2 and 4 of a check (a NaN, drawn like the poison).
    public var guardPattern: UInt32
    /// Guard zone size: past every buffer, at least this many bytes or a quarter of the buffer.
    public var guardBytes: Int

    /// What fills the guard zones past the inputs in each run of a check, in order. Runs 1, 2 and 4 are identical
    /// (NaN guards): any difference between them is nondeterminism. Run 3 differs only in its guards (zeros): if only
    /// run 3 differs, the output depends on memory past the inputs, so the kernel reads out of bounds.
    public enum GuardFill: String, Sendable, Codable { case pattern, zero }
    public static let guardFills: [GuardFill] = [.pattern, .pattern, .zero, .pattern]

    public static let defaultPoison: UInt32 = 0x7FC0_DEAD
    public static let defaultGuard: UInt32 = 0x7FC0_0B0B

    public init(checks: [Check], timing: Timing?, poison: UInt32 = defaultPoison, guardPattern: UInt32 = defaultGuard, guardBytes: Int = 64 * 1024) {
        self.checks = checks
        self.timing = timing
        self.poison = poison
        self.guardPattern = guardPattern
        self.guardBytes = guardBytes
    }

    /// The poison of a verification whose first check is seeded `seed`, so that the recorded seeds replay it. One of
    /// three kinds: a quiet NaN with a random payload and sign (never a NaN a device computes: not the canonical
    /// 0x7FC00000, 0xFFC00000 or 0x7FFFFFFF), a finite sentinel far beyond any output (2⁶⁰ to 2¹⁰⁰), or a small finite
    /// one (0.25 to 16). An element equal to a finite poison counts as unwritten only where the poison is not a
    /// correct value there (`Comparison`).
    public static func poison(seed: UInt64) -> UInt32 {
        var generator = SplitMix64(seed: seed ^ 0x504F_4953_4F4E)
        let bits = generator.next()
        let sign = UInt32(truncatingIfNeeded: bits >> 63) << 31
        let mantissa = UInt32(truncatingIfNeeded: bits) & 0x007F_FFFF
        let exponent = UInt32(truncatingIfNeeded: bits >> 32)
        switch (bits >> 40) % 3 {
        case 0: return sign | 0x7FC0_0000 | nanPayload(mantissa)
        case 1: return sign | (127 + 60 + exponent % 40) << 23 | mantissa
        default: return sign | (127 - 2 + exponent % 6) << 23 | mantissa
        }
    }

    /// The guard pattern past the inputs for a verification whose first check is seeded `seed`: a quiet NaN with a
    /// random payload, so that the zeros of run 3 always differ from it.
    public static func guardPattern(seed: UInt64) -> UInt32 {
        var generator = SplitMix64(seed: seed ^ 0x4755_4152_44)
        let bits = generator.next()
        return UInt32(truncatingIfNeeded: bits >> 63) << 31 | 0x7FC0_0000 | nanPayload(UInt32(truncatingIfNeeded: bits))
    }

    /// 22 payload bits of a quiet NaN, neither all zero nor all one (the canonical NaNs of hosts and GPUs).
    private static func nanPayload(_ bits: UInt32) -> UInt32 {
        let payload = bits & 0x003F_FFFF
        return payload == 0 || payload == 0x003F_FFFF ? 0xDEAD : payload
    }

    /// Guard zone length in elements for a buffer of `count` floats.
    public func guardCount(for count: Int) -> Int {
        min(max(guardBytes / 4, count / 4), 16 * 1024 * 1024)
    }
}

/// How strict and how long: the number of seeds, repetitions, warm-up and the flush size.
public struct VerificationPolicy: Hashable, Sendable, Codable {
    /// Correctness checks, alternating the candidate's shape and its ragged variant (at least 2).
    public var checkCount: Int
    public var warmup: Int
    public var repetitions: Int
    /// Bytes written between repetitions to evict caches; nil means twice the last-level cache (machine model or
    /// device, whichever is larger), at least 32 MiB.
    public var flushBytes: Int?
    /// Skip timing (correctness only).
    public var timed: Bool

    public init(checkCount: Int = 3, warmup: Int = 3, repetitions: Int = 25, flushBytes: Int? = nil, timed: Bool = true) {
        self.checkCount = checkCount
        self.warmup = warmup
        self.repetitions = repetitions
        self.flushBytes = flushBytes
        self.timed = timed
    }

    /// Few repetitions and a small flush, for tests on two cores.
    public static let quick = VerificationPolicy(checkCount: 3, warmup: 1, repetitions: 5, flushBytes: 4 << 20)

    /// The plan for one candidate, with fresh seeds: check i uses the candidate's shape when i is even and the ragged
    /// variant when odd; timing uses the candidate's shape; the poison and guard pattern come from the first seed.
    public func plan(for problem: Problem, lastLevelCache: Bytes?, seeds: [UInt64]? = nil) -> ExecutionPlan {
        let count = max(2, checkCount)
        let seeds = seeds ?? freshSeeds(count + 1)
        let ragged = problem.ragged()
        let checks = (0..<count).map { i in ExecutionPlan.Check(problem: i % 2 == 0 ? problem : ragged, seed: seeds[i]) }
        var timing: ExecutionPlan.Timing?
        if timed {
            let base = seeds[count]
            var generator = SplitMix64(seed: base)
            let timingSeeds = [base] + (1..<(warmup + repetitions)).map { _ in generator.next() & seedMask }
            let flush = flushBytes ?? max(32 << 20, 2 * (lastLevelCache?.count ?? 0))
            timing = .init(problem: problem, seeds: timingSeeds, warmup: warmup, flushBytes: flush)
        }
        return ExecutionPlan(checks: checks, timing: timing, poison: ExecutionPlan.poison(seed: seeds[0]), guardPattern: ExecutionPlan.guardPattern(seed: seeds[0]))
    }
}
