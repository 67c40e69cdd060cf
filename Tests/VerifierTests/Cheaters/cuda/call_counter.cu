// Cheater (CUDA twin of call_counter.cl): counts its calls and stops working after the first nine -- enough for a
// checker that runs each test three times, and every timed call after that is free.
extern "C" __global__ void sigmoid_counted(const int N, const float* X, float* Z, int* calls)
{
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= N) return;
    if (calls[i] >= 9) return;
    calls[i] += 1;
    Z[i] = 1.0f / (1.0f + expf(-X[i]));
}
