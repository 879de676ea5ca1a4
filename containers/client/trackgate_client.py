"""trackgate callback client: standard library only, Python >= 3.8.

Sends metrics, params and tags from a training container to the trackgate
gateway (``POST {TRACKGATE_URL}/v1/runs/{TRACKGATE_RUN_ID}/log``) without
slowing the training loop down and without ever raising because the gateway
is down.

    from trackgate_client import TrackgateClient
    tg = TrackgateClient()                 # reads TRACKGATE_URL/RUN_ID/TOKEN
    tg.log_params({"lr": 1e-3})
    for step in ...:
        tg.log({"train/loss": loss}, step=step)
    tg.finish("FINISHED")                  # flushes, then marks the run finished

or the module-level functions (``log``, ``log_params``, ``set_tags``,
``finish``, ``flush``, ``close``) that use one default client.

Design
------
* ``log()`` converts values with ``float()`` and extends a ``collections.deque``
  (atomic under the GIL, no lock: a SIGTERM handler running on the main thread
  can therefore never deadlock against an interrupted ``log()``).
* A daemon thread cuts the queue into batches (``batch_size`` points, or
  whatever is there every ``flush_interval`` seconds).  Each batch gets a uuid4
  ``batchId`` once; every retry and every replay re-sends the same id, so the
  gateway stores it once.  Batches are sent one at a time, in order.
* Failures: 429/503 back off at least ``Retry-After``; 5xx, timeouts and
  connection errors back off exponentially with jitter, without a retry limit
  while the process lives; 413 (and 400 on a multi-point batch) split the
  batch in two (derived ids ``<id>.0``/``<id>.1``, deterministic, so replays
  stay idempotent); 400 on a single point is dropped with a warning; 409 drops
  the params of the batch and resends the rest; 401/403/404 stop the client
  (warned once).
* As soon as a send fails transiently, every unsent batch is written to a
  JSONL spool (``{"batch": ...}`` lines, ``{"ack": id}`` once delivered,
  ``{"finish": ...}`` for a pending finish).  The spool is replayed in order
  when the gateway answers again, and on the next start of a process with the
  same run id.  It is deleted once everything in it has been delivered.
* At exit (``atexit``) and on SIGTERM the client flushes with a bounded
  timeout; anything still undelivered stays in the spool.
"""

from __future__ import annotations

import atexit
import collections
import email.utils
import json
import logging
import math
import os
import random
import re
import signal
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any, Deque, Dict, List, Mapping, Optional, Tuple

try:  # POSIX only; without it two processes could share a spool file
    import fcntl  # type: ignore
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore

__all__ = [
    "TrackgateClient",
    "get_client",
    "init",
    "log",
    "log_params",
    "set_tags",
    "finish",
    "flush",
    "close",
]

__version__ = "0.1.0"

logger = logging.getLogger("trackgate.client")

KEY_RE = re.compile(r"^[A-Za-z0-9_\-./ :]{1,250}$")
MAX_PARAM_VALUE = 6000
MAX_PARAM_DEPTH = 5
_CONFLICT_RE = re.compile(r'\bparam ("(?:[^"\\]|\\.)*") is already')
MAX_METRICS_PER_REQUEST = 1000
FINISH_STATUSES = ("FINISHED", "FAILED", "KILLED")

_warned_disabled = False
_warn_lock = threading.Lock()


