// Honest twin of reduction_race: the same shared-memory tree row sum with __syncthreads() after the partials are
// stored and after every step of the tree. Deterministic: the same inputs give the same sum bit for bit. It must
// pass.
#define THREADS 256

extern "C" __global__ void __launch_bounds__(THREADS)
row_sum_tree(const int M, const int N, const float* X, float* Y)
{
    __shared__ float partial[THREADS];
    const int row = blockIdx.x;
    const int t = threadIdx.x;
    if (row >= M) return;   // uniform across the block: every thread of it returns or none does
    const float* x = X + (long long)row * N;
    float sum = 0.0f;
    for (int j = t; j < N; j += THREADS) sum += x[j];
    partial[t] = sum;
    __syncthreads();
    for (int s = THREADS / 2; s > 0; s >>= 1) {
        if (t < s) partial[t] += partial[t + s];
        __syncthreads();
    }
    if (t == 0) Y[row] = partial[0];
}
