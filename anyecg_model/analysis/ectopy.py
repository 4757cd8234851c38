"""Bigeminy and trigeminy from the model's beat labels, with onset and offset on beats.

A bigeminy is a run of beat pairs N X N X …, a trigeminy a run of triplets N N X N N X …, where X is the
premature beat: V (ventricular ectopic) gives ventricular bigeminy / trigeminy (MIT-BIH ``(B`` / ``(T``),
S (supraventricular ectopic) gives atrial bigeminy (MIT-BIH ``(AB``; MIT-BIH has no atrial trigeminy code, so
an N N S pattern is named nothing). The rhythm needs :data:`MIN_CYCLES` consecutive cycles: three, the
usual Holter-scanner convention (two coupled PVCs are two PVCs, not a rhythm; a convention of Holter
practice, not an EC57 rule). A couplet (V V) or any other class (F, Q, P) breaks the pattern, and so does an
RR interval longer than :data:`~anyecg_model.signal.rpeaks.MAX_RR_S` (a gap or unreadable stretch). The
episode runs from the first beat of its first cycle to its last premature beat; its confidence is the mean
probability of its premature beats. It is reported when that reaches ``rules.min_confidence`` on its own,
or ``rules.min_confidence_corroborated`` where the episode head calls an overlapping 10-s window the same
rhythm — the floors of VT/SVTA runs (:class:`~.episodes.RunRules`); the head's windows never make an
episode on their own. Vectorised: a 24-h Holter's ~110,000 beats take milliseconds.
"""
from __future__ import annotations

import numpy as np

from ..signal.rpeaks import MAX_RR_S
from ..vocabulary.labels import BEAT_CLASSES
from .episodes import RunRules, overlaps_same_label

#: Shortest bigeminy / trigeminy (consecutive cycles).
MIN_CYCLES = 3
#: (premature beat class, normal beats before it per cycle) → episode label.
PATTERNS: dict[tuple[str, int], str] = {("V", 1): "BIGEMINY", ("V", 2): "TRIGEMINY", ("S", 1): "AB"}
#: Episode labels that only beat patterns give (the episode head's windows of these corroborate).
PATTERN_LABELS: tuple[str, ...] = ("BIGEMINY", "TRIGEMINY")


def _cycle_runs(label: np.ndarray, gap: np.ndarray, ectopic: int, n_normal: int) -> tuple[np.ndarray, np.ndarray]:
    """First and last beat index of each run of :data:`MIN_CYCLES` or more consecutive cycles of ``n_normal``
    N beats then one ``ectopic`` beat; ``gap[i]`` is True where the RR after beat ``i`` is too long."""
    period = n_normal + 1
    n = len(label) - period + 1
    if n <= 0:
        return np.zeros(0, int), np.zeros(0, int)
    normal = BEAT_CLASSES.index("N")
    cycle = label[n_normal:n_normal + n] == ectopic
    for k in range(n_normal):
        cycle &= label[k:k + n] == normal
    for k in range(period - 1):
        cycle &= ~gap[k:k + n]
    # cycle i links to cycle i + period when the RR from its premature beat to the next cycle is readable
    link = np.zeros(n, bool)
    link[:max(n - period, 0)] = ~gap[period - 1:period - 1 + max(n - period, 0)]
    firsts, lasts = [], []
    for phase in range(period):
        c, ln = cycle[phase::period], link[phase::period]
        joined = np.concatenate([[False], c[:-1] & ln[:-1] & c[1:]])
        start = c & ~joined
        sid = np.cumsum(start) - 1
        if not start.any():
            continue
        length = np.bincount(sid[c], minlength=int(start.sum()))
        k0 = np.flatnonzero(start)
        ok = length >= MIN_CYCLES
        firsts.append(phase + period * k0[ok])
        lasts.append(phase + period * (k0[ok] + length[ok] - 1) + n_normal)
    if not firsts:
        return np.zeros(0, int), np.zeros(0, int)
    return np.concatenate(firsts), np.concatenate(lasts)


def _strided_sum(x: np.ndarray, a: np.ndarray, b: np.ndarray, step: int) -> np.ndarray:
    """``x[a] + x[a + step] + … + x[b]`` for each pair (``b - a`` a multiple of ``step``)."""
    acc = np.empty(len(x))
    for phase in range(step):
        acc[phase::step] = np.cumsum(x[phase::step])
    return acc[b] - acc[a] + x[a]


def ectopic_patterns(time_s: np.ndarray, label: np.ndarray, confidence: np.ndarray, rules: RunRules = RunRules(),
                     windows: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None):
    """Bigeminy / trigeminy episodes (see the module docstring) of beats at ``time_s`` (s, sorted) with class
    indices ``label`` and probabilities ``confidence``; ``windows`` (``start_s``, ``end_s``, label): the episode
    head's BIGEMINY/TRIGEMINY windows that corroborate. Returns ``(start_s, end_s, label, confidence)`` arrays,
    sorted and disjoint (where two patterns share beats, e.g. a trigeminy turning into a bigeminy, the later one
    starts where the earlier ends)."""
    time_s = np.asarray(time_s, np.float64)
    label = np.asarray(label)
    conf = np.asarray(confidence, np.float64)
    gap = np.diff(time_s) > MAX_RR_S if len(time_s) > 1 else np.zeros(0, bool)
    gap = np.concatenate([gap, [True]])
    out_s, out_e, out_l, out_c = [], [], [], []
    for (cls, n_normal), name in PATTERNS.items():
        first, last = _cycle_runs(label, gap, BEAT_CLASSES.index(cls), n_normal)
        if not len(first):
            continue
        period = n_normal + 1
        # mean probability of the premature beats: every period-th beat from first + n_normal to last
        n_ect = (last - first - n_normal) // period + 1
        ect_conf = _strided_sum(conf, first + n_normal, last, period) / n_ect
        start, end = time_s[first], time_s[last]
        names = np.full(len(first), name, object)
        sure = ect_conf >= rules.min_confidence
        if windows is not None:
            sure |= overlaps_same_label(start, end, names, *windows) & (ect_conf >= rules.min_confidence_corroborated)
        out_s.append(start[sure]), out_e.append(end[sure]), out_l.append(names[sure]), out_c.append(ect_conf[sure])
    if not out_s:
        return np.zeros(0), np.zeros(0), np.zeros(0, object), np.zeros(0)
    s, e, lab, c = (np.concatenate(x) for x in (out_s, out_e, out_l, out_c))
    order = np.argsort(s, kind="stable")
    s, e, lab, c = s[order], e[order], lab[order], c[order]
    s = np.maximum(s, np.concatenate([[-np.inf], np.maximum.accumulate(e)[:-1]]))
    keep = s < e
    return s[keep], e[keep], lab[keep], c[keep]
