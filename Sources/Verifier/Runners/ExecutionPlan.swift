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
        /// Where the inputs lie; nil: as generated, uniform in [-1, 1).
        public var inputs: InputRange?

        public init(problem: Problem, seed: UInt64, inputs: InputRange? = nil) {
            self.problem = problem
            self.seed = seed
            self.inputs = inputs
        }
    }

    /// The timing loop: `seeds[r]` gives the inputs of repetition r (the first `warmup` are not timed). Before each
    /// repetition: write that repetition's inputs, poison the outputs, write `flushBytes` to evict caches; then
    /// launch and time with device events. The outputs of the repetitions in `checked`, and of the last, are read
    /// back and judged.
    public struct Timing: Hashable, Sendable, Codable {
        public var problem: Problem
        public var seeds: [UInt64]
        public var warmup: Int
        public var flushBytes: Int
        /// Where every repetition's inputs lie; nil: as generated, uniform in [-1, 1).
        public var inputs: InputRange?
        /// Timed repetitions (indices into `seeds`) whose outputs are read back and judged besides the last's: all
        /// when the host reference is cheap, else drawn per verification; never told to the kernel, so that doing
        /// full work only on some calls is caught.
        public var checked: [Int]?

        public init(problem: Problem, seeds: [UInt64], warmup: Int, flushBytes: Int, inputs: InputRange? = nil, checked: [Int]? = nil) {
            self.problem = problem
            self.seeds = seeds
            self.warmup = warmup
            self.flushBytes = flushBytes
            self.inputs = inputs
            self.checked = checked
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
    /// When set, a check whose shape an earlier check had starts every run with that check's run-1 outputs in its
    /// output buffers instead of the poison (guard zones keep the poison): an element the kernel leaves alone holds a
    /// value that looks computed, so a kernel that skips what looks done is caught (`stale_result` or
    /// `wrong_result`). Plans from a policy set it (the first check of each shape still gets the drawn poison); nil
    /// (older plans, external commands) means never.
    public var earlierOutputFill: Bool?

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

    /// The seeds that rebuild this plan with `VerificationPolicy.plan(for:lastLevelCache:seeds:)`, poison, input ranges
    /// and checked repetitions included: the checks' and the timing loop's first. Stored with the verification and
    /// given in its verdict.
    public var seeds: [UInt64] {
        checks.map(\.seed) + (timing.map { [$0.seeds[0]] } ?? [])
    }

    /// The same plan with every input as generated and only the last timed repetition checked, for runners that
    /// predate input ranges and checked repetitions (external commands).
    public var withGeneratedInputs: ExecutionPlan {
        var plan = self
        plan.earlierOutputFill = nil
        for index in plan.checks.indices { plan.checks[index].inputs = nil }
        plan.timing?.inputs = nil
        plan.timing?.checked = nil
        return plan
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

    /// Host reference work (floating-point operations, or output elements where there are none) spent on judging
    /// timed repetitions: a kernel that skips work on only a few calls is caught for sure when every repetition
    /// fits, and otherwise with a chance that grows with each one read back. About a second of one host core.
    public static let timedCheckWork = 1e9

    /// Few repetitions and a small flush, for tests on two cores.
    public static let quick = VerificationPolicy(checkCount: 3, warmup: 1, repetitions: 5, flushBytes: 4 << 20)

    /// The plan for one candidate, with fresh seeds: check i uses the candidate's shape when i is even and a ragged
    /// variant drawn from its seed when odd; timing uses the candidate's shape; the poison and guard pattern come from the first seed,
    /// each check's input range from its own seed (the first check's symmetric), the timing loop's from its first.
    public func plan(for problem: Problem, lastLevelCache: Bytes?, seeds: [UInt64]? = nil) -> ExecutionPlan {
        let count = max(2, checkCount)
        let seeds = seeds ?? freshSeeds(count + 1)
        let checks = (0..<count).map { i in
            ExecutionPlan.Check(problem: i % 2 == 0 ? problem : problem.ragged(seed: seeds[i]), seed: seeds[i],
                                inputs: InputRange(seed: seeds[i], for: problem, symmetric: i == 0))
        }
        var timing: ExecutionPlan.Timing?
        if timed {
            let base = seeds[count]
            var generator = SplitMix64(seed: base)
            let timingSeeds = [base] + (1..<(warmup + repetitions)).map { _ in generator.next() & seedMask }
            let flush = flushBytes ?? max(32 << 20, 2 * (lastLevelCache?.count ?? 0))
            // The timed repetitions before the last that are read back: all of them when the host reference is
            // cheap, else as many as `timedCheckWork` buys (at least 3), drawn from the timing seed.
            var draw = SplitMix64(seed: base ^ 0x4348_4543_4B)
            var candidates = Array(warmup..<(warmup + repetitions - 1))
            let definition = problem.definition
            let work = max(definition.flops, Double(definition.outputs.reduce(0) { $0 + $1.count }))
            let affordable = max(3, Int(min(Self.timedCheckWork / max(work, 1), Double(candidates.count))))
            var checked: [Int] = []
            while checked.count < affordable, !candidates.isEmpty {
                checked.append(candidates.remove(at: Int(draw.next() % UInt64(candidates.count))))
            }
            timing = .init(problem: problem, seeds: timingSeeds, warmup: warmup, flushBytes: flush,
                           inputs: InputRange(seed: base, for: problem, symmetric: false), checked: checked.sorted())
        }
        var plan = ExecutionPlan(checks: checks, timing: timing, poison: ExecutionPlan.poison(seed: seeds[0]), guardPattern: ExecutionPlan.guardPattern(seed: seeds[0]))
        plan.earlierOutputFill = true
        return plan
    }
}

/// Where the inputs of a check lie: each generated value x, uniform in [-1, 1), becomes `scale · x + offset`. Drawn per
/// check so that a kernel cannot be right only on one range (an approximation valid near zero, a sign assumed): for a
/// power of two 2^k, inputs in [-2^k, 2^k), [0, 2^k) or [-2^k, 0).
/// Exact in float32, and within what each family's reference and tolerance support: elementwise chains keep |x| ≤ 1
/// (a chain of `exp` overflows beyond), layernorm and rmsnorm stay symmetric (an offset is a mean that honest
/// one-pass variances lose to cancellation).
public struct InputRange: Hashable, Sendable, Codable {
    public var scale: Double
    public var offset: Double
    /// Special values written over a few elements at positions drawn from the seed (nil: none).
    public var specials: SpecialValues?

    /// Values a kernel must get right that a uniform draw never gives: a kernel that divides by its input, or
    /// rounds through arithmetic in a copy, is caught on them.
    public enum SpecialValues: String, Hashable, Sendable, Codable {
        /// +0 and -0, which every op of the verifier takes.
        case zeros
        /// Zeros, subnormals and the largest finite magnitudes: for data movement in fp32, which must be bit-exact.
        case bitExact = "bit_exact"

        var values: [Float] {
            switch self {
            case .zeros: [0, -0.0]
            case .bitExact: [0, -0.0, Float.leastNonzeroMagnitude * 37, -Float.leastNormalMagnitude / 3, Float.greatestFiniteMagnitude, -Float.greatestFiniteMagnitude]
            }
        }
    }

    public init(scale: Double, offset: Double, specials: SpecialValues? = nil) {
        self.scale = scale
        self.offset = offset
        self.specials = specials
    }

    /// The range of a check seeded `seed`; `symmetric` keeps both signs (the first check, so that a kernel wrong on
    /// one sign is always caught).
    public init(seed: UInt64, for problem: Problem, symmetric: Bool) {
        let (exponents, shifts): (ClosedRange<Int>, Bool) = switch problem {
        case .gemm: (-4...4, true)
        case .elementwise: (-4...0, true)
        case let .rows(rows): rows.op == .layernorm || rows.op == .rmsnorm ? (-4...3, false) : (-4...3, true)
        case .transpose, .copy: (-8...8, true)
        }
        var generator = SplitMix64(seed: seed ^ 0x494E_5055_5453)
        let bits = generator.next()
        let scale = Double(sign: .plus, exponent: exponents.lowerBound + Int(bits % UInt64(exponents.count)), significand: 1)
        let specials: SpecialValues = problem.definition.isExact && problem.definition.dataType == .fp32 ? .bitExact : .zeros
        switch shifts && !symmetric ? (bits >> 32) % 3 : 0 {
        case 1: self.init(scale: scale / 2, offset: scale / 2, specials: specials)
        case 2: self.init(scale: scale / 2, offset: -scale / 2, specials: specials)
        default: self.init(scale: scale, offset: 0, specials: specials)
        }
    }

    public func apply(_ value: Float) -> Float {
        Float(Double(value) * scale + offset)
    }

    /// Writes the special values over about one element in 64, at positions and in an order drawn from the check's
    /// seed and the buffer's index.
    public func placeSpecials(in values: inout [Float], seed: UInt64, buffer: Int) {
        guard let specials, !values.isEmpty else { return }
        let choices = specials.values
        var generator = SplitMix64(seed: seed ^ 0x5350_4543_4941_4C53, buffer: buffer)
        var index = Int(generator.next() % 64)
        while index < values.count {
            values[index] = choices[Int(generator.next() % UInt64(choices.count))]
            index += 1 + Int(generator.next() % 127)
        }
    }

    /// "[-4, 4)", "[0, 0.5) with zeros".
    public var text: String {
        let range = "[\(formatSignificant(offset - scale, digits: 6)), \(formatSignificant(offset + scale, digits: 6)))"
        return switch specials {
        case nil: range
        case .zeros: range + " with zeros"
        case .bitExact: range + " with zeros, subnormals and extremes"
        }
    }
}
