"""Benchmark the trackgate client; prints one JSON object on stdout.

    python3 bench_client.py [GATEWAY_URL] [--run-id ID --token TOKEN] [--points N] [--keys K]
                            [--batch-size B] [--timeout S]

* ``log_us_per_call``: microseconds per ``log()`` call in a tight loop (K keys per call), measured
  with the sender thread running.  Without a URL the client points at a closed local port so
  nothing is delivered; the number is then the pure enqueue cost.
* With a URL (and a run id + token, from argv or TRACKGATE_RUN_ID/TRACKGATE_TOKEN): after the
  loop, ``flush()`` and report batches/s and points/s delivered end to end.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from trackgate_client import TrackgateClient  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("url", nargs="?", default=os.environ.get("TRACKGATE_URL"))
    ap.add_argument("--run-id", default=os.environ.get("TRACKGATE_RUN_ID"))
    ap.add_argument("--token", default=os.environ.get("TRACKGATE_TOKEN"))
    ap.add_argument("--points", type=int, default=200000, help="metric points to log in total")
    ap.add_argument("--keys", type=int, default=1, help="metrics per log() call")
    ap.add_argument("--batch-size", type=int, default=500)
    ap.add_argument("--timeout", type=float, default=120.0, help="flush timeout (s)")
    a = ap.parse_args(argv)

    deliver = bool(a.url and a.run_id and a.token)
    spool_dir = tempfile.mkdtemp(prefix="tg-bench-")
    if deliver:
        client = TrackgateClient(a.url, a.run_id, a.token, batch_size=a.batch_size,
                                 spool_path=os.path.join(spool_dir, "bench.jsonl"), install_handlers=False)
    else:
        # enabled client whose sends fail fast (closed port): measures the enqueue path only
        client = TrackgateClient("http://127.0.0.1:9", "bench", "x", batch_size=a.batch_size,
                                 spool_path=os.path.join(spool_dir, "bench.jsonl"), install_handlers=False,
                                 backoff_base=3600.0, backoff_max=3600.0, close_timeout=0.5)

    keys = ["bench/m%d" % i for i in range(a.keys)]
    calls = max(1, a.points // a.keys)
    metrics = {k: 0.0 for k in keys}
    t0 = time.perf_counter()
    for step in range(calls):
        for k in keys:
            metrics[k] = step * 0.001
        client.log(metrics, step)
    t1 = time.perf_counter()
    out = {
        "calls": calls,
        "keys_per_call": a.keys,
        "log_us_per_call": round((t1 - t0) / calls * 1e6, 3),
        "log_us_per_point": round((t1 - t0) / (calls * a.keys) * 1e6, 3),
        "python": sys.version.split()[0],
    }
    if deliver:
        ok = client.flush(a.timeout)
        t2 = time.perf_counter()
        st = client.stats
        out.update({
            "delivered": ok,
            "wall_s": round(t2 - t0, 3),
            "batches": st["batches_sent"],
            "requests": st["requests"],
            "retries": st["retries"],
            "batches_per_s": round(st["batches_sent"] / (t2 - t0), 2),
            "points_per_s": round(st["points_sent"] / (t2 - t0), 1),
        })
        client.close(5.0)
    else:
        client._stop.set()  # do not try to deliver or spool the benchmark data
        client._closed = True
        client._wake.set()
    print(json.dumps(out))
    return 0 if (not deliver or out.get("delivered")) else 1


if __name__ == "__main__":
    sys.exit(main())
