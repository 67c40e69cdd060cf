#!/usr/bin/env python3
"""How fast does the GPU hand out thread blocks? (KernelCast microbenchmark, issue 13)

A grid of many small blocks (a row kernel over short rows, an elementwise kernel with small blocks) can be bound by
the block scheduler rather than by memory. This launches Triton kernels that do (almost) nothing over grids of
1 to 4096 blocks per SM, 1, 4 and 8 warps a block, and times launches back to back with CUDA events. The slope of
time against blocks per SM is the per-block dispatch cost of one SM; the intercept is the launch gap. A
microbenchmark: no candidate kernel is timed. Writes --out (JSON) and, with --import-out and --machine, a
kernelcast-calibration-import file setting compute.block_dispatch_interval (the mean of the three slopes); --from
reads an earlier --out instead of measuring. The import is refused when --machine names another card than the one
measured.

    python3 probe_dispatch.py --out dispatch.json [--import-out import.json --machine h200-sxm]
    python3 probe_dispatch.py --from dispatch.json --import-out import.json --machine h100-sxm
"""
import json
import statistics

from kc_common import microseconds_per_launch, probe_main

BLOCKS_PER_SM = [1, 4, 16, 64, 256, 1024, 4096]
WARPS = [1, 4, 8]
LAUNCHES = 50


def calibration_import(doc, machine):
    """The mean dispatch slope as a kernelcast-calibration-import document (docs/measurement-format.md)."""
    slopes = [f["ns_per_block_per_sm"] for f in doc["fit"]]
    entry = {"field": "compute.block_dispatch_interval", "value": statistics.mean(slopes) * 1e-9, "unit": "s",
             "samples": [s * 1e-9 for s in slopes],
             "method": "slope of launch time against blocks per SM (64 to 4096) of a Triton kernel storing one "
                       "float per block, mean over 1, 4 and 8 warps a block"}
    return {"version": 1, "kind": "kernelcast-calibration-import", "machine": machine, "device": doc["device"],
            "tool": doc["harness"], "measurements": [entry]}

def measure(out):
    import torch
    import triton
    import triton.language as tl

    @triton.jit
    def store_one(x_ptr):
        tl.store(x_ptr + tl.program_id(0), 1.0)

    sms = torch.cuda.get_device_properties(0).multi_processor_count
    doc = {"device": torch.cuda.get_device_name(0), "sms": sms, "harness": "calibration/harness/probe_dispatch.py",
           "role": "calibration",
           "method": f"Triton kernel storing one float per block; {LAUNCHES} launches back to back between two CUDA "
                     "events after 10 warm-up launches; median of 5 such timings, per launch", "items": []}
    x = torch.empty(max(BLOCKS_PER_SM) * sms, device="cuda", dtype=torch.float32)
    for warps in WARPS:
        for per_sm in BLOCKS_PER_SM:
            grid = (per_sm * sms,)
            for _ in range(10):
                store_one[grid](x, num_warps=warps)
            torch.cuda.synchronize()
            us = microseconds_per_launch(lambda: store_one[grid](x, num_warps=warps), LAUNCHES)
            item = {"warps": warps, "blocks_per_sm": per_sm, "blocks": grid[0], "us_per_launch": us}
            doc["items"].append(item)
            print(json.dumps(item), flush=True)
    for warps in WARPS:
        pts = [(i["blocks_per_sm"], i["us_per_launch"]) for i in doc["items"] if i["warps"] == warps]
        big = [p for p in pts if p[0] >= 64]
        slope = (big[-1][1] - big[0][1]) / (big[-1][0] - big[0][0])
        doc.setdefault("fit", []).append({"warps": warps, "ns_per_block_per_sm": slope * 1e3,
                                          "from_blocks_per_sm": [big[0][0], big[-1][0]]})
    with open(out, "w") as f:
        json.dump(doc, f, indent=1)
    print(json.dumps(doc["fit"]))
    return doc

if __name__ == "__main__":
    probe_main(__doc__, measure, calibration_import)
