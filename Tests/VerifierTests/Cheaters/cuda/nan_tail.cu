// Cheater (CUDA twin of nan_tail.cl): a softmax whose last column is "rarely used", filled with whatever an unguarded
// division gives.
extern "C" __global__ void softmax_row(const int M, const int N, const float* X, float* Y)
{
    const int row = blockIdx.x * blockDim.x + threadIdx.x;
    if (row >= M) return;
    const float* x = X + row * N;
    float top = x[0];
    for (int j = 1; j < N - 1; ++j) top = fmaxf(top, x[j]);
    float sum = 0.0f;
    for (int j = 0; j < N - 1; ++j) sum += expf(x[j] - top);
    for (int j = 0; j < N - 1; ++j) Y[row * N + j] = expf(x[j] - top) / sum;
    const float zero = 0.0f;
    Y[row * N + N - 1] = zero / zero;
}
