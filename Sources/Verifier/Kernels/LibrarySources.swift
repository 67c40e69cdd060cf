/// The OpenCL C templates of the candidate library, parameterised by compile-time defines.
///
/// A schedule turns into `#define` lines prepended to a template (see `LibraryKernels`), so that one template yields a
/// whole space. This is the only copy: `kernelcast calibrate kernels --output DIR` writes them as `verifier/*.cl` for
/// people and other tools. Every kernel bounds-checks its loads and stores, so ragged shapes need no padding.
public enum LibrarySources {
    /// Tiled SGEMM in the style of CLBlast's xgemm, row-major `C[M,N] = A[M,K] · B[K,N]`.
    public static let gemm = #"""
// KernelCast verifier library: tiled SGEMM, C[M,N] = epilogue(A[M,K] * B[K,N]), all row-major, batched along
// the third NDRange dimension (batches follow each other in memory).
//
// In the style of CLBlast's xgemm: a work-group computes an MWG x NWG tile of C with MDIMC x NDIMC threads, each
// thread MWI x NWI outputs (strided by MDIMC rows and by NDIMC*VWN columns, so that neighbouring threads touch
// neighbouring addresses); K advances KWG at a time; the A and B tiles are staged in local memory when SA / SB are 1
// and read straight from global memory otherwise; the inner K loop is unrolled KWI times; VWK is the vector width of
// A loads (along K), VWN that of B loads and C stores (along N). Unlike CLBlast, which pads matrices to tile
// multiples in separate kernels, every load and store is bounds-checked, so ragged M, N, K need no padding.
// EPILOGUE: 0 none, 1 + bias[N], 2 relu(+ bias), 3 gelu(+ bias), 4 + R[M,N] (residual).
// Launch: global (ceil_div(N, NWG) * NDIMC, ceil_div(M, MWG) * MDIMC, batch), local (NDIMC, MDIMC, 1).
#ifndef MWG
#define MWG 64
#endif
#ifndef NWG
#define NWG 64
#endif
#ifndef KWG
#define KWG 16
#endif
#ifndef MDIMC
#define MDIMC 16
#endif
#ifndef NDIMC
#define NDIMC 16
#endif
#ifndef VWK
#define VWK 1
#endif
#ifndef VWN
#define VWN 1
#endif
#ifndef SA
#define SA 1
#endif
#ifndef SB
#define SB 1
#endif
#ifndef KWI
#define KWI 1
#endif
#ifndef EPILOGUE
#define EPILOGUE 0
#endif

#define MWI (MWG / MDIMC)
#define NWI (NWG / NDIMC)
#define WGS (MDIMC * NDIMC)
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)

// Copy VWK (VWN) consecutive floats from p into the private array t, as one vector load when wider than 1.
#if VWK == 1
#define LOAD_A(t, p) ((t)[0] = *(p))
#else
#define LOAD_A(t, p) CAT(vstore, VWK)(CAT(vload, VWK)(0, (p)), 0, (t))
#endif
#if VWN == 1
#define LOAD_B(t, p) ((t)[0] = *(p))
#else
#define LOAD_B(t, p) CAT(vstore, VWN)(CAT(vload, VWN)(0, (p)), 0, (t))
#endif

// Column of C (within the tile) of a thread's ni-th output.
#define NIDX(tn, ni) (((ni) / VWN) * NDIMC * VWN + (tn) * VWN + ((ni) % VWN))

// The epilogue applied to one accumulated value of C at (gm, gn).
#if EPILOGUE == 0
#define EPI(v, gm, gn) (v)
#elif EPILOGUE == 1
#define EPI(v, gm, gn) ((v) + E[gn])
#elif EPILOGUE == 2
#define EPI(v, gm, gn) fmax((v) + E[gn], 0.0f)
#elif EPILOGUE == 3
#define EPI(v, gm, gn) gelu((v) + E[gn])
#else
#define EPI(v, gm, gn) ((v) + E[(size_t)(gm) * ldc + (gn)])
#endif

float gelu(const float x)
{
    return 0.5f * x * (1.0f + tanh(0.7978845608f * (x + 0.044715f * x * x * x)));
}

