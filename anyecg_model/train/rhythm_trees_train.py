"""Train and ship the fused record-level rhythm classifier (:mod:`~anyecg_model.model.rhythm_trees`) on CinC 2017.

Usage::

    python -m anyecg_model.analysis.rhythm_data --out /tmp/cinc_rhythm.npz [--limit 200]   # the features
    python -m anyecg_model.train.rhythm_trees_train cv /tmp/cinc_rhythm.npz          # design: train+val only
    python -m anyecg_model.train.rhythm_trees_train ship /tmp/cinc_rhythm.npz --out resources/anyecg-small

The features (:mod:`~anyecg_model.analysis.rhythm_data`: the shipped analysis over every CinC 2017 record) are
split as the corpus splits CinC 2017 (:func:`cinc_splits`: seeded, stratified by class; test = 822 records), so
nothing here sees another split than the model's training did. ``cv`` compares early and late fusion, recipes and fusion weights by 5-fold
cross-validation on train+val (:func:`design`); ``ship`` fits the chosen recipe on the train split, the
temperature of the fusion on val, and writes ``rhythm_trees.safetensors`` + ``rhythm_trees.json``.
"""
from __future__ import annotations

import argparse
import csv
import logging
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import numpy as np

from ..model.rhythm_trees import RHYTHM_FEATURES, softmax
from ..vocabulary.labels import RECORD_CLASSES

log = logging.getLogger(__name__)
DATA = Path.home() / ".cache/anyecg/data/cinc2017"
#: Columns of the model group (the rhythm head's outputs); the classical baseline reads every other column.
MODEL_COLUMNS = tuple(i for i, n in enumerate(RHYTHM_FEATURES) if n.startswith("model_"))
CLASSICAL_COLUMNS = tuple(i for i in range(len(RHYTHM_FEATURES)) if i not in MODEL_COLUMNS)
#: 1.1: the same recipe refitted on features the analysis gives since beat trees 1.2 (ectopy shares from its beat
#: labels; mains notch and unnamed-lead polarity since 1.0).
VERSION = "1.1"


@dataclass(frozen=True)
class RhythmRecipe:
    """The learner: HistGradientBoosting with these settings over the classical features; classes weighted by
    ``class_weight_power`` of the inverse frequency (0: none, 1: balanced); ``tree_weight`` of the trees' log
    probabilities against the rhythm head's in the fusion. Chosen by :func:`design` (docs/BENCHMARKS.md)."""

    max_iter: int = 300
    learning_rate: float = 0.05
    max_leaf_nodes: int = 7
    min_samples_leaf: int = 20
    l2_regularization: float = 1.0
    class_weight_power: float = 0.5
    tree_weight: float = 0.8


def cinc_splits(reference: dict[str, str]) -> dict[str, str]:
    """record → train/val/test: the corpus' seeded split of CinC 2017 (stratified by class)."""
    from .data.corpus import _seeded_split

    return _seeded_split(list(reference), list(reference.values()))


def read_reference(root: Path = DATA) -> dict[str, str]:
    with open(root / "REFERENCE.csv") as fh:
        return {row[0]: row[1] for row in csv.reader(fh) if row}


def load(path: Path, root: Path = DATA) -> dict[str, np.ndarray]:
    """The features of :mod:`~anyecg_model.analysis.rhythm_data` (``X``, ``y``, ``names``) and each record's
    split (``split``: :func:`cinc_splits`)."""
    with np.load(path, allow_pickle=False) as z:
        if list(z["features"]) != list(RHYTHM_FEATURES):
            raise ValueError(f"{path}: features are not this version's {len(RHYTHM_FEATURES)}")
        data = {k: z[k] for k in ("X", "y", "names")}
    split = cinc_splits(read_reference(root))
    data["split"] = np.array([split[str(n)] for n in data["names"]])
    return data


