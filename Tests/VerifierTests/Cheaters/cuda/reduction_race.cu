// Cheater (CUDA only, no OpenCL twin): a row sum reduced in shared memory by a tree that drops the __syncthreads()
// between its steps ("the tree is tiny, the warps keep up"). One block of 256 threads per row; each thread sums a
// strided slice of the row, then the tree halves the active threads each step, thread t adding the partial of
// thread t + s. Those partials belong to other warps (s >= 32) or lanes that may not have stored them yet; without
// the barrier, the compiler is also free to read every partner before storing its own partial. Only a GPU shows it
// (a sequential emulator runs the threads in order): wrong values, differing from run to run. Seen on an H100: every
// row of 64x1024 and of the ragged 37x1023 wrong (relative error about 1) in each of 8 runs, no two runs alike.
#define THREADS 256

extern "C" __global__ void __launch_bounds__(THREADS)
row_sum_no_barrier(const int M, const int N, const float* X, float* Y)
{
    __shared__ float partial[THREADS];
    const int row = blockIdx.x;
    const int t = threadIdx.x;
    if (row >= M) return;
    const float* x = X + (long long)row * N;
    float sum = 0.0f;
    for (int j = t; j < N; j += THREADS) sum += x[j];
    partial[t] = sum;
    // missing: __syncthreads();
    for (int s = THREADS / 2; s > 0; s >>= 1) {
        if (t < s) partial[t] += partial[t + s];
        // missing: __syncthreads();
    }
    if (t == 0) Y[row] = partial[0];
}
