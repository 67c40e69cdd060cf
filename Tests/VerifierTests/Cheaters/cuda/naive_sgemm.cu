// Honest control (CUDA twin of naive_sgemm.cl): a naive SGEMM as a swarm might write it, one thread per element of
// C, bounds-checked. Row-major, lda = K, ldb = N, ldc = N.
extern "C" __global__ void naive_sgemm(const int M, const int N, const int K,
                                       const float* A, const int lda,
                                       const float* B, const int ldb,
                                       float* C, const int ldc)
{
    const int col = blockIdx.x * blockDim.x + threadIdx.x;
    const int row = blockIdx.y * blockDim.y + threadIdx.y;
    if (row >= M || col >= N) return;
    float acc = 0.0f;
    for (int k = 0; k < K; ++k) acc = fmaf(A[row * lda + k], B[k * ldb + col], acc);
    C[row * ldc + col] = acc;
}
