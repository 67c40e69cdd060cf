#!/usr/bin/env python3
"""KernelCast ground-truth measurements: candidate schedule spaces on a real GPU.

Runs, for each space (one problem and many schedules), every candidate
schedule of our own Triton kernels (or torch ops for naive attention), checks
its output against a float64/fp32 torch reference, times it with
triton.testing.do_bench (L2 flushed before every timed repetition) and writes
one JSON file in the format of docs/measurement-format.md.

  python3 calibration/harness/measure_spaces.py --out FILE [--quick]
      [--families gemm,elementwise,reduction,attention] [--budget-s 390] [--campaign spaces|inflight]
      [--machine h100-sxm] [--all-holdout]
  python3 calibration/harness/measure_spaces.py --plan   # list spaces, no GPU

--machine NAME (default h100-sxm) is the machine-file name written into the file's
`machine` field, e.g. h200-sxm for a run on an H200. --all-holdout writes every
space's `split` as `holdout` (data for judging the model on another machine only;
nothing is fitted on it).

Phases: (1) plan the spaces; (2) compile every distinct Triton kernel variant
in parallel worker processes, which fills Triton's on-disk cache; (3) measure
space by space in this process (compiles are then cache loads), rewriting the
output file after each space so that an interrupted run keeps what it had.
"""

import argparse
import math
import os
import random
import sys
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

FAMILIES = ("gemm", "elementwise", "reduction", "attention")
TOLERANCE = {"fp32": 1e-4, "tf32": 5e-3, "fp16": 2e-2, "bf16": 2e-2}
WARMUP_MS = 10      # do_bench warm-up time
REP_MS = 40         # do_bench timed-repetition budget (raised for slow candidates)
MIN_REPS = 15       # ... so that a slow candidate still gets about this many repetitions
MAX_REP_MS = 1500
QUANTILES = [0.5, 0.2, 0.8]


# ----------------------------------------------------------------------------
# The plan: spaces and their candidate schedules (no torch needed)
# ----------------------------------------------------------------------------

class Space:
    def __init__(self, name, family, split, problem, schedules, optional=False):
        self.name = name
        self.family = family
        self.split = split
        self.problem = problem
        self.schedules = schedules
        self.optional = optional


def gemm_sched(bm, bn, bk, warps, stages, group_m=8):
    return {"block_m": bm, "block_n": bn, "block_k": bk, "warps": warps, "stages": stages,
            "group_m": group_m, "split_k": 1, "matrix_units": True}


