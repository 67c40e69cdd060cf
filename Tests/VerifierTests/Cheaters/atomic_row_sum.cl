// Honest, nondeterministic: row sums by float atomic adds (a compare-and-swap loop), each work-item adding the sum of
// 16 elements of its row. Work-groups finish in any order, so the sum's rounding differs from run to run, always
// within the tolerance of a sum in any order. The first launch zeroes the output the second accumulates into.
#define CHUNK 16

__kernel void zero_rows(const int M, __global float* Y)
{
    const int r = get_global_id(0);
    if (r < M) Y[r] = 0.0f;
}

inline void add_float(volatile __global float* target, const float value)
{
    union { uint bits; float f; } seen, next;
    do {
        seen.f = *target;
        next.f = seen.f + value;
    } while (atomic_cmpxchg((volatile __global uint*)target, seen.bits, next.bits) != seen.bits);
}

__kernel void atomic_row_sum(const int M, const int N, const __global float* X, __global float* Y)
{
    const int chunk = get_global_id(0);
    const int r = get_global_id(1);
    const int start = chunk * CHUNK;
    if (r >= M || start >= N) return;
    const int end = min(start + CHUNK, N);
    float partial = 0.0f;
    for (int j = start; j < end; ++j) partial += X[r * N + j];
    add_float(&Y[r], partial);
}
