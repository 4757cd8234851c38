"""What the overlays draw, as plain numpy arrays: :class:`OverlayData`, made from :class:`Findings` — those of
a :class:`~anyecg_model.analysis.builder.FindingsBuilder` while an analysis streams in, or the finished ones.
The findings are derived in the core only; the viewer draws what it gets.

No Qt here: the data is testable on its own and the overlay items only read it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from operator import attrgetter

import numpy as np

from anyecg_model.analysis.findings import Findings, RhythmVerdict
from anyecg_model.vocabulary.labels import AF_EPISODE_LABELS, BEAT_CLASSES


@dataclass
class OverlayData:
    """Model output in seconds from the recording start. Beats: ``beat_time_s``, ``beat_class`` (index into
    :data:`BEAT_CLASSES`), ``beat_confidence`` (0..1). Windows: ``window_start_s``/``window_end_s`` and
    ``window_score`` (anomaly probability 0..1). Episodes: ``(start_s, end_s, label, confidence)``. Unreadable
    signal: ``(start_s, end_s, reason)``. ``anomaly_not_assessed``: why the anomaly head did not judge the file."""

    beat_time_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    beat_class: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    beat_confidence: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    window_start_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    window_end_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    window_score: np.ndarray = field(default_factory=lambda: np.zeros(0))
    episodes: list[tuple[float, float, str, float]] = field(default_factory=list)
    anomaly_score: float | None = None
    anomaly_threshold: float = 0.5
    record_class: dict[str, float] | None = None
    #: the record-level rhythm verdict of a short recording (rhythm trees), else None
    rhythm_verdict: RhythmVerdict | None = None
    heart_rate_bpm: dict[str, float | None] = field(default_factory=dict)
    burden: float | None = None
    anomaly_not_assessed: str | None = None
    #: (start s, end s, reason, file lead judged: "" when unknown)
    unreadable: list[tuple[float, float, str, str]] = field(default_factory=list)
    complete: bool = False

    @classmethod
    def from_findings(cls, f: Findings, complete: bool = True) -> "OverlayData":
        """The arrays of ``f``; ``complete`` False while the analysis still streams in."""
        d = cls(anomaly_score=f.anomaly_score, anomaly_threshold=f.anomaly_threshold,
                record_class=f.record_class_probabilities, rhythm_verdict=f.rhythm_verdict,
                heart_rate_bpm=dict(f.heart_rate_bpm),
                burden=f.af_burden, anomaly_not_assessed=f.anomaly_not_assessed,
                unreadable=[(u.start_s, u.end_s, u.reason, lead or "") for u, lead in zip(f.unreadable,
                                                                                          f.unreadable_leads())],
                complete=complete)
        if f.beats is not None:
            d.beat_time_s, d.beat_class, d.beat_confidence = f.beats.time_s, f.beats.label, f.beats.confidence
        if f.anomaly_windows:
            w, n = f.anomaly_windows, len(f.anomaly_windows)  # 8 640 windows in 24 h: ~1 ms, not ~4 via lists
            d.window_start_s, d.window_end_s, d.window_score = (
                np.fromiter(map(attrgetter(k), w), np.float64, n) for k in ("start_s", "end_s", "score"))
        d.episodes = [(e.start_s, e.end_s, e.label, e.confidence) for e in f.episodes or []]
        return d

    # ------------------------------------------------------------------ derived numbers
    def beat_counts(self) -> dict[str, int]:
        """Beats per AAMI class (every class listed, zero included)."""
        counts = np.bincount(self.beat_class.astype(np.int64), minlength=len(BEAT_CLASSES))
        return {c: int(n) for c, n in zip(BEAT_CLASSES, counts)}

    def flagged_windows(self) -> list[tuple[float, float, float]]:
        """Windows at or above the anomaly threshold, most suspicious first: ``(start_s, end_s, score)``."""
        sel = np.flatnonzero(self.window_score >= self.anomaly_threshold)
        sel = sel[np.argsort(-self.window_score[sel], kind="stable")]
        return [(float(self.window_start_s[i]), float(self.window_end_s[i]), float(self.window_score[i])) for i in sel]

    def af_burden(self) -> float | None:
        """Share of the readable analysed time in AF/AFL episodes, as the findings say (None before any)."""
        return self.burden

    def longest_episode(self, labels: tuple[str, ...] = AF_EPISODE_LABELS) -> tuple[float, float, str, float] | None:
        eps = [e for e in self.episodes if e[2] in labels]
        return max(eps, key=lambda e: e[1] - e[0]) if eps else None

    def top_record_class(self) -> tuple[str, float] | None:
        if not self.record_class:
            return None
        k = max(self.record_class, key=self.record_class.get)
        return k, float(self.record_class[k])


def simplify_episodes(episodes: list[tuple[float, float, str, float]], min_s: float) -> list[tuple[float, float, str]]:
    """Episodes for a whole-recording lane: those shorter than ``min_s`` seconds (below a pixel) are dropped
    and neighbours with the same label merged, so a 24-hour lane paints a few hundred bands, not thousands."""
    out: list[list] = []
    for a, b, label, _ in sorted(episodes):
        if b - a < min_s:
            continue
        if out and out[-1][2] == label and a - out[-1][1] <= min_s:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b, label])
    return [(a, b, label) for a, b, label in out]


# ---------------------------------------------------------------------- findings → what each overlay draws
# One function per row of :data:`app.model.overlay_table.OVERLAYS`: the arguments of its drawing's ``set_data``,
# or None when the findings hold nothing for it (its lane is then not shown).

def anomaly_lane_data(d: OverlayData) -> tuple | None:
    """``(starts_s, ends_s, scores, threshold)`` of the anomaly heat strip."""
    if len(d.window_score) == 0:
        return None
    return d.window_start_s, d.window_end_s, d.window_score, d.anomaly_threshold


def beat_lane_data(d: OverlayData) -> tuple | None:
    """``(times_s, classes, confidence)`` of the model's beat lane."""
    if len(d.beat_time_s) == 0:
        return None
    return d.beat_time_s, d.beat_class, d.beat_confidence


def rhythm_lane_data(d: OverlayData) -> tuple | None:
    """``(starts_s, stops_s, labels)`` of the model's rhythm lane."""
    if not d.episodes:
        return None
    return (np.array([e[0] for e in d.episodes]), np.array([e[1] for e in d.episodes]),
            [e[2] for e in d.episodes])
