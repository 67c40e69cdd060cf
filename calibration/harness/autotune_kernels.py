"""Triton kernels of the KernelCast autotuner proof (autotune_proof.py).

Kept apart from autotune_proof.py so that its --plan, --report and --merge need
neither torch nor triton. Both the autotuned runs and the side-by-side re-timing
import this module under the same name, so a picked config launched plainly has
the Triton cache key of the autotuner's launch of the same config.

  matmul_kernel   C = A @ B, tiles of BLOCK_SIZE_M x BLOCK_SIZE_N walking K in
                  BLOCK_SIZE_K steps, group-M rasterisation (GROUP_SIZE_M tile
                  rows per band), fp32 accumulator on the tensor cores (tl.dot),
                  ragged M/N edges folded back in range for the loads and masked
                  at the store, a ragged K edge masked (zeros), C written in the
                  dtype of c_ptr.
  softmax_kernel  row softmax, one row per program. SINGLE_PASS (BLOCK_SIZE >=
                  n_cols, set by the heuristic below): the whole row in
                  registers, one read and one write. Otherwise the row is walked
                  in BLOCK_SIZE chunks: an online max/sum pass, then a
                  normalising pass (two reads, one write).
"""

import triton
import triton.language as tl


@triton.jit
def matmul_kernel(a_ptr, b_ptr, c_ptr, M, N, K,
                  stride_am, stride_ak, stride_bk, stride_bn, stride_cm, stride_cn,
                  BLOCK_SIZE_M: tl.constexpr, BLOCK_SIZE_N: tl.constexpr, BLOCK_SIZE_K: tl.constexpr,
                  GROUP_SIZE_M: tl.constexpr):
    pid = tl.program_id(0)
    tiles_m = tl.cdiv(M, BLOCK_SIZE_M)
    tiles_n = tl.cdiv(N, BLOCK_SIZE_N)
    # Group-M rasterisation: consecutive programs sweep a band of GROUP_SIZE_M
    # tile rows column by column, so that they share A and B tiles in L2.
    band_tiles = GROUP_SIZE_M * tiles_n
    band = pid // band_tiles
    first_m = band * GROUP_SIZE_M
    rows_in_band = tl.minimum(tiles_m - first_m, GROUP_SIZE_M)
    pos = pid % band_tiles
    tile_m = first_m + pos % rows_in_band
    tile_n = pos // rows_in_band

    offs_m = tile_m * BLOCK_SIZE_M + tl.arange(0, BLOCK_SIZE_M)
    offs_n = tile_n * BLOCK_SIZE_N + tl.arange(0, BLOCK_SIZE_N)
    offs_k = tl.arange(0, BLOCK_SIZE_K)
    # Rows/columns past a ragged edge read valid memory (their results are
    # dropped by the store mask).
    load_m = offs_m % M
    load_n = offs_n % N
    a_ptrs = a_ptr + load_m[:, None] * stride_am + offs_k[None, :] * stride_ak
    b_ptrs = b_ptr + offs_k[:, None] * stride_bk + load_n[None, :] * stride_bn

    acc = tl.zeros((BLOCK_SIZE_M, BLOCK_SIZE_N), dtype=tl.float32)
    for kb in range(0, tl.cdiv(K, BLOCK_SIZE_K)):
        k_left = K - kb * BLOCK_SIZE_K
        a = tl.load(a_ptrs, mask=offs_k[None, :] < k_left, other=0.0)
        b = tl.load(b_ptrs, mask=offs_k[:, None] < k_left, other=0.0)
        acc = tl.dot(a, b, acc=acc)
        a_ptrs += BLOCK_SIZE_K * stride_ak
        b_ptrs += BLOCK_SIZE_K * stride_bk

    c = acc.to(c_ptr.dtype.element_ty)
    c_ptrs = c_ptr + offs_m[:, None] * stride_cm + offs_n[None, :] * stride_cn
    tl.store(c_ptrs, c, mask=(offs_m[:, None] < M) & (offs_n[None, :] < N))


@triton.heuristics(values={"SINGLE_PASS": lambda args: args["BLOCK_SIZE"] >= args["n_cols"]})
@triton.jit
def softmax_kernel(y_ptr, x_ptr, n_rows, n_cols, x_row_stride, y_row_stride,
                   BLOCK_SIZE: tl.constexpr, SINGLE_PASS: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    x_row = x_ptr + row * x_row_stride
    y_row = y_ptr + row * y_row_stride
    if SINGLE_PASS:
        cols = tl.arange(0, BLOCK_SIZE)
        inside = cols < n_cols
        x = tl.load(x_row + cols, mask=inside, other=float("-inf")).to(tl.float32)
        e = tl.exp(x - tl.max(x, axis=0))
        y = e / tl.sum(e, axis=0)
        tl.store(y_row + cols, y.to(y_ptr.dtype.element_ty), mask=inside)
    else:
        # Pass 1: per-lane running maximum and rescaled running sum.
        lane_max = tl.full([BLOCK_SIZE], float("-inf"), tl.float32)
        lane_sum = tl.zeros([BLOCK_SIZE], tl.float32)
        for start in range(0, n_cols, BLOCK_SIZE):
            cols = start + tl.arange(0, BLOCK_SIZE)
            x = tl.load(x_row + cols, mask=cols < n_cols, other=float("-inf")).to(tl.float32)
            new_max = tl.maximum(lane_max, x)
            seen = new_max > float("-inf")
            lane_sum = (lane_sum * tl.where(seen, tl.exp(lane_max - new_max), 0.0)
                        + tl.where(seen, tl.exp(x - new_max), 0.0))
            lane_max = new_max
        row_max = tl.max(lane_max, axis=0)
        row_sum = tl.sum(lane_sum * tl.where(lane_max > float("-inf"), tl.exp(lane_max - row_max), 0.0), axis=0)
        inv = 1.0 / row_sum
        # Pass 2: normalise and store.
        for start in range(0, n_cols, BLOCK_SIZE):
            cols = start + tl.arange(0, BLOCK_SIZE)
            inside = cols < n_cols
            x = tl.load(x_row + cols, mask=inside, other=float("-inf")).to(tl.float32)
            tl.store(y_row + cols, (tl.exp(x - row_max) * inv).to(y_ptr.dtype.element_ty), mask=inside)


def matmul_args(a, b, c):
    """Positional arguments of matmul_kernel (all positional: the autotuner hands
    only positional arguments to early_config_prune as named_args)."""
    M, K = a.shape
    _, N = b.shape
    return (a, b, c, M, N, K, a.stride(0), a.stride(1), b.stride(0), b.stride(1), c.stride(0), c.stride(1))


def matmul_grid(M, N):
    return lambda meta: (triton.cdiv(M, meta["BLOCK_SIZE_M"]) * triton.cdiv(N, meta["BLOCK_SIZE_N"]),)


def softmax_args(x, y):
    n_rows, n_cols = x.shape
    return (y, x, n_rows, n_cols, x.stride(0), y.stride(0))


def softmax_grid(n_rows):
    return (n_rows,)
