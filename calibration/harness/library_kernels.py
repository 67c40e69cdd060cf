#!/usr/bin/env python3
"""Which kernels torch's library calls launch, and how long each runs two ways (KernelCast harness).

For each GEMM shape of the fusion pairs (cuBLAS addmm with a bias row, fp16 and bf16), each norm shape (torch's
residual add, layer norm and rms norm, fp16) and each attention shape (torch's scaled_dot_product_attention through
its cuDNN and its flash backend, fp16): the kernel cuBLAS, cuDNN or torch launched, as torch.profiler records it
(name, grid, block, registers, shared memory) with CUPTI's duration (median over the profiled calls), beside
triton.testing.do_bench's median of the same call (L2 flushed before each repetition, as the fusion campaign times
it). The first tells the model which schedule ran; the two timings tell what a profiler's kernel span leaves out.

    python3 calibration/harness/library_kernels.py --out FILE [--budget-s 150] [--only gemm,norm,attention]
"""

import argparse
import json
import statistics
import sys
import os
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import kc_common  # noqa: E402

# The fusion campaign's GEMM shapes (fusion_h200.py, M x N x K) and norm shapes (rows x cols).
GEMMS = [(4096, 11008, 4096), (4096, 4096, 11008), (8192, 14336, 4096), (8192, 4096, 14336), (2048, 8192, 2048),
         (2048, 2048, 8192), (4096, 13824, 5120), (4096, 5120, 13824), (8192, 12288, 4096), (8192, 16384, 4096)]
NORMS = [(8192, 4096), (16384, 4096), (4096, 8192), (8192, 5120), (32768, 2048), (16384, 1024)]
# Attention (batch, heads, seq_len, head_dim, causal): the eager block's, then prefill lengths and head sizes around it.
ATTENTIONS = [(4, 32, 2048, 128, True), (4, 32, 2048, 128, False), (2, 32, 4096, 128, True), (1, 32, 8192, 128, True),
              (8, 32, 1024, 128, True), (16, 16, 512, 128, False), (4, 32, 2048, 64, True), (4, 16, 4096, 64, False)]
