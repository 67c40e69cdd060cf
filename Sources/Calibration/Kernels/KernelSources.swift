/// OpenCL C sources of the calibration suite, compiled into the binary so that `kernelcast calibrate` runs from
/// anywhere (the H100 host gets a binary, not the repository).
///
/// This is the only copy: `kernelcast calibrate kernels --output DIR` writes each as `NAME.cl` for reading, diffing
/// and trying with other tools.
public enum KernelSources {
    /// `stream.cl`
    public static let stream = #"""
// Device-memory bandwidth (kernelcast calibrate, benchmark "stream").
// One vector element per work-item, as BabelStream does: consecutive work-items touch consecutive addresses, which
// coalesces on GPUs and vectorizes across the work-item loop on CPU runtimes. Buffers hold varied values of 1 and
// more (uniform data could be compressed by the GPU), so the read kernel's store never happens; it is there so the
// compiler cannot drop the loads. Bytes counted: read S, write S, copy 2S, triad 3S (a = b + scalar * c), S being
// one array's size.
#define HIT_SCALAR(v) ((v) == -1.0f)
#define HIT_VECTOR(v) (any((v) == -1.0f))
#define HIT_HALVES(v) (HIT_VECTOR((v).lo) || HIT_VECTOR((v).hi))

#define STREAM_KERNELS(T, HIT)                                                                                  \
__kernel void stream_read_##T(__global const T* restrict a, __global float* restrict sink) {                   \
    T v = a[get_global_id(0)];                                                                                  \
    if (HIT(v)) sink[0] = 1.0f;                                                                                 \
}                                                                                                               \
__kernel void stream_write_##T(__global T* restrict a, float value) {                                          \
    size_t i = get_global_id(0);                                                                                \
    a[i] = (T)(value + (float)(i & 1023));                                                                      \
}                                                                                                               \
__kernel void stream_copy_##T(__global const T* restrict a, __global T* restrict c) {                          \
    size_t i = get_global_id(0);                                                                                \
    c[i] = a[i];                                                                                                \
}                                                                                                               \
__kernel void stream_triad_##T(__global T* restrict a, __global const T* restrict b,                           \
                               __global const T* restrict c, float scalar) {                                   \
    size_t i = get_global_id(0);                                                                                \
    a[i] = b[i] + (T)(scalar) * c[i];                                                                           \
}

STREAM_KERNELS(float, HIT_SCALAR)
STREAM_KERNELS(float2, HIT_VECTOR)
STREAM_KERNELS(float4, HIT_VECTOR)
STREAM_KERNELS(float8, HIT_VECTOR)
STREAM_KERNELS(float16, HIT_HALVES)
"""#

    /// `sweep.cl`
    public static let sweep = #"""
// Working-set sweep (kernelcast calibrate, benchmark "cache-sweep").
// A footprint of n vectors is read over and over. Work-group g starts at its own offset (g * group_stride), and the
// offsets are spread evenly over the footprint, so between two reads of one address the device has touched about the
// whole footprint: reads hit a cache level while the footprint fits in it, per compute unit (private caches) and
// device-wide (shared ones). Eight independent accumulators keep loads in flight. The buffer holds random values in
// [1, 2) (uniform data could be compressed by the GPU), so the store never happens; it keeps the loads from being
// dropped.
//
// sweep_T (GPUs): the work-items of a group read side by side (i, i + L, ... with L the local size, coalesced), each
// `reads` vectors, the index wrapping at n. Requires n >= 8 * L.
// sweep_contiguous_T (CPUs, one work-item per group): the work-item streams `reads` vectors from its offset, wrapping
// at n, in runs without per-load index arithmetic. Requires n and reads to be multiples of 8.
#define WRAP(x) ((x) >= n ? (x) - n : (x))
#define HIT_VECTOR(v) (any((v) == -1.0f))
#define HIT_HALVES(v) (HIT_VECTOR((v).lo) || HIT_VECTOR((v).hi))

