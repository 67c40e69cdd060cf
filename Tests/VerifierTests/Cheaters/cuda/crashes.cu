// Cheater (CUDA twin of crashes.cl): writes a terabyte past its output. On a GPU it is an illegal address that
// poisons the CUDA context (every later call in the process fails), so it runs isolated: expected reason crashed.
extern "C" __global__ void relu_far(const int N, const float* X, float* Z)
{
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= N) return;
    Z[i + (1LL << 38)] = fmaxf(X[i], 0.0f);
}
