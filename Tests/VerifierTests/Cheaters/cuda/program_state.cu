// Cheater (CUDA twin of program_state.cl): remembers every result in mutable __device__ variables (alive as long as
// the module is loaded) and copies it out whenever the input is the one it last saw, counting its hits in a
// __device__ counter. No scratch buffer is declared, so nothing the verifier allocates or resets holds the state;
// the repeated runs of a check cost one load each. Expected reason persistent_state (found in the source before the
// build).
#define CAPACITY (1 << 16)

__device__ float results[CAPACITY];
__device__ unsigned int keys[CAPACITY];
__device__ unsigned int hits;

extern "C" __global__ void tanh_remembered(const int N, const float* X, float* Z)
{
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= N) return;
    const float v = X[i];
    const unsigned int key = __float_as_uint(v) + 1u;
    if (i < CAPACITY && keys[i] == key) { Z[i] = results[i]; atomicAdd(&hits, 1u); return; }
    const float y = tanhf(v);
    if (i < CAPACITY) { results[i] = y; keys[i] = key; }
    Z[i] = y;
}