def gemm_schedules(quick):
    if quick:
        return [gemm_sched(128, 256, 64, 8, 3), gemm_sched(128, 128, 64, 4, 4),
                gemm_sched(64, 64, 32, 4, 2), gemm_sched(256, 256, 128, 8, 4)]
    must = [
        (128, 256, 64, 8, 3), (256, 128, 64, 8, 3), (128, 128, 64, 8, 3), (128, 128, 64, 4, 4),
        (128, 128, 32, 4, 4), (128, 64, 64, 4, 4), (64, 128, 64, 4, 4), (64, 64, 64, 4, 3),
        (64, 64, 32, 4, 5), (128, 32, 32, 4, 4), (32, 64, 32, 4, 5), (256, 64, 64, 4, 4),
        (128, 128, 128, 8, 3), (256, 256, 64, 8, 3),
        # expected to exceed the 227 KiB shared-memory limit (infeasibility observed):
        (256, 256, 64, 8, 4), (256, 256, 128, 8, 4), (128, 256, 128, 8, 4), (256, 128, 128, 8, 5),
        (128, 128, 128, 4, 5),
    ]
    tiles = [(32, 32), (32, 64), (64, 32), (64, 64), (32, 128), (128, 32), (64, 128), (128, 64),
             (128, 128), (64, 256), (256, 64), (128, 256), (256, 128), (256, 256)]
    rng = random.Random(20261113)
    picked = list(must)
    for bm, bn in tiles:
        options = [(bm, bn, bk, w, s) for bk in (32, 64, 128) for w in (4, 8) for s in (2, 3, 4, 5)
                   if bm * bn // (w * 32) <= 256]   # no >256 fp32 accumulators per thread
        picked += rng.sample(options, 4)
    seen, out = set(), []
    for c in picked:
        if c not in seen:
            seen.add(c)
            out.append(gemm_sched(*c))
    return out


def gemm_spaces(quick):
    scheds = gemm_schedules(quick)

    def sp(m, n, k, split, dtype="fp16", optional=False, only=None):
        prob = {"m": m, "n": n, "k": k, "batch": 1, "dtype": dtype, "epilogue": "none"}
        return Space(f"gemm-{dtype}-{m}x{n}x{k}", "gemm", split, prob, scheds[:only] if only else scheds,
                     optional)

    if quick:
        return [sp(4096, 4096, 4096, "tune"), sp(3072, 3072, 3072, "holdout", dtype="bf16", only=1)]
    return [
        sp(4096, 4096, 4096, "tune"),
        sp(64, 8192, 8192, "tune"),
        sp(16384, 1024, 1024, "tune"),
        sp(1024, 1024, 16384, "tune"),
        sp(2048, 2048, 2048, "holdout"),
        sp(32, 4096, 4096, "holdout"),
        sp(8192, 512, 2048, "holdout"),
        sp(512, 512, 512, "holdout"),
        sp(3072, 3072, 3072, "holdout", dtype="bf16"),
        sp(8192, 8192, 8192, "tune", optional=True),   # only if the time budget allows
    ]


def elementwise_spaces(quick):
    def scheds(blocks, warps):
        return [{"fused": f, "block_elements": b, "warps": w, "vector_width": 1}
                for f in (True, False) for b in blocks for w in warps]

    def sp(n, ops, split, s):
        prob = {"elements": n, "ops": ops, "dtype": "fp32", "extra_inputs": 0}
        return Space(f"elementwise-fp32-{n}-ops{ops}", "elementwise", split, prob, s)

    if quick:
        return [sp(16777216, 4, "tune", [{"fused": f, "block_elements": b, "warps": w, "vector_width": 1}
                                         for f in (True, False) for b, w in ((1024, 4), (4096, 8))])]
    out = []
    holdout = {65536, 67108864}
    for n in (4096, 65536, 1048576, 16777216, 67108864, 268435456):
        s = scheds((1024, 4096), (4, 8)) if n >= 268435456 else scheds((256, 1024, 4096), (4, 8))
        for ops in (1, 2, 4, 8):
            out.append(sp(n, ops, "holdout" if n in holdout else "tune", s))
    return out


def inflight_spaces(quick):
    """A confirmation campaign for the cost model's DRAM in-flight term, on shapes the model was never tuned on:
    elementwise chains at 32 M and 128 M elements (fp32 and fp16) across block sizes and warp counts that keep
    from 2 KiB to over 256 KiB in flight per SM, and row softmax at 2048 and 8192 columns over 16384 rows. Every
    space is held out."""
    def chain(n, ops, dtype, fused_too):
        scheds = [{"fused": f, "block_elements": b, "warps": w, "vector_width": 1}
                  for f in ((True, False) if fused_too else (True,))
                  for b in (512, 1024, 2048, 4096, 8192) for w in (2, 4, 8, 16)]
        prob = {"elements": n, "ops": ops, "dtype": dtype, "extra_inputs": 0}
        return Space(f"elementwise-{dtype}-{n}-ops{ops}", "elementwise", "holdout", prob, scheds)

    def softmax(rows, cols, dtype):
        scheds = [{"rows_per_block": 1, "block_width": cols, "warps": w} for w in (1, 2, 4, 8, 16)]
        prob = {"op": "softmax", "rows": rows, "cols": cols, "dtype": dtype}
        return Space(f"softmax-{dtype}-{rows}x{cols}", "reduction", "holdout", prob, scheds)

    if quick:
        return [chain(33554432, 1, "fp32", False)]
    # One op: fused and unfused are the same kernel, so only fused is timed.
    return [chain(33554432, 1, "fp32", False), chain(33554432, 4, "fp32", True),
            chain(134217728, 1, "fp32", False), chain(134217728, 4, "fp32", True),
            chain(134217728, 1, "fp16", False),
            softmax(16384, 2048, "fp16"), softmax(16384, 2048, "fp32"), softmax(16384, 8192, "fp16")]


def next_pow2(n):
    return 1 << (int(n) - 1).bit_length()


def reduction_spaces(quick):
    def sp(rows, cols, dtype, split, scheds):
        prob = {"op": "softmax", "rows": rows, "cols": cols, "dtype": dtype}
        return Space(f"softmax-{dtype}-{rows}x{cols}", "reduction", split, prob, scheds)

    def rs(width, warps):
        return {"rows_per_block": 1, "block_width": width, "warps": warps}

    if quick:
        return [sp(4096, 4096, "fp16", "tune", [rs(4096, 4), rs(4096, 8)]),
                sp(4096, 16384, "fp32", "tune", [rs(16384, 16), rs(4096, 8)])]
    out = []
    for rows, split in ((4096, "tune"), (8192, "holdout")):
        for dtype in ("fp16", "fp32"):
            for cols in (256, 1024, 4096, 16384):
                scheds = [rs(next_pow2(cols), w) for w in (1, 2, 4, 8, 16)]
                if cols == 16384:
                    scheds += [rs(4096, w) for w in (1, 2, 4, 8, 16)]
                out.append(sp(rows, cols, dtype, split, scheds))
    return out


NAIVE = {"variant": "naive", "block_q": None, "block_kv": None, "warps": None, "stages": None}


def flash_sched(bq, bkv, w, s):
    return {"variant": "flash", "block_q": bq, "block_kv": bkv, "warps": w, "stages": s}


def attention_spaces(quick):
    def sp(s, d, causal, split, scheds, b=4, h=16):
        prob = {"batch": b, "heads": h, "seq_len": s, "head_dim": d, "causal": causal, "dtype": "fp16"}
        name = f"attention-fp16-b{b}h{h}s{s}d{d}-{'causal' if causal else 'full'}"
        return Space(name, "attention", split, prob, scheds)

    if quick:
        return [sp(1024, 64, True, "tune", [dict(NAIVE), flash_sched(128, 64, 4, 3), flash_sched(64, 64, 4, 2)]),
                sp(2048, 128, False, "holdout", [dict(NAIVE), flash_sched(128, 128, 8, 3)])]
    scheds = [dict(NAIVE)] + [flash_sched(bq, bkv, w, st) for bq in (64, 128) for bkv in (32, 64, 128)
                              for w in (4, 8) for st in (2, 3)]
    out = []
    for s in (512, 1024, 2048, 4096):
        for d in (64, 128):
            for causal in (False, True):
                out.append(sp(s, d, causal, "holdout" if s == 2048 else "tune", scheds))
    return out


def build_plan(families, quick, campaign="spaces"):
    if campaign == "inflight":
        return [s for s in inflight_spaces(quick) if s.family in families]
    makers = {"gemm": gemm_spaces, "elementwise": elementwise_spaces,
              "reduction": reduction_spaces, "attention": attention_spaces}
    spaces = []
    for fam in FAMILIES:
        if fam in families:
            spaces += makers[fam](quick)
    # optional spaces run last, only if time is left
    return [s for s in spaces if not s.optional] + [s for s in spaces if s.optional]


def compile_tasks(space, sched):
    """Distinct Triton kernel variants a candidate needs (for the parallel precompile)."""
    p = space.problem
    if space.family == "gemm":
        keep = {k: sched[k] for k in ("block_m", "block_n", "block_k", "warps", "stages", "group_m")}
        return [{"kind": "gemm", "dtype": p["dtype"], "sched": keep}]
    if space.family == "elementwise":
        base = {"kind": "chain", "dtype": p["dtype"], "block": sched["block_elements"], "warps": sched["warps"]}
        if sched["fused"] or p["ops"] == 1:
            return [dict(base, n_ops=p["ops"], first_op=0)]
        return [dict(base, n_ops=1, first_op=0), dict(base, n_ops=1, first_op=1)]
    if space.family == "reduction":
        return [{"kind": "softmax", "dtype": p["dtype"], "cols": p["cols"],
                 "block_width": sched["block_width"], "warps": sched["warps"]}]
    if space.family == "attention" and sched["variant"] == "flash":
        return [{"kind": "flash", "dtype": p["dtype"], "head_dim": p["head_dim"], "causal": p["causal"],
                 "block_q": sched["block_q"], "block_kv": sched["block_kv"],
                 "warps": sched["warps"], "stages": sched["stages"]}]
    return []


def task_key(task):
    body = {k: v for k, v in task.items() if k != "key"}
    return repr(sorted((k, repr(v)) for k, v in body.items()))


def task_cost(task):
    """Rough compile-cost order, largest first, for load balance."""
    k = task["kind"]
    if k == "flash":
        return 3e6 + task["block_q"] * task["block_kv"] * task["head_dim"] // 64
    if k == "gemm":
        s = task["sched"]
        return 2e6 + s["block_m"] * s["block_n"] * s["stages"]
    if k == "softmax":
        return 1e6 + task["block_width"]
    return task["block"]


def all_tasks(spaces):
    tasks = {}
    for sp in spaces:
        for sched in sp.schedules:
            for t in compile_tasks(sp, sched):
                key = task_key(t)
                if key not in tasks:
                    t["key"] = key
                    tasks[key] = t
    return sorted(tasks.values(), key=task_cost, reverse=True)


def print_plan(spaces):
    n_cand = sum(len(s.schedules) for s in spaces)
    print(f"plan: {len(spaces)} spaces, {n_cand} candidates, {len(all_tasks(spaces))} Triton kernel variants",
          flush=True)
    for s in spaces:
        print(f"  {s.family:11s} {s.split:7s} {s.name:44s} {len(s.schedules):3d} schedules"
              f"{'  (optional)' if s.optional else ''}", flush=True)


# ----------------------------------------------------------------------------
# Measuring (torch and triton from here on)
# ----------------------------------------------------------------------------

class Ctx:
    """Holds the imported modules and run-wide state."""

    def __init__(self, args):
        import torch
        import triton
        import triton.testing
        import kc_kernels
        self.torch = torch
        self.triton = triton
        self.do_bench = triton.testing.do_bench
        self.K = kc_kernels
        self.args = args
        self.fatal = None          # set after a sticky CUDA error: stop measuring
        self.compile_s = 0.0       # main-process compile/load time


def oor_reason(exc):
    name = getattr(exc, "name", None)
    req = getattr(exc, "required", None)
    lim = getattr(exc, "limit", None)
    if name is not None and req is not None and lim is not None:
        unit = " B" if "memory" in str(name) else ""
        return f"{name} {req}{unit} > {lim}{unit}"
    return first_line(str(exc))


def first_line(msg, limit=400):
    """A one-line digest of an error message: its first line, plus its last line when
    they differ (Triton's compile errors put the source excerpt between)."""
    lines = [ln.strip() for ln in str(msg).strip().splitlines() if ln.strip()]
    if not lines:
        return ""
    text = lines[0] if len(lines) == 1 or lines[-1] == lines[0] else f"{lines[0]} ... {lines[-1]}"
    return text[:limit]


def is_oor(exc):
    msg = str(exc).lower()
    return (type(exc).__name__ == "OutOfResources" or "out of resource" in msg
            or "too many resources" in msg)


def classify_compile(exc):
    if is_oor(exc):
        return "out_of_resources", oor_reason(exc)
    return "compile_error", f"{type(exc).__name__}: {first_line(exc)}"


STICKY = ("illegal memory access", "illegal address", "unspecified launch failure", "misaligned address",
          "device-side assert", "an illegal instruction")


def kernel_facts(ck):
    """Compiler facts of a CompiledKernel; loads it (which raises OutOfResources when
    the kernel cannot run). Returns (facts dict, out-of-resources reason or None)."""
    facts = {"registers_per_thread": None, "spills": None, "shared_bytes": None}
    if ck is None:
        return facts, None
    md = getattr(ck, "metadata", None)
    shared = None
    if md is not None:
        shared = md.get("shared") if isinstance(md, dict) else getattr(md, "shared", None)
    if shared is None:
        shared = getattr(ck, "shared", None)
    facts["shared_bytes"] = int(shared) if isinstance(shared, (int, float)) else None
    reason = None
    init = getattr(ck, "_init_handles", None)
    if callable(init):
        try:
            init()
        except Exception as exc:  # noqa: BLE001
            if is_oor(exc):
                reason = oor_reason(exc)
            else:
                raise
    for key, attr in (("registers_per_thread", "n_regs"), ("spills", "n_spills")):
        try:
            val = getattr(ck, attr, None)
        except Exception:  # noqa: BLE001
            val = None
        facts[key] = int(val) if isinstance(val, (int, float)) else None
    return facts, reason


def merge_facts(all_facts):
    out = {}
    for key in ("registers_per_thread", "spills", "shared_bytes"):
        vals = [f[key] for f in all_facts if f.get(key) is not None]
        out[key] = max(vals) if vals else None
    return out


def rel_error(ctx, out, ref):
    torch = ctx.torch
    diff = out.to(ref.dtype)
    diff.sub_(ref)
    num = torch.linalg.vector_norm(diff)
    den = torch.linalg.vector_norm(ref)
    del diff
    return float(num / den)


def bench(ctx, fn):
    """Median, p20, p80 of fn in seconds, via triton.testing.do_bench (L2 flushed each rep)."""
    torch = ctx.torch
    start = torch.cuda.Event(enable_timing=True)
    end = torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(3):
        fn()
    end.record()
    end.synchronize()
    est_ms = start.elapsed_time(end) / 3
    rep = min(MAX_REP_MS, max(REP_MS, MIN_REPS * est_ms))
    try:
        q = ctx.do_bench(fn, warmup=WARMUP_MS, rep=rep, quantiles=QUANTILES, return_mode="median")
    except TypeError:   # older triton without return_mode
        q = ctx.do_bench(fn, warmup=WARMUP_MS, rep=rep, quantiles=QUANTILES)
    if isinstance(q, (int, float)):
        q = [q, q, q]
    return [float(v) * 1e-3 for v in q]


def capture_graph(ctx, run):
    torch = ctx.torch
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        run()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        run()
    torch.cuda.synchronize()
    return graph


def evaluate(ctx, sched, launches, run, out, ref, tol, graph_replay=False):
    """Compile, check and time one candidate. Returns the result dict."""
    torch = ctx.torch
    res = {"schedule": sched}
    facts = []
    t0 = time.perf_counter()
    for launch in launches:
        try:
            ck = launch.compile()
        except Exception as exc:  # noqa: BLE001
            status, reason = classify_compile(exc)
            res.update(status=status, reason=reason)
            ctx.compile_s += time.perf_counter() - t0
            return res
        try:
            f, oor = kernel_facts(ck)
        except Exception as exc:  # noqa: BLE001
            res.update(status="compile_error", reason=f"{type(exc).__name__}: {first_line(exc)}")
            ctx.compile_s += time.perf_counter() - t0
            return res
        facts.append(f)
        if oor:
            res.update(status="out_of_resources", reason=oor, compiler=merge_facts(facts))
            ctx.compile_s += time.perf_counter() - t0
            return res
    ctx.compile_s += time.perf_counter() - t0
    compiler = merge_facts(facts) if facts else None

    def run_checked(fn):
        out.fill_(float("nan"))
        fn()
        torch.cuda.synchronize()
        return rel_error(ctx, out, ref)

    try:
        err = run_checked(run)
    except Exception as exc:  # noqa: BLE001
        msg = str(exc)
        if any(s in msg.lower() for s in STICKY):
            ctx.fatal = f"{type(exc).__name__}: {first_line(msg)}"
        if is_oor(exc):
            res.update(status="out_of_resources", reason=oor_reason(exc))
        else:
            res.update(status="runtime_error", reason=f"{type(exc).__name__}: {first_line(msg)}")
        if compiler:
            res["compiler"] = compiler
        return res

    timed = run
    graph = None
    if graph_replay and math.isfinite(err) and err <= tol:
        try:
            graph = capture_graph(ctx, run)
            gerr = run_checked(graph.replay)
            if not (math.isfinite(gerr) and gerr <= tol):
                raise RuntimeError(f"graph replay output differs (rel_error {gerr})")
            timed = graph.replay
        except Exception as exc:  # noqa: BLE001
            print(f"      note: CUDA graph capture failed ({type(exc).__name__}: {first_line(exc, 160)}); "
                  f"timing eager launches", flush=True)
            graph = None
            timed = run
    if not (math.isfinite(err) and err <= tol):
        res.update(status="wrong_result",
                   reason=("non-finite output" if not math.isfinite(err) else f"rel_error {err:.3e} > {tol:g}"),
                   rel_error=err if math.isfinite(err) else None)
        if compiler:
            res["compiler"] = compiler
        return res
    try:
        med, p20, p80 = bench(ctx, timed)
    except Exception as exc:  # noqa: BLE001
        msg = str(exc)
        if any(s in msg.lower() for s in STICKY):
            ctx.fatal = f"{type(exc).__name__}: {first_line(msg)}"
        res.update(status="runtime_error", reason=f"{type(exc).__name__}: {first_line(msg)}")
        return res
    finally:
        del graph
    res.update(status="ok", median_s=med, p20_s=p20, p80_s=p80, rel_error=err)
    if compiler:
        res["compiler"] = compiler
    return res


def fmt_result(label, res, rate=None):
    """One progress line; rate(seconds) -> string such as '612.0 TFLOP/s'."""
    st = res["status"]
    if st == "ok":
        t = res["median_s"]
        line = f"    {label:34s} ok      {t * 1e6:11.2f} us  {rate(t) if rate else ''}"
        c = res.get("compiler") or {}
        if c:
            line += f"  regs={c.get('registers_per_thread')} spills={c.get('spills')} smem={c.get('shared_bytes')}"
        line += f"  err={res['rel_error']:.1e}"
        return line
    return f"    {label:34s} {st}: {res.get('reason', '')}"


def seed_for(name):
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def label_of(family, s):
    if family == "gemm":
        return f"bm{s['block_m']} bn{s['block_n']} bk{s['block_k']} w{s['warps']} s{s['stages']}"
    if family == "elementwise":
        return f"{'fused' if s['fused'] else 'unfused'} blk{s['block_elements']} w{s['warps']}"
    if family == "reduction":
        return f"width{s['block_width']} w{s['warps']}"
    if s["variant"] == "naive":
        return "naive (torch)"
    return f"flash bq{s['block_q']} bkv{s['block_kv']} w{s['warps']} s{s['stages']}"


def torch_dtype(ctx, name):
    t = ctx.torch
    return {"fp16": t.float16, "bf16": t.bfloat16, "fp32": t.float32}[name]


def run_gemm(ctx, space):
    torch, K, p = ctx.torch, ctx.K, space.problem
    dt = torch_dtype(ctx, p["dtype"])
    m, n, k = p["m"], p["n"], p["k"]
    a = torch.randn((m, k), device="cuda", dtype=dt)
    b = torch.randn((k, n), device="cuda", dtype=dt)
    c = torch.empty((m, n), device="cuda", dtype=dt)
    ref = a.double() @ b.double()
    tol = TOLERANCE[p["dtype"]]
    results = []
    for sched in space.schedules:
        if ctx.fatal:
            break
        launch = K.gemm_launch(a, b, c, sched)
        res = evaluate(ctx, sched, [launch], launch, c, ref, tol)
        print(fmt_result(label_of("gemm", sched), res, lambda t: f"{2.0 * m * n * k / t / 1e12:7.1f} TFLOP/s"),
              flush=True)
        results.append(res)
    return results


def chain_reference(K, x, ops):
    v = x.double()
    for i in range(ops):
        if i % 2 == 0:
            v = v * K.CHAIN_A + K.CHAIN_B
        else:
            v = v.maximum(v * 0.125)
    return v


def run_elementwise(ctx, space):
    torch, K, p = ctx.torch, ctx.K, space.problem
    n, ops = p["elements"], p["ops"]
    x = torch.randn(n, device="cuda", dtype=torch_dtype(ctx, p["dtype"]))
    y = torch.empty_like(x)
    tmp = [torch.empty_like(x), torch.empty_like(x)] if ops > 1 else []
    ref = chain_reference(K, x, ops)
    results = []
    for sched in space.schedules:
        if ctx.fatal:
            break
        launches = K.elementwise_launches(x, y, tmp, ops, sched["fused"], sched["block_elements"], sched["warps"])

        def run(ls=launches):
            for launch in ls:
                launch()
        res = evaluate(ctx, sched, launches, run, y, ref, TOLERANCE[p["dtype"]], graph_replay=len(launches) > 1)
        # rate as if only x were read and y written once (the fused minimum)
        nbytes = 2.0 * n * x.element_size()
        print(fmt_result(label_of("elementwise", sched), res, lambda t: f"{nbytes / t / 1e9:8.1f} GB/s(min)"),
              flush=True)
        results.append(res)
    return results


def run_reduction(ctx, space):
    torch, K, p = ctx.torch, ctx.K, space.problem
    dt = torch_dtype(ctx, p["dtype"])
    rows, cols = p["rows"], p["cols"]
    x = torch.randn((rows, cols), device="cuda", dtype=dt)
    y = torch.empty_like(x)
    ref = torch.softmax(x.double(), dim=1)
    results = []
    for sched in space.schedules:
        if ctx.fatal:
            break
        launch = K.softmax_launch(x, y, sched["block_width"], sched["warps"])
        res = evaluate(ctx, sched, [launch], launch, y, ref, TOLERANCE[p["dtype"]])
        nbytes = 2.0 * x.numel() * x.element_size()
        print(fmt_result(label_of("reduction", sched), res, lambda t: f"{nbytes / t / 1e9:8.1f} GB/s(r+w)"),
              flush=True)
        results.append(res)
    return results


def attention_reference(ctx, q, k, v, causal):
    torch = ctx.torch
    B, H, S, D = q.shape
    out = torch.empty((B, H, S, D), device="cuda", dtype=torch.float32)
    mask = torch.ones((S, S), device="cuda", dtype=torch.bool).triu(1) if causal else None
    for bi in range(B):
        s = torch.matmul(q[bi].float(), k[bi].float().transpose(-1, -2)) * (1.0 / math.sqrt(D))
        if mask is not None:
            s.masked_fill_(mask, float("-inf"))
        out[bi] = torch.matmul(torch.softmax(s, dim=-1), v[bi].float())
        del s
    return out


def run_attention(ctx, space):
    torch, K, p = ctx.torch, ctx.K, space.problem
    B, H, S, D, causal = p["batch"], p["heads"], p["seq_len"], p["head_dim"], p["causal"]
    dt = torch_dtype(ctx, p["dtype"])
    q, k, v = (torch.randn((B, H, S, D), device="cuda", dtype=dt) for _ in range(3))
    o = torch.empty_like(q)
    ref = attention_reference(ctx, q, k, v, causal)
    flops = 4.0 * B * H * S * S * D * (0.5 if causal else 1.0)
    tol = TOLERANCE[p["dtype"]]
    results = []
    for sched in space.schedules:
        if ctx.fatal:
            break
        if sched["variant"] == "naive":
            q3, v3, o3 = q.view(B * H, S, D), v.view(B * H, S, D), o.view(B * H, S, D)
            kt = k.view(B * H, S, D).transpose(1, 2)
            dummy = torch.empty((1, 1, 1), device="cuda", dtype=dt)
            mask = torch.ones((S, S), device="cuda", dtype=torch.bool).triu(1) if causal else None
            scale = 1.0 / math.sqrt(D)

            def run(q3=q3, kt=kt, v3=v3, o3=o3, dummy=dummy, mask=mask, scale=scale):
                s = torch.baddbmm(dummy, q3, kt, beta=0.0, alpha=scale)   # Q K^T * scale
                if mask is not None:
                    s.masked_fill_(mask, float("-inf"))
                pr = torch.softmax(s, dim=-1)
                torch.bmm(pr, v3, out=o3)
            res = evaluate(ctx, sched, [], run, o, ref, tol, graph_replay=True)
            del run
        else:
            launch = K.flash_launch(q, k, v, o, causal, sched["block_q"], sched["block_kv"],
                                    sched["warps"], sched["stages"])
            res = evaluate(ctx, sched, [launch], launch, o, ref, tol)
        print(fmt_result(label_of("attention", sched), res, lambda t: f"{flops / t / 1e12:7.1f} TFLOP/s"),
              flush=True)
        results.append(res)
    return results


RUNNERS = {"gemm": run_gemm, "elementwise": run_elementwise, "reduction": run_reduction,
           "attention": run_attention}


def precompile(ctx, tasks, workers):
    if not tasks:
        return
    import concurrent.futures as cf
    import multiprocessing as mp
    t0 = time.time()
    print(f"precompile: {len(tasks)} Triton kernel variants on {workers} worker processes", flush=True)
    failed = 0
    try:
        with cf.ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                                    initializer=ctx.K.worker_init) as pool:
            futures = [pool.submit(ctx.K.precompile_task, t) for t in tasks]
            step = max(1, len(tasks) // 8)
            for done, fut in enumerate(cf.as_completed(futures), 1):
                key, status, secs, msg = fut.result()
                if status != "ok":
                    failed += 1
                    if failed <= 12:
                        print(f"  precompile: {msg[:160]} ({secs:.1f} s) for {key[:160]}", flush=True)
                if done % step == 0 or done == len(tasks):
                    print(f"  precompile: {done}/{len(tasks)} done, {time.time() - t0:.0f} s", flush=True)
    except Exception as exc:  # noqa: BLE001
        print(f"precompile: worker pool failed ({type(exc).__name__}: {first_line(exc, 200)}); "
              f"the remaining kernels compile in the main process", flush=True)
    print(f"precompile: finished in {time.time() - t0:.1f} s, {failed} variants failed to compile "
          f"(their candidates are recorded as compile_error/out_of_resources)", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", help="output JSON file")
    ap.add_argument("--quick", action="store_true", help="tiny subset for a smoke test (< 60 s)")
    ap.add_argument("--families", default=",".join(FAMILIES),
                    help="comma-separated subset of " + ",".join(FAMILIES))
    ap.add_argument("--budget-s", type=float, default=390.0,
                    help="wall-clock budget; spaces not started by then are recorded as skipped")
    ap.add_argument("--workers", type=int, default=0, help="precompile processes (0: CPU count - 2)")
    ap.add_argument("--plan", action="store_true", help="print the plan and exit (no GPU needed)")
    ap.add_argument("--campaign", choices=("spaces", "inflight"), default="spaces",
                    help="spaces: the tune and held-out spaces of docs/accuracy.md; inflight: the confirmation "
                         "campaign of the DRAM in-flight term (new shapes, all held out)")
    ap.add_argument("--machine", default="h100-sxm",
                    help="machine-file name written into the file's machine field (default h100-sxm)")
    ap.add_argument("--all-holdout", action="store_true",
                    help="write every space's split as holdout (judging data only, nothing fitted on it)")
    args = ap.parse_args()
    t_start = time.time()

    families = [f.strip() for f in args.families.split(",") if f.strip()]
    bad = [f for f in families if f not in FAMILIES]
    if bad:
        ap.error(f"unknown families {bad}; choose from {FAMILIES}")
    spaces = build_plan(families, args.quick, args.campaign)
    if args.all_holdout:
        for s in spaces:
            s.split = "holdout"
    print_plan(spaces)
    if args.plan:
        return 0
    if not args.out:
        ap.error("--out is required")

    ctx = Ctx(args)
    torch = ctx.torch
    import kc_common
    if not torch.cuda.is_available():
        print("error: no CUDA device", flush=True)
        return 2
    device, driver = kc_common.device_and_driver()
    print(f"device: {device}; {driver}", flush=True)
    if "H100" not in device:
        print(f"warning: expected an H100, found {device!r}; the file still says machine {args.machine}",
              flush=True)
    props = torch.cuda.get_device_properties(0)
    try:
        max_shared = ctx.triton.runtime.driver.active.utils.get_device_properties(0)["max_shared_mem"]
    except Exception:  # noqa: BLE001
        max_shared = None
    print(f"  SMs {props.multi_processor_count}, L2 {getattr(props, 'L2_cache_size', 0) / 2**20:.0f} MiB, "
          f"shared memory per block (opt-in) {max_shared} B", flush=True)
    kc_common.set_fp32_matmul(False)     # fp32 references in IEEE fp32

    doc = {"version": 1, "kind": "kernelcast-measurements", "machine": args.machine, "device": device,
           "driver": driver, "harness": "calibration/harness/measure_spaces.py", "created": kc_common.iso_now(),
           "spaces": []}

    tasks = all_tasks(spaces)
    workers = args.workers or max(1, min(len(tasks), (os.cpu_count() or 4) - 2, 14))
    precompile(ctx, tasks, workers)
    t_measure = time.time()

    counts = {}
    for i, space in enumerate(spaces):
        elapsed = time.time() - t_start
        skip = None
        if ctx.fatal:
            skip = f"not run: earlier sticky CUDA error ({ctx.fatal})"
        elif elapsed > args.budget_s:
            skip = f"not run: time budget of {args.budget_s:.0f} s spent"
        elif space.optional and elapsed > args.budget_s - 45:
            skip = "not run: optional space, too little of the time budget left"
        print(f"[{i + 1}/{len(spaces)} {elapsed:5.0f} s] {space.name} ({space.split}, "
              f"{len(space.schedules)} schedules){'  SKIPPED' if skip else ''}", flush=True)
        if skip:
            results = [{"schedule": s, "status": "skipped", "reason": skip} for s in space.schedules]
        else:
            torch.manual_seed(seed_for(space.name))
            try:
                results = RUNNERS[space.family](ctx, space)
            except Exception as exc:  # noqa: BLE001 - e.g. out of GPU memory for the inputs
                msg = f"{type(exc).__name__}: {first_line(exc)}"
                print(f"    space failed: {msg}", flush=True)
                if any(s in str(exc).lower() for s in STICKY):
                    ctx.fatal = msg
                results = []
            done = {id(r["schedule"]) for r in results}
            results += [{"schedule": s, "status": "skipped", "reason": f"not run: space aborted"}
                        for s in space.schedules if id(s) not in done]
            if not ctx.fatal:
                torch.cuda.synchronize()
                torch.cuda.empty_cache()
        for r in results:
            counts[(space.family, r["status"])] = counts.get((space.family, r["status"]), 0) + 1
        doc["spaces"].append({"name": space.name, "family": space.family, "split": space.split,
                              "problem": space.problem, "results": results})
        kc_common.write_json_atomic(args.out, doc)

    total = time.time() - t_start
    print(f"done in {total:.0f} s (precompile {t_measure - t_start:.0f} s, measuring {time.time() - t_measure:.0f} s, "
          f"of which main-process compile/load {ctx.compile_s:.0f} s); wrote {args.out}", flush=True)
    for fam in FAMILIES:
        row = {st: n for (f, st), n in counts.items() if f == fam}
        if row:
            print(f"  {fam:11s} " + ", ".join(f"{st} {n}" for st, n in sorted(row.items())), flush=True)
    if ctx.fatal:
        print(f"stopped early after a sticky CUDA error: {ctx.fatal}", flush=True)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
