"""The shipped record-level rhythm classifier of short recordings: gradient-boosted trees over the record's
clinical rhythm features and the rhythm head's own probabilities (a fusion, issue 15 Deliver 4).

On CinC 2017 (single-lead AliveCor, 9–61 s) a CinC-style classifier reads RR irregularity, atrial activity,
ectopy, QRS morphology and signal quality: the trees read those, the classical columns of
:data:`RHYTHM_FEATURES` (``tree_features`` in the JSON), and give the
probabilities of the CinC classes N (normal sinus rhythm), A (atrial fibrillation), O (other rhythm), ~ (too noisy
to classify). They are fused with the backbone rhythm head's mean window probabilities (the ``model_*`` columns)
as a weighted product of experts: ``softmax((w·log p_trees + (1 − w)·log p_head) / temperature)``, ``w`` the
JSON's ``tree_weight``, chosen by cross-validation, and the temperature fitted on the validation records.
Late, not early, fusion: trees that read the head's probabilities as features learnt them on the records the
head was trained on, where it is right more often than on new records (CinC train F1 0.793, validation 0.737),
and trusted it too much (docs/BENCHMARKS.md). Stored by :mod:`.boosted_trees` (``rhythm_trees.safetensors``
+ ``rhythm_trees.json`` with a SHA-256; never unpickled) beside the backbone; a model folder without them gives
no record-level verdict.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..signal.quality import UNREADABLE_REASONS
from ..vocabulary.labels import RECORD_CLASSES
from .boosted_trees import BoostedTrees, load_stored_trees, provenance, save_trees, stored_provenance

WEIGHTS, CONFIG = "rhythm_trees.safetensors", "rhythm_trees.json"
#: The record rhythm features, in order (computed by :func:`anyecg_model.analysis.rhythm_features.rhythm_features`).
RHYTHM_FEATURES: tuple[str, ...] = (
    "hr_bpm", "hr_p5_bpm", "hr_p95_bpm",
    "rr_cv", "rmssd_over_rr", "step_median", "step_mean", "step_p25", "step_p75", "step_p90", "pnn50",
    "sd1_over_rr", "sd1_over_sd2", "turning_ratio", "sample_entropy", "cosen", "drr_autocorr",
    "af_nsd_mean", "af_nsd_median", "rr_out_of_range",
    "p_consistency_median", "p_consistency_p25", "p_absent_share", "p_present_share", "p_corr_median",
    "p_corr_p25",
    "share_S", "share_V", "share_F", "share_Q", "share_P", "premature_share", "compensated_share",
    "alternating_share",
    "qrs_corr_median", "qrs_corr_p10", "qrs_corr_low_share", "residual_median", "residual_p90",
    "qrs_width_median_ms", "qrs_width_iqr_ms", "width_ratio_p90", "log_amp_ratio_sd",
    *(f"unreadable_{r}" for r in UNREADABLE_REASONS), "unreadable_share", "beats_per_s", "longest_gap_over_rr",
    *(f"model_{c}" for c in RECORD_CLASSES), "model_N_sd", "model_A_sd", "model_A_max",
)
#: The rhythm head's mean window probabilities among the record features, in RECORD_CLASSES order.
HEAD_FEATURES: tuple[str, ...] = tuple(f"model_{c}" for c in RECORD_CLASSES)
#: Provenance of the record-level rhythm when no trees are shipped (no verdict is given then).
NO_RHYTHM_TREES = "none"


class RhythmTreesError(ValueError):
    """The rhythm trees' files are corrupt, tampered with, or do not match this version's features."""


@dataclass
class RhythmTrees:
    """Trees over :data:`RHYTHM_FEATURES`, the record class of each output
    (``classes``), the temperature, ``max_duration_s`` (longest recording they judge) and the stored JSON."""

    trees: BoostedTrees
    classes: list[str]
    temperature: float
    max_duration_s: float
    meta: dict
    tree_columns: list[int]
    head_columns: list[int]
    tree_weight: float

    @property
    def name(self) -> str:
        return classifier_name(self.meta)

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """(N, len(RECORD_CLASSES)) calibrated probabilities of the feature rows ``x`` (N, RHYTHM_FEATURES)."""
        x = np.atleast_2d(np.asarray(x, np.float64))
        z = fused_logits(self.trees.raw(x[:, self.tree_columns]), x[:, self.head_columns], self.tree_weight)
        return softmax(z / self.temperature)


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(1, keepdims=True)


def fused_logits(raw: np.ndarray, head_prob: np.ndarray, tree_weight: float) -> np.ndarray:
    """``w·log p_trees + (1 − w)·log p_head`` per record: ``raw`` (N, 4) the trees' raw scores, ``head_prob``
    (N, 4) the rhythm head's mean probabilities (a record without them, NaN, counts the head as uniform)."""
    z = raw - raw.max(1, keepdims=True)
    log_trees = z - np.log(np.exp(z).sum(1, keepdims=True))
    ok = np.isfinite(head_prob).all(1, keepdims=True)
    log_head = np.log(np.clip(np.where(ok, head_prob, 1.0 / len(RECORD_CLASSES)), 1e-6, 1.0))
    return tree_weight * log_trees + (1.0 - tree_weight) * log_head


