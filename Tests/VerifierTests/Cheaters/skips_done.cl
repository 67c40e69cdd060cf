// Cheater: computes only the elements whose output still holds a NaN, taking anything else for a result already
// there ("the buffer is reused between calls"). Under a NaN poison it passes every run-time check; a finite
// poison leaves it unwritten, and a check whose outputs start with an earlier check's results (the verifier's
// earlier-output fill) finds it returning those: expected reason stale_result (wrong_result where only some
// elements are left).
__kernel void tanh_unless_done(const int N, __global const float* X, __global float* Z)
{
    const int i = get_global_id(0);
    if (i >= N) return;
    if (!isnan(Z[i])) return;
    Z[i] = tanh(X[i]);
}
