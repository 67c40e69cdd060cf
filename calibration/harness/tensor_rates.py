#!/usr/bin/env python3
"""KernelCast calibration probe: matrix-unit peaks and device copy bandwidth.

Measures what the OpenCL probes cannot reach on an NVIDIA GPU: cuBLAS(Lt)
matrix products through torch on random 8192^3 operands for bf16, fp16,
tf32, fp32 without tf32 (the vector FMA path), fp64, fp8 (e4m3, through
torch._scaled_mm) and int8 (torch._int_mm), a large device-to-device
copy, and the launch overhead a Triton kernel shows under do_bench. Each
figure is the median of N CUDA-event-timed runs after warm-ups.

  python3 calibration/harness/tensor_rates.py --out FILE [--quick]

Writes a "kernelcast-calibration-import" JSON file (docs/measurement-format.md).
"""

import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import kc_common  # noqa: E402

SIZE = 8192
COPY_BYTES = 2 * 2**30          # source buffer size for the copy test (2 GiB)


def time_samples(torch, fn, warmups, reps):
    """Seconds per call of fn: `reps` samples, one CUDA-event pair around each call."""
    for _ in range(warmups):
        fn()
    torch.cuda.synchronize()
    out = []
    for _ in range(reps):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        out.append(start.elapsed_time(end) * 1e-3)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output JSON file")
    ap.add_argument("--quick", action="store_true", help="fewer repetitions (3 warm-ups, 10 timed)")
    ap.add_argument("--machine", default=kc_common.MACHINE, help="the kernelcast machine the device is (h100-sxm)")
    args = ap.parse_args()
    warmups, reps = (3, 10) if args.quick else (5, 20)

    import torch
    if not torch.cuda.is_available():
        print("error: no CUDA device", flush=True)
        return 2
    t0 = time.time()
    device, driver = kc_common.device_and_driver()
    print(f"device: {device}; {driver}", flush=True)
    doc = {"version": 1, "kind": "kernelcast-calibration-import", "machine": args.machine,
           "device": device, "driver": driver, "tool": "calibration/harness/tensor_rates.py",
           "created": kc_common.iso_now(), "measurements": [], "skipped": []}
    n = SIZE
    flops = 2.0 * n * n * n
    torch.manual_seed(1234)

    def record(field, unit, work, samples, method):
        """Appends a figure: the rate work / seconds of each sample, or the seconds themselves when work is None."""
        rates = samples if work is None else [work / s for s in samples]
        value = statistics.median(rates)
        doc["measurements"].append({"field": field, "value": value, "unit": unit, "samples": rates,
                                    "method": method})
        print(f"  {field:32s} {value:12.4g} {unit:7s} (median of {len(rates)}; "
              f"min {min(rates):.4g}, max {max(rates):.4g})", flush=True)

    def skip(field, reason):
        doc["skipped"].append({"field": field, "reason": reason})
        print(f"  {field:32s} skipped: {reason}", flush=True)

    def guarded(field, body):
        try:
            body()
        except Exception as exc:  # noqa: BLE001 - one failing probe must not stop the others
            skip(field, f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ''}")
        finally:
            torch.cuda.synchronize()
            torch.cuda.empty_cache()

    stats = f"median of {reps} after {warmups} warm-ups, CUDA events around each call"

    def matmul_probe(field, dtype, label, tf32=None):
        def body():
            how = ""
            if tf32 is not None:
                how = "; " + kc_common.set_fp32_matmul(tf32)
            a = torch.randn((n, n), device="cuda", dtype=dtype)
            b = torch.randn((n, n), device="cuda", dtype=dtype)
            c = torch.empty((n, n), device="cuda", dtype=dtype)
            samples = time_samples(torch, lambda: torch.matmul(a, b, out=c), warmups, reps)
            record(field, "FLOP/s", flops, samples,
                   f"torch.matmul {n}^3 random {label}{how}, {stats}")
        guarded(field, body)

    matmul_probe("compute.peak.matrix.bf16", torch.bfloat16, "bf16")
    matmul_probe("compute.peak.matrix.fp16", torch.float16, "fp16")
    matmul_probe("compute.peak.matrix.tf32", torch.float32, "fp32 inputs with TF32 allowed", tf32=True)
    matmul_probe("compute.peak.vector.fp32", torch.float32, "fp32 without TF32 (FMA path)", tf32=False)
    kc_common.set_fp32_matmul(False)
    matmul_probe("compute.peak.matrix.fp64", torch.float64, "fp64")

    # fp8 e4m3 through torch._scaled_mm (A row-major, B column-major, unit scales, bf16 out).
    field = "compute.peak.matrix.fp8"
    f8 = getattr(torch, "float8_e4m3fn", None)
    if f8 is None or not hasattr(torch, "_scaled_mm"):
        skip(field, "torch has no float8_e4m3fn or no torch._scaled_mm")
    else:
        def fp8_body():
            a = torch.randn((n, n), device="cuda").to(f8)
            bt = torch.randn((n, n), device="cuda").to(f8)       # B^T, row-major -> B column-major
            one = torch.ones((), device="cuda", dtype=torch.float32)
            out = torch.empty((n, n), device="cuda", dtype=torch.bfloat16)
            mode = None
            for fast in (True, False):
                try:
                    torch._scaled_mm(a, bt.t(), scale_a=one, scale_b=one, out_dtype=torch.bfloat16,
                                     use_fast_accum=fast, out=out)
                    torch.cuda.synchronize()
                    mode = fast
                    break
                except Exception as exc:  # noqa: BLE001
                    last = exc
            if mode is None:
                raise last
            fn = lambda: torch._scaled_mm(a, bt.t(), scale_a=one, scale_b=one,  # noqa: E731
                                          out_dtype=torch.bfloat16, use_fast_accum=mode, out=out)
            samples = time_samples(torch, fn, warmups, reps)
            record(field, "FLOP/s", flops, samples,
                   f"torch._scaled_mm {n}^3 random e4m3 x e4m3 -> bf16, unit per-tensor scales, "
                   f"use_fast_accum={mode}, {stats}")
        guarded(field, fp8_body)

    # int8 through torch._int_mm (int32 accumulate / output).
    field = "compute.peak.matrix.int8"
    if not hasattr(torch, "_int_mm"):
        skip(field, "torch has no torch._int_mm")
    else:
        def int8_body():
            a = torch.randint(-128, 128, (n, n), device="cuda", dtype=torch.int8)
            bt = torch.randint(-128, 128, (n, n), device="cuda", dtype=torch.int8)
            out = torch.empty((n, n), device="cuda", dtype=torch.int32)
            layout = None
            for name, b in (("column-major B", bt.t()), ("row-major B", bt.contiguous())):
                try:
                    torch._int_mm(a, b, out=out)
                    torch.cuda.synchronize()
                    layout, bb = name, b
                    break
                except Exception as exc:  # noqa: BLE001
                    last = exc
            if layout is None:
                raise last
            samples = time_samples(torch, lambda: torch._int_mm(a, bb, out=out), warmups, reps)
            record(field, "OP/s", flops, samples,
                   f"torch._int_mm {n}^3 random int8 -> int32, {layout}, {stats}")
        guarded(field, int8_body)

    # Device-to-device copy: bytes read + bytes written.
    field = "memory.hbm.bandwidth"

    def copy_body():
        src = torch.randn(COPY_BYTES // 4, device="cuda", dtype=torch.float32)
        dst = torch.empty_like(src)
        samples = time_samples(torch, lambda: dst.copy_(src), warmups, reps)
        record(field, "B/s", 2.0 * COPY_BYTES, samples,
               f"device-to-device tensor copy (the clone kernel) of {COPY_BYTES / 2**30:.0f} GiB fp32 into a "
               f"preallocated buffer, counting bytes read + written, {stats}")
    guarded(field, copy_body)

    # Launch overhead as the candidate spaces see it: triton.testing.do_bench (L2 flushed before each repetition,
    # CUDA events around the call) on a one-program kernel that stores one value. OpenCL's launch figure is the
    # rate of its own host path (8 us on NVIDIA's), not what a CUDA or Triton kernel shows between events.
    field = "launch_overhead"

    def launch_body():
        import triton
        import triton.language as tl

        @triton.jit
        def one_store(ptr):
            tl.store(ptr, 1.0)

        out = torch.empty(1, device="cuda", dtype=torch.float32)
        launch = lambda: one_store[(1,)](out)  # noqa: E731
        launch()
        torch.cuda.synchronize()
        samples = [ms * 1e-3 for ms in triton.testing.do_bench(launch, warmup=25, rep=200, return_mode="all")]
        record(field, "s", None, samples, f"triton.testing.do_bench (L2 flush, CUDA events) of a one-program "
                                          f"Triton kernel storing one float, median of {len(samples)}")
    guarded(field, launch_body)

    kc_common.write_json_atomic(args.out, doc)
    print(f"done in {time.time() - t0:.0f} s; wrote {args.out} ({len(doc['measurements'])} measurements, "
          f"{len(doc['skipped'])} skipped)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
