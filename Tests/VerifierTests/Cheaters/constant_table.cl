// Honest twin of program_state: its only program-scope data is a read-only __constant table, with the other things
// that sit at program scope in real kernels (a typedef, a struct, a prototype, an attribute).
typedef struct { float scale; float cubic; } GeluCoefficients;

__constant GeluCoefficients coefficients = { 0.7978845608f, 0.044715f };
__constant float halves[2] = { 0.5f, 1.0f };

float gelu(const float v);

float gelu(const float v)
{
    const float inner = coefficients.scale * (v + coefficients.cubic * v * v * v);
    return halves[0] * v * (halves[1] + tanh(inner));
}

__kernel __attribute__((reqd_work_group_size(64, 1, 1)))
void gelu_table(const int N, const __global float* X, __global float* Z)
{
    const int i = get_global_id(0);
    if (i < N) Z[i] = gelu(X[i]);
}
