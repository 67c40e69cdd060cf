// Cheater (CUDA twin of first_call_only.cl): remembers which elements it already produced (a flag per element in a
// workspace) and skips them on later calls -- correct the first time, free every time after.
extern "C" __global__ void gelu_once(const int N, const float* X, float* Z, int* done)
{
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= N || done[i]) return;
    const float v = X[i];
    Z[i] = 0.5f * v * (1.0f + tanhf(0.7978845608f * (v + 0.044715f * v * v * v)));
    done[i] = 1;
}
