"""The two pre-training stages as library calls: train a model's tokenizer, then its backbone, writing an
AnyECG checkpoint (``model.safetensors`` + ``config.json``) and the trainer state into ``out_dir`` each epoch
and at each mid-epoch save (``TrainConfig.checkpoint_every_steps`` / ``checkpoint_every_min``)."""
from __future__ import annotations

import logging
import os
from typing import Any

from torch.utils.data import Dataset

from ...model.anyecg import AnyECG
from ...model.checkpoint import save_checkpoint
from ..loop import TrainConfig, Trainer, init_distributed
from .objectives import MaskedCodeObjective, TokenizerObjective

log = logging.getLogger(__name__)


def _trainer(objective, model: AnyECG, dataset: Dataset, cfg: TrainConfig, out_dir: str | os.PathLike,
             val_dataset: Dataset | None, stage: str, data: dict[str, Any] | None, device: str) -> Trainer:
    """A trainer whose epoch ends and mid-epoch saves also write ``model`` as a checkpoint into ``out_dir``."""
    meta = getattr(model, "metadata", {})
    history: list[dict] = list(meta.get("training", {}).get("history", []))
    metrics_so_far: dict = dict(meta.get("metrics", {})) if meta.get("training", {}).get("stage") == stage else {}

    def write(epoch: int, step: int, mid_epoch: bool) -> None:
        save_checkpoint(model, out_dir, {
            "training": {"stage": stage, "epoch": epoch, "step": step, "mid_epoch": mid_epoch,
                         "config": cfg.to_dict(), "history": history},
            "training_data": data or {},
            "metrics": metrics_so_far,
        })
        log.info("checkpoint written to %s (epoch %d, step %d%s)", out_dir, epoch, step,
                 ", mid-epoch" if mid_epoch else "")

    def epoch_end(epoch: int, step: int, metrics: dict) -> None:
        history.append({"stage": stage, **metrics})
        metrics_so_far.clear()
        metrics_so_far.update({k: v for k, v in metrics.items() if isinstance(v, float)})
        write(epoch, step, False)

    return Trainer(objective, dataset, cfg, out_dir, val_dataset, epoch_end, env=init_distributed(device),
                   on_checkpoint=lambda epoch, step: write(epoch, step, True))


def pretrain_tokenizer(model: AnyECG, dataset: Dataset, cfg: TrainConfig, out_dir: str | os.PathLike,
                       val_dataset: Dataset | None = None, resume: bool = False,
                       data_description: dict[str, Any] | None = None, device: str = "auto") -> dict:
    """Stage 1: train ``model.tokenizer`` on batches of the batch contract on ``device`` (``auto``: CUDA when
    present). Returns the last epoch's metrics."""
    trainer = _trainer(TokenizerObjective(model.tokenizer), model, dataset, cfg, out_dir, val_dataset, "tokenizer",
                       data_description, device)
    return trainer.fit(resume)


def pretrain_backbone(model: AnyECG, dataset: Dataset, cfg: TrainConfig, out_dir: str | os.PathLike,
                      val_dataset: Dataset | None = None, resume: bool = False,
                      data_description: dict[str, Any] | None = None, device: str = "auto") -> dict:
    """Stage 2: masked code prediction of ``model.backbone`` against the frozen ``model.tokenizer``'s codes."""
    objective = MaskedCodeObjective(model.backbone, model.tokenizer, model.cfg.mask_ratio, model.cfg.symmetric_mask)
    trainer = _trainer(objective, model, dataset, cfg, out_dir, val_dataset, "backbone", data_description, device)
    return trainer.fit(resume)
