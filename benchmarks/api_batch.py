#!/usr/bin/env python3
"""How long `kernelcast serve` takes to answer one predict request of 10,000 GEMM candidates.

Starts the server from BIN (default .build-release/release/kernelcast, else .build/debug/kernelcast), sends each
request REPEATS times over one kept-alive connection after WARMUP untimed ones, and prints the median, p10 and p90
wall time per request from sending the (already serialised) body to the last byte of the answer received, and
the same with the client's json.loads of the answer added.

  python3 benchmarks/api_batch.py [--bin PATH] [--repeats 30] [--candidates 10000]

Two forms are timed: a batch (an explicit list of schedules, answered in input order) and a space (a cross product
of the same size, ranked, top 10). docs/performance.md records the figures.
"""

import argparse
import http.client
import itertools
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def schedules(count):
    axes = itertools.product([16, 32, 64, 128, 256], [16, 32, 64, 128, 256], [16, 32, 64, 128], [1, 2, 4, 8],
                             [1, 2, 3, 4, 5], [1, 4, 8, 16], [1, 2])
    out = []
    for bm, bn, bk, w, s, g, sk in axes:
        out.append({"block_m": bm, "block_n": bn, "block_k": bk, "warps": w, "stages": s, "group_m": g, "split_k": sk})
        if len(out) == count:
            return out
    raise SystemExit(f"only {len(out)} schedules in the axes")


def timed(conn, body, repeats, warmup):
    payload = json.dumps(body).encode()
    received, parsed = [], []
    for i in range(warmup + repeats):
        start = time.perf_counter()
        conn.request("POST", "/v1/predict", payload, {"Content-Type": "application/json"})
        response = conn.getresponse()
        raw = response.read()
        answered = time.perf_counter()
        answer = json.loads(raw)
        done = time.perf_counter()
        if response.status != 200:
            raise SystemExit(f"HTTP {response.status}: {answer}")
        if i >= warmup:
            received.append(answered - start)
            parsed.append(done - start)
    return received, parsed, answer, len(payload), len(raw)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default = os.path.join(ROOT, ".build-release/release/kernelcast")
    ap.add_argument("--bin", default=default if os.path.exists(default) else os.path.join(ROOT, ".build/debug/kernelcast"))
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--candidates", type=int, default=10000)
    args = ap.parse_args()

    server = subprocess.Popen([args.bin, "serve", "--port", "0", "--store", "/tmp/kernelcast-bench.sqlite"], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().split(" on ")[1].strip()
        host, port = url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        problem = {"m": 4096, "n": 4096, "k": 4096, "dtype": "fp16"}
        batch = {"machine": "h200-sxm", "family": "gemm", "problem": problem, "schedules": schedules(args.candidates)}
        # 10,000 = 5 x 5 x 4 x 4 x 5 x 5: the same count as a space.
        space = {"machine": "h200-sxm", "top": 10, "space": {
            "version": 1, "name": "bench", "family": "gemm", "problem": problem,
            "schedule": {"block_m": [16, 32, 64, 128, 256], "block_n": [16, 32, 64, 128, 256], "block_k": [16, 32, 64, 128],
                         "warps": [1, 2, 4, 8], "stages": [1, 2, 3, 4, 5], "group_m": [1, 2, 4, 8, 16]}}}
        print(f"kernelcast serve ({args.bin}), {args.candidates} GEMM candidates on h200-sxm, "
              f"{args.repeats} requests after {args.warmup} warm-up, one connection")
        for name, body in (("batch (list of schedules)", batch), ("space (cross product, top 10)", space)):
            received, parsed, answer, size, answer_size = timed(conn, body, args.repeats, args.warmup)
            count = answer.get("candidates")

            def figures(times):
                q = statistics.quantiles(times, n=10)
                return f"median {statistics.median(times) * 1e3:.1f} ms (p10 {q[0] * 1e3:.1f}, p90 {q[-1] * 1e3:.1f})"
            print(f"  {name}: {count} candidates, request {size / 1e6:.2f} MB, answer {answer_size / 1e6:.2f} MB")
            print(f"    answered: {figures(received)}; with the client's json.loads: {figures(parsed)}")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
