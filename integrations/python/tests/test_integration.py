"""Against the real binary: set KERNELCAST_BIN to an executable kernelcast (skipped otherwise)."""

import logging
import math
import os
import queue
import re
import subprocess
import threading
from pathlib import Path

import pytest

from kernelcast import Client, KernelCastError
from kernelcast import triton as kc
from tritonlike import MATMUL_ARGS, gemm_configs, matmul_launch, prune_configs

BINARY = os.environ.get("KERNELCAST_BIN", "")
REPO = Path(__file__).resolve().parents[3]
LISTENING = re.compile(r"^kernelcast serve: listening on (http://127\.0\.0\.1:\d+)\s*$")

pytestmark = pytest.mark.skipif(not (BINARY and os.path.isfile(BINARY) and os.access(BINARY, os.X_OK)),
                                reason="KERNELCAST_BIN does not point to an executable kernelcast")

PROBLEM = {"m": 4096, "n": 4096, "k": 4096, "batch": 1, "dtype": "fp16", "epilogue": "none"}


@pytest.fixture(scope="session")
def server_url():
    """`kernelcast serve --port 0` from the repository root, for the whole session."""
    env = {k: v for k, v in os.environ.items() if k not in ("KERNELCAST_TOKEN", "KERNELCAST_URL")}
    process = subprocess.Popen([BINARY, "serve", "--port", "0"], cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = queue.Queue()

    def drain():  # keeps the pipe empty, so the server never blocks on its output
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=drain, daemon=True).start()
    try:
        try:
            first = lines.get(timeout=120)
        except queue.Empty:
            pytest.fail("kernelcast serve printed nothing in 120 s")
        match = LISTENING.match(first or "")
        if not match:
            rest = []
            while not lines.empty():
                rest.append(lines.get() or "")
            pytest.fail(f"kernelcast serve did not start: {first!r} {''.join(rest)}")
        yield match.group(1)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def client(server_url):
    return Client(url=server_url, timeout=120)


def test_health(client):
    assert isinstance(client.health(), dict)


def test_machines(client):
    names = {m["name"] for m in client.machines()}
    assert {"h100-sxm", "h200-sxm"} <= names


def test_the_gemm_pruner_through_tritons_loop(client, caplog):
    configs = gemm_configs(extra={"GROUP_SIZE_M": 8})
    assert len(configs) == 162
    hooks = kc.gemm("h200-sxm", top_k=5, client=client)
    with caplog.at_level(logging.INFO, logger="kernelcast.triton"):
        chosen = prune_configs(configs, hooks, MATMUL_ARGS, matmul_launch(), {})
    assert len(chosen) == 5
    nargs = dict(zip(MATMUL_ARGS, matmul_launch()))
    times = [hooks["perf_model"](**nargs, grid=(1,), warmup=False, **c.all_kwargs()) for c in chosen]
    assert all(0 < t < math.inf for t in times) and times == sorted(times)
    pruner = hooks["early_config_prune"].__self__
    assert len(pruner.predicted) == 162
    drops = [r.getMessage() for r in caplog.records if "dropping config" in r.getMessage()]
    assert drops and len(drops) == sum(t is None for t in pruner.predicted.values())
    big = [m for m in drops if "BLOCK_SIZE_M: 256, BLOCK_SIZE_N: 256" in m and "num_stages: 4" in m]
    assert big and all("shared memory" in m for m in big)
    assert not any(w.levelno >= logging.WARNING for w in caplog.records if w.name == "kernelcast.triton")


def test_an_unknown_machine(client):
    with pytest.raises(KernelCastError) as caught:
        client.predict("h900", "gemm", PROBLEM, [{"block_m": 128, "block_n": 128, "block_k": 64, "warps": 8,
                                                  "stages": 3}])
    error = caught.value
    assert error.code and error.status and 400 <= error.status < 500
    assert "h900" in error.message


def test_the_cli_answers_as_http_does(client, monkeypatch):
    monkeypatch.delenv("KERNELCAST_URL", raising=False)
    monkeypatch.delenv("KERNELCAST_TOKEN", raising=False)
    schedules = [{"block_m": m, "block_n": n, "block_k": 64, "warps": 8, "stages": s, "group_m": 8}
                 for m in (128, 256) for n in (128, 256) for s in (3, 4)]
    cli = Client(url=None, binary=BINARY, probe=False, cwd=str(REPO), timeout=120)
    assert cli.mode == "cli"
    over_http = client.predict("h200-sxm", "gemm", PROBLEM, schedules)
    over_cli = cli.predict("h200-sxm", "gemm", PROBLEM, schedules)
    assert over_cli == over_http
    assert len(over_http) == len(schedules) and any(not p["feasible"] for p in over_http)
    with pytest.raises(KernelCastError) as caught:
        cli.predict("h900", "gemm", PROBLEM, schedules)
    assert "h900" in caught.value.message and caught.value.status and caught.value.status < 500
