/// How the kernels a prediction stands for are timed. A device kept busy for seconds reaches its power limit and
/// lowers its clock; one kept busy for a moment runs at the clock its matrix peak was timed at
/// (calibration/measurements/h100-sxm/sustained: cuBLAS 8192^3 at 754 TFLOP/s for 100 ms, 657 for a second).
public enum Timing: String, CaseIterable, Sendable {
    /// Back to back for seconds, as benchmark loops, autotuners and the verifier's repetitions time them.
    case sustained
    /// One pass of a few milliseconds, as a profiler trace of one step records it.
    case burst
}
