#!/usr/bin/env python3
"""Judge kernelcast's fusion predictions on the fusion pairs of a campaign (fusion_h200.py): the H200's by default
(role judge: nothing here fits anything), or another machine's with --data (the H100's are tune data).

For each GEMM pair: the fused side is the measured Triton kernel (its config, bias + activation in the epilogue);
the unfused side is cuBLAS addmm (a GEMM with a bias epilogue, at the best of the library's schedules) plus the activation as
its own elementwise kernel (torch's launch). For each norm pair: the fused side is the Triton row kernel (residual add, h stored,
then the norm; its block and the measured warp counts), the unfused side torch's residual add and norm kernels, each
as torch launches it. Writes a markdown table and a JSON summary. Usage:

    python3 calibration/harness/fusion_judge.py --machine MACHINE [--data FOLDER] [--kernelcast BIN] [--json OUT]
"""
import argparse
import json
import os
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
H200_DATA = os.path.join(HERE, "..", "measurements", "h200-sxm", "fusion")
# cuBLAS's schedules for addmm: what kernelcast predicts a library GEMM with (BlockFile.libraryGemm, docs/fusion.md):
# persistent warp-specialised kernels, one producer and two consumer warpgroups, 64-deep K steps.
LIBRARY_GEMM = """schedule:
  block_m: [128, 192, 256]
  block_n: [128, 192, 256]
  block_k: 64
  warps: 12
  stages: [3, 4, 5]
  group_m: 8
  persistent: true
compiler: cuda
"""


class Predictor:
    def __init__(self, binary, machine, folder):
        self.binary, self.machine, self.folder, self.count = binary, machine, folder, 0

    def best(self, text):
        """The predicted time (s) of the best candidate of a candidate file's text."""
        self.count += 1
        path = os.path.join(self.folder, f"space-{self.count}.yaml")
        with open(path, "w") as f:
            f.write("version: 1\nname: judge-%d\n" % self.count + text)
        out = subprocess.run([self.binary, "predict", path, "--machine", self.machine, "--format", "json"],
                             check=True, capture_output=True, text=True).stdout
        return json.loads(out)["top"][0]["time_s"]


def gemm(p, m, n, k, dtype, epilogue, schedule):
    return p.best(f"family: gemm\nproblem:\n  m: {m}\n  n: {n}\n  k: {k}\n  batch: 1\n  dtype: {dtype}\n"
                  f"  epilogue: [{', '.join(epilogue)}]\n" + schedule)


# torch's own kernels as its profiler traces launch them (BlockGraph.asRun does the same from a trace): an elementwise
# kernel of 128 threads, 8 elements each; its layer_norm kernel of 128 threads walking the row 4 elements per thread
# at a time, with Welford's statistics for a layernorm.
TORCH_ELEMENTWISE = "schedule:\n  fused: true\n  block_elements: 1024\n  warps: 4\ncompiler: cuda\n"
TRITON_ELEMENTWISE = "schedule:\n  fused: true\n  block_elements: [256, 1024, 4096]\n  warps: [4, 8]\n"


def torch_row_width(cols):
    """PyTorch's layer_norm kernel (layernorm and rmsnorm): 128 threads, 4 elements each per step (its vec_size)."""
    return min(cols, 128 * 4)


def elementwise(p, elements, ops, dtype, schedule=TRITON_ELEMENTWISE):
    return p.best(f"family: elementwise\nproblem:\n  elements: {elements}\n  ops: [{', '.join(ops)}]\n  dtype: {dtype}\n"
                  + schedule)


def reduction(p, op, rows, cols, dtype, prologue, widths, warps, statistics="sums"):
    return p.best(f"family: reduction\nproblem:\n  op: {op}\n  rows: {rows}\n  cols: {cols}\n  dtype: {dtype}\n"
                  f"  prologue: [{', '.join(prologue)}]\nschedule:\n  rows_per_block: 1\n"
                  f"  block_width: [{', '.join(map(str, widths))}]\n  warps: [{', '.join(map(str, warps))}]\n"
                  f"  statistics: {statistics}\n")


