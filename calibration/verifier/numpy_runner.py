#!/usr/bin/env python3
"""A reference external runner for `kernelcast verify --runner-command`, written from docs/verifier.md alone.

It speaks the external-runner protocol: one JSON request on standard input, one JSON answer on standard output.
Its "device" is NumPy on the host (float32), so it runs anywhere and shows what a Triton or CUDA harness must do:
rebuild the inputs from the seeds, poison the outputs, run each check four times with the guard fills the plan
gives, report outputs, digests and timings. It never judges; the verifier does.

    kernelcast verify plans/examples/softmax-fp16.yaml --machine h100-sxm \
        --runner-command "python3 calibration/verifier/numpy_runner.py"

`--cheat skip-last-row` makes it leave the last row of every 2-D output unwritten (to see a rejection).
`--busy-host always` makes the host wait 6 ms longer than each timed repetition ran, as on a host busy with other
work; `--busy-host FILE` does so only in the run that finds FILE missing (it creates it), so the next runs are calm.
"""
import base64
import json
import os
import sys
import time

import numpy as np

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
GUARD_FILLS = ["pattern", "pattern", "zero", "pattern"]


def inputs_for(seed, index, count):
    """SplitMix64, as docs/verifier.md gives it: buffer `index` of a check seeded `seed`."""
    state = (seed ^ ((GOLDEN * (index + 1)) & MASK)) & MASK
    out = np.empty(count, dtype=np.float32)
    for i in range(count):
        state = (state + GOLDEN) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        z ^= z >> 31
        out[i] = (z >> 40) * 2.0 ** -23 - 1.0
    return out


def fnv1a(array):
    """FNV-1a 64 over the little-endian float32 bytes, 16 hex digits."""
    h = 0xCBF29CE484222325
    for byte in np.asarray(array, dtype="<f4").tobytes():
        h = ((h ^ byte) * 0x100000001B3) & MASK
    return "%016x" % h


def encode(array):
    return base64.b64encode(np.asarray(array, dtype="<f4").tobytes()).decode()


def buffers(problem):
    """The family's buffers, inputs first, as docs/candidate-format.md lists them: (name, role, count)."""
    f = problem["family"]
    if f == "gemm":
        b, m, n, k = problem.get("batch", 1), problem["m"], problem["n"], problem["k"]
        out = [("A", "input", b * m * k), ("B", "input", b * k * n)]
        epilogue = problem.get("epilogue", "none")
        if epilogue in ("bias", "bias_relu", "bias_gelu"):
            out.append(("bias", "input", n))
        if epilogue == "residual":
            out.append(("R", "input", b * m * n))
        return out + [("C", "output", b * m * n)]
    if f == "elementwise":
        extra = sum(1 for op in problem["ops"] if op in ("add", "mul"))
        return [("X", "input", problem["n"])] + [("Y%d" % (i + 1), "input", problem["n"]) for i in range(extra)] + [("Z", "output", problem["n"])]
    if f in ("softmax", "layernorm", "rmsnorm", "sum"):
        m, n = problem["m"], problem["n"]
        out = [("X", "input", m * n)]
        if f in ("layernorm", "rmsnorm"):
            out.append(("gamma", "input", n))
        if f == "layernorm":
            out.append(("beta", "input", n))
        return out + [("Y", "output", m if f == "sum" else m * n)]
    if f == "transpose":
        return [("X", "input", problem["m"] * problem["n"]), ("Y", "output", problem["m"] * problem["n"])]
    if f == "copy":
        return [("X", "input", problem["n"]), ("Y", "output", problem["n"])]
    raise SystemExit("unsupported family " + f)


def gelu(v):
    return np.float32(0.5) * v * (np.float32(1) + np.tanh(np.float32(0.7978845608) * (v + np.float32(0.044715) * v * v * v)))


OPS = {
    "add": lambda v, y: v + y, "mul": lambda v, y: v * y, "relu": lambda v, y: np.maximum(v, np.float32(0)),
    "gelu": lambda v, y: gelu(v), "silu": lambda v, y: v / (np.float32(1) + np.exp(-v)),
    "sigmoid": lambda v, y: np.float32(1) / (np.float32(1) + np.exp(-v)), "tanh": lambda v, y: np.tanh(v),
    "exp": lambda v, y: np.exp(v), "square": lambda v, y: v * v,
}


