"""Paced beats by their morphology family: what a Holter technician does with a pacemaker patient's templates.

A ventricular-paced beat has one shape per pacing site, beat after beat. Where the beat classifier calls most
beats of a shape paced, the same-shaped beats it called N (or V, when not premature) are paced too: the
classifier judges each beat alone (at 360 Hz the pacing stimulus is mostly filtered away), and on a pacemaker it
did not learn it wavers between P, N and V on identical complexes. Per recording, the beats are grouped by shape
(:func:`beat_shapes`: the QRS-centred waveform of up to two leads, unit norm per lead, with QRS width and
amplitude, clustered as the Families dock groups them, :func:`~anyecg_model.families.cluster.cluster_beats`). A
beat's call becomes P when

- its family has at least ``min_members`` beats, at least ``min_share`` of them called paced;
- it is called N, or V at ``on_time`` or more of its local RR (a PVC comes early, a paced beat on its interval:
  a paced patient's PVCs that look like its paced beats keep their V);
- at least ``min_local_share`` of the ``local_beats`` beats on either side are called paced (the pacemaker is
  pacing there: a long unpaced stretch keeps its calls);

at the mean confidence of its family's own paced calls. A recording shorter than ``min_duration_s`` (5 min:
grouping is a Holter technician's tool; on CinC 2017's 30-60-s strips it only spread the trees' paced calls on
strips they had already misread, a normal strip 22 → 32 of 39 beats) or with fewer than ``min_paced_calls`` paced
calls is left alone; S, F and Q calls are never changed. Only the chunks holding a paced call compute their
beats' shapes (:class:`~.chunks.ChunkResult` ``beat_shape``), so an unpaced recording pays nothing, and the findings
builder groups them once its chunks cover the whole recording (not at every streamed update).

Chosen on MIT-BIH's four paced records, each held out of the beat trees in turn (docs/BENCHMARKS.md, issue 15,
"paced beats by family"): 217 0.493 → 0.853 paced (its paced beats called V 6.7 % → 3.2 %), 104 0.703 →
0.766, 102 0.993 → 1.000, 107 1.000; none of their N or V beats became P.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..families.cluster import cluster_beats, family_features
from ..families.features import qrs_width_amplitude, rr_prematurity, shape_vectors
from ..families.waves import waves_at
from ..vocabulary.labels import BEAT_CLASSES
from ..vocabulary.lead_map import LeadMapping
from .findings import Beats

P, N, V = (BEAT_CLASSES.index(c) for c in ("P", "N", "V"))


@dataclass(frozen=True)
class PacedFamilyRules:
    """Shortest recording (s) and fewest paced calls in it for its families to be read; fewest members of a family
    and the share of them called paced that make it paced; beats on each side (count) and their share called paced
    that show the pacemaker pacing nearby; the pre-RR / local RR from which a V call is on time (module docstring)."""

    min_duration_s: float = 300.0
    min_paced_calls: int = 20
    min_members: int = 5
    min_share: float = 0.5
    local_beats: int = 30
    min_local_share: float = 0.05
    on_time: float = 0.9


def beat_shapes(data: np.ndarray, fs: float, first_sample: int, times_s: np.ndarray) -> np.ndarray:
    """(K, F) float16 shape features of the beats at ``times_s`` (s) of ``data`` (leads × samples in mV at ``fs``
    Hz, its first sample the recording's ``first_sample``): the Families dock's clustering space without
    prematurity."""
    if not len(times_s):
        return np.zeros((0, 0), np.float16)
    bw = waves_at(data, fs, first_sample, times_s)
    width, amp = qrs_width_amplitude(bw)
    feats = family_features(shape_vectors(bw), width, amp[:, 0] if amp.size else np.zeros(len(bw)))
    return feats.astype(np.float16)


def has_paced_calls(beats: Beats) -> bool:
    """Whether a chunk's beats hold a paced call: only then does the analyzer compute their shapes."""
    return bool(np.any(beats.label == P))


def shape_rows(leads: LeadMapping, rows: list[int], row: int) -> list[int]:
    """Rows of a chunk's ``data`` (the mapped leads ``rows``) whose beat shapes group its beats: the lead the R
    peaks come from (``row``), then V1 or else the next mapped lead, as the Families dock reads II and V1."""
    others = [r for r in range(len(rows)) if r != row]
    v1 = [r for r in others if leads.slot[rows[r]] == "V1"]
    return [row] + (v1 or others)[:1]


def paced_by_family(beats: Beats, shapes: np.ndarray | None, duration_s: float,
                    rules: PacedFamilyRules = PacedFamilyRules()) -> Beats:
    """``beats`` of a recording of ``duration_s`` s with the N and V calls of mostly-paced families read P (module
    docstring); ``shapes`` (K, F) are :func:`beat_shapes` of the same beats in the same order, NaN rows for beats
    without one (they join no family and keep their call). Returned unchanged when there is nothing to do."""
    label = np.asarray(beats.label)
    if shapes is None or len(shapes) != len(label) or duration_s < rules.min_duration_s \
            or int(np.sum(label == P)) < rules.min_paced_calls:
        return beats
    seen = np.flatnonzero(np.isfinite(shapes).all(1))
    if not len(seen):
        return beats
    family, _ = cluster_beats(np.asarray(shapes[seen], np.float32))
    own = label[seen]
    size = np.bincount(family)
    paced = np.bincount(family, weights=(own == P).astype(np.float64), minlength=len(size))
    conf = np.bincount(family, weights=np.where(own == P, beats.confidence[seen], 0.0), minlength=len(size))
    mostly = (size >= rules.min_members) & (paced >= rules.min_share * size)
    local = _local_paced_share(label == P, rules.local_beats)[seen]
    on_time = rr_prematurity(beats.time_s)[seen, 2] >= rules.on_time  # pre-RR / local RR: not premature
    change = mostly[family] & ((own == N) | (own == V) & on_time) & (local >= rules.min_local_share)
    if not change.any():
        return beats
    new_label, new_conf = label.copy(), np.asarray(beats.confidence).copy()
    new_label[seen[change]] = P
    new_conf[seen[change]] = (conf / np.maximum(paced, 1.0))[family[change]]
    return Beats(beats.time_s, new_label.astype(np.int8), new_conf.astype(np.float32))


def _local_paced_share(paced: np.ndarray, k: int) -> np.ndarray:
    """Per beat, the share of the ``k`` beats on each side (itself left out; fewer at the edges) called paced."""
    c = np.concatenate([[0.0], np.cumsum(paced, dtype=np.float64)])
    i = np.arange(len(paced))
    lo, hi = np.maximum(i - k, 0), np.minimum(i + k + 1, len(paced))
    return (c[hi] - c[lo] - paced) / np.maximum(hi - lo - 1, 1)
