"""What the overlays draw, as plain numpy arrays: :class:`OverlayData`, built from streamed chunk results
while an analysis runs (:class:`PartialFindings`) or from the finished :class:`Findings`.

No Qt here: the data is testable on its own and the overlay items only read it.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from operator import attrgetter

import numpy as np

from anyecg_model.analysis.chunks import WINDOW_S, ChunkResult
from anyecg_model.analysis.episodes import AF_LABELS, episodes_from_windows, with_beat_runs, with_rhythm_af
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


class _Column:
    """A numpy array grown by appending rows (capacity doubles, so an append costs O(rows appended))."""

    def __init__(self, dtype, width: int | None = None):
        self._shape = () if width is None else (width,)
        self._buf = np.zeros((64, *self._shape), dtype)
        self.n = 0

    def put(self, at: np.ndarray, rows: np.ndarray) -> None:
        """Write ``rows`` at indices ``at``, growing the column to hold them."""
        need = int(at.max()) + 1 if len(at) else 0
        if need > len(self._buf):
            grown = np.zeros((max(need, 2 * len(self._buf)), *self._shape), self._buf.dtype)
            grown[: len(self._buf)] = self._buf
            self._buf = grown
        self._buf[at] = rows
        self.n = max(self.n, need)

    def append(self, rows: np.ndarray) -> None:
        self.put(np.arange(self.n, self.n + len(rows)), rows)

    def get(self, at: np.ndarray | slice = slice(None)) -> np.ndarray:
        return self._buf[: self.n][at]


class PartialFindings:
    """Chunk results of a running analysis (any order), merged as they arrive at a cost of O(chunk): window
    results go to their slot by window number (start / ``window_s``), beats are appended and sorted once
    when read after an out-of-order chunk. :meth:`overlay` then only gathers arrays (O(recording) numpy,
    about a millisecond for 24 hours)."""

    def __init__(self, anomaly_threshold: float = 0.5, window_s: float = WINDOW_S):
        self.anomaly_threshold = anomaly_threshold
        self.window_s = window_s
        self.parts: dict[float, ChunkResult] = {}
        self._spans: list[tuple[float, float]] = []  # chunk spans (s), sorted
        self._filled = _Column(bool)
        self._cols: dict[str, _Column] = {}
        self._beats = (_Column(np.float64), _Column(np.int8), _Column(np.float32))
        self._beats_sorted = True

    def add(self, part: ChunkResult) -> None:
        if part.start_s in self.parts:  # a chunk computed twice (CPU fallback) replaces itself
            self.parts[part.start_s] = part
            self._rebuild_beats()
        else:
            self.parts[part.start_s] = part
            bisect.insort(self._spans, (part.start_s, part.end_s))
            if part.beats is not None and len(part.beats):
                t, *_ = self._beats
                self._beats_sorted &= t.n == 0 or part.beats.time_s[0] >= t.get(t.n - 1)
                for col, x in zip(self._beats, (part.beats.time_s, part.beats.label, part.beats.confidence)):
                    col.append(x)
        at = np.rint(np.asarray(part.window_start_s) / self.window_s).astype(np.int64)
        self._filled.put(at, np.ones(len(at), bool))
        for key, rows in (("start", part.window_start_s), ("end", part.window_end_s),
                          ("anomaly", part.anomaly_logit), ("record", part.record_class_prob),
                          ("episode", part.episode_prob)):
            if rows is not None:
                rows = np.asarray(rows)
                if key not in self._cols:
                    self._cols[key] = _Column(np.float64, rows.shape[1] if rows.ndim == 2 else None)
                self._cols[key].put(at, rows)

    def _rebuild_beats(self) -> None:
        self._beats = (_Column(np.float64), _Column(np.int8), _Column(np.float32))
        for p in sorted(self.parts.values(), key=lambda p: p.start_s):
            if p.beats is not None and len(p.beats):
                for col, x in zip(self._beats, (p.beats.time_s, p.beats.label, p.beats.confidence)):
                    col.append(x)
        self._beats_sorted = True

    def covers(self, t0: float, t1: float) -> bool:
        """True when the chunks received so far cover ``[t0, t1]`` s."""
        k = max(0, bisect.bisect_right(self._spans, (t0, float("inf"))) - 1)
        t = t0
        for a, b in self._spans[k:]:
            if a > t + 1e-6:
                break
            t = max(t, b)
        return t >= t1 - 1e-6

    def overlay(self) -> OverlayData:
        d = OverlayData(anomaly_threshold=self.anomaly_threshold)
        if not self.parts:
            return d
        sel = np.flatnonzero(self._filled.get())
        cols = {k: c.get(sel) for k, c in self._cols.items()}
        ws, we = cols["start"], cols["end"]
        d.window_start_s, d.window_end_s = ws, we
        if "anomaly" in cols:
            logits = cols["anomaly"]
            d.window_score = 1.0 / (1.0 + np.exp(-logits))
            d.anomaly_score = float(1.0 / (1.0 + np.exp(-logits.mean())))
        if not self._beats_sorted:
            order = np.argsort(self._beats[0].get(), kind="stable")
            for col in self._beats:
                col.put(np.arange(len(order)), col.get(order))
            self._beats_sorted = True
        if self._beats[0].n:
            d.beat_time_s, d.beat_class, d.beat_confidence = (col.get().copy() for col in self._beats)
        if "record" in cols:
            w = (we - ws)[:, None]
            mean = (cols["record"] * w).sum(0) / max(float(w.sum()), 1e-9)
            d.record_class = {c: float(v) for c, v in zip(RECORD_CLASSES, mean)}
        if "episode" in cols:
            eps = episodes_from_windows(ws, we, with_rhythm_af(cols["episode"], cols.get("record")))
            if len(d.beat_time_s):
                eps = with_beat_runs(eps, d.beat_time_s, d.beat_class, d.beat_confidence)
            d.episodes = [(e.start_s, e.end_s, e.label, e.confidence) for e in eps]
        return d