__kernel __attribute__((reqd_work_group_size(NDIMC, MDIMC, 1)))
void sgemm(const int M, const int N, const int K,
           const __global float* restrict A, const int lda,
           const __global float* restrict B, const int ldb,
#if EPILOGUE != 0
           const __global float* restrict E,
#endif
           __global float* restrict C, const int ldc)
{
    const int batch = get_group_id(2);
    A += (size_t)batch * M * lda;
    B += (size_t)batch * K * ldb;
    C += (size_t)batch * M * ldc;
#if EPILOGUE == 4
    E += (size_t)batch * M * ldc;
#endif
    const int tn = get_local_id(0);
    const int tm = get_local_id(1);
#if SA || SB
    const int tid = tm * NDIMC + tn;
#endif
    const int m0 = get_group_id(1) * MWG;
    const int n0 = get_group_id(0) * NWG;
#if SA
    __local float Alm[KWG][MWG];
#endif
#if SB
    __local float Blm[KWG][NWG];
#endif
    float acc[MWI][NWI];
    for (int mi = 0; mi < MWI; ++mi)
        for (int ni = 0; ni < NWI; ++ni) acc[mi][ni] = 0.0f;

    for (int k0 = 0; k0 < K; k0 += KWG) {
#if SA
        for (int i = tid; i < MWG * (KWG / VWK); i += WGS) {
            const int row = i / (KWG / VWK);
            const int kv = (i % (KWG / VWK)) * VWK;
            const int gm = m0 + row;
            const int gk = k0 + kv;
            float t[VWK];
            if (gm < M && gk + VWK <= K) {
                LOAD_A(t, A + (size_t)gm * lda + gk);
            } else {
                for (int c = 0; c < VWK; ++c) t[c] = (gm < M && gk + c < K) ? A[(size_t)gm * lda + gk + c] : 0.0f;
            }
            for (int c = 0; c < VWK; ++c) Alm[kv + c][row] = t[c];
        }
#endif
#if SB
        for (int i = tid; i < KWG * (NWG / VWN); i += WGS) {
            const int row = i / (NWG / VWN);
            const int nv = (i % (NWG / VWN)) * VWN;
            const int gk = k0 + row;
            const int gn = n0 + nv;
            float t[VWN];
            if (gk < K && gn + VWN <= N) {
                LOAD_B(t, B + (size_t)gk * ldb + gn);
            } else {
                for (int c = 0; c < VWN; ++c) t[c] = (gk < K && gn + c < N) ? B[(size_t)gk * ldb + gn + c] : 0.0f;
            }
            for (int c = 0; c < VWN; ++c) Blm[row][nv + c] = t[c];
        }
#endif
#if SA || SB
        barrier(CLK_LOCAL_MEM_FENCE);
#endif
        for (int kk = 0; kk < KWG; kk += KWI) {
#pragma unroll
            for (int ku = 0; ku < KWI; ++ku) {
                const int k = kk + ku;
                float apm[MWI];
                float bpn[NWI];
#pragma unroll
                for (int mi = 0; mi < MWI; ++mi) {
#if SA
                    apm[mi] = Alm[k][tm + mi * MDIMC];
#else
                    const int gm = m0 + tm + mi * MDIMC;
                    apm[mi] = (gm < M && k0 + k < K) ? A[(size_t)gm * lda + k0 + k] : 0.0f;
#endif
                }
#pragma unroll
                for (int ni = 0; ni < NWI; ++ni) {
#if SB
                    bpn[ni] = Blm[k][NIDX(tn, ni)];
#else
                    const int gn = n0 + NIDX(tn, ni);
                    bpn[ni] = (gn < N && k0 + k < K) ? B[(size_t)(k0 + k) * ldb + gn] : 0.0f;
#endif
                }
#pragma unroll
                for (int mi = 0; mi < MWI; ++mi)
#pragma unroll
                    for (int ni = 0; ni < NWI; ++ni) acc[mi][ni] = fma(apm[mi], bpn[ni], acc[mi][ni]);
            }
        }
#if SA || SB
        barrier(CLK_LOCAL_MEM_FENCE);
#endif
    }

    for (int mi = 0; mi < MWI; ++mi) {
        const int gm = m0 + tm + mi * MDIMC;
        if (gm >= M) continue;
        for (int g = 0; g < NWI / VWN; ++g) {
            const int gn = n0 + g * NDIMC * VWN + tn * VWN;
            __global float* out = C + (size_t)gm * ldc + gn;
            float t[VWN];
            for (int c = 0; c < VWN; ++c) t[c] = gn + c < N ? EPI(acc[mi][g * VWN + c], gm, gn + c) : 0.0f;
#if VWN > 1
            if (gn + VWN <= N) {
                CAT(vstore, VWN)(CAT(vload, VWN)(0, t), 0, out);
                continue;
            }
#endif
            for (int c = 0; c < VWN; ++c)
                if (gn + c < N) out[c] = t[c];
        }
    }
}
"""#

    /// An elementwise chain (fused: all steps in one kernel; unfused: one launch per step); with no steps, a copy.
    public static let elementwise = #"""
