#!/usr/bin/env python3
"""Turn fusion_h200.py's op-chain measurements (op_costs.json, role fit) into a kernelcast-calibration-import file.

Each named op becomes `element_ops.OP` in issue slots per element (fp32 lane-instruction equivalents): the op's
chain cost minus the fma baseline, from the slope between R=128 and R=512 repetitions (launch and memory traffic
cancel). Branchy libdevice functions settle on one branch in a dependent chain; real activations span both, so
tanh and gelu_tanh take their `*_mixed` forms (half of every warp on each branch). Usage:

    python3 calibration/harness/op_costs_import.py IN.json OUT.json
"""
import json
import sys

# The op names kernelcast knows, each with the measured form that stands for it.
FORMS = {
    "add": "add", "mul": "mul", "scale": "scale", "bias": "bias", "residual": "residual", "relu": "relu",
    "gelu_tanh": "gelu_tanh_mixed", "gelu_erf": "gelu_erf", "silu": "silu", "sigmoid": "sigmoid",
    "tanh": "tanh_mixed", "exp": "exp", "log": "log", "rsqrt": "rsqrt", "div": "div", "square": "square",
    "cast": "cast", "dropout": "dropout",
}


def main(source, target):
    data = json.load(open(source))
    if data.get("role") != "fit":
        sys.exit(f"{source}: role is {data.get('role')!r}; only fit data may set op costs")
    items = {item["op"]: item for item in data["items"]}
    baseline = items["fma"]
    measurements = []
    skipped = []
    for op, form in FORMS.items():
        item = items.get(form)
        if item is None:
            skipped.append({"field": f"element_ops.{op}", "reason": f"no {form} chain in {source}"})
            continue
        slope = item["slots_per_element_slope"] - baseline["slots_per_element_slope"]
        measurements.append({
            "field": f"element_ops.{op}",
            "value": round(slope, 3),
            "unit": "slot/element",
            "samples": [round(item["issue_slots_per_element"] - baseline["issue_slots_per_element"], 3), round(slope, 3)],
            "method": f"Triton chain x = {form}(x); x = x*a + b over 2^24 fp32 elements, R = 0/128/512 repetitions, "
                      f"CUDA events, L2 flushed, median; (t(512) - t(128)) x 132 SMs x 1980 MHz x 128 lanes / "
                      f"(N x 384) minus the fma chain's; form: {data['op_forms'].get(form, form)}",
        })
    out = {
        "version": 1, "kind": "kernelcast-calibration-import", "machine": data["machine"],
        "device": data["device"], "driver": data["driver"], "tool": "calibration/harness/fusion_h200.py ops",
        "created": data["date"], "measurements": measurements, "skipped": skipped,
    }
    with open(target, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