def fit(X: np.ndarray, y: np.ndarray, recipe: RhythmRecipe, seed: int = 0):
    """A fitted HistGradientBoostingClassifier (class weights per ``recipe``)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    counts = np.bincount(y, minlength=len(RECORD_CLASSES)).astype(float)
    w = (counts.sum() / (len(counts) * np.maximum(counts, 1))) ** recipe.class_weight_power
    clf = HistGradientBoostingClassifier(max_iter=recipe.max_iter, learning_rate=recipe.learning_rate,
                                         max_leaf_nodes=recipe.max_leaf_nodes,
                                         min_samples_leaf=recipe.min_samples_leaf,
                                         l2_regularization=recipe.l2_regularization, random_state=seed)
    return clf.fit(X, y, sample_weight=w[y])


def scores(y: np.ndarray, prob: np.ndarray) -> dict[str, float]:
    """F1 of N A O ~, their mean over N A O (the challenge score), accuracy and ECE (15 bins)."""
    from .tasks.rhythm import rhythm_metrics

    m = rhythm_metrics(y, prob)
    m["ECE"] = expected_calibration_error(y, prob)
    return m


def expected_calibration_error(y: np.ndarray, prob: np.ndarray, bins: int = 15) -> float:
    """Top-label ECE: Σ over equal-width confidence bins of (share of records) × |accuracy − mean confidence|."""
    conf, right = prob.max(1), prob.argmax(1) == y
    edges = np.minimum((conf * bins).astype(int), bins - 1)
    return float(sum(np.mean(edges == b) * abs(right[edges == b].mean() - conf[edges == b].mean())
                     for b in range(bins) if np.any(edges == b)))


def fit_temperature(raw: np.ndarray, y: np.ndarray) -> float:
    """The temperature minimising the negative log-likelihood of softmax(raw / T) on (raw, y)."""
    from scipy.optimize import minimize_scalar

    def nll(log_t: float) -> float:
        z = raw / np.exp(log_t)
        z = z - z.max(1, keepdims=True)
        return float(-(z[np.arange(len(y)), y] - np.log(np.exp(z).sum(1))).mean())

    return float(np.exp(minimize_scalar(nll, bounds=(-3, 3), method="bounded").x))


#: Recipes compared by :func:`design` (the recipe's other fields at their defaults) and the fusion weights.
GRID = ({"max_leaf_nodes": 7, "class_weight_power": 0.5}, {"max_leaf_nodes": 7, "class_weight_power": 1.0},
        {"max_leaf_nodes": 15, "class_weight_power": 0.5})
TREE_WEIGHTS = (0.6, 0.7, 0.8, 0.9, 1.0)


def model_only(X: np.ndarray) -> np.ndarray:
    """The rhythm head alone: its mean window probabilities (uniform where the record had no readable window)."""
    p = X[:, list(MODEL_COLUMNS[:len(RECORD_CLASSES)])]
    return np.where(np.isfinite(p).all(1, keepdims=True), p, 1.0 / len(RECORD_CLASSES))


def out_of_fold(X: np.ndarray, y: np.ndarray, cols: tuple[int, ...], recipe: RhythmRecipe, seed: int = 0,
                folds: int = 5) -> np.ndarray:
    """Out-of-fold probabilities of ``recipe`` over the columns ``cols`` (stratified folds)."""
    from sklearn.model_selection import StratifiedKFold

    prob = np.zeros((len(y), len(RECORD_CLASSES)))
    for tr, te in StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y):
        prob[te] = fit(X[tr][:, list(cols)], y[tr], recipe, seed).predict_proba(X[te][:, list(cols)])
    return prob


def design(data: dict[str, np.ndarray], seed: int = 0) -> None:
    """The design of the recipe and the fusion on train+val (the test records are not read), by 5-fold
    cross-validation. The rhythm head's outputs on its own training records are in-sample, so every score is
    also given on the validation records alone (the head never trained on them): the head alone per split;
    trees on all features (early fusion) and on the classical ones; the product of the classical trees'
    and the head's probabilities for each weight of :data:`TREE_WEIGHTS` (late fusion)."""
    from ..model.rhythm_trees import fused_logits, softmax

    X, y, split = data["X"], data["y"], data["split"]
    for name in ("train", "val"):
        m = split == name
        log.info("rhythm head alone, %s (%d records): %s", name, m.sum(), _fmt(scores(y[m], model_only(X[m]))))
    dev = split != "test"
    Xd, yd, val = X[dev], y[dev], split[dev] == "val"
    for point in GRID:
        recipe = RhythmRecipe(**point)
        early = out_of_fold(Xd, yd, tuple(range(X.shape[1])), recipe, seed)
        log.info("%s early fusion: all %s | val %s", point, _fmt(scores(yd, early)), _fmt(scores(yd[val], early[val])))
        prob = out_of_fold(Xd, yd, CLASSICAL_COLUMNS, recipe, seed)
        for w in TREE_WEIGHTS:
            p = softmax(fused_logits(np.log(np.clip(prob, 1e-12, 1)), model_only(Xd), w))
            log.info("%s tree weight %.1f: all %s | val %s", point, w, _fmt(scores(yd, p)), _fmt(scores(yd[val], p[val])))


