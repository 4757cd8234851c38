"""A generic trainer reused by every stage: epochs, AdamW + warmup/cosine, AMP on CUDA, DDP through torchrun,
a checkpoint every epoch (and, for long runs, every ``checkpoint_every_steps`` steps or
``checkpoint_every_min`` minutes) and ``resume``; every ``log_every`` steps each term is logged and appended to
``out_dir/train_log.jsonl``.

The trained thing is an *objective*: an ``nn.Module`` whose ``forward(batch)`` returns ``(loss, terms)`` with
``terms`` a dict of scalar tensors to log (every term is logged, averaged over the epoch and over ranks).
Parameters with ``requires_grad=False`` (a frozen tokenizer) are not optimised.

Distributed: launched by ``torchrun`` (``WORLD_SIZE``/``RANK``/``LOCAL_RANK`` in the environment) the trainer
joins the process group (NCCL on CUDA, gloo on CPU), wraps the objective in DDP and shards data with a
``DistributedSampler``. Rank 0 writes ``trainer_state.safetensors`` (:mod:`.trainer_state`: weights,
optimiser, scheduler, scaler, RNG states, epoch, step and position in the epoch; no pickle) after every epoch
and calls ``on_epoch_end``; every rank's parameter digest is gathered then, so a divergence between ranks is
recorded (``rank_param_sha256``) and raised.

Resume continues at the saved step, mid-epoch too: the epoch's shuffled order is a function of (seed, epoch)
and the batches already trained are skipped, so on one process with ``num_workers`` 0 a resumed run ends
with the same weights as an uninterrupted one. Across several ranks each rank's RNG restarts from
(seed, rank, step) instead.
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset, DistributedSampler, Sampler
from tqdm import tqdm

from ..model.device import choose_device
from .data.batch import to_device
from .trainer_state import STATE_FILE, TrainerStateError, load_trainer_state, rng_state, save_trainer_state, \
    set_rng_state

log = logging.getLogger(__name__)
LOG_FILE = "train_log.jsonl"


@dataclass
class TrainConfig:
    """Optimisation settings (lr in 1/step units of AdamW, warmup in optimiser steps)."""

    epochs: int = 1
    batch_size: int = 16
    lr: float = 5e-4
    weight_decay: float = 0.05
    warmup_steps: int = 50
    min_lr_ratio: float = 0.1
    grad_clip: float = 1.0
    num_workers: int = 0
    seed: int = 0
    amp: bool = True  # CUDA only: bfloat16 where supported, else float16 with a grad scaler
    log_every: int = 20
    max_steps_per_epoch: int | None = None
    max_val_batches: int | None = None
    find_unused_parameters: bool = False
    checkpoint_every_steps: int | None = None  # also save mid-epoch every N optimiser steps
    checkpoint_every_min: float | None = None  # also save mid-epoch every M minutes of wall time

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class DistEnv:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def init_distributed(device: str = "auto") -> DistEnv:
    """Join the torchrun process group when ``WORLD_SIZE`` > 1; pick the device by
    :func:`~anyecg_model.model.device.choose_device` (``auto``: CUDA when present), a CUDA one as
    cuda:LOCAL_RANK. A device this machine lacks is :class:`~anyecg_model.model.device.DeviceUnavailable`."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    chosen = choose_device(device)
    cuda = chosen.type == "cuda"
    device = torch.device(f"cuda:{local}") if cuda and chosen.index is None else chosen
    if cuda:
        torch.cuda.set_device(device)
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if cuda else "gloo")
    rank = dist.get_rank() if dist.is_initialized() else 0
    return DistEnv(rank, dist.get_world_size() if dist.is_initialized() else 1, local, device)


