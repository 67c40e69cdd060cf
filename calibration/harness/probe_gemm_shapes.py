#!/usr/bin/env python3
"""cuBLAS (torch.matmul) at 8192^3 and at shapes whose 128x256 tiles fill every SM evenly (M = 64 x SMs), fp16 and
bf16, median of 30 CUDA-event-timed calls; then the kernels cuBLAS chose, from a profile. Writes $OUT/probe_gemm.json.
Asked: is the harness's 8192^3 peak short of the per-SM rate by its last partial wave? (tune data, H100)
"""
import json
import os
import statistics

import torch
res = {}
sm = torch.cuda.get_device_properties(0).multi_processor_count
res["device"] = torch.cuda.get_device_name(0); res["sms"] = sm
def t(fn, reps=30):
    for _ in range(5): fn()
    torch.cuda.synchronize()
    ss = []
    for _ in range(reps):
        a = torch.cuda.Event(enable_timing=True); b = torch.cuda.Event(enable_timing=True)
        a.record(); fn(); b.record(); b.synchronize(); ss.append(a.elapsed_time(b) * 1e-3)
    return statistics.median(ss)
for dt in (torch.float16, torch.bfloat16):
    for (m, n, k) in ((8192, 8192, 8192), (64 * sm, 4096, 8192), (64 * sm, 8192, 8192), (128 * sm, 4096, 4096)):
        a = torch.randn(m, k, device="cuda", dtype=dt); b = torch.randn(k, n, device="cuda", dtype=dt); c = torch.empty(m, n, device="cuda", dtype=dt)
        s = t(lambda: torch.matmul(a, b, out=c))
        res[f"{dt} {m}x{n}x{k}"] = {"s": s, "tflops": 2 * m * n * k / s / 1e12}
        print(dt, m, n, k, round(2 * m * n * k / s / 1e12, 1), flush=True)
with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as p:
    for (m, n, k) in ((8192, 8192, 8192), (64 * sm, 4096, 8192), (64 * sm, 8192, 8192)):
        a = torch.randn(m, k, device="cuda", dtype=torch.float16); b = torch.randn(k, n, device="cuda", dtype=torch.float16)
        torch.matmul(a, b); torch.cuda.synchronize()
res["kernels"] = sorted({e.name for e in p.events() if "nvjet" in e.name or "gemm" in e.name.lower()})
print(res["kernels"])
json.dump(res, open(os.path.join(os.environ["OUT"], "probe_gemm.json"), "w"), indent=1)
