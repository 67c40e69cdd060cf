#!/usr/bin/env python3
"""KernelCast inside a real Triton autotune: plain autotune against KernelCast-pruned autotune.

For each shape, three tuning runs of the same @triton.autotune kernel, each in a fresh Python process with an
empty Triton cache (TRITON_CACHE_DIR a new temporary folder), so compile time counts as it does for a user:

  full   plain autotune over every config (162 for the GEMM)
  kc3    prune_configs_by=kernelcast.triton.gemm(..., top_k=3) (or .rows for the row kernel)
  kc5    the same with top_k=5

A run measures the wall time of the first call of the autotuned kernel (the whole autotune: compile + benchmark
of every config left after pruning, then the launch of the best), with torch.cuda.synchronize() on both sides,
and reports the picked config (best_config), the configs benchmarked (configs_timings), the autotuner's own
timings, the time spent in KernelCast's prune hooks (and what the hook logged: a run in which KernelCast did not
answer, so that the hook kept every config and Triton benchmarked the first top_k, is recorded as `fallback`, not
`ok`), and the pick's error against torch. Then one more fresh
process per shape launches the picks of all modes plainly (no autotuner) and times them side by side, interleaved,
each twice: triton.testing.do_bench (L2 flushed before every repetition) or, for kernels under 50 us,
triton.testing.do_bench_cudagraph.

  python3 calibration/harness/autotune_proof.py --plan                      # shapes, configs, runs; no GPU
  python3 calibration/harness/autotune_proof.py --shapes 0,1 --out OUT/autotune-h200.json
  python3 calibration/harness/autotune_proof.py --shapes 2,3,4 --append --out OUT/autotune-h200.json
  python3 calibration/harness/autotune_proof.py --rows --append --out OUT/autotune-h200.json
  python3 calibration/harness/autotune_proof.py --merge A.json B.json --out merged.json   # no GPU
  python3 calibration/harness/autotune_proof.py --report FILE.json                         # no GPU

The KernelCast modes need `kernelcast serve` running and KERNELCAST_URL pointing at it (calibration/campaign/
h200-autotune.sh does both). Only one GPU process runs at a time: this parent never touches CUDA, it starts the
children one after another. The output is rewritten after every run (a killed run keeps what was done); with
--append, runs already done in the file are not run again (--redo runs them anyway). --budget-s is a wall-clock
guard: a run whose estimated time no longer fits is recorded as skipped, never started.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from kc_common import iso_now, write_json_atomic  # noqa: E402  (stdlib only)

FORMAT_KIND = "kernelcast-autotune-proof"
MACHINE = "h200-sxm"
TOLERANCE = 2e-2                   # relative error by Frobenius norm, fp16/bf16 output
BENCH_WARMUP_MS = 25
BENCH_REP_MS = 100
SMALL_US = 50.0                    # below this, re-time with do_bench_cudagraph
QUANTILES = [0.5, 0.2, 0.8]

# ----------------------------------------------------------------------------
# The plan (no torch, no triton)
# ----------------------------------------------------------------------------

# Never used to fit the cost model (the H100 tune shapes are 4096^3, 64x8192x8192, 16384x1024x1024,
# 1024x1024x16384 and 8192^3), and on another machine.
GEMM_SHAPES = [
    {"m": 4096, "n": 11008, "k": 4096, "dtype": "fp16", "note": "7B MLP up/gate projection, 4096 tokens"},
    {"m": 4096, "n": 4096, "k": 11008, "dtype": "fp16", "note": "7B MLP down projection, 4096 tokens"},
    {"m": 2048, "n": 14336, "k": 4096, "dtype": "bf16", "note": "8B-class MLP up projection, 2048 tokens, bf16"},
    {"m": 8192, "n": 8192, "k": 1024, "dtype": "fp16", "note": "wide output, shallow K"},
    {"m": 128, "n": 8192, "k": 8192, "dtype": "fp16", "note": "small M (decode batch), weight-bandwidth bound"},
]
ROW_SHAPES = [
    {"op": "softmax", "rows": 8192, "cols": 4096, "dtype": "fp16", "note": "row fits one block"},
    {"op": "softmax", "rows": 4096, "cols": 16384, "dtype": "fp16", "note": "long rows: one block or chunked"},
]
GEMM_MODES = ["full", "kc3", "kc5"]
ROW_MODES = ["full", "kc3"]
MODE_TOP_K = {"full": None, "kc3": 3, "kc5": 5}
RUN_ORDER = ["kc3", "kc5", "full"]  # cheap runs first: a shape cut by the budget keeps them for --append

GROUP_SIZE_M = 8
GEMM_BLOCK_MN = (64, 128, 256)
GEMM_BLOCK_K = (32, 64, 128)
GEMM_WARPS = (4, 8)
GEMM_STAGES = (2, 3, 4)
ROW_WARPS = (1, 2, 4, 8, 16, 32)
ROW_MIN_BLOCK = 1024
ROW_STAGES = 3

# Time estimates for the budget guard (seconds), replaced by what this invocation observes.
EST = {
    "gemm": {"overhead": 14.0, "per_config": 0.95, "retime": 20.0},
    "rows": {"overhead": 12.0, "per_config": 0.9, "retime": 20.0},
}
EST_MARGIN = 1.1
CONFIG_KEYS = ("num_warps", "num_stages", "num_ctas", "maxnreg")


def next_pow2(n):
    return 1 << (int(n) - 1).bit_length()


def gemm_configs():
    """The 162 configs, as flat dicts (meta-parameters plus num_warps and num_stages)."""
    return [{"BLOCK_SIZE_M": bm, "BLOCK_SIZE_N": bn, "BLOCK_SIZE_K": bk, "GROUP_SIZE_M": GROUP_SIZE_M,
             "num_warps": w, "num_stages": s}
            for bm in GEMM_BLOCK_MN for bn in GEMM_BLOCK_MN for bk in GEMM_BLOCK_K
            for w in GEMM_WARPS for s in GEMM_STAGES]


def row_blocks(cols):
    """BLOCK_SIZE choices: chunk widths from 1024 up, and next_pow2(cols) (the whole row in one block)."""
    top = max(ROW_MIN_BLOCK, next_pow2(cols))
    out, b = [], ROW_MIN_BLOCK
    while b <= top:
        out.append(b)
        b *= 2
    return out


def row_configs(cols):
    return [{"BLOCK_SIZE": b, "num_warps": w, "num_stages": ROW_STAGES} for b in row_blocks(cols) for w in ROW_WARPS]


def shape_name(family, p):
    if family == "gemm":
        return f"gemm-{p['dtype']}-{p['m']}x{p['n']}x{p['k']}"
    return f"{p['op']}-{p['dtype']}-{p['rows']}x{p['cols']}"


class Shape:
    def __init__(self, family, index, problem, modes):
        self.family = family
        self.index = index
        self.problem = problem
        self.name = shape_name(family, problem)
        self.configs = gemm_configs() if family == "gemm" else row_configs(problem["cols"])
        self.modes = list(modes)


def label(cfg):
    if "BLOCK_SIZE_M" in cfg:
        return (f"{cfg['BLOCK_SIZE_M']}x{cfg['BLOCK_SIZE_N']}x{cfg['BLOCK_SIZE_K']} "
                f"w{cfg['num_warps']} s{cfg['num_stages']}")
    if "BLOCK_SIZE" in cfg:
        return f"B{cfg['BLOCK_SIZE']} w{cfg['num_warps']}"
    return json.dumps(cfg, sort_keys=True)


def cfg_key(cfg):
    return json.dumps(cfg, sort_keys=True)


def parse_indices(text, count, what):
    if text is None:
        return []
    if text.strip() == "all":
        return list(range(count))
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        i = int(part)
        if not 0 <= i < count:
            raise SystemExit(f"{what} index {i} out of range 0..{count - 1}")
        if i not in out:
            out.append(i)
    return out


def parse_modes(text, default):
    if text is None:
        return list(default)
    modes = [m.strip() for m in text.split(",") if m.strip()]
    for m in modes:
        if m not in MODE_TOP_K:
            raise SystemExit(f"unknown mode {m!r} (full, kc3, kc5)")
    if "full" not in modes:
        modes.insert(0, "full")  # every ratio is to the full autotune's pick
    return modes


def select_shapes(args):
    gemm_idx = parse_indices(args.shapes, len(GEMM_SHAPES), "--shapes")
    row_idx = parse_indices(args.row_shapes, len(ROW_SHAPES), "--row-shapes")
    if args.rows and not row_idx:
        row_idx = list(range(len(ROW_SHAPES)))
    if not gemm_idx and not row_idx and args.shapes is None and not args.rows and args.row_shapes is None:
        gemm_idx = list(range(len(GEMM_SHAPES)))
        row_idx = list(range(len(ROW_SHAPES)))
    gmodes = parse_modes(args.modes, GEMM_MODES)
    rmodes = parse_modes(args.row_modes, ROW_MODES)
    return ([Shape("gemm", i, GEMM_SHAPES[i], gmodes) for i in gemm_idx]
            + [Shape("rows", i, ROW_SHAPES[i], rmodes) for i in row_idx])


def benched(shape, mode):
    k = MODE_TOP_K[mode]
    return len(shape.configs) if k is None else min(k, len(shape.configs))


def estimate_run(est, shape, mode):
    e = est[shape.family]
    return EST_MARGIN * (e["overhead"] + benched(shape, mode) * e["per_config"])


def estimate_retime(est, shape):
    return EST_MARGIN * est[shape.family]["retime"]


def estimate_shape(est, shape):
    return sum(estimate_run(est, shape, m) for m in shape.modes) + estimate_retime(est, shape)


def ordered_modes(shape):
    return [m for m in RUN_ORDER if m in shape.modes]


def print_plan(shapes):
    est = json.loads(json.dumps(EST))
    print("KernelCast autotuner proof: plan (nothing runs)")
    print(f"GEMM configs: BLOCK_SIZE_M, BLOCK_SIZE_N in {list(GEMM_BLOCK_MN)} x BLOCK_SIZE_K in {list(GEMM_BLOCK_K)}"
          f" x num_warps {list(GEMM_WARPS)} x num_stages {list(GEMM_STAGES)}, GROUP_SIZE_M {GROUP_SIZE_M}:"
          f" {len(gemm_configs())} configs")
    print(f"row configs: BLOCK_SIZE in 1024..next_pow2(n_cols) (powers of two) x num_warps {list(ROW_WARPS)},"
          f" num_stages {ROW_STAGES}")
    print("each run: a fresh process, TRITON_CACHE_DIR a new empty folder; modes " +
          ", ".join(f"{m} ({'all configs' if k is None else f'top_k={k}'})" for m, k in MODE_TOP_K.items()))
    print()
    total = 0.0
    for s in shapes:
        p = s.problem
        desc = (f"M={p['m']} N={p['n']} K={p['k']}" if s.family == "gemm"
                else f"n_rows={p['rows']} n_cols={p['cols']}")
        extra = "" if s.family == "gemm" else f"  BLOCK_SIZE {row_blocks(p['cols'])}"
        print(f"{s.family:4s} #{s.index} {s.name:28s} {desc:26s} {p['dtype']}  {len(s.configs)} configs{extra}")
        print(f"        {p['note']}")
        for m in ordered_modes(s):
            print(f"        run {m:4s}  benchmarks {benched(s, m):3d} config(s)   est. {estimate_run(est, s, m):6.0f} s")
        print(f"        re-time the picks of {', '.join(s.modes)} side by side (interleaved, twice)"
              f"   est. {estimate_retime(est, s):6.0f} s")
        t = estimate_shape(est, s)
        total += t
        print(f"        shape total est. {t:.0f} s")
    print()
    print(f"selection: {len(shapes)} shape(s), "
          f"{sum(len(s.modes) for s in shapes)} tuning run(s) + {len(shapes)} re-timing run(s), est. {total:.0f} s"
          f" ({total / 60:.1f} min) of device time before the budget guard")
    parts = {"gemm-a (--shapes 0,1)": [Shape("gemm", i, GEMM_SHAPES[i], GEMM_MODES) for i in (0, 1)],
             "gemm-b (--shapes 2,3,4)": [Shape("gemm", i, GEMM_SHAPES[i], GEMM_MODES) for i in (2, 3, 4)],
             "rows (--rows)": [Shape("rows", i, ROW_SHAPES[i], ROW_MODES) for i in range(len(ROW_SHAPES))]}
    for name, ss in parts.items():
        t = sum(estimate_shape(est, s) for s in ss)
        print(f"  part {name:24s} est. {t:5.0f} s ({t / 60:.1f} min)")


# ----------------------------------------------------------------------------
# Output document, merging, summary, report (no torch, no triton)
# ----------------------------------------------------------------------------

def new_doc():
    return {
        "version": 1, "kind": FORMAT_KIND, "machine": MACHINE,
        "harness": "calibration/harness/autotune_proof.py", "created": iso_now(), "updated": iso_now(),
        "protocol": {
            "tuning_run": "fresh Python process, TRITON_CACHE_DIR a new empty folder; tune_s is the wall time of the "
                          "first call of the @triton.autotune kernel (prune + compile + benchmark of every config left, "
                          "then the launch of the best), torch.cuda.synchronize() before and after, plus the time to "
                          "build KernelCast's prune_configs_by hook; Triton's driver is initialised before the clock "
                          "starts (driver_init_s, the same for every mode)",
            "autotuner_bench": "Triton 3.6's default: triton.testing.do_bench(warmup=25, rep=100) per config, "
                               "quantiles (0.5, 0.2, 0.8), the pick is the lowest median",
            "retime": f"one fresh process per shape, the picks launched plainly (no autotuner), interleaved, each "
                      f"timed twice with triton.testing.do_bench(warmup={BENCH_WARMUP_MS}, rep={BENCH_REP_MS}) "
                      f"(256 MB L2 flush before every repetition) or, when the full pick runs under {SMALL_US:.0f} us, "
                      f"do_bench_cudagraph(rep={BENCH_REP_MS}); median_us is the median of the repeats' medians, "
                      f"spread (max - min) / median_us over the repeats",
            "correctness": f"relative error by Frobenius norm against torch.matmul / torch.softmax (fp32) < {TOLERANCE}",
        },
        "families": {
            "gemm": {"kernel": "autotune_kernels.matmul_kernel", "key": ["M", "N", "K"],
                     "configs": len(gemm_configs()),
                     "hook": "kernelcast.triton.gemm(machine=..., top_k=K, m='M', n='N', k='K', a='a_ptr')"},
            "rows": {"kernel": "autotune_kernels.softmax_kernel", "key": ["n_rows", "n_cols"],
                     "hook": "kernelcast.triton.rows(machine=..., top_k=K, op='softmax', rows='n_rows', "
                             "cols='n_cols', x='x_ptr')"},
        },
        "environment": {}, "invocations": [], "shapes": {}, "summary": {},
    }


def shape_entry(doc, shape):
    e = doc["shapes"].get(shape.name)
    if e is None:
        e = {"family": shape.family, "index": shape.index, "problem": shape.problem,
             "configs": len(shape.configs), "runs": {}, "retime": None}
        doc["shapes"][shape.name] = e
    return e


def run_ok(e, mode):
    r = (e.get("runs") or {}).get(mode)
    return bool(r) and r.get("status") == "ok"


def merge_docs(base, new):
    """new's results over base's: an ok run of new replaces base's; a not-ok run of new only fills a gap or replaces
    a not-ok one. A retime follows the same rule, and base's retime is dropped when a pick it timed changed."""
    out = json.loads(json.dumps(base))
    for key in ("environment",):
        if new.get(key):
            out[key] = new[key]
    out["invocations"] = list(base.get("invocations", [])) + list(new.get("invocations", []))
    for name, ne in new.get("shapes", {}).items():
        be = out["shapes"].get(name)
        if be is None:
            out["shapes"][name] = json.loads(json.dumps(ne))
            continue
        changed = False
        for mode, nr in ne.get("runs", {}).items():
            br = be["runs"].get(mode)
            if nr.get("status") == "ok" or br is None or br.get("status") != "ok":
                if br and br.get("status") == "ok" and br.get("picked") != nr.get("picked"):
                    changed = True
                be["runs"][mode] = nr
        nt, bt = ne.get("retime"), be.get("retime")
        if nt and (nt.get("status") == "ok" or not bt or bt.get("status") != "ok"):
            be["retime"] = nt
        elif changed and bt:
            be["retime"] = None
    out["updated"] = iso_now()
    summarise(out)
    return out