#define SWEEP_KERNELS(T, HIT)                                                                                   \
__kernel void sweep_##T(__global const T* restrict a, uint n, uint reads, uint group_stride,                   \
                        __global float* restrict sink) {                                                        \
    uint L = (uint)get_local_size(0);                                                                           \
    uint i = (uint)((get_group_id(0) * (size_t)group_stride + get_local_id(0)) % n);                           \
    T s0 = (T)(0.0f), s1 = (T)(0.0f), s2 = (T)(0.0f), s3 = (T)(0.0f);                                           \
    T s4 = (T)(0.0f), s5 = (T)(0.0f), s6 = (T)(0.0f), s7 = (T)(0.0f);                                           \
    for (uint r = 0; r < reads; r += 8) {                                                                       \
        s0 += a[i];                                                                                             \
        s1 += a[WRAP(i + L)];                                                                                   \
        s2 += a[WRAP(i + 2 * L)];                                                                               \
        s3 += a[WRAP(i + 3 * L)];                                                                               \
        s4 += a[WRAP(i + 4 * L)];                                                                               \
        s5 += a[WRAP(i + 5 * L)];                                                                               \
        s6 += a[WRAP(i + 6 * L)];                                                                               \
        s7 += a[WRAP(i + 7 * L)];                                                                               \
        i = WRAP(i + 8 * L);                                                                                    \
    }                                                                                                           \
    T s = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));                                                    \
    if (HIT(s)) sink[0] = 1.0f;                                                                                 \
}                                                                                                               \
__kernel void sweep_contiguous_##T(__global const T* restrict a, uint n, uint reads, uint group_stride,        \
                                   __global float* restrict sink) {                                             \
    uint i = (uint)((get_group_id(0) * (size_t)group_stride) % n) & ~7u;                                        \
    T s0 = (T)(0.0f), s1 = (T)(0.0f), s2 = (T)(0.0f), s3 = (T)(0.0f);                                           \
    T s4 = (T)(0.0f), s5 = (T)(0.0f), s6 = (T)(0.0f), s7 = (T)(0.0f);                                           \
    uint done = 0;                                                                                              \
    while (done < reads) {                                                                                      \
        uint run = min(n - i, reads - done);                                                                    \
        __global const T* p = a + i;                                                                            \
        for (uint r = 0; r < run; r += 8) {                                                                     \
            s0 += p[r];     s1 += p[r + 1]; s2 += p[r + 2]; s3 += p[r + 3];                                     \
            s4 += p[r + 4]; s5 += p[r + 5]; s6 += p[r + 6]; s7 += p[r + 7];                                     \
        }                                                                                                       \
        done += run;                                                                                            \
        i = 0;                                                                                                  \
    }                                                                                                           \
    T s = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));                                                    \
    if (HIT(s)) sink[0] = 1.0f;                                                                                 \
}

SWEEP_KERNELS(float2, HIT_VECTOR)
SWEEP_KERNELS(float4, HIT_VECTOR)
SWEEP_KERNELS(float8, HIT_VECTOR)
SWEEP_KERNELS(float16, HIT_HALVES)
"""#

    /// `chase.cl`
    public static let chase = #"""
// Pointer-chase latency (kernelcast calibrate, benchmark "pointer-chase").
// `next` holds one random cyclic permutation of the footprint's lines: the first word of each line is the index of
// the next line's first word. One work-item follows it `hops` times (a multiple of 8); every load depends on the one
// before, so the time per hop is the load-to-use latency of the level the footprint fits in. The walk goes on from
// where the previous launch stopped (position[0]), so that launch after launch it reaches new lines instead of
// revisiting the same first few, which would stay cached whatever the footprint.
__kernel void chase(__global const uint* restrict next, uint hops, __global uint* restrict position) {
    uint j = position[0];
    for (uint h = 0; h < hops; h += 8) {
        j = next[j]; j = next[j]; j = next[j]; j = next[j];
        j = next[j]; j = next[j]; j = next[j]; j = next[j];
    }
    position[0] = j;
}
"""#

    /// `local.cl`
    public static let local = #"""
