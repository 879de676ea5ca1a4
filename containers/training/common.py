"""Standard-library parts shared by train.py and simulate.py: configuration (CLI + SageMaker
``SM_HPS``), SageMaker paths, data discovery, the metric log line, atomic files.

Nothing here imports torch, MONAI or nibabel, so it is importable and testable anywhere.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

logger = logging.getLogger("trackgate.train")

MODELS = ("SegResNet", "SwinUNETR", "UNet")
STRATEGIES = ("single", "ddp", "fsdp")

# name -> (type, default, help).  "bool" accepts true/false/1/0/yes/no; "roi" accepts 96 | 96,96,96 | [96,96,96]
HYPERPARAMETERS: Dict[str, Tuple[str, Any, str]] = {
    "strategy": ("choice:" + ",".join(STRATEGIES), "single", "single process, DDP or FSDP (under torchrun)"),
    "model": ("choice:" + ",".join(MODELS), "SegResNet", "MONAI network"),
    "epochs": ("int", 10, "total epochs (a resumed run continues up to this number)"),
    "batch_size": ("int", 2, "volumes per step per rank"),
    "lr": ("float", 1e-4, "AdamW learning rate"),
    "weight_decay": ("float", 1e-5, "AdamW weight decay"),
    "roi_size": ("roi", (96, 96, 96), "training crop / sliding-window size (SwinUNETR: multiples of 32, >= 64)"),
    "num_samples": ("int", 2, "random crops per volume"),
    "num_workers": ("int", 2, "DataLoader workers"),
    "val_interval": ("int", 1, "validate every N epochs"),
    "amp": ("bool", True, "automatic mixed precision (CUDA only; ignored on CPU)"),
    "seed": ("int", 0, "random seed"),
    "cache_rate": ("float", 0.0, "fraction of the training set cached in memory (MONAI CacheDataset)"),
    "in_channels": ("int", 1, "image channels"),
    "out_channels": ("int", 2, "classes including background"),
    "feature_size": ("int", 48, "SwinUNETR feature size (multiple of 12)"),
    "init_filters": ("int", 16, "SegResNet initial filters"),
    "val_fraction": ("float", 0.2, "held-out fraction of train when there is no valid channel"),
    "log_interval": ("int", 10, "log a train line every N steps"),
    "fsdp_min_params": ("int", 1000000, "FSDP size-based auto-wrap threshold (parameters)"),
    "sw_batch_size": ("int", 4, "sliding-window batch size at validation"),
    "fallback_model": ("bool", False, "if MONAI is missing, train a tiny built-in 3-D net instead (tests)"),
    # simulator only
    "steps_per_epoch": ("int", 20, "simulate.py: steps per epoch"),
    "step_sleep": ("float", 0.005, "simulate.py: seconds slept per step"),
    "fail_at_epoch": ("int", -1, "simulate.py: crash with exit code 3 at this epoch (tests)"),
}

PATH_ARGS: Dict[str, Tuple[Tuple[str, ...], str]] = {
    # name -> (environment variables in order of preference, default)
    "train_dir": (("SM_CHANNEL_TRAIN",), "/opt/ml/input/data/train"),
    "valid_dir": (("SM_CHANNEL_VALID", "SM_CHANNEL_VALIDATION"), "/opt/ml/input/data/valid"),
    "model_dir": (("SM_MODEL_DIR",), "/opt/ml/model"),
    "checkpoint_dir": (("SM_CHECKPOINT_DIR", "TRACKGATE_CHECKPOINT_DIR"), "/opt/ml/checkpoints"),
    "output_data_dir": (("SM_OUTPUT_DATA_DIR",), "/opt/ml/output/data"),
}


class ConfigError(ValueError):
    """A hyperparameter or path is invalid."""


class DataLayoutError(FileNotFoundError):
    """The data channel does not have the expected layout; the message names the missing file."""


def _to_bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    if s in ("1", "true", "yes", "y", "on"):
        return True
    if s in ("0", "false", "no", "n", "off", ""):
        return False
    raise ConfigError("not a boolean: %r" % (v,))


def _to_roi(v: Any) -> Tuple[int, int, int]:
    if isinstance(v, (list, tuple)):
        parts = [int(x) for x in v]
    elif isinstance(v, (int, float)):
        parts = [int(v)]
    else:
        s = str(v).strip().strip("[]()")
        parts = [int(float(x)) for x in s.replace("x", ",").split(",") if x.strip()]
    if len(parts) == 1:
        parts = parts * 3
    if len(parts) != 3 or any(p <= 0 for p in parts):
        raise ConfigError("roi_size must be one or three positive integers, got %r" % (v,))
    return (parts[0], parts[1], parts[2])


def coerce(name: str, value: Any) -> Any:
    """Convert a CLI string or SM_HPS value to the hyperparameter's type."""
    kind = HYPERPARAMETERS[name][0]
    try:
        if kind == "int":
            return int(float(value)) if not isinstance(value, bool) else int(value)
        if kind == "float":
            return float(value)
        if kind == "bool":
            return _to_bool(value)
        if kind == "roi":
            return _to_roi(value)
        if kind.startswith("choice:"):
            choices = kind[7:].split(",")
            s = str(value)
            for c in choices:  # case-insensitive match
                if c.lower() == s.lower():
                    return c
            if name == "model" and s.lower() == "tiny":
                return "Tiny"
            raise ConfigError("%s must be one of %s, got %r" % (name, "|".join(choices), value))
    except (TypeError, ValueError) as e:
        if isinstance(e, ConfigError):
            raise
        raise ConfigError("hyperparameter %s: cannot read %r as %s" % (name, value, kind))
    return value


