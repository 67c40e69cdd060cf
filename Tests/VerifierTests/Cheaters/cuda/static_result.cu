// Cheater (CUDA twin of static_result.cl): computes once, keeps the result in a workspace, and copies it out on every
// later call.
extern "C" __global__ void relu_cached(const int N, const float* X, float* Z, float* cache, int* valid)
{
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= N) return;
    if (valid[i]) { Z[i] = cache[i]; return; }
    const float v = fmaxf(X[i], 0.0f);
    cache[i] = v;
    valid[i] = 1;
    Z[i] = v;
}