def _fmt(m: dict) -> str:
    return " ".join(f"{k} {m[k]:.3f}" for k in ("F1_N", "F1_A", "F1_O", "F1_~", "F1_mean_NAO", "ECE"))


def fit_calibrated(X: np.ndarray, y: np.ndarray, split: np.ndarray, recipe: RhythmRecipe, seed: int,
                   tree_weight: float):
    """Trees fitted on the train records over the classical columns, fused with the head at ``tree_weight``
    (1: the trees alone), and the temperature of the fusion fitted on val: (classifier, trees, temperature)."""
    from ..model.boosted_trees import export_hist_gbm
    from ..model.rhythm_trees import fused_logits

    tr, va = split == "train", split == "val"
    cols = list(CLASSICAL_COLUMNS)
    clf = fit(X[tr][:, cols], y[tr], recipe, seed)
    trees = export_hist_gbm(clf)
    z = fused_logits(trees.raw(X[va][:, cols]), model_only(X[va]), tree_weight)
    return clf, trees, fit_temperature(z, y[va])


def fused_probabilities(trees, X: np.ndarray, tree_weight: float, temperature: float) -> np.ndarray:
    """The calibrated fused probabilities of the feature rows ``X`` (as :class:`~anyecg_model.model.rhythm_trees.RhythmTrees`)."""
    from ..model.rhythm_trees import fused_logits

    return softmax(fused_logits(trees.raw(X[:, list(CLASSICAL_COLUMNS)]), model_only(X), tree_weight) / temperature)


def ship(data: dict[str, np.ndarray], out: Path, recipe: RhythmRecipe = RhythmRecipe(), seed: int = 0,
         max_duration_s: float = 65.0) -> Path:
    """Fit the fused classifier (:func:`fit_calibrated`), check the export reproduces scikit-learn's
    probabilities, and write it into ``out``; returns the JSON path. The test records are not read."""
    from ..model.rhythm_trees import load_rhythm_trees, save_rhythm_trees

    X, y, split = data["X"], data["y"], data["split"]
    clf, trees, t = fit_calibrated(X, y, split, recipe, seed, recipe.tree_weight)
    va = split == "val"
    cols = list(CLASSICAL_COLUMNS)
    gap = np.abs(softmax(trees.raw(X[va][:, cols])) - clf.predict_proba(X[va][:, cols])).max()
    if gap > 1e-6:
        raise RuntimeError(f"exported trees differ from scikit-learn's by {gap:.2e}")
    val = scores(y[va], fused_probabilities(trees, X[va], recipe.tree_weight, t))
    meta = {"name": "gradient-boosted rhythm trees", "model_version": VERSION, "date": date.today().isoformat(),
            "recipe": asdict(recipe), "seed": seed, "trained_on": "CinC 2017 train split (corpus seed 2017)",
            "temperature_fitted_on": "CinC 2017 val split", "val_metrics": val}
    path = save_rhythm_trees(trees, out, [RHYTHM_FEATURES[i] for i in cols], recipe.tree_weight, t,
                             max_duration_s, meta)
    again = load_rhythm_trees(out).probabilities(X[va])
    if np.abs(again - fused_probabilities(trees, X[va], recipe.tree_weight, t)).max() > 1e-9:
        raise RuntimeError("the stored rhythm trees do not reproduce the fitted fusion")
    log.info("temperature %.3f, val %s -> %s", t, _fmt(val), path)
    return path


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("cv")
    c.add_argument("features", type=Path)
    s = sub.add_parser("ship")
    s.add_argument("features", type=Path)
    s.add_argument("--out", type=Path, required=True)
    a = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if a.cmd == "cv":
        design(load(a.features))
    else:
        ship(load(a.features), a.out)


if __name__ == "__main__":
    main()