// Local (shared) memory bandwidth (kernelcast calibrate, benchmark "local-memory").
// Each work-group fills a tile of mask + 1 float4 values (a power of two, at least 4 * L), then every work-item reads
// four tile entries per iteration, lanes side by side (no bank conflicts), with four independent accumulators.
// Tile values are non-negative, so the store never happens.
__kernel void local_read(__global float* restrict sink, uint iterations, uint mask, __local float4* tile) {
    uint l = (uint)get_local_id(0);
    uint L = (uint)get_local_size(0);
    for (uint k = l; k <= mask; k += L) tile[k] = (float4)((float)k);
    barrier(CLK_LOCAL_MEM_FENCE);
    float4 s0 = (float4)(0.0f), s1 = (float4)(0.0f), s2 = (float4)(0.0f), s3 = (float4)(0.0f);
    uint i = l;
    for (uint it = 0; it < iterations; ++it) {
        s0 += tile[i];
        s1 += tile[(i + L) & mask];
        s2 += tile[(i + 2 * L) & mask];
        s3 += tile[(i + 3 * L) & mask];
        i = (i + 4 * L + 1) & mask;
    }
    float4 s = (s0 + s1) + (s2 + s3);
    if (any(s == -1.0f)) sink[0] = 1.0f;
}
"""#

    /// `fma.cl`
    public static let fma = #"""
// Peak arithmetic (kernelcast calibrate, benchmark "peak-arithmetic").
// Built once per precision with -DREAL=float, -DREAL=double -DUSE_FP64, or -DREAL=half -DUSE_FP16. Each work-item
// runs eight independent chains x = fma(x, a, b) on vectors of 1, 2, 4 or 8 lanes, 32 FMAs per loop iteration; an
// FMA counts as two operations. With a = 0.999 and b = 0.001 the chains settle at 1, never overflowing or going
// subnormal. Every work-item stores its sum, so no chain can be dropped.
#if defined(USE_FP64)
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#endif
#if defined(USE_FP16)
#pragma OPENCL EXTENSION cl_khr_fp16 : enable
#endif
#ifndef REAL
#define REAL float
#endif
#define CONCAT_(a, b) a##b
#define CONCAT(a, b) CONCAT_(a, b)
#define VECTOR(n) CONCAT(REAL, n)

#define STEP                                                                                                    \
    x0 = fma(x0, va, vb); x1 = fma(x1, va, vb); x2 = fma(x2, va, vb); x3 = fma(x3, va, vb);                     \
    x4 = fma(x4, va, vb); x5 = fma(x5, va, vb); x6 = fma(x6, va, vb); x7 = fma(x7, va, vb);

#define FMA_KERNEL(NAME, T)                                                                                     \
__kernel void NAME(__global T* restrict sink, uint iterations, float a, float b) {                              \
    T va = (T)((REAL)a);                                                                                        \
    T vb = (T)((REAL)b);                                                                                        \
    T x0 = (T)((REAL)(get_global_id(0) & 7) * (REAL)0.125f);                                                    \
    T x1 = x0 + (T)((REAL)0.01f), x2 = x0 + (T)((REAL)0.02f), x3 = x0 + (T)((REAL)0.03f);                       \
    T x4 = x0 + (T)((REAL)0.04f), x5 = x0 + (T)((REAL)0.05f), x6 = x0 + (T)((REAL)0.06f);                       \
    T x7 = x0 + (T)((REAL)0.07f);                                                                               \
    for (uint i = 0; i < iterations; ++i) {                                                                     \
        STEP STEP STEP STEP                                                                                     \
    }                                                                                                           \
    sink[get_global_id(0)] = ((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7));                                 \
}

FMA_KERNEL(fma_1, REAL)
FMA_KERNEL(fma_2, VECTOR(2))
FMA_KERNEL(fma_4, VECTOR(4))
FMA_KERNEL(fma_8, VECTOR(8))
"""#

    /// `launch.cl`
    public static let launch = #"""
// Launch overhead (kernelcast calibrate, benchmark "launch-overhead"): a kernel that does nothing, launched as one
// work-item, so that what is timed is the launch itself.
__kernel void empty_kernel(__global uint* restrict unused) {
}
"""#

    /// `ops.cl`
    public static let ops = #"""
// Cost of named elementwise ops (kernelcast calibrate, benchmark "element-ops"). Each kernel runs four independent
// chains per work-item; every step applies the op, then renormalises with x = fma(x, a, b) so that values stay in a
// range where the op is defined (a, b are arguments, so nothing folds). The kernel "op_none" runs the
// renormalisation alone: an op's cost is its kernel's time less op_none's. y is a second operand in a register.
#if defined(USE_FP16)
#pragma OPENCL EXTENSION cl_khr_fp16 : enable
#endif

