"""`BeatFamilies`: a recording's beats grouped by shape, with each family's summary and the annotator's operations.

Usage::

    fam = group_recording(recording, beats.time_s, beats.label, beats.confidence)   # Beats from the Analyzer
    for s in fam.summaries():          # largest first
        s.family, s.count, s.share, s.label, s.label_share, s.median_prematurity, s.median_wave
    fam.atypical_members(0)            # beat indices of family 0, most atypical first
    changed = fam.relabel(2, "V")      # beat indices whose label changed
    new = fam.split(1); early = fam.split_by_prematurity(0); fam.merge(0, 3)

Labels are indices into :data:`~anyecg_model.vocabulary.labels.BEAT_CLASSES` (−1: none). Family ids stay stable
under split (the new family takes a fresh id) and merge (the merged id becomes empty).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from ..io.recording import Recording
from ..vocabulary.labels import BEAT_CLASSES
from .cluster import FamilyConfig, cluster_beats, family_features, prematurity_split, two_means
from .features import qrs_width_amplitude, rr_prematurity, shape_vectors
from .waves import BeatWaves, beat_waves

log = logging.getLogger(__name__)

#: Members used for a family's median beat and spread (a random subset of larger families).
SUMMARY_MEMBERS = 400


@dataclass
class FamilySummary:
    """What the Families dock shows of one family. Waves are (S, T) mV at the families' wave rate."""

    family: int
    count: int
    share: float
    label: str | None  # dominant label among members (None when no member is labelled)
    label_share: float  # fraction of members carrying it
    label_confidence: float  # median model confidence of those members (NaN without confidences)
    median_prematurity: float  # median pre-RR / local RR of the members
    median_width_s: float
    median_wave: np.ndarray
    p10_wave: np.ndarray
    p90_wave: np.ndarray