def _median(xs):
    return statistics.median(xs) if xs else None


def summarise(doc):
    """Per-shape summary (tuning speed-up, re-timed pick, ratio to the full pick) and the medians over shapes."""
    per_family = {}
    for name, e in doc.get("shapes", {}).items():
        runs = e.get("runs", {})
        s = {"tune_s": {}, "speedup": {}, "configs_benchmarked": {}, "pick": {}, "pick_us": {}, "ratio": {},
             "spread": {}, "kernelcast_s": {}, "rank_in_full_autotune": {}, "autotune_ratio": {}}
        full = runs.get("full") if run_ok(e, "full") else None
        full_order = None
        if full and full.get("timings"):
            ok_t = [t for t in full["timings"] if t.get("ms")]
            ok_t.sort(key=lambda t: t["ms"][0])
            full_order = [cfg_key(t["config"]) for t in ok_t]
            full_ms = {cfg_key(t["config"]): t["ms"][0] for t in ok_t}
        for mode, r in runs.items():
            if r.get("status") != "ok":
                continue
            s["tune_s"][mode] = r["tune_s"]
            s["configs_benchmarked"][mode] = r.get("configs_benchmarked")
            s["pick"][mode] = label(r["picked"])
            if mode != "full":
                s["kernelcast_s"][mode] = (r.get("kernelcast") or {}).get("total_s")
                if full:
                    s["speedup"][mode] = full["tune_s"] / r["tune_s"] if r["tune_s"] > 0 else None
                if full_order:
                    k = cfg_key(r["picked"])
                    if k in full_ms:
                        s["rank_in_full_autotune"][mode] = full_order.index(k) + 1
                        s["autotune_ratio"][mode] = full_ms[k] / full_ms[full_order[0]]
        rt = e.get("retime")
        if rt and rt.get("status") == "ok":
            for mode, p in rt.get("picks", {}).items():
                s["pick_us"][mode] = p["median_us"]
                s["spread"][mode] = p["spread"]
                s["ratio"][mode] = p.get("ratio_to_full")
        e["summary"] = s
        fam = per_family.setdefault(e["family"], {"ratio": {}, "speedup": {}, "tune_s": {}, "shapes": 0})
        fam["shapes"] += 1
        for mode, v in s["ratio"].items():
            if mode != "full" and v is not None:
                fam["ratio"].setdefault(mode, []).append(v)
        for mode, v in s["speedup"].items():
            if v is not None:
                fam["speedup"].setdefault(mode, []).append(v)
        for mode, v in s["tune_s"].items():
            fam["tune_s"].setdefault(mode, []).append(v)
    out = {}
    for fam, d in per_family.items():
        out[fam] = {
            "shapes": d["shapes"],
            "median_ratio": {m: _median(v) for m, v in d["ratio"].items()},
            "max_ratio": {m: max(v) for m, v in d["ratio"].items()},
            "shapes_with_ratio": {m: len(v) for m, v in d["ratio"].items()},
            "median_speedup": {m: _median(v) for m, v in d["speedup"].items()},
            "total_tune_s": {m: sum(v) for m, v in d["tune_s"].items()},
        }
    allr = {}
    for d in per_family.values():
        for m, v in d["ratio"].items():
            allr.setdefault(m, []).extend(v)
    out["all"] = {"median_ratio": {m: _median(v) for m, v in allr.items()},
                  "max_ratio": {m: max(v) for m, v in allr.items()},
                  "shapes_with_ratio": {m: len(v) for m, v in allr.items()}}
    doc["summary"] = out
    return out


