// Honest fused elementwise chain for the CUDA runner: Z = silu((gelu(X + Y1)) * Y2), fp32, the chain
// [add, gelu, mul, silu] in one kernel (gelu in its tanh form, as the verifier's reference). Each thread handles 4
// consecutive elements with 16-byte loads and stores when all four buffers are 16-byte aligned, else one at a time;
// the tail past the last whole group of 4 is done element by element. Element offsets are 64-bit (N up to 2^31-1).
__device__ __forceinline__ float chain(float v, const float y1, const float y2)
{
    v = v + y1;                                                                        // add
    v = 0.5f * v * (1.0f + tanhf(0.7978845608f * (v + 0.044715f * v * v * v)));       // gelu (tanh form)
    v = v * y2;                                                                        // mul
    v = v / (1.0f + expf(-v));                                                         // silu
    return v;
}

extern "C" __global__ void __launch_bounds__(256)
add_gelu_mul_silu(const int N, const float* __restrict__ X, const float* __restrict__ Y1,
                  const float* __restrict__ Y2, float* __restrict__ Z)
{
    const long long i = ((long long)blockIdx.x * blockDim.x + threadIdx.x) * 4;
    if (i >= N) return;
    const bool aligned = ((reinterpret_cast<unsigned long long>(X) | reinterpret_cast<unsigned long long>(Y1)
                           | reinterpret_cast<unsigned long long>(Y2) | reinterpret_cast<unsigned long long>(Z)) & 15) == 0;
    if (aligned && i + 4 <= N) {
        const float4 x = *reinterpret_cast<const float4*>(X + i);
        const float4 a = *reinterpret_cast<const float4*>(Y1 + i);
        const float4 b = *reinterpret_cast<const float4*>(Y2 + i);
        float4 z;
        z.x = chain(x.x, a.x, b.x);
        z.y = chain(x.y, a.y, b.y);
        z.z = chain(x.z, a.z, b.z);
        z.w = chain(x.w, a.w, b.w);
        *reinterpret_cast<float4*>(Z + i) = z;
    } else {
        for (long long e = i; e < i + 4 && e < N; ++e) Z[e] = chain(X[e], Y1[e], Y2[e]);
    }
}
