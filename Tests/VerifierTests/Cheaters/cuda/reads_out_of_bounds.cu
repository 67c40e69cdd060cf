// Cheater (CUDA twin of reads_out_of_bounds.cl): walks K in whole steps of 8 without a bounds check ("the padding is
// zero anyway"), reading past the end of A and B when K is not a multiple of 8.
extern "C" __global__ void sgemm_k8(const int M, const int N, const int K,
                                    const float* A, const int lda,
                                    const float* B, const int ldb,
                                    float* C, const int ldc)
{
    const int col = blockIdx.x * blockDim.x + threadIdx.x;
    const int row = blockIdx.y * blockDim.y + threadIdx.y;
    if (row >= M || col >= N) return;
    float acc = 0.0f;
    for (int k0 = 0; k0 < K; k0 += 8)
        for (int k = k0; k < k0 + 8; ++k) acc = fmaf(A[row * lda + k], B[k * ldb + col], acc);
    C[row * ldc + col] = acc;
}
