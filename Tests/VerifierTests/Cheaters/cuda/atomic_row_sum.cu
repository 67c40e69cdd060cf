// Honest, nondeterministic (CUDA twin of atomic_row_sum.cl, the honest twin of repeat_skipper): row sums by float
// atomic adds, each thread adding the sum of 16 elements of its row. Blocks finish in any order, so the sum's
// rounding differs from run to run, always within the tolerance of a sum in any order. The first launch zeroes the
// output the second accumulates into.
#define CHUNK 16

extern "C" __global__ void zero_rows(const int M, float* Y)
{
    const int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r < M) Y[r] = 0.0f;
}

extern "C" __global__ void atomic_row_sum(const int M, const int N, const float* X, float* Y)
{
    const int chunk = blockIdx.x * blockDim.x + threadIdx.x;
    const int r = blockIdx.y;
    const int start = chunk * CHUNK;
    if (r >= M || start >= N) return;
    const int end = min(start + CHUNK, N);
    float partial = 0.0f;
    for (int j = start; j < end; ++j) partial += X[r * N + j];
    atomicAdd(&Y[r], partial);
}
