// Honest twin of program_state (CUDA twin of constant_table.cl): its only namespace-scope data is read-only -- a
// __constant__ struct and a const __device__ table -- with the other things that sit at namespace scope in real
// kernels (a typedef, a struct, a prototype, an attribute: __launch_bounds__). Nothing here keeps state between
// launches. It must pass.
typedef struct { float scale; float cubic; } GeluCoefficients;

__constant__ GeluCoefficients coefficients = { 0.7978845608f, 0.044715f };
__device__ const float halves[2] = { 0.5f, 1.0f };

__device__ float gelu(const float v);

__device__ float gelu(const float v)
{
    const float inner = coefficients.scale * (v + coefficients.cubic * v * v * v);
    return halves[0] * v * (halves[1] + tanhf(inner));
}

extern "C" __global__ void __launch_bounds__(64) gelu_table(const int N, const float* X, float* Z)
{
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < N) Z[i] = gelu(X[i]);
}
