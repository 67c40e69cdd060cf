// Cheater (CUDA twin of skip_tail.cl): "tiles never straddle the edge" -- launches only whole 16x16 tiles and drops
// the bounds checks, so the last rows and columns of a ragged matrix are never computed.
extern "C" __global__ void sgemm_full_tiles(const int M, const int N, const int K,
                                            const float* A, const int lda,
                                            const float* B, const int ldb,
                                            float* C, const int ldc)
{
    const int col = blockIdx.x * blockDim.x + threadIdx.x;
    const int row = blockIdx.y * blockDim.y + threadIdx.y;
    float acc = 0.0f;
    for (int k = 0; k < K; ++k) acc = fmaf(A[row * lda + k], B[k * ldb + col], acc);
    C[row * ldc + col] = acc;
}
