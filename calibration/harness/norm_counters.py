#!/usr/bin/env python3
"""Torch's own row and elementwise kernels at the fusion campaign's shapes, for Nsight Compute to count (tune data).

Run under ncu, which times and counts each kernel (DRAM bytes read and written, L2 traffic, issue activity):

    ncu --metrics dram__bytes_read.sum,dram__bytes_write.sum,lts__t_bytes.sum,gpu__time_duration.sum,\
sm__inst_executed.sum,smsp__inst_executed_op_mufu.sum --csv python3 calibration/harness/norm_counters.py

`--triton` adds the fusion campaign's own Triton kernel (residual add + layer or rms norm, sums of the row, four
warps), the form the model predicts within a few percent, beside torch's Welford layer norm, which it does not:
`calibration/campaign/h100-norm-pipes.sh` counts both by pipe and stall reason. Each call runs once after one
warm-up (ncu replays kernels to collect its counters).
"""
import argparse
import os
import sys

import torch

SHAPES = [(8192, 4096), (16384, 1024), (32768, 2048)]
TRITON_WARPS = 4


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triton", action="store_true", help="also the campaign's fused Triton add + norm kernel")
    args = parser.parse_args()
    if args.triton:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from fusion_h200 import next_pow2, norm_launch  # noqa: E402
    for rows, cols in SHAPES:
        x = torch.randn(rows, cols, device="cuda", dtype=torch.float16)
        r = torch.randn(rows, cols, device="cuda", dtype=torch.float16)
        w = torch.ones(cols, device="cuda", dtype=torch.float16)
        b = torch.zeros(cols, device="cuda", dtype=torch.float16)
        h = torch.empty_like(x)
        y = torch.empty_like(x)
        for _ in range(2):
            torch.nn.functional.layer_norm(x, (cols,), w, b, 1e-5)
            torch.nn.functional.rms_norm(x, (cols,), w, 1e-5)
            torch.add(x, r)
            if args.triton:
                for rms in (False, True):
                    norm_launch(x, r, w, b, h, y, next_pow2(cols), TRITON_WARPS, rms)
        torch.cuda.synchronize()


if __name__ == "__main__":
    main()
