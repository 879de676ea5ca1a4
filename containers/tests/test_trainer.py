"""Trainer configuration, data discovery and the stdlib simulator (no torch needed)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from typing import Any, Dict, List

from . import CONTAINERS
from .harness import FakeGateway, RealGateway, free_port, real_gateway_reason

import common

TRAINING = os.path.join(CONTAINERS, "training")
SIMULATE = os.path.join(TRAINING, "simulate.py")
TRAIN = os.path.join(TRAINING, "train.py")

# the SageMaker regex of src/launch/metric-lines.ts (metricRegex)
NUMBER = r"([-+]?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?)"
LINE = re.compile(r"^epoch=\d+ step=\d+( [a-z][a-z0-9_]*=\S+)+$")


def clean_env(**extra: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKGATE_", "SM_"))}
    env.update(extra)
    return env


def metric_lines(stdout: str) -> List[str]:
    return [line for line in stdout.splitlines() if line.startswith("epoch=")]


class ConfigTests(unittest.TestCase):
    def test_defaults(self) -> None:
        cfg = common.parse_config([], env={})
        self.assertEqual(cfg.strategy, "single")
        self.assertEqual(cfg.model, "SegResNet")
        self.assertEqual(cfg.roi_size, (96, 96, 96))
        self.assertEqual(cfg.train_dir, "/opt/ml/input/data/train")
        self.assertEqual(cfg.checkpoint_dir, "/opt/ml/checkpoints")
        self.assertEqual(cfg.model_dir, "/opt/ml/model")
        self.assertIs(cfg.amp, True)

    def test_sm_hps_and_cli_wins(self) -> None:
        env = {
            "SM_HPS": json.dumps({"epochs": "7", "lr": "0.01", "batch-size": 4, "amp": "false",
                                  "roi_size": "[64, 64, 32]", "model": "\"swinunetr\"",
                                  "sagemaker_program": "\"train.py\"", "sagemaker_region": "\"us-east-1\"",
                                  "cache_rate": 0.5}),
            "SM_CHANNEL_TRAIN": "/data/train", "SM_CHANNEL_VALID": "/data/valid", "SM_MODEL_DIR": "/m",
            "SM_CHECKPOINT_DIR": "/ck",
        }
        with self.assertRaises(common.ConfigError):  # SwinUNETR with a 32 crop
            common.parse_config([], env=env)
        cfg = common.parse_config(["--epochs", "3", "--roi-size", "64", "--strategy", "DDP"], env=env)
        self.assertEqual(cfg.epochs, 3)  # CLI wins
        self.assertEqual(cfg.lr, 0.01)
        self.assertEqual(cfg.batch_size, 4)
        self.assertIs(cfg.amp, False)
        self.assertEqual(cfg.roi_size, (64, 64, 64))
        self.assertEqual(cfg.model, "SwinUNETR")
        self.assertEqual(cfg.strategy, "ddp")
        self.assertEqual(cfg.cache_rate, 0.5)
        self.assertEqual((cfg.train_dir, cfg.valid_dir, cfg.model_dir, cfg.checkpoint_dir),
                         ("/data/train", "/data/valid", "/m", "/ck"))
        cfg = common.parse_config(["--train-dir", "/x", "--batch_size", "8", "--roi-size", "64"], env=env)
        self.assertEqual(cfg.train_dir, "/x")
        self.assertEqual(cfg.batch_size, 8)

    def test_bad_values(self) -> None:
        for argv in (["--model", "ResNet"], ["--epochs", "zero"], ["--epochs", "0"], ["--roi-size", "1,2"],
                     ["--amp", "maybe"], ["--cache-rate", "2"], ["--strategy", "deepspeed"]):
            with self.assertRaises(common.ConfigError, msg=argv):
                common.parse_config(argv, env={})
        with self.assertRaises(common.ConfigError):
            common.parse_config([], env={"SM_HPS": "{not json"})

    def test_metric_line_format(self) -> None:
        line = common.format_metric_line(3, 1200, {"train_loss": 0.41, "lr": 0.0003})
        self.assertEqual(line, "epoch=3 step=1200 train_loss=0.41 lr=0.0003")
        line = common.format_metric_line(0, 5, {"val_loss": float("nan"), "val_dice": 1e-05})
        self.assertEqual(line, "epoch=0 step=5 val_loss=nan val_dice=1e-05")
        m = re.search(r"\bval_dice=" + NUMBER, line)
        assert m is not None
        self.assertEqual(m.group(1), "1e-05")
        self.assertIsNone(re.search(r"\bloss=" + NUMBER, "epoch=1 step=2 train_loss=0.5"))


class DataLayoutTests(unittest.TestCase):
    def setUp(self) -> None:
        self.root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.root, True)

    def make(self, base: str, n: int, skip: str = "") -> None:
        for i in range(n):
            d = os.path.join(base, "subject_%03d" % i)
            os.makedirs(d)
            for f in ("img.nii.gz", "label.nii.gz"):
                if "%s/%s" % (i, f) != skip:
                    open(os.path.join(d, f), "wb").close()

    def test_nested_and_flat_layouts(self) -> None:
        self.make(os.path.join(self.root, "ch", "train"), 3)
        subs = common.discover_subjects(os.path.join(self.root, "ch"), "train")
        self.assertEqual([s["subject"] for s in subs], ["subject_000", "subject_001", "subject_002"])
        self.assertTrue(subs[0]["image"].endswith("train/subject_000/img.nii.gz"))
        self.make(os.path.join(self.root, "flat"), 2)
        self.assertEqual(len(common.discover_subjects(os.path.join(self.root, "flat"))), 2)

    def test_missing_label_is_named(self) -> None:
        self.make(os.path.join(self.root, "train"), 3, skip="1/label.nii.gz")
        with self.assertRaises(common.DataLayoutError) as cm:
            common.discover_subjects(os.path.join(self.root, "train"))
        self.assertIn(os.path.join("subject_001", "label.nii.gz"), str(cm.exception))

    def test_missing_image_and_channel(self) -> None:
        self.make(os.path.join(self.root, "train"), 1, skip="0/img.nii.gz")
        with self.assertRaises(common.DataLayoutError) as cm:
            common.discover_subjects(os.path.join(self.root, "train"))
        self.assertIn(os.path.join("subject_000", "img.nii.gz"), str(cm.exception))
        with self.assertRaises(common.DataLayoutError) as cm:
            common.discover_subjects(os.path.join(self.root, "nope"))
        self.assertIn("nope", str(cm.exception))
        os.makedirs(os.path.join(self.root, "empty"))
        with self.assertRaises(common.DataLayoutError):
            common.discover_subjects(os.path.join(self.root, "empty"))

    def test_discover_data_valid_channel_and_holdout(self) -> None:
        self.make(os.path.join(self.root, "t"), 5)
        self.make(os.path.join(self.root, "v", "valid"), 2)
        cfg = common.parse_config(["--train-dir", os.path.join(self.root, "t"),
                                   "--valid-dir", os.path.join(self.root, "v")], env={})
        tr, va = common.discover_data(cfg)
        self.assertEqual((len(tr), len(va)), (5, 2))
        cfg = common.parse_config(["--train-dir", os.path.join(self.root, "t"),
                                   "--valid-dir", os.path.join(self.root, "none")], env={})
        tr, va = common.discover_data(cfg)
        self.assertEqual((len(tr), len(va)), (4, 1))
        self.assertEqual(va[0]["subject"], "subject_004")

    def test_train_py_without_torch(self) -> None:
        """train.py parses, discovers and reports a bad layout without importing torch."""
        self.make(os.path.join(self.root, "train"), 2, skip="1/label.nii.gz")
        code = ("import sys; sys.modules['torch'] = None; sys.modules['monai'] = None; "
                "sys.modules['nibabel'] = None; sys.argv[0] = 'train.py'; "
                "sys.path.insert(0, %r); import train, common; "
                "cfg = common.parse_config(['--train-dir', %r], env={}); "
                "common.discover_data(cfg)") % (TRAINING, os.path.join(self.root, "train"))
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("DataLayoutError", p.stderr)
        self.assertIn(os.path.join("subject_001", "label.nii.gz"), p.stderr)
        p = subprocess.run([sys.executable, TRAIN, "--help"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("--strategy", p.stdout)
        p = subprocess.run([sys.executable, TRAIN, "--model", "nope"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("model must be one of", p.stderr)


class SimulatorTests(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.mkdtemp(prefix="tg-sim-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.ck = os.path.join(self.tmp, "ck")
        self.model = os.path.join(self.tmp, "model")

    def run_sim(self, args: List[str], env: Dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
        base = ["--checkpoint-dir", self.ck, "--model-dir", self.model, "--step-sleep", "0.001"]
        return subprocess.run([sys.executable, SIMULATE] + base + args, env=env, capture_output=True,
                              text=True, timeout=timeout)

    def test_runs_without_gateway(self) -> None:
        t = time.monotonic()
        p = self.run_sim(["--epochs", "3", "--steps-per-epoch", "5", "--log-interval", "5"], clean_env(
            SM_HPS=json.dumps({"epochs": "9", "lr": "0.002", "sagemaker_program": "\"simulate.py\""})))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertLess(time.monotonic() - t, 20)
        lines = metric_lines(p.stdout)
        self.assertEqual(len(lines), 6, p.stdout)  # CLI epochs=3 beat SM_HPS epochs=9
        for line in lines:
            self.assertRegex(line, LINE)
        self.assertTrue(lines[0].startswith("epoch=0 step=5 train_loss="))
        self.assertIn("lr=0.002", lines[0])
        self.assertRegex(lines[1], r"^epoch=0 step=5 val_loss=\S+ val_dice=\S+$")
        self.assertTrue(os.path.exists(os.path.join(self.model, "model.json")))
        self.assertIn("trackgate disabled", p.stderr)

    def test_unreachable_gateway_still_exits_quickly(self) -> None:
        env = clean_env(TRACKGATE_URL="http://127.0.0.1:%d" % free_port(), TRACKGATE_RUN_ID="r1",
                        TRACKGATE_TOKEN="tok-secret", TRACKGATE_SPOOL_DIR=os.path.join(self.tmp, "spool"),
                        TRACKGATE_CLOSE_TIMEOUT="1")
        t = time.monotonic()
        p = self.run_sim(["--epochs", "2", "--steps-per-epoch", "5"], env)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertLess(time.monotonic() - t, 20)
        self.assertNotIn("tok-secret", p.stderr + p.stdout)
        self.assertTrue(os.path.exists(os.path.join(self.tmp, "spool", "r1.jsonl")))

    def test_fail_at_epoch_and_resume(self) -> None:
        p = self.run_sim(["--epochs", "4", "--steps-per-epoch", "3", "--fail-at-epoch", "2"], clean_env())
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertEqual({line.split()[0] for line in metric_lines(p.stdout)}, {"epoch=0", "epoch=1"})
        p = self.run_sim(["--epochs", "4", "--steps-per-epoch", "3"], clean_env())
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = metric_lines(p.stdout)
        self.assertEqual({line.split()[0] for line in lines}, {"epoch=2", "epoch=3"})
        self.assertTrue(lines[0].startswith("epoch=2 step=9 "), lines[0])  # resumed the global step
        self.assertIn("resuming", p.stderr)

    def test_sigterm_exits_143(self) -> None:
        p = subprocess.Popen([sys.executable, SIMULATE, "--checkpoint-dir", self.ck, "--model-dir", self.model,
                              "--epochs", "1000", "--steps-per-epoch", "10", "--step-sleep", "0.01",
                              "--log-interval", "1"],
                             env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert p.stdout is not None
        self.assertTrue(p.stdout.readline().startswith("epoch=0"))
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 143, err)

    def test_reports_through_client_fake_gateway(self) -> None:
        self._reports_through_client(FakeGateway)

    @unittest.skipIf(real_gateway_reason() is not None, "real gateway: %s" % real_gateway_reason())
    def test_reports_through_client_real_gateway(self) -> None:
        self._reports_through_client(RealGateway)

    def _reports_through_client(self, cls: Any) -> None:
        os.makedirs(os.path.join(self.tmp, "gw"))
        gw = cls(os.path.join(self.tmp, "gw"))
        gw.start()
        self.addCleanup(gw.stop)
        run_id, token = gw.create_run()
        env = clean_env(TRACKGATE_URL=gw.url, TRACKGATE_RUN_ID=run_id, TRACKGATE_TOKEN=token,
                        TRACKGATE_SPOOL_DIR=os.path.join(self.tmp, "spool"))
        p = self.run_sim(["--epochs", "2", "--steps-per-epoch", "4"], env)
        self.assertEqual(p.returncode, 0, p.stderr)
        losses = gw.metrics(run_id, "train_loss")
        self.assertEqual([m["step"] for m in losses], list(range(1, 9)))
        self.assertEqual(len(gw.metrics(run_id, "val_dice")), 2)
        summary: Any = gw.summary(run_id)
        self.assertEqual(summary["status"], "FINISHED")
        self.assertEqual(summary["params"]["epochs"], 2)


if __name__ == "__main__":
    unittest.main()