// KernelCast verifier library: elementwise chain Z[i] = chain(X[i], Y1[i], Y2[i], ...) over N elements; with an
// empty chain, a copy.
//
// CHAIN(v) holds the chain's steps as assignments to v (a float or floatVW); EXTRA_PARAMS adds the extra inputs
// Y1, Y2, ... to the parameters, and LOAD_EXTRA_V(i) / LOAD_EXTRA_S(i) load them into y1, y2, ... as vectors or
// scalars. A work-group of WGS threads covers WGS * EPT consecutive elements; each thread handles EPT / VW
// vectors of VW elements, strided by WGS * VW so that neighbouring threads touch neighbouring vectors. The ragged tail
// is done element by element. An unfused chain launches this kernel once per step with a one-step CHAIN.
// Launch: global (ceil_div(N, WGS * EPT) * WGS), local (WGS).
#ifndef WGS
#define WGS 256
#endif
#ifndef EPT
#define EPT 4
#endif
#ifndef VW
#define VW 1
#endif
#ifndef EXTRA_PARAMS
#define EXTRA_PARAMS
#define LOAD_EXTRA_V(i)
#define LOAD_EXTRA_S(i)
#endif
#ifndef CHAIN
#define CHAIN(v)
#endif

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#if VW == 1
typedef float floatv;
#define LOADV(p) (*(p))
#define STOREV(v, p) (*(p) = (v))
#else
typedef CAT(float, VW) floatv;
#define LOADV(p) CAT(vload, VW)(0, (p))
#define STOREV(v, p) CAT(vstore, VW)((v), 0, (p))
#endif

__kernel __attribute__((reqd_work_group_size(WGS, 1, 1)))
void elementwise(const int N, const __global float* restrict X EXTRA_PARAMS, __global float* restrict Z)
{
    const int block = get_group_id(0) * (WGS * EPT);
    const int lid = get_local_id(0);
    for (int j = 0; j < EPT / VW; ++j) {
        const int i = block + (j * WGS + lid) * VW;
        if (i + VW <= N) {
            floatv v = LOADV(X + i);
            LOAD_EXTRA_V(i)
            CHAIN(v);
            STOREV(v, Z + i);
        } else {
            for (int c = 0; c < VW; ++c) {
                if (i + c >= N) break;
                float v = X[i + c];
                LOAD_EXTRA_S(i + c)
                CHAIN(v);
                Z[i + c] = v;
            }
        }
    }
}
"""#

    /// Row softmax, layernorm and rmsnorm: WIDTH threads per row, ROWS rows per work-group.
    public static let rows = #"""
// KernelCast verifier library: row-wise softmax (ROWOP 0), layernorm (ROWOP 1), rmsnorm (ROWOP 2) and sum (ROWOP 3,
// one output per row) over X[M, N].
//
// A work-group holds ROWS rows of WIDTH threads (WIDTH a power of two); the threads of a row stride along it VW
// elements at a time, reduce through local memory (max and sum for softmax, mean and variance in two passes for
// layernorm, mean square for rmsnorm), then write the row. Rows past M take part in barriers and touch no memory.
// With WELFORD 1 a layernorm gathers its mean and variance in one pass instead: each thread updates a running
// (count, mean, M2) one element at a time, and the row's threads merge theirs pairwise (Chan et al.).
// Launch: global (WIDTH, ceil_div(M, ROWS) * ROWS), local (WIDTH, ROWS).
#ifndef ROWOP
#define ROWOP 0
#endif
#ifndef WELFORD
#define WELFORD 0
#endif
#ifndef WIDTH
#define WIDTH 64
#endif
#ifndef ROWS
#define ROWS 1
#endif
#ifndef VW
#define VW 1
#endif
#define EPSILON 1e-5f
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#if VW == 1
#define LOAD_RUN(t, p) ((t)[0] = *(p))
#else
#define LOAD_RUN(t, p) CAT(vstore, VW)(CAT(vload, VW)(0, (p)), 0, (t))
#endif

