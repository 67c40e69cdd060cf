import json
import os
import stat
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kernelcast import Client, KernelCastError
from kernelcast import client as client_module


class Handler(BaseHTTPRequestHandler):
    """A stand-in for `kernelcast serve`: records each request and answers from a small table."""

    requests = []
    token = None

    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self, method):
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        Handler.requests.append((method, self.path, body, dict(self.headers)))
        if Handler.token and self.headers.get("Authorization") != f"Bearer {Handler.token}":
            return self.answer(401, {"code": "unauthorized", "message": "no bearer token",
                                     "remedy": "send Authorization: Bearer TOKEN"})
        if self.path == "/v1/health":
            return self.answer(200, {"status": "ok", "version": "test"})
        if self.path == "/v1/machines":
            return self.answer(200, {"machines": [{"name": "h100-sxm"}, {"name": "h200-sxm"}]})
        if self.path.startswith("/v1/machines/"):
            name = self.path.rsplit("/", 1)[1]
            if name == "h900":
                return self.answer(404, {"code": "not_found", "message": "no machine named h900",
                                         "remedy": "GET /v1/machines lists the machines"})
            return self.answer(200, {"name": name})
        if self.path == "/v1/predict" and body and "schedules" in body:
            return self.answer(200, {"machine": body["machine"], "family": body["family"],
                                     "candidates": len(body["schedules"]), "feasible": len(body["schedules"]),
                                     "predictions": [{"index": i, "schedule": s, "feasible": True, "time_s": 1e-4}
                                                     for i, s in enumerate(body["schedules"])]})
        if self.path == "/v1/broken":
            data = b"<html>gateway</html>"
            self.send_response(502)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return None
        if self.path.startswith("/v1/jobs/"):
            return self.answer(200, {"id": self.path.rsplit("/", 1)[1], "status": "done", "verdicts": []})
        return self.answer(200, {"echo": body, "path": self.path})

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")


@pytest.fixture
def server():
    Handler.requests = []
    Handler.token = None
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("KERNELCAST_URL", "KERNELCAST_BIN", "KERNELCAST_TOKEN"):
        monkeypatch.delenv(name, raising=False)


SPACE = {"version": 1, "name": "s", "family": "gemm", "problem": {"m": 64, "n": 64, "k": 64, "dtype": "fp16"},
         "schedule": {"block_m": 64, "block_n": 64, "block_k": 32, "warps": 4, "stages": 2}}


def test_every_operation_goes_to_its_route(server):
    c = Client(url=server)
    assert c.mode == "http"
    assert c.health()["status"] == "ok"
    assert [m["name"] for m in c.machines()] == ["h100-sxm", "h200-sxm"]
    assert c.machine("h200-sxm") == {"name": "h200-sxm"}
    predictions = c.predict("h200-sxm", "gemm", SPACE["problem"], [{"block_m": 64}, {"block_m": 128}],
                            compiler={"registers_per_thread": 128})
    assert [p["index"] for p in predictions] == [0, 1]
    c.predict_space("h200-sxm", SPACE, top=3)
    c.plan("h200-sxm", SPACE, budget=4)
    c.explain("h200-sxm", "gemm", SPACE["problem"], {"block_m": 64})
    c.bound("h200-sxm", "gemm", SPACE["problem"])
    c.whatif("h200-sxm", SPACE, ["l2.bandwidth=x2"])
    c.compare(["h100-sxm", "h200-sxm"], SPACE)
    c.port(SPACE, "h100-sxm", "h200-sxm")
    c.fusion("h200-sxm", {"version": 1, "kind": "block"})
    c.submit_verify("opencl:0", "h200-sxm", SPACE)
    assert c.wait("job-1", timeout=5)["status"] == "done"
    c.record({"version": 1, "kind": "kernelcast-measurements"})
    c.refine("h200-sxm")
    seen = [(method, path, body) for method, path, body, _ in Handler.requests]
    assert seen == [
        ("GET", "/v1/health", None),
        ("GET", "/v1/machines", None),
        ("GET", "/v1/machines/h200-sxm", None),
        ("POST", "/v1/predict", {"machine": "h200-sxm", "family": "gemm", "problem": SPACE["problem"],
                                 "schedules": [{"block_m": 64}, {"block_m": 128}],
                                 "compiler": {"registers_per_thread": 128}}),
        ("POST", "/v1/predict", {"machine": "h200-sxm", "space": SPACE, "top": 3}),
        ("POST", "/v1/plan", {"machine": "h200-sxm", "space": SPACE, "budget": 4}),
        ("POST", "/v1/explain", {"machine": "h200-sxm", "family": "gemm", "problem": SPACE["problem"],
                                 "schedule": {"block_m": 64}}),
        ("POST", "/v1/bound", {"machine": "h200-sxm", "family": "gemm", "problem": SPACE["problem"]}),
        ("POST", "/v1/whatif", {"machine": "h200-sxm", "space": SPACE, "set": ["l2.bandwidth=x2"]}),
        ("POST", "/v1/compare", {"machines": ["h100-sxm", "h200-sxm"], "space": SPACE}),
        ("POST", "/v1/port", {"space": SPACE, "from": "h100-sxm", "to": "h200-sxm"}),
        ("POST", "/v1/fusion", {"machine": "h200-sxm", "block": {"version": 1, "kind": "block"}}),
        ("POST", "/v1/jobs", {"device": "opencl:0", "machine": "h200-sxm", "candidate": SPACE}),
        ("GET", "/v1/jobs/job-1", None),
        ("POST", "/v1/measurements", {"measurements": {"version": 1, "kind": "kernelcast-measurements"}}),
        ("POST", "/v1/refine", {"machine": "h200-sxm"}),
    ]
    post_headers = Handler.requests[3][3]
    assert post_headers["Content-Type"] == "application/json" and "Authorization" not in post_headers


