"""Training and evaluation of the fusion beat classifier and its same-run classical rival, on cached beats.

Inputs come from :mod:`anyecg_model.analysis.beat_fusion_data` (one ``.npz`` per MIT-BIH record). Protocol (de Chazal 2004,
inter-patient): train on DS1 less the validation records 101, 203, 223 plus the paced records, validate
(temperature, nothing else) on those three, test on DS2. Paced beats are judged leave-one-paced-record-out.

- :func:`train_fusion`: standardisation + MLP (:class:`~anyecg_model.model.beat_fusion.FusionHead`),
  class-balanced cross-entropy, AdamW, fixed epochs, then a temperature fitted on the validation records.
- :func:`train_gbm`: ``HistGradientBoostingClassifier`` with balanced class weights on the same clinical
  features plus the earlier baseline's window/morphology features.
- :func:`beat_scores`: Se / +P per class (Q beats left out of the reference, AAMI practice), jκ, ECE.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..model.beat_fusion import FusionConfig, FusionHead, expected_calibration_error, fit_temperature
from ..vocabulary.beat_context import CLINICAL_FEATURES
from ..vocabulary.labels import BEAT_CLASSES
from .data.corpus import MITDB_DS1, MITDB_DS2, MITDB_PACED, MITDB_VAL

N_CLASSES = len(BEAT_CLASSES)
Q, P = BEAT_CLASSES.index("Q"), BEAT_CLASSES.index("P")
TRAIN = tuple(r for r in MITDB_DS1 if r not in MITDB_VAL)


@dataclass
class Table:
    """Beats of some records: representation, clinical and window features, labels, record of each."""

    rep: np.ndarray
    clinical: np.ndarray
    window: np.ndarray
    label: np.ndarray
    record: np.ndarray

    @classmethod
    def of(cls, cache: dict, records) -> "Table":
        parts = [cache[r] for r in records]
        keep = [p["label"] >= 0 for p in parts]
        cat = lambda k: np.concatenate([p[k][m] for p, m in zip(parts, keep)])  # noqa: E731
        rec = np.concatenate([np.full(int(m.sum()), r, object) for r, m in zip(records, keep)])
        return cls(cat("rep"), cat("clinical"), cat("window"), cat("label").astype(np.int64), rec)


@dataclass
class FusionRecipe:
    hidden: int = 64
    epochs: int = 20
    lr: float = 3e-3
    weight_decay: float = 1e-3
    batch: int = 512
    dropout: float = 0.2
    use_repr: bool = True
    weight_power: float = 1.0  # class weights: balanced ** power (0.5 trades S sensitivity for +P)


def class_weights(y: np.ndarray, n: int = N_CLASSES) -> np.ndarray:
    """Balanced weights n_beats / (n_present_classes · count), 0 for absent classes."""
    counts = np.bincount(y, minlength=n).astype(float)
    return np.where(counts > 0, len(y) / (np.count_nonzero(counts) * counts.clip(min=1)), 0.0)


def train_fusion(train: Table, val: Table, seed: int = 0, recipe: FusionRecipe | None = None) -> FusionHead:
    """A fusion head fitted on ``train``, its temperature on ``val``."""
    r = recipe or FusionRecipe()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    cfg = FusionConfig(n_repr=train.rep.shape[1], clinical=list(CLINICAL_FEATURES), hidden=r.hidden,
                       use_repr=r.use_repr)
    head = FusionHead(cfg, r.dropout)
    x_rep, x_cl = torch.as_tensor(train.rep), torch.as_tensor(train.clinical)
    x = torch.cat([x_rep, x_cl], -1) if r.use_repr else x_cl
    head.mean.copy_(x.mean(0))
    head.scale.copy_(x.std(0).clamp_min(1e-3))
    y = torch.as_tensor(train.label)
    loss_fn = nn.CrossEntropyLoss(weight=torch.as_tensor(class_weights(train.label) ** r.weight_power,
                                                         dtype=torch.float32))
    opt = torch.optim.AdamW(head.net.parameters(), lr=r.lr, weight_decay=r.weight_decay)
    steps = r.epochs * int(np.ceil(len(y) / r.batch))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, r.lr, total_steps=steps)
    head.train()
    for _ in range(r.epochs):
        order = torch.as_tensor(rng.permutation(len(y)))
        for b in range(0, len(y), r.batch):
            i = order[b:b + r.batch]
            loss = loss_fn(head(x_rep[i], x_cl[i]), y[i])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    head.eval()
    head.cfg.temperature = fit_temperature(fusion_logits(head, val), val.label)
    return head


@torch.no_grad()
def fusion_logits(head: FusionHead, t: Table) -> np.ndarray:
    """Uncalibrated logits (N, classes)."""
    return head(torch.as_tensor(t.rep), torch.as_tensor(t.clinical)).numpy()


@torch.no_grad()
def fusion_proba(head: FusionHead, t: Table) -> np.ndarray:
    """Calibrated probabilities (N, classes)."""
    return head.probabilities(torch.as_tensor(t.rep), torch.as_tensor(t.clinical)).numpy()


def gbm_features(t: Table) -> np.ndarray:
    return np.concatenate([t.clinical, t.window], 1)


def train_gbm(train: Table, seed: int = 0, weight_power: float = 1.0, x: np.ndarray | None = None):
    """The classical rival: gradient boosting, balanced class weights (** ``weight_power``), clinical + window
    features (or the rows ``x`` of ``train``'s beats, when given)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    w = (class_weights(train.label) ** weight_power)[train.label]
    clf = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.1, random_state=seed)
    return clf.fit(gbm_features(train) if x is None else x, train.label, sample_weight=w)


def gbm_proba(clf, t: Table) -> np.ndarray:
    p = np.zeros((len(t.label), N_CLASSES))
    p[:, clf.classes_] = clf.predict_proba(gbm_features(t))
    return p


def beat_scores(y: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    """Se/+P of every class, accuracy, κ, jκ (Q beats out of the reference), and ECE of the confidences."""
    from sklearn.metrics import cohen_kappa_score

    pred = proba.argmax(1)
    conf = proba.max(1)
    keep = y != Q
    out = {"ece": expected_calibration_error(conf[keep], pred[keep] == y[keep])}
    y, pred = y[keep], pred[keep]
    for k, c in enumerate(BEAT_CLASSES):
        tp = int(np.sum((pred == k) & (y == k)))
        out[f"Se_{c}"] = tp / max(1, int(np.sum(y == k)))
        out[f"+P_{c}"] = tp / max(1, int(np.sum(pred == k)))
    out["accuracy"] = float(np.mean(y == pred))
    out["kappa"] = float(cohen_kappa_score(y, pred))
    out["jkappa"] = out["kappa"] / 2 + (out["Se_V"] + out["+P_V"] + out["Se_S"] + out["+P_S"]) / 8
    out["n_beats"] = int(len(y))
    return out


def paced_scores(y: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    """On a paced record: share of paced beats called P, and called V."""
    pred = proba.argmax(1)
    m = y == P
    return {"paced_Se": float(np.mean(pred[m] == P)) if m.any() else float("nan"),
            "paced_as_V": float(np.mean(pred[m] == BEAT_CLASSES.index("V"))) if m.any() else float("nan"),
            "n_paced": int(m.sum()),
            "P_calls_on_unpaced": float(np.mean(pred[~m] == P)) if (~m).any() else float("nan")}


__all__ = ["FusionRecipe", "MITDB_DS2", "MITDB_PACED", "MITDB_VAL", "TRAIN", "Table", "beat_scores",
           "fusion_proba", "gbm_proba", "paced_scores", "train_fusion", "train_gbm"]
