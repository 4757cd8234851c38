"""The four fine-tuning tasks: datasets per split, the training objective and the evaluation metrics.

========  ===========================================  =======================================
task      data (splits from :mod:`.corpus`)             metrics
========  ===========================================  =======================================
beats     MIT-BIH DS1 (val: 101 203 223) → DS2          Se/+P of N S V F, accuracy, jκ
rhythm    CinC 2017 seeded split                         F1 of N A O ~ and mean F1 (N, A, O)
anomaly   PTB-XL folds 1–8/9/10 + CinC (N vs rest)      AUROC, AUC-PR, accuracy, weighted F1
leadgen   PTB-XL + LUDB (hidden leads)                   PSNR, SSIM, MAE (min–max scaled), r
========  ===========================================  =======================================

jκ follows Mondéjar-Guerra et al. 2019: κ/2 + j/8 with j = Se_V + +P_V + Se_S + +P_S.
Record-level scores average the window outputs (logits for anomaly, probabilities for rhythm).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..model.anyecg import AnyECG
from ..vocabulary.labels import AAMI_BEAT_CLASSES, RECORD_CLASSES
from ..vocabulary.model_input import PreprocessConfig
from .corpus import Corpus
from .tasks_data import BeatDataset, LeadGenDataset, RecordLabelDataset, WindowDataset

TASKS = ("beats", "rhythm", "anomaly", "leadgen")


def make_dataset(task: str, corpus: Corpus, cfg: PreprocessConfig, splits: tuple[str, ...], train: bool = False,
                 seed: int = 0, protocol: str | None = None, sets: tuple[str, ...] | None = None,
                 max_windows_per_record: int | None = None) -> WindowDataset:
    """The dataset of ``task`` over ``splits`` (noise augmentation on when ``train``; at most
    ``max_windows_per_record`` seeded windows per record for the record-labelled tasks)."""
    noise = 0.2 if train else 0.0
    if task == "beats":
        return BeatDataset(corpus, cfg, splits, noise_p=0.0, seed=seed)
    if task == "rhythm":
        return RecordLabelDataset(corpus, cfg, ("cinc2017",), splits, "record_class", noise_p=noise, seed=seed,
                                  max_windows_per_record=max_windows_per_record)
    if task == "anomaly":
        return RecordLabelDataset(corpus, cfg, sets or ("ptbxl500", "cinc2017"), splits, "anomaly", noise_p=noise,
                                  seed=seed, max_windows_per_record=max_windows_per_record)
    if task == "leadgen":
        return LeadGenDataset(corpus, cfg, splits, protocol or ("mixed" if train else "random"), seed=seed,
                              sets=sets or ("ptbxl500", "ludb"))
    raise ValueError(f"unknown task {task!r}; known: {', '.join(TASKS)}")


def beat_class_weights(ds: BeatDataset) -> torch.Tensor:
    """Inverse-square-root class frequencies of a beat dataset, normalised to mean 1."""
    counts = np.ones(len(AAMI_BEAT_CLASSES))
    for _, classes, _ in ds._beats.values():
        counts += np.bincount(classes, minlength=len(AAMI_BEAT_CLASSES))
    w = 1.0 / np.sqrt(counts)
    return torch.tensor(w / w.mean(), dtype=torch.float32)


def task_outputs(model: AnyECG, task: str, batch: dict) -> torch.Tensor:
    """Forward the backbone (with ``token_mask`` for lead generation) and the task's head. A batch that
    carries ``h`` (cached hidden states of a frozen backbone) skips the backbone."""
    if "h" in batch:
        return model.heads[task](batch["h"], batch)
    if task == "leadgen":
        h = model.backbone(batch["patches"], batch["lead_mask"] | batch["target_mask"], batch["patch_mask"],
                           batch["token_mask"])
        return model.heads[task](h, batch)
    h = model.backbone(batch["patches"], batch["lead_mask"] | batch.get("target_mask", batch["lead_mask"]),
                       batch["patch_mask"], batch.get("token_mask"))
    return model.heads[task](h, batch)


class TaskObjective(nn.Module):
    """``forward(batch) -> (loss, terms)`` for :class:`~anyecg_model.train.loop.Trainer`."""

    def __init__(self, model: AnyECG, task: str, class_weights: torch.Tensor | None = None,
                 cancelled: Callable[[], bool] | None = None):
        super().__init__()
        self.model, self.task, self.cancelled = model, task, cancelled
        self.register_buffer("class_weights", class_weights if class_weights is not None else torch.ones(1),
                             persistent=False)

    def forward(self, batch: dict) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        if self.cancelled is not None and self.cancelled():
            raise TrainingCancelled("fine-tuning cancelled")
        out = task_outputs(self.model, self.task, batch)
        if self.task == "beats":
            mask = batch["beat_mask"] & (batch["beat_label"] >= 0)
            w = self.class_weights if self.class_weights.numel() == len(AAMI_BEAT_CLASSES) else None
            loss = F.cross_entropy(out[mask], batch["beat_label"][mask], weight=w) if mask.any() else out.sum() * 0
            acc = (out[mask].argmax(-1) == batch["beat_label"][mask]).float().mean() if mask.any() else loss * 0
            return loss, {"accuracy": acc.detach()}
        if self.task == "rhythm":
            ok = batch["record_class"] >= 0
            loss = F.cross_entropy(out[ok], batch["record_class"][ok]) if ok.any() else out.sum() * 0
            return loss, {"accuracy": (out[ok].argmax(-1) == batch["record_class"][ok]).float().mean().detach()}
        if self.task == "anomaly":
            ok = batch["anomaly"] >= 0
            loss = F.binary_cross_entropy_with_logits(out[ok], batch["anomaly"][ok]) if ok.any() else out.sum() * 0
            return loss, {}
        if self.task == "leadgen":
            m = batch["target_mask"][:, :, None, None] & batch["patch_mask"][:, None, :, None]
            m = m.expand_as(out)
            err = (out - batch["target"])[m]
            loss = (err ** 2).mean() if err.numel() else out.sum() * 0
            return loss, {"mae_mv": err.abs().mean().detach() if err.numel() else loss.detach()}
        raise ValueError(self.task)


class TrainingCancelled(RuntimeError):
    """Raised inside the training loop when the caller's ``cancelled()`` returns True."""


