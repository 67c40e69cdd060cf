"""A thin client for KernelCast's API.

It speaks HTTP to a running ``kernelcast serve``, or, with no server, runs the one-shot CLI form
``kernelcast api OPERATION`` (request JSON on stdin, response JSON on stdout). Both carry the same JSON, so every
method below is one line naming the operation, its HTTP method and path, and its request body.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, List, Optional, Sequence

DEFAULT_URL = "http://127.0.0.1:8471"
PROBE_TIMEOUT_S = 0.3

# The HTTP status of each error code of the service, so that an error read from the CLI carries the same status.
_STATUS = {
    "bad_request": 400,
    "unauthorized": 401,
    "not_found": 404,
    "too_large": 413,
    "too_much_work": 422,
    "unprocessable": 422,
    "failed": 500,
}
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


class KernelCastError(Exception):
    """An error answered by KernelCast (``{code, message, remedy}``), or the reason it could not be reached.

    ``code`` is the service's code (``bad_request``, ``not_found``, ``unauthorized``, ``too_large``,
    ``too_much_work``, ``unprocessable``, ``failed``) or one of this client's own: ``unreachable`` (no answer),
    ``unavailable`` (neither a server nor a binary), ``timeout`` and ``bad_response``. ``status`` is the HTTP status
    (for an error read from the CLI, the status that goes with its code; ``None`` for the client's own codes).
    """

    def __init__(self, code: str, message: str, remedy: str = "", status: Optional[int] = None):
        self.code = code
        self.message = message
        self.remedy = remedy
        self.status = status
        super().__init__(f"{code}: {message}" + (f" ({remedy})" if remedy else ""))

    @classmethod
    def from_body(cls, body: Any, status: Optional[int]) -> "KernelCastError":
        """Builds the error from an error body: JSON ``{code, message, remedy}`` (also nested under ``error``)."""
        text = body.decode("utf-8", "replace") if isinstance(body, (bytes, bytearray)) else str(body or "")
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("error"), dict):
            data = data["error"]
        if not isinstance(data, dict):
            return cls("http_error" if status else "error", text.strip() or "no error body", "", status)
        code = str(data.get("code") or "error")
        return cls(code, str(data.get("message") or text.strip()), str(data.get("remedy") or ""),
                   status if status is not None else _STATUS.get(code))


def _opener(url: str) -> urllib.request.OpenerDirector:
    # A proxy from the environment must not take requests meant for this machine.
    host = urllib.parse.urlsplit(url).hostname or ""
    if host in _LOOPBACK:
        return urllib.request.build_opener(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener()


class Client:
    """KernelCast over HTTP or the CLI.

    Where it talks, in this order: ``url`` (or env ``KERNELCAST_URL``); a server answering
    ``GET /v1/health`` at ``http://127.0.0.1:8471`` within 0.3 s (skipped with ``probe=False``); the CLI
    ``kernelcast api OPERATION`` of ``binary`` (or env ``KERNELCAST_BIN``, or ``kernelcast`` on PATH), run in
    ``cwd``. With none of them, the constructor raises :class:`KernelCastError` (code ``unavailable``).

    ``token`` (or env ``KERNELCAST_TOKEN``) is sent as ``Authorization: Bearer TOKEN``. Every method returns the
    parsed JSON answer and raises :class:`KernelCastError` on an error answer.
    """

    def __init__(self, url: Optional[str] = None, binary: Optional[str] = None, timeout: float = 30,
                 token: Optional[str] = None, probe: bool = True, cwd: Optional[str] = None):
        self.timeout = timeout
        self.token = token if token is not None else (os.environ.get("KERNELCAST_TOKEN") or None)
        self.cwd = cwd
        self.url: Optional[str] = None
        self.binary: Optional[str] = None
        self._jobs: Dict[str, Any] = {}
        url = url or os.environ.get("KERNELCAST_URL") or None
        if url:
            self.url = url.rstrip("/")
        elif probe and self._answers(DEFAULT_URL):
            self.url = DEFAULT_URL
        else:
            found = binary or os.environ.get("KERNELCAST_BIN") or shutil.which("kernelcast")
            if not found:
                raise KernelCastError(
                    "unavailable", f"no KernelCast server answers at {DEFAULT_URL} and no kernelcast binary was found",
                    "start `kernelcast serve`, or set KERNELCAST_URL to a server, or KERNELCAST_BIN to the binary")
            self.binary = found

    @property
    def mode(self) -> str:
        """``"http"`` or ``"cli"``."""
        return "http" if self.url else "cli"

    def __repr__(self) -> str:
        return f"Client(url={self.url!r})" if self.url else f"Client(binary={self.binary!r})"

    # -- operations ------------------------------------------------------------------------------------------

    def health(self) -> Dict[str, Any]:
        return self._call("health", "GET", "/v1/health")

    def machines(self) -> List[Dict[str, Any]]:
        return self._call("machines", "GET", "/v1/machines")["machines"]

    def machine(self, name: str) -> Dict[str, Any]:
        return self._call("machine", "GET", f"/v1/machines/{_q(name)}", {"name": name})

    def predict(self, machine: str, family: str, problem: Dict[str, Any], schedules: Sequence[Dict[str, Any]],
                compiler: Optional[Dict[str, Any]] = None) -> List[Dict[str, Any]]:
        """Predictions for a batch of schedules of one problem, in input order (``feasible``, ``time_s``, ...)."""
        body = {"machine": machine, "family": family, "problem": problem, "schedules": list(schedules)}
        return self._call("predict", "POST", "/v1/predict", _with(body, compiler=compiler))["predictions"]

    def predict_space(self, machine: str, space: Dict[str, Any], top: int = 10) -> Dict[str, Any]:
        return self._call("predict", "POST", "/v1/predict", {"machine": machine, "space": space, "top": top})

    def plan(self, machine: str, space: Dict[str, Any], budget: int = 5) -> Dict[str, Any]:
        return self._call("plan", "POST", "/v1/plan", {"machine": machine, "space": space, "budget": budget})

    def explain(self, machine: str, family: str, problem: Dict[str, Any], schedule: Dict[str, Any]) -> Dict[str, Any]:
        body = {"machine": machine, "family": family, "problem": problem, "schedule": schedule}
        return self._call("explain", "POST", "/v1/explain", body)

    def bound(self, machine: str, family: str, problem: Dict[str, Any],
              schedule: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """The speed-of-light bound of a problem (the schedule is sent only when given)."""
        body = {"machine": machine, "family": family, "problem": problem}
        return self._call("bound", "POST", "/v1/bound", _with(body, schedule=schedule))

    def whatif(self, machine: str, space: Dict[str, Any], set: Sequence[str]) -> Dict[str, Any]:  # noqa: A002
        return self._call("whatif", "POST", "/v1/whatif", {"machine": machine, "space": space, "set": list(set)})

    def compare(self, machines: Sequence[str], space: Dict[str, Any]) -> Dict[str, Any]:
        return self._call("compare", "POST", "/v1/compare", {"machines": list(machines), "space": space})

    def port(self, space: Dict[str, Any], from_machine: str, to: str) -> Dict[str, Any]:
        return self._call("port", "POST", "/v1/port", {"space": space, "from": from_machine, "to": to})

    def fusion(self, machine: str, block: Dict[str, Any]) -> Dict[str, Any]:
        return self._call("fusion", "POST", "/v1/fusion", {"machine": machine, "block": block})

    def submit_verify(self, device: str, machine: str, candidate: Dict[str, Any]) -> Dict[str, Any]:
        """Submits candidates to the verifier; answers ``{"id": ...}`` (the CLI may answer the finished job)."""
        job = self._call("verify", "POST", "/v1/jobs", {"device": device, "machine": machine, "candidate": candidate})
        if self.mode == "cli" and isinstance(job, dict) and job.get("id") is not None and "status" in job:
            self._jobs[str(job["id"])] = job  # the one-shot CLI may run the job to the end before it answers
        return job

    def job(self, id: str) -> Dict[str, Any]:  # noqa: A002
        if self.mode == "cli" and str(id) in self._jobs and self._jobs[str(id)].get("status") in ("done", "failed"):
            return self._jobs[str(id)]
        return self._call("job", "GET", f"/v1/jobs/{_q(str(id))}", {"id": str(id)})

    def wait(self, id: str, timeout: float = 600, interval: float = 0.5) -> Dict[str, Any]:  # noqa: A002
        """Polls a job until its status is ``done`` or ``failed``; raises ``KernelCastError("timeout")`` after
        ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(id)
            if job.get("status") in ("done", "failed"):
                return job
            if time.monotonic() >= deadline:
                raise KernelCastError("timeout", f"job {id} is still {job.get('status')!r} after {timeout} s",
                                      "wait longer, or read it later with job(id)")
            time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
            interval = min(interval * 1.5, 5.0)

    def record(self, measurements: Dict[str, Any]) -> Dict[str, Any]:
        """Records a ``kernelcast-measurements`` file (a dict, e.g. from ``kernel_tuner.to_measurements``)."""
        return self._call("record", "POST", "/v1/measurements", {"measurements": measurements})

    def refine(self, machine: str) -> Dict[str, Any]:
        return self._call("refine", "POST", "/v1/refine", {"machine": machine})

    # -- transport ------------------------------------------------------------------------------------------

    def _call(self, op: str, method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Any:
        """One operation: over HTTP (``method path``, the body only for POST) or as ``kernelcast api op``."""
        return self._http(method, path, body) if self.url else self._cli(op, body or {})

    def _headers(self) -> Dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def _answers(self, url: str) -> bool:
        request = urllib.request.Request(url + "/v1/health", headers=self._headers())
        try:
            with _opener(url).open(request, timeout=PROBE_TIMEOUT_S) as response:
                return response.status == 200
        except (OSError, ValueError):
            return False

    def _http(self, method: str, path: str, body: Optional[Dict[str, Any]]) -> Any:
        assert self.url is not None
        headers = self._headers()
        data = None
        if method == "POST":
            data = json.dumps(body if body is not None else {}).encode("utf-8")
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with _opener(self.url).open(request, timeout=self.timeout) as response:
                text = response.read()
        except urllib.error.HTTPError as error:
            raise KernelCastError.from_body(error.read(), error.code) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            if isinstance(reason, TimeoutError) or isinstance(error, TimeoutError):
                raise KernelCastError("timeout", f"KernelCast at {self.url} took more than {self.timeout} s to answer "
                                      f"{method} {path}", "raise the client's timeout") from error
            raise KernelCastError("unreachable", f"KernelCast at {self.url} did not answer {method} {path}: {reason}",
                                  "start `kernelcast serve`, or check the URL") from error
        return _parse(text, f"{method} {path}")

    def _cli(self, op: str, body: Dict[str, Any]) -> Any:
        assert self.binary is not None
        command = [self.binary, "api", op]
        try:
            done = subprocess.run(command, input=json.dumps(body).encode("utf-8"), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, timeout=self.timeout, cwd=self.cwd)
        except subprocess.TimeoutExpired:
            raise KernelCastError("timeout", f"`{self.binary} api {op}` took more than {self.timeout} s",
                                  "raise the client's timeout") from None
        except OSError as error:
            raise KernelCastError("unavailable", f"cannot run {self.binary}: {error}",
                                  "set KERNELCAST_BIN to the kernelcast binary") from error
        if done.returncode != 0:
            for stream in (done.stdout, done.stderr):
                if stream.strip().startswith(b"{"):
                    raise KernelCastError.from_body(stream, None)
            text = (done.stderr or done.stdout).decode("utf-8", "replace").strip()
            raise KernelCastError("failed", f"`kernelcast api {op}` exited {done.returncode}: {text or 'no output'}",
                                  "see the message; `kernelcast api --help` lists the operations")
        return _parse(done.stdout, f"kernelcast api {op}")


def _parse(text: bytes, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        shown = text[:200].decode("utf-8", "replace")
        raise KernelCastError("bad_response", f"{what} answered something that is not JSON: {shown!r}", "") from None


def _q(segment: str) -> str:
    return urllib.parse.quote(segment, safe="")


def _with(body: Dict[str, Any], **optional: Any) -> Dict[str, Any]:
    body.update({key: value for key, value in optional.items() if value is not None})
    return body
