"""Recipe of the fused anomaly trees (:mod:`~anyecg_model.model.anomaly_trees`): PTB-XL normal vs abnormal from
averaged-beat features and the anomaly head's logit.

Data: ``ptbxl500`` (ecg_id 1–500), labels as the anomaly head's (:mod:`~anyecg_model.train.data.corpus`: NORM
the only diagnostic superclass → normal, any other → abnormal, none → left out); ``strat_fold`` 1–8 train,
9 validation, 10 test. Each record's inputs are computed exactly as the analyzer computes them for a 10-s
window (:mod:`anyecg_model.analysis.anomaly_data`, which writes them to an ``.npz``: training never imports the
analysis): its 12 leads as mapped and read, R peaks on the rhythm lead, the averaged-beat features of
:mod:`~anyecg_model.analysis.resting_windows` and the anomaly head's mean logit.

Learner: scikit-learn ``HistGradientBoostingClassifier`` (:class:`FusionConfig`; chosen by 8-fold CV over folds
1–8 and on fold 9 — never on fold 10), exported with :mod:`~anyecg_model.model.boosted_trees`. Calibration: one
temperature on the raw score, minimum negative log-likelihood on fold 9; threshold: best balanced accuracy on
fold 9. The same learner on the averaged-beat features alone is the classical baseline (:func:`fit`).

Usage: ``python -m anyecg_model.analysis.anomaly_data --out /tmp/ptbxl_anomaly.npz``, then
``python -m anyecg_model.train.anomaly_fusion /tmp/ptbxl_anomaly.npz --out resources/anyecg-small`` writes
``anomaly_trees.safetensors`` + ``anomaly_trees.json`` (seed 0); ``bench/bench_anomaly_fusion.py`` prints the
3-seed table.
"""
from __future__ import annotations

import argparse
import datetime
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..model.anomaly_trees import save_anomaly_trees
from ..model.boosted_trees import BoostedTrees, export_hist_gbm

log = logging.getLogger(__name__)

#: Version of the shipped trees (``model_version`` of the JSON).
VERSION = "1.0"


@dataclass(frozen=True)
class FusionConfig:
    """Hyper-parameters of the gradient boosting (``max_features``: share of the features each split may try,
    so the seed matters)."""

    max_iter: int = 200
    learning_rate: float = 0.05
    max_leaf_nodes: int = 8
    min_samples_leaf: int = 10
    l2_regularization: float = 1.0
    max_features: float = 0.5


@dataclass
class Table:
    """One row per labelled record: ``ecg_id``, ``fold`` (strat_fold), ``y`` (1 abnormal), ``resting``
    (N, features) averaged-beat features, ``head_logit`` (N,) the anomaly head's mean logit."""

    ecg_id: np.ndarray
    fold: np.ndarray
    y: np.ndarray
    resting: np.ndarray
    head_logit: np.ndarray

    def inputs(self, fused: bool = True) -> np.ndarray:
        """The learner's inputs: the averaged-beat features, then (``fused``) the head's logit."""
        return np.c_[self.resting, self.head_logit] if fused else self.resting

    @classmethod
    def load(cls, path: Path) -> "Table":
        """The table :mod:`anyecg_model.analysis.anomaly_data` wrote to ``path`` (``.npz``, no pickles)."""
        with np.load(path, allow_pickle=False) as z:
            return cls(**{k: z[k] for k in ("ecg_id", "fold", "y", "resting", "head_logit")})

    def split(self, name: str) -> np.ndarray:
        """Mask of ``train`` (folds 1–8), ``val`` (9) or ``test`` (10)."""
        return {"train": self.fold <= 8, "val": self.fold == 9, "test": self.fold == 10}[name]


def fit(table: Table, cfg: FusionConfig, seed: int, fused: bool = True):
    """The gradient boosting fitted on folds 1–8 (``fused``: features + head logit; else features alone)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    m = table.split("train")
    clf = HistGradientBoostingClassifier(random_state=seed, **asdict(cfg))
    return clf.fit(table.inputs(fused)[m], table.y[m])


def fit_temperature(raw: np.ndarray, y: np.ndarray) -> float:
    """Temperature T minimising the negative log-likelihood of sigmoid(raw / T) (log grid 0.1–10, refined)."""
    def nll(t: float) -> float:
        z = raw / t
        return float(np.mean(np.logaddexp(0.0, z) - y * z))

    grid = np.exp(np.linspace(np.log(0.1), np.log(10.0), 201))
    best = grid[int(np.argmin([nll(t) for t in grid]))]
    fine = best * np.exp(np.linspace(-0.03, 0.03, 61))
    return float(fine[int(np.argmin([nll(t) for t in fine]))])


def balanced_threshold(prob: np.ndarray, y: np.ndarray) -> float:
    """The probability threshold with the best balanced accuracy (ties: the middle of the best run)."""
    cand = np.unique(prob)
    cuts = (cand[:-1] + cand[1:]) / 2 if len(cand) > 1 else cand
    ba = [0.5 * (np.mean(prob[y == 1] >= c) + np.mean(prob[y == 0] < c)) for c in cuts]
    best = np.flatnonzero(np.isclose(ba, max(ba)))
    return float(np.clip(cuts[best[len(best) // 2]], 1e-3, 1 - 1e-3))


def ship(table: Table, out: Path, cfg: FusionConfig = FusionConfig(), seed: int = 0) -> Path:
    """Fit the fused trees (``seed``), calibrate on fold 9, check the export against scikit-learn and write
    them into ``out``; returns the JSON path."""
    clf = fit(table, cfg, seed)
    trees: BoostedTrees = export_hist_gbm(clf)
    x = table.inputs()
    if not np.allclose(trees.raw(x)[:, 0], clf.decision_function(x), atol=1e-9):
        raise RuntimeError("exported trees differ from scikit-learn's predictions")
    val = table.split("val")
    raw_val = trees.raw(x[val])[:, 0]
    t = fit_temperature(raw_val, table.y[val])
    thr = balanced_threshold(1 / (1 + np.exp(-raw_val / t)), table.y[val])
    meta = {"name": "fused anomaly trees", "model_version": VERSION, "seed": seed, "recipe": asdict(cfg),
            "trained_on": "PTB-XL ptbxl500 strat_fold 1-8; temperature and threshold on fold 9",
            "date": datetime.date.today().isoformat()}
    path = save_anomaly_trees(trees, out, t, thr, meta)
    log.info("wrote %s (temperature %.3f, threshold %.3f)", path, t, thr)
    return path


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("table", type=Path, help="the .npz of python -m anyecg_model.analysis.anomaly_data")
    p.add_argument("--out", type=Path, required=True, help="folder to write anomaly_trees.* into")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    logging.basicConfig(level=logging.INFO)
    ship(Table.load(a.table), a.out, seed=a.seed)


if __name__ == "__main__":
    main()
