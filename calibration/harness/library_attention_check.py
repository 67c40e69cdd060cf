#!/usr/bin/env python3
"""Each attention item of a library_kernels.json against the model (KernelCast check, runs here, no GPU).

A kernel whose name spells its tile is predicted as it launched, as `kernelcast fusion` imports it from a trace
(docs/fusion.md): cuDNN's `..._64x128x128_...` persistent when it launched fewer blocks than query tiles with 8 warps
or more, FlashAttention-2's `Flash_fwd_kernel_traits<128, 128, 64, 4, ...>` on mma.sync; stages from its shared
memory. Any other kernel gets the default flash space's best. Prints measured (CUPTI) against predicted (without the launch) per item and the mean |error| per library.

    python3 calibration/harness/library_attention_check.py --machine M --kernels FILE [--kernelcast .build/debug/kernelcast]
"""
import argparse
import json
import os
import re
import subprocess
import tempfile


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--machine", required=True)
    ap.add_argument("--kernels", required=True)
    ap.add_argument("--kernelcast", default=".build/debug/kernelcast")
    args = ap.parse_args()
    errors = {}
    for item in json.load(open(args.kernels))["items"]:
        p = item.get("problem", {})
        if p.get("family") != "attention" or not item.get("kernels"):
            continue
        k = max(item["kernels"], key=lambda k: k["cupti_median_us"] or 0)
        warps = k["block"][0] * k["block"][1] * k["block"][2] // 32
        grid = k["grid"][0] * k["grid"][1] * k["grid"][2]
        tile = re.search(r"_(\d+)x(\d+)x(\d+)_", k["name"])
        traits = re.search(r"Flash_fwd_kernel_traits<(\d+), (\d+), (\d+), (\d+),", k["name"])
        d = p["head_dim"]
        if traits and int(traits.group(1)) == d:
            _, bq, bkv, warps = map(int, traits.groups())
            library, rows, flag = "FA2 as launched", bq, "mma_sync: true"
        elif tile and int(tile.group(3)) == d:
            bq, bkv = int(tile.group(1)), int(tile.group(2))
            persistent = grid < -(-p["seq_len"] // bq) * p["batch"] * p["heads"] and warps >= 8
            rows = max(bq, 64 * ((warps - 4) // 4)) if persistent else bq
            library, flag = "cuDNN as launched", f"persistent: {str(persistent).lower()}"
        else:
            library = "default flash space"
        if library == "default flash space":
            schedule = "{variant: flash, block_q: [64, 128], block_kv: [32, 64, 128], warps: [4, 8], stages: [2, 3]}"
            compiler = "cuda"
        else:
            stages = max(2, (k["shared_memory"] - rows * d * 2) // (2 * bkv * d * 2))
            schedule = f"{{variant: flash, block_q: {bq}, block_kv: {bkv}, warps: {warps}, stages: {stages}, {flag}}}"
            compiler = (f"{{toolchain: cuda, registers_per_thread: {k['registers_per_thread']}, "
                        f"shared_bytes: {k['shared_memory']}}}")
        text = (f"version: 1\nname: a\nfamily: attention\ncompiler: {compiler}\n"
                f"problem: {{batch: {p['batch']}, heads: {p['heads']}, seq_len: {p['seq_len']}, head_dim: {p['head_dim']}, "
                f"causal: {str(p['causal']).lower()}, dtype: fp16}}\nschedule: {schedule}\n")
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write(text)
        try:
            out = subprocess.run([args.kernelcast, "predict", f.name, "--machine", args.machine, "--no-refinement",
                                  "--format", "json", "--top", "1"], capture_output=True, text=True, check=True).stdout
        finally:
            os.remove(f.name)
        best = json.loads(out)["top"][0]
        predicted = best["time_s"] - best["resources_s"]["launch"]
        measured = k["cupti_median_us"] * 1e-6
        error = predicted / measured - 1
        errors.setdefault(library, []).append(abs(error))
        print(f"{item['label'][:42]:42} {library:19} measured {measured * 1e6:7.1f} us  predicted {predicted * 1e6:7.1f} us  {error:+.1%}")
    for library, e in errors.items():
        print(f"{library}: {len(e)} items, mean |error| {sum(e) / len(e):.1%}, max {max(e):.1%}")


if __name__ == "__main__":
    main()