def _f(v, fmt):
    return "-" if v is None else format(v, fmt)


def cell_run(e, mode):
    r = (e.get("runs") or {}).get(mode)
    if not r:
        return "-"
    if r.get("status") != "ok":
        return r.get("status", "?")
    return f"{r['tune_s']:.1f} ({r.get('configs_benchmarked')})"


def markdown(doc):
    summarise(doc)
    env = doc.get("environment") or {}
    lines = [f"## KernelCast autotuner hook in a real Triton autotune: {env.get('gpu', 'GPU ?')}", ""]
    envl = ", ".join(f"{k} {env[k]}" for k in ("driver", "torch", "triton", "cuda", "cpus") if env.get(k))
    if envl:
        lines += [envl, ""]
    lines += ["Tuning: fresh process, empty Triton cache, wall time of the first call (configs benchmarked in "
              "brackets). Picks re-timed side by side in one process (median of two interleaved timings; ratio to "
              "the full autotune's pick).", "",
              "| shape | full tune s | kc3 s | kc5 s | speed-up (kc3, kc5) | full pick us | kc3 pick us (ratio) | "
              "kc5 pick us (ratio) |",
              "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, e in doc.get("shapes", {}).items():
        s = e.get("summary", {})
        sp = ", ".join(f"x{s['speedup'][m]:.1f}" if s["speedup"].get(m) else "-" for m in ("kc3", "kc5"))

        def pick(m):
            us = s["pick_us"].get(m)
            if us is None:
                return "-"
            if m == "full":
                return f"{us:.1f}"
            r = s["ratio"].get(m)
            return f"{us:.1f} ({_f(r, '.3f')})"
        lines.append(f"| {name} | {cell_run(e, 'full')} | {cell_run(e, 'kc3')} | {cell_run(e, 'kc5')} | {sp} | "
                     f"{pick('full')} | {pick('kc3')} | {pick('kc5')} |")
    lines += ["", "| shape | full pick | kc3 pick | kc5 pick | KernelCast s (kc3, kc5) | "
              "kc picks' rank in the full autotune (kc3, kc5) | spread of re-timing (full, kc3, kc5) |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, e in doc.get("shapes", {}).items():
        s = e.get("summary", {})
        kcs = ", ".join(_f(s["kernelcast_s"].get(m), ".3f") for m in ("kc3", "kc5"))
        rank = ", ".join(
            f"{s['rank_in_full_autotune'][m]} ({s['autotune_ratio'][m]:.3f})" if m in s["rank_in_full_autotune"]
            else "-" for m in ("kc3", "kc5"))
        spr = ", ".join(_f(s["spread"].get(m), ".3f") for m in ("full", "kc3", "kc5"))
        lines.append(f"| {name} | {s['pick'].get('full', '-')} | {s['pick'].get('kc3', '-')} | "
                     f"{s['pick'].get('kc5', '-')} | {kcs} | {rank} | {spr} |")
    lines.append("")
    summ = doc.get("summary", {})
    for fam in ("gemm", "rows", "all"):
        d = summ.get(fam)
        if not d or not d.get("median_ratio"):
            continue
        parts = []
        for m in ("kc3", "kc5"):
            if m in d["median_ratio"]:
                parts.append(f"{m}: median ratio {d['median_ratio'][m]:.3f}, max {d['max_ratio'][m]:.3f} over "
                             f"{d['shapes_with_ratio'][m]} shape(s)")
        if d.get("median_speedup"):
            parts += [f"{m}: median tuning speed-up x{v:.1f}" for m, v in d["median_speedup"].items() if v]
        if d.get("total_tune_s"):
            parts.append("tuning time in all: " + ", ".join(f"{m} {v:.0f} s" for m, v in d["total_tune_s"].items()))
        lines.append(f"- {fam}: " + "; ".join(parts))
    return "\n".join(lines) + "\n"


def write_outputs(doc, out):
    doc["updated"] = iso_now()
    summarise(doc)
    write_json_atomic(out, doc)
    md = os.path.splitext(out)[0] + ".md"
    with open(md + ".tmp", "w") as f:
        f.write(markdown(doc))
    os.replace(md + ".tmp", md)


# ----------------------------------------------------------------------------
# Parent: environment, children, budget
# ----------------------------------------------------------------------------

def sh(cmd, timeout=20):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout).stdout.strip()
    except Exception:  # noqa: BLE001 - a missing tool is recorded as unknown
        return ""


def nvidia_smi():
    q = "name,driver_version,clocks.sm,clocks.max.sm,temperature.gpu,power.draw,memory.total"
    line = sh(["nvidia-smi", f"--query-gpu={q}", "--format=csv,noheader"]).splitlines()
    if not line:
        return {}
    vals = [v.strip() for v in line[0].split(",")]
    return dict(zip(q.split(","), vals))


def kernelcast_health():
    url = os.environ.get("KERNELCAST_URL")
    if not url:
        return {"url": None, "health": "KERNELCAST_URL not set"}
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/v1/health", timeout=5) as r:
            return {"url": url, "health": r.read(2000).decode("utf-8", "replace").strip()}
    except Exception as exc:  # noqa: BLE001
        return {"url": url, "health": f"unreachable: {type(exc).__name__}: {exc}"}


def kill_child(proc):
    """Kills the child this parent started (it stays in our process group, so that whatever stops the whole
    command also stops it)."""
    try:
        proc.kill()
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def run_child(spec, timeout_s):
    """Runs one child process (this script with --child) and returns (result dict, process wall seconds)."""
    work = tempfile.mkdtemp(prefix="kc-autotune-spec-")
    spec_path = os.path.join(work, "spec.json")
    result_path = os.path.join(work, "result.json")
    spec = dict(spec, result_path=result_path)
    with open(spec_path, "w") as f:
        json.dump(spec, f)
    env = dict(os.environ)
    env["TRITON_CACHE_DIR"] = spec["cache_dir"]
    for k in ("TRITON_CACHE_AUTOTUNING", "TRITON_PRINT_AUTOTUNING", "TRITON_ALWAYS_COMPILE"):
        env.pop(k, None)
    env["PYTHONUNBUFFERED"] = "1"
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--child", spec_path], env=env)
    timed_out = False
    try:
        rc = proc.wait(timeout=max(5.0, timeout_s))
    except subprocess.TimeoutExpired:
        timed_out = True
        kill_child(proc)
        rc = proc.returncode
    wall = time.perf_counter() - t0
    res = None
    if os.path.exists(result_path):
        try:
            with open(result_path) as f:
                res = json.load(f)
        except Exception:  # noqa: BLE001
            res = None
    shutil.rmtree(work, ignore_errors=True)
    if res is None:
        res = {"status": "timeout" if timed_out else "error",
               "reason": (f"killed after {timeout_s:.0f} s (the budget)" if timed_out
                          else f"child exited with {rc} and wrote no result")}
    elif timed_out:
        res["status"] = "timeout"
    res["process_s"] = wall
    return res


class Budget:
    def __init__(self, seconds):
        self.seconds = seconds
        self.t0 = time.perf_counter()

    def elapsed(self):
        return time.perf_counter() - self.t0

    def left(self):
        return self.seconds - self.elapsed()


def learn(est, family, res, kind):
    """Updates the time estimates from a finished child."""
    e = est[family]
    wall = res.get("process_s")
    if not wall or res.get("status") != "ok":
        return
    if kind == "retime":
        e["retime"] = wall
        return
    first = res.get("first_call_s") or 0.0
    n = res.get("configs_benchmarked") or 0
    e["overhead"] = max(3.0, wall - first)
    if n >= 10:
        e["per_config"] = first / n


def skipped(reason, **extra):
    return dict({"status": "skipped", "reason": reason, "started": iso_now()}, **extra)


def tune_spec(args, shape, mode, cache_dir):
    return {"kind": "tune", "family": shape.family, "problem": shape.problem, "name": shape.name, "mode": mode,
            "top_k": MODE_TOP_K[mode], "configs": shape.configs, "machine": args.machine, "seed": seed_for(shape.name),
            "cache_dir": cache_dir, "root": ROOT}


def seed_for(name):
    import zlib
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def print_run(shape, mode, r):
    if r.get("status") != "ok":
        print(f"    {mode:4s} {r.get('status')}: {r.get('reason', '')}", flush=True)
        return
    kc = r.get("kernelcast") or {}
    kcs = f"  KernelCast {kc.get('total_s', 0.0):.3f} s" if mode != "full" else ""
    print(f"    {mode:4s} tune {r['tune_s']:7.1f} s  ({r['configs_benchmarked']} benchmarked, "
          f"{r.get('configs_failed', 0)} failed, autotuner bench {_f(r.get('bench_time_s'), '.1f')} s, "
          f"process {r['process_s']:.1f} s)  pick {label(r['picked'])}  "
          f"{_f(r.get('picked_ms'), '.4f')} ms  err {_f(r.get('rel_error'), '.1e')}{kcs}", flush=True)


def main_run(args):
    shapes = select_shapes(args)
    out = os.path.abspath(args.out)
    doc = None
    if args.append and os.path.exists(out):
        with open(out) as f:
            doc = json.load(f)
        if doc.get("kind") != FORMAT_KIND:
            raise SystemExit(f"{out} is not a {FORMAT_KIND} file")
        print(f"appending to {out} ({len(doc.get('shapes', {}))} shape(s) in it)", flush=True)
    if doc is None:
        doc = new_doc()
    budget = Budget(args.budget_s)
    est = json.loads(json.dumps(EST))
    inv = {"started": iso_now(), "argv": sys.argv[1:], "budget_s": args.budget_s,
           "shapes": [s.name for s in shapes], "nvidia_smi_before": nvidia_smi(), "kernelcast": kernelcast_health(),
           "cpus": os.cpu_count()}
    doc["invocations"].append(inv)
    env = doc.setdefault("environment", {})
    smi = inv["nvidia_smi_before"]
    if smi:
        env.update(gpu=smi.get("name"), driver=smi.get("driver_version"), memory=smi.get("memory.total"),
                   max_sm_clock=smi.get("clocks.max.sm"))
    env["cpus"] = os.cpu_count()
    print(f"KernelCast autotuner proof: {len(shapes)} shape(s), budget {args.budget_s:.0f} s, out {out}", flush=True)
    print(f"  GPU: {smi or 'nvidia-smi not available'}", flush=True)
    print(f"  KernelCast: {inv['kernelcast']}", flush=True)
    if not os.environ.get("KERNELCAST_URL") and any(m != "full" for s in shapes for m in s.modes):
        print("  warning: KERNELCAST_URL is not set; the kc runs will fail", flush=True)
    write_outputs(doc, out)

    for shape in shapes:
        e = shape_entry(doc, shape)
        e["configs"] = len(shape.configs)
        print(f"== {shape.name} ({len(shape.configs)} configs; {shape.problem['note']}); "
              f"{budget.elapsed():.0f} s used of {args.budget_s:.0f}", flush=True)
        ran_now = False
        keep_cache = None
        todo = [m for m in shape.modes if args.redo or not run_ok(e, m)]
        need = sum(estimate_run(est, shape, m) for m in todo) + (estimate_retime(est, shape) if todo else 0.0)
        if todo and need > budget.left():
            # The whole shape or nothing: a shape cut half-way would spend device time on runs without a ratio.
            for m in todo:
                if not run_ok(e, m):
                    e["runs"][m] = skipped(f"budget: the shape needs ~{need:.0f} s, "
                                           f"{budget.left():.0f} s left")
            print(f"    skipped: the shape needs ~{need:.0f} s, {budget.left():.0f} s left "
                  f"(run it again: --shapes/--row-shapes {shape.index})", flush=True)
            write_outputs(doc, out)
            continue
        for mode in ordered_modes(shape):
            if run_ok(e, mode) and not args.redo:
                print(f"    {mode:4s} already done ({e['runs'][mode]['tune_s']:.1f} s, pick "
                      f"{label(e['runs'][mode]['picked'])})", flush=True)
                continue
            need = estimate_run(est, shape, mode)
            if need > budget.left():
                e["runs"][mode] = skipped(f"budget: needs ~{need:.0f} s, {budget.left():.0f} s left")
                print(f"    {mode:4s} skipped (needs ~{need:.0f} s, {budget.left():.0f} s left)", flush=True)
                write_outputs(doc, out)
                continue
            cache_dir = tempfile.mkdtemp(prefix=f"kc-autotune-triton-{mode}-")
            print(f"    {mode:4s} starting (est. {need:.0f} s, fresh cache {cache_dir})", flush=True)
            res = run_child(tune_spec(args, shape, mode, cache_dir), budget.left() - 2.0)
            res["started"] = res.get("started") or iso_now()
            learn(est, shape.family, res, "tune")
            e["runs"][mode] = res
            if res.get("device") and not env.get("torch"):
                d = res["device"]
                env.update(torch=d.get("torch"), triton=d.get("triton"), cuda=d.get("cuda"), python=d.get("python"),
                           gpu=env.get("gpu") or d.get("name"), capability=d.get("capability"))
            print_run(shape, mode, res)
            ran_now = ran_now or res.get("status") == "ok"
            if mode == "full" and res.get("status") == "ok":
                if keep_cache:
                    shutil.rmtree(keep_cache, ignore_errors=True)
                keep_cache = cache_dir  # the picks of the re-timing are in it: loads, not compiles
            else:
                shutil.rmtree(cache_dir, ignore_errors=True)
            write_outputs(doc, out)

        ok_modes = [m for m in shape.modes if run_ok(e, m)]
        rt = e.get("retime")
        fresh = rt and rt.get("status") == "ok" and all(
            cfg_key(e["runs"][m]["picked"]) in {cfg_key(c["config"]) for c in rt.get("configs", [])} for m in ok_modes)
        if "full" not in ok_modes or len(ok_modes) < 2:
            if not (rt and rt.get("status") == "ok"):
                e["retime"] = skipped("needs the full pick and at least one KernelCast pick")
            print(f"    re-time skipped: modes done {ok_modes}", flush=True)
        elif fresh and not ran_now and not args.redo:
            print("    re-time already done", flush=True)
        else:
            need = estimate_retime(est, shape)
            if need > budget.left():
                e["retime"] = skipped(f"budget: needs ~{need:.0f} s, {budget.left():.0f} s left")
                print(f"    re-time skipped (needs ~{need:.0f} s, {budget.left():.0f} s left)", flush=True)
            else:
                cache_dir = keep_cache or tempfile.mkdtemp(prefix="kc-autotune-triton-retime-")
                keep_cache = cache_dir
                picks = {}
                for m in ok_modes:
                    picks.setdefault(cfg_key(e["runs"][m]["picked"]), {"config": e["runs"][m]["picked"],
                                                                      "modes": []})["modes"].append(m)
                spec = {"kind": "retime", "family": shape.family, "problem": shape.problem, "name": shape.name,
                        "picks": list(picks.values()), "seed": seed_for(shape.name), "repeats": args.repeats,
                        "cache_dir": cache_dir, "root": ROOT}
                print(f"    re-time {len(picks)} distinct pick(s) of {', '.join(ok_modes)} (est. {need:.0f} s)",
                      flush=True)
                res = run_child(spec, budget.left() - 2.0)
                res["started"] = res.get("started") or iso_now()
                learn(est, shape.family, res, "retime")
                e["retime"] = res
                if res.get("status") == "ok":
                    for c in res["configs"]:
                        print(f"      {label(c['config']):24s} {','.join(c['modes']):14s} "
                              f"{c['median_us']:10.2f} us  spread {_f(c['spread'], '.3f')}  "
                              f"err {_f(c['rel_error'], '.1e')}"
                              f"  ({res['timer']})", flush=True)
                else:
                    print(f"    re-time {res.get('status')}: {res.get('reason', '')}", flush=True)
        if keep_cache:
            shutil.rmtree(keep_cache, ignore_errors=True)
        write_outputs(doc, out)

    inv["finished"] = iso_now()
    inv["wall_s"] = budget.elapsed()
    inv["nvidia_smi_after"] = nvidia_smi()
    write_outputs(doc, out)
    print(f"done in {budget.elapsed():.0f} s; wrote {out} and {os.path.splitext(out)[0] + '.md'}", flush=True)
    print()
    print(markdown(doc), flush=True)


# ----------------------------------------------------------------------------
# Children (torch and triton from here on)
# ----------------------------------------------------------------------------

def first_line(msg, limit=400):
    lines = [ln.strip() for ln in str(msg).strip().splitlines() if ln.strip()]
    if not lines:
        return ""
    text = lines[0] if len(lines) == 1 or lines[-1] == lines[0] else f"{lines[0]} ... {lines[-1]}"
    return text[:limit]


def device_info(torch, triton):
    cap = torch.cuda.get_device_capability(0)
    return {"name": torch.cuda.get_device_name(0), "capability": f"{cap[0]}.{cap[1]}", "torch": torch.__version__,
            "triton": triton.__version__, "cuda": torch.version.cuda, "python": sys.version.split()[0]}


def to_config(triton, flat):
    kwargs = {k: v for k, v in flat.items() if k not in CONFIG_KEYS}
    extra = {k: flat[k] for k in ("num_ctas", "maxnreg") if k in flat}
    return triton.Config(kwargs, num_warps=flat["num_warps"], num_stages=flat["num_stages"], **extra)


def from_config(cfg):
    flat = dict(cfg.kwargs)
    flat["num_warps"] = cfg.num_warps
    flat["num_stages"] = cfg.num_stages
    if getattr(cfg, "num_ctas", 1) not in (None, 1):
        flat["num_ctas"] = cfg.num_ctas
    if getattr(cfg, "maxnreg", None) is not None:
        flat["maxnreg"] = cfg.maxnreg
    return flat


def finite_list(v):
    if isinstance(v, (int, float)):
        v = [v]
    try:
        vals = [float(x) for x in v]
    except Exception:  # noqa: BLE001
        return None
    if not vals or any(x != x or x in (float("inf"), float("-inf")) for x in vals):
        return None
    return vals


class Problem:
    """Inputs, reference, kernel arguments and grid of one shape."""

    def __init__(self, torch, K, family, p, seed):
        dt = {"fp16": torch.float16, "bf16": torch.bfloat16, "fp32": torch.float32}[p["dtype"]]
        gen = torch.Generator(device="cuda")
        gen.manual_seed(seed)
        self.family = family
        if family == "gemm":
            M, N, Kd = p["m"], p["n"], p["k"]
            a = torch.randn((M, Kd), device="cuda", dtype=dt, generator=gen)
            b = torch.randn((Kd, N), device="cuda", dtype=dt, generator=gen)
            self.out = torch.empty((M, N), device="cuda", dtype=dt)
            self.ref = torch.matmul(a, b).float()
            self.args = K.matmul_args(a, b, self.out)
            self.grid = K.matmul_grid(M, N)
            self.kernel = K.matmul_kernel
            self.key = ["M", "N", "K"]
            self.inputs = (a, b)
        else:
            x = torch.randn((p["rows"], p["cols"]), device="cuda", dtype=dt, generator=gen)
            self.out = torch.empty_like(x)
            self.ref = torch.softmax(x.float(), dim=-1)
            self.args = K.softmax_args(x, self.out)
            self.grid = K.softmax_grid(p["rows"])
            self.kernel = K.softmax_kernel
            self.key = ["n_rows", "n_cols"]
            self.inputs = (x,)
        self.torch = torch

    def rel_error(self):
        t = self.torch
        diff = t.linalg.vector_norm(self.out.float() - self.ref)
        return float(diff / t.linalg.vector_norm(self.ref))

    def poison(self):
        self.out.fill_(float("nan"))


def wrap_hook(raw, stats):
    """The hook's prune_configs_by dict with its callables timed (the time spent in KernelCast)."""
    out = dict(raw)
    prune = raw.get("early_config_prune")
    model = raw.get("perf_model")
    if callable(prune):
        def early_config_prune(configs, named_args, **kwargs):
            t = time.perf_counter()
            try:
                kept = prune(configs, named_args, **kwargs)
            finally:
                stats["prune_s"] += time.perf_counter() - t
                stats["prune_calls"] += 1
            stats["prune_offered"] = len(configs)
            stats["prune_returned"] = None if kept is None else len(kept)
            return kept
        out["early_config_prune"] = early_config_prune
    if callable(model):
        def perf_model(*a, **kwargs):
            t = time.perf_counter()
            try:
                return model(*a, **kwargs)
            finally:
                stats["perf_model_s"] += time.perf_counter() - t
                stats["perf_model_calls"] += 1
        out["perf_model"] = perf_model
    return out


def child_tune(spec):
    cache_dir = os.environ.get("TRITON_CACHE_DIR", "")
    cache_empty = bool(cache_dir) and os.path.isdir(cache_dir) and not os.listdir(cache_dir)
    import torch
    import triton
    import autotune_kernels as K

    res = {"status": "error", "mode": spec["mode"], "top_k": spec["top_k"], "started": iso_now(),
           "cache_empty_at_start": cache_empty, "configs_offered": len(spec["configs"])}
    res["device"] = device_info(torch, triton)
    prob = Problem(torch, K, spec["family"], spec["problem"], spec["seed"])
    prob.poison()
    torch.cuda.synchronize()
    t = time.perf_counter()
    triton.runtime.driver.active.get_current_target()   # Triton's driver (its C helpers compile into the cache)
    res["driver_init_s"] = time.perf_counter() - t

    configs = [to_config(triton, c) for c in spec["configs"]]
    stats = {"prune_s": 0.0, "prune_calls": 0, "perf_model_s": 0.0, "perf_model_calls": 0,
             "prune_offered": None, "prune_returned": None}
    prune = None
    hook_build_s = 0.0
    log_records = None
    if spec["top_k"]:
        sys.path.insert(0, os.path.join(spec["root"], "integrations", "python"))
        t = time.perf_counter()
        import kernelcast.triton as kct
        if spec["family"] == "gemm":
            raw = kct.gemm(machine=spec["machine"], top_k=spec["top_k"], m="M", n="N", k="K", a="a_ptr")
        else:
            raw = kct.rows(machine=spec["machine"], top_k=spec["top_k"], op=spec["problem"]["op"],
                           rows="n_rows", cols="n_cols", x="x_ptr")
        hook_build_s = time.perf_counter() - t
        log_records = capture_kernelcast_log()
        res["hook_keys"] = sorted(raw.keys())
        res["hook_top_k"] = raw.get("top_k")
        prune = wrap_hook(raw, stats)
    tuned = triton.autotune(configs=configs, key=prob.key, prune_configs_by=prune)(prob.kernel)

    torch.cuda.synchronize()
    with Progress(cache_dir, f"{spec['name']} {spec['mode']}"):
        t0 = time.perf_counter()
        tuned[prob.grid](*prob.args)
        torch.cuda.synchronize()
        first_call_s = time.perf_counter() - t0

    best = from_config(tuned.best_config)
    timings = getattr(tuned, "configs_timings", None) or {}
    rows = []
    for cfg, ms in timings.items():
        rows.append({"config": from_config(cfg), "ms": finite_list(ms)})
    picked_ms = next((r["ms"][0] for r in rows if r["config"] == best and r["ms"]), None)
    rel = prob.rel_error()
    rel = rel if rel == rel else float("inf")
    stats["total_s"] = hook_build_s + stats["prune_s"] + stats["perf_model_s"]
    stats["hook_build_s"] = hook_build_s
    res.update({
        "status": "ok" if rel < TOLERANCE else "wrong",
        "reason": "" if rel < TOLERANCE else f"picked kernel's relative error {rel:.2e} >= {TOLERANCE}",
        "tune_s": first_call_s + hook_build_s, "first_call_s": first_call_s, "hook_build_s": hook_build_s,
        "bench_time_s": getattr(tuned, "bench_time", None),
        "configs_benchmarked": len(rows), "configs_failed": sum(1 for r in rows if r["ms"] is None),
        "picked": best, "picked_ms": picked_ms, "rel_error": rel, "timings": rows,
        "kernelcast": stats if spec["top_k"] else None,
        "cache_files_after": sum(len(f) for _, _, f in os.walk(cache_dir)) if cache_dir else None,
    })
    if log_records is not None:
        # The hook never fails the autotune: without an answer from KernelCast it keeps the configs unchanged
        # and warns, and Triton then benchmarks the first top_k in list order. Such a run proves nothing.
        warnings = [m for lvl, m in log_records if lvl >= 30]
        stats["log"] = [m for _, m in log_records][:60]
        stats["dropped_infeasible"] = sum(1 for _, m in log_records if "dropping config" in m)
        stats["warnings"] = warnings
        if warnings and res["status"] == "ok":
            res["status"] = "fallback"
            res["reason"] = "KernelCast did not prune: " + first_line(warnings[0], 300)
    return res


def capture_kernelcast_log():
    """Records what the hook logs (logger kernelcast.*, INFO and up) as (level, message); warnings also go to
    stderr."""
    import logging

    records = []

    class Capture(logging.Handler):
        def emit(self, record):
            try:
                records.append((record.levelno, record.getMessage()))
            except Exception:  # noqa: BLE001
                pass

    lg = logging.getLogger("kernelcast")
    lg.setLevel(logging.INFO)
    lg.addHandler(Capture(level=logging.INFO))
    err = logging.StreamHandler(sys.stderr)
    err.setLevel(logging.WARNING)
    lg.addHandler(err)
    return records


def child_retime(spec):
    import torch
    import triton
    import triton.testing
    import autotune_kernels as K

    res = {"status": "error", "started": iso_now(), "repeats": spec["repeats"], "warmup_ms": BENCH_WARMUP_MS,
           "rep_ms": BENCH_REP_MS}
    res["device"] = device_info(torch, triton)
    prob = Problem(torch, K, spec["family"], spec["problem"], spec["seed"])
    entries = []
    for pick in spec["picks"]:
        flat = pick["config"]
        meta = dict(flat)

        def fn(meta=meta):
            prob.kernel[prob.grid](*prob.args, **meta)
        prob.poison()
        t = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        load_s = time.perf_counter() - t
        rel = prob.rel_error()
        rel = rel if rel == rel else float("inf")
        entries.append({"config": flat, "modes": pick["modes"], "fn": fn, "load_s": load_s, "rel_error": rel,
                        "rounds": []})
        if rel >= TOLERANCE:
            res["reason"] = f"{label(flat)}: relative error {rel:.2e} >= {TOLERANCE}"
    # Timer: do_bench (L2 flushed each repetition) unless the full pick runs under SMALL_US.
    probe_ms = triton.testing.do_bench(entries[0]["fn"], warmup=5, rep=20, return_mode="median")
    small = probe_ms * 1e3 < SMALL_US
    res["probe_us"] = probe_ms * 1e3
    res["timer"] = "do_bench_cudagraph" if small else "do_bench"

    def timed(fn):
        if small:
            q = triton.testing.do_bench_cudagraph(fn, rep=BENCH_REP_MS, quantiles=QUANTILES, return_mode="median")
        else:
            q = triton.testing.do_bench(fn, warmup=BENCH_WARMUP_MS, rep=BENCH_REP_MS, quantiles=QUANTILES,
                                        return_mode="median")
        if isinstance(q, (int, float)):
            q = [q, q, q]
        return [float(v) * 1e3 for v in q]   # us

    order = list(range(len(entries)))
    for r in range(spec["repeats"]):
        seq = order if r % 2 == 0 else list(reversed(order))
        for i in seq:
            entries[i]["rounds"].append(timed(entries[i]["fn"]))
    configs = []
    by_mode = {}
    for en in entries:
        meds = [q[0] for q in en["rounds"]]
        med = statistics.median(meds)
        row = {"config": en["config"], "modes": en["modes"], "rounds_us": en["rounds"], "median_us": med,
               "spread": (max(meds) - min(meds)) / med if med > 0 else None, "rel_error": en["rel_error"],
               "load_s": en["load_s"]}
        configs.append(row)
        for m in en["modes"]:
            by_mode[m] = row
    full = by_mode.get("full")
    picks = {}
    for m, row in by_mode.items():
        picks[m] = {"config": row["config"], "median_us": row["median_us"], "spread": row["spread"],
                    "ratio_to_full": row["median_us"] / full["median_us"] if full else None}
    res.update(configs=configs, picks=picks)
    res["status"] = "ok" if all(c["rel_error"] < TOLERANCE for c in configs) else "wrong"
    return res


def clean(v):
    """JSON-safe: non-finite floats become null."""
    if isinstance(v, float):
        return v if v == v and v not in (float("inf"), float("-inf")) else None
    if isinstance(v, dict):
        return {k: clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [clean(x) for x in v]
    return v


class Progress:
    """Prints, every `every` seconds while a tuning runs, the time so far and the kernels compiled into the (fresh)
    Triton cache, without touching the autotuner."""

    def __init__(self, cache_dir, label_, every=30.0):
        import threading
        self.cache_dir, self.label, self.every = cache_dir, label_, every
        self.stop = threading.Event()
        self.t0 = time.perf_counter()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _count(self):
        n = 0
        for _, _, files in os.walk(self.cache_dir):
            n += sum(1 for f in files if f.endswith(".cubin"))
        return n

    def _run(self):
        while not self.stop.wait(self.every):
            print(f"      {self.label}: {time.perf_counter() - self.t0:5.0f} s, {self._count()} kernels compiled",
                  file=sys.stderr, flush=True)

    def __enter__(self):
        if self.cache_dir:
            self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        return False


def child_main(spec_path):
    with open(spec_path) as f:
        spec = json.load(f)
    try:
        res = child_tune(spec) if spec["kind"] == "tune" else child_retime(spec)
    except Exception as exc:  # noqa: BLE001 - reported to the parent as the run's result
        res = {"status": "error", "reason": first_line(f"{type(exc).__name__}: {exc}"),
               "traceback": traceback.format_exc()[-3000:]}
        print(res["traceback"], file=sys.stderr, flush=True)
    res = clean(res)
    with open(spec["result_path"] + ".tmp", "w") as f:
        json.dump(res, f, allow_nan=False)
    os.replace(spec["result_path"] + ".tmp", spec["result_path"])
    short = {k: res.get(k) for k in ("status", "mode", "tune_s", "configs_benchmarked", "picked", "timer", "reason")
             if res.get(k) is not None}
    print("KC_RESULT " + json.dumps(short), flush=True)
    return 0


# ----------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--plan", action="store_true", help="print the shapes, configs and runs; no GPU, no torch")
    ap.add_argument("--shapes", help="GEMM shape indices, e.g. 0,1 or 2,3,4 or all")
    ap.add_argument("--rows", action="store_true", help="the row-kernel (softmax) shapes")
    ap.add_argument("--row-shapes", help="row shape indices (implies --rows)")
    ap.add_argument("--modes", help=f"GEMM modes (default {','.join(GEMM_MODES)}); full is always included")
    ap.add_argument("--row-modes", help=f"row-kernel modes (default {','.join(ROW_MODES)})")
    ap.add_argument("--machine", default=MACHINE, help="KernelCast machine for the hook (default h200-sxm)")
    ap.add_argument("--out", help="output JSON (the markdown table goes beside it, .md)")
    ap.add_argument("--append", action="store_true", help="merge into --out if it exists; runs done there are kept")
    ap.add_argument("--redo", action="store_true", help="with --append: run again what the file already has")
    ap.add_argument("--budget-s", type=float, default=510.0, help="wall-clock guard (default 510 s)")
    ap.add_argument("--repeats", type=int, default=2, help="timings of each pick in the re-timing (default 2)")
    ap.add_argument("--merge", nargs="+", metavar="FILE", help="merge result files (later wins) into --out")
    ap.add_argument("--report", metavar="FILE", help="print the markdown table of a result file")
    ap.add_argument("--child", metavar="SPEC", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child:
        return child_main(args.child)
    if args.report:
        with open(args.report) as f:
            print(markdown(json.load(f)))
        return 0
    if args.merge:
        if not args.out:
            ap.error("--merge needs --out")
        docs = []
        for p in args.merge:
            with open(p) as f:
                docs.append(json.load(f))
        doc = docs[0]
        for d in docs[1:]:
            doc = merge_docs(doc, d)
        write_outputs(doc, os.path.abspath(args.out))
        print(markdown(doc))
        return 0
    if args.plan:
        print_plan(select_shapes(args))
        return 0
    if not args.out:
        ap.error("--out is required (or --plan / --report / --merge)")
    main_run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
