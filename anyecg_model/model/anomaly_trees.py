"""The fused anomaly head: gradient-boosted trees over a 12-lead ECG's averaged-beat features and the anomaly
head's own logit (issue 15, Deliver 4).

On PTB-XL the classical rival of the anomaly head is a learner on the median-beat measurements a cardiologist
reads (:mod:`~anyecg_model.signal.resting_features`). When ``anomaly_trees.safetensors`` +
``anomaly_trees.json`` lie beside the backbone, every 10-s window of a recording with all 12 standard leads gets
its anomaly score from these trees, which read the window's :data:`FEATURES` followed by the anomaly head's
logit of that window. The score is ``sigmoid(raw / temperature)``, the temperature fitted on PTB-XL fold 9; the
JSON also holds the threshold for "abnormal" on that calibrated probability (best balanced accuracy on fold 9).
Recordings with other lead sets keep the anomaly head (and its "not assessed" rule).

The trees are stored by :mod:`.boosted_trees` (safetensors + JSON with a SHA-256; never unpickled); the recipe is
:mod:`anyecg_model.train.anomaly_fusion`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..signal.resting_features import FEATURES as RESTING_FEATURES, TWELVE_LEADS
from .boosted_trees import BoostedTrees, load_stored_trees, provenance, save_trees, stored_provenance

WEIGHTS, CONFIG = "anomaly_trees.safetensors", "anomaly_trees.json"
#: Provenance of the anomaly score when no fused trees apply: the backbone's anomaly head.
ANOMALY_HEAD = "anomaly head"
#: The last input column: the anomaly head's logit of the window.
HEAD_LOGIT = "anomaly_head_logit"
#: The trees' input columns, in order.
FEATURES: tuple[str, ...] = RESTING_FEATURES + (HEAD_LOGIT,)


class AnomalyTreesError(ValueError):
    """The fused anomaly trees' files are corrupt, tampered with, or do not match this version's features."""


@dataclass
class AnomalyTrees:
    """Trees, the calibration ``temperature``, the ``threshold`` for "abnormal" on the calibrated probability,
    and the stored JSON (``meta``)."""

    trees: BoostedTrees
    temperature: float
    threshold: float
    meta: dict

    @property
    def name(self) -> str:
        """Provenance of the scores (:func:`classifier_name` of the stored JSON)."""
        return classifier_name(self.meta)

    def logit(self, resting: np.ndarray, head_logit: np.ndarray) -> np.ndarray:
        """(N,) calibrated log-odds of "abnormal" from (N, len(RESTING_FEATURES)) averaged-beat features and the
        anomaly head's (N,) logits."""
        x = np.concatenate([np.asarray(resting, np.float64).reshape(len(head_logit), -1),
                            np.asarray(head_logit, np.float64).reshape(-1, 1)], 1)
        return self.trees.raw(x)[:, 0] / self.temperature


def classifier_name(meta: dict) -> str:
    """:func:`~.boosted_trees.provenance` of a anomaly trees JSON."""
    return provenance(meta, "anomaly trees")


def anomaly_classifier_name(directory: str | Path) -> str:
    """What scores anomaly on 12-lead recordings for a model folder, from its JSON alone (no weights read):
    :func:`classifier_name` of its fused trees, or :data:`ANOMALY_HEAD` when it has none or the JSON is unreadable
    (the analyzer then refuses the folder: :func:`load_anomaly_trees`)."""
    return stored_provenance(directory, CONFIG, "anomaly trees", ANOMALY_HEAD)


def save_anomaly_trees(trees: BoostedTrees, directory: str | Path, temperature: float, threshold: float,
                       meta: dict) -> Path:
    """Write ``anomaly_trees.safetensors`` + ``anomaly_trees.json`` into ``directory``; returns the JSON path."""
    if trees.n_classes != 1:
        raise AnomalyTreesError(f"expected binary trees (one raw score), got {trees.n_classes} classes")
    d = Path(directory)
    save_trees(trees, d / WEIGHTS, d / CONFIG, {**meta, "features": list(FEATURES), "leads": list(TWELVE_LEADS),
                                                 "temperature": float(temperature), "threshold": float(threshold)})
    return d / CONFIG


def load_anomaly_trees(directory: str | Path) -> AnomalyTrees | None:
    """The fused anomaly trees stored in ``directory``, or None when it has none (no ``anomaly_trees.json``).
    Anything wrong (missing or tampered weights, features that are not this version's, a bad temperature or
    threshold) raises :class:`AnomalyTreesError`."""
    d = Path(directory)
    stored = load_stored_trees(d, WEIGHTS, CONFIG, AnomalyTreesError, "fused anomaly classifier")
    if stored is None:
        return None
    trees, meta = stored
    if meta.get("features") != list(FEATURES) or trees.n_features > len(FEATURES) or trees.n_classes != 1:
        raise AnomalyTreesError(f"{d / CONFIG}: its inputs are not this version's {len(FEATURES)} averaged-beat "
                                f"features and head logit, or the trees are not binary")
    if meta.get("leads") != list(TWELVE_LEADS):
        raise AnomalyTreesError(f"{d / CONFIG}: leads {meta.get('leads')} are not the 12 standard leads")
    t, thr = meta.get("temperature"), meta.get("threshold")
    if not isinstance(t, (int, float)) or not math.isfinite(t) or t <= 0:
        raise AnomalyTreesError(f"{d / CONFIG}: temperature {t!r} is not a positive number")
    if not isinstance(thr, (int, float)) or not 0.0 < thr < 1.0:
        raise AnomalyTreesError(f"{d / CONFIG}: threshold {thr!r} is not a probability in (0, 1)")
    return AnomalyTrees(trees, float(t), float(thr), meta)