# ---------------------------------------------------------------------------------------------- metrics
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


def rhythm_metrics(y: np.ndarray, prob: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import f1_score

    pred = prob.argmax(1)
    f1 = f1_score(y, pred, labels=range(len(RECORD_CLASSES)), average=None, zero_division=0)
    m = {f"F1_{c}": float(v) for c, v in zip(RECORD_CLASSES, f1)}
    m["F1_mean_NAO"] = float(np.mean(f1[:3]))
    m["accuracy"] = float(np.mean(pred == y))
    return m


def anomaly_metrics(y: np.ndarray, score: np.ndarray, threshold: float = 0.5) -> dict[str, float]:
    from sklearn.metrics import average_precision_score, f1_score, roc_auc_score

    pred = (score >= threshold).astype(int)
    both = len(set(y.tolist())) == 2
    return {"AUROC": float(roc_auc_score(y, score)) if both else float("nan"),
            "AUC_PR": float(average_precision_score(y, score)) if both else float("nan"),
            "accuracy": float(np.mean(pred == y)),
            "F1_weighted": float(f1_score(y, pred, average="weighted", zero_division=0)),
            "n_records": int(len(y))}


def _ssim_1d(a: np.ndarray, b: np.ndarray, win: int = 7) -> float:
    """Mean structural similarity of two 1-D signals scaled to [0, 1] (Gaussian-free box window)."""
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    k = np.ones(win) / win
    mu_a, mu_b = np.convolve(a, k, "valid"), np.convolve(b, k, "valid")
    va = np.convolve(a * a, k, "valid") - mu_a ** 2
    vb = np.convolve(b * b, k, "valid") - mu_b ** 2
    cov = np.convolve(a * b, k, "valid") - mu_a * mu_b
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (va + vb + c2))
    return float(np.mean(s))


