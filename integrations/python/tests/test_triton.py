import logging
import math
import subprocess
import sys
from pathlib import Path

import pytest

from kernelcast import Client, KernelCastError
from kernelcast import triton as kc
from tritonlike import MATMUL_ARGS, Config, OldConfig, Tensor, gemm_configs, matmul_launch, prune_configs

SMEM_LIMIT = 232448


class FakeClient:
    """Answers ``predict`` like KernelCast would, from a toy model: shared memory decides feasibility, and bigger
    tiles, more stages and group_m 8 are faster."""

    def __init__(self, fail=None):
        self.calls = []
        self.fail = fail

    def predict(self, machine, family, problem, schedules, compiler=None):
        self.calls.append((machine, family, dict(problem), [dict(s) for s in schedules]))
        if self.fail is not None:
            raise self.fail
        return [self.one(family, problem, s) for s in schedules]

    @staticmethod
    def time(s):
        return 1e-4 * (1 + 64 / s["block_m"] + 64 / s["block_n"] + 16 / s["block_k"]) * (1 + 1 / s["stages"]) \
            * (1.0 if s.get("group_m", 1) == 8 else 1.1) * (1 if s["warps"] == 8 else 1.05)

    def one(self, family, problem, s):
        if family != "gemm":
            return {"schedule": s, "feasible": True, "time_s": 1e-5 * (1 + 1 / s.get("warps", 4)),
                    "bottleneck": "dram"}
        smem = (s["block_m"] * s["block_k"] + s["block_k"] * s["block_n"]) * 2 * s["stages"]
        if smem > SMEM_LIMIT:
            return {"schedule": s, "feasible": False, "reason": f"shared memory {smem} B > {SMEM_LIMIT} B per block"}
        return {"schedule": s, "feasible": True, "time_s": self.time(s), "bottleneck": "matrix"}


def feasible(config):
    p = config.all_kwargs()
    smem = (p["BLOCK_SIZE_M"] * p["BLOCK_SIZE_K"] + p["BLOCK_SIZE_K"] * p["BLOCK_SIZE_N"]) * 2 * p["num_stages"]
    return smem <= SMEM_LIMIT


# -- mappings --------------------------------------------------------------------------------------------------

def pruner_of(prune_configs_by):
    return prune_configs_by["early_config_prune"].__self__


def test_gemm_problem_and_schedule_from_the_launch():
    client = FakeClient()
    hooks = kc.gemm("h200-sxm", top_k=3, client=client)
    assert set(hooks) == {"early_config_prune", "perf_model", "top_k"} and hooks["top_k"] == 3
    config = Config({"BLOCK_SIZE_M": 128, "BLOCK_SIZE_N": 256, "BLOCK_SIZE_K": 64, "GROUP_SIZE_M": 8},
                    num_warps=8, num_stages=3)
    nargs = dict(zip(MATMUL_ARGS, matmul_launch(m=1024, n=2048, k=512, dtype="torch.bfloat16")))
    kept = hooks["early_config_prune"]([config], nargs, grid=(1,), warmup=False)
    assert kept == [config]
    (machine, family, problem, schedules), = client.calls
    assert (machine, family) == ("h200-sxm", "gemm")
    assert problem == {"m": 1024, "n": 2048, "k": 512, "batch": 1, "dtype": "bf16", "epilogue": "none"}
    assert schedules == [{"block_m": 128, "block_n": 256, "block_k": 64, "warps": 8, "stages": 3, "group_m": 8,
                          "split_k": 1, "matrix_units": True}]


def test_gemm_aliases_defaults_keyword_arguments_and_constants():
    pruner = pruner_of(kc.gemm("h100-sxm", m=4096, n="N", k="K", dtype="fp16", epilogue="bias", client=FakeClient()))
    params = {"N": 512, "K": 256, "BLOCK_M": 64, "BLOCK_N": 32, "BLOCK_K": 16, "num_warps": 4, "num_stages": 2,
              "GROUP_M": 4, "SPLIT_K": 2}
    assert pruner.problem(params) == {"m": 4096, "n": 512, "k": 256, "batch": 1, "dtype": "fp16", "epilogue": "bias"}
    assert pruner.schedule(params) == {"block_m": 64, "block_n": 32, "block_k": 16, "warps": 4, "stages": 2,
                                       "group_m": 4, "split_k": 2, "matrix_units": True}
    # group_m absent: 1; split_k absent: 1
    del params["GROUP_M"], params["SPLIT_K"]
    assert pruner.schedule(params)["group_m"] == 1 and pruner.schedule(params)["split_k"] == 1


