#!/usr/bin/env python3
"""How long is one key/value tile of flash attention when its block runs alone on an SM? (KernelCast, issue 13)

A causal kernel's time is set by its longest block, which finishes its last tiles with no other block beside it: the
tile's dependent chain (scores product, softmax, output product) is then exposed, not hidden by other warps. This
times the harness's own flash kernel (kc_kernels.flash_fwd_kernel, non-causal) with one batch and one head, so every
block has an SM to itself (at most 128 blocks), at two sequence lengths; the difference over the difference in tiles
is one tile's time alone, free of the launch, the Q load and the output store. Tune data: run it on the machine the
model is fitted on (the H100), never to fit anything on a held-out one.

    python3 probe_flash_chain.py --out flash-chain.json
"""
import argparse
import json

from kc_common import microseconds_per_launch, write_json_atomic

BLOCKS_Q = [64, 128]
BLOCKS_KV = [32, 64, 128]
WARPS = [4, 8]
STAGES = [2, 3]
HEAD_DIMS = [64, 128]
REPEATS = 20


def measure(out):
    import torch
    from kc_kernels import flash_launch

    doc = {"device": torch.cuda.get_device_name(0), "harness": "calibration/harness/probe_flash_chain.py",
           "role": "tune", "sms": torch.cuda.get_device_properties(0).multi_processor_count,
           "method": f"kc_kernels.flash_fwd_kernel, batch 1, head 1, non-causal; median of 5 timings of {REPEATS} "
                     "launches back to back between CUDA events, per launch; per tile = difference of the two "
                     "sequence lengths' times over the difference of their tiles per block", "items": []}
    for d in HEAD_DIMS:
        for bq in BLOCKS_Q:
            lengths = [64 * bq, 128 * bq] if bq == 64 else [32 * bq, 64 * bq]
            for bkv in BLOCKS_KV:
                for warps in WARPS:
                    for stages in STAGES:
                        times = []
                        try:
                            for s in lengths:
                                q = torch.randn(1, 1, s, d, device="cuda", dtype=torch.float16)
                                k, v, o = torch.randn_like(q), torch.randn_like(q), torch.empty_like(q)
                                launch = flash_launch(q, k, v, o, False, bq, bkv, warps, stages)
                                for _ in range(3):
                                    launch()
                                torch.cuda.synchronize()
                                times.append(microseconds_per_launch(launch, REPEATS))
                        except Exception as error:  # out of resources: recorded, not fatal
                            item = {"head_dim": d, "block_q": bq, "block_kv": bkv, "warps": warps, "stages": stages,
                                    "status": "failed", "error": str(error).splitlines()[0][:200]}
                            doc["items"].append(item)
                            print(json.dumps(item), flush=True)
                            continue
                        tiles = [s // bkv for s in lengths]
                        item = {"head_dim": d, "block_q": bq, "block_kv": bkv, "warps": warps, "stages": stages,
                                "status": "ok", "seq_lens": lengths, "blocks": [s // bq for s in lengths],
                                "tiles_per_block": tiles, "us": times,
                                "ns_per_tile": (times[1] - times[0]) * 1e3 / (tiles[1] - tiles[0])}
                        doc["items"].append(item)
                        print(json.dumps(item), flush=True)
    write_json_atomic(out, doc)
    return doc


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    measure(parser.parse_args().out)
