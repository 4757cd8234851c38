"""Ectopy of a Holter recording from its beat classes: burden, singles, couplets and runs.

Consecutive ectopic beats of one class (V: ventricular, S: supraventricular) form a run; two are a
couplet, three or more a run (a ventricular run of three or more beats at 100 bpm or faster is
non-sustained VT by the usual definition). A gap in the beats longer than ``max_rr_s`` breaks a run.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class EctopicRun:
    """``n_beats`` consecutive ectopic beats from ``start_s`` to ``end_s`` (s) at ``rate_bpm``."""

    start_s: float
    end_s: float
    n_beats: int
    rate_bpm: float


@dataclass(frozen=True)
class Ectopy:
    """Ectopic beats of one class: how many, their share of all beats, and how they group."""

    label: str
    n_beats: int
    burden: float  # fraction of all beats
    singles: int
    couplets: int
    runs: tuple[EctopicRun, ...]  # three beats or more

    @property
    def longest_run(self) -> EctopicRun | None:
        return max(self.runs, key=lambda r: (r.n_beats, r.rate_bpm)) if self.runs else None

    @property
    def fastest_run(self) -> EctopicRun | None:
        return max(self.runs, key=lambda r: r.rate_bpm) if self.runs else None


def ectopy(beat_time_s: np.ndarray, beat_label: np.ndarray, label: str, max_rr_s: float = 2.0) -> Ectopy:
    """Singles, couplets and runs of the beats labelled ``label`` (times in s, sorted)."""
    t = np.asarray(beat_time_s, dtype=np.float64)
    hit = np.asarray(beat_label, dtype=object) == label
    n = int(hit.sum())
    singles = couplets = 0
    runs: list[EctopicRun] = []
    k = 0
    while k < t.size:
        if not hit[k]:
            k += 1
            continue
        j = k
        while j + 1 < t.size and hit[j + 1] and t[j + 1] - t[j] <= max_rr_s:
            j += 1
        length = j - k + 1
        if length == 1:
            singles += 1
        elif length == 2:
            couplets += 1
        else:
            runs.append(EctopicRun(float(t[k]), float(t[j]), length, 60.0 * (length - 1) / float(t[j] - t[k])))
        k = j + 1
    return Ectopy(label, n, n / t.size if t.size else 0.0, singles, couplets, tuple(runs))
