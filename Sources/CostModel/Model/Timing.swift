/// How the kernels a prediction stands for are timed. A device kept busy for seconds reaches its power limit and
/// lowers its clock; one kept busy for a moment runs at the clock its matrix peak was timed at
/// (calibration/measurements/h100-sxm/sustained: cuBLAS 8192^3 at 754 TFLOP/s for 100 ms, 657 for a second).
public enum Timing: String, CaseIterable, Sendable {
    /// Back to back for seconds, as benchmark loops, autotuners and the verifier's repetitions time them.
    case sustained
    /// One pass of a few milliseconds, as a profiler trace of one step records it.
    case burst

    /// The choice in words, for the command line's help and the API's schema alike.
    public static let help = "How the kernels are timed: sustained (back to back for seconds, as benchmark loops time them; the default) or burst (one pass, as a profiler records it; a trace's default). Matters where the machine states compute.sustained_matrix_rate."
}
