"""KernelCast's MCP server driven by the official MCP Python SDK over stdio: a real session, as an agent runs it.

Needs KERNELCAST_BIN (the built kernelcast), the `mcp` package and the PoCL OpenCL device; run from the repository
root (.ci/run does).
"""

import asyncio
import json
import os
import re
import tempfile

import pytest

pytest.importorskip("mcp")
from mcp import ClientSession, StdioServerParameters  # noqa: E402
from mcp.client.stdio import stdio_client  # noqa: E402

BIN = os.environ.get("KERNELCAST_BIN")
pytestmark = pytest.mark.skipif(not BIN or not os.access(BIN, os.X_OK), reason="KERNELCAST_BIN is not set")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SPACE = {"version": 1, "name": "gemm-fp16-4096", "family": "gemm",
         "problem": {"m": 4096, "n": 4096, "k": 4096, "dtype": "fp16"},
         "schedule": {"block_m": [64, 128, 256], "block_n": [64, 128, 256], "block_k": [32, 64],
                      "warps": [4, 8], "stages": [3, 4], "group_m": 8}}

# A candidate with its own OpenCL source: z = x * y over 4096 values.
PRODUCT = {"version": 1, "name": "mcp-product", "family": "elementwise",
           "problem": {"elements": 4096, "ops": ["mul"], "dtype": "fp32"},
           "source": {"text": "__kernel void product(__global const float *x, __global const float *y,\n"
                              "                      __global float *z, int n) {\n"
                              "  int i = get_global_id(0);\n"
                              "  if (i < n) z[i] = x[i] * y[i];\n"
                              "}\n",
                      "kernel": "product", "global": ["round_up(N, 64)"], "local": [64], "args": ["X", "Y1", "Z", "N"]}}


def text_of(result):
    return "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")


async def run_session(store):
    env = {**os.environ, "POCL_CACHE_DIR": os.environ.get("POCL_CACHE_DIR", "/tmp/kernelcast-pocl")}
    params = StdioServerParameters(command=BIN, args=["mcp", "--store", store], cwd=ROOT, env=env)
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            assert init.server_info.name == "kernelcast"

            tools = {t.name: t for t in (await session.list_tools()).tools}
            assert {"machines", "predict", "plan", "explain", "bound", "verify", "job"} <= set(tools)
            assert tools["predict"].input_schema["required"] == ["machine"]

            predicted = await session.call_tool("predict", {"machine": "h200-sxm", "space": SPACE, "top": 3})
            assert not predicted.is_error, text_of(predicted)
            answer = text_of(predicted)
            assert answer.startswith("gemm-fp16-4096 on h200-sxm: 72 candidates, "), answer
            assert "\n1. block_m=" in answer and "\n3. block_m=" in answer and "\nbest: " in answer, answer

            planned = await session.call_tool("plan", {"machine": "h100-sxm", "space": SPACE, "budget": 3})
            assert not planned.is_error, text_of(planned)
            assert "verify these, in order:\n1. " in text_of(planned), text_of(planned)

            wrong = await session.call_tool("predict", {"machine": "h200-sxn", "space": SPACE})
            assert wrong.is_error and "did you mean h200-sxm?" in text_of(wrong), text_of(wrong)

            submitted = await session.call_tool("verify", {"machine": "h100-sxm", "device": "opencl:0",
                                                           "candidate": PRODUCT, "repetitions": 5})
            assert not submitted.is_error, text_of(submitted)
            job = json.loads(text_of(submitted))["id"]
            for _ in range(600):
                status = json.loads(text_of(await session.call_tool("job", {"id": job})))
                if status["status"] in ("done", "failed"):
                    break
                await asyncio.sleep(0.2)
            assert status["status"] == "done", status
            [verification] = status["verifications"]
            assert verification["verdict"] == "pass", verification
            assert verification["median_s"] > 0


def test_an_agent_lists_predicts_plans_and_verifies_over_stdio():
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run_session(os.path.join(folder, "kernelcast.sqlite")))


async def run_http_session(url):
    from mcp.client.streamable_http import streamable_http_client
    async with streamable_http_client(url + "/mcp") as streams:
        read, write = streams[0], streams[1]
        async with ClientSession(read, write) as session:
            await session.initialize()
            names = {t.name for t in (await session.list_tools()).tools}
            assert "predict" in names and "bound" in names
            bound = await session.call_tool("bound", {"machine": "h200-sxm", "family": "gemm",
                                                      "problem": {"m": 4096, "n": 4096, "k": 4096, "dtype": "fp16"}})
            assert not bound.is_error
            assert text_of(bound) == "at least 138.9 us: 137.4 GFLOP at 989.5 TFLOP/s (matrix fp16)"


def test_an_agent_reaches_the_same_tools_over_streamable_http():
    import subprocess
    with tempfile.TemporaryDirectory() as folder:
        server = subprocess.Popen([BIN, "serve", "--port", "0", "--store", os.path.join(folder, "kc.sqlite")], cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            first = server.stdout.readline()
            assert first.startswith("kernelcast serve: listening on http://127.0.0.1:"), first
            asyncio.run(run_http_session(first.split(" on ")[1].strip()))
        finally:
            server.terminate()
            server.wait(timeout=10)
