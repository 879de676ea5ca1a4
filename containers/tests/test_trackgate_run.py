"""trackgate_run.py: a SummaryWriter-only trainer under the wrapper reaches the real gateway's run;
exit codes and signals pass through; without a gateway it only runs the trainer."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from typing import Dict, List, Optional

from . import CONTAINERS, HERE
from .harness import RealGatewayTestCase, real_gateway_reason

RUN = os.path.join(CONTAINERS, "client", "trackgate_run.py")
WRITER = os.path.join(HERE, "tfrecord_writer.py")
REASON = real_gateway_reason()


def wrapper_env(extra: Dict[str, str]) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKGATE_")}
    env.update(extra)
    return env


class WrapperWithoutGatewayTests(unittest.TestCase):
    def test_exit_code_passes_through(self) -> None:
        r = subprocess.run([sys.executable, RUN, "--", sys.executable, "-c", "import sys; sys.exit(3)"],
                           env=wrapper_env({}), timeout=60)
        self.assertEqual(r.returncode, 3)

    def test_a_missing_trainer_is_127_and_a_bad_option_a_clear_error(self) -> None:
        r = subprocess.run([sys.executable, RUN, "--", "/nonexistent/trainer"], env=wrapper_env({}),
                           timeout=60, capture_output=True, text=True)
        self.assertEqual(r.returncode, 127)
        bad = subprocess.run([sys.executable, RUN, "--bogus", "--", "true"], env=wrapper_env({}),
                             timeout=60, capture_output=True, text=True)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("usage", bad.stderr)

    def test_sigterm_reaches_the_trainer_when_the_wrapper_leads_its_group(self) -> None:
        tmp = tempfile.mkdtemp(prefix="tg-run-sig-")
        self.addCleanup(shutil.rmtree, tmp, True)
        ready = os.path.join(tmp, "ready")
        script = ("import os, signal, sys, time\n"
                  "signal.signal(signal.SIGTERM, lambda *a: sys.exit(42))\n"
                  "open(%r, 'w').close()\n"
                  "time.sleep(60)\n") % ready
        p = subprocess.Popen([sys.executable, RUN, "--", sys.executable, "-c", script], env=wrapper_env({}),
                             start_new_session=True)
        deadline = time.monotonic() + 30
        while not os.path.exists(ready) and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertTrue(os.path.exists(ready), "trainer started")
        p.send_signal(signal.SIGTERM)
        self.assertEqual(p.wait(timeout=30), 42, "the trainer's own SIGTERM handler ran and its code came back")


@unittest.skipIf(REASON is not None, "real gateway unavailable: %s" % REASON)
class WrapperWithGatewayTests(RealGatewayTestCase):
    def run_wrapped(self, run_id: str, token: str, args: List[str], tb: Optional[str] = None) -> "subprocess.CompletedProcess[str]":
        work = tempfile.mkdtemp(dir=self.tmp)
        env = wrapper_env({"TRACKGATE_URL": self.gw.url, "TRACKGATE_RUN_ID": run_id, "TRACKGATE_TOKEN": token,
                           "TRACKGATE_SPOOL_DIR": os.path.join(work, "spool"),
                           "TRACKGATE_TENSORBOARD_DIR": tb or os.path.join(work, "tb")})
        return subprocess.run([sys.executable, RUN, "--", *args], env=env, cwd=work, timeout=120,
                              capture_output=True, text=True)

    def test_a_summarywriter_only_trainer_is_tracked_with_no_code_change(self) -> None:
        run_id, token = self.gw.create_run("sw-only")
        r = self.run_wrapped(run_id, token, [sys.executable, WRITER, "25"])
        self.assertEqual(r.returncode, 0, r.stderr)
        loss = self.gw.metrics(run_id, "loss")
        self.assertEqual([m["step"] for m in loss], list(range(25)), "every step once, in order")
        self.assertAlmostEqual(loss[3]["value"], 0.25, places=6)
        self.assertEqual(len(self.gw.metrics(run_id, "val/dice")), 25)

    def test_summarywriter_default_runs_folder_is_followed_too(self) -> None:
        run_id, token = self.gw.create_run("sw-default")
        r = self.run_wrapped(run_id, token, [sys.executable, WRITER, "5", "runs/Dec04_host"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(self.gw.metrics(run_id, "Dec04_host/loss")), 5, "a subfolder of runs/ is a TensorBoard run")

    def test_the_trainer_inherits_the_run_and_a_failing_trainer_still_uploads(self) -> None:
        run_id, token = self.gw.create_run("sw-fail")
        script = ("import os, subprocess, sys\n"
                  "subprocess.check_call([sys.executable, %r, '4'])\n"
                  "assert os.environ['TRACKGATE_RUN_ID'] == %r\n"
                  "sys.exit(5)\n") % (WRITER, run_id)
        r = self.run_wrapped(run_id, token, [sys.executable, "-c", script])
        self.assertEqual(r.returncode, 5, r.stderr)
        self.assertEqual(len(self.gw.metrics(run_id, "loss")), 4)


if __name__ == "__main__":
    unittest.main()
