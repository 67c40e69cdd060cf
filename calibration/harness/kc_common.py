"""Helpers shared by the KernelCast harness scripts (measure_spaces.py, tensor_rates.py, the probes)."""

import argparse
import datetime
import json
import os
import re
import subprocess

MACHINE = "h100-sxm"


def iso_now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


def _run(cmd, timeout=20):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout).stdout
    except Exception:  # noqa: BLE001 - nvidia-smi may be missing
        return ""


def device_and_driver():
    """Returns (device name, driver/runtime description)."""
    import torch
    import triton
    name = torch.cuda.get_device_name(0)
    drv = _run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"]).strip().splitlines()
    drv = drv[0].strip() if drv else "unknown"
    m = re.search(r"CUDA Version:\s*([0-9.]+)", _run(["nvidia-smi"]))
    cuda_drv = m.group(1) if m else "unknown"
    driver = (f"NVIDIA driver {drv} (CUDA {cuda_drv}); CUDA runtime {torch.version.cuda}; "
              f"torch {torch.__version__}; triton {triton.__version__}")
    return name, driver


def set_fp32_matmul(tf32):
    """Selects TF32 (True) or IEEE fp32 (False) for cuBLAS fp32 matmuls.

    Uses the fp32_precision API where torch has it (mixing it with the legacy
    allow_tf32 flag makes torch raise), the legacy flag otherwise. Returns a
    short description of what was set."""
    import torch
    m = torch.backends.cuda.matmul
    if hasattr(m, "fp32_precision"):
        m.fp32_precision = "tf32" if tf32 else "ieee"
        return f"torch.backends.cuda.matmul.fp32_precision={m.fp32_precision!r}"
    m.allow_tf32 = bool(tf32)
    return f"torch.backends.cuda.matmul.allow_tf32={bool(tf32)}"


def write_json_atomic(path, doc):
    """Writes doc to path via a temporary file, so a killed run leaves the last complete file."""
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1, allow_nan=False)
        f.write("\n")
    os.replace(tmp, path)


def microseconds_per_launch(launch, repeats, samples=5):
    """Median over `samples` timings of `repeats` launches back to back between two CUDA events, per launch (us).
    Warm the kernel up first: the first launch compiles or loads it."""
    import statistics

    import torch

    times = []
    for _ in range(samples):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(repeats):
            launch()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) * 1e3 / repeats)
    return statistics.median(times)


def check_machine_matches(machine, device):
    """Refuses an import for a machine whose model (h100, h200, ...) the measured device's name lacks: a device
    lent as one kind can be another card, and its figures must not land in the wrong machine file."""
    model = machine.split("-")[0].lower()
    if model not in device.lower().replace(" ", ""):
        raise SystemExit(f"error: --machine {machine}, but the figures were measured on {device!r}")


def probe_main(description, measure, calibration_import):
    """The command line of a probe: measure into --out (or read an earlier --out with --from), then with
    --import-out and --machine write `calibration_import(doc, machine)`, refused for another card than the one
    measured."""
    ap = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out")
    ap.add_argument("--from", dest="source", help="an earlier --out to convert instead of measuring")
    ap.add_argument("--import-out")
    ap.add_argument("--machine", help="machine name for --import-out")
    args = ap.parse_args()
    if args.import_out and not args.machine:
        ap.error("--import-out needs --machine")
    if args.source:
        with open(args.source) as f:
            doc = json.load(f)
    else:
        if not args.out:
            ap.error("--out or --from is required")
        doc = measure(args.out)
    if args.import_out:
        check_machine_matches(args.machine, doc["device"])
        with open(args.import_out, "w") as f:
            json.dump(calibration_import(doc, args.machine), f, indent=1)
