"""The callback client against a gateway: the real one (node src/server.ts) when it can start here,
and always a stdlib fake with the same contract (to test the client's own logic)."""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest
from unittest import mock
from typing import Any, Dict, List, Optional

from . import CONTAINERS
from .harness import FakeGateway, FaultProxy, RealGateway, first_log, free_port, larger_than, real_gateway_reason

import trackgate_client as tc

CLIENT_DIR = os.path.join(CONTAINERS, "client")



class _Opaque:
    """A value JSON cannot carry: the client sends its str()."""

    def __str__(self) -> str:
        return "opaque"

class ClientUnitTests(unittest.TestCase):
    def test_encode_value(self) -> None:
        self.assertEqual(tc.encode_value(0.5), 0.5)
        self.assertEqual(tc.encode_value(float("nan")), "NaN")
        self.assertEqual(tc.encode_value(float("inf")), "Infinity")
        self.assertEqual(tc.encode_value(float("-inf")), "-Infinity")

    def test_parse_retry_after(self) -> None:
        self.assertEqual(tc.parse_retry_after("3"), 3.0)
        self.assertEqual(tc.parse_retry_after("0.5"), 0.5)
        self.assertIsNone(tc.parse_retry_after(None))
        self.assertIsNone(tc.parse_retry_after("soon"))
        import email.utils
        when = email.utils.formatdate(time.time() + 10, usegmt=True)
        ra = tc.parse_retry_after(when)
        assert ra is not None
        self.assertTrue(8 <= ra <= 11, ra)

    def test_noop_without_env(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKGATE_")}
        code = textwrap.dedent("""
            import sys, time
            sys.path.insert(0, %r)
            import trackgate_client as tc
            t = time.perf_counter()
            tc.log({"a": 1.0}, 0); tc.log_params({"x": 1}); tc.set_tags({"t": "v"})
            assert tc.flush(1) and tc.finish()
            assert not tc.get_client().enabled
            print("ok")
        """ % CLIENT_DIR)
        p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("ok", p.stdout)
        self.assertEqual(p.stderr.count("trackgate disabled"), 1, p.stderr)

    def test_log_is_fast_and_never_raises(self) -> None:
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d, True)
        c = tc.TrackgateClient("http://127.0.0.1:%d" % free_port(), "r", "secret-token",
                               spool_path=os.path.join(d, "s.jsonl"), install_handlers=False,
                               close_timeout=0.5, backoff_base=0.05)
        c.log({"ok": 1.0, "bad": object(), "s": "2.5"}, step=1)  # bad value dropped, not raised
        n = 20000
        t = time.perf_counter()
        for i in range(n):
            c.log({"train/loss": i * 0.1}, i)
        us = (time.perf_counter() - t) / n * 1e6
        self.assertLess(us, 20.0)
        c.close(1.0)
        # unreachable gateway: everything is in the spool, token never written anywhere
        with open(os.path.join(d, "s.jsonl")) as f:
            text = f.read()
        self.assertNotIn("secret-token", text)
        n_points = sum(len(json.loads(line)["batch"]["metrics"]) for line in text.splitlines()
                       if "batch" in json.loads(line))
        self.assertEqual(n_points, n + 2)


