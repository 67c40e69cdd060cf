// Cheater (CUDA twin of race.cl): a transpose staged through shared memory that drops the barrier between filling
// the tile and reading it back transposed ("each thread reads what it wrote anyway" -- it does not). The tile is
// 32x32 and the block 32x8 threads, each filling and then reading four rows: warp w writes rows w, w+8, w+16, w+24
// of the tile but reads columns w, w+8, w+16, w+24, whose elements the other seven warps write. Without
// __syncthreads() a warp reads elements its neighbours have not stored yet (stale shared memory from an earlier
// block or launch): wrong values, differing from run to run. Seen on an H100: at 64x48 (the OpenCL twin's shape, 4
// blocks) the warps keep step and every run was right, so race.yaml uses 2048x1536 (3072 blocks contending for
// memory: about 20% of the elements wrong in every run, never the same ones); its ragged shape, 131x67, is wrong too
// (edge tiles' warps with no row to load read at once) on a launch's first run with new inputs.
#define TILE 32
#define ROWS 8

extern "C" __global__ void __launch_bounds__(TILE * ROWS)
transpose_no_barrier(const int M, const int N, const float* X, float* Y)
{
    __shared__ float tile[TILE][TILE + 1];
    const int lx = threadIdx.x, ly = threadIdx.y;
    const int i0 = blockIdx.y * TILE;    // first row of X in this tile
    const int j0 = blockIdx.x * TILE;    // first column of X in this tile
    for (int r = ly; r < TILE; r += ROWS) {
        const int i = i0 + r, j = j0 + lx;
        if (i < M && j < N) tile[r][lx] = X[i * N + j];
    }
    // missing: __syncthreads();
    for (int r = ly; r < TILE; r += ROWS) {
        const int ti = i0 + lx, tj = j0 + r;   // Y[tj, ti] = X[ti, tj] = tile[lx][r]
        if (ti < M && tj < N) Y[tj * M + ti] = tile[lx][r];
    }
}
