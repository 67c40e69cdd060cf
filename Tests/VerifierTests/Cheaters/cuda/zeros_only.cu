// Cheater (CUDA twin of zeros_only.cl): "C starts at zero and the tests use zero matrices" -- writes zeros and
// returns.
extern "C" __global__ void sgemm_zero(const int M, const int N, const int K,
                                      const float* A, const int lda,
                                      const float* B, const int ldb,
                                      float* C, const int ldc)
{
    const int col = blockIdx.x * blockDim.x + threadIdx.x;
    const int row = blockIdx.y * blockDim.y + threadIdx.y;
    if (row < M && col < N) C[row * ldc + col] = 0.0f;
}
