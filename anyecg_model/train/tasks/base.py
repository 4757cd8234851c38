"""A training task as a registered object, as heads are (:func:`~anyecg_model.model.head_registry.register_head`).

A :class:`TrainingTask` holds everything that differs between tasks, so the rest of training never branches on a
task's name: its data (the corpus datasets, the labels of the user's own recordings and where a data set stores
them), its head (built under the task's name), its objective, its metrics (the selection metric that picks the
best epoch among them) and its head stage in the shipped recipe. Each task is one module of this package
decorated with :func:`register_task`; :func:`get_task` finds it by name. Nothing here imports torch at import
time (the viewer builds data sets through these objects); the methods that need it import it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

# Annotations name torch.Tensor, AnyECG, PreprocessConfig, Corpus, RecordItem and Predictions as strings only:
# importing them here, even for type checking, would put torch in the viewer's import graph.


@dataclass(frozen=True)
class HeadStage:
    """The task's head stage in the shipped recipe (:mod:`~anyecg_model.train.recipe.shipped`): epochs, peak
    learning rate and seeded windows per training record (None: all)."""

    epochs: int
    lr: float
    max_windows_per_record: int | None = None


@dataclass
class Predictions:
    """Collected outputs of one task over a dataset (numpy), for metrics and baselines."""

    task: str
    y: np.ndarray
    score: np.ndarray
    record: np.ndarray


class TrainingTask:
    """One fine-tuning task (see module doc). Subclasses set the class attributes and the data, objective and
    metric methods; the defaults suit a task that sees the backbone's hidden states of the present leads."""

    #: registry key, ``anyecg finetune --task`` value and the head type built for it (``model/heads.py``)
    name: ClassVar[str] = ""
    #: place among the tasks (menus, choices, the shipped recipe's head stages, which run in this order)
    order: ClassVar[int] = 100
    #: readable name for messages
    title: ClassVar[str] = ""
    #: class names, in the order of the head's outputs (a task that does not classify: one entry)
    classes: ClassVar[tuple[str, ...]] = ()
    #: True when examples carry a class (a data set needs labels; results have confusion matrices)
    classifies: ClassVar[bool] = True
    #: validation metric that picks the best epoch (higher is better)
    selection_metric: ClassVar[str] = ""
    #: set name under which a user's data set stores its records in a training cache
    cache_set: ClassVar[str] = ""
    #: fewest standard leads a usable recording has
    min_standard_leads: ClassVar[int] = 1
    stage: ClassVar[HeadStage]

    @property
    def head(self) -> str:
        """The head type (and head name in a checkpoint) this task trains."""
        return self.name

    # ------------------------------------------------------------------------------------------ corpus data
    def dataset(self, corpus: "Corpus", cfg: "PreprocessConfig", splits: tuple[str, ...], *, train: bool = False,
                seed: int = 0, protocol: str | None = None, sets: tuple[str, ...] | None = None,
                max_windows_per_record: int | None = None):
        """The task's window dataset over ``splits`` (augmented when ``train``)."""
        raise NotImplementedError

    def class_weights(self, ds) -> "torch.Tensor | None":
        """Loss weights per class from the training dataset (None: unweighted)."""
        return None

    # ------------------------------------------------------------------------------------------ the user's data
    def examples(self, item: "RecordItem") -> np.ndarray:
        """Class index of every example of a user's record (default: its one record label, if any)."""
        return np.array([item.label] if item.label >= 0 else [], np.int64)

    def label_from_store(self, store, sources: tuple[str, ...], item: "RecordItem") -> None:
        """Fill ``item``'s labels from an annotation store's rows whose source is in ``sources``."""

    def label_from_table(self, text: str) -> int:
        """Class index of a label-table text (−1: not a label of this task)."""
        return -1

    def drop_classes(self, item: "RecordItem", rare: list[int]) -> None:
        """Remove the examples of the classes ``rare`` from ``item``."""
        if item.label in rare:
            item.label = -1

    def cache_labels(self, item: "RecordItem") -> dict:
        """The record's labels as stored in a training cache's ``index.json``."""
        return {}

    def example_positions(self, corpus: "Corpus", val_ds, pred: "Predictions") -> tuple[np.ndarray, np.ndarray]:
        """(corpus record index, time in s) of every example of ``pred``, for the list of changed predictions."""
        recs = np.unique(pred.record)
        return recs, np.zeros(len(recs))

    # ------------------------------------------------------------------------------------------ the model
    def outputs(self, model: "AnyECG", batch: dict) -> "torch.Tensor":
        """The head's outputs on a batch; a batch carrying ``h`` (cached hidden states of a frozen backbone)
        skips the backbone."""
        if "h" in batch:
            return model.heads[self.name](batch["h"], batch)
        h = model.backbone(batch["patches"], batch["lead_mask"] | batch.get("target_mask", batch["lead_mask"]),
                           batch["patch_mask"], batch.get("token_mask"))
        return model.heads[self.name](h, batch)

    def loss(self, out: "torch.Tensor", batch: dict, class_weights: "torch.Tensor | None"):
        """``(loss, terms)`` of the head's outputs on a batch."""
        raise NotImplementedError

    # ------------------------------------------------------------------------------------------ evaluation
    def collect(self, out: "torch.Tensor", batch: dict) -> tuple:
        """What :func:`~.evaluation.predict` keeps of one batch (numpy)."""
        raise NotImplementedError

    def summarise(self, parts: list[tuple]) -> tuple[dict, object]:
        """(metrics, predictions) from the collected batches."""
        ys, scores, recs = zip(*parts) if parts else ((), (), ())
        pred = Predictions(self.name, np.concatenate(ys), np.concatenate(scores), np.concatenate(recs))
        return self.metrics(pred), pred

    def metrics(self, pred: "Predictions") -> dict[str, float]:
        raise NotImplementedError

    def prediction_loss(self, pred) -> float:
        """Validation loss of collected predictions."""
        raise NotImplementedError

    def predicted_classes(self, pred: "Predictions") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(reference, predicted class, record) per example."""
        raise NotImplementedError


_TASKS: dict[str, TrainingTask] = {}


def register_task(cls: type[TrainingTask]) -> type[TrainingTask]:
    """Class decorator: make the task available by its ``name``."""
    if not cls.name or cls.name in _TASKS:
        raise ValueError(f"training task name {cls.name!r} is empty or already registered")
    _TASKS[cls.name] = cls()
    return cls


def get_task(name: str) -> TrainingTask:
    """The registered task ``name``; an unknown name is a ValueError naming the known ones."""
    try:
        return _TASKS[name]
    except KeyError:
        raise ValueError(f"unknown task {name!r}; known: {', '.join(task_names())}") from None


def task_names() -> tuple[str, ...]:
    """Registered task names by ``order`` (then name)."""
    return tuple(sorted(_TASKS, key=lambda name: (_TASKS[name].order, name)))


def cross_entropy_loss(pred) -> float:
    """Mean cross-entropy of the reference class under predicted probabilities (unlabelled examples left out)."""
    y, s = np.asarray(pred.y), np.asarray(pred.score, np.float64)
    ok = y >= 0
    if not ok.any():
        return float("nan")
    p = s[ok, y[ok].astype(int)]
    return float(-np.mean(np.log(np.clip(p, 1e-7, 1.0))))
