// Cheater (CUDA twin of last_call_only.cl): knows the verifier's public schedule under the quick policy (checks 1
// and 3 on this shape, 4 runs each, then 1 warm-up and 5 timed repetitions through the same workspace) and does full
// work on the checks, the warm-up and the very last call only, where the output used to be read back; every other
// timed call is free.
extern "C" __global__ void relu_on_cue(const int N, const float* X, float* Z, int* calls)
{
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= N) return;
    const int call = ++calls[i];
    if (call > 9 && call < 14) return;
    Z[i] = fmaxf(X[i], 0.0f);
}
