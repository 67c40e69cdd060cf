// Cheater (CUDA twin of repeat_skipper.cl): declared nondeterministic ("atomics") so that repeated runs are not
// compared bit for bit, it remembers each input value it last saw and recomputes only the elements whose input
// changed -- right on the first launch of every check and in every timed repetition (fresh inputs), nearly free on
// the repeated launches. Element 0 is always written, so the output is never left wholly unwritten.
extern "C" __global__ void silu_memo(const int N, const float* X, float* Z, unsigned int* seen)
{
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= N) return;
    const float v = X[i];
    const unsigned int key = __float_as_uint(v) + 1u;
    if (i > 0 && seen[i] == key) return;
    seen[i] = key;
    Z[i] = v / (1.0f + expf(-v));
}
