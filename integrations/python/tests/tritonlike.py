"""Stand-ins for Triton's autotuner (no Triton here), written to do what Triton 3.6.0 does
(triton/runtime/autotuner.py: ``Autotuner.run``, ``Autotuner.prune_configs``, ``Config.all_kwargs``)."""

from __future__ import annotations

from typing import Any, Dict, List, Sequence


class Config:
    """Triton's ``Config``: ``kwargs`` plus launch options; ``all_kwargs()`` as in 3.6 (None values left out)."""

    def __init__(self, kwargs, num_warps=4, num_stages=3, num_ctas=1, maxnreg=None, pre_hook=None, ir_override=None):
        self.kwargs = kwargs
        self.num_warps = num_warps
        self.num_ctas = num_ctas
        self.num_stages = num_stages
        self.maxnreg = maxnreg
        self.pre_hook = pre_hook
        self.ir_override = ir_override

    def all_kwargs(self):
        options = (("num_warps", self.num_warps), ("num_ctas", self.num_ctas), ("num_stages", self.num_stages),
                   ("maxnreg", self.maxnreg), ("ir_override", self.ir_override))
        return {**self.kwargs, **{k: v for (k, v) in options if v is not None}}

    def __repr__(self):
        return f"Config({self.kwargs}, num_warps={self.num_warps}, num_stages={self.num_stages})"


class OldConfig:
    """A config without ``all_kwargs()`` (Triton before 3.0)."""

    def __init__(self, kwargs, num_warps=4, num_stages=2):
        self.kwargs = kwargs
        self.num_warps = num_warps
        self.num_stages = num_stages


class Dtype:
    def __init__(self, name):
        self.name = name

    def __str__(self):
        return self.name


class Tensor:
    """Anything with a ``.dtype`` whose str is torch's (``torch.float16``)."""

    def __init__(self, dtype="torch.float16"):
        self.dtype = Dtype(dtype)


def prune_configs(configs: Sequence[Any], prune_configs_by: Dict[str, Any], arg_names: Sequence[str],
                  args: Sequence[Any], kwargs: Dict[str, Any]) -> List[Any]:
    """Triton 3.6's ``Autotuner.prune_configs`` for a launch ``kernel[grid](*args, **kwargs)``.

    ``Autotuner.run`` sets ``self.nargs = dict(zip(self.arg_names, args))``; the launch proxy of
    ``KernelInterface.__getitem__`` adds ``grid`` and ``warmup=False`` to the keyword arguments."""
    nargs = dict(zip(arg_names, args))
    kwargs = {"grid": (1,), "warmup": False, **kwargs}
    early_config_prune = prune_configs_by.get("early_config_prune")
    perf_model = prune_configs_by.get("perf_model")
    configs_top_k = prune_configs_by.get("top_k", 1.0)

    pruned_configs = configs
    if early_config_prune:
        pruned_configs = early_config_prune(configs, nargs, **kwargs)
        if not pruned_configs:
            raise RuntimeError("No valid autotuner configs after pruning. "
                               "`early_config_prune` should return at least one config.")
    if perf_model:
        top_k = configs_top_k
        if isinstance(top_k, float) and top_k <= 1.0:
            top_k = int(len(configs) * top_k)
        elif not isinstance(top_k, int):
            raise TypeError("Error while pruning configs, top_k must be either 1) a float <= 1.0 or 2) an int")
        if len(pruned_configs) > top_k:
            est_timing = {
                config: perf_model(
                    **nargs,
                    **kwargs,
                    **config.all_kwargs(),
                )
                for config in pruned_configs
            }
            pruned_configs = sorted(est_timing.keys(), key=lambda x: est_timing[x])[:top_k]
    return pruned_configs


def gemm_configs(blocks=(64, 128, 256), ks=(32, 64, 128), warps=(4, 8), stages=(2, 3, 4), names=("BLOCK_SIZE_M",
                 "BLOCK_SIZE_N", "BLOCK_SIZE_K"), extra=None) -> List[Config]:
    """The matmul tutorial's kind of config list: every BLOCK_M x BLOCK_N x BLOCK_K x warps x stages."""
    m, n, k = names
    return [Config({m: bm, n: bn, k: bk, **(extra or {})}, num_warps=w, num_stages=s)
            for bm in blocks for bn in blocks for bk in ks for w in warps for s in stages]


MATMUL_ARGS = ["a_ptr", "b_ptr", "c_ptr", "M", "N", "K", "stride_am", "stride_ak", "stride_bk", "stride_bn",
               "stride_cm", "stride_cn"]


def matmul_launch(m=4096, n=4096, k=4096, dtype="torch.float16"):
    """Positional arguments of the matmul tutorial's kernel."""
    return [Tensor(dtype), Tensor(dtype), Tensor(dtype), m, n, k, k, 1, n, 1, n, 1]
