import itertools
import json
import statistics
from pathlib import Path

import pytest

from kernelcast import kernel_tuner as kt

DATA = Path(__file__).parent / "data"
COMPLETE = DATA / "kt_matmul.json"      # a Kernel Tuner 1.x cache, closed
RUNNING = DATA / "kt_matmul_running.json"  # the same run while it was going: no closing brackets, trailing comma

PROBLEM = {"m": 4096, "n": 4096, "k": 4096, "batch": 1, "dtype": "fp16", "epilogue": "none"}
PARAM_MAP = {"block_size_m": "block_m", "block_size_n": "block_n", "block_size_k": "block_k",
             "warps": lambda p: p["threads"] // 32, "stages": 3, "group_m": 8, "split_k": 1, "matrix_units": True}
STATUSES = {"ok", "out_of_resources", "compile_error", "runtime_error", "wrong_result", "skipped"}


def test_read_a_closed_cache():
    cache = kt.read_cache(COMPLETE)
    assert cache["device_name"] == "NVIDIA H100 80GB HBM3" and cache["kernel_name"] == "matmul_kernel"
    assert cache["tune_params_keys"] == ["block_size_m", "block_size_n", "block_size_k", "threads"]
    assert len(cache["cache"]) == 8
    assert kt.error_of(cache["cache"]["256,256,64,256"]) == "CompilationFailedConfig"
    assert kt.error_of(cache["cache"]["256,256,32,128"]) == "InvalidConfig"  # the older layout
    assert kt.error_of(cache["cache"]["128,128,64,256"]) is None


def test_read_a_cache_kernel_tuner_is_still_writing():
    text = RUNNING.read_text()
    assert text.endswith(",") and not text.rstrip().endswith("}")
    with pytest.raises(ValueError):
        json.loads(text)
    running = kt.read_cache(RUNNING)
    complete = kt.read_cache(COMPLETE)
    assert list(running["cache"]) == list(complete["cache"])[:4]
    assert all(running["cache"][key] == complete["cache"][key] for key in running["cache"])
    assert RUNNING.read_text() == text  # left as it was


def test_a_record_cut_off_mid_line_is_left_out(tmp_path):
    text = RUNNING.read_text()
    cut = tmp_path / "cut.json"
    cut.write_text(text + '\n"256,128,32,128": {"block_size_m": 256, "block_size_n": 12')
    assert list(kt.read_cache(cut)["cache"]) == list(kt.read_cache(RUNNING)["cache"])
    header_only = tmp_path / "header.json"
    header_only.write_text(text[:text.index('"cache": {') + len('"cache": {')])
    assert kt.read_cache(header_only)["cache"] == {}
    (tmp_path / "bad.json").write_text("not json")
    with pytest.raises(ValueError):
        kt.read_cache(tmp_path / "bad.json")


def test_a_versioned_cache():
    cache = json.loads(COMPLETE.read_text())
    cache = {"schema_version": "1.0.0", **cache, "objective": "time"}
    loaded = kt.loads_cache(json.dumps(cache))
    doc = kt.to_measurements(loaded, "gemm", PROBLEM, "h100-sxm", PARAM_MAP)
    assert len(doc["spaces"][0]["results"]) == 8


def test_to_measurements():
    doc = kt.to_measurements(str(COMPLETE), "gemm", PROBLEM, "h100-sxm", PARAM_MAP)
    assert doc["version"] == 1 and doc["kind"] == "kernelcast-measurements" and doc["machine"] == "h100-sxm"
    assert doc["device"] == "NVIDIA H100 80GB HBM3" and "matmul_kernel" in doc["harness"] and doc["created"]
    (space,) = doc["spaces"]
    assert space["name"] == "matmul_kernel-4096x4096" and space["family"] == "gemm" and space["split"] == "tune"
    assert space["problem"] == PROBLEM
    results = space["results"]
    assert len(results) == 8 and {r["status"] for r in results} <= STATUSES
    first = results[0]
    assert first["schedule"] == {"block_m": 128, "block_n": 128, "block_k": 64, "warps": 8, "stages": 3,
                                 "group_m": 8, "split_k": 1, "matrix_units": True}
    times = [0.24064, 0.23245, 0.23142, 0.23040, 0.23347, 0.23142, 0.23245]
    assert first["status"] == "ok"
    assert first["median_s"] == pytest.approx(statistics.median(times) / 1e3) == pytest.approx(0.23245e-3)
    # quantiles interpolated linearly between the sorted samples (as numpy, torch and do_bench do)
    assert first["p20_s"] == pytest.approx(0.23142e-3) and first["p80_s"] == pytest.approx(0.233266e-3)
    assert results[2]["schedule"]["warps"] == 4 and results[2]["median_s"] == pytest.approx(0.52224e-3)
    by_key = dict(zip(kt.read_cache(COMPLETE)["cache"], results))
    failed = by_key["256,256,64,256"]
    assert failed["status"] == "out_of_resources" and "CompilationFailedConfig" in failed["reason"]
    assert "median_s" not in failed and failed["schedule"]["block_m"] == 256
    assert by_key["64,256,64,256"]["status"] == "out_of_resources"
    assert "RuntimeFailedConfig" in by_key["64,256,64,256"]["reason"]
    assert by_key["256,256,32,128"]["status"] == "out_of_resources"
    assert "InvalidConfig" in by_key["256,256,32,128"]["reason"]
    assert sum(r["status"] == "ok" for r in results) == 5
    json.dumps(doc, allow_nan=False)  # what the measurement format allows


def test_to_measurements_of_a_running_cache_and_options():
    doc = kt.to_measurements(kt.read_cache(RUNNING), "gemm", PROBLEM, "h100-sxm", PARAM_MAP, split="holdout",
                             name="matmul-4096")
    (space,) = doc["spaces"]
    assert (space["name"], space["split"], len(space["results"])) == ("matmul-4096", "holdout", 4)
    with pytest.raises(ValueError):
        kt.to_measurements(RUNNING, "gemm", PROBLEM, "h100-sxm", PARAM_MAP, split="test")
    with pytest.raises(ValueError):
        kt.to_measurements(RUNNING, "gemm", PROBLEM, "h100-sxm", {"block_size_m": 128})


def test_records_without_times_or_without_a_positive_time():
    assert kt.result_of({"time": 0.5}, {})["median_s"] == pytest.approx(0.5e-3)
    zero = kt.result_of({"time": 0.0, "times": [0.0, 0.0]}, {})
    assert zero["status"] == "runtime_error" and "no positive time" in zero["reason"]
    assert kt.result_of({"time": "ErrorConfig"}, {})["status"] == "runtime_error"


PREDICTIONS = [
    {"index": 0, "schedule": {"block_m": 128, "block_n": 256, "block_k": 64, "warps": 8, "stages": 3},
     "feasible": True, "time_s": 2.0e-4},
    {"index": 1, "schedule": {"block_m": 256, "block_n": 256, "block_k": 64, "warps": 8, "stages": 4},
     "feasible": False, "reason": "shared memory 262144 B > 232448 B per block"},
    {"index": 2, "schedule": {"block_m": 128, "block_n": 128, "block_k": 64, "warps": 8, "stages": 3},
     "feasible": True, "time_s": 2.3e-4},
    {"index": 3, "schedule": {"block_m": 64, "block_n": 64, "block_k": 32, "warps": 4, "stages": 3},
     "feasible": True, "time_s": 5.1e-4},
    {"index": 4, "schedule": {"block_m": 128, "block_n": 256, "block_k": 64, "warps": 8, "stages": 4},
     "feasible": True, "time_s": 1.9e-4},  # the same Kernel Tuner configuration as index 0: stages is not tuned
]
TUNE_PARAMS = {"block_size_m": [64, 128, 256], "block_size_n": [64, 128, 256], "block_size_k": [32, 64],
               "threads": [128, 256]}


def test_seed():
    s = kt.seed(PREDICTIONS, PARAM_MAP, top_k=2, tune_params=TUNE_PARAMS)
    assert s["configs"] == [{"block_size_m": 128, "block_size_n": 256, "block_size_k": 64},
                            {"block_size_m": 128, "block_size_n": 128, "block_size_k": 64}]
    assert s["predicted_s"] == [1.9e-4, 2.3e-4]
    assert s["restrictions"] == ["(block_size_m, block_size_n, block_size_k) in [(128, 256, 64), (128, 128, 64)]"]
    assert s["tune_params"] == {"block_size_m": [128], "block_size_n": [128, 256], "block_size_k": [64],
                                "threads": [128, 256]}
    assert list(s["tune_params"]) == list(TUNE_PARAMS)
    assert s["x0"] == [128, 256, 64, 128]
    # the restriction, evaluated as Kernel Tuner evaluates one (the parameters' values in place of their names),
    # admits exactly the seeded configurations
    admitted = set()
    for values in itertools.product(*TUNE_PARAMS.values()):
        params = dict(zip(TUNE_PARAMS, values))
        if eval(s["restrictions"][0], {}, params):
            admitted.add((params["block_size_m"], params["block_size_n"], params["block_size_k"]))
    assert admitted == {(128, 256, 64), (128, 128, 64)}


def test_seed_never_makes_a_cache_of_predictions():
    s = kt.seed({"predictions": PREDICTIONS}, PARAM_MAP, top_k=10)
    assert set(s) == {"configs", "predicted_s", "restrictions"}
    assert all(set(config) <= set(TUNE_PARAMS) for config in s["configs"])
    assert len(s["configs"]) == 3  # the infeasible one left out, the duplicate once
    assert kt.seed({"top": PREDICTIONS[:1]}, {"block_size_m": "block_m"}, top_k=1)["restrictions"] == \
        ["block_size_m in [128]"]
    with pytest.raises(ValueError):
        kt.seed([PREDICTIONS[1]], PARAM_MAP)