def leadgen_metrics(pairs: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, float]:
    """PSNR (dB), SSIM, MAE on each lead min–max scaled by the true lead's range, and Pearson r (raw)."""
    acc = defaultdict(list)
    for true, gen in pairs:
        lo, hi = true.min(), true.max()
        if hi - lo < 1e-6:
            continue
        t, g = (true - lo) / (hi - lo), np.clip((gen - lo) / (hi - lo), -1, 2)
        mse = float(np.mean((t - g) ** 2))
        acc["PSNR_dB"].append(10 * np.log10(1.0 / max(mse, 1e-12)))
        acc["SSIM"].append(_ssim_1d(t, g))
        acc["MAE"].append(float(np.mean(np.abs(t - g))))
        acc["r"].append(float(np.corrcoef(true, gen)[0, 1]) if np.std(gen) > 1e-9 else 0.0)
    out = {k: float(np.mean(v)) for k, v in acc.items()}
    out["n_leads"] = len(acc["MAE"])
    return out


@dataclass
class Predictions:
    """Collected outputs of one task over a dataset (numpy), for metrics and baselines."""

    task: str
    y: np.ndarray
    score: np.ndarray
    record: np.ndarray


@torch.no_grad()
def predict(model: AnyECG, task: str, ds: WindowDataset, batch_size: int = 32, device: str = "cpu"):
    """Run ``task`` over ``ds`` in eval mode; returns metrics computed at the task's natural level."""
    from torch.utils.data import DataLoader

    model.eval().to(device)
    ys, scores, recs, pairs = [], [], [], []
    for batch in DataLoader(ds, batch_size=batch_size):
        batch = {k: v.to(device) for k, v in batch.items()}
        out = task_outputs(model, task, batch).float().cpu()
        if task == "beats":
            m = batch["beat_mask"].cpu()
            ys.append(batch["beat_label"].cpu()[m].numpy())
            scores.append(out[m].softmax(-1).numpy())
            recs.append(batch["record"].cpu()[:, None].expand_as(m)[m].numpy())
        elif task in ("rhythm", "anomaly"):
            key = "record_class" if task == "rhythm" else "anomaly"
            ys.append(batch[key].cpu().numpy())
            scores.append(out.softmax(-1).numpy() if task == "rhythm" else out.numpy())
            recs.append(batch["record"].cpu().numpy())
        else:
            tm, pm = batch["target_mask"].cpu(), batch["patch_mask"].cpu()
            tgt = batch["target"].cpu()
            for b in range(out.shape[0]):
                n = int(pm[b].sum())
                for s in np.flatnonzero(tm[b].numpy()):
                    pairs.append((tgt[b, s, :n].reshape(-1).numpy(), out[b, s, :n].reshape(-1).numpy()))
    if task == "leadgen":
        return leadgen_metrics(pairs), pairs
    pred = Predictions(task, np.concatenate(ys), np.concatenate(scores), np.concatenate(recs))
    return metrics_of(pred), pred


def record_level(pred: Predictions) -> tuple[np.ndarray, np.ndarray]:
    """Average window scores per record: (labels, scores) in record order."""
    recs = np.unique(pred.record)
    y = np.array([pred.y[pred.record == r][0] for r in recs])
    s = np.stack([pred.score[pred.record == r].mean(0) for r in recs])
    return y, s


def metrics_of(pred: Predictions) -> dict[str, float]:
    if pred.task == "beats":
        return beat_metrics(pred.y, pred.score.argmax(-1))
    y, s = record_level(pred)
    if pred.task == "rhythm":
        return rhythm_metrics(y, s)
    return anomaly_metrics(y.astype(int), 1 / (1 + np.exp(-s)))
