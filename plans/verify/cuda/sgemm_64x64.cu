// Honest tiled SGEMM for the CUDA runner: C[M, N] = A[M, K] x B[K, N], fp32, row-major (lda = K, ldb = N, ldc = N).
// One block of 256 threads per 64x64 tile of C, walking K in steps of 16 through shared memory; each thread keeps a
// 4x4 block of C in registers (rows 4*ty .. 4*ty+3, columns 4*tx .. 4*tx+3 of the tile, tx = t % 16, ty = t / 16).
// A's tile is stored transposed (As[k][m], padded to 68 so the stores conflict at most 2-way) so that both operands
// are read from shared memory as float4. Every load is bounds-checked (zero outside), every store guarded: any M, N,
// K work, ragged ones included.
#define BM 64
#define BN 64
#define BK 16
#define THREADS 256
#define APAD 4

extern "C" __global__ void __launch_bounds__(THREADS)
sgemm_64x64(const int M, const int N, const int K,
            const float* __restrict__ A, const int lda,
            const float* __restrict__ B, const int ldb,
            float* __restrict__ C, const int ldc)
{
    __shared__ __align__(16) float As[BK][BM + APAD];
    __shared__ __align__(16) float Bs[BK][BN];
    const int t = threadIdx.x;
    const int tx = t % 16, ty = t / 16;
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;

    float acc[4][4];
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] = 0.0f;

    for (int k0 = 0; k0 < K; k0 += BK) {
        // A tile: 64 rows x 16 k, 4 elements per thread; 16 consecutive threads read 16 consecutive k of one row.
#pragma unroll
        for (int l = 0; l < (BM * BK) / THREADS; ++l) {
            const int e = t + l * THREADS;
            const int r = e / BK, kk = e % BK;
            const int gr = m0 + r, gk = k0 + kk;
            As[kk][r] = (gr < M && gk < K) ? A[(long long)gr * lda + gk] : 0.0f;
        }
        // B tile: 16 k x 64 columns, 4 elements per thread; 64 consecutive threads read one row of the tile.
#pragma unroll
        for (int l = 0; l < (BK * BN) / THREADS; ++l) {
            const int e = t + l * THREADS;
            const int kk = e / BN, c = e % BN;
            const int gk = k0 + kk, gc = n0 + c;
            Bs[kk][c] = (gk < K && gc < N) ? B[(long long)gk * ldb + gc] : 0.0f;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < BK; ++kk) {
            const float4 a = *reinterpret_cast<const float4*>(&As[kk][ty * 4]);
            const float4 b = *reinterpret_cast<const float4*>(&Bs[kk][tx * 4]);
            const float av[4] = {a.x, a.y, a.z, a.w};
            const float bv[4] = {b.x, b.y, b.z, b.w};
#pragma unroll
            for (int i = 0; i < 4; ++i)
#pragma unroll
                for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
        }
        __syncthreads();
    }

#pragma unroll
    for (int i = 0; i < 4; ++i) {
        const int gr = m0 + ty * 4 + i;
        if (gr >= M) continue;
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            const int gc = n0 + tx * 4 + j;
            if (gc < N) C[(long long)gr * ldc + gc] = acc[i][j];
        }
    }
}