def _unquote_sm(value: Any) -> Any:
    """SageMaker's SDK JSON-encodes some hyperparameter strings (``"\\"train.py\\""``)."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def parse_sm_hps(raw: Optional[str]) -> Dict[str, Any]:
    """Known hyperparameters from ``SM_HPS`` (JSON object).  ``sagemaker_*`` keys are ignored;
    other unknown keys are reported once and ignored; dashes and underscores are equivalent."""
    if not raw:
        return {}
    try:
        hps = json.loads(raw)
    except ValueError as e:
        raise ConfigError("SM_HPS is not valid JSON: %s" % e)
    if not isinstance(hps, dict):
        raise ConfigError("SM_HPS must be a JSON object")
    out: Dict[str, Any] = {}
    unknown = []
    for k, v in hps.items():
        name = str(k).replace("-", "_")
        if name.startswith("sagemaker_") or name.startswith("mp_parameters"):
            continue
        if name not in HYPERPARAMETERS:
            unknown.append(k)
            continue
        out[name] = coerce(name, _unquote_sm(v))
    if unknown:
        logger.warning("ignoring unknown hyperparameters in SM_HPS: %s", ", ".join(sorted(unknown)))
    return out


def build_parser(prog: str = "train.py") -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog=prog,
        description="MONAI 3-D segmentation trainer (single | DDP | FSDP) for SageMaker or local runs. "
                    "Hyperparameters come from the CLI and from SM_HPS (JSON); the CLI wins.",
        argument_default=argparse.SUPPRESS,
    )
    for name, (kind, default, help_) in HYPERPARAMETERS.items():
        flag = "--" + name.replace("_", "-")
        alias = "--" + name
        flags = [flag] if flag == alias else [flag, alias]
        ap.add_argument(*flags, dest=name, type=str, help="%s (default: %s)" % (help_, default),
                        metavar=kind.split(":")[0].upper())
    for name, (envs, default) in PATH_ARGS.items():
        flag = "--" + name.replace("_", "-")
        ap.add_argument(flag, "--" + name, dest=name, type=str,
                        help="default: $%s or %s" % (" / $".join(envs), default))
    return ap


def parse_config(argv: Optional[Sequence[str]] = None, env: Optional[Mapping[str, str]] = None,
                 prog: str = "train.py") -> argparse.Namespace:
    """defaults < SM_HPS < CLI for hyperparameters; CLI < SM_* env < default for paths."""
    env = os.environ if env is None else env
    ns = build_parser(prog).parse_args(list(sys.argv[1:] if argv is None else argv))
    cli = vars(ns)
    cfg: Dict[str, Any] = {name: spec[1] for name, spec in HYPERPARAMETERS.items()}
    cfg.update(parse_sm_hps(env.get("SM_HPS")))
    for name in HYPERPARAMETERS:
        if name in cli:
            cfg[name] = coerce(name, cli[name])
    for name, (envs, default) in PATH_ARGS.items():
        value = cli.get(name)
        if value is None:
            value = next((env[e] for e in envs if env.get(e)), default)
        cfg[name] = value
    _validate(cfg)
    return argparse.Namespace(**cfg)


def _validate(cfg: Dict[str, Any]) -> None:
    for name in ("epochs", "batch_size", "num_samples", "val_interval", "in_channels", "log_interval",
                 "sw_batch_size", "steps_per_epoch"):
        if cfg[name] < 1:
            raise ConfigError("%s must be >= 1, got %r" % (name, cfg[name]))
    if cfg["out_channels"] < 2:
        raise ConfigError("out_channels must be >= 2 (background + classes)")
    if cfg["num_workers"] < 0:
        raise ConfigError("num_workers must be >= 0")
    if not 0.0 <= cfg["cache_rate"] <= 1.0:
        raise ConfigError("cache_rate must be in [0, 1]")
    if not cfg["lr"] > 0:
        raise ConfigError("lr must be > 0")
    if cfg["model"] == "SwinUNETR":
        if any(s % 32 or s < 64 for s in cfg["roi_size"]):
            raise ConfigError("SwinUNETR needs roi_size multiples of 32 and >= 64 (got %s)" % (cfg["roi_size"],))
        if cfg["feature_size"] % 12:
            raise ConfigError("SwinUNETR feature_size must be a multiple of 12")


# ---------------------------------------------------------------------------- data

IMAGE_NAMES = ("img.nii.gz", "img.nii")
LABEL_NAMES = ("label.nii.gz", "label.nii")


def _subject_root(channel_dir: str, split: str) -> str:
    """Accept ``<channel>/<split>/subject_*`` and ``<channel>/subject_*``."""
    nested = os.path.join(channel_dir, split)
    if os.path.isdir(nested):
        return nested
    return channel_dir


def discover_subjects(channel_dir: str, split: str = "train") -> List[Dict[str, str]]:
    """``[{"image": .../img.nii.gz, "label": .../label.nii.gz, "subject": name}]`` sorted by subject.

    Raises DataLayoutError naming the missing directory or file."""
    if not channel_dir or not os.path.isdir(channel_dir):
        raise DataLayoutError("data channel directory %s does not exist (expected %s/%s/subject_xxx/img.nii.gz "
                              "and label.nii.gz)" % (channel_dir, channel_dir, split))
    root = _subject_root(channel_dir, split)
    subjects = sorted(d for d in os.listdir(root)
                      if os.path.isdir(os.path.join(root, d)) and not d.startswith("."))
    if not subjects:
        raise DataLayoutError("no subject directories in %s (expected %s/subject_xxx/img.nii.gz and "
                              "label.nii.gz)" % (root, root))
    out = []
    for s in subjects:
        d = os.path.join(root, s)
        img = next((os.path.join(d, n) for n in IMAGE_NAMES if os.path.isfile(os.path.join(d, n))), None)
        lab = next((os.path.join(d, n) for n in LABEL_NAMES if os.path.isfile(os.path.join(d, n))), None)
        if img is None:
            raise DataLayoutError("missing image file %s" % os.path.join(d, IMAGE_NAMES[0]))
        if lab is None:
            raise DataLayoutError("missing label file %s" % os.path.join(d, LABEL_NAMES[0]))
        out.append({"image": img, "label": lab, "subject": s})
    return out


def discover_data(cfg: argparse.Namespace) -> Tuple[List[Dict[str, str]], List[Dict[str, str]]]:
    """Train and validation lists.  Without a valid channel, hold out ``val_fraction`` of train
    (deterministically, at least one subject when there are two or more)."""
    train = discover_subjects(cfg.train_dir, "train")
    valid_dir = cfg.valid_dir
    if valid_dir and os.path.isdir(valid_dir):
        return train, discover_subjects(valid_dir, "valid")
    nested = os.path.join(cfg.train_dir, "valid")
    if os.path.isdir(nested):
        return train, discover_subjects(cfg.train_dir, "valid")
    if len(train) < 2:
        logger.warning("no validation channel and one training subject: validating on it")
        return train, list(train)
    n_val = max(1, int(round(len(train) * cfg.val_fraction)))
    n_val = min(n_val, len(train) - 1)
    logger.warning("no validation channel (%s): holding out %d of %d training subjects",
                   valid_dir, n_val, len(train))
    return train[:-n_val], train[-n_val:]


# ---------------------------------------------------------------------------- metric lines

def format_metric_line(epoch: int, step: int, values: Mapping[str, Any]) -> str:
    """The line format of src/launch/metric-lines.ts: ``epoch=3 step=1200 train_loss=0.41 lr=0.0003``
    (0-based epoch, global optimiser step, numbers as ``repr(float(x))``)."""
    return " ".join(["epoch=%d" % int(epoch), "step=%d" % int(step)]
                    + ["%s=%r" % (k, float(v)) for k, v in values.items()])


def print_metric_line(epoch: int, step: int, values: Mapping[str, Any]) -> None:
    print(format_metric_line(epoch, step, values), flush=True)


# ---------------------------------------------------------------------------- files

def atomic_write_bytes(path: str, data: bytes) -> None:
    """Write ``path`` so that a reader (or a restart after SIGKILL) sees the old or the new file."""
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=d)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        fsync_dir(d)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def fsync_dir(d: str) -> None:
    try:
        fd = os.open(d, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def import_client() -> Any:
    """The trackgate client module, from the image (same directory) or the repo (../client)."""
    here = os.path.dirname(os.path.abspath(__file__))
    for p in (here, os.path.join(os.path.dirname(here), "client")):
        if os.path.isfile(os.path.join(p, "trackgate_client.py")) and p not in sys.path:
            sys.path.insert(0, p)
    import trackgate_client  # noqa: E402
    return trackgate_client


def config_params(cfg: argparse.Namespace) -> Dict[str, Any]:
    """Hyperparameters as typed run params (roi_size a list), without simulator-only knobs."""
    skip = {"steps_per_epoch", "step_sleep", "fail_at_epoch"}
    out: Dict[str, Any] = {}
    for k in HYPERPARAMETERS:
        if k in skip:
            continue
        v = getattr(cfg, k)
        out[k] = list(v) if isinstance(v, tuple) else v
    return out


def setup_logging() -> None:
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
