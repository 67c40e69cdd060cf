"""KernelCast as Triton's autotuner pruner.

::

    from kernelcast import triton as kc
    @triton.autotune(configs=configs, key=["M", "N", "K"], prune_configs_by=kc.gemm("h200-sxm", top_k=5))
    @triton.jit
    def matmul_kernel(a_ptr, b_ptr, c_ptr, M, N, K, ...): ...

What Triton 3.x does with ``prune_configs_by`` (``triton/runtime/autotuner.py``, ``Autotuner.prune_configs``):
it calls ``early_config_prune(configs, named_args, **kwargs)`` (``named_args``: the positional arguments of the
launch by name; ``kwargs``: its keyword arguments, including ``grid`` and ``warmup``), then, when more than
``top_k`` configs remain, ``perf_model(**named_args, **kwargs, **config.all_kwargs())`` for each and benchmarks
the ``top_k`` smallest. ``all_kwargs()`` is the config's kwargs plus ``num_warps``, ``num_ctas``, ``num_stages``
(and ``maxnreg``, ``ir_override`` when set).

``early_config_prune`` here makes one batched ``predict`` call per problem, drops the configs KernelCast finds
infeasible (each reason logged at INFO on the ``kernelcast.triton`` logger) and caches the predicted times;
``perf_model`` answers the cached time in milliseconds. Whatever goes wrong (no server, an unknown dtype, every
config infeasible), the configs are kept unchanged with a warning: the autotune itself never fails because of
KernelCast. Triton is never imported: configs are duck-typed (``.kwargs``, ``.num_warps``, ``.num_stages``,
``all_kwargs()`` where it exists).

Where a factory takes an argument name (``m="M"``), it also takes an int (a constant), a tuple of names (the first
one present), or a callable given the dict of all launch arguments.
"""

from __future__ import annotations

import logging
import math
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

log = logging.getLogger("kernelcast.triton")

_REQUIRED = object()
# Triton's own defaults for a Config that does not say.
_TRITON_DEFAULTS = {"num_warps": 4, "num_stages": 3}
_DTYPES = {
    "float16": "fp16", "half": "fp16", "fp16": "fp16", "f16": "fp16",
    "bfloat16": "bf16", "bf16": "bf16",
    "float32": "fp32", "float": "fp32", "fp32": "fp32", "f32": "fp32",
    "tf32": "tf32",
}


class MappingError(ValueError):
    """A launch argument or config key the pruner needs is missing or unusable."""


def dtype_name(value: Any) -> Optional[str]:
    """KernelCast's dtype for a torch/Triton dtype or its name: ``torch.float16`` -> ``fp16``, ``torch.bfloat16``
    -> ``bf16``, ``torch.float32`` -> ``fp32``, ``torch.float8_e4m3fn`` / ``float8_e5m2`` -> ``fp8``; else None."""
    text = str(value).strip().lower()
    for prefix in ("torch.", "triton.language.", "tl."):
        if text.startswith(prefix):
            text = text[len(prefix):]
    if text.startswith(("float8", "fp8")):
        return "fp8"
    return _DTYPES.get(text)


def _resolve(spec: Any, args: Dict[str, Any], what: str, default: Any = _REQUIRED) -> Any:
    """A value from the launch: a name (str), the first present of several names (tuple), a callable of the
    arguments, or a constant."""
    if callable(spec):
        return spec(args)
    if isinstance(spec, str):
        spec = (spec,)
    if isinstance(spec, (tuple, list)):
        for name in spec:
            if name in args and args[name] is not None:
                return args[name]
        if default is not _REQUIRED:
            return default
        raise MappingError(f"{what}: no launch argument or config key named {' or '.join(map(repr, spec))}")
    return spec


def _int(spec: Any, args: Dict[str, Any], what: str, default: Any = _REQUIRED) -> int:
    value = _resolve(spec, args, what, default)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise MappingError(f"{what}: {value!r} is not an integer") from None


def _dtype(explicit: Any, tensor: Any, args: Dict[str, Any]) -> str:
    """The explicit ``dtype=`` (a name or a dtype), else the ``.dtype`` of the tensor argument ``tensor``."""
    if explicit is not None:
        source = explicit
    else:
        value = _resolve(tensor, args, "dtype")
        source = getattr(value, "dtype", None)
        if source is None and getattr(value, "base", None) is not None:  # a tensor descriptor
            source = getattr(value.base, "dtype", None)
        if source is None:
            raise MappingError(f"dtype: argument {tensor!r} has no .dtype; pass dtype=")
    name = dtype_name(source)
    if name is None:
        raise MappingError(f"dtype: {source} is not a dtype KernelCast models (fp16, bf16, fp32, tf32, fp8)")
    return name


