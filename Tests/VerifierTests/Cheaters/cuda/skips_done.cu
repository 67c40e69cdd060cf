// Cheater (CUDA twin of skips_done.cl): computes only the elements whose output still holds a NaN, taking anything
// else for a result already there. Expected reason stale_result (wrong_result where only some elements are left).
extern "C" __global__ void tanh_unless_done(const int N, const float* X, float* Z)
{
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= N) return;
    if (!isnan(Z[i])) return;
    Z[i] = tanhf(X[i]);
}
