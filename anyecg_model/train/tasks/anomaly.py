"""Anomaly: is a record normal or not (PTB-XL NORM vs any other diagnostic class; CinC 2017 N vs the rest).

Data: PTB-XL folds 1–8 / 9 / 10 and CinC 2017 (a seeded split), windows labelled with their record's class,
augmented with electrode noise in training. Loss: binary cross-entropy of the window logit. Metrics (per
record, window logits averaged): AUROC (it picks the best epoch), AUC-PR, accuracy and weighted F1.
"""
from __future__ import annotations

import numpy as np

from ...vocabulary.labels import ANOMALY_CLASSES
from ..data.label_tables import RHYTHM_ALIASES
from .base import HeadStage, register_task
from .record_task import RecordTask, record_level


def anomaly_metrics(y: np.ndarray, score: np.ndarray, threshold: float = 0.5) -> dict[str, float]:
    from sklearn.metrics import average_precision_score, f1_score, roc_auc_score

    pred = (score >= threshold).astype(int)
    both = len(set(y.tolist())) == 2
    return {"AUROC": float(roc_auc_score(y, score)) if both else float("nan"),
            "AUC_PR": float(average_precision_score(y, score)) if both else float("nan"),
            "accuracy": float(np.mean(pred == y)),
            "F1_weighted": float(f1_score(y, pred, average="weighted", zero_division=0)),
            "n_records": int(len(y))}


@register_task
class AnomalyTask(RecordTask):
    name = "anomaly"
    order = 30
    title = "anomaly detection"
    classes = ANOMALY_CLASSES
    selection_metric = "AUROC"
    cache_set = "ptbxl500"
    label_key = "anomaly"
    sets = ("ptbxl500", "cinc2017")
    stage = HeadStage(epochs=60, lr=2e-3, max_windows_per_record=1)

    def label_of_rhythm(self, rhythm):
        return int(rhythm != "N")

    def label_from_table(self, text):
        t = text.strip()
        low = t.lower()
        if low in ("0", "normal", "n", "norm", "false"):
            return 0
        if low in ("1", "abnormal", "a", "o", "~", "true") or RHYTHM_ALIASES.get(t.upper()) in ("A", "O"):
            return 1
        return -1

    def loss(self, out, batch, class_weights):
        import torch.nn.functional as F

        ok = batch["anomaly"] >= 0
        loss = F.binary_cross_entropy_with_logits(out[ok], batch["anomaly"][ok]) if ok.any() else out.sum() * 0
        return loss, {}

    def metrics(self, pred):
        y, s = record_level(pred)
        return anomaly_metrics(y.astype(int), 1 / (1 + np.exp(-s)))

    def prediction_loss(self, pred):
        """Binary cross-entropy of the window logits (unlabelled windows left out)."""
        y, z = np.asarray(pred.y), np.asarray(pred.score, np.float64)
        ok = y >= 0
        z, t = z[ok], y[ok]
        return float(np.mean(np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z))))) if ok.any() else float("nan")

    def predicted_classes(self, pred):
        y, s = record_level(pred)
        return y.astype(int), (s > 0).astype(int).reshape(-1), np.unique(pred.record)
