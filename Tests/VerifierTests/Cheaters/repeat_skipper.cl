// Cheater: declared nondeterministic ("atomics") so that repeated runs are not compared bit for bit, it remembers
// each input value it last saw and recomputes only the elements whose input changed -- right on the first launch of
// every check and in every timed repetition (fresh inputs), nearly free on the repeated launches. Element 0 is always
// written, so the output is never left wholly unwritten.
__kernel void silu_memo(const int N, const __global float* X, __global float* Z, __global uint* seen)
{
    const int i = get_global_id(0);
    if (i >= N) return;
    const float v = X[i];
    const uint key = as_uint(v) + 1u;
    if (i > 0 && seen[i] == key) return;
    seen[i] = key;
    Z[i] = v / (1.0f + exp(-v));
}
