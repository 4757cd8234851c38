"""Group beats into morphology families: template clustering on a subsample, then every beat to its template.

The beat's feature vector joins its shape (unit-norm QRS-centred waveform per lead, see
:func:`~.features.shape_vectors`), its log QRS amplitude, its QRS width and its prematurity (so premature
N-shaped beats, the supraventricular ectopics, form families of their own), and optionally the model's beat
embedding (unit norm). Euclidean distance in that space is ``2 (1 − r)`` for shapes of equal amplitude and
width, so the family threshold reads as a correlation (0.45 ≈ r 0.9).

Rounds: average-linkage clustering (:func:`~.linkage.average_linkage`) of up to ``sample`` of the beats still unexplained, cut at ``threshold``;
clusters of at least ``min_members`` become templates (their feature median); every unexplained beat within
``threshold`` of a template is explained. Rare shapes survive the subsampling because each round samples only
the beats the earlier templates did not explain; the last round keeps every cluster. Finally each beat joins
its nearest template. Cost: a few linkages of ``sample`` beats plus K × F distances — seconds for a 24-h Holter.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FamilyConfig:
    """Clustering settings: distance ``threshold`` (feature units), subsample size, rounds, weights."""

    threshold: float = 0.45
    sample: int = 2000
    min_members: int = 3
    rounds: int = 8
    #: Most families; None: one per 300 beats, between 60 (a 30-min record) and 400 (a 24-h Holter).
    max_families: int | None = None
    #: Weight of log QRS amplitude (a 1.6× amplitude ratio weighs like r 0.9) and of QRS width (per s).
    amplitude_weight: float = 0.9
    width_weight: float = 8.0
    #: Weight of the beat's prematurity, log(pre-RR / local RR) when below 0: a beat at 75 % of the local cycle
    #: stands apart from on-time beats of the same shape (supraventricular ectopics are N-shaped).
    prematurity_weight: float = 1.6
    #: Weight of the unit-norm model embedding when one is given.
    embedding_weight: float = 0.5
    seed: int = 0


def family_features(shape: np.ndarray, width_s: np.ndarray, amplitude_mv: np.ndarray,
                    prematurity: np.ndarray | None = None, embedding: np.ndarray | None = None,
                    cfg: FamilyConfig = FamilyConfig()) -> np.ndarray:
    """(K, D) float32 clustering space from shapes (K, D0), widths (K,) s, amplitudes (K,) mV, prematurity
    (K,) pre-RR / local RR, and embeddings (K, E)."""
    cols = [shape.astype(np.float32),
            (cfg.amplitude_weight * np.log(np.clip(amplitude_mv, 0.02, None)))[:, None].astype(np.float32),
            (cfg.width_weight * width_s)[:, None].astype(np.float32)]
    if prematurity is not None:
        early = np.minimum(np.log(np.clip(prematurity, 0.2, None)), 0.0)
        cols.append((cfg.prematurity_weight * early)[:, None].astype(np.float32))
    if embedding is not None and len(embedding):
        e = embedding.astype(np.float32)
        e = e - e.mean(0, keepdims=True)
        cols.append(cfg.embedding_weight * e / np.linalg.norm(e, axis=1, keepdims=True).clip(min=1e-6))
    return np.concatenate(cols, axis=1)


#: Rows of :func:`sq_distances`' blocks: with 400 templates a block's temporaries are ~6 MB and stay in cache.
#: Blocks of 65,536 rows made ~100-MB temporaries, page-faulted in and unmapped again for each one: 2.7× slower
#: on the 24-h join's last assignment, and a 128-ms GUI gap was sampled inside them (same result to the bit).
DISTANCE_BLOCK = 4096


def sq_distances(x: np.ndarray, templates: np.ndarray) -> np.ndarray:
    """(K, F) squared Euclidean distances, in blocks of :data:`DISTANCE_BLOCK` rows."""
    out = np.empty((len(x), len(templates)), np.float32)
    tt = (templates ** 2).sum(1)
    for b in range(0, len(x), DISTANCE_BLOCK):
        xb = x[b:b + DISTANCE_BLOCK]
        out[b:b + DISTANCE_BLOCK] = ((xb ** 2).sum(1)[:, None] + tt[None, :] - 2.0 * xb @ templates.T).clip(min=0)
    return out


def _cluster_round(f: np.ndarray, cfg: FamilyConfig, min_members: int) -> list[np.ndarray]:
    """Templates (feature medians) of the average-linkage clusters of ``f`` with ≥ ``min_members`` members."""
    if len(f) == 1:
        return [f[0]]
    from scipy.cluster.hierarchy import fcluster  # imported when beats are grouped, not at viewer start

    from .linkage import average_linkage  # SciPy's linkage, in steps that do not hold the GIL for long
    cl = fcluster(average_linkage(f), t=cfg.threshold, criterion="distance")
    out = []
    for c in np.unique(cl):
        m = cl == c
        if m.sum() >= min_members:
            out.append(np.median(f[m], axis=0))
    return out


def max_families(n_beats: int) -> int:
    """Default cap on the number of families for ``n_beats`` beats."""
    return int(np.clip(n_beats // 300, 60, 400))


def cluster_beats(features: np.ndarray, cfg: FamilyConfig = FamilyConfig()) -> tuple[np.ndarray, np.ndarray]:
    """(assignment (K,) int32 in 0..F−1 by decreasing size, distance (K,) float32 to the family template)."""
    k = len(features)
    if k == 0:
        return np.zeros(0, np.int32), np.zeros(0, np.float32)
    rng = np.random.default_rng(cfg.seed)
    cap = cfg.max_families if cfg.max_families is not None else max_families(k)
    templates: list[np.ndarray] = []
    remaining = np.arange(k)
    thr2 = cfg.threshold ** 2
    for r in range(cfg.rounds):
        if len(remaining) == 0 or len(templates) >= cap:
            break
        whole = len(remaining) <= cfg.sample
        last = whole or r == cfg.rounds - 1
        pick = remaining if whole else np.sort(rng.choice(remaining, cfg.sample, replace=False))
        new = _cluster_round(features[pick], cfg, 1 if last else cfg.min_members)
        templates += new[: cap - len(templates)]
        if not new:
            continue
        d = sq_distances(features[remaining], np.stack(new)).min(1)
        remaining = remaining[d > thr2]
        log.debug("families round %d: %d templates, %d beats unexplained", r, len(templates), len(remaining))
    if not templates:  # no cluster reached min_members in any round: one family
        templates = [np.median(features, axis=0)]
    d = sq_distances(features, np.stack(templates))
    raw = d.argmin(1)
    counts = np.bincount(raw, minlength=len(templates))
    rank = np.empty(len(templates), np.int64)
    rank[np.argsort(-counts, kind="stable")] = np.arange(len(templates))
    assign = rank[raw].astype(np.int32)
    used = np.unique(assign)  # drop templates that won no beat
    remap = np.full(len(templates), -1, np.int32)
    remap[used] = np.arange(len(used))
    return remap[assign], np.sqrt(d[np.arange(k), raw]).astype(np.float32)


def two_means(f: np.ndarray, iterations: int = 20) -> np.ndarray:
    """Split rows ``f`` into two groups (bool mask of the second), seeded by the two most distant members."""
    if len(f) < 2:
        return np.zeros(len(f), bool)
    med = np.median(f, axis=0)
    a = f[np.argmax(((f - med) ** 2).sum(1))]
    b = f[np.argmax(((f - a) ** 2).sum(1))]
    second = np.zeros(len(f), bool)
    for _ in range(iterations):
        new = ((f - b) ** 2).sum(1) < ((f - a) ** 2).sum(1)
        if new.all() or not new.any():
            break
        if (new == second).all():
            break
        second = new
        a, b = np.median(f[~second], axis=0), np.median(f[second], axis=0)
    return second


def split_1d(x: np.ndarray) -> np.ndarray | None:
    """Best split of the values ``x`` into a lower and an upper group (the cut with the largest between-group
    variance, Otsu's criterion; exact in one dimension): bool mask of the lower group, None when all are equal."""
    x = np.asarray(x, np.float64)
    if len(x) < 2:
        return None
    order = np.argsort(x, kind="stable")
    s = x[order]
    if s[0] == s[-1]:
        return None
    n = len(s)
    k = np.arange(1, n)
    below = np.cumsum(s)[:-1]
    between = k * (n - k) * (below / k - (s.sum() - below) / (n - k)) ** 2
    between[s[1:] == s[:-1]] = -1.0  # cut only between distinct values
    low = np.zeros(n, bool)
    low[order[: int(between.argmax()) + 1]] = True
    return low


def prematurity_split(prematurity: np.ndarray) -> np.ndarray | None:
    """Premature members of a family: the lower group of :func:`split_1d` on log(pre-RR / local RR) (what a
    Holter technician does splitting a normal-shaped family by prematurity; the dock's ``E``). None when the
    members cannot be split (fewer than two, or all equally timed)."""
    return split_1d(np.log(np.clip(np.asarray(prematurity, np.float64), 1e-3, None)))