FAMILIES = ("gemm", "norm", "attention")
PROFILED_CALLS = 5


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--budget-s", type=float, default=150)
    ap.add_argument("--only", default=",".join(FAMILIES), help="comma-separated subset of " + ",".join(FAMILIES))
    args = ap.parse_args()
    only = set(args.only.split(","))
    if not only <= set(FAMILIES):
        ap.error(f"--only: expected some of {','.join(FAMILIES)}, got {args.only}")
    import torch
    import triton
    from torch.profiler import ProfilerActivity, profile

    t0 = time.time()
    device, driver = kc_common.device_and_driver()
    doc = {"format": "kernelcast-library-kernels", "version": 1, "device": device, "driver": driver,
           "date": kc_common.iso_now(), "harness": "calibration/harness/library_kernels.py",
           # The H200 is the machine the model is never fitted on: its figures only judge.
           "role": "judge" if "H200" in device else "tune",
           "method": (f"torch.profiler (CUDA activity) around {PROFILED_CALLS} calls after 3 warm-ups: each launched "
                      "kernel's name, grid, block, registers per thread, shared memory and its median CUPTI duration; "
                      "do_bench_us: triton.testing.do_bench median (warmup 25 ms, rep 100 ms, L2 flushed before each "
                      "repetition) of the same call."),
           "items": []}

    def measure(label, problem, fn):
        for _ in range(3):
            fn()
        torch.cuda.synchronize()
        with profile(activities=[ProfilerActivity.CUDA]) as prof:
            for _ in range(PROFILED_CALLS):
                fn()
            torch.cuda.synchronize()
        # Kernel events of the exported Chrome trace: name, CUPTI duration (us) and launch.
        path = f"/tmp/kc-library-{len(doc['items'])}.json"
        prof.export_chrome_trace(path)
        with open(path) as f:
            events = [e for e in json.load(f).get("traceEvents", []) if e.get("cat") == "kernel"]
        os.remove(path)
        launches = {}
        for e in events:
            a = e.get("args", {})
            item = launches.setdefault(e["name"], {"name": e["name"], "grid": a.get("grid"), "block": a.get("block"),
                                                   "registers_per_thread": a.get("registers per thread"),
                                                   "shared_memory": a.get("shared memory"), "spans_us": []})
            item["spans_us"].append(e.get("dur", 0))
        launches = list(launches.values())
        for item in launches:
            item["calls"] = len(item["spans_us"])
            item["cupti_median_us"] = statistics.median(item.pop("spans_us"))
        bench = triton.testing.do_bench(fn, warmup=25, rep=100, return_mode="median") * 1e3
        doc["items"].append({"label": label, "problem": problem, "kernels": launches, "do_bench_us": bench})
        print(f"{label}: do_bench {bench:.1f} us; " + "; ".join(
            f"{k['name'][:60]} {k['cupti_median_us']:.1f} us" for k in launches), flush=True)
        kc_common.write_json_atomic(args.out, doc)

    for dtype, tname in ((torch.float16, "fp16"), (torch.bfloat16, "bf16")) if "gemm" in only else ():
        for (m, n, k) in GEMMS:
            if time.time() - t0 > args.budget_s:
                break
            a = torch.randn(m, k, device="cuda", dtype=dtype)
            b = torch.randn(k, n, device="cuda", dtype=dtype) / k ** 0.5
            bias = torch.randn(n, device="cuda", dtype=dtype)
            measure(f"addmm {m}x{n}x{k} {tname}", {"family": "gemm", "m": m, "n": n, "k": k, "dtype": tname,
                                                    "epilogue": ["bias"]},
                    lambda: torch.addmm(bias, a, b))
            del a, b, bias
    for (rows, cols) in NORMS if "norm" in only else ():
        if time.time() - t0 > args.budget_s:
            break
        x = torch.randn(rows, cols, device="cuda", dtype=torch.float16)
        r = torch.randn(rows, cols, device="cuda", dtype=torch.float16)
        w = torch.ones(cols, device="cuda", dtype=torch.float16)
        bvec = torch.zeros(cols, device="cuda", dtype=torch.float16)
        measure(f"add {rows}x{cols} fp16", {"family": "elementwise", "elements": rows * cols, "ops": ["residual"],
                                            "dtype": "fp16"}, lambda: x + r)
        measure(f"layer_norm {rows}x{cols} fp16", {"family": "reduction", "op": "layernorm", "rows": rows, "cols": cols,
                                                   "dtype": "fp16"},
                lambda: torch.nn.functional.layer_norm(x, (cols,), w, bvec, 1e-5))
        measure(f"rms_norm {rows}x{cols} fp16", {"family": "reduction", "op": "rmsnorm", "rows": rows, "cols": cols,
                                                 "dtype": "fp16"},
                lambda: torch.nn.functional.rms_norm(x, (cols,), w, 1e-5))
        del x, r, w, bvec
    from torch.nn.attention import SDPBackend, sdpa_kernel
    for (b, h, s, d, causal) in ATTENTIONS if "attention" in only else ():
        q, k, v = (torch.randn(b, h, s, d, device="cuda", dtype=torch.float16) for _ in range(3))
        for backend, bname in ((SDPBackend.CUDNN_ATTENTION, "cudnn"), (SDPBackend.FLASH_ATTENTION, "flash")):
            if time.time() - t0 > args.budget_s:
                break

            def call(backend=backend):
                with sdpa_kernel(backend):
                    return torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal)
            try:
                call()
            except RuntimeError as error:  # a backend that refuses the shape is recorded, not fatal
                doc["items"].append({"label": f"sdpa {bname} {b}x{h}x{s}x{d}", "error": str(error).split("\n")[0]})
                continue
            measure(f"sdpa {bname} {b}x{h}x{s}x{d}{' causal' if causal else ''} fp16",
                    {"family": "attention", "batch": b, "heads": h, "seq_len": s, "head_dim": d, "causal": causal,
                     "dtype": "fp16", "backend": bname}, call)
        del q, k, v
    print(f"done in {time.time() - t0:.0f} s; wrote {args.out} ({len(doc['items'])} items)")


if __name__ == "__main__":
    main()