class _GatewayTests:
    """Mixin: the same scenarios against any Gateway implementation."""

    gateway_cls: Any = None

    def setUp(self) -> None:  # noqa: D401
        self.tmp = tempfile.mkdtemp(prefix="tg-client-test-")
        self.data = os.path.join(self.tmp, "data")
        os.makedirs(self.data)
        self.spool_dir = os.path.join(self.tmp, "spool")
        self.gw = self.gateway_cls(self.data)
        self.gw.start()
        self.run_id, self.token = self.gw.create_run()
        self.proxy: Optional[FaultProxy] = None
        self.clients: List[tc.TrackgateClient] = []

    def tearDown(self) -> None:
        for c in self.clients:
            c.close(0.5)
        if self.proxy is not None:
            self.proxy.close()
        self.gw.stop()
        shutil.rmtree(self.tmp, True)

    def client(self, url: Optional[str] = None, **kw: Any) -> tc.TrackgateClient:
        kw.setdefault("spool_path", os.path.join(self.spool_dir, "%s.jsonl" % self.run_id))
        kw.setdefault("install_handlers", False)
        kw.setdefault("backoff_base", 0.05)
        kw.setdefault("backoff_max", 0.5)
        kw.setdefault("close_timeout", 5.0)
        c = tc.TrackgateClient(url or self.gw.url, self.run_id, self.token, **kw)
        self.clients.append(c)
        return c

    def with_proxy(self) -> FaultProxy:
        self.proxy = FaultProxy(self.gw.url)
        return self.proxy

    def values(self, key: str) -> List[Any]:
        return [(m["step"], m["value"]) for m in self.gw.metrics(self.run_id, key)]

    def child_env(self) -> Dict[str, str]:
        env = dict(os.environ)
        env.update({"TRACKGATE_URL": self.gw.url, "TRACKGATE_RUN_ID": self.run_id,
                    "TRACKGATE_TOKEN": self.token, "TRACKGATE_SPOOL_DIR": self.spool_dir,
                    "TRACKGATE_CLOSE_TIMEOUT": "10", "PYTHONPATH": CLIENT_DIR})
        return env

    # -------------------------------------------------------------- scenarios

    def test_batching_few_requests_for_many_points(self) -> None:
        proxy = self.with_proxy()
        c = self.client(proxy.url, batch_size=500, flush_interval=5.0)
        for step in range(1000):
            c.log({"train/loss": 1.0 / (step + 1), "train/lr": 0.001, "val/dice": step / 1000.0}, step)
        self.assertTrue(c.flush(30))
        reqs = proxy.requests("/log")
        self.assertLessEqual(len(reqs), 8, [r["n"] for r in reqs])  # 3000 points in <= 8 requests
        self.assertEqual(sum(r["n"] for r in reqs), 3000)
        got = self.values("train/loss")
        self.assertEqual([s for s, _ in got], list(range(1000)))
        self.assertAlmostEqual(got[10][1], 1.0 / 11)

    def test_nonfinite_values_and_params_tags(self) -> None:
        c = self.client()
        c.log_params({"lr": 0.001, "model": "SegResNet"})
        c.set_tags({"strategy": "ddp"})
        c.log({"x": float("nan")}, 0)
        c.log({"x": float("inf")}, 1)
        c.log({"x": float("-inf")}, 2)
        c.log({"x": 2.5}, 3)
        c.log({"bad key!": 1.0}, 3)  # dropped client-side with a warning
        self.assertTrue(c.flush(30))
        self.assertEqual(self.values("x"), [(0, "NaN"), (1, "Infinity"), (2, "-Infinity"), (3, 2.5)])
        summary = self.gw.summary(self.run_id)
        self.assertEqual(summary["params"], {"lr": 0.001, "model": "SegResNet"})

    def test_params_are_sent_typed(self) -> None:
        c = self.client()
        c.log_params({"lr": 1e-4, "epochs": 10, "amp": True, "note": None, "roi": (96, 96, 96),
                      "sched": {"name": "cosine", "steps": [10, 20]}, "eps": float("inf"), "nan": float("nan"),
                      "obj": _Opaque()})
        self.assertTrue(c.flush(30))
        params = self.gw.summary(self.run_id)["params"]
        self.assertEqual(params, {"lr": 1e-4, "epochs": 10, "amp": True, "note": None, "roi": [96, 96, 96],
                                  "sched": {"name": "cosine", "steps": [10, 20]}, "eps": "Infinity", "nan": "NaN",
                                  "obj": "opaque"})

    def test_changed_param_drops_only_that_param(self) -> None:
        c = self.client()
        c.log_params({"lr": 0.001})
        self.assertTrue(c.flush(30))
        c.log_params({"lr": 0.002, "epochs": 3})
        c.log({"loss": 1.0}, 0)
        self.assertTrue(c.flush(30))
        self.assertEqual(self.gw.summary(self.run_id)["params"], {"lr": 0.001, "epochs": 3})
        self.assertEqual(self.values("loss"), [(0, 1.0)])

    def test_idempotent_retry_same_batch_id_stored_once(self) -> None:
        proxy = self.with_proxy()
        # the gateway commits the first batch but the answer is lost (503): the client must retry
        # with the same batchId, and the gateway must store it once.
        proxy.faults.append(first_log("after", 503))
        c = self.client(proxy.url)
        for step in range(50):
            c.log({"loss": float(step)}, step)
        self.assertTrue(c.flush(30))
        reqs = proxy.requests("/log")
        self.assertGreaterEqual(len(reqs), 2)
        self.assertEqual(reqs[0]["batchId"], reqs[1]["batchId"])
        self.assertEqual(reqs[0]["upstream_status"], 202)
        self.assertIs(reqs[1]["response"]["duplicate"], True)
        self.assertEqual(self.values("loss"), [(s, float(s)) for s in range(50)])

    def test_retry_after_is_honoured(self) -> None:
        proxy = self.with_proxy()
        proxy.faults.append(first_log("reply", 429, {"Retry-After": "2"}))
        c = self.client(proxy.url)
        c.log({"loss": 1.0}, 0)
        self.assertTrue(c.flush(30))
        reqs = proxy.requests("/log")
        self.assertEqual(len(reqs), 2)
        self.assertEqual(reqs[0]["status"], 429)
        self.assertEqual(reqs[0]["batchId"], reqs[1]["batchId"])
        self.assertGreaterEqual(reqs[1]["t"] - reqs[0]["t"], 1.9)
        self.assertEqual(self.values("loss"), [(0, 1.0)])

    def test_503_retry_after_and_413_split(self) -> None:
        proxy = self.with_proxy()
        proxy.faults.append(first_log("reply", 503, {"Retry-After": "1"}))
        for _ in range(8):
            proxy.faults.append(larger_than(100))
        c = self.client(proxy.url, batch_size=400, flush_interval=5.0)
        for step in range(400):
            c.log({"loss": float(step)}, step)
        self.assertTrue(c.flush(30))
        reqs = proxy.requests("/log")
        self.assertEqual(reqs[0]["status"], 503)
        self.assertGreaterEqual(reqs[1]["t"] - reqs[0]["t"], 0.95)
        self.assertTrue(any(r["status"] == 413 for r in reqs))
        self.assertEqual(self.values("loss"), [(s, float(s)) for s in range(400)])

    def test_spool_while_down_and_in_order_replay(self) -> None:
        c = self.client(flush_interval=0.1)
        c.log({"loss": 0.0}, 0)
        self.assertTrue(c.flush(30))
        self.gw.stop()
        for step in range(1, 301):
            c.log({"loss": float(step)}, step)
            if step % 50 == 0:
                time.sleep(0.25)  # several batches get cut and spooled while the gateway is down
        self.assertFalse(c.flush(1.0))
        self.assertTrue(os.path.exists(c.spool_path))
        with open(c.spool_path) as f:
            spooled = [json.loads(line) for line in f if line.strip()]
        self.assertGreaterEqual(len([r for r in spooled if "batch" in r]), 3)
        self.gw.start()
        self.assertTrue(c.flush(30))
        self.assertEqual(self.values("loss"), [(s, float(s)) for s in range(301)])
        self.assertFalse(os.path.exists(c.spool_path))

    def test_spool_replayed_by_next_process(self) -> None:
        self.gw.stop()
        env = self.child_env()
        env["TRACKGATE_CLOSE_TIMEOUT"] = "1"
        code = "import trackgate_client as tc\nfor s in range(120): tc.log({'loss': float(s)}, s)\n"
        t = time.monotonic()
        p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertLess(time.monotonic() - t, 15)
        self.assertNotIn(self.token, p.stderr)
        spool = os.path.join(self.spool_dir, "%s.jsonl" % self.run_id)
        self.assertTrue(os.path.exists(spool), p.stderr)
        self.gw.start()
        code2 = "import trackgate_client as tc\ntc.log({'loss': 120.0}, 120)\n"
        p = subprocess.run([sys.executable, "-c", code2], env=self.child_env(), capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.values("loss"), [(s, float(s)) for s in range(121)])
        self.assertFalse(os.path.exists(spool))

    def test_exit_flush(self) -> None:
        code = textwrap.dedent("""
            import trackgate_client as tc
            for s in range(1234):
                tc.log({"loss": s * 0.5}, s)
            tc.log_params({"epochs": 3})
        """)
        p = subprocess.run([sys.executable, "-c", code], env=self.child_env(), capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.values("loss"), [(s, s * 0.5) for s in range(1234)])

    def test_sigterm_flush(self) -> None:
        code = textwrap.dedent("""
            import sys, time
            import trackgate_client as tc
            for s in range(777):
                tc.log({"loss": float(s)}, s)
            print("ready", flush=True)
            time.sleep(120)
        """)
        env = self.child_env()
        p = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        assert p.stdout is not None
        self.assertEqual(p.stdout.readline().strip(), "ready")
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, -signal.SIGTERM, err)  # default action re-raised after the flush
        self.assertEqual(self.values("loss"), [(s, float(s)) for s in range(777)])

    def test_finish(self) -> None:
        proxy = self.with_proxy()
        c = self.client(proxy.url)
        c.log({"loss": 1.0}, 0)
        self.assertTrue(c.finish("FINISHED", timeout=30))
        fin = proxy.requests("/finish")
        self.assertEqual(len(fin), 1)
        self.assertEqual(fin[0]["status"], 200)
        self.assertEqual(fin[0]["body"], {"status": "FINISHED"})
        # the batch went before the finish
        self.assertLess(proxy.requests("/log")[0]["t"], fin[0]["t"])

    def test_wrong_token_stops_sending(self) -> None:
        proxy = self.with_proxy()
        c = tc.TrackgateClient(proxy.url, self.run_id, "wrong-token", install_handlers=False,
                               spool_path=os.path.join(self.spool_dir, "x.jsonl"), backoff_base=0.05)
        self.clients.append(c)
        c.log({"loss": 1.0}, 0)
        self.assertTrue(c.flush(10))
        c.log({"loss": 2.0}, 1)
        c.flush(2)
        self.assertEqual(len(proxy.requests("/log")), 1)
        self.assertIn(proxy.requests("/log")[0]["status"], (401, 403))