// Reduces v over the WIDTH threads of a row; every thread of the work-group must call it.
float row_reduce(float v, __local float* s, const int lid, const int is_max)
{
    s[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int stride = WIDTH / 2; stride > 0; stride >>= 1) {
        if (lid < stride) s[lid] = is_max ? fmax(s[lid], s[lid + stride]) : s[lid] + s[lid + stride];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float r = s[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

#if WELFORD
// Merges the running (count, mean, M2) of the WIDTH threads of a row; every thread of the work-group must call it.
void row_merge(float* n, float* mean, float* m2, __local float* sn, __local float* sm, __local float* sq, const int lid)
{
    sn[lid] = *n; sm[lid] = *mean; sq[lid] = *m2;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int stride = WIDTH / 2; stride > 0; stride >>= 1) {
        if (lid < stride && sn[lid + stride] > 0.0f) {
            const float na = sn[lid], nb = sn[lid + stride], share = nb / (na + nb);
            const float delta = sm[lid + stride] - sm[lid];
            sm[lid] += delta * share;
            sq[lid] += sq[lid + stride] + delta * delta * na * share;
            sn[lid] = na + nb;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    *n = sn[0]; *mean = sm[0]; *m2 = sq[0];
    barrier(CLK_LOCAL_MEM_FENCE);
}
#endif

__kernel __attribute__((reqd_work_group_size(WIDTH, ROWS, 1)))
void rowop(const int M, const int N, const __global float* restrict X,
#if ROWOP == 1 || ROWOP == 2
           const __global float* restrict gamma,
#endif
#if ROWOP == 1
           const __global float* restrict beta,
#endif
           __global float* restrict Y)
{
    __local float scratch[ROWS][WIDTH];
#if WELFORD
    __local float scratch_mean[ROWS][WIDTH], scratch_m2[ROWS][WIDTH];
#endif
    const int lid = get_local_id(0);
    const int ly = get_local_id(1);
    const int row = get_group_id(1) * ROWS + ly;
    const int active = row < M;
    const __global float* x = X + (size_t)(active ? row : 0) * N;
#if ROWOP != 3
    __global float* y = Y + (size_t)(active ? row : 0) * N;
#endif
    float t[VW];

#if WELFORD && ROWOP == 1
    // One pass: each thread's running count, mean and M2 (the sum of squared deviations), merged across the row.
    float n = 0.0f, mean = 0.0f, m2 = 0.0f;
    if (active) {
        for (int c = lid * VW; c < N; c += WIDTH * VW) {
            if (c + VW <= N) { LOAD_RUN(t, x + c); } else { for (int e = 0; e < VW; ++e) t[e] = c + e < N ? x[c + e] : 0.0f; }
            for (int e = 0; e < VW && c + e < N; ++e) {
                n += 1.0f;
                const float d = t[e] - mean;
                mean += d / n;
                m2 = fma(d, t[e] - mean, m2);
            }
        }
    }
    row_merge(&n, &mean, &m2, scratch[ly], scratch_mean[ly], scratch_m2[ly], lid);
    const float b = m2;
#else
    // Pass 1: the row's maximum (softmax) or sum (layernorm, sum) or sum of squares (rmsnorm).
    float a = ROWOP == 0 ? -INFINITY : 0.0f;
    if (active) {
        for (int c = lid * VW; c < N; c += WIDTH * VW) {
            if (c + VW <= N) { LOAD_RUN(t, x + c); } else { for (int e = 0; e < VW; ++e) t[e] = c + e < N ? x[c + e] : (ROWOP == 0 ? -INFINITY : 0.0f); }
            for (int e = 0; e < VW; ++e) a = ROWOP == 0 ? fmax(a, t[e]) : (ROWOP == 2 ? fma(t[e], t[e], a) : a + t[e]);
        }
    }
    a = row_reduce(a, scratch[ly], lid, ROWOP == 0);
#endif
#if ROWOP == 3
    if (active && lid == 0) Y[row] = a;
#else

#if ROWOP == 0 || (ROWOP == 1 && !WELFORD)
    // Pass 2: the sum of exponentials (softmax) or of squared deviations (layernorm).
    float b = 0.0f;
#if ROWOP == 1
    const float mean = a / N;
#endif
    if (active) {
        for (int c = lid * VW; c < N; c += WIDTH * VW) {
            if (c + VW <= N) { LOAD_RUN(t, x + c); } else { for (int e = 0; e < VW; ++e) t[e] = c + e < N ? x[c + e] : 0.0f; }
            for (int e = 0; e < VW && c + e < N; ++e) {
#if ROWOP == 0
                b += exp(t[e] - a);
#else
                b = fma(t[e] - mean, t[e] - mean, b);
#endif
            }
        }
    }
    b = row_reduce(b, scratch[ly], lid, 0);
#endif

    // Pass 3: write the row.
    if (active) {
#if ROWOP == 0
        const float scale = 1.0f / b;
#elif ROWOP == 1
        const float scale = rsqrt(b / N + EPSILON);
#else
        const float scale = rsqrt(a / N + EPSILON);
#endif
        for (int c = lid * VW; c < N; c += WIDTH * VW) {
            const int full = c + VW <= N;
            if (full) { LOAD_RUN(t, x + c); } else { for (int e = 0; e < VW; ++e) t[e] = c + e < N ? x[c + e] : 0.0f; }
            for (int e = 0; e < VW; ++e) {
#if ROWOP == 0
                t[e] = exp(t[e] - a) * scale;
#elif ROWOP == 1
                if (c + e < N) t[e] = (t[e] - mean) * scale * gamma[c + e] + beta[c + e];
#elif ROWOP == 2
                if (c + e < N) t[e] = t[e] * scale * gamma[c + e];
#endif
            }
#if VW > 1
            if (full) {
                CAT(vstore, VW)(CAT(vload, VW)(0, t), 0, y + c);
                continue;
            }
#endif
            for (int e = 0; e < VW; ++e) if (c + e < N) y[c + e] = t[e];
        }
    }
#endif
}
"""#

    /// Tiled transpose `Y[N, M] = X[M, N]ᵀ`, staged through local memory or not.
    public static let transpose = #"""
// KernelCast verifier library: transpose Y[N, M] = X[M, N]^T, row-major.
//
// A work-group moves a TS x TS tile with TS x TR threads, each thread TS / TR rows of it. With STAGE 1 the tile goes
// through local memory (padded by PAD columns against bank conflicts) so that both the reads of X and the writes of Y
// are along rows; with STAGE 0 each thread writes straight to its transposed place (strided writes).
// Launch: global (ceil_div(N, TS) * TS, ceil_div(M, TS) * TR), local (TS, TR).
#ifndef TS
#define TS 32
#endif
#ifndef TR
#define TR 8
#endif
#ifndef STAGE
#define STAGE 1
#endif
#ifndef PAD
#define PAD 1
#endif

__kernel __attribute__((reqd_work_group_size(TS, TR, 1)))
void transpose(const int M, const int N, const __global float* restrict X, __global float* restrict Y)
{
    const int lx = get_local_id(0);
    const int ly = get_local_id(1);
    const int j0 = get_group_id(0) * TS;
    const int i0 = get_group_id(1) * TS;
#if STAGE
    __local float tile[TS][TS + PAD];
    for (int r = ly; r < TS; r += TR) {
        const int i = i0 + r;
        const int j = j0 + lx;
        if (i < M && j < N) tile[r][lx] = X[(size_t)i * N + j];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int r = ly; r < TS; r += TR) {
        const int j = j0 + r;
        const int i = i0 + lx;
        if (i < M && j < N) Y[(size_t)j * M + i] = tile[lx][r];
    }
#else
    for (int r = ly; r < TS; r += TR) {
        const int i = i0 + r;
        const int j = j0 + lx;
        if (i < M && j < N) Y[(size_t)j * M + i] = X[(size_t)i * N + j];
    }
#endif
}
"""#

    /// The templates by mirror file name.
    public static let all: [(file: String, source: String)] = [
        ("sgemm.cl", gemm), ("elementwise.cl", elementwise), ("rows.cl", rows), ("transpose.cl", transpose),
    ]
}
