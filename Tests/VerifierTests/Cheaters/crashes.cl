// Cheater: writes a terabyte past its output. In process it would take the runner down with a segmentation fault.
__kernel void relu_far(const int N, const __global float* X, __global float* Z)
{
    const int i = get_global_id(0);
    if (i >= N) return;
    Z[i + ((long)1 << 38)] = fmax(X[i], 0.0f);
}