@pytest.mark.parametrize("torch_dtype, name", [
    ("torch.float16", "fp16"), ("torch.bfloat16", "bf16"), ("torch.float32", "fp32"),
    ("torch.float8_e4m3fn", "fp8"), ("torch.float8_e5m2", "fp8"), ("fp16", "fp16"), ("torch.int8", None)])
def test_dtype_names(torch_dtype, name):
    assert kc.dtype_name(torch_dtype) == name


def test_elementwise_mapping():
    pruner = pruner_of(kc.elementwise("h200-sxm", n="n_elements", x="x_ptr", ops=3, extra_inputs="n_extra"))
    args = {"x_ptr": Tensor("torch.float32"), "n_elements": 1 << 24, "n_extra": 1, "BLOCK_SIZE": 1024, "num_warps": 4,
            "num_stages": 3}
    assert pruner.problem(args) == {"elements": 1 << 24, "ops": 3, "dtype": "fp32", "extra_inputs": 1}
    assert pruner.schedule(args) == {"block_elements": 1024, "warps": 4, "fused": True}
    assert pruner.family == "elementwise"


def test_rows_mapping():
    pruner = pruner_of(kc.rows("h100-sxm", op="layernorm", rows="n_rows", cols="n_cols"))
    args = {"x_ptr": Tensor("torch.float16"), "n_rows": 4096, "n_cols": 8192, "BLOCK_N": 8192, "num_warps": 16}
    assert pruner.problem(args) == {"op": "layernorm", "rows": 4096, "cols": 8192, "dtype": "fp16"}
    assert pruner.schedule(args) == {"block_width": 8192, "warps": 16, "rows_per_block": 1}
    assert pruner.schedule({**args, "ROWS_PER_PROGRAM": 4})["rows_per_block"] == 4
    assert pruner.family == "reduction"


def test_attention_mapping_with_a_causal_callable():
    pruner = pruner_of(kc.attention("h100-sxm", causal=lambda a: a["STAGE"] == 3))
    args = {"Q": Tensor("torch.float16"), "Z": 4, "H": 32, "N_CTX": 4096, "HEAD_DIM": 128, "STAGE": 3,
            "BLOCK_M": 128, "BLOCK_N": 64, "num_warps": 8, "num_stages": 3}
    assert pruner.problem(args) == {"batch": 4, "heads": 32, "seq_len": 4096, "head_dim": 128, "causal": True,
                                    "dtype": "fp16"}
    assert pruner.schedule(args) == {"block_q": 128, "block_kv": 64, "warps": 8, "stages": 3, "variant": "flash"}
    assert pruner.problem({**args, "STAGE": 1})["causal"] is False
    assert pruner_of(kc.attention("h100-sxm", causal="CAUSAL")).problem({**args, "CAUSAL": True})["causal"] is True


# -- pruning through Triton's loop -----------------------------------------------------------------------------

def test_drops_the_infeasible_with_reasons_in_one_batched_call(caplog):
    client = FakeClient()
    configs = gemm_configs(extra={"GROUP_SIZE_M": 8})
    hooks = kc.gemm("h200-sxm", top_k=5, client=client)
    with caplog.at_level(logging.INFO, logger="kernelcast.triton"):
        kept = hooks["early_config_prune"](configs, dict(zip(MATMUL_ARGS, matmul_launch())), grid=(1,), warmup=False)
    assert len(client.calls) == 1 and len(client.calls[0][3]) == len(configs) == 162
    assert kept == [c for c in configs if feasible(c)] and len(kept) < len(configs)
    drops = [r for r in caplog.records if r.name == "kernelcast.triton" and "dropping config" in r.getMessage()]
    assert len(drops) == len(configs) - len(kept) and all(r.levelno == logging.INFO for r in drops)
    message = next(r.getMessage() for r in drops if "BLOCK_SIZE_M: 256, BLOCK_SIZE_N: 256, BLOCK_SIZE_K: 64" in
                   r.getMessage() and "num_stages: 4" in r.getMessage())
    assert "shared memory 262144 B > 232448 B" in message


