/// The outcome of verifying one candidate.
public enum Verdict: String, Hashable, Sendable, Codable, CaseIterable {
    /// Every check passed and the time is plausible.
    case pass
    /// A check failed; `Reason` says which.
    case reject
    /// The candidate was not run to the end (the runner died, timed out or was unreachable); a rerun tries it again.
    case notRun = "not_run"
}

/// Why a candidate was rejected or not run. Each rule's reason sits beside it, and every rejection names one.
public enum Reason: String, Hashable, Sendable, Codable, CaseIterable {
    case invalidSchedule = "invalid_schedule"
    case exceedsDevice = "exceeds_device"
    case unsupported
    case persistentState = "persistent_state"
    case buildFailed = "build_failed"
    case launchFailed = "launch_failed"
    case outOfBoundsWrite = "out_of_bounds_write"
    case inputModified = "input_modified"
    case outOfBoundsRead = "out_of_bounds_read"
    case staleResult = "stale_result"
    case nondeterministic
    case unwrittenOutput = "unwritten_output"
    case nonFinite = "non_finite"
    case precisionLoss = "precision_loss"
    case wrongResult = "wrong_result"
    case changedAfterTiming = "changed_after_timing"
    case timerInconsistent = "timer_inconsistent"
    case impossiblyFast = "impossibly_fast"
    case runnerFailed = "runner_failed"
    case crashed

    /// The rule, in words, as `verify --explain` and docs/verifier.md print it.
    public var rule: String {
        switch self {
        case .invalidSchedule: "the schedule breaks a rule of its kernel template (divisibility, vector widths, tile per thread)"
        case .exceedsDevice: "the work-group size or local memory exceeds what the device allows"
        case .unsupported: "the candidate needs something this runner cannot do (another language, a data type)"
        case .persistentState: "the source declares a mutable program-scope or static variable: state that outlives a launch outside the declared scratch buffers"
        case .buildFailed: "the kernel source does not compile"
        case .launchFailed: "the runtime refused or aborted a launch"
        case .outOfBoundsWrite: "memory past the end of a buffer (its guard zone) changed"
        case .inputModified: "an input buffer differs after the run"
        case .outOfBoundsRead: "the output changes when only the guard zones past the inputs change: the kernel reads out of bounds"
        case .staleResult: "a repeated run left the output unwritten, or wrote an earlier run's result: the kernel caches instead of computing"
        case .nondeterministic: "two runs on the same inputs differ bit for bit (a race, or atomics in a kernel declared deterministic)"
        case .unwrittenOutput: "output elements still hold the poison written before the run (a NaN or a finite sentinel, drawn per verification)"
        case .nonFinite: "an output is NaN or infinite where the reference is finite"
        case .precisionLoss: "the error is small but above the data type's tolerance (reduced-precision arithmetic)"
        case .wrongResult: "the output is far from the float64 reference"
        case .changedAfterTiming: "the output of a timed repetition (every one when the host reference is cheap, else a few drawn unannounced, and the last; fresh inputs every repetition) is wrong"
        case .timerInconsistent: "device timestamps disagree with the host's wall clock"
        case .impossiblyFast: "the median time is below the machine's physical lower bound (bytes / peak bandwidth, FLOPs / peak rate)"
        case .runnerFailed: "the runner died, timed out or could not be reached"
        case .crashed: "the candidate took down the child process that ran it (a signal, an abort in the driver) or kept it past its deadline"
        }
    }
}