def test_error_bodies_become_kernelcast_errors(server):
    c = Client(url=server)
    with pytest.raises(KernelCastError) as caught:
        c.machine("h900")
    error = caught.value
    assert (error.code, error.status) == ("not_found", 404)
    assert "h900" in error.message and error.remedy == "GET /v1/machines lists the machines"
    assert "h900" in str(error)
    with pytest.raises(KernelCastError) as caught:
        c._call("broken", "GET", "/v1/broken")
    assert caught.value.status == 502 and "gateway" in caught.value.message


def test_bearer_token_from_the_argument_or_the_environment(server, monkeypatch):
    Handler.token = "s3cret"
    with pytest.raises(KernelCastError) as caught:
        Client(url=server).health()
    assert caught.value.code == "unauthorized" and caught.value.status == 401
    assert Client(url=server, token="s3cret").health()["status"] == "ok"
    monkeypatch.setenv("KERNELCAST_TOKEN", "s3cret")
    assert Client(url=server).health()["status"] == "ok"
    assert Handler.requests[-1][3]["Authorization"] == "Bearer s3cret"


def test_url_from_the_environment_and_the_default_probe(server, monkeypatch):
    monkeypatch.setenv("KERNELCAST_URL", server + "/")
    assert Client().url == server
    monkeypatch.delenv("KERNELCAST_URL")
    monkeypatch.setattr(client_module, "DEFAULT_URL", server)
    c = Client(binary="/nonexistent/kernelcast")
    assert c.url == server and c.mode == "http"
    c = Client(binary="/nonexistent/kernelcast", probe=False)
    assert c.mode == "cli" and c.binary == "/nonexistent/kernelcast"


def test_a_server_too_slow_to_answer():
    import socket
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection, never answers
    try:
        with pytest.raises(KernelCastError) as caught:
            Client(url=f"http://127.0.0.1:{listener.getsockname()[1]}", timeout=0.2).health()
        assert caught.value.code == "timeout"
    finally:
        listener.close()


def test_unreachable_server():
    with pytest.raises(KernelCastError) as caught:
        Client(url="http://127.0.0.1:9", timeout=2).health()
    assert caught.value.code == "unreachable" and caught.value.status is None


def test_nothing_to_talk_to(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(client_module, "DEFAULT_URL", "http://127.0.0.1:9")
    with pytest.raises(KernelCastError) as caught:
        Client()
    assert caught.value.code == "unavailable" and "KERNELCAST_BIN" in caught.value.remedy


FAKE_CLI = """#!{python}
import json, sys
op = sys.argv[2]
assert sys.argv[1] == "api", sys.argv
request = json.load(sys.stdin)
if request.get("machine") == "h900" or request.get("name") == "h900":
    print(json.dumps({{"code": "not_found", "message": "no machine named h900", "remedy": "list them"}}))
    sys.exit(1)
if op == "crash":
    sys.stderr.write("Fatal error: something broke\\n")
    sys.exit(2)
if op == "predict":
    print(json.dumps({{"predictions": [{{"index": i, "schedule": s, "feasible": True, "time_s": 2e-4}}
                                       for i, s in enumerate(request["schedules"])]}}))
elif op == "machines":
    print(json.dumps({{"machines": [{{"name": "h200-sxm"}}]}}))
elif op == "verify":
    print(json.dumps({{"id": "j1", "status": "done", "verdicts": []}}))
else:
    print(json.dumps({{"op": op, "request": request}}))
"""


@pytest.fixture
def fake_cli(tmp_path):
    path = tmp_path / "kernelcast"
    path.write_text(FAKE_CLI.format(python=sys.executable))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_cli_fallback(fake_cli, monkeypatch):
    c = Client(binary=fake_cli, probe=False)
    assert c.mode == "cli"
    assert c.machines() == [{"name": "h200-sxm"}]
    assert c.machine("h200-sxm") == {"op": "machine", "request": {"name": "h200-sxm"}}
    assert c.health() == {"op": "health", "request": {}}
    assert c.predict("h200-sxm", "gemm", {"m": 1}, [{"block_m": 64}])[0]["time_s"] == 2e-4
    assert c.job("j9") == {"op": "job", "request": {"id": "j9"}}
    assert c.port(SPACE, "h100-sxm", "h200-sxm")["request"] == {"space": SPACE, "from": "h100-sxm", "to": "h200-sxm"}
    # the one-shot CLI may answer a finished job: wait() reads it without asking again
    assert c.submit_verify("opencl:0", "h200-sxm", SPACE)["status"] == "done"
    assert c.wait("j1", timeout=1)["id"] == "j1"
    monkeypatch.setenv("KERNELCAST_BIN", fake_cli)
    assert Client(probe=False).binary == fake_cli


def test_cli_errors(fake_cli):
    c = Client(binary=fake_cli, probe=False)
    with pytest.raises(KernelCastError) as caught:
        c.machine("h900")
    assert (caught.value.code, caught.value.status, caught.value.remedy) == ("not_found", 404, "list them")
    with pytest.raises(KernelCastError) as caught:
        c._call("crash", "POST", "/v1/crash", {})
    assert caught.value.code == "failed" and "something broke" in caught.value.message
    with pytest.raises(KernelCastError) as caught:
        Client(binary=os.devnull + "/missing", probe=False).health()
    assert caught.value.code == "unavailable"