def compute(problem, ins):
    """The honest 'kernel': the problem in float32 with NumPy."""
    f = problem["family"]
    if f == "gemm":
        b, m, n, k = problem.get("batch", 1), problem["m"], problem["n"], problem["k"]
        c = np.matmul(ins["A"].reshape(b, m, k), ins["B"].reshape(b, k, n))
        e = problem.get("epilogue", "none")
        if e in ("bias", "bias_relu", "bias_gelu"):
            c = c + ins["bias"]
        if e == "bias_relu":
            c = np.maximum(c, np.float32(0))
        if e == "bias_gelu":
            c = gelu(c)
        if e == "residual":
            c = c + ins["R"].reshape(b, m, n)
        return c.reshape(-1)
    if f == "elementwise":
        v, extra = ins["X"].copy(), 1
        for op in problem["ops"]:
            y = ins.get("Y%d" % extra) if op in ("add", "mul") else None
            extra += 1 if op in ("add", "mul") else 0
            v = OPS[op](v, y).astype(np.float32)
        return v
    if f in ("softmax", "layernorm", "rmsnorm", "sum"):
        x = ins["X"].reshape(problem["m"], problem["n"])
        if f == "softmax":
            e = np.exp(x - x.max(axis=1, keepdims=True))
            return (e / e.sum(axis=1, keepdims=True)).reshape(-1)
        if f == "layernorm":
            mean = x.mean(axis=1, keepdims=True)
            var = ((x - mean) ** 2).mean(axis=1, keepdims=True)
            return ((x - mean) / np.sqrt(var + np.float32(1e-5)) * ins["gamma"] + ins["beta"]).reshape(-1)
        if f == "rmsnorm":
            return (x / np.sqrt((x * x).mean(axis=1, keepdims=True) + np.float32(1e-5)) * ins["gamma"]).reshape(-1)
        return x.sum(axis=1)
    if f == "transpose":
        return ins["X"].reshape(problem["m"], problem["n"]).T.reshape(-1)
    return ins["X"].copy()


def run_once(problem, ins, poison, cheat):
    """Poisons the output, 'launches', returns the output buffer and the seconds it took."""
    name, _, count = [b for b in buffers(problem) if b[1] == "output"][0]
    out = np.full(count, poison, dtype=np.float32)
    start = time.perf_counter()
    out[:] = compute(problem, ins)
    elapsed = time.perf_counter() - start
    if cheat == "skip-last-row" and problem["family"] in ("gemm", "softmax", "layernorm", "rmsnorm", "transpose"):
        width = problem["n"] if problem["family"] != "transpose" else problem["m"]
        out[-width:] = poison
    return name, out, elapsed


def main():
    cheat = sys.argv[sys.argv.index("--cheat") + 1] if "--cheat" in sys.argv else None
    busy = sys.argv[sys.argv.index("--busy-host") + 1] if "--busy-host" in sys.argv else None
    request = json.load(sys.stdin)
    device = {"id": "numpy:0", "name": "NumPy %s on the host" % np.__version__, "vendor": "NumPy",
              "driver": np.__version__, "platform": "Python %s" % sys.version.split()[0], "timerResolution": 1e-7}
    if request["kind"] == "describe":
        json.dump(device, sys.stdout)
        return
    plan = request["plan"]
    poison = np.frombuffer(np.uint32(plan["poison"]).tobytes(), dtype=np.float32)[0]
    checks = []
    for check in plan["checks"]:
        problem = check["problem"]
        specs = [b for b in buffers(problem) if b[1] == "input"]
        ins = {name: inputs_for(check["seed"], i, count) for i, (name, _, count) in enumerate(specs)}
        digests, first = [], None
        for fill in GUARD_FILLS:  # this harness reads nothing past its inputs, so the guard fill changes nothing
            name, out, _ = run_once(problem, ins, poison, cheat)
            digests.append({name: fnv1a(out)})
            if first is None:
                first = {name: encode(out)}
        checks.append({"seed": check["seed"], "problem": problem, "outputs": first, "outputDigests": digests,
                       "inputDigests": {n: fnv1a(v) for n, v in ins.items()}, "damagedGuards": []})
    observations = {"device": device, "checks": checks}
    timing = plan.get("timing")
    if timing:
        if busy not in (None, "always"):
            busy = None if os.path.exists(busy) else open(busy, "w").close() or "always"
        problem = timing["problem"]
        specs = [b for b in buffers(problem) if b[1] == "input"]
        device_times, host_times, out, name = [], [], None, None
        for r, seed in enumerate(timing["seeds"]):
            ins = {n: inputs_for(seed, i, c) for i, (n, _, c) in enumerate(specs)}
            host_start = time.perf_counter()
            name, out, elapsed = run_once(problem, ins, poison, cheat)
            if busy:
                time.sleep(0.006)
            host = time.perf_counter() - host_start
            if r >= timing["warmup"]:
                device_times.append(elapsed)
                host_times.append(host)
        observations["timing"] = {"device": device_times, "host": host_times, "warmup": timing["warmup"],
                                  "flushBytes": 0, "outputs": {name: encode(out)}}
    json.dump(observations, sys.stdout)


if __name__ == "__main__":
    main()
