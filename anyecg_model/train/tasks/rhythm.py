"""Rhythm of a short single-lead record: the CinC 2017 classes N (normal), A (AF), O (other), ~ (noisy).

Data: CinC 2017 with a seeded record split; every 10-s window carries its record's class and the RR features
of its detected R peaks. Loss: cross-entropy per window. Metrics (per record, window probabilities averaged):
F1 of N A O ~, their mean over N A O (the challenge score; it picks the best epoch) and accuracy.
"""
from __future__ import annotations

import numpy as np

from ...vocabulary.labels import RECORD_CLASSES
from ..data.label_tables import RHYTHM_ALIASES
from .base import HeadStage, cross_entropy_loss, register_task
from .record_task import RecordTask, record_level


def rhythm_metrics(y: np.ndarray, prob: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import f1_score

    pred = prob.argmax(1)
    f1 = f1_score(y, pred, labels=range(len(RECORD_CLASSES)), average=None, zero_division=0)
    m = {f"F1_{c}": float(v) for c, v in zip(RECORD_CLASSES, f1)}
    m["F1_mean_NAO"] = float(np.mean(f1[:3]))
    m["accuracy"] = float(np.mean(pred == y))
    return m


@register_task
class RhythmTask(RecordTask):
    name = "rhythm"
    order = 20
    title = "rhythm classification"
    classes = RECORD_CLASSES
    selection_metric = "F1_mean_NAO"
    cache_set = "cinc2017"
    label_key = "record_class"
    sets = ("cinc2017",)
    stage = HeadStage(epochs=60, lr=2e-3, max_windows_per_record=1)

    def dataset(self, corpus, cfg, splits, *, train=False, seed=0, protocol=None, sets=None,
                max_windows_per_record=None):
        # always the CinC sets: the rhythm classes are CinC's
        return super().dataset(corpus, cfg, splits, train=train, seed=seed,
                               max_windows_per_record=max_windows_per_record)

    def label_of_rhythm(self, rhythm):
        return RECORD_CLASSES.index(rhythm)

    def label_from_table(self, text):
        cls = RHYTHM_ALIASES.get(text.strip().upper().lstrip("("))
        return RECORD_CLASSES.index(cls) if cls else -1

    def loss(self, out, batch, class_weights):
        import torch.nn.functional as F

        ok = batch["record_class"] >= 0
        loss = F.cross_entropy(out[ok], batch["record_class"][ok]) if ok.any() else out.sum() * 0
        return loss, {"accuracy": (out[ok].argmax(-1) == batch["record_class"][ok]).float().mean().detach()}

    def window_scores(self, out):
        return out.softmax(-1)

    def metrics(self, pred):
        y, s = record_level(pred)
        return rhythm_metrics(y, s)

    def prediction_loss(self, pred):
        return cross_entropy_loss(pred)

    def predicted_classes(self, pred):
        y, s = record_level(pred)
        return y.astype(int), s.argmax(-1), np.unique(pred.record)
