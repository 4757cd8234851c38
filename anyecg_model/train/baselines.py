"""Classical baselines trained on the same splits as the model.

- Beats: RR-interval features (pre/post/local RR and ratios), the beat against the window's dominant beat
  (correlation, amplitude ratio, residual; the model's ``beat_template`` input) plus a morphology vector (the beat-centred
  waveform of the first present lead, 0.25 s before to 0.45 s after R, decimated to 30 Hz-ish 21
  points, and its QRS width/amplitude proxies) → scikit-learn ``HistGradientBoostingClassifier``
  with balanced class weights.
- Rhythm: per-window RR statistics → gradient boosting; record class = mean window probability.
- Lead generation: least-squares linear regression from the present leads to each missing lead, fitted
  on training windows for each input/target lead combination met at test time.
"""
from __future__ import annotations

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from torch.utils.data import Dataset

from ..vocabulary.labels import BEAT_CLASSES, RECORD_CLASSES


def _items(ds: Dataset, limit: int | None = None, seed: int = 0):
    idx = np.arange(len(ds))
    if limit is not None and limit < len(idx):
        idx = np.sort(np.random.default_rng(seed).choice(idx, limit, replace=False))
    for i in idx:
        yield ds[int(i)]


def beat_feature_rows(item: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features (K, F), labels (K,), record (K,)) of the beats of one BeatDataset item."""
    m = item["beat_mask"].numpy()
    lead = int(np.flatnonzero(item["lead_mask"].numpy())[0]) if item["lead_mask"].any() else 0
    morph = item["beat_morph"].numpy()[m, lead]  # (K, T)
    small = morph[:, ::10]
    qrs = morph[:, 60:105]
    extra = np.stack([qrs.max(1) - qrs.min(1), np.abs(np.diff(qrs, axis=1)).sum(1), morph.std(1)], 1)
    feats = np.concatenate([item["beat_rr"].numpy()[m], item["beat_template"].numpy()[m], small, extra], axis=1)
    return feats, item["beat_label"].numpy()[m], np.full(int(m.sum()), int(item["record"]))


def beat_table(ds: Dataset, limit: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = [beat_feature_rows(it) for it in _items(ds, limit)]
    return tuple(np.concatenate([r[k] for r in rows]) for k in range(3))


def fit_gbm(X: np.ndarray, y: np.ndarray, n_classes: int, seed: int = 0) -> HistGradientBoostingClassifier:
    """Gradient boosting with class weights balanced over the classes present."""
    counts = np.bincount(y, minlength=n_classes).astype(float)
    w = np.where(counts[y] > 0, len(y) / (np.count_nonzero(counts) * counts[y]), 0.0)
    clf = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.1, random_state=seed)
    return clf.fit(X, y, sample_weight=w)


def full_proba(clf: HistGradientBoostingClassifier, X: np.ndarray, n_classes: int) -> np.ndarray:
    """predict_proba with a column for every class (absent training classes get 0)."""
    p = np.zeros((len(X), n_classes))
    p[:, clf.classes_] = clf.predict_proba(X)
    return p


def rhythm_table(ds: Dataset, limit: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X, y, r = [], [], []
    for it in _items(ds, limit):
        X.append(it["rhythm_features"].numpy())
        y.append(int(it["record_class"]))
        r.append(int(it["record"]))
    return np.array(X), np.array(y), np.array(r)


class LinearLeadGenerator:
    """Least-squares map from present leads to one missing lead, per input-set/target combination."""

    def __init__(self, train: Dataset, n_windows: int = 200, seed: int = 0):
        items = list(_items(train, n_windows, seed))
        full = [it for it in items if bool(it["target_mask"].any()) or bool(it["lead_mask"].all())]
        # every training window's complete 12-lead signal, (S, n) per window
        self.signals = [it["target"].numpy().reshape(it["target"].shape[0], -1) for it in full]
        self.masks = [(it["lead_mask"] | it["target_mask"]).numpy() for it in full]
        self._coef: dict[tuple, np.ndarray] = {}

    def coef(self, inputs: tuple[int, ...], target: int) -> np.ndarray:
        key = (inputs, target)
        if key not in self._coef:
            X = np.concatenate([s[list(inputs)].T for s, m in zip(self.signals, self.masks) if m[list(inputs)].all()
                                and m[target]])
            y = np.concatenate([s[target] for s, m in zip(self.signals, self.masks) if m[list(inputs)].all()
                                and m[target]])
            A = np.concatenate([X, np.ones((len(X), 1))], axis=1)
            self._coef[key] = np.linalg.lstsq(A, y, rcond=None)[0]
        return self._coef[key]

    def generate(self, patches: np.ndarray, lead_mask: np.ndarray, target: int, n: int) -> np.ndarray:
        """Waveform (n samples) of slot ``target`` from the present slots of ``patches`` (S, P, L)."""
        inputs = tuple(int(i) for i in np.flatnonzero(lead_mask))
        x = patches.reshape(patches.shape[0], -1)[list(inputs), :n].T
        c = self.coef(inputs, target)
        return x @ c[:-1] + c[-1]


__all__ = ["BEAT_CLASSES", "RECORD_CLASSES", "LinearLeadGenerator", "beat_table", "fit_gbm", "full_proba",
           "rhythm_table"]