def config_params(config: Any) -> Dict[str, Any]:
    """What Triton passes to ``perf_model`` for a config: ``config.all_kwargs()`` in Triton 3.x; for a config
    without it, its ``kwargs`` plus ``num_warps``, ``num_stages`` and ``num_ctas``."""
    all_kwargs = getattr(config, "all_kwargs", None)
    if callable(all_kwargs):
        return dict(all_kwargs())
    params = dict(getattr(config, "kwargs", None) or {})
    for name in ("num_warps", "num_stages", "num_ctas", "maxnreg"):
        value = getattr(config, name, None)
        if value is not None:
            params[name] = value
    return params


def _label(params: Dict[str, Any]) -> str:
    return ", ".join(f"{key}: {value}" for key, value in params.items())


# A schedule field: (KernelCast key, where its value comes from (names, a constant or a callable, as for problem
# arguments), default or _REQUIRED).
Field = Tuple[str, Any, Any]


class Pruner:
    """The pruner behind every factory: ``problem`` reads the family's problem from the launch arguments,
    ``fields`` and ``constants`` make a schedule from a config. ``prune_configs_by()`` is the dict for
    ``@triton.autotune``."""

    def __init__(self, machine: str, family: str, top_k: Any, problem: Callable[[Dict[str, Any]], Dict[str, Any]],
                 fields: Sequence[Field], constants: Optional[Dict[str, Any]] = None, client: Any = None,
                 compiler: Optional[Dict[str, Any]] = None):
        self.machine = machine
        self.family = family
        self.top_k = top_k
        self.problem = problem
        self.fields = list(fields)
        self.constants = dict(constants or {})
        self.compiler = compiler
        self._client = client
        self.predicted: Dict[Tuple[Any, Any], Optional[float]] = {}  # (problem, schedule) -> seconds, None: infeasible
        self.reasons: Dict[Tuple[Any, Any], str] = {}
        self._unavailable: Dict[Any, str] = {}  # problem -> why KernelCast could not answer for it

    def prune_configs_by(self) -> Dict[str, Any]:
        return {"early_config_prune": self.early_config_prune, "perf_model": self.perf_model, "top_k": self.top_k}

    def schedule(self, params: Dict[str, Any]) -> Dict[str, Any]:
        """The KernelCast schedule of one config, from the config's kwargs (with the launch arguments)."""
        schedule = {key: _int(names, params, key, default) for key, names, default in self.fields}
        schedule.update(self.constants)
        return schedule

    # -- Triton's two hooks -----------------------------------------------------------------------------------

    def early_config_prune(self, configs: Sequence[Any], named_args: Dict[str, Any], **kwargs: Any) -> List[Any]:
        args = {**named_args, **kwargs}
        try:
            problem = self.problem(args)
        except Exception as error:  # the user's autotune goes on without KernelCast
            log.warning("kernelcast: cannot read the %s problem from the launch (%s); "
                        "the %d configs are kept unchanged", self.family, error, len(configs))
            return list(configs)
        pkey = _key(problem)
        rows: List[Tuple[Any, Optional[Dict[str, Any]], str]] = []
        for config in configs:
            params = config_params(config)
            try:
                rows.append((config, self.schedule({**args, **params}), _label(params)))
            except Exception as error:
                log.info("kernelcast: keeping config %s unpredicted: %s", _label(params), error)
                rows.append((config, None, _label(params)))
        try:
            self._predict(problem, [schedule for _, schedule, _ in rows if schedule is not None])
        except Exception as error:
            self._unavailable[pkey] = str(error)
            log.warning("kernelcast: no prediction for %s %s on %s (%s); the %d configs are kept unchanged "
                        "(and perf_model leaves them in their order)",
                        self.family, _brief(problem), self.machine, error, len(configs))
            return list(configs)
        self._unavailable.pop(pkey, None)
        kept, dropped, feasible = [], 0, 0
        for config, schedule, label in rows:
            if schedule is None:
                kept.append(config)
                continue
            key = (pkey, _key(schedule))
            if self.predicted[key] is None:
                dropped += 1
                log.info("kernelcast: dropping config %s: %s", label, self.reasons.get(key, "infeasible"))
            else:
                feasible += 1
                kept.append(config)
        if feasible == 0:
            log.warning("kernelcast: KernelCast finds none of the %d configs feasible for %s %s on %s; "
                        "they are kept unchanged", len(configs), self.family, _brief(problem), self.machine)
            return list(configs)
        log.info("kernelcast: %s %s on %s: %d configs, %d infeasible dropped, %d kept",
                 self.family, _brief(problem), self.machine, len(configs), dropped, len(kept))
        return kept

    def perf_model(self, **kwargs: Any) -> float:
        """The predicted time of the config in ``kwargs`` (its kwargs, num_warps, num_stages with the launch
        arguments), in milliseconds; ``inf`` for an infeasible config."""
        try:
            problem = self.problem(kwargs)
            schedule = self.schedule(kwargs)
        except Exception:
            # Nothing to predict with (a config without a block size, say): 0.0 sorts it first, so Triton keeps it
            # and measures it rather than dropping a config the user asked for on no evidence.
            return 0.0
        pkey, key = _key(problem), (_key(problem), _key(schedule))
        if key not in self.predicted:
            if pkey in self._unavailable:
                return 0.0  # KernelCast did not answer for this problem: every config is equal, Triton keeps its order
            try:
                self._predict(problem, [schedule])
            except Exception as error:
                self._unavailable[pkey] = str(error)
                log.warning("kernelcast: no prediction for %s %s on %s (%s); Triton keeps its first %s configs",
                            self.family, _brief(problem), self.machine, error, self.top_k)
                return 0.0
        seconds = self.predicted[key]
        return math.inf if seconds is None else seconds * 1e3

    # -- KernelCast -------------------------------------------------------------------------------------------

    def client(self) -> Any:
        if self._client is None:
            from .client import Client  # made at the first launch, not at import
            self._client = Client()
        return self._client

    def _predict(self, problem: Dict[str, Any], schedules: List[Dict[str, Any]]) -> None:
        """One batched predict for the schedules of ``problem`` not predicted yet."""
        pkey = _key(problem)
        todo: Dict[Any, Dict[str, Any]] = {}
        for schedule in schedules:
            key = (pkey, _key(schedule))
            if key not in self.predicted:
                todo.setdefault(key, schedule)
        if not todo:
            return
        predictions = self.client().predict(self.machine, self.family, problem, list(todo.values()),
                                            compiler=self.compiler)
        if len(predictions) != len(todo):
            raise RuntimeError(f"asked for {len(todo)} predictions, got {len(predictions)}")
        for key, prediction in zip(todo, predictions):
            if prediction.get("feasible") and prediction.get("time_s") is not None:
                self.predicted[key] = float(prediction["time_s"])
            else:
                self.predicted[key] = None
                self.reasons[key] = str(prediction.get("reason") or "infeasible")


