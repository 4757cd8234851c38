"""Any registered task, run: its dataset per split, the training objective and predictions with their metrics.

Every function takes the task by name and calls the task object (:func:`~.base.get_task`); nothing here knows
a task. Record-level scores average the window outputs (logits for anomaly, probabilities for rhythm).
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from ...model.anyecg import AnyECG
from ...vocabulary.model_input import PreprocessConfig
from ..data.corpus import Corpus
from ..data.task_windows import WindowDataset
from .base import Predictions, get_task  # noqa: F401  (Predictions: part of this module's API)
from .record_task import record_level  # noqa: F401  (part of this module's API: per-record scores)


def make_dataset(task: str, corpus: Corpus, cfg: PreprocessConfig, splits: tuple[str, ...], train: bool = False,
                 seed: int = 0, protocol: str | None = None, sets: tuple[str, ...] | None = None,
                 max_windows_per_record: int | None = None) -> WindowDataset:
    """The dataset of ``task`` over ``splits`` (noise augmentation on when ``train``; at most
    ``max_windows_per_record`` seeded windows per record for the record-labelled tasks)."""
    return get_task(task).dataset(corpus, cfg, splits, train=train, seed=seed, protocol=protocol, sets=sets,
                                  max_windows_per_record=max_windows_per_record)


def task_outputs(model: AnyECG, task: str, batch: dict) -> torch.Tensor:
    """Forward the backbone and the task's head (a batch carrying ``h``, cached hidden states of a frozen
    backbone, skips the backbone)."""
    return get_task(task).outputs(model, batch)


class TaskObjective(nn.Module):
    """``forward(batch) -> (loss, terms)`` for :class:`~anyecg_model.train.loop.Trainer`."""

    def __init__(self, model: AnyECG, task: str, class_weights: torch.Tensor | None = None,
                 cancelled: Callable[[], bool] | None = None):
        super().__init__()
        self.model, self.task, self.cancelled = model, get_task(task), cancelled
        self.register_buffer("class_weights", class_weights if class_weights is not None else torch.ones(1),
                             persistent=False)

    def forward(self, batch: dict) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        if self.cancelled is not None and self.cancelled():
            raise TrainingCancelled("fine-tuning cancelled")
        return self.task.loss(self.task.outputs(self.model, batch), batch, self.class_weights)


class TrainingCancelled(RuntimeError):
    """Raised inside the training loop when the caller's ``cancelled()`` returns True."""


@torch.no_grad()
def predict(model: AnyECG, task: str, ds: WindowDataset, batch_size: int = 32, device: str = "cpu"):
    """Run ``task`` over ``ds`` in eval mode; returns (metrics at the task's natural level, predictions)."""
    from torch.utils.data import DataLoader

    t = get_task(task)
    model.eval().to(device)
    parts = []
    for batch in DataLoader(ds, batch_size=batch_size):
        batch = {k: v.to(device) for k, v in batch.items()}
        parts.append(t.collect(t.outputs(model, batch).float().cpu(), batch))
    return t.summarise(parts)


def metrics_of(pred: Predictions) -> dict[str, float]:
    return get_task(pred.task).metrics(pred)
