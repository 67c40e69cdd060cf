// Cheater (CUDA twin of half_accumulation.cl): accumulates in half precision ("fp16 is twice as fast"): the running
// sum is converted to a real fp16 (cvt.rn.f16.f32) after every step, keeping 11 significant bits. NVRTC has no
// cuda_fp16.h without the toolkit's include folder, so the conversions are written as inline PTX.
__device__ __forceinline__ float to_half_precision(const float x)
{
    unsigned short h;
    float y;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(x));
    asm("cvt.f32.f16 %0, %1;" : "=f"(y) : "h"(h));
    return y;
}

extern "C" __global__ void sgemm_half_acc(const int M, const int N, const int K,
                                          const float* A, const int lda,
                                          const float* B, const int ldb,
                                          float* C, const int ldc)
{
    const int col = blockIdx.x * blockDim.x + threadIdx.x;
    const int row = blockIdx.y * blockDim.y + threadIdx.y;
    if (row >= M || col >= N) return;
    float acc = 0.0f;
    for (int k = 0; k < K; ++k) acc = to_half_precision(fmaf(A[row * lda + k], B[k * ldb + col], acc));
    C[row * ldc + col] = acc;
}