def _key(mapping: Dict[str, Any]) -> Tuple[Tuple[str, Any], ...]:
    return tuple(sorted(mapping.items()))


def _brief(problem: Dict[str, Any]) -> str:
    return "{" + ", ".join(f"{key}={value}" for key, value in problem.items()) + "}"


# -- the families ---------------------------------------------------------------------------------------------

_WARPS: Field = ("warps", ("num_warps",), _TRITON_DEFAULTS["num_warps"])
_STAGES: Field = ("stages", ("num_stages",), _TRITON_DEFAULTS["num_stages"])


def gemm(machine: str, top_k: Any = 5, m: Any = "M", n: Any = "N", k: Any = "K", a: Any = "a_ptr",
         dtype: Any = None, group_m: Any = ("GROUP_SIZE_M", "GROUP_M"), client: Any = None, epilogue: str = "none",
         batch: Any = 1) -> Dict[str, Any]:
    """``prune_configs_by`` for a matmul C[M,N] = A[M,K] B[K,N]: problem ``m, n, k, batch, dtype, epilogue``;
    schedule from BLOCK_SIZE_M|BLOCK_M, BLOCK_SIZE_N|BLOCK_N, BLOCK_SIZE_K|BLOCK_K, num_warps, num_stages,
    ``group_m`` (default 1), SPLIT_K (default 1), on the matrix units. ``dtype`` defaults to the dtype of tensor
    ``a``; give ``dtype="tf32"`` for fp32 inputs that ``tl.dot`` multiplies in TF32 (its default)."""

    def problem(args: Dict[str, Any]) -> Dict[str, Any]:
        return {"m": _int(m, args, "m"), "n": _int(n, args, "n"), "k": _int(k, args, "k"),
                "batch": _int(batch, args, "batch"), "dtype": _dtype(dtype, a, args), "epilogue": epilogue}

    fields = [("block_m", ("BLOCK_SIZE_M", "BLOCK_M"), _REQUIRED), ("block_n", ("BLOCK_SIZE_N", "BLOCK_N"), _REQUIRED),
              ("block_k", ("BLOCK_SIZE_K", "BLOCK_K"), _REQUIRED), _WARPS, _STAGES,
              ("group_m", group_m, 1), ("split_k", ("SPLIT_K",), 1)]
    return Pruner(machine, "gemm", top_k, problem, fields, {"matrix_units": True}, client).prune_configs_by()


