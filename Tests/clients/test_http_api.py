"""The HTTP API through real clients: schemathesis against the committed OpenAPI document, and plain HTTP requests.

Needs KERNELCAST_BIN (the built kernelcast) and schemathesis; run from the repository root (.ci/run does).
"""

import json
import os
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request

import pytest

BIN = os.environ.get("KERNELCAST_BIN")
pytestmark = pytest.mark.skipif(not BIN or not os.access(BIN, os.X_OK), reason="KERNELCAST_BIN is not set")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def server():
    with tempfile.TemporaryDirectory() as folder:
        # The server answers from copies of the machines and their refinements: a request that writes a refinement
        # (schemathesis sends `write: true` too) writes into the copy, never into the repository.
        shutil.copytree(os.path.join(ROOT, "machines"), os.path.join(folder, "machines"))
        shutil.copytree(os.path.join(ROOT, "calibration", "results"), os.path.join(folder, "calibration", "results"))
        process = subprocess.Popen([BIN, "serve", "--port", "0", "--store", os.path.join(folder, "kc.sqlite"),
                                    "--machines-dir", os.path.join(folder, "machines")], cwd=ROOT,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            first = process.stdout.readline()
            assert first.startswith("kernelcast serve: listening on http://127.0.0.1:"), first + process.stderr.read()
            yield first.split(" on ")[1].strip()
        finally:
            process.terminate()
            process.wait(timeout=10)


def post(url, path, body):
    request = urllib.request.Request(url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_schemathesis_finds_nothing_wrong(server):
    # positive_data_acceptance is left out: the schema types each request's envelope, while a nested space, block or
    # measurement file follows the file formats' rules (docs/candidate-format.md), which say more than JSON Schema
    # can; such a body that breaks them gets a 400 naming the field, and schemathesis would call that a rejection.
    result = subprocess.run(["schemathesis", "run", os.path.join(ROOT, "docs/openapi.json"), "--url", server,
                             "--max-examples", "20", "--seed", "20261204", "--exclude-checks", "positive_data_acceptance", "--request-timeout", "120",
                             "--no-color"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_a_bad_request_is_answered_and_the_server_stays_up(server):
    status, answer = post(server, "/v1/plan", {"machine": "h200-sxm", "space": {"version": 1}})
    assert status == 400 and answer["code"] == "bad_request"
    assert answer["message"] == "request:1:34: error: space.name: missing required field"
    status, answer = post(server, "/v1/bound", {"machine": "h200-sxm", "family": "attention",
                                                "problem": {"batch": 4, "heads": 16, "seq_len": 2048, "head_dim": 64,
                                                            "causal": True, "dtype": "fp16"}})
    assert status == 200 and answer["limited_by"] == "compute"


def test_recorded_measurements_refine_the_model(server):
    with open(os.path.join(ROOT, "plans/examples/measured-h100.json")) as f:
        measurements = json.load(f)
    status, answer = post(server, "/v1/measurements", {"measurements": measurements})
    assert status == 200, answer
    assert answer["machine"] == "h100-sxm" and answer["spaces"] == len(measurements["spaces"])
    status, answer = post(server, "/v1/refine", {"machine": "h100-sxm"})
    assert status == 200, answer
    assert any("recorded measurements #%d" % 1 in source for source in answer["sources"]), answer["sources"]
    assert answer["written"] is None
