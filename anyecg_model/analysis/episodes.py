"""Rhythm episodes from per-window label probabilities, the findings' summary, and episode scoring.

Episodes: consecutive windows with the same most probable label merge into one episode whose
confidence is the mean probability of that label over its windows. AF burden is the share of the
analysed time inside AF or AFL episodes.
"""
from __future__ import annotations

import numpy as np

from ..signal.rpeaks import MAX_RR_S, MIN_RR_S
from .findings import Findings, RhythmEpisode
from .labels import EPISODE_LABELS

AF_LABELS = ("AF", "AFL")


def episodes_from_windows(start_s: np.ndarray, end_s: np.ndarray, prob: np.ndarray) -> list[RhythmEpisode]:
    """Merge windows (sorted by time) into episodes of their argmax label."""
    out: list[RhythmEpisode] = []
    if len(start_s) == 0:
        return out
    lab = prob.argmax(1)
    k0 = 0
    for k in range(1, len(lab) + 1):
        if k == len(lab) or lab[k] != lab[k0] or start_s[k] - end_s[k - 1] > 1e-6:
            out.append(RhythmEpisode(float(start_s[k0]), float(end_s[k - 1]), EPISODE_LABELS[lab[k0]],
                                     float(prob[k0:k, lab[k0]].mean())))
            k0 = k
    return out


def summarise(f: Findings, peaks_s: np.ndarray) -> None:
    """Fill the summary: heart rate (bpm, from physiologic RR intervals), beat count, AF burden."""
    rr = np.diff(peaks_s)
    rr = rr[(rr >= MIN_RR_S) & (rr <= MAX_RR_S)]
    if len(rr):
        # minute-wise median rates give min/max that a single odd interval cannot dominate
        t = peaks_s[1:][(np.diff(peaks_s) >= MIN_RR_S) & (np.diff(peaks_s) <= MAX_RR_S)]
        minute = (t // 60).astype(int)
        rates = np.array([60.0 / np.median(rr[minute == m]) for m in np.unique(minute)])
        f.heart_rate_bpm = {"mean": float(60.0 / rr.mean()), "min": float(rates.min()), "max": float(rates.max())}
    f.n_beats = int(len(f.beats)) if f.beats is not None else int(len(peaks_s))
    if f.episodes is not None:
        total = sum(e.end_s - e.start_s for e in f.episodes)
        af = sum(e.end_s - e.start_s for e in f.episodes if e.label in AF_LABELS)
        f.af_burden = af / total if total > 0 else 0.0


def episode_scores(ref: list[tuple[float, float, str]], det: list[tuple[float, float, str]],
                   labels: tuple[str, ...]) -> dict[str, float]:
    """Episode sensitivity and positive predictivity by overlap (EC57 style): a reference episode of a
    label in ``labels`` counts as detected when any detected episode of those labels overlaps it, and
    vice versa. Returns counts too."""
    r = [(a, b) for a, b, lab in ref if lab in labels]
    d = [(a, b) for a, b, lab in det if lab in labels]

    def overlaps(x, ys):
        return any(x[0] < y[1] and y[0] < x[1] for y in ys)

    tp_r = sum(overlaps(x, d) for x in r)
    tp_d = sum(overlaps(x, r) for x in d)
    return {"Se": tp_r / len(r) if r else float("nan"), "+P": tp_d / len(d) if d else float("nan"),
            "n_ref": len(r), "n_det": len(d)}


def burden(episodes: list[tuple[float, float, str]], labels=AF_LABELS) -> float:
    """Share of the covered time inside episodes with ``labels``."""
    total = sum(b - a for a, b, _ in episodes)
    return sum(b - a for a, b, lab in episodes if lab in labels) / total if total > 0 else 0.0