def elementwise(machine: str, top_k: Any = 5, n: Any = "n_elements", x: Any = "x_ptr", ops: Any = 1,
                extra_inputs: Any = 0, dtype: Any = None, client: Any = None) -> Dict[str, Any]:
    """``prune_configs_by`` for one fused kernel over ``n`` elements applying ``ops`` operations (reading
    ``extra_inputs`` further tensors): schedule from BLOCK_SIZE|BLOCK and num_warps."""

    def problem(args: Dict[str, Any]) -> Dict[str, Any]:
        return {"elements": _int(n, args, "elements"), "ops": _int(ops, args, "ops"), "dtype": _dtype(dtype, x, args),
                "extra_inputs": _int(extra_inputs, args, "extra_inputs")}

    fields = [("block_elements", ("BLOCK_SIZE", "BLOCK"), _REQUIRED), _WARPS]
    return Pruner(machine, "elementwise", top_k, problem, fields, {"fused": True}, client).prune_configs_by()


def rows(machine: str, top_k: Any = 5, op: str = "softmax", rows: Any = "n_rows", cols: Any = "n_cols",
         x: Any = "x_ptr", dtype: Any = None, client: Any = None) -> Dict[str, Any]:
    """``prune_configs_by`` for a row-wise reduction (``op``: softmax, layernorm, rmsnorm, sum) over a
    [rows, cols] matrix: schedule from BLOCK_SIZE|BLOCK_N|BLOCK (columns held at once), num_warps and
    ROWS_PER_PROGRAM (default 1)."""
    rows_spec = rows

    def problem(args: Dict[str, Any]) -> Dict[str, Any]:
        return {"op": op, "rows": _int(rows_spec, args, "rows"), "cols": _int(cols, args, "cols"),
                "dtype": _dtype(dtype, x, args)}

    fields = [("block_width", ("BLOCK_SIZE", "BLOCK_N", "BLOCK"), _REQUIRED), _WARPS,
              ("rows_per_block", ("ROWS_PER_PROGRAM",), 1)]
    return Pruner(machine, "reduction", top_k, problem, fields, {}, client).prune_configs_by()


def attention(machine: str, top_k: Any = 5, batch: Any = "Z", heads: Any = "H", seq_len: Any = "N_CTX",
              head_dim: Any = "HEAD_DIM", causal: Any = False, q: Any = "Q", dtype: Any = None,
              client: Any = None) -> Dict[str, Any]:
    """``prune_configs_by`` for flash-attention forward over [batch, heads, seq_len, head_dim]: schedule from
    BLOCK_M (query tile), BLOCK_N (key/value tile), num_warps, num_stages. ``causal`` is a bool, an argument name,
    or a callable of the launch arguments (Triton's tutorial kernel: ``causal=lambda a: a["STAGE"] == 3``)."""

    def problem(args: Dict[str, Any]) -> Dict[str, Any]:
        return {"batch": _int(batch, args, "batch"), "heads": _int(heads, args, "heads"),
                "seq_len": _int(seq_len, args, "seq_len"), "head_dim": _int(head_dim, args, "head_dim"),
                "causal": bool(_resolve(causal, args, "causal")), "dtype": _dtype(dtype, q, args)}

    fields = [("block_q", ("BLOCK_M",), _REQUIRED), ("block_kv", ("BLOCK_N",), _REQUIRED), _WARPS, _STAGES]
    return Pruner(machine, "attention", top_k, problem, fields, {"variant": "flash"}, client).prune_configs_by()