def _ensure_log_handler() -> None:
    """Make warnings visible on stderr even if the application configured no logging."""
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()  # stderr
        handler.setFormatter(logging.Formatter("[trackgate-client] %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        return default


def encode_value(v: float) -> Any:
    """JSON value for a metric: finite floats as numbers, NaN/+-Inf as the strings the API expects."""
    if math.isfinite(v):
        return v
    if v != v:
        return "NaN"
    return "Infinity" if v > 0 else "-Infinity"


def parse_retry_after(value: Optional[str], now: Optional[float] = None) -> Optional[float]:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        secs = float(value)
        return max(0.0, secs) if math.isfinite(secs) else None
    except ValueError:
        pass
    try:
        dt = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if dt is None:
        return None
    return max(0.0, dt.timestamp() - (time.time() if now is None else now))


class _Item:
    """One queued request: a log batch or a finish call."""

    __slots__ = ("kind", "id", "body", "spooled", "ack", "attempts")

    def __init__(self, kind: str, item_id: str, body: Dict[str, Any], spooled: bool = False,
                 ack: Optional[str] = None) -> None:
        self.kind = kind  # "batch" | "finish"
        self.id = item_id
        self.body = body
        self.spooled = spooled
        # spool id to acknowledge once this item is done (None for the first half of a split)
        self.ack = ack
        self.attempts = 0


class _Response:
    __slots__ = ("status", "headers", "body", "error")

    def __init__(self, status: int, headers: Mapping[str, str], body: bytes, error: Optional[str] = None):
        self.status = status  # 0 = no HTTP answer (connection error / timeout)
        self.headers = headers
        self.body = body
        self.error = error


class TrackgateClient:
    """Batched, retrying, spooling metric client.  Thread-safe; ``log()`` never raises."""

    def __init__(
        self,
        url: Optional[str] = None,
        run_id: Optional[str] = None,
        token: Optional[str] = None,
        *,
        batch_size: int = 500,
        flush_interval: float = 1.0,
        request_timeout: float = 10.0,
        spool_path: Optional[str] = None,
        close_timeout: Optional[float] = None,
        sigterm_timeout: Optional[float] = None,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        install_handlers: bool = True,
    ) -> None:
        _ensure_log_handler()
        self.url = (url if url is not None else os.environ.get("TRACKGATE_URL", "")).rstrip("/")
        self.run_id = run_id if run_id is not None else os.environ.get("TRACKGATE_RUN_ID", "")
        self._token = token if token is not None else os.environ.get("TRACKGATE_TOKEN", "")
        self.batch_size = max(1, min(int(batch_size), MAX_METRICS_PER_REQUEST))
        self.flush_interval = max(0.01, float(flush_interval))
        self.request_timeout = float(request_timeout)
        self.close_timeout = (float(close_timeout) if close_timeout is not None
                              else _env_float("TRACKGATE_CLOSE_TIMEOUT", 10.0))
        self.sigterm_timeout = (float(sigterm_timeout) if sigterm_timeout is not None
                                else _env_float("TRACKGATE_SIGTERM_TIMEOUT", 5.0))
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        if self.url and not (self.run_id and self._token) and os.environ.get("TRACKGATE_TUNING_TOKEN"):
            claimed = claim_trial_run(self.url, _env_float("TRACKGATE_CLAIM_TIMEOUT", 120.0))
            if claimed is not None:
                self.run_id, self._token = claimed
        self.enabled = bool(self.url and self.run_id and self._token)
        self._pid = os.getpid()
        self._closed = False
        self.stats = {"requests": 0, "batches_sent": 0, "points_sent": 0, "retries": 0,
                      "dropped_points": 0, "spooled_batches": 0, "replayed_batches": 0}

        if not self.enabled:
            global _warned_disabled
            with _warn_lock:
                if not _warned_disabled:
                    _warned_disabled = True
                    missing = [n for n, v in (("TRACKGATE_URL", self.url), ("TRACKGATE_RUN_ID", self.run_id),
                                              ("TRACKGATE_TOKEN", self._token)) if not v]
                    logger.warning("trackgate disabled (%s not set): metrics are not sent", ", ".join(missing))
            return

        # producer side: one deque of ("m", key, value, step, ts) / ("p", dict) / ("t", dict)
        self._pending: Deque[Tuple[Any, ...]] = collections.deque()
        # consumer side (background thread only, except at start-up and after it stopped)
        self._queue: Deque[_Item] = collections.deque()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._force = False
        self._flush_tickets: Deque[threading.Event] = collections.deque()
        self._failing = False
        self._disabled_reason: Optional[str] = None
        self._next_attempt_at = 0.0
        self._deadline: Optional[float] = None
        self._valid_keys: Dict[str, bool] = {}
        self._warned_keys: set = set()
        self._last_form = time.monotonic()

        self._spool_lock_fd: Optional[int] = None
        self.spool_path = self._choose_spool_path(spool_path)
        self._load_spool()

        self._thread = threading.Thread(target=self._run, name="trackgate-client", daemon=True)
        self._thread.start()
        atexit.register(self._atexit)
        if install_handlers:
            self._install_sigterm()

    # ------------------------------------------------------------------ public API

    def log(self, metrics: Mapping[str, Any], step: int, timestamp_ms: Optional[int] = None) -> None:
        """Queue metrics for ``step``.  Values go through ``float()`` (numpy/torch scalars ok)."""
        if not self.enabled or self._closed or self._disabled_reason or os.getpid() != self._pid:
            return
        ts = int(time.time() * 1000) if timestamp_ms is None else int(timestamp_ms)
        try:
            step = int(step)
            pts = [("m", k, float(v), step, ts) for k, v in metrics.items()]
        except (TypeError, ValueError, AttributeError):
            pts = []
            for k, v in getattr(metrics, "items", lambda: [])():
                try:
                    pts.append(("m", k, float(v), int(step), ts))
                except (TypeError, ValueError):
                    self._warn_key(str(k), "value %r is not a number; dropped" % (type(v).__name__,))
        self._pending.extend(pts)
        if len(self._pending) >= self.batch_size:
            self._wake.set()

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Queue run params, typed: str, int, float, bool, None, lists/tuples and dicts of these
        (numpy/torch scalars via ``.item()``).  Immutable once set on the gateway."""
        if not self.enabled or self._closed or os.getpid() != self._pid:
            return
        self._pending.append(("p", {str(k): param_value(v) for k, v in params.items()}))

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        """Queue run tags (values are stringified)."""
        if not self.enabled or self._closed or os.getpid() != self._pid:
            return
        self._pending.append(("t", {str(k): _stringify(v) for k, v in tags.items()}))

    def flush(self, timeout: Optional[float] = None) -> bool:
        """Send everything queued so far; wait at most ``timeout`` seconds.

        Returns True when everything was delivered (or the client is a no-op).
        What could not be delivered stays queued (and spooled if the gateway is failing).
        """
        if not self.enabled or os.getpid() != self._pid:
            return True
        if timeout is None:
            timeout = self.close_timeout
        tb_deadline = time.monotonic() + timeout
        tb_ok = all([t.sync(timeout) for t in getattr(self, "_tb_tailers", [])])
        timeout = max(0.0, tb_deadline - time.monotonic())
        if not self._thread.is_alive():
            return self._drain_inline(time.monotonic() + timeout) and tb_ok
        ticket = threading.Event()
        self._flush_tickets.append(ticket)
        self._force = True
        self._wake.set()
        return ticket.wait(timeout) and tb_ok

    def finish(self, status: str = "FINISHED", timeout: Optional[float] = None) -> bool:
        """Flush, then mark the run finished (``FINISHED``, ``FAILED`` or ``KILLED``)."""
        if not self.enabled or os.getpid() != self._pid:
            return True
        status = str(status).upper()
        if status not in FINISH_STATUSES:
            logger.warning("finish status %r is not one of %s; using FAILED", status, FINISH_STATUSES)
            status = "FAILED"
        self._pending.append(("f", status))
        return self.flush(timeout)

    def close(self, timeout: Optional[float] = None) -> bool:
        """Flush (bounded), stop the sender thread and spool whatever is left.  Idempotent."""
        if not self.enabled or self._closed or os.getpid() != self._pid:
            return True
        if timeout is None:
            timeout = self.close_timeout
        deadline = time.monotonic() + timeout
        self._deadline = deadline
        ok = self.flush(max(0.0, deadline - time.monotonic()))
        for tailer in getattr(self, "_tb_tailers", []):
            ok = tailer.stop(max(0.1, deadline - time.monotonic())) and ok
        self._closed = True
        self._stop.set()
        self._wake.set()
        self._thread.join(max(0.1, deadline - time.monotonic()) + self.request_timeout)
        if not self._thread.is_alive():
            # the sender is gone: whatever is left must be on disk for the next start
            self._form_batches(force=True)
            if self._queue:
                self._spool_all()
                logger.warning("gateway not reachable at close: %d request(s) left in spool %s",
                               len(self._queue), self.spool_path)
            self._release_spool_lock()
        return ok

    def tail_tensorboard(self, logdir: str, interval: float = 1.0) -> Optional["_TensorboardTailer"]:
        """Follow the SummaryWriter event files under ``logdir`` (new files, runs in subdirectories,
        rotation) and upload their new bytes every ``interval`` seconds from a daemon thread.
        ``flush()`` and ``close()`` upload what is complete on disk.  None when the client is a no-op."""
        if not self.enabled or self._closed:
            return None
        tailer = _TensorboardTailer(self, logdir, interval)
        self._tb_tailers = getattr(self, "_tb_tailers", []) + [tailer]
        return tailer

    @property
    def pending(self) -> int:
        """Points not yet cut into a batch plus queued requests (for tests and benchmarks)."""
        if not self.enabled:
            return 0
        return len(self._pending) + len(self._queue)

    # ------------------------------------------------------------------ signals and exit

    def _install_sigterm(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        try:
            previous = signal.getsignal(signal.SIGTERM)
        except (ValueError, AttributeError):  # pragma: no cover
            return

        def handler(signum: int, frame: Any) -> None:
            if os.getpid() == self._pid and not self._closed:
                try:
                    self.flush(self.sigterm_timeout)
                    if self._failing or self._queue:
                        self._spool_all_from_signal()
                except Exception:  # never let the flush break the chain
                    logger.exception("flush on SIGTERM failed")
            if callable(previous):
                previous(signum, frame)
            elif previous == signal.SIG_IGN:
                return
            else:  # SIG_DFL (or unknown): die by the signal as we would have
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                os.kill(os.getpid(), signal.SIGTERM)

        try:
            signal.signal(signal.SIGTERM, handler)
        except ValueError:  # pragma: no cover - not the main thread of the main interpreter
            pass

    def _spool_all_from_signal(self) -> None:
        # the sender thread may be blocked in a request; spooling what is queued is still safe
        # because replays are idempotent (same batchId).
        self._spool_all()

    def _atexit(self) -> None:
        try:
            self.close()
        except Exception:  # pragma: no cover
            logger.exception("trackgate close at exit failed")

    # ------------------------------------------------------------------ background thread

    def _run(self) -> None:
        while True:
            now = time.monotonic()
            waits = [self.flush_interval - (now - self._last_form)]
            if self._queue and not self._disabled_reason:
                waits.append(self._next_attempt_at - now)
            timeout = max(0.0, min(waits))
            if timeout > 0:
                self._wake.wait(timeout)
            self._wake.clear()
            if self._disabled_reason:
                self._pending.clear()
            try:
                force = self._force
                self._force = False
                self._form_batches(force=force)
                self._send_ready()
            except Exception:  # keep the thread alive whatever happens
                logger.exception("trackgate sender error")
                self._next_attempt_at = time.monotonic() + 1.0
            if not self._pending and (not self._queue or self._disabled_reason):
                while self._flush_tickets:
                    self._flush_tickets.popleft().set()
            if self._stop.is_set():
                return
            if self._deadline is not None and time.monotonic() >= self._deadline and not self._queue:
                return

    def _form_batches(self, force: bool) -> None:
        now = time.monotonic()
        due = force or (now - self._last_form) >= self.flush_interval
        if not due and len(self._pending) < self.batch_size:
            return
        self._last_form = now
        while self._pending:
            if not due and len(self._pending) < self.batch_size:
                break
            metrics: List[Dict[str, Any]] = []
            params: Dict[str, str] = {}
            tags: Dict[str, str] = {}
            finish: Optional[str] = None
            while self._pending and len(metrics) < self.batch_size:
                entry = self._pending[0]
                kind = entry[0]
                if kind == "f":
                    if metrics or params or tags:
                        break  # finish goes after the batch it follows
                    self._pending.popleft()
                    finish = entry[1]
                    break
                self._pending.popleft()
                if kind == "m":
                    _, key, value, step, ts = entry
                    if self._key_ok(key):
                        metrics.append({"key": key, "value": encode_value(value), "step": step,
                                        "timestamp": ts})
                    else:
                        self.stats["dropped_points"] += 1
                elif kind == "p":
                    for k, v in entry[1].items():
                        if not self._key_ok(k):
                            continue
                        if isinstance(v, str):
                            if len(v) > MAX_PARAM_VALUE:
                                self._warn_key(k, "param value longer than %d chars; truncated" % MAX_PARAM_VALUE)
                                v = v[:MAX_PARAM_VALUE]
                        elif _depth(v) > MAX_PARAM_DEPTH or len(json.dumps(v)) > MAX_PARAM_VALUE:
                            self._warn_key(k, "param value nests deeper than %d levels or is longer than %d "
                                              "chars as JSON; dropped" % (MAX_PARAM_DEPTH, MAX_PARAM_VALUE))
                            continue
                        params[k] = v
                elif kind == "t":
                    for k, v in entry[1].items():
                        if self._key_ok(k):
                            tags[k] = v[:MAX_PARAM_VALUE]
            if metrics or params or tags:
                body: Dict[str, Any] = {"batchId": str(uuid.uuid4()), "metrics": metrics}
                if params:
                    body["params"] = params
                if tags:
                    body["tags"] = tags
                self._enqueue(_Item("batch", body["batchId"], body))
            if finish is not None:
                fid = str(uuid.uuid4())
                self._enqueue(_Item("finish", fid, {"status": finish}))

    def _enqueue(self, item: _Item) -> None:
        item.ack = item.id
        self._queue.append(item)
        if self._failing:
            self._spool_item(item)

    def _send_ready(self) -> None:
        while self._queue and not self._disabled_reason:
            if time.monotonic() < self._next_attempt_at:
                return
            item = self._queue[0]
            resp = self._send(item)
            self._handle(item, resp)
            if self._failing and self._queue and self._queue[0] is item:
                return  # backing off

    def _send(self, item: _Item) -> _Response:
        if item.kind == "batch":
            path = "/v1/runs/%s/log" % urllib.parse.quote(self.run_id, safe="")
        else:
            path = "/v1/runs/%s/finish" % urllib.parse.quote(self.run_id, safe="")
        data = json.dumps(item.body, allow_nan=False, separators=(",", ":")).encode("utf-8")
        timeout = self.request_timeout
        if self._deadline is not None:
            timeout = max(0.2, min(timeout, self._deadline - time.monotonic()))
        req = urllib.request.Request(self.url + path, data=data, method="POST", headers={
            "Content-Type": "application/json",
            "Authorization": "Bearer " + self._token,
            "User-Agent": "trackgate-client-python/" + __version__,
        })
        self.stats["requests"] += 1
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310 - URL from config
                return _Response(r.status, r.headers, r.read())
        except urllib.error.HTTPError as e:
            try:
                body = e.read()
            except Exception:
                body = b""
            return _Response(e.code, e.headers or {}, body)
        except (urllib.error.URLError, OSError, ValueError) as e:
            reason = getattr(e, "reason", e)
            return _Response(0, {}, b"", error="%s: %s" % (type(e).__name__, reason))

    def _handle(self, item: _Item, resp: _Response) -> None:
        s = resp.status
        if 200 <= s < 300:
            self._done(item)
            if item.kind == "batch":
                self.stats["batches_sent"] += 1
                self.stats["points_sent"] += len(item.body.get("metrics", ()))
            return
        msg = _error_message(resp)
        if item.kind == "finish" and s == 409:
            self._done(item)  # already finished
            return
        if s in (401, 403, 404):
            self._disabled_reason = "HTTP %d" % s
            logger.warning("gateway answered %d (%s): token wrong/expired or run unknown; "
                           "no more metrics are sent for run %s", s, msg, self.run_id)
            self._queue.clear()
            self._release_spool_lock()
            return
        if item.kind == "batch" and (s == 413 or (s == 400 and len(item.body["metrics"]) > 1)):
            self._split(item)
            return
        if item.kind == "batch" and s == 409 and "params" in item.body:
            # Params are immutable: drop the one the gateway names (else all of them), keep the rest.
            m = _CONFLICT_RE.search(msg or "")
            key = json.loads(m.group(1)) if m else None
            body = dict(item.body)
            rest = {k: v for k, v in body["params"].items() if k != key} if key in body["params"] else {}
            logger.warning("gateway refused a changed param (%s); resending the batch without %s", msg,
                           "param %r" % key if rest else "its params")
            if rest:
                body["params"] = rest
            else:
                del body["params"]
            body["batchId"] = item.id + ".np"
            repl = _Item("batch", body["batchId"], body, spooled=item.spooled, ack=item.ack)
            self._queue[0] = repl
            return
        if s in (400, 409, 413, 422) or (400 <= s < 500 and s not in (408, 425, 429)):
            n = len(item.body.get("metrics", ())) if item.kind == "batch" else 0
            self.stats["dropped_points"] += n
            logger.warning("gateway rejected %s %s with %d (%s); dropped %d point(s)",
                           item.kind, item.id, s, msg, n)
            self._done(item)
            return
        # transient: 408/425/429/5xx/connection error/timeout
        item.attempts += 1
        self.stats["retries"] += 1
        delay = min(self.backoff_max, self.backoff_base * (2 ** min(item.attempts - 1, 16)))
        delay = delay * (0.5 + random.random() * 0.5)
        ra = parse_retry_after(_header(resp.headers, "Retry-After"))
        if ra is not None and s in (429, 503):
            delay = max(delay, ra)
        self._next_attempt_at = time.monotonic() + delay
        if not self._failing:
            logger.warning("gateway not accepting (%s); retrying with back-off, spooling to %s",
                           ("HTTP %d" % s) if s else resp.error, self.spool_path)
        self._failing = True
        self._spool_all()

    def _split(self, item: _Item) -> None:
        metrics = item.body["metrics"]
        if len(metrics) <= 1:
            self.stats["dropped_points"] += len(metrics)
            logger.warning("gateway rejected a single-point batch as too large; dropped")
            self._done(item)
            return
        half = len(metrics) // 2
        a = dict(item.body)
        b = {"metrics": metrics[half:]}
        a["metrics"] = metrics[:half]
        a["batchId"] = item.id + ".0"
        b["batchId"] = item.id + ".1"
        first = _Item("batch", a["batchId"], a, spooled=item.spooled, ack=None)
        second = _Item("batch", b["batchId"], b, spooled=item.spooled, ack=item.ack)
        self._queue.popleft()
        self._queue.appendleft(second)
        self._queue.appendleft(first)

    def _done(self, item: _Item) -> None:
        if self._queue and self._queue[0] is item:
            self._queue.popleft()
        if item.spooled and item.ack:
            self._spool_write({"ack": item.ack})
        if not self._queue:
            if self._failing:
                logger.info("gateway reachable again; spool delivered")
            self._failing = False
            self._remove_spool()
        self._next_attempt_at = 0.0

    def _drain_inline(self, deadline: float) -> bool:
        """Flush without the sender thread (it is gone): one pass, bounded by ``deadline``."""
        self._deadline = deadline
        self._form_batches(force=True)
        while self._queue and time.monotonic() < deadline and not self._disabled_reason:
            wait = self._next_attempt_at - time.monotonic()
            if wait > 0:
                if time.monotonic() + wait >= deadline:
                    break
                time.sleep(wait)
            self._send_ready()
        if self._queue:
            self._spool_all()
        return not self._queue

    # ------------------------------------------------------------------ validation

    def _key_ok(self, key: Any) -> bool:
        ok = self._valid_keys.get(key)
        if ok is None:
            ok = isinstance(key, str) and KEY_RE.match(key) is not None
            if len(self._valid_keys) < 100000:
                self._valid_keys[key] = ok
            if not ok:
                self._warn_key(str(key), "key does not match %s; dropped" % KEY_RE.pattern)
        return ok

    def _warn_key(self, key: str, what: str) -> None:
        if key not in self._warned_keys:
            self._warned_keys.add(key)
            logger.warning("%r: %s", key[:300], what)

    # ------------------------------------------------------------------ spool

    def _choose_spool_path(self, spool_path: Optional[str]) -> str:
        if spool_path is None:
            spool_path = os.environ.get("TRACKGATE_SPOOL_PATH") or None
        if spool_path is None:
            base = os.environ.get("TRACKGATE_SPOOL_DIR") or os.path.join(tempfile.gettempdir(), "trackgate-spool")
            safe = re.sub(r"[^A-Za-z0-9_.-]", "_", self.run_id)[:200] or "run"
            spool_path = os.path.join(base, safe + ".jsonl")
        try:
            os.makedirs(os.path.dirname(os.path.abspath(spool_path)), exist_ok=True)
        except OSError as e:
            logger.warning("cannot create spool directory for %s: %s", spool_path, e)
        if fcntl is not None:
            try:
                fd = os.open(spool_path + ".lock", os.O_CREAT | os.O_RDWR, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    self._spool_lock_fd = fd
                except OSError:
                    os.close(fd)
                    alt = "%s.%d.jsonl" % (spool_path[:-6] if spool_path.endswith(".jsonl") else spool_path,
                                           os.getpid())
                    logger.warning("spool %s is in use by another process; this process spools to %s "
                                   "(not replayed automatically)", spool_path, alt)
                    return alt
            except OSError:
                pass
        return spool_path

    def _release_spool_lock(self) -> None:
        fd, self._spool_lock_fd = self._spool_lock_fd, None
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass

    def _load_spool(self) -> None:
        try:
            with open(self.spool_path, "r", encoding="utf-8") as f:
                lines = f.readlines()
        except FileNotFoundError:
            return
        except OSError as e:
            logger.warning("cannot read spool %s: %s", self.spool_path, e)
            return
        items: "collections.OrderedDict[str, _Item]" = collections.OrderedDict()
        for n, line in enumerate(lines):
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                logger.warning("spool %s line %d is damaged; skipped", self.spool_path, n + 1)
                continue
            if "ack" in rec:
                items.pop(rec["ack"], None)
            elif "batch" in rec:
                body = rec["batch"]
                items[body["batchId"]] = _Item("batch", body["batchId"], body, spooled=True, ack=body["batchId"])
            elif "finish" in rec:
                fid = rec.get("id") or str(uuid.uuid4())
                items[fid] = _Item("finish", fid, {"status": rec["finish"]}, spooled=True, ack=fid)
        if not items:
            self._remove_spool()
            return
        self._queue.extend(items.values())
        self.stats["replayed_batches"] = len(items)
        self._failing = True  # keep appending to the spool until it is delivered
        logger.info("replaying %d spooled request(s) from %s", len(items), self.spool_path)

    def _spool_item(self, item: _Item) -> None:
        if item.spooled:
            return
        if item.kind == "batch":
            rec: Dict[str, Any] = {"batch": item.body}
        else:
            rec = {"finish": item.body["status"], "id": item.id}
        if self._spool_write(rec):
            item.spooled = True
            self.stats["spooled_batches"] += 1

    def _spool_all(self) -> None:
        for item in list(self._queue):
            if not item.spooled:
                # (a half of a split batch that was never spooled as a whole is spooled on its own)
                item.ack = item.id
                self._spool_item(item)

    def _spool_write(self, rec: Dict[str, Any]) -> bool:
        try:
            with open(self.spool_path, "a", encoding="utf-8") as f:
                f.write(json.dumps(rec, allow_nan=False, separators=(",", ":")) + "\n")
                f.flush()
                os.fsync(f.fileno())
            return True
        except OSError as e:
            logger.warning("cannot write spool %s: %s", self.spool_path, e)
            return False

    def _remove_spool(self) -> None:
        try:
            os.remove(self.spool_path)
        except FileNotFoundError:
            pass
        except OSError as e:
            logger.warning("cannot remove spool %s: %s", self.spool_path, e)


ParamValue = Any  # str | int | float | bool | None | List[ParamValue] | Dict[str, ParamValue]


def param_value(v: Any) -> ParamValue:
    """A param as the gateway types it (JSON).  NaN/Infinity become the strings metric values use;
    tuples become lists, dict keys strings; numpy/torch scalars their Python value; anything else
    its ``str()``."""
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else encode_value(v)
    if isinstance(v, (list, tuple)):
        return [param_value(x) for x in v]
    if isinstance(v, Mapping):
        return {str(k): param_value(x) for k, x in v.items()}
    item = getattr(v, "item", None)
    if callable(item):
        try:
            return param_value(item())
        except (TypeError, ValueError):
            pass
    return str(v)


def _depth(v: ParamValue) -> int:
    if isinstance(v, list):
        return 1 + max((_depth(x) for x in v), default=0)
    if isinstance(v, dict):
        return 1 + max((_depth(x) for x in v.values()), default=0)
    return 0


def training_job_name() -> str:
    """This container's SageMaker training job name: TRAINING_JOB_NAME, else SM_TRAINING_ENV's job_name."""
    name = os.environ.get("TRAINING_JOB_NAME", "")
    if name:
        return name
    try:
        return str(json.loads(os.environ.get("SM_TRAINING_ENV", "{}")).get("job_name") or "")
    except ValueError:
        return ""


def claim_trial_run(url: str, timeout: float) -> Optional[Tuple[str, str]]:
    """A SageMaker tuning trial shares one job definition with every other trial, so it has no run of
    its own in its environment: it exchanges the tuning job's token (TRACKGATE_TUNING_TOKEN) and its
    TRAINING_JOB_NAME for its run id and the run's callback token.  Retries connection errors, 429
    and 5xx with back-off for up to ``timeout`` seconds; returns None (the client stays disabled,
    with a warning) when the gateway refuses or cannot be reached in time."""
    tuning_id = os.environ.get("TRACKGATE_TUNING_JOB_ID", "")
    token = os.environ.get("TRACKGATE_TUNING_TOKEN", "")
    name = training_job_name()
    if not (tuning_id and token and name):
        logger.warning("trackgate: a tuning trial needs TRACKGATE_TUNING_JOB_ID and TRAINING_JOB_NAME to claim its run")
        return None
    path = "/v1/tuning-jobs/%s/claim" % urllib.parse.quote(tuning_id, safe="")
    data = json.dumps({"trainingJobName": name}).encode("utf-8")
    deadline = time.monotonic() + timeout
    delay = 0.5
    while True:
        req = urllib.request.Request(url + path, data=data, method="POST", headers={
            "Content-Type": "application/json", "Authorization": "Bearer " + token,
            "User-Agent": "trackgate-client-python/" + __version__})
        status, why = 0, ""
        try:
            with urllib.request.urlopen(req, timeout=10) as r:  # noqa: S310 - URL from config
                body = json.loads(r.read().decode("utf-8"))
                return str(body["runId"]), str(body["token"])
        except urllib.error.HTTPError as e:
            status, why = e.code, "HTTP %d" % e.code
        except (urllib.error.URLError, OSError, ValueError, KeyError) as e:
            why = "%s: %s" % (type(e).__name__, getattr(e, "reason", e))
        if status not in (0, 408, 429) and status < 500:
            logger.warning("trackgate: the gateway refused this trial's claim (%s); metrics are not sent", why)
            return None
        if time.monotonic() + delay > deadline:
            logger.warning("trackgate: could not claim this trial's run in %.0f s (%s); metrics are not sent", timeout, why)
            return None
        time.sleep(delay)
        delay = min(10.0, delay * 2)


def _stringify(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list, tuple)):
        try:
            return json.dumps(v, separators=(",", ":"), default=str)
        except (TypeError, ValueError):
            return str(v)
    return str(v)


def _header(headers: Any, name: str) -> Optional[str]:
    try:
        return headers.get(name)
    except AttributeError:
        return None


def _error_message(resp: _Response) -> str:
    if resp.status == 0:
        return resp.error or "no answer"
    try:
        j = json.loads(resp.body.decode("utf-8", "replace"))
        return "%s: %s" % (j.get("code", j.get("error", "")), j.get("message", ""))
    except (ValueError, AttributeError):
        return resp.body[:200].decode("utf-8", "replace")


# ---------------------------------------------------------------------- module-level API

_default: Optional[TrackgateClient] = None
_default_lock = threading.Lock()


def init(**kwargs: Any) -> TrackgateClient:
    """Create (or replace) the default client with explicit settings."""
    global _default
    with _default_lock:
        if _default is not None:
            _default.close()
        _default = TrackgateClient(**kwargs)
        return _default


def get_client() -> TrackgateClient:
    """The default client, created from the environment on first use."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = TrackgateClient()
    return _default


def log(metrics: Mapping[str, Any], step: int) -> None:
    get_client().log(metrics, step)


def log_params(params: Mapping[str, Any]) -> None:
    get_client().log_params(params)


def set_tags(tags: Mapping[str, Any]) -> None:
    get_client().set_tags(tags)


def finish(status: str = "FINISHED", timeout: Optional[float] = None) -> bool:
    return get_client().finish(status, timeout)


def flush(timeout: Optional[float] = None) -> bool:
    return get_client().flush(timeout)


def close(timeout: Optional[float] = None) -> bool:
    return get_client().close(timeout)


# ---------------------------------------------------------------------- TensorBoard tailing

TFEVENTS_CHUNK_BYTES = 4 * 1024 * 1024  # the gateway's default body limit


def _is_event_file(name: str) -> bool:
    # TensorBoard's own test (io_wrapper.IsSummaryEventsFile)
    return "tfevents" in name and not name.endswith(".profile-empty")


class _TensorboardTailer:
    """Follows the SummaryWriter files under ``logdir`` and uploads their new bytes.

    Every file (any depth; a subdirectory is a TensorBoard run, and the gateway keeps its path
    as the key prefix) is sent from the offset the gateway last answered; a torn last record is
    not consumed, so it is sent again once the writer finishes it.  Offsets are saved in
    ``<spool>.tfevents.json`` after each answer, so a restarted process resumes; losing that
    file is harmless too (the gateway answers a re-sent range as a duplicate with its offset).
    """

    def __init__(self, client: "TrackgateClient", logdir: str, interval: float) -> None:
        self.client = client
        self.logdir = os.path.abspath(logdir)
        self.interval = max(0.05, float(interval))
        self.state_path = client.spool_path + ".tfevents.json"
        self.offsets: Dict[str, int] = self._load().get(self.logdir, {})
        self.dead: set = set()  # files the gateway refused for good (4xx other than 409/429)
        self.stats = {"uploads": 0, "bytes": 0, "scalars": 0, "corrupt": 0}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._retry_at = 0.0
        self._failures = 0
        self.chunk_bytes = TFEVENTS_CHUNK_BYTES
        self._thread = threading.Thread(target=self._run, name="trackgate-tfevents", daemon=True)
        self._thread.start()

    # -- public

    def sync(self, timeout: float) -> bool:
        """Upload everything complete that is on disk now; True when nothing is left to send."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                progress, left = self._scan(ignore_backoff=True)
            if not left:
                return True
            if time.monotonic() >= deadline:
                return False
            if not progress:
                time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))

    def stop(self, timeout: float) -> bool:
        ok = self.sync(timeout)
        self._stop.set()
        self._thread.join(max(0.1, timeout))
        return ok

    # -- internals

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                with self._lock:
                    self._scan(ignore_backoff=False)
            except Exception:  # never let the trainer's process see this thread die
                logger.exception("tensorboard tailing of %s failed; retrying", self.logdir)

    def _files(self) -> List[str]:
        found: List[str] = []
        for dirpath, dirnames, filenames in os.walk(self.logdir):
            dirnames.sort()
            for name in sorted(filenames):
                if _is_event_file(name):
                    rel = os.path.relpath(os.path.join(dirpath, name), self.logdir)
                    found.append(rel.replace(os.sep, "/"))
        return found

    def _scan(self, ignore_backoff: bool) -> Tuple[bool, bool]:
        """One pass over the files: (whether any upload advanced, whether complete bytes remain)."""
        if not ignore_backoff and time.monotonic() < self._retry_at:
            return False, True
        progress = False
        left = False
        for rel in self._files():
            if rel in self.dead:
                continue
            while True:
                try:
                    size = os.path.getsize(os.path.join(self.logdir, rel))
                except OSError:
                    break  # vanished (rotated away) between the walk and now
                offset = self.offsets.get(rel, 0)
                if size <= offset:
                    # Equal: nothing new.  Below: the gateway skipped an oversized record past
                    # what is written yet, or the file was replaced (not followed: it would
                    # need a new name).
                    break
                answer = self._upload(rel, offset, size)
                if answer is None:
                    return progress, True
                if answer <= offset:
                    left = left or self._complete_record_pending(rel, offset, size)
                    break
                progress = True
        return progress, left

    def _complete_record_pending(self, rel: str, offset: int, size: int) -> bool:
        # The gateway kept [offset, size) as a torn tail: only a finished record counts as "left".
        try:
            with open(os.path.join(self.logdir, rel), "rb") as f:
                f.seek(offset)
                head = f.read(8)
        except OSError:
            return False
        if len(head) < 8:
            return False
        length = int.from_bytes(head, "little")
        return size - offset >= length + 16

    def _upload(self, rel: str, offset: int, size: int) -> Optional[int]:
        """POST the bytes from offset; the new offset, or None to back off."""
        c = self.client
        with open(os.path.join(self.logdir, rel), "rb") as f:
            f.seek(offset)
            data = f.read(min(size - offset, self.chunk_bytes))
        q = urllib.parse.urlencode({"file": rel, "offset": str(offset)})
        req = urllib.request.Request(
            "%s/v1/runs/%s/tfevents?%s" % (c.url, urllib.parse.quote(c.run_id, safe=""), q), data=data, method="POST",
            headers={"Content-Type": "application/octet-stream", "Authorization": "Bearer " + c._token,
                     "User-Agent": "trackgate-client-python/" + __version__})
        try:
            with urllib.request.urlopen(req, timeout=c.request_timeout) as r:  # noqa: S310 - URL from config
                body = json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            if e.code == 409 and e.headers.get("x-trackgate-consumed"):
                consumed = int(e.headers["x-trackgate-consumed"])
                logger.warning("gateway has %s up to byte %d (we had %d); resuming there", rel, consumed, offset)
                self._save_offset(rel, consumed)
                return consumed if consumed > offset else self._backoff(e.code)
            if e.code == 413 and self.chunk_bytes > 64 * 1024:
                self.chunk_bytes //= 2  # a gateway with a smaller body limit
                return self._backoff(e.code)
            if e.code in (408, 429) or e.code >= 500:
                return self._backoff(e.code, parse_retry_after(e.headers.get("retry-after")))
            logger.warning("gateway refused %s (HTTP %d); not following it", rel, e.code)
            self.dead.add(rel)
            return offset
        except (urllib.error.URLError, OSError, ValueError) as e:
            return self._backoff(getattr(e, "reason", e))
        self._failures = 0
        consumed = int(body.get("consumed", offset))
        self.stats["uploads"] += 1
        self.stats["bytes"] += max(0, consumed - offset)
        self.stats["scalars"] += int(body.get("scalars", 0))
        for bad in body.get("corrupt", []):
            self.stats["corrupt"] += 1
            logger.warning("gateway skipped a damaged record of %s at byte %s (%s)", rel, bad.get("offset"), bad.get("reason"))
        self._save_offset(rel, consumed)
        return consumed

    def _backoff(self, why: Any, retry_after: Optional[float] = None) -> Optional[int]:
        self._failures += 1
        delay = min(self.client.backoff_max, self.client.backoff_base * (2 ** min(self._failures, 10)))
        delay = max(delay * (0.5 + random.random() / 2), retry_after or 0.0)
        if self._failures == 1:
            logger.warning("tensorboard upload failed (%s); retrying with back-off", why)
        self._retry_at = time.monotonic() + delay
        return None

    def _load(self) -> Dict[str, Dict[str, int]]:
        try:
            with open(self.state_path, "r", encoding="utf-8") as f:
                data = json.load(f)
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def _save_offset(self, rel: str, offset: int) -> None:
        self.offsets[rel] = offset
        state = self._load()
        state[self.logdir] = dict(self.offsets)
        tmp = "%s.%d.tmp" % (self.state_path, os.getpid())
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(state, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.state_path)
        except OSError as e:
            logger.warning("cannot save tensorboard offsets to %s: %s", self.state_path, e)
