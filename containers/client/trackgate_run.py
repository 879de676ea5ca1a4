"""Run a trainer and upload its TensorBoard event files to the gateway as they grow.

    python trackgate_run.py [--tensorboard DIR]... -- python train.py --epochs 3

A trainer that only uses ``SummaryWriter`` is tracked with no code change: this wrapper follows
the event files under each DIR (default: ``$TRACKGATE_TENSORBOARD_DIR``, and SummaryWriter's own
default ``./runs``), uploads what is new while the trainer runs, and after it exits uploads the
rest before exiting with the trainer's exit code.  The SageMaker image's entrypoint and the
gateway's local launcher run every trainer under it.

- A tuning trial claims its run here, once, and the trainer inherits TRACKGATE_RUN_ID and
  TRACKGATE_TOKEN (so a trainer that also uses the callback client does not claim again).
- The uploads spool apart from the trainer's own client (``<run>.tensorboard.jsonl``).
- SIGTERM (a spot interruption, a stop): forwarded to the trainer when this process leads its
  process group (a container's PID 1, a shell's job); the local launcher signals the whole group
  itself.  After the trainer exits the rest is uploaded within TRACKGATE_SIGTERM_TIMEOUT.
- Without a gateway (TRACKGATE_URL unset) or with TRACKGATE_TAIL_TENSORBOARD=0 it only runs the
  trainer.  Standard library only, Python >= 3.8.
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import tempfile
from typing import Any, List, Optional, Tuple

import trackgate_client

logger = logging.getLogger("trackgate")


def parse_args(argv: List[str]) -> Tuple[List[str], List[str]]:
    """(logdirs, trainer argv).  Logdirs default to $TRACKGATE_TENSORBOARD_DIR and ./runs."""
    dirs: List[str] = []
    i = 0
    while i < len(argv) and argv[i] != "--":
        if argv[i] == "--tensorboard" and i + 1 < len(argv):
            dirs.append(argv[i + 1])
            i += 2
        else:
            raise SystemExit("trackgate_run: unknown option %r (usage: [--tensorboard DIR]... -- COMMAND...)" % argv[i])
    command = argv[i + 1:]
    if not command:
        raise SystemExit("trackgate_run: no command given (usage: [--tensorboard DIR]... -- COMMAND...)")
    if not dirs:
        dirs = [d for d in (os.environ.get("TRACKGATE_TENSORBOARD_DIR", ""), "runs") if d]
    unique: List[str] = []
    for d in dirs:
        if os.path.abspath(d) not in [os.path.abspath(u) for u in unique]:
            unique.append(d)
    return unique, command


def _uploader(logdirs: List[str]) -> Optional[trackgate_client.TrackgateClient]:
    if os.environ.get("TRACKGATE_TAIL_TENSORBOARD", "1") == "0" or not os.environ.get("TRACKGATE_URL"):
        return None
    client = trackgate_client.TrackgateClient(install_handlers=False, spool_path=_spool_path())
    if not client.enabled:
        return None
    # The trainer's own client (if any) uses the same run: no second claim, no second token.
    os.environ["TRACKGATE_RUN_ID"] = client.run_id
    os.environ["TRACKGATE_TOKEN"] = client._token  # noqa: SLF001 - handed to the child only
    for d in logdirs:
        client.tail_tensorboard(d)
    return client


def _spool_path() -> str:
    run = os.environ.get("TRACKGATE_RUN_ID", "") or trackgate_client.training_job_name() or "trial"
    base = os.environ.get("TRACKGATE_SPOOL_DIR") or os.path.join(tempfile.gettempdir(), "trackgate-spool")
    safe = "".join(c if c.isalnum() or c in "_.-" else "_" for c in run)[:200]
    return os.path.join(base, safe + ".tensorboard.jsonl")


def run(argv: List[str]) -> int:
    logdirs, command = parse_args(argv)
    client = _uploader(logdirs)
    try:
        child = subprocess.Popen(command)
    except OSError as e:
        logger.error("trackgate_run: cannot start %s: %s", command[0], e)
        if client is not None:
            client.close()
        return 127
    leader = os.getpgrp() == os.getpid()

    def forward(signum: int, _frame: Any) -> None:
        if leader and child.poll() is None:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, signal.SIG_IGN if not leader else forward)
    code = child.wait()
    if client is not None:
        timeout = trackgate_client._env_float("TRACKGATE_SIGTERM_TIMEOUT", 30.0)  # noqa: SLF001
        if not client.close(timeout):
            logger.warning("trackgate_run: not every event file was uploaded in %.0f s; they resume from the spool", timeout)
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
