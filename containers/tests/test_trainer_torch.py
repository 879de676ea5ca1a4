"""train.py for real on tiny synthetic NIfTI volumes.  Needs torch + numpy + nibabel in the running
interpreter (Debian: ``apt-get install python3-torch python3-nibabel``, then ``/usr/bin/python3``);
MONAI is optional: without it the trainer runs its tiny fallback network (``--fallback-model``),
with it the three real models are trained for one epoch each."""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest
from typing import Dict, List

from . import CONTAINERS

TRAIN = os.path.join(CONTAINERS, "training", "train.py")


def _has(mod: str) -> bool:
    try:
        return importlib.util.find_spec(mod) is not None
    except (ImportError, ValueError):
        return False


HAS_TORCH = _has("torch") and _has("nibabel") and _has("numpy")
HAS_MONAI = HAS_TORCH and _has("monai")
WHY = "needs torch, numpy and nibabel in %s" % sys.executable


def make_volumes(root: str, split: str, n: int, size: int = 24, seed: int = 0) -> None:
    import nibabel as nib
    import numpy as np
    rng = np.random.default_rng(seed)
    for i in range(n):
        d = os.path.join(root, split, "subject_%03d" % i)
        os.makedirs(d)
        zz, yy, xx = np.mgrid[:size, :size, :size]
        c = rng.integers(size // 3, 2 * size // 3, 3)
        r = rng.integers(3, size // 4)
        lab = (((zz - c[0]) ** 2 + (yy - c[1]) ** 2 + (xx - c[2]) ** 2) <= r * r).astype(np.uint8)
        img = (lab * 2.0 + rng.normal(0, 0.5, lab.shape) + 1.0).astype(np.float32)
        nib.save(nib.Nifti1Image(img, np.eye(4)), os.path.join(d, "img.nii.gz"))
        nib.save(nib.Nifti1Image(lab, np.eye(4)), os.path.join(d, "label.nii.gz"))


class _TrainerBase(unittest.TestCase):
    """Synthetic data and helpers (no tests of its own)."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.data = tempfile.mkdtemp(prefix="tg-train-data-")
        make_volumes(cls.data, "train", 4, seed=1)
        make_volumes(cls.data, "valid", 2, seed=2)

    @classmethod
    def tearDownClass(cls) -> None:
        shutil.rmtree(cls.data, True)

    def setUp(self) -> None:
        self.tmp = tempfile.mkdtemp(prefix="tg-train-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.ck = os.path.join(self.tmp, "ck")
        self.model_dir = os.path.join(self.tmp, "model")

    def env(self) -> Dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKGATE_", "SM_"))}
        env.update({"SM_CHANNEL_TRAIN": self.data, "SM_CHANNEL_VALID": self.data, "SM_MODEL_DIR": self.model_dir,
                    "SM_CHECKPOINT_DIR": self.ck, "OMP_NUM_THREADS": "2",
                    "SM_HPS": '{"num_workers": "0", "batch_size": "2", "roi_size": "16", "num_samples": "1",'
                              ' "log_interval": "1", "sw_batch_size": "2"}'})
        return env

    def run_train(self, args: List[str], launcher: List[str] = (), timeout: float = 300) -> subprocess.CompletedProcess:
        cmd = [sys.executable] + list(launcher) + [TRAIN] + args
        # Its own process group: a timeout kills torchrun's ranks too, not just torchrun.
        p = subprocess.Popen(cmd, env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            raise
        return subprocess.CompletedProcess(cmd, p.returncode, out, err)

    def lines(self, p: subprocess.CompletedProcess) -> List[str]:
        return [line for line in p.stdout.splitlines() if line.startswith("epoch=")]

    def ckpt_epoch(self) -> int:
        import torch
        return int(torch.load(os.path.join(self.ck, "checkpoint.pt"), map_location="cpu")["epoch"])


@unittest.skipUnless(HAS_TORCH, WHY)
class TorchTrainerTests(_TrainerBase):

    def test_single_epoch_checkpoint_and_resume(self) -> None:
        """One epoch (tiny fallback network when MONAI is absent), then a restart resumes at epoch 1."""
        args = ["--strategy", "single", "--model", "SegResNet", "--fallback-model", "true", "--amp", "true"]
        p = self.run_train(args + ["--epochs", "1"])
        self.assertEqual(p.returncode, 0, p.stderr[-3000:])
        if not HAS_MONAI:
            self.assertIn("TINY FALLBACK", p.stderr)
        lines = self.lines(p)
        self.assertTrue(any(" val_dice=" in line for line in lines), p.stdout)
        self.assertTrue(all(line.startswith("epoch=0 ") for line in lines), lines)
        self.assertEqual(self.ckpt_epoch(), 0)
        self.assertTrue(os.path.exists(os.path.join(self.model_dir, "model.pt")))
        self.assertFalse([f for f in os.listdir(self.ck) if f.startswith(".tmp")])
        p = self.run_train(args + ["--epochs", "2"])
        self.assertEqual(p.returncode, 0, p.stderr[-3000:])
        self.assertIn("resumed from", p.stderr)
        lines = self.lines(p)
        self.assertTrue(lines and all(line.startswith("epoch=1 ") for line in lines), lines)
        self.assertTrue(lines[0].startswith("epoch=1 step=3 "), lines[0])  # 2 steps in epoch 0, global step goes on
        self.assertEqual(self.ckpt_epoch(), 1)

    def test_ddp_two_ranks(self) -> None:
        # torch 1.13 + Python 3.11 torchrun needs --redirects/--tee (see shared/reference/trainer-on-cpu.md)
        launcher = ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                    "--redirects", "2", "--tee", "2"]
        args = ["--strategy", "ddp", "--model", "UNet", "--fallback-model", "1", "--epochs", "1"]
        try:
            p = self.run_train(args, launcher=launcher, timeout=120)
        except subprocess.TimeoutExpired:
            # Seen once on a loaded 2-core CI run (torch 1.13, gloo): a rank never finished its
            # rendezvous; the same run alone takes ~10 s. One retry, said out loud.
            print("test_ddp_two_ranks: the 2-rank run timed out after 120 s; retrying once", file=sys.stderr)
            p = self.run_train(args, launcher=launcher, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr[-3000:])
        lines = self.lines(p)
        self.assertTrue(any(" val_dice=" in line for line in lines), p.stdout)
        # 4 subjects, 2 ranks, batch 2 -> one step per rank per epoch; only rank 0 prints
        self.assertEqual(len([line for line in lines if " val_dice=" in line]), 1)
        self.assertEqual(self.ckpt_epoch(), 0)

    def test_fsdp_on_cpu_fails_clearly(self) -> None:
        import torch
        if torch.cuda.is_available():
            self.skipTest("CUDA present: FSDP is exercised on GPU machines")
        p = self.run_train(["--strategy", "fsdp", "--model", "UNet", "--fallback-model", "1", "--epochs", "1"])
        self.assertEqual(p.returncode, 2, p.stderr[-3000:])
        self.assertIn("fsdp", p.stderr.lower())
        self.assertIn("CUDA", p.stderr)

    def test_missing_monai_without_fallback_is_explained(self) -> None:
        if HAS_MONAI:
            self.skipTest("MONAI installed")
        p = self.run_train(["--model", "SegResNet", "--epochs", "1"])
        self.assertEqual(p.returncode, 2, p.stderr[-3000:])
        self.assertIn("MONAI is not installed", p.stderr)


@unittest.skipUnless(HAS_MONAI, "needs MONAI (pip install 'monai==1.3.*' einops) and torch + nibabel")
class MonaiModelTests(_TrainerBase):
    def test_three_models_one_epoch(self) -> None:
        for model, roi in (("SegResNet", "16"), ("UNet", "16"), ("SwinUNETR", "64")):
            with self.subTest(model=model):
                ck = os.path.join(self.tmp, "ck-" + model)
                p = self.run_train(["--model", model, "--epochs", "1", "--roi-size", roi,
                                    "--checkpoint-dir", ck, "--feature-size", "12"], timeout=900)
                self.assertEqual(p.returncode, 0, p.stderr[-3000:])
                self.assertTrue(os.path.exists(os.path.join(ck, "checkpoint.pt")))


if __name__ == "__main__":
    unittest.main()