def parameter_digest(module: nn.Module) -> str:
    """SHA-256 over every parameter and buffer (name, bytes): equal digests = bit-identical weights."""
    h = hashlib.sha256()
    for name, t in sorted(module.state_dict().items()):
        h.update(name.encode())
        h.update(t.detach().cpu().contiguous().view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


class _ResumableSampler(Sampler):
    """The distributed sampler's order for the epoch, starting ``skip`` examples in (a mid-epoch resume)."""

    def __init__(self, base: DistributedSampler):
        self.base, self.skip = base, 0

    def __iter__(self):
        return iter(list(self.base)[self.skip:])

    def __len__(self) -> int:
        return max(len(self.base) - self.skip, 0)


def _param_groups(params: list[tuple[str, nn.Parameter]], weight_decay: float) -> list[dict]:
    decay = [p for n, p in params if p.dim() >= 2 and "embed" not in n]
    rest = [p for n, p in params if not (p.dim() >= 2 and "embed" not in n)]
    return [{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]


class Trainer:
    """Train ``objective`` on ``dataset`` (items follow the batch contract) into ``out_dir``.

    ``on_epoch_end(epoch, step, metrics)`` runs on rank 0 after each epoch (write the model checkpoint
    there). ``metrics`` holds the epoch means of every term (``train/<term>``, ``val/<term>``), the step
    and the ranks' parameter digests. ``on_checkpoint(epoch, step)`` runs on rank 0 after each mid-epoch
    save (``epoch`` = finished epochs).
    """

    def __init__(self, objective: nn.Module, dataset: Dataset, cfg: TrainConfig, out_dir: str | os.PathLike,
                 val_dataset: Dataset | None = None,
                 on_epoch_end: Callable[[int, int, dict], None] | None = None,
                 env: DistEnv | None = None, on_checkpoint: Callable[[int, int], None] | None = None):
        self.cfg, self.out_dir = cfg, Path(out_dir)
        self.env = env or init_distributed()
        self.objective = objective.to(self.env.device)
        self.dataset, self.val_dataset, self.on_epoch_end = dataset, val_dataset, on_epoch_end
        self.on_checkpoint = on_checkpoint
        named = [(n, p) for n, p in self.objective.named_parameters() if p.requires_grad]
        if not named:
            raise ValueError("the objective has no trainable parameters")
        self.optimizer = torch.optim.AdamW(_param_groups(named, cfg.weight_decay), lr=cfg.lr, betas=(0.9, 0.98))
        self.sampler = DistributedSampler(dataset, num_replicas=self.env.world_size, rank=self.env.rank,
                                          shuffle=True, seed=cfg.seed, drop_last=True)
        self._order = _ResumableSampler(self.sampler)
        # its own generator: creating the epoch's iterator must not draw from the global RNG a resume restores
        self._loader_rng = torch.Generator()
        self.loader = DataLoader(dataset, batch_size=cfg.batch_size, sampler=self._order, drop_last=True,
                                 num_workers=cfg.num_workers, persistent_workers=cfg.num_workers > 0,
                                 pin_memory=self.env.device.type == "cuda", generator=self._loader_rng)
        self.steps_per_epoch = len(self.loader) if cfg.max_steps_per_epoch is None else min(
            len(self.loader), cfg.max_steps_per_epoch)
        if self.steps_per_epoch == 0:
            raise ValueError(f"{len(dataset)} examples make no batch of {cfg.batch_size} on "
                             f"{self.env.world_size} rank(s)")
        total = cfg.epochs * self.steps_per_epoch
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, lambda s: _lr_factor(s, total, cfg))
        cuda = self.env.device.type == "cuda"
        self.amp_dtype = (torch.bfloat16 if cuda and torch.cuda.is_bf16_supported() else torch.float16) \
            if cuda and cfg.amp else None
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp_dtype == torch.float16)
        self.model: nn.Module = self.objective
        if self.env.world_size > 1:
            self.model = DistributedDataParallel(
                self.objective, device_ids=[self.env.local_rank] if cuda else None,
                find_unused_parameters=cfg.find_unused_parameters)
        self.epoch = 0
        self.step = 0
        self.step_in_epoch = 0  # optimiser steps already taken in the current epoch
        self._sums: dict[str, torch.Tensor] = {}  # running sums of the current epoch's terms
        self._saved_at = time.monotonic()

    # ------------------------------------------------------------------ state
    def state_path(self) -> Path:
        return self.out_dir / STATE_FILE

    def load_state(self) -> None:
        """Resume from ``out_dir/trainer_state.safetensors``: weights, optimiser, scheduler, scaler, RNG, epoch,
        step and the position inside the epoch."""
        path = self.state_path()
        state = load_trainer_state(path, self.env.device)
        pos = state["position"]
        if pos["step_in_epoch"] and (pos["batch_size"], pos["world_size"], pos["steps_per_epoch"]) != (
                self.cfg.batch_size, self.env.world_size, self.steps_per_epoch):
            raise TrainerStateError(
                f"{path}: saved mid-epoch with batch size {pos['batch_size']} on {pos['world_size']} process(es), "
                f"{pos['steps_per_epoch']} steps per epoch; resume with the same settings (now "
                f"{self.cfg.batch_size}, {self.env.world_size}, {self.steps_per_epoch})")
        try:
            self.objective.load_state_dict(state["objective"], strict=True)
        except RuntimeError as exc:
            raise TrainerStateError(f"{path}: the saved weights do not fit this model ({exc})") from exc
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        self.epoch, self.step, self.step_in_epoch = int(pos["epoch"]), int(pos["step"]), int(pos["step_in_epoch"])
        self._sums = {k: v.to(self.env.device) for k, v in state["epoch_sums"].items()}
        if self.env.world_size == 1 and pos["world_size"] == 1:
            set_rng_state(state["rng"])
        else:
            torch.manual_seed(self.cfg.seed + self.env.rank + 7919 * self.step)
        if self.env.world_size > 1:  # DDP synced weights at wrap time; make sure every rank loaded the same
            self._check_sync()
        log.info("resumed from %s: epoch %d, step %d (%d into the epoch)", path, self.epoch, self.step,
                 self.step_in_epoch)

    def _save_state(self) -> None:
        state = {"objective": self.objective.state_dict(), "optimizer": self.optimizer.state_dict(),
                 "scheduler": self.scheduler.state_dict(), "scaler": self.scaler.state_dict(),
                 "epoch_sums": dict(self._sums), "rng": rng_state(),
                 "position": {"epoch": self.epoch, "step": self.step, "step_in_epoch": self.step_in_epoch,
                              "steps_per_epoch": self.steps_per_epoch, "batch_size": self.cfg.batch_size,
                              "world_size": self.env.world_size, "seed": self.cfg.seed}}
        save_trainer_state(state, self.state_path())
        self._saved_at = time.monotonic()

    def _checkpoint_due(self) -> bool:
        """A mid-epoch save is due (never on the epoch's last step: the epoch end saves then)."""
        if self.step_in_epoch >= self.steps_per_epoch:
            return False
        every, minutes = self.cfg.checkpoint_every_steps, self.cfg.checkpoint_every_min
        return bool(every and self.step % every == 0) or bool(
            minutes and time.monotonic() - self._saved_at >= 60.0 * minutes)

    def _check_sync(self) -> list[str]:
        digest = parameter_digest(self.objective)
        if self.env.world_size == 1:
            return [digest]
        digests: list[str] = [""] * self.env.world_size
        dist.all_gather_object(digests, digest)
        if len(set(digests)) != 1:
            raise RuntimeError(f"parameters diverged across ranks: {digests}")
        return digests

    # ------------------------------------------------------------------ loop
    def _reduce_means(self, sums: dict[str, torch.Tensor], n: int) -> dict[str, float]:
        if not sums:
            return {}
        keys = sorted(sums)
        vec = torch.stack([sums[k].float() for k in keys] + [torch.tensor(float(n))]).to(self.env.device)
        if self.env.world_size > 1:
            dist.all_reduce(vec)
        return {k: float(v) / max(float(vec[-1]), 1.0) for k, v in zip(keys, vec[:-1])}

    def _forward(self, batch: dict) -> tuple[torch.Tensor, dict]:
        batch = to_device(batch, self.env.device)
        with torch.autocast(self.env.device.type, dtype=self.amp_dtype or torch.float32,
                            enabled=self.amp_dtype is not None):
            return self.model(batch)

    def train_epoch(self) -> dict[str, float]:
        """Train the rest of the current epoch (all of it, unless resumed mid-epoch)."""
        self.objective.train()
        self.sampler.set_epoch(self.epoch)
        self._loader_rng.manual_seed(self.cfg.seed + self.epoch)
        self._order.skip = self.step_in_epoch * self.cfg.batch_size
        bar = tqdm(total=self.steps_per_epoch, initial=self.step_in_epoch,
                   desc=f"epoch {self.epoch + 1}/{self.cfg.epochs}", disable=not self.env.is_main, leave=False)
        for batch in self.loader:
            if self.step_in_epoch >= self.steps_per_epoch:
                break
            loss, terms = self._forward(batch)
            finite = torch.isfinite(loss.detach()).float()
            if self.env.world_size > 1:  # every rank stops together rather than leaving the others waiting
                dist.all_reduce(finite, op=dist.ReduceOp.MIN)
            if not bool(finite):
                raise FloatingPointError(f"non-finite loss at step {self.step} (on this rank: "
                                         f"{({k: float(v) for k, v in terms.items()})})")
            self.optimizer.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
            self.scaler.unscale_(self.optimizer)
            if self.cfg.grad_clip:
                torch.nn.utils.clip_grad_norm_([p for g in self.optimizer.param_groups for p in g["params"]],
                                               self.cfg.grad_clip)
            self.scaler.step(self.optimizer)
            self.scaler.update()
            self.scheduler.step()
            self.step += 1
            self.step_in_epoch += 1
            terms = {"loss": loss.detach(), **{k: v.detach() for k, v in terms.items()}}
            for k, v in terms.items():
                self._sums[k] = self._sums.get(k, torch.zeros((), device=self.env.device)) + v.float().to(
                    self.env.device)
            bar.update(1)
            bar.set_postfix(loss=f"{float(loss.detach()):.4f}")
            if self.env.is_main and self.step % self.cfg.log_every == 0:
                self._log_step(terms)
            if self.env.is_main and self._checkpoint_due():
                self._save_state()
                if self.on_checkpoint is not None:
                    self.on_checkpoint(self.epoch, self.step)
                log.info("mid-epoch checkpoint: epoch %d, step %d (%d/%d)", self.epoch + 1, self.step,
                         self.step_in_epoch, self.steps_per_epoch)
        bar.close()
        means = self._reduce_means(self._sums, self.steps_per_epoch)
        self._sums, self.step_in_epoch = {}, 0
        return means

    def _log_step(self, terms: dict[str, torch.Tensor]) -> None:
        """Log every term and append it to ``out_dir/train_log.jsonl`` (one JSON object per logged step)."""
        lr = self.scheduler.get_last_lr()[0]
        values = {k: float(v) for k, v in terms.items()}
        log.info("step %d lr %.2e %s", self.step, lr, " ".join(f"{k}={v:.4g}" for k, v in values.items()))
        self.out_dir.mkdir(parents=True, exist_ok=True)
        with open(self.out_dir / LOG_FILE, "a") as f:
            f.write(json.dumps({"epoch": self.epoch + 1, "step": self.step, "lr": lr, **values}) + "\n")

    @torch.no_grad()
    def evaluate(self, dataset: Dataset) -> dict[str, float]:
        """Mean objective terms over ``dataset`` in eval mode (sharded over ranks, read-only)."""
        self.objective.eval()
        sampler = DistributedSampler(dataset, num_replicas=self.env.world_size, rank=self.env.rank, shuffle=False)
        loader = DataLoader(dataset, batch_size=self.cfg.batch_size, sampler=sampler,
                            num_workers=self.cfg.num_workers)
        sums: dict[str, torch.Tensor] = {}
        n = 0
        for i, batch in enumerate(loader):
            if self.cfg.max_val_batches is not None and i >= self.cfg.max_val_batches:
                break
            batch = to_device(batch, self.env.device)
            with torch.autocast(self.env.device.type, dtype=self.amp_dtype or torch.float32,
                                enabled=self.amp_dtype is not None):
                loss, terms = self.objective(batch)
            for k, v in {"loss": loss, **terms}.items():
                sums[k] = sums.get(k, torch.zeros((), device=self.env.device)) + v.detach().float().to(self.env.device)
            n += 1
        return self._reduce_means(sums, n)

    def fit(self, resume: bool = False) -> dict:
        """Train the remaining epochs; returns the last epoch's metrics."""
        torch.manual_seed(self.cfg.seed + self.env.rank)
        if resume:
            self.load_state()
        metrics: dict = {}
        log.info("training %d epoch(s) × %d steps on %d rank(s), device %s, amp %s", self.cfg.epochs,
                 self.steps_per_epoch, self.env.world_size, self.env.device, self.amp_dtype)
        while self.epoch < self.cfg.epochs:
            train = self.train_epoch()
            self.epoch += 1
            metrics = {f"train/{k}": v for k, v in train.items()}
            if self.val_dataset is not None:
                metrics.update({f"val/{k}": v for k, v in self.evaluate(self.val_dataset).items()})
            metrics["epoch"], metrics["step"] = self.epoch, self.step
            metrics["rank_param_sha256"] = self._check_sync()
            if self.env.is_main:
                log.info("epoch %d done (step %d): %s", self.epoch, self.step,
                         " ".join(f"{k}={v:.4g}" for k, v in metrics.items() if isinstance(v, float)))
                self._save_state()
                if self.on_epoch_end is not None:
                    self.on_epoch_end(self.epoch, self.step, metrics)
            if self.env.world_size > 1:
                dist.barrier()
        return metrics


def _lr_factor(step: int, total: int, cfg: TrainConfig) -> float:
    """Linear warmup then cosine decay to ``min_lr_ratio``."""
    warm = min(cfg.warmup_steps, max(total // 10, 1))
    if step < warm:
        return (step + 1) / warm
    progress = min(1.0, (step - warm) / max(total - warm, 1))
    return cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))
