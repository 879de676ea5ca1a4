"""TrackgateClient.tail_tensorboard against the real gateway (node), with event files written
in pieces as a SummaryWriter would: the PyTorch fixture copied in chunks cut mid-record, and
records from a small stdlib TFRecord writer (masked CRC-32C)."""

from __future__ import annotations

import json
import os
import tempfile
import time
import unittest
from typing import Any, Dict, List

from . import REPO
from .harness import RealGatewayTestCase, http, real_gateway_reason

import trackgate_client as tc

FIXTURE = os.path.join(os.path.dirname(REPO), "shared", "fixtures", "torch_logdir")
EXPECTED = os.path.join(os.path.dirname(REPO), "shared", "fixtures", "torch_logdir.expected.json")
RUN1 = "run1/events.out.tfevents.1795686765.vm.26673.0"
HPARAMS = "run1/hparams/events.out.tfevents.1795686765.vm.26673.1"

from .tfrecord_writer import frame, scalar_event

REASON = real_gateway_reason()


def read_bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def read_json(path: str) -> Any:
    with open(path, "r", encoding="utf-8") as f:
        return json.load(f)


@unittest.skipIf(REASON is not None, "real gateway unavailable: %s" % REASON)
class TailTensorboardTests(RealGatewayTestCase):
    def setUp(self) -> None:
        self.run_id, self.token = self.gw.create_run()
        self.dir = tempfile.mkdtemp(dir=self.tmp)
        self.logdir = os.path.join(self.dir, "logs")
        os.makedirs(self.logdir)
        self.spool = os.path.join(self.dir, "spool.jsonl")
        self.clients: List[tc.TrackgateClient] = []

    def tearDown(self) -> None:
        for c in self.clients:
            c.close(timeout=2)

    def client(self) -> tc.TrackgateClient:
        c = tc.TrackgateClient(self.gw.url, self.run_id, self.token, spool_path=self.spool,
                               flush_interval=0.05, install_handlers=False, close_timeout=10)
        self.clients.append(c)
        return c

    def all_metrics(self) -> List[Dict[str, Any]]:
        s, page = http("GET", "%s/v1/runs/%s/metrics?limit=10000" % (self.gw.url, self.run_id), token=self.gw.write_key)
        self.assertEqual(s, 200, page)
        return page["items"]

    def append(self, rel: str, data: bytes) -> None:
        path = os.path.join(self.logdir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "ab") as f:
            f.write(data)

    def test_fixture_written_in_pieces_gives_the_expected_scalars(self) -> None:
        c = self.client()
        tailer = c.tail_tensorboard(self.logdir, interval=0.05)
        self.assertIsNotNone(tailer)
        run1 = read_bytes(os.path.join(FIXTURE, RUN1))
        hp = read_bytes(os.path.join(FIXTURE, HPARAMS))
        for lo, hi in ((0, 100), (100, 377), (377, 610)):  # cuts mid-record
            self.append(RUN1, run1[lo:hi])
            time.sleep(0.15)
        self.append(HPARAMS, hp[:250])  # a new run directory appears
        time.sleep(0.15)
        self.append(RUN1, run1[610:])
        self.append(HPARAMS, hp[250:])
        self.assertTrue(c.flush(timeout=10))
        want = sorted((s["run"] + "/" + s["tag"], s["step"], s["value"]) for s in read_json(EXPECTED)["scalars"])
        got = sorted((m["key"], m["step"], m["value"]) for m in self.all_metrics())
        self.assertEqual(got, want)
        state = read_json(self.spool + ".tfevents.json")
        self.assertEqual(state[os.path.abspath(self.logdir)], {RUN1: len(run1), HPARAMS: len(hp)})

    def test_rotation_and_restart_resume_without_doubling(self) -> None:
        first = "events.out.tfevents.1700000000.h.1.0"
        second = "events.out.tfevents.1700000100.h.1.1"
        recs = [frame(scalar_event(1700000000.0 + i, i, "loss", 1.0 / (i + 1))) for i in range(8)]
        self.append(first, b"".join(recs[:3]) + recs[3][:10])  # torn tail
        c = self.client()
        c.tail_tensorboard(self.logdir, interval=0.05)
        self.assertTrue(c.flush(timeout=5), "a torn tail is not left to send")
        c.close(timeout=5)
        self.assertEqual(len(self.all_metrics()), 3, "the torn record waits")
        saved = read_json(self.spool + ".tfevents.json")[os.path.abspath(self.logdir)]
        self.assertEqual(saved, {first: sum(len(r) for r in recs[:3])})
        # the writer finishes the record and rotates to a new file; a new process resumes
        self.append(first, recs[3][10:] + recs[4])
        self.append(second, b"".join(recs[5:]))
        c2 = self.client()
        t2 = c2.tail_tensorboard(self.logdir, interval=0.05)
        self.assertTrue(c2.flush(timeout=10))
        assert t2 is not None
        self.assertEqual(t2.stats["bytes"], sum(len(r) for r in recs[3:]), "only the new bytes were sent")
        # losing the offsets file re-sends everything: the gateway answers duplicates
        c2.close(timeout=5)
        os.remove(self.spool + ".tfevents.json")
        c3 = self.client()
        c3.tail_tensorboard(self.logdir, interval=0.05)
        self.assertTrue(c3.flush(timeout=10))
        got = sorted((m["key"], m["step"]) for m in self.all_metrics())
        self.assertEqual(got, [("loss", i) for i in range(8)], "every point once")


if __name__ == "__main__":
    unittest.main()
