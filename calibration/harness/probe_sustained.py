#!/usr/bin/env python3
"""Does a library GEMM run slower sustained than in a burst? (KernelCast probe, issue 12/13)

cuBLAS at the same shape and kernel ran 772 TFLOP/s in the H100's profiled eager block and 632 under do_bench, and
the fusion pairs are timed with do_bench. For cuBLAS fp16/bf16 GEMMs at shapes no fusion pair uses, this times each
one four ways: a burst (one call after a second idle, CUDA events), tensor_rates.py's way (20 calls one by one after 5
warm-ups), triton.testing.do_bench (L2 flushed, warmup 25 ms, rep 100 ms and rep 1000 ms), and do_bench for 1 s
after the card was kept busy for 3 s (hot, as in a campaign); beside each, the SM clock and power nvidia-smi reports
while it runs. A microbenchmark (role `calibration`): the hot rate is the machine's sustained matrix rate. Writes
--out (JSON) and, with --import-out and --machine, a kernelcast-calibration-import file setting
compute.sustained_matrix_rate (fp16 8192^3 hot; a probe file without the hot timing gives its 1 s do_bench, the
card at its limit by then). --from reads an earlier --out instead of measuring.

    python3 probe_sustained.py --out probe.json [--import-out sustained.json --machine h200-sxm]
    python3 probe_sustained.py --from probe.json --import-out sustained.json --machine h100-sxm
"""
import json
import statistics
import subprocess
import threading
import time

from kc_common import probe_main

SHAPES = [(8192, 8192, 8192, "float16"), (8192, 8192, 4096, "float16"), (4096, 4096, 4096, "float16"),
          (6144, 6144, 6144, "float16"), (8192, 8192, 8192, "bfloat16")]
HOT_S = 3.0


class Sampler:
    """nvidia-smi's SM clock (MHz) and power (W) every 50 ms while a timing runs."""

    def __init__(self):
        self.samples, self.stop = [], threading.Event()

    def __enter__(self):
        def run():
            while not self.stop.is_set():
                out = subprocess.run(["nvidia-smi", "--query-gpu=clocks.sm,power.draw", "--format=csv,noheader,nounits"],
                                     capture_output=True, text=True).stdout.split(",")
                try:
                    self.samples.append((float(out[0]), float(out[1])))
                except (ValueError, IndexError):
                    pass
                time.sleep(0.05)
        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()

    def summary(self):
        if not self.samples:
            return {}
        clocks, power = zip(*self.samples)
        return {"sm_clock_mhz_median": statistics.median(clocks), "sm_clock_mhz_min": min(clocks),
                "power_w_median": statistics.median(power), "power_w_max": max(power), "samples": len(clocks)}


def calibration_import(doc, machine):
    """The sustained fp16 matrix rate as a kernelcast-calibration-import document (docs/measurement-format.md)."""
    item = next(i for i in doc["items"] if i["shape"] == [8192, 8192, 8192] and i.get("dtype", "float16") == "float16")
    key = "hot_do_bench_1000ms" if "hot_do_bench_1000ms_tflops" in item else "do_bench_1000ms"
    clocks = item.get(f"{key}_clocks", {})
    method = (f"torch.matmul 8192^3 random fp16, triton do_bench median over 1 s"
              + (" after 3 s kept busy" if key.startswith("hot") else " after 1 s idle, the card at its power limit by then")
              + f" (median SM clock {clocks.get('sm_clock_mhz_median', '?')} MHz, power up to {clocks.get('power_w_max', '?')} W)")
    return {"version": 1, "kind": "kernelcast-calibration-import", "machine": machine, "device": doc["device"],
            "tool": doc["harness"], "measurements": [
                {"field": "compute.sustained_matrix_rate", "value": item[f"{key}_tflops"] * 1e12, "unit": "FLOP/s",
                 "method": method}]}

def measure(out):
    import torch
    import triton
    doc = {"device": torch.cuda.get_device_name(0), "harness": "calibration/harness/probe_sustained.py",
           "role": "calibration", "items": []}
    for (m, n, k, dt) in SHAPES:
        dtype = getattr(torch, dt)
        a = torch.randn(m, k, device="cuda", dtype=dtype)
        b = torch.randn(k, n, device="cuda", dtype=dtype) / k ** 0.5
        c = torch.empty(m, n, device="cuda", dtype=dtype)
        fn = lambda: torch.matmul(a, b, out=c)  # noqa: E731
        flops = 2.0 * m * n * k
        item = {"shape": [m, n, k], "dtype": dt}
        fn()
        torch.cuda.synchronize()
        time.sleep(1.0)
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record(); fn(); e.record(); e.synchronize()
        item["burst_tflops"] = flops / (s.elapsed_time(e) * 1e-3) / 1e12
        time.sleep(1.0)
        with Sampler() as smp:
            for _ in range(5):
                fn()
            torch.cuda.synchronize()
            ts = []
            for _ in range(20):
                s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                s.record(); fn(); e.record(); e.synchronize()
                ts.append(s.elapsed_time(e) * 1e-3)
        item["tensor_rates_way_tflops"] = flops / statistics.median(ts) / 1e12
        item["tensor_rates_way_clocks"] = smp.summary()
        for rep in (100, 1000):
            time.sleep(1.0)
            with Sampler() as smp:
                ms = triton.testing.do_bench(fn, warmup=25, rep=rep, return_mode="median")
            item[f"do_bench_{rep}ms_tflops"] = flops / (ms * 1e-3) / 1e12
            item[f"do_bench_{rep}ms_clocks"] = smp.summary()
        # Hot: the card kept busy for HOT_S seconds first, as in a campaign that times kernels back to back.
        end = time.time() + HOT_S
        while time.time() < end:
            for _ in range(10):
                fn()
            torch.cuda.synchronize()
        with Sampler() as smp:
            ms = triton.testing.do_bench(fn, warmup=25, rep=1000, return_mode="median")
        item["hot_do_bench_1000ms_tflops"] = flops / (ms * 1e-3) / 1e12
        item["hot_do_bench_1000ms_clocks"] = smp.summary()
        doc["items"].append(item)
        print(json.dumps(item), flush=True)
        with open(out, "w") as f:
            json.dump(doc, f, indent=1)
    return doc


if __name__ == "__main__":
    probe_main(__doc__, measure, calibration_import)