#define OP_KERNEL(NAME, EXPR)                                                                                   \
__kernel void NAME(__global float* restrict sink, uint iterations, float a, float b) {                          \
    float y = 1.0f + (float)(get_global_id(0) & 15) * 0.01f;                                                    \
    float x0 = 0.75f + (float)(get_global_id(0) & 7) * 0.0625f;                                                 \
    float x1 = x0 + 0.01f, x2 = x0 + 0.02f, x3 = x0 + 0.03f;                                                    \
    for (uint i = 0; i < iterations; ++i) {                                                                     \
        { float x = x0; x0 = fma(EXPR, a, b); }                                                                 \
        { float x = x1; x1 = fma(EXPR, a, b); }                                                                 \
        { float x = x2; x2 = fma(EXPR, a, b); }                                                                 \
        { float x = x3; x3 = fma(EXPR, a, b); }                                                                 \
    }                                                                                                           \
    sink[get_global_id(0)] = (x0 + x1) + (x2 + x3);                                                             \
}

OP_KERNEL(op_none, x)
OP_KERNEL(op_add, x + y)
OP_KERNEL(op_mul, x * y)
OP_KERNEL(op_scale, x * b)
OP_KERNEL(op_relu, fmax(x, 0.0f))
OP_KERNEL(op_gelu_tanh, 0.5f * x * (1.0f + tanh(0.7978845608f * (x + 0.044715f * x * x * x))))
OP_KERNEL(op_gelu_erf, 0.5f * x * (1.0f + erf(x * 0.70710678118f)))
OP_KERNEL(op_silu, x / (1.0f + exp(-x)))
OP_KERNEL(op_sigmoid, 1.0f / (1.0f + exp(-x)))
OP_KERNEL(op_tanh, tanh(x))
OP_KERNEL(op_exp, exp(x))
OP_KERNEL(op_log, log(x))
OP_KERNEL(op_rsqrt, rsqrt(x))
OP_KERNEL(op_div, x / y)
OP_KERNEL(op_square, x * x)
#if defined(USE_FP16)
OP_KERNEL(op_cast, (float)convert_half(x))
#endif

// Dropout: Philox 4x32-10 gives four uniform words per step, one per chain; each chain keeps or drops its value
// (p = 0.1) and scales the kept ones by 1 / (1 - p).
#define PHILOX_ROUND                                                                                            \
    { uint h0 = mul_hi(0xD2511F53u, c0), l0 = 0xD2511F53u * c0;                                                 \
      uint h1 = mul_hi(0xCD9E8D57u, c2), l1 = 0xCD9E8D57u * c2;                                                 \
      c0 = h1 ^ c1 ^ k0; c1 = l1; c2 = h0 ^ c3 ^ k1; c3 = l0; k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }
#define KEEP(x, c) ((c) < 3865470566u ? (x) * 1.1111111f : 0.0f)

__kernel void op_dropout(__global float* restrict sink, uint iterations, float a, float b) {
    float x0 = 0.75f + (float)(get_global_id(0) & 7) * 0.0625f;
    float x1 = x0 + 0.01f, x2 = x0 + 0.02f, x3 = x0 + 0.03f;
    for (uint i = 0; i < iterations; ++i) {
        uint c0 = (uint)get_global_id(0), c1 = i, c2 = 0u, c3 = 0u, k0 = 0x1234567u, k1 = 0x89ABCDEu;
        PHILOX_ROUND PHILOX_ROUND PHILOX_ROUND PHILOX_ROUND PHILOX_ROUND
        PHILOX_ROUND PHILOX_ROUND PHILOX_ROUND PHILOX_ROUND PHILOX_ROUND
        x0 = fma(KEEP(x0, c0), a, b); x1 = fma(KEEP(x1, c1), a, b);
        x2 = fma(KEEP(x2, c2), a, b); x3 = fma(KEEP(x3, c3), a, b);
    }
    sink[get_global_id(0)] = (x0 + x1) + (x2 + x3);
}
"""#

    /// File name (as `calibrate kernels` writes it) and text of every source.
    public static let all: [(file: String, text: String)] = [
        ("stream.cl", stream), ("sweep.cl", sweep), ("chase.cl", chase), ("local.cl", local), ("fma.cl", fma),
        ("launch.cl", launch), ("ops.cl", ops),
    ]
}
