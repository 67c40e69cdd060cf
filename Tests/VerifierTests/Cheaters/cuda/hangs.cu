// Cheater (CUDA twin of hangs.cl): never returns (a loop whose exit the inputs never meet). A GPU has no watchdog
// for compute kernels, so in process it would wedge the runner; it runs isolated: expected reason crashed (killed
// after --runner-timeout). The load is volatile so that the compiler cannot prove the loop infinite and drop it.
extern "C" __global__ void relu_forever(const int N, const float* X, float* Z)
{
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= N) return;
    int spins = 0;
    while (*(volatile const float*)&X[i] != 12345.0f || spins < 0) spins++;
    Z[i] = fmaxf(X[i], 0.0f) + (float)spins;
}
