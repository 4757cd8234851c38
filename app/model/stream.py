"""What the overlays draw, as plain numpy arrays: :class:`OverlayData`, built from streamed chunk results
while an analysis runs (:class:`PartialFindings`) or from the finished :class:`Findings`.

No Qt here: the data is testable on its own and the overlay items only read it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from anyecg_model.analysis.analyzer import ChunkResult
from anyecg_model.analysis.episodes import AF_LABELS, episodes_from_windows
from anyecg_model.analysis.findings import Findings
from anyecg_model.analysis.labels import BEAT_CLASSES, RECORD_CLASSES


@dataclass
class OverlayData:
    """Model output in seconds from the recording start. Beats: ``beat_time_s``, ``beat_class`` (index into
    :data:`BEAT_CLASSES`), ``beat_confidence`` (0..1). Windows: ``window_start_s``/``window_end_s`` and
    ``window_score`` (anomaly probability 0..1). Episodes: ``(start_s, end_s, label, confidence)``."""

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
    heart_rate_bpm: dict[str, float | None] = field(default_factory=dict)
    complete: bool = False

    @classmethod
    def from_findings(cls, f: Findings) -> "OverlayData":
        d = cls(anomaly_score=f.anomaly_score, anomaly_threshold=f.anomaly_threshold,
                record_class=f.record_class_probabilities, heart_rate_bpm=dict(f.heart_rate_bpm), complete=True)
        if f.beats is not None:
            d.beat_time_s, d.beat_class, d.beat_confidence = f.beats.time_s, f.beats.label, f.beats.confidence
        if f.anomaly_windows:
            w = np.array([[a.start_s, a.end_s, a.score] for a in f.anomaly_windows], np.float64)
            d.window_start_s, d.window_end_s, d.window_score = w[:, 0], w[:, 1], w[:, 2]
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
        """Share of the analysed time in AF/AFL episodes (None before any episode)."""
        total = sum(b - a for a, b, _, _ in self.episodes)
        if total <= 0:
            return None
        return sum(b - a for a, b, lab, _ in self.episodes if lab in AF_LABELS) / total

    def longest_episode(self, labels: tuple[str, ...] = AF_LABELS) -> tuple[float, float, str, float] | None:
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


class PartialFindings:
    """Chunk results of a running analysis (any order), merged on demand into :class:`OverlayData`."""

    def __init__(self, anomaly_threshold: float = 0.5):
        self.parts: dict[float, ChunkResult] = {}
        self.anomaly_threshold = anomaly_threshold

    def add(self, part: ChunkResult) -> None:
        self.parts[part.start_s] = part  # a chunk computed twice (CPU fallback) replaces itself

    def covers(self, t0: float, t1: float) -> bool:
        """True when the chunks received so far cover ``[t0, t1]`` s."""
        spans = sorted((p.start_s, p.end_s) for p in self.parts.values())
        t = t0
        for a, b in spans:
            if a > t + 1e-6:
                break
            t = max(t, b)
        return t >= t1 - 1e-6

    def overlay(self) -> OverlayData:
        parts = sorted(self.parts.values(), key=lambda p: p.start_s)
        d = OverlayData(anomaly_threshold=self.anomaly_threshold)
        if not parts:
            return d
        ws = np.concatenate([p.window_start_s for p in parts])
        we = np.concatenate([p.window_end_s for p in parts])
        d.window_start_s, d.window_end_s = ws, we
        if parts[0].anomaly_logit is not None:
            logits = np.concatenate([p.anomaly_logit for p in parts])
            d.window_score = 1.0 / (1.0 + np.exp(-logits))
            d.anomaly_score = float(1.0 / (1.0 + np.exp(-logits.mean())))
        beats = [p.beats for p in parts if p.beats is not None and len(p.beats)]
        if beats:
            d.beat_time_s = np.concatenate([b.time_s for b in beats])
            d.beat_class = np.concatenate([b.label for b in beats])
            d.beat_confidence = np.concatenate([b.confidence for b in beats])
        if parts[0].record_class_prob is not None:
            rc = np.concatenate([p.record_class_prob for p in parts])
            w = (we - ws)[:, None]
            mean = (rc * w).sum(0) / max(float(w.sum()), 1e-9)
            d.record_class = {c: float(v) for c, v in zip(RECORD_CLASSES, mean)}
        if parts[0].episode_prob is not None:
            ep = np.concatenate([p.episode_prob for p in parts])
            d.episodes = [(e.start_s, e.end_s, e.label, e.confidence) for e in episodes_from_windows(ws, we, ep)]
        return d