def classifier_name(meta: dict) -> str:
    """:func:`~.boosted_trees.provenance` of a rhythm trees JSON."""
    return provenance(meta, "rhythm trees")


def rhythm_classifier_name(directory: str | Path) -> str:
    """The provenance of the record-level verdict a model folder gives, from its JSON alone (no weights read):
    :func:`classifier_name`, or :data:`NO_RHYTHM_TREES` when it has none or the JSON is unreadable (the
    analyzer then refuses the folder: :func:`load_rhythm_trees`). Part of the findings cache key."""
    return stored_provenance(directory, CONFIG, "rhythm trees", NO_RHYTHM_TREES)


def save_rhythm_trees(trees: BoostedTrees, directory: str | Path, tree_features: list[str], tree_weight: float,
                      temperature: float, max_duration_s: float, meta: dict) -> Path:
    """Write ``rhythm_trees.safetensors`` + ``rhythm_trees.json`` into ``directory`` (the trees read the columns
    ``tree_features`` of RHYTHM_FEATURES, in that order); returns the JSON path."""
    d = Path(directory)
    save_trees(trees, d / WEIGHTS, d / CONFIG, {**meta, "classes": list(RECORD_CLASSES),
                                                "features": list(RHYTHM_FEATURES),
                                                "tree_features": list(tree_features),
                                                "head_features": list(HEAD_FEATURES),
                                                "tree_weight": float(tree_weight),
                                                "temperature": float(temperature),
                                                "max_duration_s": float(max_duration_s)})
    return d / CONFIG


def load_rhythm_trees(directory: str | Path) -> RhythmTrees | None:
    """The rhythm trees stored in ``directory``, or None when it has none (no ``rhythm_trees.json``). Anything
    wrong (missing or tampered weights, classes or features not this version's, a bad temperature) raises
    :class:`RhythmTreesError`."""
    d = Path(directory)
    stored = load_stored_trees(d, WEIGHTS, CONFIG, RhythmTreesError, "rhythm classifier")
    if stored is None:
        return None
    trees, meta = stored
    classes = meta.get("classes")
    if classes != list(RECORD_CLASSES) or trees.n_classes != len(classes):
        raise RhythmTreesError(f"{d / CONFIG}: classes {classes} are not {list(RECORD_CLASSES)} or do not match "
                               f"the trees")
    names, used = meta.get("features"), meta.get("tree_features")
    if names != list(RHYTHM_FEATURES) or not isinstance(used, list) or any(n not in names for n in used) \
            or trees.n_features > len(used) or meta.get("head_features") != list(HEAD_FEATURES):
        raise RhythmTreesError(f"{d / CONFIG}: its features are not this version's {len(RHYTHM_FEATURES)} "
                               f"record rhythm features")
    t, longest, w = meta.get("temperature"), meta.get("max_duration_s"), meta.get("tree_weight")
    if not all(isinstance(v, (int, float)) and v > 0 for v in (t, longest)) \
            or not isinstance(w, (int, float)) or not 0 <= w <= 1:
        raise RhythmTreesError(f"{d / CONFIG}: temperature {t!r}, max_duration_s {longest!r} (positive) or "
                               f"tree_weight {w!r} (0..1) out of range")
    return RhythmTrees(trees, list(classes), float(t), float(longest), meta, [names.index(n) for n in used],
                       [names.index(n) for n in HEAD_FEATURES], float(w))
