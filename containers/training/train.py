"""One MONAI 3-D segmentation trainer for SageMaker and local runs.

    python train.py --strategy single --model SegResNet --epochs 10
    torchrun --nproc_per_node 4 train.py --strategy ddp  ...
    torchrun --nproc_per_node 4 train.py --strategy fsdp ...      (CUDA only)

* Hyperparameters: CLI and SageMaker ``SM_HPS`` (JSON); the CLI wins.  See ``common.py``.
* Data: ``$SM_CHANNEL_TRAIN/[train/]subject_xxx/{img,label}.nii.gz`` and the same under
  ``$SM_CHANNEL_VALID/[valid/]`` (without a valid channel a fraction of train is held out).
* Checkpoints: every epoch to ``$SM_CHECKPOINT_DIR`` (default ``/opt/ml/checkpoints``, which
  SageMaker syncs with S3 and restores after a spot interruption), written atomically; a restart
  resumes from it.  DDP: rank 0 writes.  FSDP: a full state dict gathered on rank 0.
* Final weights: ``$SM_MODEL_DIR/model.pt`` (+ ``model_config.json``).
* Metrics: through the trackgate client (rank 0) and as log lines in the format of
  ``src/launch/metric-lines.ts``: ``epoch=3 step=1200 train_loss=0.41 lr=0.0003``.

torch, MONAI and nibabel are imported inside functions only: ``common.py`` (arguments, SM_*,
data discovery) works without them.
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
from typing import Any, Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import (ConfigError, DataLayoutError, atomic_write_bytes, config_params,  # noqa: E402
                    discover_data, import_client, parse_config, print_metric_line, setup_logging)

logger = logging.getLogger("trackgate.train")

CHECKPOINT_NAME = "checkpoint.pt"
EXIT_CONFIG = 2


# ---------------------------------------------------------------------------- environment

def have_monai() -> bool:
    try:
        import monai  # noqa: F401
        return True
    except ImportError:
        return False


class Dist:
    """torchrun environment (RANK / WORLD_SIZE / LOCAL_RANK) and the process group."""

    def __init__(self, strategy: str) -> None:
        import torch
        import torch.distributed as dist

        self.rank = int(os.environ.get("RANK", "0"))
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        self.cuda = torch.cuda.is_available()
        self.device = torch.device("cuda", self.local_rank) if self.cuda else torch.device("cpu")
        if self.cuda:
            torch.cuda.set_device(self.device)
        self.enabled = strategy in ("ddp", "fsdp") or self.world > 1
        if strategy == "single" and self.world > 1:
            raise ConfigError("--strategy single under a launcher with WORLD_SIZE=%d: use ddp or fsdp" % self.world)
        if self.enabled:
            os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
            os.environ.setdefault("MASTER_PORT", "29500")
            backend = "nccl" if self.cuda else "gloo"
            dist.init_process_group(backend=backend, rank=self.rank, world_size=self.world)
            logger.info("process group: backend=%s rank=%d/%d local_rank=%d", backend, self.rank,
                        self.world, self.local_rank)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        if self.enabled:
            import torch.distributed as dist
            dist.barrier()

    def all_sum(self, values: List[float]) -> List[float]:
        if not self.enabled:
            return values
        import torch
        import torch.distributed as dist
        t = torch.tensor(values, dtype=torch.float64, device=self.device)
        dist.all_reduce(t)
        return [float(x) for x in t.tolist()]

    def all_max(self, value: float) -> float:
        if not self.enabled:
            return value
        import torch
        import torch.distributed as dist
        t = torch.tensor([value], dtype=torch.float64, device=self.device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return float(t.item())

    def close(self) -> None:
        if self.enabled:
            import torch.distributed as dist
            if dist.is_initialized():
                dist.destroy_process_group()


def seed_everything(seed: int) -> None:
    import numpy as np
    import torch
    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    torch.manual_seed(seed)
    if have_monai():
        from monai.utils import set_determinism
        set_determinism(seed=seed)


# ---------------------------------------------------------------------------- models

def build_model(cfg: Any) -> Any:
    """SegResNet | SwinUNETR | UNet from MONAI; ``Tiny`` (or any model with --fallback-model and no
    MONAI) is a small built-in 3-D conv net for tests on machines without MONAI."""
    name = cfg.model
    if name != "Tiny" and not have_monai():
        if not cfg.fallback_model:
            raise ConfigError("MONAI is not installed, so --model %s cannot be built (pip install "
                              "'monai==1.3.*'; or pass --fallback-model for the tiny test network)" % name)
        logger.warning("MONAI is not installed: training the TINY FALLBACK network instead of %s "
                       "(--fallback-model; for tests only)", name)
        name = "Tiny"
    if name == "Tiny":
        return TinySegNet(cfg.in_channels, cfg.out_channels)
    from monai.networks import nets
    if name == "SegResNet":
        return nets.SegResNet(spatial_dims=3, in_channels=cfg.in_channels, out_channels=cfg.out_channels,
                              init_filters=cfg.init_filters)
    if name == "UNet":
        return nets.UNet(spatial_dims=3, in_channels=cfg.in_channels, out_channels=cfg.out_channels,
                         channels=(16, 32, 64, 128, 256), strides=(2, 2, 2, 2), num_res_units=2)
    if name == "SwinUNETR":
        kwargs: Dict[str, Any] = dict(in_channels=cfg.in_channels, out_channels=cfg.out_channels,
                                      feature_size=cfg.feature_size, spatial_dims=3)
        import inspect
        if "img_size" in inspect.signature(nets.SwinUNETR.__init__).parameters:
            kwargs["img_size"] = tuple(cfg.roi_size)  # required in MONAI 1.3, deprecated later
        try:
            return nets.SwinUNETR(**kwargs)
        except ModuleNotFoundError as e:  # einops
            raise ConfigError("SwinUNETR needs %s (pip install einops)" % e.name)
    raise ConfigError("unknown model %s" % name)


def TinySegNet(in_channels: int, out_channels: int) -> Any:  # noqa: N802 - a factory posing as a class
    import torch.nn as nn

    class _Tiny(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.enc = nn.Sequential(nn.Conv3d(in_channels, 8, 3, padding=1), nn.ReLU(),
                                     nn.Conv3d(8, 8, 3, padding=1), nn.ReLU())
            self.down = nn.Sequential(nn.MaxPool3d(2), nn.Conv3d(8, 16, 3, padding=1), nn.ReLU())
            self.up = nn.Upsample(scale_factor=2, mode="trilinear", align_corners=False)
            self.head = nn.Conv3d(24, out_channels, 1)

        def forward(self, x: Any) -> Any:
            import torch
            e = self.enc(x)
            d = self.up(self.down(e))
            return self.head(torch.cat([e, d], 1))

    return _Tiny()


# ---------------------------------------------------------------------------- loss & metric

class Criterion:
    """DiceCE (softmax, one-hot labels) and a mean foreground Dice: MONAI's when available, else a
    small torch equivalent."""

    def __init__(self, out_channels: int) -> None:
        self.n = out_channels
        self.monai = have_monai()
        if self.monai:
            from monai.losses import DiceCELoss
            self.loss = DiceCELoss(to_onehot_y=True, softmax=True)
        else:
            self.loss = self._dice_ce

    def _dice_ce(self, logits: Any, label: Any) -> Any:
        import torch.nn.functional as F
        target = label[:, 0].long()
        ce = F.cross_entropy(logits, target)
        prob = logits.softmax(1)
        onehot = F.one_hot(target, self.n).permute(0, 4, 1, 2, 3).to(prob.dtype)
        dims = (2, 3, 4)
        inter = (prob * onehot).sum(dims)
        denom = prob.sum(dims) + onehot.sum(dims)
        dice = 1 - (2 * inter + 1e-5) / (denom + 1e-5)
        return ce + dice.mean()

    def dice_per_case(self, logits: Any, label: Any) -> Any:
        """Hard Dice per case, averaged over foreground classes present in prediction or label."""
        import torch
        import torch.nn.functional as F
        pred = F.one_hot(logits.argmax(1), self.n).permute(0, 4, 1, 2, 3)[:, 1:].float()
        gt = F.one_hot(label[:, 0].long(), self.n).permute(0, 4, 1, 2, 3)[:, 1:].float()
        dims = (2, 3, 4)
        inter = (pred * gt).sum(dims)
        denom = pred.sum(dims) + gt.sum(dims)
        dice = torch.where(denom > 0, 2 * inter / denom.clamp(min=1e-8), torch.ones_like(denom))
        return dice.mean(1)


# ---------------------------------------------------------------------------- data

def build_loaders(cfg: Any, train_files: List[Dict[str, str]], val_files: List[Dict[str, str]],
                  dist_: Dist) -> Tuple[Any, Any, Any]:
    import torch
    from torch.utils.data import DataLoader
    from torch.utils.data.distributed import DistributedSampler

    if have_monai():
        train_ds, val_ds = _monai_datasets(cfg, train_files, val_files)
        from monai.data import list_data_collate
        collate = list_data_collate
    else:
        train_ds, val_ds = _NiftiDataset(train_files, cfg, True), _NiftiDataset(val_files, cfg, False)
        collate = None
    train_sampler = DistributedSampler(train_ds, num_replicas=dist_.world, rank=dist_.rank, shuffle=True,
                                       seed=cfg.seed) if dist_.enabled else None
    val_sampler = DistributedSampler(val_ds, num_replicas=dist_.world, rank=dist_.rank,
                                     shuffle=False) if dist_.enabled else None
    kw: Dict[str, Any] = {"num_workers": cfg.num_workers, "pin_memory": dist_.cuda}
    if cfg.num_workers > 0:
        kw["persistent_workers"] = True
    train_loader = DataLoader(train_ds, batch_size=cfg.batch_size, shuffle=train_sampler is None,
                              sampler=train_sampler, collate_fn=collate, drop_last=False, **kw)
    val_loader = DataLoader(val_ds, batch_size=1, shuffle=False, sampler=val_sampler, **kw)
    del torch
    return train_loader, val_loader, train_sampler


def _monai_datasets(cfg: Any, train_files: List[Dict[str, str]], val_files: List[Dict[str, str]]) -> Tuple[Any, Any]:
    from monai import transforms as T
    from monai.data import CacheDataset, Dataset

    keys = ["image", "label"]
    base = [
        T.LoadImaged(keys=keys, image_only=True),
        T.EnsureChannelFirstd(keys=keys),
        T.NormalizeIntensityd(keys="image", nonzero=True, channel_wise=True),
        T.SpatialPadd(keys=keys, spatial_size=cfg.roi_size),
    ]
    train_t = T.Compose(base + [
        T.RandCropByPosNegLabeld(keys=keys, label_key="label", spatial_size=cfg.roi_size, pos=1, neg=1,
                                 num_samples=cfg.num_samples, image_key="image", allow_smaller=True),
        T.RandFlipd(keys=keys, prob=0.5, spatial_axis=0),
        T.RandScaleIntensityd(keys="image", factors=0.1, prob=0.5),
        T.EnsureTyped(keys=keys, track_meta=False),
    ])
    val_t = T.Compose(base + [T.EnsureTyped(keys=keys, track_meta=False)])
    strip = [{"image": f["image"], "label": f["label"]} for f in train_files]
    vstrip = [{"image": f["image"], "label": f["label"]} for f in val_files]
    if cfg.cache_rate > 0:
        train_ds = CacheDataset(strip, train_t, cache_rate=cfg.cache_rate, num_workers=cfg.num_workers or None,
                                progress=False)
    else:
        train_ds = Dataset(strip, train_t)
    return train_ds, Dataset(vstrip, val_t)


class _NiftiDataset:
    """Fallback without MONAI: nibabel load, z-score, pad, random crop (train) of roi_size."""

    def __init__(self, files: List[Dict[str, str]], cfg: Any, train: bool) -> None:
        self.files, self.cfg, self.train = files, cfg, train
        self.rng = random.Random(cfg.seed)

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> Dict[str, Any]:
        import nibabel as nib
        import numpy as np
        import torch
        f = self.files[i]
        img = np.asarray(nib.load(f["image"]).dataobj, dtype=np.float32)
        lab = np.asarray(nib.load(f["label"]).dataobj).astype(np.int64)
        if img.ndim == 3:
            img = img[None]
        if lab.ndim == 3:
            lab = lab[None]
        nz = img[img != 0]
        if nz.size:
            img = np.where(img != 0, (img - nz.mean()) / (nz.std() + 1e-8), 0).astype(np.float32)
        roi = self.cfg.roi_size
        pad = [(0, 0)] + [(0, max(0, r - s)) for r, s in zip(roi, img.shape[1:])]
        img, lab = np.pad(img, pad), np.pad(lab, pad)
        if self.train:
            starts = [self.rng.randint(0, s - r) for r, s in zip(roi, img.shape[1:])]
            sl = (slice(None),) + tuple(slice(a, a + r) for a, r in zip(starts, roi))
            img, lab = img[sl], lab[sl]
        return {"image": torch.from_numpy(np.ascontiguousarray(img)),
                "label": torch.from_numpy(np.ascontiguousarray(lab))}


# ---------------------------------------------------------------------------- checkpoints

def save_checkpoint(path: str, state: Dict[str, Any]) -> None:
    """torch.save to a temp file in the same directory, fsync, rename: never a torn checkpoint."""
    import io
    import torch
    buf = io.BytesIO()
    torch.save(state, buf)
    atomic_write_bytes(path, buf.getvalue())


def load_checkpoint(path: str) -> Optional[Dict[str, Any]]:
    import torch
    if not os.path.isfile(path):
        return None
    try:
        return torch.load(path, map_location="cpu")
    except Exception as e:  # a torn file cannot happen with atomic saves, but a foreign one can
        logger.warning("cannot read checkpoint %s (%s): starting from scratch", path, e)
        return None


def model_state_for_save(model: Any, strategy: str, dist_: Dist) -> Optional[Dict[str, Any]]:
    """Full (unsharded, unwrapped) state dict; for FSDP gathered on rank 0 (None elsewhere)."""
    if strategy == "fsdp":
        from torch.distributed.fsdp import FullStateDictConfig, StateDictType
        from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
        cfg = FullStateDictConfig(offload_to_cpu=True, rank0_only=True)
        with FSDP.state_dict_type(model, StateDictType.FULL_STATE_DICT, cfg):
            sd = model.state_dict()
        return sd if dist_.is_main else None
    m = model.module if hasattr(model, "module") else model
    return {k: v.detach().cpu() for k, v in m.state_dict().items()}


def optim_state_for_save(model: Any, optimizer: Any, strategy: str) -> Optional[Dict[str, Any]]:
    if strategy == "fsdp":
        from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
        return FSDP.full_optim_state_dict(model, optimizer)  # collective; the full dict on rank 0
    return optimizer.state_dict()


def load_optim_state(model: Any, optimizer: Any, state: Dict[str, Any], strategy: str) -> None:
    try:
        if strategy == "fsdp":
            from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
            state = FSDP.shard_full_optim_state_dict(state, model)
        optimizer.load_state_dict(state)
    except Exception as e:
        logger.warning("optimizer state not restored (%s): weights resumed, optimizer restarts", e)


# ---------------------------------------------------------------------------- training

def wrap_model(model: Any, cfg: Any, dist_: Dist) -> Any:
    model = model.to(dist_.device)
    if cfg.strategy == "ddp":
        from torch.nn.parallel import DistributedDataParallel as DDP
        return DDP(model, device_ids=[dist_.local_rank] if dist_.cuda else None)
    if cfg.strategy == "fsdp":
        if not dist_.cuda:
            raise ConfigError("--strategy fsdp needs CUDA GPUs (PyTorch FSDP does not run CPU-only here); "
                              "use --strategy ddp on CPU")
        import functools
        try:
            from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
            from torch.distributed.fsdp.wrap import size_based_auto_wrap_policy
        except Exception as e:  # torch 1.13 + Python 3.11 fails at import
            raise ConfigError("torch.distributed.fsdp cannot be imported in this environment (%s: %s); "
                              "use --strategy ddp or the GPU image" % (type(e).__name__, e))
        policy = functools.partial(size_based_auto_wrap_policy, min_num_params=cfg.fsdp_min_params)
        return FSDP(model, auto_wrap_policy=policy, device_id=dist_.device)
    return model


def validate(model: Any, loader: Any, crit: Criterion, cfg: Any, dist_: Dist, amp: bool) -> Tuple[float, float]:
    """Sliding-window validation, sharded over ranks and summed with all_reduce.

    FSDP runs collectives inside every forward, so all ranks must make the same number of forward
    calls: per volume (the DistributedSampler gives every rank the same number of volumes) the
    ranks agree on the largest window count first and pad with dummy forwards."""
    import torch
    model.eval()
    dice_sum, loss_sum, n = 0.0, 0.0, 0

    def infer(img: Any, predictor: Any) -> Any:
        if crit.monai:
            from monai.inferers import sliding_window_inference
            return sliding_window_inference(img, cfg.roi_size, cfg.sw_batch_size, predictor, overlap=0.25)
        return _fallback_sliding_window(img, cfg.roi_size, predictor)

    with torch.no_grad():
        for batch in loader:
            img = batch["image"].to(dist_.device)
            lab = batch["label"].to(dist_.device)
            with torch.cuda.amp.autocast(enabled=amp):
                if cfg.strategy == "fsdp":
                    calls = [0]

                    def counting(x: Any) -> Any:
                        calls[0] += 1
                        return torch.zeros((x.shape[0], cfg.out_channels) + tuple(x.shape[2:]), device=x.device)

                    infer(img, counting)
                    mine = calls[0]
                    most = int(dist_.all_max(float(mine)))
                    logits = infer(img, model)
                    dummy = torch.zeros((1, cfg.in_channels) + tuple(cfg.roi_size), device=dist_.device)
                    for _ in range(most - mine):
                        model(dummy)
                else:
                    logits = infer(img, model)
            logits = logits.float()
            loss_sum += float(crit.loss(logits, lab))
            d = crit.dice_per_case(logits, lab)
            dice_sum += float(d.sum())
            n += int(d.numel())
    model.train()
    dice_sum, loss_sum, n_f = dist_.all_sum([dice_sum, loss_sum, float(n)])
    n_f = max(n_f, 1.0)
    return loss_sum / n_f, dice_sum / n_f


def _fallback_sliding_window(img: Any, roi: Tuple[int, int, int], model: Any) -> Any:
    """Non-overlapping tiles (the image was padded to at least roi)."""
    import torch
    import torch.nn.functional as F
    shape = img.shape[2:]
    padded = [int(math.ceil(s / r) * r) for s, r in zip(shape, roi)]
    x = F.pad(img, [0, padded[2] - shape[2], 0, padded[1] - shape[1], 0, padded[0] - shape[0]])
    out = None
    for i in range(0, padded[0], roi[0]):
        for j in range(0, padded[1], roi[1]):
            for k in range(0, padded[2], roi[2]):
                y = model(x[:, :, i:i + roi[0], j:j + roi[1], k:k + roi[2]])
                if out is None:
                    out = torch.zeros((x.shape[0], y.shape[1]) + tuple(padded), dtype=y.dtype, device=y.device)
                out[:, :, i:i + roi[0], j:j + roi[1], k:k + roi[2]] = y
    assert out is not None
    return out[:, :, :shape[0], :shape[1], :shape[2]]


def train(cfg: Any) -> int:
    import torch

    dist_ = Dist(cfg.strategy)
    client = None
    try:
        if dist_.is_main:
            client = import_client().TrackgateClient()
        seed_everything(cfg.seed + dist_.rank)
        train_files, val_files = discover_data(cfg)
        if dist_.is_main:
            logger.info("data: %d train, %d validation subjects; device %s; world %d; MONAI %s",
                        len(train_files), len(val_files), dist_.device, dist_.world,
                        "yes" if have_monai() else "NO (fallback loaders/loss)")
        amp = bool(cfg.amp and dist_.cuda)
        if cfg.amp and not dist_.cuda and dist_.is_main:
            logger.info("AMP requested but CUDA is not available: training in float32")

        model = build_model(cfg)
        ckpt_path = os.path.join(cfg.checkpoint_dir, CHECKPOINT_NAME)
        ckpt = load_checkpoint(ckpt_path)
        start_epoch, step, best = 0, 0, -1.0
        if ckpt is not None:
            if ckpt.get("model_name") not in (None, cfg.model):
                raise ConfigError("checkpoint %s is for model %s, not %s: use another checkpoint dir"
                                  % (ckpt_path, ckpt.get("model_name"), cfg.model))
            model.load_state_dict(ckpt["model"])  # before wrapping: works for single, DDP and FSDP
            start_epoch, step, best = int(ckpt["epoch"]) + 1, int(ckpt["step"]), float(ckpt.get("best_dice", -1.0))
            if dist_.is_main:
                logger.info("resumed from %s: epoch %d done, step %d", ckpt_path, start_epoch - 1, step)
        model = wrap_model(model, cfg, dist_)
        optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=cfg.epochs)
        scaler = torch.cuda.amp.GradScaler(enabled=amp)
        if ckpt is not None:
            if ckpt.get("optimizer") is not None:
                load_optim_state(model, optimizer, ckpt["optimizer"], cfg.strategy)
            if ckpt.get("scheduler") is not None:
                scheduler.load_state_dict(ckpt["scheduler"])
            if ckpt.get("scaler") is not None and amp:
                scaler.load_state_dict(ckpt["scaler"])
        del ckpt

        train_loader, val_loader, sampler = build_loaders(cfg, train_files, val_files, dist_)
        crit = Criterion(cfg.out_channels)
        if client is not None:
            client.log_params(config_params(cfg))
            client.set_tags({"trainer": "train.py", "strategy": cfg.strategy, "model": cfg.model,
                             "world_size": str(dist_.world), "device": dist_.device.type})

        model.train()
        for epoch in range(start_epoch, cfg.epochs):
            if sampler is not None:
                sampler.set_epoch(epoch)
            t0 = time.time()
            loss_sum, n_steps = 0.0, 0
            steps_per_epoch = len(train_loader)
            for batch in train_loader:
                img = batch["image"].to(dist_.device, non_blocking=True)
                lab = batch["label"].to(dist_.device, non_blocking=True)
                optimizer.zero_grad(set_to_none=True)
                with torch.cuda.amp.autocast(enabled=amp):
                    logits = model(img)
                    loss = crit.loss(logits.float() if not amp else logits, lab)
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
                step += 1
                n_steps += 1
                lv = float(loss.detach())
                loss_sum += lv
                if dist_.is_main:
                    lr = optimizer.param_groups[0]["lr"]
                    if client is not None:
                        client.log({"train_loss": lv, "lr": lr}, step)
                    if step % cfg.log_interval == 0 or n_steps == steps_per_epoch:
                        print_metric_line(epoch, step, {"train_loss": lv, "lr": lr})
            scheduler.step()
            mean_loss = loss_sum / max(1, n_steps)
            if dist_.is_main:
                print_metric_line(epoch, step, {"epoch_train_loss": mean_loss})
                if client is not None:
                    client.log({"epoch_train_loss": mean_loss, "epoch_time_s": time.time() - t0,
                                "epoch": float(epoch)}, step)
            if (epoch + 1) % cfg.val_interval == 0 or epoch == cfg.epochs - 1:
                val_loss, val_dice = validate(model, val_loader, crit, cfg, dist_, amp)
                best = max(best, val_dice)
                if dist_.is_main:
                    print_metric_line(epoch, step, {"val_loss": val_loss, "val_dice": val_dice})
                    if client is not None:
                        client.log({"val_loss": val_loss, "val_dice": val_dice, "best_val_dice": best}, step)
            # checkpoint every epoch (collectives for FSDP on all ranks, the write on rank 0)
            msd = model_state_for_save(model, cfg.strategy, dist_)
            osd = optim_state_for_save(model, optimizer, cfg.strategy)
            if dist_.is_main:
                save_checkpoint(ckpt_path, {
                    "epoch": epoch, "step": step, "best_dice": best, "model_name": cfg.model,
                    "model": msd, "optimizer": osd, "scheduler": scheduler.state_dict(),
                    "scaler": scaler.state_dict() if amp else None,
                    "config": config_params(cfg), "saved_at": time.time(),
                })
            dist_.barrier()

        msd = model_state_for_save(model, cfg.strategy, dist_)
        if dist_.is_main:
            os.makedirs(cfg.model_dir, exist_ok=True)
            save_checkpoint(os.path.join(cfg.model_dir, "model.pt"), msd)  # type: ignore[arg-type]
            atomic_write_bytes(os.path.join(cfg.model_dir, "model_config.json"),
                               json.dumps(config_params(cfg), indent=2).encode())
            logger.info("final model written to %s", os.path.join(cfg.model_dir, "model.pt"))
            if client is not None:
                client.finish("FINISHED")
        dist_.barrier()
        return 0
    except BaseException as e:
        if client is not None and not isinstance(e, KeyboardInterrupt) and not (
                isinstance(e, SystemExit) and e.code in (0, 143)):
            client.finish("FAILED", timeout=5)
        raise
    finally:
        if client is not None:
            client.close()
        dist_.close()


def main(argv: Optional[Sequence[str]] = None) -> int:
    setup_logging()
    try:
        cfg = parse_config(argv, prog="train.py")
    except ConfigError as e:
        logger.error("%s", e)
        return EXIT_CONFIG

    def on_sigterm(signum: int, frame: Any) -> None:
        # spot interruption / StopTrainingJob: the last epoch checkpoint is on disk; the client's
        # own SIGTERM handler is replaced here, so flush explicitly via close() in train()'s finally
        raise SystemExit(143)

    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, on_sigterm)
    try:
        return train(cfg)
    except (ConfigError, DataLayoutError) as e:
        logger.error("%s", e)
        return EXIT_CONFIG


if __name__ == "__main__":
    sys.exit(main())