class FakeGatewayClientTests(_GatewayTests, unittest.TestCase):
    gateway_cls = FakeGateway

    def _trial_env(self, tid: str, token: str, name: str) -> Dict[str, str]:
        return {"TRACKGATE_URL": self.gw.url, "TRACKGATE_TUNING_JOB_ID": tid, "TRACKGATE_TUNING_TOKEN": token,
                "TRAINING_JOB_NAME": name, "TRACKGATE_RUN_ID": "", "TRACKGATE_TOKEN": ""}

    def test_tuning_trial_claims_its_run(self) -> None:
        tid = self.gw.add_tuning("hpo-240815-1000", "tgt_secret", fail_first=1)
        env = self._trial_env(tid, "tgt_secret", "hpo-240815-1000-003-0a1b2c3d")
        with mock.patch.dict(os.environ, env):
            c = tc.TrackgateClient(spool_path=os.path.join(self.spool_dir, "trial.jsonl"), install_handlers=False, close_timeout=5.0)
        self.clients.append(c)
        self.assertTrue(c.enabled)
        c.log({"val_dice": 0.5}, 1)
        self.assertTrue(c.flush(30))
        self.assertEqual([(m["step"], m["value"]) for m in self.gw.metrics(c.run_id, "val_dice")], [(1, 0.5)])
        self.assertEqual(len(self.gw.state["tunings"][tid]["claims"]), 2, "a 503 is retried")

    def test_tuning_claim_refused_disables_the_client(self) -> None:
        tid = self.gw.add_tuning("hpo-240815-1000", "tgt_secret")
        with mock.patch.dict(os.environ, self._trial_env(tid, "tgt_wrong", "hpo-240815-1000-001-0a1b2c3d")):
            with self.assertLogs("trackgate.client", level="WARNING") as logs:
                c = tc.TrackgateClient(install_handlers=False)
        self.assertFalse(c.enabled)
        self.assertTrue(any("refused this trial's claim (HTTP 401)" in m for m in logs.output), logs.output)
        self.assertNotIn("tgt_wrong", " ".join(logs.output), "the token is never logged")


_REAL_REASON = real_gateway_reason()


@unittest.skipIf(_REAL_REASON is not None, "real gateway: %s" % _REAL_REASON)
class RealGatewayClientTests(_GatewayTests, unittest.TestCase):
    gateway_cls = RealGateway


if __name__ == "__main__":
    unittest.main()