def test_triton_keeps_the_top_k_predicted():
    client = FakeClient()
    configs = gemm_configs(extra={"GROUP_SIZE_M": 8})
    hooks = kc.gemm("h200-sxm", top_k=5, client=client)
    chosen = prune_configs(configs, hooks, MATMUL_ARGS, matmul_launch(), {})
    ranked = sorted((c for c in configs if feasible(c)), key=lambda c: FakeClient.time(
        {"block_m": c.kwargs["BLOCK_SIZE_M"], "block_n": c.kwargs["BLOCK_SIZE_N"], "block_k": c.kwargs["BLOCK_SIZE_K"],
         "stages": c.num_stages, "warps": c.num_warps, "group_m": 8}))
    assert chosen == ranked[:5]
    assert len(client.calls) == 1  # perf_model answered from the batch
    pruner = pruner_of(hooks)
    times = [hooks["perf_model"](**dict(zip(MATMUL_ARGS, matmul_launch())), grid=(1,), warmup=False,
                                 **c.all_kwargs()) for c in chosen]
    assert times == sorted(times) and all(0 < t < math.inf for t in times)
    best = chosen[0]
    expected = FakeClient.time({"block_m": best.kwargs["BLOCK_SIZE_M"], "block_n": best.kwargs["BLOCK_SIZE_N"],
                                "block_k": best.kwargs["BLOCK_SIZE_K"], "stages": best.num_stages,
                                "warps": best.num_warps, "group_m": 8})
    assert times[0] == pytest.approx(expected * 1e3)  # milliseconds
    assert len(pruner.predicted) == 162


def test_a_second_problem_is_predicted_once_and_a_repeat_not_at_all():
    client = FakeClient()
    configs = gemm_configs(blocks=(64, 128), ks=(32,), warps=(4,), stages=(3,))
    hooks = kc.gemm("h200-sxm", top_k=2, client=client)
    prune_configs(configs, hooks, MATMUL_ARGS, matmul_launch(), {})
    prune_configs(configs, hooks, MATMUL_ARGS, matmul_launch(), {})
    prune_configs(configs, hooks, MATMUL_ARGS, matmul_launch(m=512), {})
    assert [call[2]["m"] for call in client.calls] == [4096, 512]


def test_perf_model_predicts_one_config_it_has_not_seen():
    client = FakeClient()
    hooks = kc.gemm("h200-sxm", client=client)
    config = Config({"BLOCK_SIZE_M": 128, "BLOCK_SIZE_N": 128, "BLOCK_SIZE_K": 64}, num_warps=8, num_stages=3)
    t = hooks["perf_model"](**dict(zip(MATMUL_ARGS, matmul_launch())), **config.all_kwargs())
    assert len(client.calls) == 1 and len(client.calls[0][3]) == 1
    assert t == pytest.approx(FakeClient.time({"block_m": 128, "block_n": 128, "block_k": 64, "stages": 3,
                                               "warps": 8, "group_m": 1}) * 1e3)
    big = Config({"BLOCK_SIZE_M": 256, "BLOCK_SIZE_N": 256, "BLOCK_SIZE_K": 128}, num_warps=8, num_stages=4)
    assert hooks["perf_model"](**dict(zip(MATMUL_ARGS, matmul_launch())), **big.all_kwargs()) == math.inf


def test_configs_without_all_kwargs():
    client = FakeClient()
    configs = [OldConfig({"BLOCK_SIZE_M": m, "BLOCK_SIZE_N": 128, "BLOCK_SIZE_K": 64}, num_warps=8, num_stages=3)
               for m in (64, 128, 256)]
    hooks = kc.gemm("h200-sxm", top_k=1, client=client)
    nargs = dict(zip(MATMUL_ARGS, matmul_launch()))
    kept = hooks["early_config_prune"](configs, nargs)
    assert kept == configs
    assert client.calls[0][3][0]["warps"] == 8 and client.calls[0][3][0]["stages"] == 3
    # Triton 2.x called perf_model with the config's kwargs and its launch options spelt out
    times = [hooks["perf_model"](**nargs, **c.kwargs, num_warps=c.num_warps, num_stages=c.num_stages) for c in kept]
    assert times.index(min(times)) == 2 and len(client.calls) == 1


def test_a_config_that_cannot_be_mapped_is_kept_and_measured(caplog):
    client = FakeClient()
    configs = gemm_configs(blocks=(64, 128), ks=(32,), warps=(4,), stages=(3,))
    odd = Config({"TILE": 128}, num_warps=4, num_stages=3)
    hooks = kc.gemm("h200-sxm", top_k=2, client=client)
    with caplog.at_level(logging.INFO, logger="kernelcast.triton"):
        chosen = prune_configs(configs + [odd], hooks, MATMUL_ARGS, matmul_launch(), {})
    assert odd in chosen and len(chosen) == 2
    assert any("keeping config TILE: 128" in r.getMessage() and "BLOCK_SIZE_M" in r.getMessage()
               for r in caplog.records)
    assert len(client.calls[0][3]) == 4


