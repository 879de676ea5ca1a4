"""Test harness: the real gateway (node), a stdlib fake gateway with the same callback contract,
and a fault-injecting HTTP proxy.  Not a test module itself (no ``test`` prefix)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import threading
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import unittest
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import REPO

SERVER_TS = os.path.join(REPO, "src", "server.ts")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method: str, url: str, body: Any = None, token: Optional[str] = None,
         timeout: float = 10.0) -> Tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"} if data is not None else {}
    if token:
        headers["Authorization"] = "Bearer " + token
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, raw.decode("utf-8", "replace")


def node_available() -> bool:
    return shutil.which("node") is not None and os.path.isdir(os.path.join(REPO, "node_modules", "tsx"))


def real_gateway_reason() -> Optional[str]:
    """None when the real gateway can be started here, else why not."""
    if not os.path.exists(SERVER_TS):
        return "src/server.ts does not exist yet"
    if not node_available():
        return "node or node_modules/tsx missing"
    return None


class Gateway:
    """Common interface: start/stop on a fixed port and data dir, plus admin helpers."""

    name = "gateway"

    def __init__(self, data_dir: str, port: Optional[int] = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.admin_key = secrets.token_hex(24)
        self.url = "http://127.0.0.1:%d" % self.port
        self.write_key: Optional[str] = None

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            try:
                status, _ = http("GET", self.url + "/healthz", timeout=2)
                if status == 200:
                    return
                last = status
            except (OSError, urllib.error.URLError) as e:
                last = e
            self._check_alive()
            time.sleep(0.1)
        raise RuntimeError("%s did not become healthy on %s: %r" % (self.name, self.url, last))

    def _check_alive(self) -> None:
        pass

    def setup_project(self) -> None:
        s, p = http("POST", self.url + "/v1/projects", {"name": "p"}, self.admin_key)
        assert s in (200, 201), (s, p)
        s, k = http("POST", self.url + "/v1/projects/%s/keys" % p["id"], {"role": "write"}, self.admin_key)
        assert s in (200, 201), (s, k)
        self.write_key = k["key"]

    def create_run(self, name: str = "r") -> Tuple[str, str]:
        if self.write_key is None:
            self.setup_project()
        s, r = http("POST", self.url + "/v1/runs", {"name": name}, self.write_key)
        assert s in (200, 201), (s, r)
        return r["id"], r["token"]

    def metrics(self, run_id: str, key: str) -> List[Dict[str, Any]]:
        items: List[Dict[str, Any]] = []
        cursor: Optional[str] = None
        while True:
            q = {"key": key, "limit": "1000"}
            if cursor:
                q["cursor"] = cursor
            s, page = http("GET", "%s/v1/runs/%s/metrics?%s" % (self.url, run_id, urllib.parse.urlencode(q)),
                           token=self.write_key)
            assert s == 200, (s, page)
            items.extend(page["items"])
            cursor = page.get("nextCursor")
            if not cursor:
                return items

    def summary(self, run_id: str) -> Any:
        s, body = http("GET", "%s/v1/runs/%s/summary" % (self.url, run_id), token=self.write_key)
        assert s == 200, (s, body)
        return body


class RealGateway(Gateway):
    """``node --import tsx src/server.ts`` from the repo root."""

    name = "real gateway"

    def __init__(self, data_dir: str, port: Optional[int] = None) -> None:
        super().__init__(data_dir, port)
        self.proc: Optional[subprocess.Popen] = None
        self.log_path = os.path.join(data_dir, "..", "gateway-%d.log" % self.port)

    def start(self) -> None:
        env = dict(os.environ)
        env.update({"PORT": str(self.port), "HOST": "127.0.0.1", "TRACKGATE_DATA_DIR": self.data_dir,
                    "TRACKGATE_ADMIN_KEY": self.admin_key, "LOG_LEVEL": "warn"})
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(["node", "--import", "tsx", "src/server.ts"], cwd=REPO, env=env,
                                     stdout=self._log, stderr=subprocess.STDOUT)
        self.wait_healthy()

    def _check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            with open(self.log_path, "rb") as f:
                tail = f.read()[-3000:].decode("utf-8", "replace")
            raise RuntimeError("gateway exited with %s:\n%s" % (self.proc.returncode, tail))

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None
        self._log.close()


class FakeGateway(Gateway):
    """A stdlib stand-in implementing the callback contract (used to test the client's own logic
    while, or where, the real gateway is not available).  State persists in data_dir/fake.json."""

    name = "fake gateway"

    def __init__(self, data_dir: str, port: Optional[int] = None) -> None:
        super().__init__(data_dir, port)
        self.server: Optional[ThreadingHTTPServer] = None
        self.lock = threading.Lock()
        self.state: Dict[str, Any] = {}

    def _path(self) -> str:
        return os.path.join(self.data_dir, "fake.json")

    def _load(self) -> None:
        try:
            with open(self._path()) as f:
                self.state = json.load(f)
        except FileNotFoundError:
            self.state = {"projects": {}, "keys": {}, "runs": {}}

    def add_tuning(self, name: str, token: str, fail_first: int = 0) -> str:
        """A tuning job whose trials (named <name>-NNN-xxxxxxxx) can claim their runs."""
        tid = uuid.uuid4().hex
        with self.lock:
            self.state.setdefault("tunings", {})[tid] = {"name": name, "token": token, "fail_first": fail_first}
            self._save()
        return tid

    def _save(self) -> None:
        tmp = self._path() + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.state, f)
        os.replace(tmp, self._path())

    def start(self) -> None:
        os.makedirs(self.data_dir, exist_ok=True)
        self._load()
        gw = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a: Any) -> None:
                pass

            def _send(self, status: int, body: Any, headers: Optional[Dict[str, str]] = None) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(raw)

            def _err(self, status: int, code: str, msg: str) -> None:
                self._send(status, {"statusCode": status, "code": code, "error": "Error", "message": msg})

            def _auth(self) -> str:
                h = self.headers.get("Authorization", "")
                return h[7:] if h.startswith("Bearer ") else ""

            def do_GET(self) -> None:
                u = urllib.parse.urlparse(self.path)
                parts = u.path.strip("/").split("/")
                if u.path == "/healthz":
                    return self._send(200, {"ok": True})
                with gw.lock:
                    if len(parts) == 4 and parts[:2] == ["v1", "runs"]:
                        run = gw.state["runs"].get(parts[2])
                        if run is None or self._auth() not in gw.state["keys"]:
                            return self._err(404, "NOT_FOUND", "run not found")
                        if parts[3] == "metrics":
                            key = urllib.parse.parse_qs(u.query).get("key", [""])[0]
                            items = [m for m in run["metrics"] if m["key"] == key]
                            return self._send(200, {"items": items, "nextCursor": None})
                        if parts[3] == "summary":
                            last: Dict[str, Any] = {}
                            for m in run["metrics"]:
                                last[m["key"]] = m
                            return self._send(200, {"status": run["status"], "params": run["params"],
                                                    "tags": run["tags"], "metrics": last})
                return self._err(404, "NOT_FOUND", "no route")

            def do_POST(self) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(n) or b"{}")
                except ValueError:
                    return self._err(400, "BAD_JSON", "bad json")
                parts = self.path.strip("/").split("/")
                tok = self._auth()
                with gw.lock:
                    st = gw.state
                    if parts == ["v1", "projects"] and tok == gw.admin_key:
                        pid = uuid.uuid4().hex
                        st["projects"][pid] = body
                        gw._save()
                        return self._send(201, {"id": pid})
                    if len(parts) == 4 and parts[1] == "projects" and parts[3] == "keys":
                        key = "tgk_" + secrets.token_hex(16)
                        st["keys"][key] = parts[2]
                        gw._save()
                        return self._send(201, {"key": key})
                    if len(parts) == 4 and parts[1] == "tuning-jobs" and parts[3] == "claim":
                        tuning = st.setdefault("tunings", {}).get(parts[2])
                        if tuning is None:
                            return self._err(404, "TG_NOT_FOUND", "tuning job not found")
                        if tok != tuning["token"]:
                            return self._err(401, "TG_UNAUTHORIZED", "bad token")
                        name = body.get("trainingJobName", "")
                        if not name.startswith(tuning["name"] + "-"):
                            return self._err(403, "TG_FORBIDDEN", "%s is not a trial of %s" % (name, tuning["name"]))
                        claims = tuning.setdefault("claims", [])
                        claims.append(name)
                        if len(claims) <= tuning.get("fail_first", 0):
                            return self._err(503, "TG_STORE_BUSY", "busy")
                        rid = tuning.setdefault("runs", {}).get(name)
                        if rid is None:
                            rid = uuid.uuid4().hex
                            tuning["runs"][name] = rid
                            st["runs"][rid] = {"token": "", "metrics": [], "params": {}, "tags": {}, "batches": {}, "status": "RUNNING"}
                        token = "tgr_" + secrets.token_hex(16)
                        st["runs"][rid]["token"] = token
                        gw._save()
                        return self._send(200, {"runId": rid, "token": token})
                    if parts == ["v1", "runs"] and tok in st["keys"]:
                        rid = uuid.uuid4().hex
                        token = "tgr_" + secrets.token_hex(16)
                        st["runs"][rid] = {"token": token, "metrics": [], "params": {}, "tags": {},
                                           "batches": {}, "status": "RUNNING"}
                        gw._save()
                        return self._send(201, {"id": rid, "token": token})
                    if len(parts) == 4 and parts[:2] == ["v1", "runs"]:
                        run = st["runs"].get(parts[2])
                        if run is None:
                            return self._err(404, "NOT_FOUND", "run not found")
                        if tok != run["token"]:
                            return self._err(401, "UNAUTHORIZED", "bad token")
                        if parts[3] == "finish":
                            run["status"] = body.get("status")
                            gw._save()
                            return self._send(200, {"status": run["status"]})
                        if parts[3] == "log":
                            bid = body.get("batchId")
                            if not isinstance(bid, str) or not bid:
                                return self._err(400, "BAD_REQUEST", "batchId required")
                            if bid in run["batches"]:
                                return self._send(202, {"accepted": run["batches"][bid], "duplicate": True})
                            ms = body.get("metrics", [])
                            if len(ms) > 1000:
                                return self._err(413, "TOO_LARGE", "at most 1000 metrics")
                            for k, v in (body.get("params") or {}).items():
                                if k in run["params"] and run["params"][k] != v:
                                    return self._err(409, "TG_PARAM_CONFLICT", "param %s is already %s and params are immutable (got %s)"
                                                     % (json.dumps(k), json.dumps(run["params"][k]), json.dumps(v)))
                            for m in ms:
                                m.setdefault("timestamp", int(time.time() * 1000))
                            run["metrics"].extend(ms)
                            run["params"].update(body.get("params") or {})
                            run["tags"].update(body.get("tags") or {})
                            run["batches"][bid] = len(ms)
                            gw._save()
                            return self._send(202, {"accepted": len(ms), "duplicate": False})
                return self._err(404, "NOT_FOUND", "no route")

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), H)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.wait_healthy()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


Fault = Callable[[Dict[str, Any]], Optional[Tuple[str, int, Dict[str, str]]]]


class FaultProxy:
    """Forwards to ``upstream``; ``faults`` is a list of callables consulted per POST /log request
    (first match wins, then removed).  Each returns None (no fault) or (mode, status, headers):
    mode "reply" answers with status without forwarding; mode "after" forwards, lets the
    upstream commit, then answers with status (a lost response)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.faults: List[Fault] = []
        self.log: List[Dict[str, Any]] = []  # one entry per request to /log or /finish
        self.lock = threading.Lock()
        proxy = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a: Any) -> None:
                pass

            def _reply(self, status: int, raw: bytes, headers: Dict[str, str]) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _forward(self, method: str, body: Optional[bytes]) -> Tuple[int, bytes, Dict[str, str]]:
                headers = {k: v for k, v in self.headers.items() if k.lower() in ("authorization", "content-type")}
                req = urllib.request.Request(proxy.upstream + self.path, data=body, method=method, headers=headers)
                try:
                    with urllib.request.urlopen(req, timeout=30) as r:
                        return r.status, r.read(), dict(r.headers)
                except urllib.error.HTTPError as e:
                    return e.code, e.read(), dict(e.headers)

            def do_GET(self) -> None:
                s, raw, h = self._forward("GET", None)
                self._reply(s, raw, h)

            def do_POST(self) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = {}
                entry = {"t": time.monotonic(), "path": self.path, "batchId": body.get("batchId"),
                         "n": len(body.get("metrics", []) or []), "body": body}
                fault = None
                with proxy.lock:
                    for i, f in enumerate(proxy.faults):
                        fault = f(entry)
                        if fault is not None:
                            del proxy.faults[i]
                            break
                if fault is not None and fault[0] == "reply":
                    entry["status"] = fault[1]
                    err = json.dumps({"statusCode": fault[1], "code": "INJECTED", "error": "Injected",
                                      "message": "fault injected by test proxy"}).encode()
                    with proxy.lock:
                        proxy.log.append(entry)
                    return self._reply(fault[1], err, dict({"Content-Type": "application/json"}, **fault[2]))
                s, out, h = self._forward("POST", raw)
                entry["upstream_status"] = s
                try:
                    entry["response"] = json.loads(out)
                except ValueError:
                    entry["response"] = None
                if fault is not None and fault[0] == "after":
                    entry["status"] = fault[1]
                    with proxy.lock:
                        proxy.log.append(entry)
                    return self._reply(fault[1], b'{"statusCode":503,"code":"INJECTED","error":"x","message":"lost"}',
                                       dict({"Content-Type": "application/json"}, **fault[2]))
                entry["status"] = s
                with proxy.lock:
                    proxy.log.append(entry)
                self._reply(s, out, h)

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), H)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def requests(self, path_part: str = "/log") -> List[Dict[str, Any]]:
        with self.lock:
            return [e for e in self.log if path_part in e["path"]]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def first_log(mode: str, status: int, headers: Optional[Dict[str, str]] = None) -> Fault:
    """A fault for the next POST /log request."""
    def f(entry: Dict[str, Any]) -> Optional[Tuple[str, int, Dict[str, str]]]:
        if entry["path"].endswith("/log"):
            return (mode, status, headers or {})
        return None
    return f


def larger_than(n: int, status: int = 413) -> Fault:
    """Reject every /log body with more than n metrics (re-armed by the caller if needed)."""
    def f(entry: Dict[str, Any]) -> Optional[Tuple[str, int, Dict[str, str]]]:
        if entry["path"].endswith("/log") and entry["n"] > n:
            return ("reply", status, {})
        return None
    return f


class RealGatewayTestCase(unittest.TestCase):
    """A test class sharing one real gateway (node) in a temporary data dir: ``cls.gw``, ``cls.tmp``."""

    gw: "RealGateway"
    tmp: str

    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.mkdtemp(prefix="tg-real-gw-")
        data = os.path.join(cls.tmp, "data")
        os.makedirs(data)
        cls.gw = RealGateway(data)
        cls.gw.start()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.gw.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)
