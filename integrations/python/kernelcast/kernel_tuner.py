"""Kernel Tuner and KernelCast: measured caches in, predicted seeds out.

Kernel Tuner's cache file (``tune_kernel(..., cache="file.json")``; written by ``kernel_tuner/util.py``,
``process_cache`` and ``store_cache``) is one JSON object::

    {"device_name": "NVIDIA H100 80GB HBM3", "kernel_name": "matmul", "problem_size": [4096, 4096],
     "tune_params_keys": ["block_size_x", ...], "tune_params": {"block_size_x": [16, 32], ...},
     "objective": "time",                    # a list (["time"]) in recent versions
     "cache": {
       "16,1": {"block_size_x": 16, ..., "time": 3.87, "times": [3.97, 3.87, ...], "compile_time": 918.6,
                "verification_time": 0, "benchmark_time": 126.4, "timestamp": "2023-12-22 09:54:05+00:00"},
       "32,4": {"block_size_x": 32, ..., "__error__": "CompilationFailedConfig", "compile_time": 10.1, ...}}}

Keys of ``cache`` are the parameter values joined by commas in ``tune_params_keys`` order; ``time`` is the mean
of ``times`` (milliseconds per iteration). A configuration that could not be measured holds the name of Kernel
Tuner's error class, under ``__error__`` (current versions) or in place of the objective (``"time":
"InvalidConfig"``, older ones). The versioned layout (``ktcache``, not yet in a release) adds ``"schema_version":
"1.0.0"``. While Kernel Tuner runs, the file ends after the last record with a comma and without the closing
``}\\n}``: :func:`read_cache` closes it as Kernel Tuner's own reader does.
"""

from __future__ import annotations

import json
import os
import statistics
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

PathLike = Union[str, "os.PathLike[str]"]

# Kernel Tuner's error classes (kernel_tuner/util.py) and what each means for KernelCast
# (docs/measurement-format.md statuses). Kernel Tuner skips a configuration, rather than failing the run, only
# for resource limits: ``CompilationFailedConfig`` when the compiler reports too much shared or local memory,
# ``RuntimeFailedConfig`` when the launch is refused for resources, ``InvalidConfig`` when the block has more
# threads than the device allows. Any other failure stops Kernel Tuner, so the generic ``ErrorConfig`` is the
# one status without a known resource cause.
ERRORS: Dict[str, Tuple[str, str]] = {
    "CompilationFailedConfig": ("out_of_resources", "Kernel Tuner CompilationFailedConfig: "
                                "the compiler reported too much shared or local memory"),
    "RuntimeFailedConfig": ("out_of_resources",
                            "Kernel Tuner RuntimeFailedConfig: the launch was refused, too many resources requested"),
    "InvalidConfig": ("out_of_resources",
                      "Kernel Tuner InvalidConfig: more threads per block than the device allows"),
    "ErrorConfig": ("runtime_error", "Kernel Tuner ErrorConfig: the configuration failed"),
}


def read_cache(path: PathLike) -> Dict[str, Any]:
    """A Kernel Tuner cache file as a dict, also while Kernel Tuner is still writing it (no closing ``}\\n}``,
    a trailing comma, or a last record cut off mid-line, which is left out). The file is not modified."""
    with open(path, "r", encoding="utf-8") as handle:
        return loads_cache(handle.read(), source=str(path))


def loads_cache(text: str, source: str = "<cache>") -> Dict[str, Any]:
    """:func:`read_cache` for text."""
    data = _load_closed(text)
    if data is None:
        raise ValueError(f"{source}: not a Kernel Tuner cache (not JSON, even closed as an unfinished cache)")
    if not isinstance(data, dict) or not isinstance(data.get("cache"), dict):
        raise ValueError(f"{source}: not a Kernel Tuner cache (no \"cache\" object)")
    return data


def _load_closed(text: str) -> Optional[Any]:
    stripped = text.strip()
    try:
        return json.loads(stripped)
    except ValueError:
        pass
    whole = stripped
    cut = stripped.rsplit("\n", 1)[0] if "\n" in stripped else stripped  # a record written only in part
    for base in (whole, cut):
        base = base.rstrip().rstrip(",")
        for suffix in ("}\n}", "}"):
            try:
                return json.loads(base + suffix)
            except ValueError:
                continue
    return None


def error_of(record: Mapping[str, Any]) -> Optional[str]:
    """The Kernel Tuner error class named by a cache record, or None for a measured one."""
    if record.get("__error__") is not None:
        return str(record["__error__"])
    for value in record.values():
        if isinstance(value, str) and value in ERRORS:
            return value
    return None