def pair_row(name, fused_m, unfused_m, fused_p, unfused_p):
    ratio_m, ratio_p = fused_m / unfused_m, fused_p / unfused_p
    decided = abs(ratio_m - 1) > 0.03
    verdict_ok = (ratio_m < 1) == (ratio_p < 1) if decided else None
    return {"pair": name, "fused_measured_us": fused_m * 1e6, "fused_predicted_us": fused_p * 1e6,
            "fused_error": fused_p / fused_m - 1, "unfused_measured_us": unfused_m * 1e6,
            "unfused_predicted_us": unfused_p * 1e6, "unfused_error": unfused_p / unfused_m - 1,
            "measured_ratio": ratio_m, "predicted_ratio": ratio_p, "decided": decided, "verdict_right": verdict_ok}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--machine", required=True)
    ap.add_argument("--kernelcast", default=os.path.join(HERE, "..", "..", ".build", "debug", "kernelcast"))
    ap.add_argument("--data", default=H200_DATA, help="the campaign's folder (gemm_epilogue_pairs.json, norm_pairs.json)")
    ap.add_argument("--json")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        p = Predictor(args.kernelcast, args.machine, folder)
        for item in json.load(open(os.path.join(args.data, "gemm_epilogue_pairs.json")))["items"]:
            m, n, k, dtype, act = item["M"], item["N"], item["K"], item["dtype"], item["activation"]
            c = item["fused"]["config"]
            fixed = (f"schedule:\n  block_m: {c['BLOCK_M']}\n  block_n: {c['BLOCK_N']}\n  block_k: {c['BLOCK_K']}\n"
                     f"  warps: {c['num_warps']}\n  stages: {c['num_stages']}\n  group_m: {c['GROUP_M']}\n"
                     "  split_k: 1\n  matrix_units: true\n")
            fused_p = gemm(p, m, n, k, dtype, ["bias", act], fixed)
            unfused_p = gemm(p, m, n, k, dtype, ["bias"], LIBRARY_GEMM) + elementwise(p, m * n, [act], dtype, TORCH_ELEMENTWISE)
            u = item["unfused"]
            rows.append(pair_row(f"gemm {m}x{n}x{k} {dtype} bias+{act}", item["fused"]["time_us"] * 1e-6,
                                 (u["addmm_us"] + u["activation_us"]) * 1e-6, fused_p, unfused_p))
        for item in json.load(open(os.path.join(args.data, "norm_pairs.json")))["items"]:
            rows_, cols, dtype, kind = item["rows"], item["cols"], item["dtype"], item["kind"]
            f = item["fused"]
            warps = sorted(int(w) for w in f["num_warps_times_us"])
            fused_p = reduction(p, kind, rows_, cols, dtype, ["residual"], [f["block"]], warps)
            unfused_p = (elementwise(p, rows_ * cols, ["residual"], dtype, TORCH_ELEMENTWISE)
                         + reduction(p, kind, rows_, cols, dtype, [], [torch_row_width(cols)], [4],
                                     "welford" if kind == "layernorm" else "sums"))
            u = item["unfused"]
            rows.append(pair_row(f"{kind} {rows_}x{cols} {dtype} residual", f["time_us"] * 1e-6,
                                 (u["add_us"] + u["norm_us"]) * 1e-6, fused_p, unfused_p))
    print("| pair | fused measured | predicted | error | unfused measured | predicted | error | measured ratio | predicted ratio | verdict |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in rows:
        verdict = "-" if r["verdict_right"] is None else ("right" if r["verdict_right"] else "WRONG")
        print(f"| {r['pair']} | {r['fused_measured_us']:.1f} us | {r['fused_predicted_us']:.1f} us | {r['fused_error']:+.1%} "
              f"| {r['unfused_measured_us']:.1f} us | {r['unfused_predicted_us']:.1f} us | {r['unfused_error']:+.1%} "
              f"| {r['measured_ratio']:.3f} | {r['predicted_ratio']:.3f} | {verdict} |")
    decided = [r for r in rows if r["decided"]]
    errors = [abs(r[k]) for r in rows for k in ("fused_error", "unfused_error")]
    summary = {"pairs": len(rows), "decided": len(decided), "verdicts_right": sum(r["verdict_right"] for r in decided),
               "kernels": len(errors), "within_15": sum(e <= 0.15 for e in errors),
               "mean_abs_error": sum(errors) / len(errors), "max_abs_error": max(errors)}
    print()
    print(f"{summary['verdicts_right']} of {summary['decided']} verdicts right where the sides differ by more than 3% "
          f"({summary['pairs']} pairs); {summary['within_15']} of {summary['kernels']} sides within 15%; "
          f"mean |error| {summary['mean_abs_error']:.1%}, max {summary['max_abs_error']:.1%}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"machine": args.machine, "summary": summary, "rows": rows}, out, indent=1)
            out.write("\n")


if __name__ == "__main__":
    main()
