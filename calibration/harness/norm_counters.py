#!/usr/bin/env python3
"""Torch's own row and elementwise kernels at the fusion campaign's shapes, for Nsight Compute to count (tune data).

Run under ncu, which times and counts each kernel (DRAM bytes read and written, L2 traffic, issue activity):

    ncu --metrics dram__bytes_read.sum,dram__bytes_write.sum,lts__t_bytes.sum,gpu__time_duration.sum,\
sm__inst_executed.sum,smsp__inst_executed_op_mufu.sum --csv python3 calibration/harness/norm_counters.py

Each call runs once after one warm-up (ncu replays kernels to collect its counters).
"""
import torch

SHAPES = [(8192, 4096), (16384, 1024), (32768, 2048)]


def main():
    for rows, cols in SHAPES:
        x = torch.randn(rows, cols, device="cuda", dtype=torch.float16)
        r = torch.randn(rows, cols, device="cuda", dtype=torch.float16)
        w = torch.ones(cols, device="cuda", dtype=torch.float16)
        b = torch.zeros(cols, device="cuda", dtype=torch.float16)
        for _ in range(2):
            torch.nn.functional.layer_norm(x, (cols,), w, b, 1e-5)
            torch.nn.functional.rms_norm(x, (cols,), w, 1e-5)
            torch.add(x, r)
        torch.cuda.synchronize()


if __name__ == "__main__":
    main()