class BeatFamilies:
    """Beats of one recording (sorted ``times_s``), their features, family assignment and labels."""

    def __init__(self, times_s: np.ndarray, waves: BeatWaves, features: np.ndarray, width_s: np.ndarray,
                 rr: np.ndarray, assignment: np.ndarray, labels: np.ndarray | None = None,
                 confidence: np.ndarray | None = None, seed: int = 0):
        k = len(times_s)
        self.times_s = np.asarray(times_s, np.float64)
        self.waves, self.features, self.width_s, self.rr = waves, features, width_s, rr
        self.assignment = np.asarray(assignment, np.int32).copy()
        self.labels = np.full(k, -1, np.int8) if labels is None else np.asarray(labels, np.int8).copy()
        self.confidence = (np.full(k, np.nan, np.float32) if confidence is None
                           else np.asarray(confidence, np.float32).copy())
        self._rng = np.random.default_rng(seed)
        self._waves: dict[int, tuple] = {}  # family → (members key, percentile waves, prematurity, width)

    def __len__(self) -> int:
        return len(self.times_s)

    # ------------------------------------------------------------------ reading
    def ids(self) -> list[int]:
        """Non-empty family ids, largest first."""
        counts = np.bincount(self.assignment, minlength=1) if len(self) else np.zeros(0, int)
        return [int(i) for i in np.argsort(-counts, kind="stable") if counts[i] > 0]

    def members(self, family: int) -> np.ndarray:
        return np.flatnonzero(self.assignment == family)

    def centre(self, family: int) -> np.ndarray:
        return np.median(self.features[self.members(family)], axis=0)

    def atypical_members(self, family: int) -> np.ndarray:
        """Member beat indices, farthest from the family's median features first (ties: earlier beat first)."""
        m = self.members(family)
        d = ((self.features[m] - self.centre(family)) ** 2).sum(1)
        return m[np.argsort(-d, kind="stable")]

    def summary(self, family: int, members: np.ndarray | None = None) -> FamilySummary:
        """The family's summary; its beat waves (percentiles) are cached until its members change."""
        m = self.members(family) if members is None else members
        if len(m) == 0:
            raise KeyError(f"family {family} has no members")
        key = (len(m), int(m[0]), int(m[-1]), int(m.sum()))
        cached = self._waves.get(family)
        if cached is None or cached[0] != key:
            pick = m if len(m) <= SUMMARY_MEMBERS else np.sort(self._rng.choice(m, SUMMARY_MEMBERS, replace=False))
            p = np.percentile(self.waves.waves[pick], [10, 50, 90], axis=0).astype(np.float32)
            cached = (key, p, float(np.median(self.rr[m, 2])), float(np.median(self.width_s[m])))
            self._waves[family] = cached
        _, (p10, med, p90), prematurity, width = cached
        lab = self.labels[m]
        lab = lab[lab >= 0]
        label, share, conf = None, 0.0, float("nan")
        if len(lab):
            counts = np.bincount(lab, minlength=len(BEAT_CLASSES))
            top = int(counts.argmax())
            label, share = BEAT_CLASSES[top], float(counts[top] / len(m))
            c = self.confidence[m][self.labels[m] == top]
            c = c[np.isfinite(c)]
            conf = float(np.median(c)) if len(c) else float("nan")
        return FamilySummary(family, len(m), len(m) / len(self), label, share, conf, prematurity, width, med, p10, p90)

    def summaries(self) -> list[FamilySummary]:
        """Every non-empty family's summary, largest first (members found in one sort, not one scan each)."""
        order = np.argsort(self.assignment, kind="stable")
        bounds = np.searchsorted(self.assignment[order], np.arange(int(self.assignment.max(initial=-1)) + 2))
        return [self.summary(i, order[bounds[i]:bounds[i + 1]]) for i in self.ids()]

    # ------------------------------------------------------------------ operations
    def relabel(self, family: int, label: str) -> np.ndarray:
        """Give every member ``label`` (an AAMI class); returns the beat indices whose label changed."""
        if label not in BEAT_CLASSES:
            raise ValueError(f"unknown beat label {label!r}; known: {', '.join(BEAT_CLASSES)}")
        m = self.members(family)
        code = BEAT_CLASSES.index(label)
        changed = m[self.labels[m] != code]
        self.labels[m] = code
        return changed

    def split(self, family: int) -> int | None:
        """Split a family in two by 2-means on its members' features; returns the new family's id (None if it
        cannot be split). The larger half keeps the old id."""
        m = self.members(family)
        second = two_means(self.features[m])
        if not second.any() or second.all():
            return None
        if second.sum() > (~second).sum():
            second = ~second
        new = int(self.assignment.max()) + 1
        self.assignment[m[second]] = new
        return new

    def split_by_prematurity(self, family: int) -> int | None:
        """Split the family's premature members (pre-RR / local RR below the best 1-D cut,
        :func:`~.cluster.prematurity_split`) off into a new family; returns its id (None if it cannot be split)."""
        m = self.members(family)
        early = prematurity_split(self.rr[m, 2])
        if early is None:
            return None
        new = int(self.assignment.max()) + 1
        self.assignment[m[early]] = new
        return new

    def merge(self, into: int, other: int) -> np.ndarray:
        """Move every member of ``other`` into ``into``; returns the moved beat indices."""
        if into == other:
            return np.zeros(0, np.int64)
        m = self.members(other)
        self.assignment[m] = into
        return m

    def family_of_time(self, time_s: float, tolerance_s: float = 0.15) -> int | None:
        """Family of the beat nearest ``time_s`` within ``tolerance_s`` (None when there is none)."""
        if not len(self):
            return None
        i = int(np.clip(np.searchsorted(self.times_s, time_s), 1, len(self) - 1)) if len(self) > 1 else 0
        j = i - 1 if i > 0 and abs(self.times_s[i - 1] - time_s) < abs(self.times_s[i] - time_s) else i
        return int(self.assignment[j]) if abs(self.times_s[j] - time_s) <= tolerance_s else None


def group_recording(recording: Recording, times_s: np.ndarray, labels: np.ndarray | None = None,
                    confidence: np.ndarray | None = None, embedding: np.ndarray | None = None,
                    cfg: FamilyConfig = FamilyConfig()) -> BeatFamilies:
    """Families of the beats at ``times_s`` (s) of ``recording``; optional model labels, confidences, embeddings."""
    times = np.asarray(times_s, np.float64)
    order = np.argsort(times, kind="stable")
    times = times[order]

    def take(a):
        return None if a is None else np.asarray(a)[order]

    bw = beat_waves(recording, times)
    width, amp = qrs_width_amplitude(bw)
    rr = rr_prematurity(times)
    feats = family_features(shape_vectors(bw), width, amp[:, 0] if amp.size else np.zeros(len(times)),
                            rr[:, 2], take(embedding), cfg)
    assignment, _ = cluster_beats(feats, cfg)
    log.info("%s: %d beats in %d families", recording.path, len(times), len(np.unique(assignment)))
    return BeatFamilies(times, bw, feats, width, rr, assignment, take(labels), take(confidence),
                        seed=cfg.seed)