def _tune_keys(cache: Mapping[str, Any]) -> List[str]:
    keys = cache.get("tune_params_keys")
    if keys:
        return list(keys)
    return list((cache.get("tune_params") or {}).keys())


def schedule_of(params: Mapping[str, Any], param_map: Mapping[str, Any], tune_keys: Iterable[str]) -> Dict[str, Any]:
    """The KernelCast schedule of one Kernel Tuner configuration.

    ``param_map``: a Kernel Tuner parameter name -> the KernelCast schedule key it gives (``{"block_size_x":
    "block_n"}``); any other key is a KernelCast schedule key with a constant (``"stages": 3``) or a callable of
    the configuration's parameters (``"warps": lambda p: p["block_size_x"] * p["block_size_y"] // 32``)."""
    tune_keys = set(tune_keys)
    schedule: Dict[str, Any] = {}
    for key, target in param_map.items():
        if key in tune_keys:
            if not isinstance(target, str):
                raise ValueError(f"param_map[{key!r}]: a Kernel Tuner parameter maps to a KernelCast key name, "
                                 f"not {target!r}")
            schedule[target] = params[key]
        elif callable(target):
            schedule[key] = target(dict(params))
        else:
            schedule[key] = target
    return schedule


def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _number(value: Any) -> Optional[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def result_of(record: Mapping[str, Any], schedule: Dict[str, Any]) -> Dict[str, Any]:
    """One KernelCast result from one Kernel Tuner record: ``ok`` with ``median_s`` (the median of ``times``,
    or ``time`` without them; ms -> s) and ``p20_s``/``p80_s`` (from ``times``), or the error's status."""
    error = error_of(record)
    if error is not None:
        status, reason = ERRORS.get(error, ERRORS["ErrorConfig"])
        return {"schedule": schedule, "status": status, "reason": reason if error in ERRORS else f"{reason} ({error})"}
    times = [t for t in (_number(v) for v in record.get("times") or []) if t is not None]
    if times and all(t > 0 for t in times):
        result = {"schedule": schedule, "status": "ok", "median_s": statistics.median(times) / 1e3}
        if len(times) > 1:
            result["p20_s"] = _quantile(times, 0.2) / 1e3
            result["p80_s"] = _quantile(times, 0.8) / 1e3
        return result
    time_ms = _number(record.get("time"))
    if time_ms is not None and time_ms > 0:
        return {"schedule": schedule, "status": "ok", "median_s": time_ms / 1e3}
    return {"schedule": schedule, "status": "runtime_error",
            "reason": f"Kernel Tuner recorded no positive time (time: {record.get('time')!r})"}


def to_measurements(cache: Union[Mapping[str, Any], PathLike], family: str, problem: Dict[str, Any], machine: str,
                    param_map: Mapping[str, Any], split: str = "tune", name: Optional[str] = None) -> Dict[str, Any]:
    """A KernelCast measurement file (``kernelcast-measurements``, docs/measurement-format.md) with one space:
    every record of a Kernel Tuner cache (a dict or a path), in the cache's order.

    ``family`` and ``problem`` are KernelCast's (Kernel Tuner knows only ``problem_size``); ``machine`` the
    machine file the device belongs to; ``param_map`` as in :func:`schedule_of`; ``split`` ``tune`` or
    ``holdout``. Measured records are ``ok``; unmeasured ones are ``out_of_resources`` (Kernel Tuner's
    CompilationFailedConfig, RuntimeFailedConfig, InvalidConfig: resource limits) or ``runtime_error``, with the
    reason. Write it with ``json.dump(doc, f, allow_nan=False)``.
    """
    if not isinstance(cache, Mapping):
        cache = read_cache(cache)
    if split not in ("tune", "holdout"):
        raise ValueError(f"split must be 'tune' or 'holdout', not {split!r}")
    tune_keys = _tune_keys(cache)
    results = []
    for key, record in cache["cache"].items():
        params = {k: record[k] for k in tune_keys if k in record}
        if len(params) != len(tune_keys):  # a record from an older run that did not store its parameters
            params.update({k: _parse_value(v) for k, v in zip(tune_keys, str(key).split(",")) if k not in params})
        results.append(result_of(record, schedule_of(params, param_map, tune_keys)))
    kernel = str(cache.get("kernel_name") or "kernel")
    doc: Dict[str, Any] = {"version": 1, "kind": "kernelcast-measurements", "machine": machine}
    if cache.get("device_name"):
        doc["device"] = str(cache["device_name"])
    doc["harness"] = f"Kernel Tuner cache of {kernel}"
    doc["created"] = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    doc["spaces"] = [{"name": name or _space_name(kernel, cache.get("problem_size")), "family": family,
                      "split": split, "problem": dict(problem), "results": results}]
    return doc


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _space_name(kernel: str, problem_size: Any) -> str:
    if isinstance(problem_size, (list, tuple)):
        return f"{kernel}-{'x'.join(str(v) for v in problem_size)}"
    if isinstance(problem_size, int):
        return f"{kernel}-{problem_size}"
    return kernel


def restriction(names: Sequence[str], configs: Sequence[Mapping[str, Any]]) -> str:
    """A Kernel Tuner restriction string admitting exactly ``configs`` on the parameters ``names``:
    ``"(block_size_x, tile) in [(128, 4), (256, 1)]"`` (one parameter: ``"block_size_x in [128, 256]"``)."""
    names = list(names)
    if len(names) == 1:
        return f"{names[0]} in [{', '.join(repr(config[names[0]]) for config in configs)}]"
    rows = ", ".join("(" + ", ".join(repr(config[name]) for name in names) + ")" for config in configs)
    return f"({', '.join(names)}) in [{rows}]"


def seed(predictions: Any, param_map: Mapping[str, Any], top_k: int = 5,
         tune_params: Optional[Mapping[str, Sequence[Any]]] = None) -> Dict[str, Any]:
    """The ``top_k`` fastest feasible predicted configurations, in Kernel Tuner's parameter names, for a
    ``tune_kernel`` run that measures only them.

    ``predictions``: ``Client.predict``'s list, or a ``predict``/``predict_space`` answer (``predictions`` or
    ``top``). ``param_map``: as in :func:`schedule_of`; only its name-to-key entries are inverted (a KernelCast
    key without one is not a Kernel Tuner parameter). ``tune_params``: the run's full ``tune_params``.

    Returns a dict:

    - ``configs``: the chosen configurations, best predicted first; ``predicted_s``: their predicted times, in
      seconds, for information only. They are predictions: nothing here is, or may be written as, a measurement
      (never into a Kernel Tuner cache).
    - ``restrictions``: ``[restriction string]`` for ``tune_kernel(..., restrictions=...)`` (add the run's own
      restrictions to the list): ``"(block_size_x, tile) in [(128, 4), (256, 1)]"``, which admits exactly the
      seeded configurations, so any strategy measures only them (``brute_force`` measures each). A string, because
      every Kernel Tuner version and search-space builder takes one; Kernel Tuner 1.5's default builder rejects a
      callable object and a ``(callable, names)`` tuple. Parameters ``param_map`` does not name stay free.
    - ``tune_params`` (given ``tune_params``): the same keys in the same order, each mapped parameter's values
      cut to those the seeds use (the cache's ``tune_params_keys`` stay equal, so a cache file still matches).
    - ``x0`` (given ``tune_params``): the best predicted configuration as a list in ``tune_params`` order (free
      parameters at their first value), for ``strategy_options={"x0": x0}`` of the strategies that start from a
      point (``greedy_ils``, ``simulated_annealing``, ``basinhopping``, ``minimize``, ``dual_annealing``, ...;
      ``brute_force``, ``random_sample`` and ``bayes_opt`` reject it).
    """
    if isinstance(predictions, Mapping):
        predictions = predictions.get("predictions") or predictions.get("top") or []
    feasible = [p for p in predictions if p.get("feasible", True) and _number(p.get("time_s")) is not None]
    inverse = {target: name for name, target in param_map.items()
               if isinstance(target, str) and (tune_params is None or name in tune_params)}
    configs: List[Dict[str, Any]] = []
    times: List[float] = []
    for p in sorted(feasible, key=lambda p: float(p["time_s"])):
        if len(configs) >= top_k:
            break
        config = {name: p["schedule"][target] for target, name in inverse.items() if target in p["schedule"]}
        if config not in configs:  # schedules that differ only in keys Kernel Tuner does not tune
            configs.append(config)
            times.append(float(p["time_s"]))
    names = [name for name in (tune_params or {name: None for name in inverse.values()}) if name in inverse.values()]
    names = [name for name in names if all(name in config for config in configs)]
    if not configs or not names:
        raise ValueError("seed: no feasible prediction maps to a Kernel Tuner parameter of param_map")
    answer: Dict[str, Any] = {"configs": configs, "predicted_s": times,
                              "restrictions": [restriction(names, configs)]}
    if tune_params is not None:
        reduced = {}
        for key, values in tune_params.items():
            if key in names:
                used = {config[key] for config in configs}
                reduced[key] = [value for value in values if value in used]
            else:
                reduced[key] = list(values)
        answer["tune_params"] = reduced
        answer["x0"] = [configs[0].get(key, list(values)[0]) for key, values in tune_params.items()]
    return answer
