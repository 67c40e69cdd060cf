import Devices
import Foundation

/// What a runner saw executing a plan, before any judgement: outputs, digests, guard zones, times.
///
/// Float arrays travel as base64 of little-endian float32 (`FloatArray`); digests are FNV-1a 64 in hex over the
/// buffer's float32 bytes.
public struct Observations: Hashable, Sendable, Codable {
    /// The device as its runtime names itself.
    public var device: DeviceDescription
    /// Set when the candidate did not get as far as running: its reason and message (build log, refused launch).
    public var failure: Failure?
    public var checks: [CheckObservation]
    public var timing: TimingObservation?
    /// What the compiler reported for each launch's kernel, in launch order (nil where the runtime does not say:
    /// OpenCL, external runners).
    public var compiler: [LaunchFacts]?

    public init(device: DeviceDescription, failure: Failure? = nil, checks: [CheckObservation] = [], timing: TimingObservation? = nil,
                compiler: [LaunchFacts]? = nil) {
        self.device = device
        self.failure = failure
        self.checks = checks
        self.timing = timing
        self.compiler = compiler
    }

    public struct Failure: Hashable, Sendable, Codable {
        public var reason: Reason
        public var message: String
        public init(reason: Reason, message: String) {
            self.reason = reason
            self.message = message
        }
    }
}

/// The compiler's facts for one launch's kernel.
public struct LaunchFacts: Hashable, Sendable, Codable {
    public var kernel: String
    public var language: String
    public var facts: KernelFacts

    public init(kernel: String, language: String, facts: KernelFacts) {
        self.kernel = kernel
        self.language = language
        self.facts = facts
    }

    /// The `compiler:` mapping of the cost model's candidate format (docs/candidate-format.md), so that `predict`
    /// takes what the compiler reported instead of its own estimates. Local memory counts as spilled 32-bit words.
    public var candidateFormText: String {
        let toolchain = language == "opencl" ? "opencl" : "cuda"
        return "{toolchain: \(toolchain), registers_per_thread: \(facts.registersPerThread), shared_bytes: \(facts.staticSharedBytes), spills: \((facts.localBytesPerThread + 3) / 4)}"
    }
}

/// The device a runner used, for the store.
public struct DeviceDescription: Hashable, Sendable, Codable {
    /// The selector that chooses it again (`opencl:0:0`).
    public var id: String
    public var name: String
    public var vendor: String
    public var driver: String
    /// The OpenCL version string, or the harness's own (`CUDA 12.4, Triton 3.0`).
    public var platform: String
    /// The smallest time difference the device timer reports.
    public var timerResolution: Double?

    public init(id: String, name: String, vendor: String, driver: String, platform: String, timerResolution: Double?) {
        self.id = id
        self.name = name
        self.vendor = vendor
        self.driver = driver
        self.platform = platform
        self.timerResolution = timerResolution
    }
}

/// One check: four runs on the same inputs, the guards past the inputs filled as `ExecutionPlan.guardFills` says
/// (NaN, NaN, zero, NaN). Outputs are poisoned before each run.
public struct CheckObservation: Hashable, Sendable, Codable {
    public var seed: UInt64
    /// The shape checked (`problem` of the plan's check).
    public var problem: Problem
    /// Run 1's outputs in full, by buffer name.
    public var outputs: [String: FloatArray]
    /// Digests of each run's outputs, runs 1 to 4.
    public var outputDigests: [[String: String]]
    /// Runs 2 to 4 in full, required for candidates declared nondeterministic: each is judged against the reference
    /// as run 1 is (missing, the runner failed).
    public var repeatOutputs: [[String: FloatArray]]?
    /// Digests of the inputs after the four runs.
    public var inputDigests: [String: String]
    /// Buffers whose guard zone changed (out-of-bounds writes).
    public var damagedGuards: [String]
    /// A launch failed during the check (the runtime's status and message).
    public var launchError: String?

    public init(
        seed: UInt64, problem: Problem, outputs: [String: FloatArray], outputDigests: [[String: String]],
        repeatOutputs: [[String: FloatArray]]? = nil, inputDigests: [String: String], damagedGuards: [String], launchError: String? = nil
    ) {
        self.seed = seed
        self.problem = problem
        self.outputs = outputs
        self.outputDigests = outputDigests
        self.repeatOutputs = repeatOutputs
        self.inputDigests = inputDigests
        self.damagedGuards = damagedGuards
        self.launchError = launchError
    }
}

/// The timing loop.
public struct TimingObservation: Hashable, Sendable, Codable {
    /// Device time of each timed repetition (summed over the candidate's launches), in seconds.
    public var device: [Double]
    /// Host wall time of each timed repetition's launches (enqueue to completion), in seconds.
    public var host: [Double]
    public var warmup: Int
    public var flushBytes: Int
    /// The outputs after the last repetition, by buffer name.
    public var outputs: [String: FloatArray]
    /// The outputs after each repetition the plan's `checked` names.
    public var checkedOutputs: [CheckedRepetition]?
    /// Set when a launch failed inside the loop.
    public var launchError: String?

    public init(
        device: [Double], host: [Double], warmup: Int, flushBytes: Int, outputs: [String: FloatArray],
        checkedOutputs: [CheckedRepetition]? = nil, launchError: String? = nil
    ) {
        self.device = device
        self.host = host
        self.warmup = warmup
        self.flushBytes = flushBytes
        self.outputs = outputs
        self.checkedOutputs = checkedOutputs
        self.launchError = launchError
    }
}

/// The outputs after one timed repetition.
public struct CheckedRepetition: Hashable, Sendable, Codable {
    /// Index into the plan's timing seeds.
    public var repetition: Int
    public var outputs: [String: FloatArray]

    public init(repetition: Int, outputs: [String: FloatArray]) {
        self.repetition = repetition
        self.outputs = outputs
    }
}

/// A float32 array that encodes as base64 of its little-endian bytes.
public struct FloatArray: Hashable, Sendable, Codable {
    public var values: [Float]

    public init(_ values: [Float]) { self.values = values }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let values = FloatCoding.decode(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected base64 of little-endian float32 values")
        }
        self.values = values
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(FloatCoding.encode(values))
    }

    public static func == (lhs: FloatArray, rhs: FloatArray) -> Bool {
        lhs.values.elementsEqual(rhs.values) { $0.bitPattern == $1.bitPattern }
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(values.count) }
}