@pytest.mark.parametrize("failure", [
    KernelCastError("unreachable", "KernelCast at http://127.0.0.1:8471 did not answer", "start kernelcast serve"),
    KernelCastError("not_found", "no machine named h900", "GET /v1/machines lists them", 404),
    ConnectionRefusedError(111, "Connection refused"),
])
def test_kernelcast_unreachable_keeps_the_configs(caplog, failure):
    client = FakeClient(fail=failure)
    configs = gemm_configs()
    hooks = kc.gemm("h200-sxm", top_k=5, client=client)
    nargs = dict(zip(MATMUL_ARGS, matmul_launch()))
    with caplog.at_level(logging.INFO, logger="kernelcast.triton"):
        assert hooks["early_config_prune"](configs, nargs, grid=(1,), warmup=False) == configs
        chosen = prune_configs(configs, hooks, MATMUL_ARGS, matmul_launch(), {})
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and r.name == "kernelcast.triton"]
    assert warnings and "kept unchanged" in warnings[0].getMessage()
    assert chosen == configs[:5]  # every perf_model answer 0.0: Triton keeps its order
    assert len(client.calls) == 2  # one per early_config_prune; perf_model does not retry


def test_no_server_and_no_binary_keeps_the_configs(caplog, monkeypatch):
    # a real Client against a port where nothing listens
    client = Client(url="http://127.0.0.1:9", timeout=2)
    configs = gemm_configs(blocks=(64, 128), ks=(32,), warps=(4,), stages=(3,))
    hooks = kc.gemm("h200-sxm", top_k=2, client=client)
    with caplog.at_level(logging.WARNING, logger="kernelcast.triton"):
        chosen = prune_configs(configs, hooks, MATMUL_ARGS, matmul_launch(), {})
    assert chosen == configs[:2]
    assert any("unreachable" in r.getMessage() for r in caplog.records)


def test_no_kernelcast_at_all(caplog, monkeypatch, tmp_path):
    monkeypatch.delenv("KERNELCAST_URL", raising=False)
    monkeypatch.delenv("KERNELCAST_BIN", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("kernelcast.client.DEFAULT_URL", "http://127.0.0.1:9")
    configs = gemm_configs(blocks=(64, 128), ks=(32,), warps=(4,), stages=(3,))
    hooks = kc.gemm("h200-sxm", top_k=2)  # the client is made at the first launch
    with caplog.at_level(logging.WARNING, logger="kernelcast.triton"):
        assert hooks["early_config_prune"](configs, dict(zip(MATMUL_ARGS, matmul_launch()))) == configs
    assert any("no kernelcast binary" in r.getMessage() for r in caplog.records)


def test_every_config_infeasible_keeps_them(caplog):
    configs = gemm_configs(blocks=(256,), ks=(128,), warps=(8,), stages=(4, 5))
    hooks = kc.gemm("h200-sxm", top_k=1, client=FakeClient())
    with caplog.at_level(logging.WARNING, logger="kernelcast.triton"):
        assert hooks["early_config_prune"](configs, dict(zip(MATMUL_ARGS, matmul_launch()))) == configs
    assert any("none of the 2 configs feasible" in r.getMessage() for r in caplog.records)


def test_an_unreadable_problem_keeps_the_configs(caplog):
    client = FakeClient()
    configs = gemm_configs(blocks=(64,), ks=(32,), warps=(4,), stages=(3,))
    hooks = kc.gemm("h200-sxm", client=client)
    nargs = dict(zip(MATMUL_ARGS, matmul_launch(dtype="torch.int8")))
    with caplog.at_level(logging.WARNING, logger="kernelcast.triton"):
        assert hooks["early_config_prune"](configs, nargs) == configs
        del nargs["M"]
        assert hooks["early_config_prune"](configs, nargs) == configs
    messages = [r.getMessage() for r in caplog.records]
    assert any("torch.int8 is not a dtype KernelCast models" in m for m in messages)
    assert any("'M'" in m for m in messages)
    assert client.calls == []


def test_top_k_as_a_fraction():
    configs = gemm_configs(extra={"GROUP_SIZE_M": 8})
    hooks = kc.gemm("h200-sxm", top_k=0.05, client=FakeClient())
    chosen = prune_configs(configs, hooks, MATMUL_ARGS, matmul_launch(), {})
    assert len(chosen) == int(162 * 0.05) and all(feasible(c) for c in chosen)


def test_importing_the_hooks_imports_neither_triton_nor_kernel_tuner():
    code = ("import sys, kernelcast, kernelcast.triton, kernelcast.kernel_tuner; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('triton', 'torch', 'kernel_tuner')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parents[1], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
