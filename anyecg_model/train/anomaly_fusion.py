"""Recipe of the fused anomaly trees (:mod:`~anyecg_model.model.anomaly_trees`): PTB-XL normal vs abnormal from
averaged-beat features and the anomaly head's logit.

Data: ``ptbxl500`` (ecg_id 1–500), labels as the anomaly head's (:mod:`~anyecg_model.train.data.corpus`: NORM
the only diagnostic superclass → normal, any other → abnormal, none → left out); ``strat_fold`` 1–8 train,
9 validation, 10 test. Each record's inputs are computed exactly as the analyzer computes them for a 10-s
window (:func:`record_inputs`): its 12 leads as mapped and read, R peaks on the rhythm lead, the averaged-beat
features of :mod:`~anyecg_model.analysis.resting_windows` and the anomaly head's mean logit.

Learner: scikit-learn ``HistGradientBoostingClassifier`` (:class:`FusionConfig`; chosen by 8-fold CV over folds
1–8 and on fold 9 — never on fold 10), exported with :mod:`~anyecg_model.model.boosted_trees`. Calibration: one
temperature on the raw score, minimum negative log-likelihood on fold 9; threshold: best balanced accuracy on
fold 9. The same learner on the averaged-beat features alone is the classical baseline (:func:`fit`).

Usage: ``python -m anyecg_model.train.anomaly_fusion --out resources/anyecg-small`` writes
``anomaly_trees.safetensors`` + ``anomaly_trees.json`` (seed 0); ``bench/bench_anomaly_fusion.py`` prints the
3-seed table.
"""
from __future__ import annotations

import argparse
import ast
import csv
import datetime
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..analysis.resting_windows import twelve_lead_rows, window_resting_features
from ..model.anomaly_trees import save_anomaly_trees
from ..model.boosted_trees import BoostedTrees, export_hist_gbm
from ..model.shipped import SHIPPED_MODEL_DIR

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

    def split(self, name: str) -> np.ndarray:
        """Mask of ``train`` (folds 1–8), ``val`` (9) or ``test`` (10)."""
        return {"train": self.fold <= 8, "val": self.fold == 9, "test": self.fold == 10}[name]


def ptbxl_labels(root: Path) -> list[tuple[int, int, int, str]]:
    """(ecg_id, strat_fold, label, record path without extension) of the labelled PTB-XL records in ``root``."""
    with open(root / "scp_statements.csv") as fh:
        superclass = {r[""]: r["diagnostic_class"] for r in csv.DictReader(fh) if r.get("diagnostic_class")}
    out = []
    with open(root / "ptbxl_database.csv") as fh:
        for row in csv.DictReader(fh):
            classes = {superclass[c] for c in ast.literal_eval(row["scp_codes"]) if c in superclass}
            if classes:
                out.append((int(row["ecg_id"]), int(row["strat_fold"]), int(classes != {"NORM"}),
                            row["filename_hr"]))
    return out


def record_inputs(analyzer, recording) -> tuple[np.ndarray, float]:
    """The averaged-beat features (first 10-s window) and the anomaly head's mean window logit of one 12-lead
    ``recording``, as the analyzer's :meth:`~anyecg_model.analysis.analyzer.Analyzer._chunk_inputs` computes
    them."""
    from ..analysis.analyzer import input_leads
    from ..analysis.chunks import WINDOW_S
    from ..signal.rpeaks import detect_r_peaks

    leads = input_leads(recording)
    rows = sorted(leads.slot)
    end = min(recording.duration_s, WINDOW_S)
    data = recording.read(0, int(round(end * recording.fs)), rows)
    data[[k for k, i in enumerate(rows) if i in leads.inverted]] *= -1
    twelve = twelve_lead_rows(leads, rows)
    if twelve is None:
        raise ValueError(f"{recording.path}: not a 12-lead recording")
    peaks = detect_r_peaks(data[rows.index(leads.rhythm_lead)], recording.fs)
    resting = window_resting_features(data, recording.fs, 0.0, twelve, peaks, np.array([0.0]), np.array([end]))[0]
    logits = np.concatenate([p.anomaly_logit for p in analyzer.iter_analyze(recording, ("anomaly",))])
    return resting, float(logits.mean())


def build_table(data_root: Path, model_dir: Path = SHIPPED_MODEL_DIR) -> Table:
    """The :class:`Table` of ``data_root``/ptbxl500 with the anomaly head of ``model_dir``."""
    from ..analysis.analyzer import Analyzer
    from ..io.registry import open_recording

    analyzer = Analyzer(model_dir, device="cpu")
    rows = ptbxl_labels(data_root / "ptbxl500")
    resting, logits = [], []
    for ecg_id, _, _, name in rows:
        r, z = record_inputs(analyzer, open_recording(data_root / "ptbxl500" / f"{name}.hea"))
        resting.append(r)
        logits.append(z)
    ids, folds, ys, _ = (np.array(c) for c in zip(*rows))
    return Table(ids.astype(int), folds.astype(int), ys.astype(int), np.array(resting), np.array(logits))


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
    p.add_argument("--data", type=Path, default=Path.home() / ".cache/anyecg/data")
    p.add_argument("--model", type=Path, default=SHIPPED_MODEL_DIR, help="the backbone whose anomaly head is fused")
    p.add_argument("--out", type=Path, required=True, help="folder to write anomaly_trees.* into")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    logging.basicConfig(level=logging.INFO)
    ship(build_table(a.data, a.model), a.out, seed=a.seed)


if __name__ == "__main__":
    main()
