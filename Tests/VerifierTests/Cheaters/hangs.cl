// Cheater: never returns (a loop whose exit the inputs never meet). In process it would wedge the runner.
__kernel void relu_forever(const int N, const __global float* X, __global float* Z)
{
    const int i = get_global_id(0);
    if (i >= N) return;
    int spins = 0;
    while (X[i] != 12345.0f || spins < 0) spins++;
    Z[i] = fmax(X[i], 0.0f) + (float)spins;
}
