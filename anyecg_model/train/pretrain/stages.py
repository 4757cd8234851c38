"""The two pre-training stages as library calls: train a model's tokenizer, then its backbone, writing an
AnyECG checkpoint (``model.safetensors`` + ``config.json``) and the trainer state into ``out_dir`` each epoch."""
from __future__ import annotations

import logging
import os
from typing import Any

from torch.utils.data import Dataset

from ...model.anyecg import AnyECG
from ...model.checkpoint import save_checkpoint
from ..loop import TrainConfig, Trainer
from .objectives import MaskedCodeObjective, TokenizerObjective

log = logging.getLogger(__name__)


def _saver(model: AnyECG, out_dir: str | os.PathLike, stage: str, cfg: TrainConfig, data: dict[str, Any] | None):
    history: list[dict] = list(getattr(model, "metadata", {}).get("training", {}).get("history", []))

    def save(epoch: int, step: int, metrics: dict) -> None:
        history.append({"stage": stage, **metrics})
        save_checkpoint(model, out_dir, {
            "training": {"stage": stage, "epoch": epoch, "step": step, "config": cfg.to_dict(), "history": history},
            "training_data": data or {},
            "metrics": {k: v for k, v in metrics.items() if isinstance(v, float)},
        })
        log.info("checkpoint written to %s (epoch %d, step %d)", out_dir, epoch, step)

    return save


def pretrain_tokenizer(model: AnyECG, dataset: Dataset, cfg: TrainConfig, out_dir: str | os.PathLike,
                       val_dataset: Dataset | None = None, resume: bool = False,
                       data_description: dict[str, Any] | None = None) -> dict:
    """Stage 1: train ``model.tokenizer`` on batches of the batch contract. Returns the last epoch's metrics."""
    trainer = Trainer(TokenizerObjective(model.tokenizer), dataset, cfg, out_dir, val_dataset,
                      _saver(model, out_dir, "tokenizer", cfg, data_description))
    return trainer.fit(resume)


def pretrain_backbone(model: AnyECG, dataset: Dataset, cfg: TrainConfig, out_dir: str | os.PathLike,
                      val_dataset: Dataset | None = None, resume: bool = False,
                      data_description: dict[str, Any] | None = None) -> dict:
    """Stage 2: masked code prediction of ``model.backbone`` against the frozen ``model.tokenizer``'s codes."""
    objective = MaskedCodeObjective(model.backbone, model.tokenizer, model.cfg.mask_ratio, model.cfg.symmetric_mask)
    trainer = Trainer(objective, dataset, cfg, out_dir, val_dataset,
                      _saver(model, out_dir, "backbone", cfg, data_description))
    return trainer.fit(resume)
