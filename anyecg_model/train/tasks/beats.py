"""Beat classification: the AAMI class (N S V F Q) of every reference beat of MIT-BIH windows.

Data: MIT-BIH DS1 (validation records 101 203 223) → DS2, the reference beats of each 10-s window
(:class:`~anyecg_model.train.data.task_windows.BeatDataset`); a user's data set takes the beats of an
annotation store. Loss: cross-entropy weighted by inverse-square-root class frequencies. Metrics: Se / +P per
class, accuracy, Cohen's κ and jκ (Mondéjar-Guerra et al. 2019: κ/2 + j/8 with j = Se_V + +P_V + Se_S + +P_S),
Q beats left out of the reference (AAMI practice); the best epoch has the highest jκ.
"""
from __future__ import annotations

import numpy as np

from ...vocabulary.labels import AAMI_BEAT_CLASSES, AAMI_CLASS
from .base import HeadStage, TrainingTask, cross_entropy_loss, register_task


def se_ppv(y: np.ndarray, pred: np.ndarray, classes=AAMI_BEAT_CLASSES) -> dict[str, float]:
    out = {}
    for k, c in enumerate(classes):
        tp = int(np.sum((pred == k) & (y == k)))
        out[f"Se_{c}"] = tp / max(1, int(np.sum(y == k)))
        out[f"+P_{c}"] = tp / max(1, int(np.sum(pred == k)))
    return out


def beat_metrics(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Per-class Se/+P, accuracy, Cohen's κ and jκ (Q beats excluded from the reference, AAMI practice)."""
    from sklearn.metrics import cohen_kappa_score

    keep = y != AAMI_BEAT_CLASSES.index("Q")
    y, pred = y[keep], pred[keep]
    m = se_ppv(y, pred)
    m["accuracy"] = float(np.mean(y == pred)) if len(y) else 0.0
    m["kappa"] = float(cohen_kappa_score(y, pred)) if len(y) else 0.0
    j = m["Se_V"] + m["+P_V"] + m["Se_S"] + m["+P_S"]
    m["jkappa"] = m["kappa"] / 2 + j / 8
    m["n_beats"] = int(len(y))
    return m


@register_task
class BeatsTask(TrainingTask):
    name = "beats"
    order = 10
    title = "beat classification"
    classes = AAMI_BEAT_CLASSES
    selection_metric = "jkappa"
    cache_set = "mitdb"
    stage = HeadStage(epochs=5, lr=2e-3)

    def dataset(self, corpus, cfg, splits, *, train=False, seed=0, protocol=None, sets=None,
                max_windows_per_record=None):
        from ..data.task_windows import BeatDataset

        return BeatDataset(corpus, cfg, splits, noise_p=0.0, seed=seed)

    def class_weights(self, ds):
        """Inverse-square-root class frequencies of the dataset's beats, normalised to mean 1."""
        import torch

        counts = np.ones(len(AAMI_BEAT_CLASSES))
        for _, classes, _ in ds._beats.values():
            counts += np.bincount(classes, minlength=len(AAMI_BEAT_CLASSES))
        w = 1.0 / np.sqrt(counts)
        return torch.tensor(w / w.mean(), dtype=torch.float32)

    # ------------------------------------------------------------------------------------------ the user's data
    def examples(self, item):
        return item.beat_class

    def label_from_store(self, store, sources, item):
        beats = store.beats.select(np.isin(store.beats["source"], sources))
        codes = beats["code"]
        keep = np.array([c in AAMI_CLASS for c in codes], bool)
        item.beat_sample = np.asarray(beats["sample"][keep], np.int64)
        item.beat_class = np.array([AAMI_BEAT_CLASSES.index(AAMI_CLASS[c]) for c in codes[keep]], np.int64)
        order = np.argsort(item.beat_sample, kind="stable")
        item.beat_sample, item.beat_class = item.beat_sample[order], item.beat_class[order]

    def drop_classes(self, item, rare):
        keep = ~np.isin(item.beat_class, rare)
        item.beat_sample, item.beat_class = item.beat_sample[keep], item.beat_class[keep]

    def example_positions(self, corpus, val_ds, pred):
        """Every validation beat in the order :func:`~.evaluation.predict` sees them (windows in order, each
        window's first MAX_BEATS beats): (record index, time in s)."""
        from ...vocabulary.model_input import MAX_BEATS

        lab = corpus.labels(self.cache_set)
        first = next(i for i, r in enumerate(corpus.records) if r.set == self.cache_set)
        recs, samples = [], []
        for w in val_ds.windows:
            s = lab["beat_sample"][lab["beat_record"] == w.record - first]
            inside = s[(s >= w.start) & (s < w.start + w.n)][:MAX_BEATS]
            recs.append(np.full(len(inside), w.record))
            samples.append(inside)
        return np.concatenate(recs), np.concatenate(samples) / corpus.fs

    # ------------------------------------------------------------------------------------------ objective
    def loss(self, out, batch, class_weights):
        import torch.nn.functional as F

        mask = batch["beat_mask"] & (batch["beat_label"] >= 0)
        w = class_weights if class_weights is not None and class_weights.numel() == len(self.classes) else None
        loss = F.cross_entropy(out[mask], batch["beat_label"][mask], weight=w) if mask.any() else out.sum() * 0
        acc = (out[mask].argmax(-1) == batch["beat_label"][mask]).float().mean() if mask.any() else loss * 0
        return loss, {"accuracy": acc.detach()}

    # ------------------------------------------------------------------------------------------ evaluation
    def collect(self, out, batch):
        m = batch["beat_mask"].cpu()
        return (batch["beat_label"].cpu()[m].numpy(), out[m].softmax(-1).numpy(),
                batch["record"].cpu()[:, None].expand_as(m)[m].numpy())

    def metrics(self, pred):
        return beat_metrics(pred.y, pred.score.argmax(-1))

    def prediction_loss(self, pred):
        return cross_entropy_loss(pred)

    def predicted_classes(self, pred):
        return np.asarray(pred.y), np.asarray(pred.score).argmax(-1), np.asarray(pred.record)
