"""A standard-library stand-in for train.py: same CLI and SM_* parsing, same metric log lines,
same client reporting, per-epoch checkpoint + resume, but no torch.  Loss falls and Dice rises
over the epochs with a little noise, to a level set by the hyperparameters (see ``quality``); each step sleeps ``--step-sleep`` seconds.

    python3 simulate.py --epochs 3 --steps-per-epoch 20 [--fail-at-epoch 1]

Exit codes: 0 done; 3 crashed on purpose (``--fail-at-epoch``); 143 after SIGTERM (flushed);
2 bad configuration.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import signal
import sys
import time
from typing import Any, Optional, Sequence

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import (ConfigError, atomic_write_bytes, config_params, import_client,  # noqa: E402
                    parse_config, print_metric_line, setup_logging)

logger = logging.getLogger("trackgate.simulate")

CHECKPOINT_NAME = "simulator-checkpoint.json"


class SimulatedCrash(RuntimeError):
    pass


MODEL_FIT = {"SegResNet": 1.0, "SwinUNETR": 0.98, "UNet": 0.96, "Tiny": 0.9}


def quality(cfg: Any) -> float:
    """How good these hyperparameters are, in (0, 1]: a smooth optimum at lr ~ 5e-4 (log scale),
    batch size 4 and SegResNet, so a hyperparameter search has something to find."""
    q = math.exp(-((math.log10(max(cfg.lr, 1e-12)) + 3.3) ** 2) / 2.0)
    q *= max(0.5, 1.0 - 0.04 * abs(math.log2(max(cfg.batch_size, 1) / 4.0)))
    return q * MODEL_FIT.get(cfg.model, 0.95)


def curves(epoch: int, step_in_epoch: int, steps_per_epoch: int, rng: random.Random, q: float = 1.0) -> float:
    t = epoch + step_in_epoch / float(steps_per_epoch)
    return max(0.01, 1.2 * math.exp(-0.45 * q * t) + 0.05 + 0.3 * (1 - q) + rng.gauss(0, 0.02))


def val_dice(epoch: int, rng: random.Random, q: float = 1.0) -> float:
    return min(0.99, max(0.0, 0.9 * q * (1 - math.exp(-0.5 * (epoch + 1))) + rng.gauss(0, 0.01)))


def main(argv: Optional[Sequence[str]] = None) -> int:
    setup_logging()
    try:
        cfg = parse_config(argv, prog="simulate.py")
    except ConfigError as e:
        logger.error("%s", e)
        return 2
    tc = import_client()
    client = tc.TrackgateClient()

    def on_sigterm(signum: int, frame: Any) -> None:
        logger.warning("SIGTERM: flushing metrics and exiting 143")
        client.flush(client.sigterm_timeout)
        sys.exit(143)

    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, on_sigterm)

    ckpt_path = os.path.join(cfg.checkpoint_dir, CHECKPOINT_NAME)
    start_epoch, step = 0, 0
    try:
        with open(ckpt_path) as f:
            state = json.load(f)
        start_epoch, step = int(state["epoch"]) + 1, int(state["step"])
        logger.info("resuming from %s: epoch %d done, step %d", ckpt_path, start_epoch - 1, step)
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError) as e:
        logger.warning("ignoring unreadable checkpoint %s: %s", ckpt_path, e)

    client.log_params(config_params(cfg))
    client.set_tags({"trainer": "simulate.py", "strategy": cfg.strategy, "model": cfg.model})
    rng = random.Random(cfg.seed)
    q = quality(cfg)
    try:
        for epoch in range(start_epoch, cfg.epochs):
            if epoch == cfg.fail_at_epoch:
                raise SimulatedCrash("simulated failure at epoch %d (--fail-at-epoch)" % epoch)
            lr = cfg.lr * 0.5 * (1 + math.cos(math.pi * epoch / cfg.epochs))
            for i in range(cfg.steps_per_epoch):
                time.sleep(cfg.step_sleep)
                step += 1
                loss = curves(epoch, i, cfg.steps_per_epoch, rng, q)
                client.log({"train_loss": loss, "lr": lr}, step)
                if step % cfg.log_interval == 0 or i == cfg.steps_per_epoch - 1:
                    print_metric_line(epoch, step, {"train_loss": loss, "lr": lr})
            if (epoch + 1) % cfg.val_interval == 0 or epoch == cfg.epochs - 1:
                vd = val_dice(epoch, rng, q)
                vl = curves(epoch + 1, 0, cfg.steps_per_epoch, rng, q)
                client.log({"val_loss": vl, "val_dice": vd, "epoch": float(epoch)}, step)
                print_metric_line(epoch, step, {"val_loss": vl, "val_dice": vd})
            atomic_write_bytes(ckpt_path, json.dumps({"epoch": epoch, "step": step}).encode())
    except SimulatedCrash as e:
        logger.error("%s", e)
        client.finish("FAILED")
        return 3
    os.makedirs(cfg.model_dir, exist_ok=True)
    atomic_write_bytes(os.path.join(cfg.model_dir, "model.json"),
                       json.dumps({"simulated": True, "epochs": cfg.epochs, "steps": step}).encode())
    client.finish("FINISHED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
