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
